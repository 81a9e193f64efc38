import { PolarSessionError } from '@polar-session/core'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { sessionSuite, sessionOptionsSuite } from '../../../../test/support/adapter-suites/session.js'
import { APP_HOST, APP_ORIGIN, harness, MAJORS, useFixture } from '../test-support/fixtures.js'
import { polarSession } from './index.js'

const fx = useFixture()

describe.each(MAJORS)('polarSession on $major ($version)', ({ Koa }) => {
  const suite = harness(Koa)
  sessionSuite(fx, suite)

  it('sets ctx.state.polarSession on every request it lets through: null for anonymous ones', async () => {
    const app = new Koa()
    app.use(polarSession(fx.polar(), { lazy: false }))
    app.use((ctx) => {
      const session = ctx.state.polarSession
      ctx.body = { set: 'polarSession' in ctx.state, id: session === null ? null : session?.id }
    })
    const server = app.callback()
    expect((await request(server).get('/me')).body).toEqual({ set: true, id: null })
    expect((await request(server).get('/me').set('x-user', 'usr_1')).body).toEqual({
      set: true,
      id: expect.any(String),
    })
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
    const app = new Koa()
    app.use(async (ctx, next) => {
      context = ctx
      await next()
    })
    app.use(polarSession(polar, { lazy: false }))
    app.use((ctx) => {
      ctx.body = { id: ctx.state.polarSession?.id ?? null }
    })
    const res = await request(app.callback()).get('/me').set('x-user', 'usr_1')
    expect([res.status, res.body.id]).toEqual([200, expect.any(String)])
    expect(seen).toHaveLength(1)
    expect(seen[0]).toBe(context)
  })

  it('redirects with an empty body whatever the Accept header (not ctx.redirect()\'s "Redirecting to …")', async () => {
    const { target } = await suite.app(fx.polar(), { session: { redirect: true } })
    for (const accept of ['text/html', '*/*']) {
      const res = await request(target).get('/billing').set('x-user', 'usr_1').set('Accept', accept)
      expect([res.status, res.text ?? '']).toEqual([303, ''])
    }
  })

  it('emits the PolarSessionError on the app; a 5xx answers its status text only', async () => {
    const { target, errors } = await suite.app(fx.polar({ maxRetryAfterMs: 1_000 }), { session: { required: true } })
    fx.fake.fail({ kind: 'status', status: 429, retryAfter: 30 })
    const res = await request(target).get('/me').set('x-user', 'usr_1')
    expect([res.status, res.text]).toEqual([503, 'Service Unavailable'])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(PolarSessionError)
    expect(errors[0]).toMatchObject({ code: 'rate_limited', status: 503, expose: false })
  })

  it("ignores the client's Origin header (Koa 3's ctx.origin) when resolving a relative return_to", async () => {
    const polar = fx.polar({ allowedReturnOrigins: [APP_ORIGIN, 'http://evil.example'] })
    const { target } = await suite.app(polar, { session: { returnToParam: 'return_to', lazy: false } })
    const res = await request(target)
      .get('/me')
      .query({ return_to: '/account' })
      .set({ Host: APP_HOST, Origin: 'http://evil.example', 'x-user': 'usr_1' })
    expect([res.status, res.body.returnUrl]).toEqual([200, `${APP_ORIGIN}/account`])
  })
})

sessionOptionsSuite(fx, polarSession)
