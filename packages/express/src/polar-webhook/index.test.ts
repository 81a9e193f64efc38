import type { FakeCustomer } from '@polar-session/testing'
import type { RequestHandler } from 'express'
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

describe.each(MAJORS)('polarWebhook on $major ($version)', ({ express }) => {
  webhookSuite(fx, harness(express))

  it('uses the Buffer express.raw() left; explains the mistake behind express.json() with a 500', async () => {
    const behind = (parser: RequestHandler) =>
      express()
        .use(parser)
        .post('/webhooks/polar', polarWebhook(fx.polar(), { secret: WEBHOOK_SECRET }))
    const { body, headers } = delivery(customer, 'customer.updated')
    const raw = await request(behind(express.raw({ type: '*/*' })))
      .post('/webhooks/polar')
      .set(headers)
      .send(body)
    expect([raw.status, raw.body]).toEqual([202, { received: true, invalidated: 2 }])
    const parsed = await request(behind(express.json())).post('/webhooks/polar').set(headers).send(body)
    expect(parsed.status).toBe(500)
    expect(parsed.body.message).toMatch(/before express\.json\(\)/)
  })
})
