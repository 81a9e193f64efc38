import Router from '@koa/router'
import type { FakeCustomer } from '@polar-session/testing'
import type { Middleware } from 'koa'
import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { delivery, WEBHOOK_SECRET, webhookSuite } from '../../../../test/support/adapter-suites/webhook.js'
import { harness, MAJORS, useFixture } from '../test-support/fixtures.js'
import { polarWebhook } from './index.js'

const fx = useFixture()
let customer: FakeCustomer
beforeAll(() => {
  customer = fx.fake.customers().find((c) => c.externalId === 'usr_1')!
})

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
  webhookSuite(fx, harness(Koa))

  it('uses ctx.request.rawBody a parser kept; explains a parser that dropped it with a 500', async () => {
    const behind = (parser: Middleware) => {
      const app = new Koa()
      app.on('error', () => {})
      const router = new Router()
      router.post('/webhooks/polar', polarWebhook(fx.polar(), { secret: WEBHOOK_SECRET }))
      return app.use(parser).use(router.routes()).callback()
    }
    const { body, headers } = delivery(customer, 'customer.updated')
    const kept = await request(behind(jsonParser(true)))
      .post('/webhooks/polar')
      .set(headers)
      .send(body)
    expect([kept.status, kept.body]).toEqual([202, { received: true, invalidated: 2 }])
    const dropped = await request(behind(jsonParser(false)))
      .post('/webhooks/polar')
      .set(headers)
      .send(body)
    expect(dropped.status).toBe(500)
    expect(dropped.body.message).toMatch(/before the body parser/)
  })
})
