// The same middleware and handlers through app.request() (a Fetch Request in, a Response out, no
// socket: how Hono runs on Bun, Deno and Workers): attach and reuse, the portal's 303 and JSON,
// 401, Polar's errors with their status, a hostile return URL, webhook invalidation.
import type { PolarSessions } from '@polar-session/core'
import type { Context } from 'hono'
import { describe, expect, it } from 'vitest'
import { delivery, WEBHOOK_SECRET } from '../../../test/support/adapter-suites/webhook.js'
import { honoApp, MAJORS, useFixture } from './test-support/fixtures.js'
import { polarPortal, polarSession, polarWebhook } from './index.js'

const fx = useFixture()

describe.each(MAJORS)('app.request() on $major ($version)', () => {
  function build(polar: PolarSessions<Context> = fx.polar({ allowedReturnOrigins: ['http://localhost'] })) {
    const app = honoApp()
    app.get('/portal', polarPortal(polar, { returnToParam: 'return_to' }))
    app.post('/webhooks/polar', polarWebhook(polar, { secret: WEBHOOK_SECRET }))
    app.use(polarSession(polar, { lazy: false }))
    app.get('/me', (c) =>
      c.json({ id: c.get('polarSession')?.id ?? null, error: c.get('polarSessionError')?.code ?? null }),
    )
    return app
  }
  const as = (user?: string, headers: Record<string, string> = {}) => ({
    headers: user ? { 'x-user': user, ...headers } : headers,
  })

  it('attaches and reuses the session; anonymous requests pass untouched', async () => {
    const app = build()
    const first = await (await app.request('/me', as('usr_1'))).json()
    expect(first).toEqual({ id: expect.any(String), error: null })
    expect(await (await app.request('/me', as('usr_1'))).json()).toEqual(first)
    expect(await (await app.request('/me')).json()).toEqual({ id: null, error: null })
    expect(fx.fake.stats.sessionsCreated).toBe(1)
  })

  it('portal: 303 with no-store and no body, JSON for JSON clients, 401 when anonymous', async () => {
    const polar = fx.polar()
    const app = build(polar)
    const redirect = await app.request('/portal', as('usr_1'))
    const session = await polar.getSession({ externalCustomerId: 'usr_1' })
    expect([
      redirect.status,
      redirect.headers.get('location'),
      redirect.headers.get('cache-control'),
      await redirect.text(),
    ]).toEqual([303, session.customerPortalUrl, 'no-store', ''])
    const json = await app.request('/portal', as('usr_1', { accept: 'application/json' }))
    expect(await json.json()).toEqual({ url: session.customerPortalUrl, expiresAt: session.expiresAt.toISOString() })
    const anonymous = await app.request('/portal')
    expect([anonymous.status, anonymous.headers.get('www-authenticate')]).toEqual([401, 'Bearer'])
  })

  it("Polar's errors with their status and code; a relative return_to works and a hostile one is a 400", async () => {
    const app = build(fx.polar({ maxRetryAfterMs: 1_000, allowedReturnOrigins: ['http://localhost'] }))
    const unknown = await app.request('/portal', as('usr_unknown'))
    expect([unknown.status, (await unknown.json()).error]).toEqual([404, 'customer_not_found'])
    const hostile = await app.request('/portal?return_to=%2F%2Fevil.example', as('usr_1'))
    expect([hostile.status, (await hostile.json()).error, hostile.headers.get('location')]).toEqual([
      400,
      'invalid_return_url',
      null,
    ])
    // app.request('/path') is http://localhost/path: that is the app's origin here.
    const relative = await app.request('/portal?return_to=%2Faccount', as('usr_1', { accept: 'application/json' }))
    expect(relative.status).toBe(200)
    expect(fx.newSessions().map((s) => s.returnUrl)).toEqual(['http://localhost/account'])
    fx.fake.fail({ kind: 'status', status: 429, retryAfter: 30 })
    const limited = await app.request('/portal', as('usr_2'))
    expect([limited.status, limited.headers.get('retry-after'), (await limited.json()).error]).toEqual([
      503,
      '30',
      'rate_limited',
    ])
  })

  it('a webhook invalidates: the next request gets a new session', async () => {
    const app = build()
    const before = await (await app.request('/me', as('usr_1'))).json()
    const customer = fx.fake.customers().find((c) => c.externalId === 'usr_1')!
    const { body, headers } = delivery(customer, 'customer.deleted')
    const res = await app.request('/webhooks/polar', { method: 'POST', headers, body })
    expect([res.status, (await res.json()).received]).toEqual([202, true])
    const after = await (await app.request('/me', as('usr_1'))).json()
    expect(after.id).not.toBe(before.id)
    expect(fx.fake.stats.sessionsCreated).toBe(2)
  })
})
