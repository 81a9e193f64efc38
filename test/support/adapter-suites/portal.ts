// polarPortal() over real HTTP, for any framework's harness.
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { APP_HOST, APP_ORIGIN, HOSTILE_RETURN_URLS, type Fixture } from './fixture.js'
import type { Harness } from './harness.js'

export function portalSuite<Req>(fx: Fixture<Req>, harness: Harness<Req>): void {
  it('answers 303 to the exact portal URL with no-store and no body', async () => {
    const polar = fx.polar()
    const { target } = await harness.app(polar, { portal: {} })
    const res = await request(target).get('/portal').set('x-user', 'usr_1')
    expect(res.status).toBe(303)
    expect(res.text ?? '').toBe('')
    expect(res.headers['cache-control']).toBe('no-store')
    const session = await polar.getSession({ externalCustomerId: 'usr_1' })
    expect(res.headers['location']).toBe(session.customerPortalUrl)
    expect(fx.fake.stats.sessionsCreated).toBe(1)
  })

  it('answers { url, expiresAt } with no-store when the client asks for JSON', async () => {
    const polar = fx.polar()
    const { target } = await harness.app(polar, { portal: {} })
    const res = await request(target).get('/portal').set('x-user', 'usr_1').set('Accept', 'application/json')
    expect(res.status).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const session = await polar.getSession({ externalCustomerId: 'usr_1' })
    expect(res.body).toEqual({ url: session.customerPortalUrl, expiresAt: session.expiresAt.toISOString() })
    expect(res.headers['location']).toBeUndefined()
    // A browser's Accept (HTML first) still gets the redirect, from the same cached session.
    const browser = await request(target)
      .get('/portal')
      .set('x-user', 'usr_1')
      .set('Accept', 'text/html,application/json;q=0.9')
    expect([browser.status, browser.headers['location']]).toEqual([303, session.customerPortalUrl])
    expect(fx.fake.stats.sessionsCreated).toBe(1)
  })

  it('answers 401 with WWW-Authenticate to anonymous requests', async () => {
    const { target } = await harness.app(fx.polar(), { portal: {} })
    const res = await request(target).get('/portal')
    expect([res.status, res.headers['www-authenticate'], res.headers['location']]).toEqual([401, 'Bearer', undefined])
    expect(fx.fake.stats.total).toBe(0)
  })

  it('answers 404 for an unknown customer', async () => {
    const { target, errors } = await harness.app(fx.polar(), { portal: {} })
    const res = await request(target).get('/portal').set('x-user', 'usr_unknown')
    expect([res.status, res.headers['location']]).toEqual([404, undefined])
    expect(res.text).toContain('Polar has no customer with this external id')
    expect(errors).toMatchObject([{ code: 'customer_not_found' }])
  })

  it("turns Polar's 429 into 503 with Retry-After", async () => {
    fx.fake.fail({ kind: 'status', status: 429, retryAfter: 30 })
    const { target } = await harness.app(fx.polar({ maxRetryAfterMs: 1_000 }), { portal: {} })
    const res = await request(target).get('/portal').set('x-user', 'usr_1')
    expect([res.status, res.headers['retry-after'], res.headers['location']]).toEqual([503, '30', undefined])
  })

  it('passes a relative return_to as the portal back link', async () => {
    const { target } = await harness.app(fx.polar(), { portal: { returnToParam: 'return_to' } })
    const res = await request(target)
      .get('/portal')
      .query({ return_to: '/account' })
      .set('Host', APP_HOST)
      .set('x-user', 'usr_1')
      .set('Accept', 'application/json')
    expect(res.status).toBe(200)
    expect(fx.newSessions().map((s) => s.returnUrl)).toEqual([`${APP_ORIGIN}/account`])
  })

  it.each(HOSTILE_RETURN_URLS)('refuses return_to=%s with 400 and no Location', async (hostile) => {
    const { target } = await harness.app(fx.polar(), { portal: { returnToParam: 'return_to' } })
    const res = await request(target)
      .get('/portal')
      .query({ return_to: hostile })
      .set('Host', APP_HOST)
      .set('x-user', 'usr_1')
    expect([res.status, res.headers['location']]).toEqual([400, undefined])
    expect(fx.fake.stats.sessionsCreated).toBe(0)
  })

  describe('options', () => {
    it('are checked when the handler is created', () => {
      expect(() => harness.polarPortal(fx.polar(), { returnToParam: 42 as unknown as string })).toThrow(/returnToParam/)
      expect(() => harness.polarPortal(null as never)).toThrow(/createPolarSessions/)
    })

    it('the handler is named polarPortal', () => {
      expect((harness.polarPortal(fx.polar()) as { name: string }).name).toBe('polarPortal')
    })
  })
}
