import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { delivery, WEBHOOK_SECRET, webhookSuite } from '../../../../test/support/adapter-suites/webhook.js'
import type { FakeCustomer } from '@polar-session/testing'
import { appMaker, harness, MAJORS, useFixture } from '../test-support/fixtures.js'
import { polarWebhook } from './index.js'

const fx = useFixture()
let customer: FakeCustomer
beforeAll(() => {
  customer = fx.fake.customers().find((c) => c.externalId === 'usr_1')!
})

describe.each(MAJORS)('polarWebhook on $major ($version)', ({ Fastify }) => {
  webhookSuite(fx, harness(Fastify))

  const start = appMaker(Fastify)

  it("keeps the raw body beside Fastify's JSON parser, which every other route still gets", async () => {
    const { target } = await start((app) => {
      app.register(polarWebhook(fx.polar(), { secret: WEBHOOK_SECRET }), { prefix: '/webhooks/polar' })
      app.post('/echo', async (req) => ({ parsed: req.body }))
    })
    const { body, headers } = delivery(customer, 'customer.updated')
    const res = await request(target).post('/webhooks/polar').set(headers).send(body)
    expect([res.status, res.body.received]).toEqual([202, true])
    const echo = await request(target).post('/echo').send({ a: 1 })
    expect(echo.body).toEqual({ parsed: { a: 1 } })
  })

  it('keeps the raw body when the app brings its own parsers (JSON and catch-all), registered first', async () => {
    const { target } = await start((app) => {
      app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) =>
        done(null, { own: String(text).length }),
      )
      app.addContentTypeParser('*', (_req, _payload, done) => done(null, 'swallowed'))
      app.register(polarWebhook(fx.polar(), { secret: WEBHOOK_SECRET }), { prefix: '/webhooks/polar' })
      app.post('/echo', async (req) => ({ parsed: req.body }))
    })
    const { body, headers } = delivery(customer, 'customer.deleted')
    const res = await request(target).post('/webhooks/polar').set(headers).send(body)
    expect([res.status, res.body.received]).toEqual([202, true])
    const plain = delivery(customer, 'customer.deleted')
    const asText = await request(target)
      .post('/webhooks/polar')
      .set({ ...plain.headers, 'content-type': 'text/plain' })
      .send(plain.body)
    expect(asText.status).toBe(202)
    expect((await request(target).post('/echo').send({ a: 1 })).body).toEqual({ parsed: { own: 7 } })
  })

  it('a client that goes away mid-body: no answer is needed, nothing is left unhandled', async () => {
    const { app } = await start((scope) => {
      scope.register(polarWebhook(fx.polar(), { secret: WEBHOOK_SECRET }), { prefix: '/webhooks/polar' })
    })
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/polar',
      headers: { 'content-type': 'application/json', 'content-length': '100' },
      payload: '{"type":',
      simulate: { end: false, split: false, error: false, close: true },
    })
    expect(res.statusCode).toBe(400)
    // A stray rejection shows up a turn later: let it, then look.
    await new Promise((resolve) => setImmediate(resolve))
    expect(fx.unhandled).toEqual([])
  })
})
