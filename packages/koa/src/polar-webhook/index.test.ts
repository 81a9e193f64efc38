import Router from '@koa/router'
import { signWebhook, type FakeCustomer } from '@polar-session/testing'
import type { Middleware } from 'koa'
import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { MAJORS, useFixture } from '../test-support/fixtures.js'
import { polarSession } from '../polar-session/index.js'
import { VECTOR } from '../../../../test/support/adapter-suites/webhook.js'
import { polarWebhook } from './index.js'

const fx = useFixture()
const SECRET = 'whsec_koa-webhook-test-0123456789abcdef'

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

/** A stand-in for koa-bodyparser: reads ctx.req, parses JSON, keeps the raw text or not. */
const jsonParser =
  (keepRaw: boolean): Middleware =>
  async (ctx, next) => {
    const chunks: Buffer[] = []
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    const req = ctx.request as { body?: unknown; rawBody?: string }
    req.body = JSON.parse(text)
    if (keepRaw) req.rawBody = text
    await next()
  }

describe.each(MAJORS)('polarWebhook on $major ($version)', ({ Koa }) => {
  function app(
    polar = fx.polar(),
    options: Parameters<typeof polarWebhook>[1] = { secret: SECRET },
    parser?: Middleware,
  ) {
    const a = new Koa()
    a.on('error', () => {})
    if (parser) a.use(parser)
    const router = new Router()
    router.post('/webhooks/polar', polarWebhook(polar, options))
    router.get('/session', polarSession(polar, { required: true }), (ctx) => {
      ctx.body = { id: ctx.state.polarSession!.id }
    })
    a.use(router.routes())
    return a.callback()
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

  it('uses ctx.request.rawBody a parser kept; explains a parser that dropped it with a 500', async () => {
    const { body, headers } = delivery('customer.updated')
    const kept = await request(app(fx.polar(), { secret: SECRET }, jsonParser(true)))
      .post('/webhooks/polar')
      .set(headers)
      .send(body)
    expect([kept.status, kept.body]).toEqual([202, { received: true, invalidated: 2 }])
    const dropped = await request(app(fx.polar(), { secret: SECRET }, jsonParser(false)))
      .post('/webhooks/polar')
      .set(headers)
      .send(body)
    expect(dropped.status).toBe(500)
    expect(dropped.body.message).toMatch(/before the body parser/)
  })

  it('413 over 1 MiB (or maxBodyBytes), also without a content-length; 405 for other methods', async () => {
    const big = Buffer.alloc(1024 * 1024 + 1, 'a')
    const res = await request(app()).post('/webhooks/polar').set('content-type', 'application/json').send(big)
    expect([res.status, res.body.error]).toEqual([413, 'payload_too_large'])
    const chunked = request(app(fx.polar(), { secret: SECRET, maxBodyBytes: 1000 })).post('/webhooks/polar')
    for (let i = 0; i < 5; i++) chunked.write(Buffer.alloc(300, 'b'))
    expect((await chunked).status).toBe(413)
    const bare = new Koa().use(polarWebhook(fx.polar(), { secret: SECRET }))
    const put = await request(bare.callback()).put('/').send('x')
    expect([put.status, put.headers.allow]).toEqual([405, 'POST'])
  })

  it('refuses a missing secret at mount time', () => {
    expect(() => polarWebhook(fx.polar(), { secret: '' })).toThrow(/secret/)
    expect(() => polarWebhook({} as never, { secret: SECRET })).toThrow(/createPolarSessions/)
  })
})
