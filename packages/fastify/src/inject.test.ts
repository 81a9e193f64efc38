// The same plugin and routes through app.inject() (light-my-request, no socket): attach and reuse,
// the portal's 303 and JSON, 401, Polar's errors with their status, a hostile return URL, webhook
// invalidation.
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { APP_HOST } from '../../../test/support/adapter-suites/fixture.js'
import { delivery, WEBHOOK_SECRET } from '../../../test/support/adapter-suites/webhook.js'
import { MAJORS, useFixture } from './test-support/fixtures.js'
import { polarPortal, polarSession, polarWebhook } from './index.js'

const fx = useFixture()

describe.each(MAJORS)('app.inject() on $major ($version)', ({ Fastify }) => {
  let app: FastifyInstance
  afterEach(() => app.close())

  async function build(polar = fx.polar()) {
    app = Fastify()
    app.get('/portal', polarPortal(polar, { returnToParam: 'return_to' }))
    app.register(polarWebhook(polar, { secret: WEBHOOK_SECRET }), { prefix: '/webhooks/polar' })
    app.register(async (scope) => {
      await scope.register(polarSession, { polar, lazy: false })
      scope.get('/me', async (req) => ({
        id: req.polarSession?.id ?? null,
        error: req.polarSessionError?.code ?? null,
      }))
    })
    await app.ready()
    return app
  }
  const me = (user?: string) =>
    app.inject({ url: '/me', headers: user ? { 'x-user': user } : {} }).then((res) => res.json())

  it('attaches and reuses the session; anonymous requests pass untouched', async () => {
    await build()
    const first = await me('usr_1')
    expect(first).toEqual({ id: expect.any(String), error: null })
    expect(await me('usr_1')).toEqual(first)
    expect(await me()).toEqual({ id: null, error: null })
    expect(fx.fake.stats.sessionsCreated).toBe(1)
  })

  it('portal: 303 with no-store and no body, JSON for JSON clients, 401 when anonymous', async () => {
    const polar = fx.polar()
    await build(polar)
    const redirect = await app.inject({ url: '/portal', headers: { 'x-user': 'usr_1' } })
    const session = await polar.getSession({ externalCustomerId: 'usr_1' })
    expect([
      redirect.statusCode,
      redirect.headers['location'],
      redirect.headers['cache-control'],
      redirect.body,
    ]).toEqual([303, session.customerPortalUrl, 'no-store', ''])
    const json = await app.inject({ url: '/portal', headers: { 'x-user': 'usr_1', accept: 'application/json' } })
    expect(json.json()).toEqual({ url: session.customerPortalUrl, expiresAt: session.expiresAt.toISOString() })
    const anonymous = await app.inject({ url: '/portal' })
    expect([anonymous.statusCode, anonymous.headers['www-authenticate']]).toEqual([401, 'Bearer'])
  })

  it("Polar's errors with their status, statusCode and code; a hostile return URL is a 400", async () => {
    await build(fx.polar({ maxRetryAfterMs: 1_000 }))
    const unknown = await app.inject({ url: '/portal', headers: { 'x-user': 'usr_unknown' } })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toMatchObject({ statusCode: 404, code: 'customer_not_found' })
    const hostile = await app.inject({
      url: '/portal?return_to=%2F%2Fevil.example',
      headers: { 'x-user': 'usr_1', host: APP_HOST },
    })
    expect([hostile.statusCode, hostile.json().code, hostile.headers['location']]).toEqual([
      400,
      'invalid_return_url',
      undefined,
    ])
    fx.fake.fail({ kind: 'status', status: 429, retryAfter: 30 })
    const limited = await app.inject({ url: '/portal', headers: { 'x-user': 'usr_1' } })
    expect([limited.statusCode, limited.headers['retry-after'], limited.json().code]).toEqual([
      503,
      '30',
      'rate_limited',
    ])
  })

  it('a webhook invalidates: the next request gets a new session', async () => {
    await build()
    const before = await me('usr_1')
    const customer = fx.fake.customers().find((c) => c.externalId === 'usr_1')!
    const { body, headers } = delivery(customer, 'customer.deleted')
    const res = await app.inject({ method: 'POST', url: '/webhooks/polar', headers, payload: body })
    expect([res.statusCode, res.json().received]).toEqual([202, true])
    const after = await me('usr_1')
    expect(after.id).not.toBe(before.id)
    expect(fx.fake.stats.sessionsCreated).toBe(2)
  })
})
