// Lazy attach (the default) and the attach share of the creation budget, over real HTTP.
import type { Request } from 'express'
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

describe.each(MAJORS)('lazy polarSession on $major ($version)', ({ express }) => {
  /** `/page` never needs a session; `/billing-info` asks for one (twice, to show it is one creation). */
  function lazyApp(middleware: ReturnType<typeof polarSession>) {
    const app = express()
    app.use(middleware)
    app.get('/page', (req: Request, res) => {
      res.json({
        session: req.polarSession?.id ?? null,
        error: req.polarSessionError?.code ?? null,
        lazy: typeof req.getPolarSession,
      })
    })
    app.get('/billing-info', (req: Request, res, next) => {
      Promise.all([req.getPolarSession!(), req.getPolarSession!()]).then(([a, b]) => {
        res.json({
          same: a === b,
          session: a?.id ?? null,
          attached: req.polarSession?.id ?? null,
          error: req.polarSessionError?.code ?? null,
        })
      }, next)
    })
    return app
  }

  it('100 signed-in users browsing pages that do not use a session cost 0 creations', async () => {
    const app = lazyApp(polarSession(fx.polar()))
    const answers = await Promise.all(USERS.map((user) => request(app).get('/page').set('x-user', user)))
    for (const res of answers) expect(res.body).toEqual({ session: null, error: null, lazy: 'function' })
    expect(fx.fake.stats.total).toBe(0)
  })

  it('the first getPolarSession() creates exactly one; later requests find req.polarSession set, without a call', async () => {
    const app = lazyApp(polarSession(fx.polar()))
    const first = await request(app).get('/billing-info').set('x-user', 'lazy_1')
    expect(first.body).toMatchObject({ same: true, error: null })
    expect(first.body.attached).toBe(first.body.session)
    expect(posts()).toBe(1)
    const later = await Promise.all([1, 2, 3].map(() => request(app).get('/page').set('x-user', 'lazy_1')))
    for (const res of later) expect(res.body.session).toBe(first.body.session)
    expect(posts()).toBe(1)
  })

  it('concurrent getPolarSession() calls for one user, across requests, share one creation', async () => {
    const app = lazyApp(polarSession(fx.polar()))
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => request(app).get('/billing-info').set('x-user', 'lazy_2')),
    )
    expect(new Set(answers.map((res) => res.body.session)).size).toBe(1)
    expect(posts()).toBe(1)
  })

  it('errors follow the soft rules: the page is served, the session null, the error attached', async () => {
    const app = lazyApp(polarSession(fx.polar()))
    const unknown = await request(app).get('/billing-info').set('x-user', 'lazy_nobody')
    expect(unknown.status).toBe(200)
    expect(unknown.body).toEqual({ same: true, session: null, attached: null, error: 'customer_not_found' })
    fx.fake.fail({ kind: 'status', status: 429, retryAfter: 60 })
    const limited = await request(app).get('/billing-info').set('x-user', 'lazy_3')
    expect(limited.status).toBe(200)
    expect(limited.body.error).toBe('rate_limited')
  })

  it('anonymous requests: null, no error, and getPolarSession() resolves null without calling Polar', async () => {
    const app = lazyApp(polarSession(fx.polar()))
    const res = await request(app).get('/billing-info')
    expect(res.body).toEqual({ same: true, session: null, attached: null, error: null })
    expect(fx.fake.stats.total).toBe(0)
  })

  it('maxCreationsPerMinute 10: 20 users on eager attach routes get at most 5; then 5 portal visits are all served', async () => {
    const polar = fx.polar({ maxCreationsPerMinute: 10 })
    const app = express()
    app.get('/portal', polarPortal(polar))
    app.use(polarSession(polar, { lazy: false }))
    app.get('/page', (req: Request, res) =>
      res.json({ session: req.polarSession?.id ?? null, error: req.polarSessionError?.code ?? null }),
    )
    const pages = await Promise.all(USERS.slice(0, 20).map((user) => request(app).get('/page').set('x-user', user)))
    expect(pages.every((res) => res.status === 200)).toBe(true)
    const attached = pages.filter((res) => res.body.session !== null)
    expect(attached.length).toBeLessThanOrEqual(5)
    expect(pages.filter((res) => res.body.error === 'rate_limited')).toHaveLength(20 - attached.length)
    const portal = await Promise.all(USERS.slice(20, 25).map((user) => request(app).get('/portal').set('x-user', user)))
    expect(portal.map((res) => res.status)).toEqual([303, 303, 303, 303, 303])
    expect(posts()).toBe(attached.length + 5)
  })
})
