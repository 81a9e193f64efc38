// Lazy attach (the default) and the attach share of the creation budget, over real HTTP.
import Router from '@koa/router'
import type { Middleware } from 'koa'
import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { MAJORS, useFixture } from '../test-support/fixtures.js'
import { polarPortal } from '../polar-portal/index.js'
import { polarSession } from './index.js'

const fx = useFixture()
const USERS = Array.from({ length: 100 }, (_, i) => `lazy_${i}`)
const posts = (): number => fx.fake.stats.requests['POST /v1/customer-sessions/'] ?? 0

beforeAll(() => {
  for (const user of USERS) fx.fake.addCustomer({ externalId: user, email: `${user}@example.com` })
})

describe.each(MAJORS)('lazy polarSession on $major ($version)', ({ Koa }) => {
  /** `/page` never needs a session; `/billing-info` asks for one (twice: still one creation). */
  function lazyApp(middleware: Middleware) {
    const app = new Koa()
    app.on('error', () => {})
    app.use(middleware)
    const router = new Router()
    router.get('/page', (ctx) => {
      const { polarSession: session, polarSessionError: error, getPolarSession } = ctx.state
      ctx.body = { session: session?.id ?? null, error: error?.code ?? null, lazy: typeof getPolarSession }
    })
    router.get('/billing-info', async (ctx) => {
      const [a, b] = await Promise.all([ctx.state.getPolarSession!(), ctx.state.getPolarSession!()])
      ctx.body = {
        same: a === b,
        session: a?.id ?? null,
        attached: ctx.state.polarSession?.id ?? null,
        error: ctx.state.polarSessionError?.code ?? null,
      }
    })
    app.use(router.routes())
    return app.callback()
  }

  it('100 signed-in users browsing pages that do not use a session cost 0 creations', async () => {
    const server = lazyApp(polarSession(fx.polar()))
    const answers = await Promise.all(USERS.map((user) => request(server).get('/page').set('x-user', user)))
    for (const res of answers) expect(res.body).toEqual({ session: null, error: null, lazy: 'function' })
    expect(fx.fake.stats.total).toBe(0)
  })

  it('the first getPolarSession() creates exactly one; later requests find ctx.state.polarSession set, without a call', async () => {
    const server = lazyApp(polarSession(fx.polar()))
    const first = await request(server).get('/billing-info').set('x-user', 'lazy_1')
    expect(first.body).toMatchObject({ same: true, error: null })
    expect(first.body.attached).toBe(first.body.session)
    expect(posts()).toBe(1)
    const later = await Promise.all([1, 2, 3].map(() => request(server).get('/page').set('x-user', 'lazy_1')))
    for (const res of later) expect(res.body.session).toBe(first.body.session)
    expect(posts()).toBe(1)
  })

  it('errors follow the soft rules: the page is served, the session null, the error attached', async () => {
    const server = lazyApp(polarSession(fx.polar()))
    const unknown = await request(server).get('/billing-info').set('x-user', 'lazy_nobody')
    expect(unknown.status).toBe(200)
    expect(unknown.body).toEqual({ same: true, session: null, attached: null, error: 'customer_not_found' })
  })

  it('maxCreationsPerMinute 10: 20 users on eager attach routes get at most 5; then 5 portal visits are all served', async () => {
    const polar = fx.polar({ maxCreationsPerMinute: 10 })
    const app = new Koa()
    app.on('error', () => {})
    const router = new Router()
    router.get('/portal', polarPortal(polar))
    const attach = polarSession(polar, { lazy: false })
    router.get('/page', attach, (ctx) => {
      ctx.body = { session: ctx.state.polarSession?.id ?? null, error: ctx.state.polarSessionError?.code ?? null }
    })
    app.use(router.routes())
    const server = app.callback()
    const pages = await Promise.all(USERS.slice(0, 20).map((user) => request(server).get('/page').set('x-user', user)))
    expect(pages.every((res) => res.status === 200)).toBe(true)
    const attached = pages.filter((res) => res.body.session !== null)
    expect(attached.length).toBeLessThanOrEqual(5)
    expect(pages.filter((res) => res.body.error === 'rate_limited')).toHaveLength(20 - attached.length)
    const portal = await Promise.all(
      USERS.slice(20, 25).map((user) => request(server).get('/portal').set('x-user', user)),
    )
    expect(portal.map((res) => res.status)).toEqual([303, 303, 303, 303, 303])
    expect(posts()).toBe(attached.length + 5)
  })
})
