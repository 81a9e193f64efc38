// Hono with the core's Fetch-API helpers (`createPortalHandler`, `sessionFromRequest`), driven
// with `app.request()`; every session comes from the fake Polar over real HTTP on 127.0.0.1.
import {
  createPolarSessions,
  createPortalHandler,
  errorResponse,
  sessionFromRequest,
  type PolarSessions,
  type PolarSessionsOptions,
} from '@polar-session/core'
import { startFakePolar, type FakeCustomer, type FakePolar, type FakeSession } from '@polar-session/testing'
import { Hono } from 'hono'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'

// app.request('/path') builds http://localhost/path: that is the app's origin here.
const APP_ORIGIN = 'http://localhost'

let fake: FakePolar
let jane: FakeCustomer
const opened: PolarSessions<Request>[] = []

beforeAll(async () => {
  fake = await startFakePolar({ organizationSlug: 'hono-test' })
  jane = fake.addCustomer({ externalId: 'usr_jane', email: 'jane@example.com', name: 'Jane Doe' })
})

afterAll(async () => {
  await fake?.close()
})

beforeEach(() => {
  fake.clearFaults()
  fake.stats.reset()
})

afterEach(async () => {
  await Promise.all(opened.splice(0).map((polar) => polar.close()))
})

/** A fresh polar-session instance (its own cache); `x-user` says who the request is. */
function newPolar(options: Partial<PolarSessionsOptions<Request>> = {}): PolarSessions<Request> {
  const polar = createPolarSessions<Request>({
    accessToken: fake.accessToken,
    baseUrl: fake.url,
    identify: (request) => {
      const user = request.headers.get('x-user')
      return user ? { externalCustomerId: user } : null
    },
    returnUrl: `${APP_ORIGIN}/account`,
    ...options,
  })
  opened.push(polar)
  return polar
}

function honoApp(polar: PolarSessions<Request>): Hono {
  const portal = createPortalHandler(polar, { returnToParam: 'return_to' })
  const app = new Hono()
  app.get('/portal', (c) => portal(c.req.raw))
  app.get('/me', async (c) => {
    const { session, error } = await sessionFromRequest(polar, c.req.raw)
    if (error) return c.json({ signedIn: true, error: error.code })
    if (!session) return c.json({ signedIn: false })
    return c.json({ signedIn: true, customerId: session.customerId, session })
  })
  app.get('/me/required', async (c) => {
    const { session } = await sessionFromRequest(polar, c.req.raw, { required: true })
    return c.json({ customerId: session!.customerId })
  })
  app.onError((error) => errorResponse(error))
  return app
}

function expectJanesPortalUrl(location: string | null): void {
  expect(location).not.toBeNull()
  const url = new URL(location!)
  expect(url.origin).toBe(fake.url)
  expect(url.pathname).toBe('/hono-test/portal')
  expect(url.searchParams.get('email')).toBe('jane@example.com')
  const issued = issuedSession(location!)
  expect(issued.customerId).toBe(jane.id)
}

/** The session the fake issued for the token inside a portal URL (fails if it issued none). */
function issuedSession(portalUrl: string): FakeSession {
  const token = new URL(portalUrl).searchParams.get('customer_session_token')
  const found = fake.sessions().find((s) => s.token === token)
  expect(found, 'the portal URL carries a token the fake issued').toBeDefined()
  return found!
}

