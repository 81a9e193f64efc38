import type { FakeCustomer } from '@polar-session/testing'
import { beforeAll, describe, expect, it } from 'vitest'
import { delivery, WEBHOOK_SECRET, webhookSuite } from '../../../../test/support/adapter-suites/webhook.js'
import { harness, honoApp, MAJORS, useFixture } from '../test-support/fixtures.js'
import { polarWebhook } from './index.js'

const fx = useFixture()
let customer: FakeCustomer
beforeAll(() => {
  customer = fx.fake.customers().find((c) => c.externalId === 'usr_1')!
})

describe.each(MAJORS)('polarWebhook on $major ($version)', () => {
  webhookSuite(fx, harness())

  it('explains, with a 500, a body something read first (c.req.json())', async () => {
    const app = honoApp()
    app.use(async (c, next) => {
      await c.req.json()
      await next()
    })
    app.post('/webhooks/polar', polarWebhook(fx.polar(), { secret: WEBHOOK_SECRET }))
    const { body, headers } = delivery(customer, 'customer.updated')
    const res = await app.request('/webhooks/polar', { method: 'POST', headers, body })
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({
      error: 'webhook_body_parsed',
      message: expect.stringMatching(/before anything reads the body/),
    })
  })

  it('a body whose stream fails: 400, nothing left unhandled', async () => {
    const app = honoApp()
    app.post('/webhooks/polar', polarWebhook(fx.polar(), { secret: WEBHOOK_SECRET }))
    const broken = new ReadableStream({
      pull(controller) {
        controller.error(new Error('connection reset'))
      },
    })
    const res = await app.request('/webhooks/polar', { method: 'POST', body: broken, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(400)
    // A stray rejection shows up a turn later: let it, then look.
    await new Promise((resolve) => setImmediate(resolve))
    expect(fx.unhandled).toEqual([])
  })
})
