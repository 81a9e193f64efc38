// polarSession() over real HTTP, for any framework's harness: eager and redirect modes,
// `required: true`, return URLs. Lazy attach is lazy.ts.
import { PolarSessionError } from '@polar-session/core'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { APP_HOST, APP_ORIGIN, HOSTILE_RETURN_URLS, type Fixture } from './fixture.js'
import type { Harness } from './harness.js'

export function sessionSuite<Req>(fx: Fixture<Req>, harness: Harness<Req>): void {
  const eager = { lazy: false }

  describe('eager attach mode (lazy: false)', () => {
    it('attaches the session and reuses it on the next request', async () => {
      const { target } = await harness.app(fx.polar(), { session: eager })
      const first = await request(target).get('/me').set('x-user', 'usr_1')
      expect(first.status).toBe(200)
      expect(first.body).toMatchObject({ externalId: 'usr_1', returnUrl: null, errorCode: null })
      expect(first.body.id).toEqual(expect.any(String))
      expect(Date.parse(first.body.expiresAt)).toBeGreaterThan(Date.now() + 30 * 60_000)
      const second = await request(target).get('/me').set('x-user', 'usr_1')
      expect(second.body.id).toBe(first.body.id)
      expect(fx.fake.stats.sessionsCreated).toBe(1)
    })

    it('lets anonymous requests through untouched, without calling Polar', async () => {
      const { target } = await harness.app(fx.polar(), { session: eager })
      const res = await request(target).get('/me')
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ id: null, externalId: null, returnUrl: null, expiresAt: null, errorCode: null })
      expect(fx.fake.stats.total).toBe(0)
    })

    it('answers 401 with WWW-Authenticate to anonymous requests when required', async () => {
      const { target } = await harness.app(fx.polar(), { session: { required: true } })
      const res = await request(target).get('/me')
      expect(res.status).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Bearer')
      expect(res.text).toContain('Sign in to manage your billing.')
      expect(fx.fake.stats.total).toBe(0)
      expect((await request(target).get('/me').set('x-user', 'usr_1')).body.externalId).toBe('usr_1')
    })
  })

  describe('eager attach mode never fails a request', () => {
    it('a signed-in user with no Polar customer yet: every route answers 200, the error is attached', async () => {
      const { target, errors } = await harness.app(fx.polar(), { session: eager })
      for (const [method, path] of [
        ['get', '/'],
        ['post', '/logout'],
        ['get', '/'],
      ] as const) {
        const res = await request(target)[method](path).set('x-user', 'usr_unknown')
        expect(res.status).toBe(200)
        expect(res.body.errorCode).toBe('customer_not_found')
      }
      // The unknown customer is remembered: three pages, one call to Polar.
      expect(fx.posts()).toBe(1)
      expect(errors).toEqual([])
    })

    it('Polar down: unrelated routes answer 200 with polar_unavailable attached', async () => {
      const { target } = await harness.app(fx.polar({ deadlineMs: 2_000 }), { session: eager })
      fx.fake.fail({ kind: 'status', status: 503 }, { rate: 1 })
      const home = await request(target).get('/').set('x-user', 'usr_1')
      expect([home.status, home.body]).toEqual([200, { page: 'home', session: 'no', errorCode: 'polar_unavailable' }])
      const logout = await request(target).post('/logout').set('x-user', 'usr_1')
      expect([logout.status, logout.body.errorCode]).toEqual([200, 'polar_unavailable'])
    })

    it("a revoked access token or Polar's 429: the page is served, the error attached", async () => {
      const token = fx.fake.addAccessToken()
      const revoked = await harness.app(fx.polar({ accessToken: token }), { session: eager })
      fx.fake.revokeAccessToken(token)
      const res = await request(revoked.target).get('/').set('x-user', 'usr_1')
      expect([res.status, res.body.errorCode]).toEqual([200, 'polar_unauthorized'])
      const limited = await harness.app(fx.polar({ maxRetryAfterMs: 1_000 }), { session: eager })
      fx.fake.fail({ kind: 'status', status: 429, retryAfter: 30 })
      const page = await request(limited.target).get('/').set('x-user', 'usr_1')
      expect([page.status, page.body.errorCode]).toEqual([200, 'rate_limited'])
    })

    it('identify rejecting with a plain error: 200, internal_error attached with the original as cause', async () => {
      const failure = new Error('db down')
      const app = await harness.app(fx.polar({ identify: async () => Promise.reject(failure) }), { session: eager })
      const res = await request(app.target).get('/').set('x-user', 'usr_1')
      expect(res.status).toBe(200)
      expect(app.attachedErrors).toHaveLength(1)
      expect(app.attachedErrors[0]).toBeInstanceOf(PolarSessionError)
      expect(app.attachedErrors[0]).toMatchObject({
        code: 'internal_error',
        status: 500,
        expose: false,
        cause: failure,
      })
    })

    it('a hostile or repeated return_to: the page is served, invalid_return_url attached, nothing created', async () => {
      const { target } = await harness.app(fx.polar(), { session: { returnToParam: 'return_to', lazy: false } })
      for (const query of ['return_to=/a&return_to=/b', `return_to=${encodeURIComponent('https://evil.example/')}`]) {
        const res = await request(target).get(`/me?${query}`).set('Host', APP_HOST).set('x-user', 'usr_1')
        expect(res.status).toBe(200)
        expect(res.body).toMatchObject({ id: null, errorCode: 'invalid_return_url' })
      }
      expect(fx.fake.stats.total).toBe(0)
    })
  })

  describe('redirect mode', () => {
    it('sends identified requests to the exact portal URL with 303, no-store and no body', async () => {
      const polar = fx.polar()
      const { target } = await harness.app(polar, { session: { redirect: true } })
      const res = await request(target).get('/billing').set('x-user', 'usr_1')
      expect(res.status).toBe(303)
      expect(res.text ?? '').toBe('')
      expect(res.headers['cache-control']).toBe('no-store')
      // The cached session the middleware used: same instance, same key, no second creation.
      const session = await polar.getSession({ externalCustomerId: 'usr_1' })
      expect(res.headers['location']).toBe(session.customerPortalUrl)
      expect(res.headers['location']).toContain(`customer_session_token=${fx.newSessions()[0]!.token}`)
      expect(fx.fake.stats.sessionsCreated).toBe(1)
    })

    it('answers 401 to anonymous requests, or lets them through with required: false', async () => {
      const strict = await harness.app(fx.polar(), { session: { redirect: true } })
      const res = await request(strict.target).get('/billing')
      expect([res.status, res.headers['www-authenticate'], res.headers['location']]).toEqual([401, 'Bearer', undefined])
      const lenient = await harness.app(fx.polar(), { session: { redirect: true, required: false } })
      const through = await request(lenient.target).get('/billing')
      expect([through.status, through.text]).toEqual([200, 'sign in first'])
    })
  })

  describe("with required: true, errors reach the framework's error handling", () => {
    it('answers 404 with a helpful message for an unknown customer, the PolarSessionError seen once', async () => {
      const { target, errors } = await harness.app(fx.polar(), { session: { required: true } })
      const res = await request(target).get('/me').set('x-user', 'usr_unknown')
      expect(res.status).toBe(404)
      expect(res.text).toContain('Polar has no customer with this external id')
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatchObject({ code: 'customer_not_found', status: 404 })
    })

    it("turns Polar's 429 into 503 with Retry-After", async () => {
      const { target } = await harness.app(fx.polar({ maxRetryAfterMs: 1_000 }), { session: { required: true } })
      fx.fake.fail({ kind: 'status', status: 429, retryAfter: 30 })
      const res = await request(target).get('/me').set('x-user', 'usr_1')
      expect([res.status, res.headers['retry-after']]).toEqual([503, '30'])
      expect(fx.fake.stats.rateLimited).toBeGreaterThanOrEqual(1)
    })

    it('answers 401 with its WWW-Authenticate when identify throws a PolarSessionError', async () => {
      const forged = new PolarSessionError('unauthenticated', 'The bearer token is invalid.', {
        status: 401,
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      })
      const { target } = await harness.app(fx.polar({ identify: () => Promise.reject(forged) }), {
        session: { required: true },
      })
      const res = await request(target).get('/me').set('authorization', 'Bearer forged')
      expect([res.status, res.headers['www-authenticate']]).toEqual([401, 'Bearer error="invalid_token"'])
      expect(res.text).toContain('The bearer token is invalid.')
    })

    it('answers 500 (not a hang, not an unhandled rejection) when identify rejects with a plain error', async () => {
      const { target } = await harness.app(fx.polar({ identify: async () => Promise.reject(new Error('db down')) }), {
        session: { required: true },
      })
      const res = await request(target).get('/me').set('x-user', 'usr_1')
      expect(res.status).toBe(500)
    })

    it('hands a later route error to the error handling once, not a second time from polarSession', async () => {
      const { target, errors } = await harness.app(fx.polar(), { session: eager })
      const res = await request(target).get('/boom').set('x-user', 'usr_1')
      expect(res.status).toBe(500)
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(errors).toHaveLength(1)
      expect((errors[0] as Error).message).toBe('boom')
    })
  })

  describe('return_to', () => {
    it("resolves a relative path against the app's origin", async () => {
      const { target } = await harness.app(fx.polar(), { session: { returnToParam: 'return_to', lazy: false } })
      const res = await request(target)
        .get('/me')
        .query({ return_to: '/account' })
        .set('Host', APP_HOST)
        .set('x-user', 'usr_1')
      expect([res.status, res.body.returnUrl]).toEqual([200, `${APP_ORIGIN}/account`])
      expect(fx.newSessions().map((s) => s.returnUrl)).toEqual([`${APP_ORIGIN}/account`])
    })

    it.each(HOSTILE_RETURN_URLS)('refuses %s with 400 and no Location', async (hostile) => {
      const { target } = await harness.app(fx.polar(), { session: { redirect: true, returnToParam: 'return_to' } })
      const res = await request(target)
        .get('/billing')
        .query({ return_to: hostile })
        .set('Host', APP_HOST)
        .set('x-user', 'usr_1')
      expect(res.status).toBe(400)
      expect(res.headers['location']).toBeUndefined()
      expect(fx.fake.stats.sessionsCreated).toBe(0)
    })

    it('refuses a repeated parameter with 400 when required', async () => {
      const { target } = await harness.app(fx.polar(), { session: { returnToParam: 'return_to', required: true } })
      const res = await request(target)
        .get('/me?return_to=/a&return_to=/b')
        .set('Host', APP_HOST)
        .set('x-user', 'usr_1')
      expect(res.status).toBe(400)
      expect(res.text).toContain('return_to')
    })
  })
}

