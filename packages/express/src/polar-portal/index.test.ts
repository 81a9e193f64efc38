import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { APP_HOST, APP_ORIGIN, HOSTILE_RETURN_URLS, MAJORS, useFixture } from '../test-support/fixtures.js'
import { polarPortal } from './index.js'

const fx = useFixture()

describe.each(MAJORS)('polarPortal on $major ($version)', ({ express }) => {
  function portalApp(polar = fx.polar(), options: Parameters<typeof polarPortal>[1] = {}) {
    const app = express()
    app.get('/portal', polarPortal(polar, options))
    return app
  }

  it('answers 303 to the exact portal URL with no-store', async () => {
    const polar = fx.polar()
    const res = await request(portalApp(polar)).get('/portal').set('x-user', 'usr_1')
    expect(res.status).toBe(303)
    expect(res.text ?? '').not.toContain('customer_session_token')
    expect(res.headers['cache-control']).toBe('no-store')
    const session = await polar.getSession({ externalCustomerId: 'usr_1' })
    expect(res.headers['location']).toBe(session.customerPortalUrl)
    expect(fx.fake.stats.sessionsCreated).toBe(1)
  })

  it('answers { url, expiresAt } with no-store when the client asks for JSON', async () => {
    const polar = fx.polar()
    const app = portalApp(polar)
    const res = await request(app).get('/portal').set('x-user', 'usr_1').set('Accept', 'application/json')
    expect(res.status).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const session = await polar.getSession({ externalCustomerId: 'usr_1' })
    expect(res.body).toEqual({ url: session.customerPortalUrl, expiresAt: session.expiresAt.toISOString() })
    expect(res.headers['location']).toBeUndefined()

    // A browser's Accept (HTML first) still gets the redirect, from the same cached session.
    const browser = await request(app)
      .get('/portal')
      .set('x-user', 'usr_1')
      .set('Accept', 'text/html,application/json;q=0.9')
    expect(browser.status).toBe(303)
    expect(browser.headers['location']).toBe(session.customerPortalUrl)
    expect(fx.fake.stats.sessionsCreated).toBe(1)
  })

  it('answers 401 with WWW-Authenticate to anonymous requests', async () => {
    const res = await request(portalApp()).get('/portal')
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer')
    expect(res.headers['location']).toBeUndefined()
    expect(fx.fake.stats.total).toBe(0)
  })

  it('answers 404 for an unknown customer', async () => {
    const res = await request(portalApp()).get('/portal').set('x-user', 'usr_unknown')
    expect(res.status).toBe(404)
    expect(res.text).toContain('Polar has no customer with this external id')
    expect(res.headers['location']).toBeUndefined()
  })

  it("turns Polar's 429 into 503 with Retry-After", async () => {
    fx.fake.fail({ kind: 'status', status: 429, retryAfter: 30 })
    const res = await request(portalApp(fx.polar({ maxRetryAfterMs: 1_000 })))
      .get('/portal')
      .set('x-user', 'usr_1')
    expect(res.status).toBe(503)
    expect(res.headers['retry-after']).toBe('30')
    expect(res.headers['location']).toBeUndefined()
  })

  it('passes a relative return_to as the portal back link', async () => {
    const app = portalApp(fx.polar(), { returnToParam: 'return_to' })
    const res = await request(app)
      .get('/portal')
      .query({ return_to: '/account' })
      .set('Host', APP_HOST)
      .set('x-user', 'usr_1')
      .set('Accept', 'application/json')
    expect(res.status).toBe(200)
    expect(fx.newSessions().map((s) => s.returnUrl)).toEqual([`${APP_ORIGIN}/account`])
  })

  it.each(HOSTILE_RETURN_URLS)('refuses return_to=%s with 400 and no Location', async (hostile) => {
    const app = portalApp(fx.polar(), { returnToParam: 'return_to' })
    const res = await request(app)
      .get('/portal')
      .query({ return_to: hostile })
      .set('Host', APP_HOST)
      .set('x-user', 'usr_1')
    expect(res.status).toBe(400)
    expect(res.headers['location']).toBeUndefined()
    expect(fx.fake.stats.sessionsCreated).toBe(0)
  })
})

describe('polarPortal options', () => {
  it('are checked when the handler is created', () => {
    expect(() => polarPortal(fx.polar(), { returnToParam: 42 as unknown as string })).toThrow(/returnToParam/)
    expect(() => polarPortal(null as never)).toThrow(/createPolarSessions/)
  })

  it('is a named handler', () => {
    expect(polarPortal(fx.polar()).name).toBe('polarPortal')
  })
})
