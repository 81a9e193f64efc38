import { PolarSessionError } from '@polar-session/core'
import type { ErrorRequestHandler, Request } from 'express'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { APP_HOST, APP_ORIGIN, HOSTILE_RETURN_URLS, MAJORS, useFixture } from '../test-support/fixtures.js'
import { polarSession } from './index.js'

const fx = useFixture()

describe.each(MAJORS)('polarSession on $major ($version)', ({ express }) => {
  /** An app whose /me reports what the middleware attached. */
  function attachApp(middleware: ReturnType<typeof polarSession>) {
    const app = express()
    app.use(middleware)
    app.get('/me', (req: Request, res) => {
      const session = req.polarSession
      res.json({
        attached: 'polarSession' in req,
        id: session?.id ?? null,
        customerId: session?.customerId ?? null,
        externalId: session?.customer.externalId ?? null,
        returnUrl: session?.returnUrl ?? null,
        expiresAt: session?.expiresAt.toISOString() ?? null,
        errorCode: req.polarSessionError?.code ?? null,
      })
    })
    return app
  }

  /** An app-wide attach middleware in front of routes that never use the session. */
  function appWideApp(middleware: ReturnType<typeof polarSession>) {
    const app = express()
    app.use(middleware)
    app.get('/', (req: Request, res) => {
      res.json({
        page: 'home',
        session: req.polarSession ? 'yes' : 'no',
        errorCode: req.polarSessionError?.code ?? null,
      })
    })
    app.post('/logout', (req: Request, res) => {
      res.json({ page: 'logout', errorCode: req.polarSessionError?.code ?? null })
    })
    return app
  }

  describe('eager attach mode (lazy: false)', () => {
    it('sets req.polarSession and reuses it on the next request', async () => {
      const app = attachApp(polarSession(fx.polar(), { lazy: false }))
      const first = await request(app).get('/me').set('x-user', 'usr_1')
      expect(first.status).toBe(200)
      expect(first.body).toMatchObject({ attached: true, externalId: 'usr_1', returnUrl: null })
      expect(first.body.id).toEqual(expect.any(String))
      expect(Date.parse(first.body.expiresAt)).toBeGreaterThan(Date.now() + 30 * 60_000)

      const second = await request(app).get('/me').set('x-user', 'usr_1')
      expect(second.status).toBe(200)
      expect(second.body.id).toBe(first.body.id)
      expect(fx.fake.stats.sessionsCreated).toBe(1)
    })

    it('lets anonymous requests through untouched, without calling Polar', async () => {
      const app = attachApp(polarSession(fx.polar(), { lazy: false }))
      const res = await request(app).get('/me')
      expect(res.status).toBe(200)
      expect(res.body).toEqual({
        attached: true,
        id: null,
        customerId: null,
        externalId: null,
        returnUrl: null,
        expiresAt: null,
        errorCode: null,
      })
      expect(fx.fake.stats.total).toBe(0)
    })

    it('answers 401 with WWW-Authenticate to anonymous requests when required', async () => {
      const app = attachApp(polarSession(fx.polar(), { required: true }))
      const res = await request(app).get('/me')
      expect(res.status).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Bearer')
      expect(fx.fake.stats.total).toBe(0)
      const identified = await request(app).get('/me').set('x-user', 'usr_1')
      expect(identified.status).toBe(200)
      expect(identified.body.attached).toBe(true)
    })
  })

  describe('eager attach mode never fails a request', () => {
    it('a signed-in user with no Polar customer yet: every route answers 200, the error is attached', async () => {
      const app = appWideApp(polarSession(fx.polar(), { lazy: false }))
      for (const [method, path] of [
        ['get', '/'],
        ['post', '/logout'],
        ['get', '/'],
      ] as const) {
        const res = await request(app)[method](path).set('x-user', 'usr_unknown')
        expect(res.status).toBe(200)
        expect(res.body.errorCode).toBe('customer_not_found')
      }
      // The unknown customer is remembered: three pages, one call to Polar.
      expect(fx.fake.stats.requests['POST /v1/customer-sessions/']).toBe(1)
    })

    it('Polar down: unrelated routes answer 200 with polar_unavailable attached', async () => {
      const app = appWideApp(polarSession(fx.polar({ deadlineMs: 2_000 }), { lazy: false }))
      fx.fake.fail({ kind: 'status', status: 503 }, { rate: 1 })
      const home = await request(app).get('/').set('x-user', 'usr_1')
      expect(home.status).toBe(200)
      expect(home.body).toEqual({ page: 'home', session: 'no', errorCode: 'polar_unavailable' })
      const logout = await request(app).post('/logout').set('x-user', 'usr_1')
      expect(logout.status).toBe(200)
      expect(logout.body.errorCode).toBe('polar_unavailable')
    })

    it('a revoked access token: unrelated routes answer 200 with polar_unauthorized attached', async () => {
      const token = fx.fake.addAccessToken()
      const app = appWideApp(polarSession(fx.polar({ accessToken: token }), { lazy: false }))
      fx.fake.revokeAccessToken(token)
      const res = await request(app).get('/').set('x-user', 'usr_1')
      expect(res.status).toBe(200)
      expect(res.body.errorCode).toBe('polar_unauthorized')
    })

    it("Polar's 429: the page is served, rate_limited attached", async () => {
      const app = appWideApp(polarSession(fx.polar({ maxRetryAfterMs: 1_000 }), { lazy: false }))
      fx.fake.fail({ kind: 'status', status: 429, retryAfter: 30 })
      const res = await request(app).get('/').set('x-user', 'usr_1')
      expect(res.status).toBe(200)
      expect(res.body.errorCode).toBe('rate_limited')
    })

    it('identify rejecting with a plain error: 200, internal_error attached with the original as cause', async () => {
      const failure = new Error('db down')
      let attached: unknown
      const app = express()
      app.use(polarSession(fx.polar({ identify: async () => Promise.reject(failure) }), { lazy: false }))
      app.get('/', (req: Request, res) => {
        attached = req.polarSessionError
        res.send('home')
      })
      const res = await request(app).get('/').set('x-user', 'usr_1').timeout(5_000)
      expect(res.status).toBe(200)
      expect(attached).toBeInstanceOf(PolarSessionError)
      expect(attached).toMatchObject({ code: 'internal_error', status: 500, expose: false, cause: failure })
      expect(fx.unhandled).toEqual([])
    })

    it('a hostile or repeated return_to: the page is served, invalid_return_url attached, nothing created', async () => {
      const app = attachApp(polarSession(fx.polar(), { returnToParam: 'return_to', lazy: false }))
      for (const query of ['return_to=/a&return_to=/b', `return_to=${encodeURIComponent('https://evil.example/')}`]) {
        const res = await request(app).get(`/me?${query}`).set('Host', APP_HOST).set('x-user', 'usr_1')
        expect(res.status).toBe(200)
        expect(res.body).toMatchObject({ id: null, errorCode: 'invalid_return_url' })
      }
      expect(fx.fake.stats.total).toBe(0)
    })
  })

  describe('redirect mode', () => {
    it('sends identified requests to the exact portal URL with 303 and no-store', async () => {
      const polar = fx.polar()
      const app = express()
      app.use('/billing', polarSession(polar, { redirect: true }))
      const res = await request(app).get('/billing').set('x-user', 'usr_1')
      expect(res.status).toBe(303)
      expect(res.text ?? '').not.toContain('customer_session_token') // no body repeating the credential
      expect(res.headers['cache-control']).toBe('no-store')
      // The cached session the middleware used: same instance, same key, no second creation.
      const session = await polar.getSession({ externalCustomerId: 'usr_1' })
      expect(res.headers['location']).toBe(session.customerPortalUrl)
      expect(res.headers['location']).toContain(`customer_session_token=${fx.newSessions()[0]!.token}`)
      expect(fx.fake.stats.sessionsCreated).toBe(1)
    })

    it('answers 401 to anonymous requests', async () => {
      const app = express()
      app.use('/billing', polarSession(fx.polar(), { redirect: true }))
      app.get('/billing', (_req, res) => res.send('should not be reached'))
      const res = await request(app).get('/billing')
      expect(res.status).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Bearer')
      expect(res.headers['location']).toBeUndefined()
    })

    it('lets anonymous requests through with required: false', async () => {
      const app = express()
      app.use('/billing', polarSession(fx.polar(), { redirect: true, required: false }))
      app.get('/billing', (_req, res) => res.send('sign in first'))
      const res = await request(app).get('/billing')
      expect(res.status).toBe(200)
      expect(res.text).toBe('sign in first')
    })
  })

  describe('with required: true, errors reach Express through next(err)', () => {
    it('answers 404 with a helpful message for an unknown customer', async () => {
      const app = attachApp(polarSession(fx.polar(), { required: true }))
      const res = await request(app).get('/me').set('x-user', 'usr_unknown')
      expect(res.status).toBe(404)
      // Express's default handler shows the stack outside production: the error's name and message.
      expect(res.text).toContain('PolarSessionError')
      expect(res.text).toContain('Polar has no customer with this external id')
    })

    it('hands the PolarSessionError (code customer_not_found) to the app error handler exactly once', async () => {
      const seen: unknown[] = []
      let reachedRoute = false
      const app = express()
      app.use(polarSession(fx.polar(), { required: true }))
      app.get('/me', (_req, res) => {
        reachedRoute = true
        res.send('no')
      })
      const handler: ErrorRequestHandler = (err: PolarSessionError, _req, res, _next) => {
        seen.push(err)
        res.status(err.status).json(err.toJSON())
      }
      app.use(handler)
      const res = await request(app).get('/me').set('x-user', 'usr_unknown')
      expect(res.status).toBe(404)
      expect(res.body).toMatchObject({ error: 'customer_not_found', status: 404 })
      expect(seen).toHaveLength(1)
      expect(seen[0]).toBeInstanceOf(PolarSessionError)
      expect(reachedRoute).toBe(false)
    })

    it('does not call next(err) a second time when a later handler throws', async () => {
      const seen: unknown[] = []
      const app = express()
      app.use(polarSession(fx.polar(), { lazy: false }))
      app.get('/boom', () => {
        throw new Error('boom')
      })
      const handler: ErrorRequestHandler = (err: Error, _req, res, _next) => {
        seen.push(err)
        res.status(500).send(err.message)
      }
      app.use(handler)
      const res = await request(app).get('/boom').set('x-user', 'usr_1')
      expect(res.status).toBe(500)
      expect(res.text).toBe('boom')
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(seen).toHaveLength(1)
    })

    it("turns Polar's 429 into 503 with Retry-After", async () => {
      const app = attachApp(polarSession(fx.polar({ maxRetryAfterMs: 1_000 }), { required: true }))
      fx.fake.fail({ kind: 'status', status: 429, retryAfter: 30 })
      const res = await request(app).get('/me').set('x-user', 'usr_1')
      expect(res.status).toBe(503)
      expect(res.headers['retry-after']).toBe('30')
      expect(fx.fake.stats.rateLimited).toBeGreaterThanOrEqual(1)
    })

    it('answers 401 with WWW-Authenticate when identify throws a PolarSessionError', async () => {
      const polar = fx.polar({
        identify: (req) => {
          if (req.get('authorization') === 'Bearer forged') {
            throw new PolarSessionError('unauthenticated', 'The bearer token is invalid.', {
              status: 401,
              headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
            })
          }
          return null
        },
      })
      const app = attachApp(polarSession(polar, { required: true }))
      const res = await request(app).get('/me').set('authorization', 'Bearer forged')
      expect(res.status).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"')
      expect(res.text).toContain('The bearer token is invalid.')
    })

    it('answers 500 (not a hang, not an unhandled rejection) when identify rejects with a plain error', async () => {
      const app = attachApp(
        polarSession(fx.polar({ identify: async () => Promise.reject(new Error('db down')) }), { required: true }),
      )
      const res = await request(app).get('/me').set('x-user', 'usr_1').timeout(5_000)
      expect(res.status).toBe(500)
      expect(res.text).toContain('db down')
    })
  })

  describe('return_to', () => {
    it('resolves a relative path against the app origin', async () => {
      const app = attachApp(polarSession(fx.polar(), { returnToParam: 'return_to', lazy: false }))
      const res = await request(app)
        .get('/me')
        .query({ return_to: '/account' })
        .set('Host', APP_HOST)
        .set('x-user', 'usr_1')
      expect(res.status).toBe(200)
      expect(res.body.returnUrl).toBe(`${APP_ORIGIN}/account`)
      expect(fx.newSessions().map((s) => s.returnUrl)).toEqual([`${APP_ORIGIN}/account`])
    })

    it.each(HOSTILE_RETURN_URLS)('refuses %s with 400 and no Location', async (hostile) => {
      const app = express()
      app.use(polarSession(fx.polar(), { redirect: true, returnToParam: 'return_to' }))
      const res = await request(app)
        .get('/billing')
        .query({ return_to: hostile })
        .set('Host', APP_HOST)
        .set('x-user', 'usr_1')
      expect(res.status).toBe(400)
      expect(res.headers['location']).toBeUndefined()
      expect(fx.fake.stats.sessionsCreated).toBe(0)
    })

    it('refuses a repeated parameter with 400 when required', async () => {
      const app = attachApp(polarSession(fx.polar(), { returnToParam: 'return_to', required: true }))
      const res = await request(app).get('/me?return_to=/a&return_to=/b').set('Host', APP_HOST).set('x-user', 'usr_1')
      expect(res.status).toBe(400)
      expect(res.text).toContain('return_to')
    })

    it('refuses a bracketed parameter where the query parser makes it an object', async () => {
      const app = attachApp(polarSession(fx.polar(), { returnToParam: 'return_to', required: true }))
      const res = await request(app)
        .get('/me?return_to[href]=https://evil.example')
        .set('Host', APP_HOST)
        .set('x-user', 'usr_1')
      // Express 4's 'extended' parser builds an object (refused); Express 5's 'simple' parser
      // keeps `return_to[href]` as another name, so return_to is simply absent.
      if (app.get('query parser') === 'extended') {
        expect(res.status).toBe(400)
      } else {
        expect(res.status).toBe(200)
        expect(res.body.returnUrl).toBeNull()
      }
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
    expect(() => polarSession(polar, { minRemainingMs: -1 })).toThrow(/minRemainingMs/)
    expect(() => polarSession(polar, { redirect: 'yes' as unknown as boolean })).toThrow(/redirect/)
    expect(() => polarSession({} as never)).toThrow(/createPolarSessions/)
  })

  it('is a named middleware function', () => {
    expect(polarSession(fx.polar(), { lazy: false }).name).toBe('polarSession')
  })
})
