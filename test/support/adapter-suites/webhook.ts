// polarWebhook() over real HTTP, for any framework's harness: the reference vector,
// invalidation, forgeries, size and method limits. How the framework keeps the raw body beside
// its own body parsers is tested in each package.
import { signWebhook, type FakeCustomer } from '@polar-session/testing'
import request from 'supertest'
import { beforeAll, expect, it } from 'vitest'
import type { Fixture } from './fixture.js'
import type { Harness } from './harness.js'
import { WEBHOOK_VECTOR as VECTOR } from '../webhook-vector.js'

export const WEBHOOK_SECRET = 'whsec_adapter-webhook-test-0123456789abcdef'

/** A signed delivery of `type` about `customer`, as Polar sends it (JSON). */
export function delivery(customer: FakeCustomer, type: string, opts: { timestamp?: number } = {}) {
  const body = JSON.stringify({
    type,
    timestamp: new Date().toISOString(),
    data: { id: customer.id, external_id: customer.externalId },
  })
  return { body, headers: { ...signWebhook(WEBHOOK_SECRET, body, opts), 'content-type': 'application/json' } }
}

export function webhookSuite<Req>(fx: Fixture<Req>, harness: Harness<Req>): void {
  let customer: FakeCustomer
  beforeAll(() => {
    customer = fx.fake.customers().find((c) => c.externalId === 'usr_1')!
  })
  const app = (
    polar = fx.polar(),
    options: { secret: string; maxBodyBytes?: number; now?: () => number } = { secret: WEBHOOK_SECRET },
  ) => harness.webhookApp(polar, options).then((built) => built.target)

  it('verifies the reference test vector from the raw bytes', async () => {
    const res = await request(await app(fx.polar(), { secret: VECTOR.secret, now: VECTOR.now }))
      .post('/webhooks/polar')
      .set(VECTOR.headers)
      .set('content-type', 'application/json')
      .send(VECTOR.body)
    expect([res.status, res.body]).toEqual([202, { received: true, invalidated: 0 }])
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('customer.deleted invalidates: the next request gets a new session', async () => {
    const target = await app()
    const first = await request(target).get('/session').set('x-user', 'usr_1')
    expect((await request(target).get('/session').set('x-user', 'usr_1')).body.id).toBe(first.body.id)
    const { body, headers } = delivery(customer, 'customer.deleted')
    const res = await request(target).post('/webhooks/polar').set(headers).send(body)
    expect([res.status, res.body]).toEqual([202, { received: true, invalidated: 2 }])
    const after = await request(target).get('/session').set('x-user', 'usr_1')
    expect(after.status).toBe(200)
    expect(after.body.id).not.toBe(first.body.id)
    expect(fx.fake.stats.sessionsCreated).toBe(2)
  })

  it('403 for a tampered body, a wrong secret and an old timestamp', async () => {
    const good = delivery(customer, 'customer.deleted')
    const old = delivery(customer, 'customer.deleted', { timestamp: Math.floor(Date.now() / 1000) - 600 })
    const attempts = [
      request(await app())
        .post('/webhooks/polar')
        .set(good.headers)
        .send(good.body.replace('}}', ',"x":1}}')),
      request(await app(fx.polar(), { secret: `${WEBHOOK_SECRET}0` }))
        .post('/webhooks/polar')
        .set(good.headers)
        .send(good.body),
      request(await app())
        .post('/webhooks/polar')
        .set(old.headers)
        .send(old.body),
    ]
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403)
      expect(res.body).toMatchObject({ error: 'invalid_webhook', message: expect.stringMatching(/^Invalid webhook/) })
    }
  })

  it('413 over 1 MiB (or maxBodyBytes), also without a content-length; 405 with Allow for other methods', async () => {
    const big = Buffer.alloc(1024 * 1024 + 1, 'a')
    const res = await request(await app())
      .post('/webhooks/polar')
      .set('content-type', 'application/json')
      .send(big)
    expect([res.status, res.body.error]).toEqual([413, 'payload_too_large'])
    const chunked = request(await app(fx.polar(), { secret: WEBHOOK_SECRET, maxBodyBytes: 1000 })).post(
      '/webhooks/polar',
    )
    for (let i = 0; i < 5; i++) chunked.write(Buffer.alloc(300, 'b'))
    expect((await chunked).status).toBe(413)
    const put = await request(await app())
      .put('/webhooks/polar')
      .send('x')
    expect([put.status, put.headers.allow]).toEqual([405, 'POST'])
  })

  it('refuses a missing secret or a wrong instance at mount time', () => {
    expect(() => harness.polarWebhook(fx.polar(), { secret: '' })).toThrow(/secret/)
    expect(() => harness.polarWebhook({} as never, { secret: WEBHOOK_SECRET })).toThrow(/createPolarSessions/)
  })
}