/**
 * The checks a `polarSession(polar, options)` factory makes when it is called (Express, Koa,
 * Hono; Fastify checks at registration instead), and the name of the middleware it returns.
 */
export function sessionOptionsSuite<Req>(
  fx: Fixture<Req>,
  polarSession: (polar: never, options?: never) => { name: string },
): void {
  const make = polarSession as (polar: unknown, options?: unknown) => { name: string }
  describe('polarSession options', () => {
    it('are checked when the middleware is created', () => {
      const polar = fx.polar()
      expect(() => make(polar, { returnToParam: '' })).toThrow(/returnToParam/)
      expect(() => make(polar, { retunToParam: 'return_to' })).toThrow(
        'polarSession: unknown option "retunToParam"; did you mean returnToParam?',
      )
      expect(() => make(polar, { lazy: 'yes' })).toThrow(/lazy must be true or false/)
      expect(() => make(polar, { minRemainingMs: -1 })).toThrow(/minRemainingMs/)
      expect(() => make(polar, { minRemainingMs: Number.NaN })).toThrow(/minRemainingMs/)
      expect(() => make(polar, { redirect: 'yes' })).toThrow(/redirect/)
      expect(() => make({})).toThrow(/createPolarSessions/)
      expect(() => make(undefined)).toThrow(/createPolarSessions/)
    })

    it('is a named middleware function', () => {
      expect(make(fx.polar()).name).toBe('polarSession')
      expect(make(fx.polar(), { lazy: false }).name).toBe('polarSession')
    })
  })
}
