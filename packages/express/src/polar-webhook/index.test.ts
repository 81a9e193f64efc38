import { signWebhook, type FakeCustomer } from '@polar-session/testing'
import type { Request } from 'express'
import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { polarSession } from '../polar-session/index.js'
import { MAJORS, useFixture } from '../test-support/fixtures.js'
import { VECTOR } from '../../../../test/support/adapter-suites/webhook.js'
import { polarWebhook } from './index.js'

const fx = useFixture()
const SECRET = 'whsec_express-webhook-test-0123456789abcdef'

let customer: FakeCustomer
beforeAll(() => {
  customer = fx.fake.customers().find((c) => c.externalId === 'usr_1')!
})

function delivery(type: string, opts: { timestamp?: number } = {}) {
  const body = JSON.stringify({
    type,
    timestamp: new Date().toISOString(),
    data: { id: customer.id, external_id: customer.externalId },
  })
  return { body, headers: { ...signWebhook(SECRET, body, opts), 'content-type': 'application/json' } }
}

describe.each(MAJORS)('polarWebhook on $major ($version)', ({ express }) => {
  function app(
    polar = fx.polar(),
    options: Parameters<typeof polarWebhook>[1] = { secret: SECRET },
    before: 'json' | 'raw' | null = null,
  ) {
    const a = express()
    if (before === 'json') a.use(express.json())
    if (before === 'raw') a.use(express.raw({ type: '*/*' }))
    a.post('/webhooks/polar', polarWebhook(polar, options))
    a.get('/session', polarSession(polar, { required: true }), (req: Request, res) =>
      res.json({ id: req.polarSession!.id }),
    )
    return a
  }

  it('verifies the reference test vector from the raw bytes', async () => {
    const res = await request(app(fx.polar(), { secret: VECTOR.secret, now: VECTOR.now }))
      .post('/webhooks/polar')
      .set(VECTOR.headers)
      .set('content-type', 'application/json')
      .send(VECTOR.body)
    expect([res.status, res.body]).toEqual([202, { received: true, invalidated: 0 }])
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('customer.deleted invalidates: the next request gets a new session', async () => {
    const a = app()
    const first = await request(a).get('/session').set('x-user', 'usr_1')
    expect((await request(a).get('/session').set('x-user', 'usr_1')).body.id).toBe(first.body.id)
    const { body, headers } = delivery('customer.deleted')
    const res = await request(a).post('/webhooks/polar').set(headers).send(body)
    expect([res.status, res.body]).toEqual([202, { received: true, invalidated: 2 }])
    const after = await request(a).get('/session').set('x-user', 'usr_1')
    expect(after.status).toBe(200)
    expect(after.body.id).not.toBe(first.body.id)
    expect(fx.fake.stats.sessionsCreated).toBe(2)
  })

  it('403 for a tampered body, a wrong secret and an old timestamp', async () => {
    const good = delivery('customer.deleted')
    const old = delivery('customer.deleted', { timestamp: Math.floor(Date.now() / 1000) - 600 })
    const attempts = [
      request(app()).post('/webhooks/polar').set(good.headers).send(good.body.replace('}}', ',"x":1}}')),
      request(app(fx.polar(), { secret: `${SECRET}0` }))
        .post('/webhooks/polar')
        .set(good.headers)
        .send(good.body),
      request(app()).post('/webhooks/polar').set(old.headers).send(old.body),
    ]
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403)
      expect(res.body).toMatchObject({ error: 'invalid_webhook', message: expect.stringMatching(/^Invalid webhook/) })
    }
  })

  it('uses the Buffer express.raw() left; explains the mistake behind express.json() with a 500', async () => {
    const { body, headers } = delivery('customer.updated')
    const raw = await request(app(fx.polar(), { secret: SECRET }, 'raw'))
      .post('/webhooks/polar')
      .set(headers)
      .send(body)
    expect([raw.status, raw.body]).toEqual([202, { received: true, invalidated: 2 }])
    const parsed = await request(app(fx.polar(), { secret: SECRET }, 'json'))
      .post('/webhooks/polar')
      .set(headers)
      .send(body)
    expect(parsed.status).toBe(500)
    expect(parsed.body.message).toMatch(/before express\.json\(\)/)
  })

  it('413 over 1 MiB (or maxBodyBytes), also without a content-length; 405 for GET', async () => {
    const big = Buffer.alloc(1024 * 1024 + 1, 'a')
    const res = await request(app()).post('/webhooks/polar').set('content-type', 'application/json').send(big)
    expect([res.status, res.body.error]).toEqual([413, 'payload_too_large'])
    const chunked = request(app(fx.polar(), { secret: SECRET, maxBodyBytes: 1000 })).post('/webhooks/polar')
    for (let i = 0; i < 5; i++) chunked.write(Buffer.alloc(300, 'b'))
    expect((await chunked).status).toBe(413)
    const get = await request(app()).get('/webhooks/polar')
    expect(get.status).toBe(404) // only POST is routed here; the handler itself answers 405:
    const any = express().use('/wh', polarWebhook(fx.polar(), { secret: SECRET }))
    const put = await request(any).put('/wh').send('x')
    expect([put.status, put.headers.allow]).toEqual([405, 'POST'])
  })

  it('refuses a missing secret at mount time', () => {
    expect(() => polarWebhook(fx.polar(), { secret: '' })).toThrow(/secret/)
    expect(() => polarWebhook({} as never, { secret: SECRET })).toThrow(/createPolarSessions/)
  })
})
