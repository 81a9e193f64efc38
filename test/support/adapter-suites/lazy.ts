// Lazy attach (the default of polarSession()) and the attach share of the creation budget, over
// real HTTP, for any framework's harness.
import request from 'supertest'
import { beforeAll, expect, it } from 'vitest'
import type { Fixture } from './fixture.js'
import type { Harness } from './harness.js'

const USERS = Array.from({ length: 100 }, (_, i) => `lazy_${i}`)

export function lazySuite<Req>(fx: Fixture<Req>, harness: Harness<Req>): void {
  beforeAll(() => {
    if (fx.fake.customers().some((c) => c.externalId === USERS[0])) return
    for (const user of USERS) fx.fake.addCustomer({ externalId: user, email: `${user}@example.com` })
  })

  it('100 signed-in users browsing pages that do not use a session cost 0 creations', async () => {
    const { target } = await harness.app(fx.polar(), { session: {} })
    const answers = await Promise.all(USERS.map((user) => request(target).get('/page').set('x-user', user)))
    for (const res of answers) expect(res.body).toEqual({ session: null, error: null, lazy: 'function' })
    expect(fx.fake.stats.total).toBe(0)
  })

  it('the first getPolarSession() creates exactly one; later requests find the session attached, without a call', async () => {
    const { target } = await harness.app(fx.polar(), { session: {} })
    const first = await request(target).get('/billing-info').set('x-user', 'lazy_1')
    expect(first.body).toMatchObject({ same: true, error: null })
    expect(first.body.attached).toBe(first.body.session)
    expect(fx.posts()).toBe(1)
    const later = await Promise.all([1, 2, 3].map(() => request(target).get('/page').set('x-user', 'lazy_1')))
    for (const res of later) expect(res.body.session).toBe(first.body.session)
    expect(fx.posts()).toBe(1)
  })

  it('concurrent getPolarSession() calls for one user, across requests, share one creation', async () => {
    const { target } = await harness.app(fx.polar(), { session: {} })
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => request(target).get('/billing-info').set('x-user', 'lazy_2')),
    )
    expect(new Set(answers.map((res) => res.body.session)).size).toBe(1)
    expect(fx.posts()).toBe(1)
  })

  it('errors follow the soft rules: the page is served, the session null, the error attached', async () => {
    const { target } = await harness.app(fx.polar(), { session: {} })
    const unknown = await request(target).get('/billing-info').set('x-user', 'lazy_nobody')
    expect(unknown.status).toBe(200)
    expect(unknown.body).toEqual({
      same: true,
      session: null,
      attached: null,
      error: 'customer_not_found',
      lazy: 'function',
    })
    fx.fake.fail({ kind: 'status', status: 429, retryAfter: 60 })
    const limited = await request(target).get('/billing-info').set('x-user', 'lazy_3')
    expect([limited.status, limited.body.error]).toEqual([200, 'rate_limited'])
  })

  it('anonymous requests: null, no error, and getPolarSession() resolves null without calling Polar', async () => {
    const { target } = await harness.app(fx.polar(), { session: {} })
    const res = await request(target).get('/billing-info')
    expect(res.body).toEqual({ same: true, session: null, attached: null, error: null, lazy: 'function' })
    expect(fx.fake.stats.total).toBe(0)
  })

  it('maxCreationsPerMinute 10: 20 users on eager attach routes get at most 5; then 5 portal visits are all served', async () => {
    const { target } = await harness.app(fx.polar({ maxCreationsPerMinute: 10 }), {
      session: { lazy: false },
      portal: {},
    })
    const pages = await Promise.all(USERS.slice(0, 20).map((user) => request(target).get('/page').set('x-user', user)))
    expect(pages.every((res) => res.status === 200)).toBe(true)
    const attached = pages.filter((res) => res.body.session !== null)
    expect(attached.length).toBeLessThanOrEqual(5)
    expect(pages.filter((res) => res.body.error === 'rate_limited')).toHaveLength(20 - attached.length)
    const portal = await Promise.all(
      USERS.slice(20, 25).map((user) => request(target).get('/portal').set('x-user', user)),
    )
    expect(portal.map((res) => res.status)).toEqual([303, 303, 303, 303, 303])
    expect(fx.posts()).toBe(attached.length + 5)
  })
}
