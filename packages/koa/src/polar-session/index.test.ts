import { PolarSessionError } from '@polar-session/core'
import Router from '@koa/router'
import type { Middleware } from 'koa'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { APP_HOST, APP_ORIGIN, HOSTILE_RETURN_URLS, MAJORS, useFixture } from '../test-support/fixtures.js'
import { polarSession } from './index.js'

const fx = useFixture()

describe.each(MAJORS)('polarSession on $major ($version)', ({ Koa }) => {
  /**
   * An app with Koa's default error handling; `errors` records what `app.on('error')` gets
   * (a listener also keeps Koa from printing 5xx errors to stderr during the tests).
   */
  function makeApp(middleware: Middleware) {
    const app = new Koa()
    const errors: unknown[] = []
    app.on('error', (err: unknown) => errors.push(err))
    app.use(middleware)
    const router = new Router()
    router.get('/me', (ctx) => {
      const session = ctx.state.polarSession
      ctx.body = {
        attached: 'polarSession' in ctx.state,
        id: session?.id ?? null,
        externalId: session?.customer.externalId ?? null,
        returnUrl: session?.returnUrl ?? null,
        expiresAt: session?.expiresAt.toISOString() ?? null,
        errorCode: ctx.state.polarSessionError?.code ?? null,
      }
    })
    router.get('/billing', (ctx) => {
      ctx.body = 'sign in first'
    })
    router.get('/', (ctx) => {
      ctx.body = {
        page: 'home',
        session: ctx.state.polarSession ? 'yes' : 'no',
        errorCode: ctx.state.polarSessionError?.code ?? null,
      }
    })
    router.post('/logout', (ctx) => {
      ctx.body = { page: 'logout', errorCode: ctx.state.polarSessionError?.code ?? null }
    })
    app.use(router.routes())
    return { app, errors, server: app.callback() }
  }

  describe('eager attach mode (lazy: false)', () => {
    it('sets ctx.state.polarSession and reuses it on the next request', async () => {
      const { server } = makeApp(polarSession(fx.polar(), { lazy: false }))
      const first = await request(server).get('/me').set('x-user', 'usr_1')
      expect(first.status).toBe(200)
      expect(first.body).toMatchObject({ attached: true, externalId: 'usr_1', returnUrl: null })
      expect(first.body.id).toEqual(expect.any(String))
      expect(Date.parse(first.body.expiresAt)).toBeGreaterThan(Date.now() + 30 * 60_000)

      const second = await request(server).get('/me').set('x-user', 'usr_1')
      expect(second.status).toBe(200)
      expect(second.body.id).toBe(first.body.id)
      expect(fx.fake.stats.sessionsCreated).toBe(1)
    })

    it('gives identify the Koa context', async () => {
      const seen: unknown[] = []
      const polar = fx.polar({
        identify: (ctx) => {
          seen.push(ctx)
          return { externalCustomerId: ctx.get('x-user') }
        },
      })
      let context: unknown
      const { server } = makeApp(async (ctx, next) => {
        context = ctx
        await polarSession(polar, { lazy: false })(ctx, next)
      })
      const res = await request(server).get('/me').set('x-user', 'usr_1')
      expect(res.status).toBe(200)
      expect(seen).toEqual([context])
    })

    it('lets anonymous requests through untouched, without calling Polar', async () => {
      const { server } = makeApp(polarSession(fx.polar(), { lazy: false }))
      const res = await request(server).get('/me')
      expect(res.status).toBe(200)
      expect(res.body).toEqual({
        attached: true,
        id: null,
        externalId: null,
        returnUrl: null,
        expiresAt: null,
        errorCode: null,
      })
      expect(fx.fake.stats.total).toBe(0)
    })

    it('answers 401 with WWW-Authenticate to anonymous requests when required', async () => {
      const { server } = makeApp(polarSession(fx.polar(), { required: true }))
      const res = await request(server).get('/me')
      expect(res.status).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Bearer')
      expect(res.text).toBe('Sign in to manage your billing.')
      expect(fx.fake.stats.total).toBe(0)
    })
  })

  describe('eager attach mode never fails a request', () => {
    it('a signed-in user with no Polar customer yet: every route answers 200, the error is attached', async () => {
      const { server, errors } = makeApp(polarSession(fx.polar(), { lazy: false }))
      for (const [method, path] of [
        ['get', '/'],
        ['post', '/logout'],
        ['get', '/'],
      ] as const) {
        const res = await request(server)[method](path).set('x-user', 'usr_unknown')
        expect(res.status).toBe(200)
        expect(res.body.errorCode).toBe('customer_not_found')
      }
      expect(fx.fake.stats.requests['POST /v1/customer-sessions/']).toBe(1)
      expect(errors).toEqual([])
    })

    it('Polar down: unrelated routes answer 200 with polar_unavailable attached', async () => {
      const { server } = makeApp(polarSession(fx.polar({ deadlineMs: 2_000 }), { lazy: false }))
      fx.fake.fail({ kind: 'status', status: 503 }, { rate: 1 })
      const home = await request(server).get('/').set('x-user', 'usr_1')
      expect(home.status).toBe(200)
      expect(home.body).toEqual({ page: 'home', session: 'no', errorCode: 'polar_unavailable' })
      const logout = await request(server).post('/logout').set('x-user', 'usr_1')
      expect(logout.status).toBe(200)
      expect(logout.body.errorCode).toBe('polar_unavailable')
    })

    it('a revoked access token: unrelated routes answer 200 with polar_unauthorized attached', async () => {
      const token = fx.fake.addAccessToken()
      const { server } = makeApp(polarSession(fx.polar({ accessToken: token }), { lazy: false }))
      fx.fake.revokeAccessToken(token)
      const res = await request(server).get('/').set('x-user', 'usr_1')
      expect(res.status).toBe(200)
      expect(res.body.errorCode).toBe('polar_unauthorized')
    })

    it('identify rejecting with a plain error: 200, internal_error attached with the original as cause', async () => {
      const failure = new Error('db down')
      let attached: unknown
      const polar = fx.polar({ identify: async () => Promise.reject(failure) })
      const { server } = makeApp(async (ctx, next) => {
        await polarSession(polar, { lazy: false })(ctx, async () => {
          attached = ctx.state.polarSessionError
          await next()
        })
      })
      const res = await request(server).get('/').set('x-user', 'usr_1')
      expect(res.status).toBe(200)
      expect(attached).toMatchObject({ code: 'internal_error', status: 500, expose: false, cause: failure })
    })

    it('a hostile or repeated return_to: the page is served, invalid_return_url attached, nothing created', async () => {
      const { server } = makeApp(polarSession(fx.polar(), { returnToParam: 'return_to', lazy: false }))
      for (const query of ['return_to=/a&return_to=/b', `return_to=${encodeURIComponent('https://evil.example/')}`]) {
        const res = await request(server).get(`/me?${query}`).set('Host', APP_HOST).set('x-user', 'usr_1')
        expect(res.status).toBe(200)
        expect(res.body).toMatchObject({ id: null, errorCode: 'invalid_return_url' })
      }
      expect(fx.fake.stats.total).toBe(0)
    })
  })

  describe('redirect mode', () => {
    it('sends identified requests to the exact portal URL with 303 and no-store', async () => {
      const polar = fx.polar()
      const { server } = makeApp(polarSession(polar, { redirect: true }))
      for (const accept of ['text/html', '*/*']) {
        const res = await request(server).get('/billing').set('x-user', 'usr_1').set('Accept', accept)
        expect(res.status).toBe(303)
        expect(res.text ?? '').not.toContain('customer_session_token')
        expect(res.headers['cache-control']).toBe('no-store')
        const session = await polar.getSession({ externalCustomerId: 'usr_1' })
        expect(res.headers['location']).toBe(session.customerPortalUrl)
        expect(res.headers['location']).toContain(`customer_session_token=${fx.newSessions()[0]!.token}`)
      }
      expect(fx.fake.stats.sessionsCreated).toBe(1)
    })

    it('answers 401 to anonymous requests', async () => {
      const { server } = makeApp(polarSession(fx.polar(), { redirect: true }))
      const res = await request(server).get('/billing')
      expect(res.status).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Bearer')
      expect(res.headers['location']).toBeUndefined()
    })

    it('lets anonymous requests through with required: false', async () => {
      const { server } = makeApp(polarSession(fx.polar(), { redirect: true, required: false }))
      const res = await request(server).get('/billing')
      expect(res.status).toBe(200)
      expect(res.text).toBe('sign in first')
    })
  })

  describe("with required: true, errors reach Koa's error handling", () => {
    it('answers 404 with a helpful message for an unknown customer', async () => {
      const { server, errors } = makeApp(polarSession(fx.polar(), { required: true }))
      const res = await request(server).get('/me').set('x-user', 'usr_unknown')
      expect(res.status).toBe(404)
      expect(res.text).toContain('Polar has no customer with this external id')
      expect(errors).toHaveLength(1)
      expect(errors[0]).toBeInstanceOf(PolarSessionError)
      expect((errors[0] as PolarSessionError).code).toBe('customer_not_found')
    })

    it("turns Polar's 429 into 503 with Retry-After and emits the error on the app", async () => {
      const { server, errors } = makeApp(polarSession(fx.polar({ maxRetryAfterMs: 1_000 }), { required: true }))
      fx.fake.fail({ kind: 'status', status: 429, retryAfter: 30 })
      const res = await request(server).get('/me').set('x-user', 'usr_1')
      expect(res.status).toBe(503)
      expect(res.headers['retry-after']).toBe('30')
      // 5xx: Koa shows the status text, not the message.
      expect(res.text).toBe('Service Unavailable')
      expect(errors).toHaveLength(1)
      expect(errors[0]).toBeInstanceOf(PolarSessionError)
      expect(errors[0]).toMatchObject({ code: 'rate_limited', status: 503, expose: false })
    })

    it('answers 401 with WWW-Authenticate when identify throws a PolarSessionError', async () => {
      const polar = fx.polar({
        identify: (ctx) => {
          if (ctx.get('authorization') === 'Bearer forged') {
            throw new PolarSessionError('unauthenticated', 'The bearer token is invalid.', {
              status: 401,
              headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
            })
          }
          return null
        },
      })
      const { server } = makeApp(polarSession(polar, { required: true }))
      const res = await request(server).get('/me').set('authorization', 'Bearer forged')
      expect(res.status).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"')
      expect(res.text).toBe('The bearer token is invalid.')
    })
  })

  describe('return_to', () => {
    it('resolves a relative path against the app origin (ctx.protocol + ctx.host)', async () => {
      const { server } = makeApp(polarSession(fx.polar(), { returnToParam: 'return_to', lazy: false }))
      const res = await request(server)
        .get('/me')
        .query({ return_to: '/account' })
        .set('Host', APP_HOST)
        .set('x-user', 'usr_1')
      expect(res.status).toBe(200)
      expect(res.body.returnUrl).toBe(`${APP_ORIGIN}/account`)
      expect(fx.newSessions().map((s) => s.returnUrl)).toEqual([`${APP_ORIGIN}/account`])
    })

    it("ignores the client's Origin header (Koa 3's ctx.origin) when resolving a relative path", async () => {
      const { server } = makeApp(
        polarSession(fx.polar({ allowedReturnOrigins: [APP_ORIGIN, 'http://evil.example'] }), {
          returnToParam: 'return_to',
          lazy: false,
        }),
      )
      const res = await request(server)
        .get('/me')
        .query({ return_to: '/account' })
        .set('Host', APP_HOST)
        .set('Origin', 'http://evil.example')
        .set('x-user', 'usr_1')
      expect(res.status).toBe(200)
      expect(res.body.returnUrl).toBe(`${APP_ORIGIN}/account`)
    })

    it.each(HOSTILE_RETURN_URLS)('refuses %s with 400 and no Location', async (hostile) => {
      const { server } = makeApp(polarSession(fx.polar(), { redirect: true, returnToParam: 'return_to' }))
      const res = await request(server)
        .get('/billing')
        .query({ return_to: hostile })
        .set('Host', APP_HOST)
        .set('x-user', 'usr_1')
      expect(res.status).toBe(400)
      expect(res.headers['location']).toBeUndefined()
      expect(fx.fake.stats.sessionsCreated).toBe(0)
    })

    it('refuses a repeated parameter with 400 when required', async () => {
      const { server } = makeApp(polarSession(fx.polar(), { returnToParam: 'return_to', required: true }))
      const res = await request(server)
        .get('/me?return_to=/a&return_to=/b')
        .set('Host', APP_HOST)
        .set('x-user', 'usr_1')
      expect(res.status).toBe(400)
      expect(res.text).toContain('return_to')
    })
  })
})

describe('polarSession options', () => {
  it('are checked when the middleware is mounted', () => {
    const polar = fx.polar()
    expect(() => polarSession(polar, { returnToParam: '' })).toThrow(/returnToParam/)
    expect(() => polarSession(polar, { retunToParam: 'return_to' } as never)).toThrow(
      'polarSession: unknown option "retunToParam"; did you mean returnToParam?',
    )
    expect(() => polarSession(polar, { lazy: 'yes' } as never)).toThrow(/lazy must be true or false/)
    expect(() => polarSession(polar, { minRemainingMs: Number.NaN })).toThrow(/minRemainingMs/)
    expect(() => polarSession(polar, { redirect: 1 as unknown as boolean })).toThrow(/redirect/)
    expect(() => polarSession(undefined as never)).toThrow(/createPolarSessions/)
  })

  it('is a named middleware function', () => {
    expect(polarSession(fx.polar(), { lazy: false }).name).toBe('polarSession')
  })
})