describe('Hono + createPortalHandler', () => {
  it('answers 303 to the exact portal URL with cache-control: no-store', async () => {
    const polar = newPolar()
    const res = await honoApp(polar).request('/portal', { headers: { 'x-user': 'usr_jane' } })
    expect(res.status).toBe(303)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expectJanesPortalUrl(res.headers.get('location'))
    // The very session the instance hands out (reused, not a second one).
    const session = await polar.getSession({ externalCustomerId: 'usr_jane' })
    expect(res.headers.get('location')).toBe(session.customerPortalUrl)
    expect(fake.stats.sessionsCreated).toBe(1)
    // The redirect leads to the fake's portal page for Jane.
    const page = await fetch(res.headers.get('location')!)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain(`<p id="customer-id">${jane.id}</p>`)
    expect(html).toContain('<p id="customer-email">jane@example.com</p>')
  })

  it('answers { url, expiresAt } with no-store when the client asks for JSON', async () => {
    const polar = newPolar()
    const before = Date.now()
    const res = await honoApp(polar).request('/portal', {
      headers: { 'x-user': 'usr_jane', accept: 'application/json' },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('location')).toBeNull()
    const body = (await res.json()) as { url: string; expiresAt: string }
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'url'])
    expectJanesPortalUrl(body.url)
    // Polar's sessions live an hour.
    const expiresIn = Date.parse(body.expiresAt) - before
    expect(expiresIn).toBeGreaterThan(59 * 60_000)
    expect(expiresIn).toBeLessThanOrEqual(61 * 60_000)
  })

  it('answers 401 to an anonymous request without calling Polar', async () => {
    const res = await honoApp(newPolar()).request('/portal')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(res.headers.get('location')).toBeNull()
    expect(await res.json()).toMatchObject({ error: 'unauthenticated' })
    expect(fake.stats.total).toBe(0)
  })

  it('answers 404 customer_not_found for a user without a Polar customer', async () => {
    const res = await honoApp(newPolar()).request('/portal', { headers: { 'x-user': 'usr_nobody' } })
    expect(res.status).toBe(404)
    expect(res.headers.get('location')).toBeNull()
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.json()).toMatchObject({ error: 'customer_not_found' })
    expect(fake.stats.sessionsCreated).toBe(0)
  })

  it("turns Polar's 429 into 503 with Retry-After", async () => {
    fake.fail({ kind: 'status', status: 429, retryAfter: 30 })
    const app = honoApp(newPolar({ maxRetryAfterMs: 1_000 }))
    const res = await app.request('/portal', { headers: { 'x-user': 'usr_jane' } })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('30')
    expect(res.headers.get('location')).toBeNull()
    expect(await res.json()).toMatchObject({ error: 'rate_limited' })
    expect(fake.stats.rateLimited).toBe(1)
    expect(fake.stats.sessionsCreated).toBe(0)
  })

  it('waits out a short Retry-After and then redirects', async () => {
    fake.fail({ kind: 'status', status: 429, retryAfter: 1 }, { times: 1 })
    const started = Date.now()
    const res = await honoApp(newPolar()).request('/portal', { headers: { 'x-user': 'usr_jane' } })
    expect(res.status).toBe(303)
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    expectJanesPortalUrl(res.headers.get('location'))
    expect(fake.stats.rateLimited).toBe(1)
  })

  it.each([
    ['protocol-relative', '//evil.example/account'],
    ['scheme without slashes', 'https:evil.example'],
    ['javascript:', 'javascript:alert(1)'],
    ['backslash', '/\\evil.example'],
    ['double backslash', '\\\\evil.example'],
    ['absolute, other origin', 'https://evil.example/account'],
    ['look-alike host', 'http://localhost.evil.example/account'],
    ['user info', 'http://localhost@evil.example/'],
  ])('refuses an off-site return_to (%s) with 400, never a redirect', async (_, hostile) => {
    const url = `/portal?return_to=${encodeURIComponent(hostile)}`
    const res = await honoApp(newPolar()).request(url, { headers: { 'x-user': 'usr_jane' } })
    expect(res.status).toBe(400)
    expect(res.headers.get('location')).toBeNull()
    expect(await res.json()).toMatchObject({ error: 'invalid_return_url' })
    expect(fake.stats.sessionsCreated).toBe(0)
  })

  it('accepts a same-site return_to and passes it to Polar as the back link', async () => {
    const res = await honoApp(newPolar()).request('/portal?return_to=/billing/done', {
      headers: { 'x-user': 'usr_jane' },
    })
    expect(res.status).toBe(303)
    expect(issuedSession(res.headers.get('location')!).returnUrl).toBe(`${APP_ORIGIN}/billing/done`)
  })

  it('reuses the session: two portal visits create one session at Polar', async () => {
    const app = honoApp(newPolar())
    const first = await app.request('/portal', { headers: { 'x-user': 'usr_jane' } })
    const second = await app.request('/portal', { headers: { 'x-user': 'usr_jane' } })
    expect(first.status).toBe(303)
    expect(second.status).toBe(303)
    expect(second.headers.get('location')).toBe(first.headers.get('location'))
    expect(fake.stats.sessionsCreated).toBe(1)
    expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(1)
  })
})

describe('Hono + sessionFromRequest', () => {
  it('gives the signed-in user their session, printed redacted', async () => {
    const res = await honoApp(newPolar()).request('/me', { headers: { 'x-user': 'usr_jane' } })
    expect(res.status).toBe(200)
    const text = await res.text()
    const body = JSON.parse(text) as { signedIn: boolean; customerId: string; session: { token: string } }
    expect(body.signedIn).toBe(true)
    expect(body.customerId).toBe(jane.id)
    const issued = fake.sessions().filter((s) => s.customerId === jane.id)
    expect(issued.length).toBeGreaterThan(0)
    for (const { token } of issued) expect(text).not.toContain(token)
    expect(text).not.toContain('customer_session_token')
    expect(text).not.toContain('jane@example.com')
    expect(body.session.token).toMatch(/^polar_[a-z]+_\[redacted\]$/)
  })

  it('gives null for an anonymous request, without calling Polar', async () => {
    const res = await honoApp(newPolar()).request('/me')
    expect(await res.json()).toEqual({ signedIn: false })
    expect(fake.stats.total).toBe(0)
  })

  it('never rejects in attach mode: the error comes back beside a null session', async () => {
    const res = await honoApp(newPolar()).request('/me', { headers: { 'x-user': 'usr_nobody' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ signedIn: true, error: 'customer_not_found' })
  })

  it('with required: true, throws clear errors the app turns into responses', async () => {
    const app = honoApp(newPolar())
    const missing = await app.request('/me/required', { headers: { 'x-user': 'usr_nobody' } })
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ error: 'customer_not_found' })
    const anonymous = await app.request('/me/required')
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer')
  })
})
