import { signWebhook, startFakePolar, type FakeCustomer, type FakePolar } from '@polar-session/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createPolarSessions, type PolarSessions } from '../create-polar-sessions.js'
import { PolarSessionError } from '../errors.js'
import { createWebhookHandler } from '../fetch/webhook-handler.js'
import { handleWebhook } from './handler.js'
import { WEBHOOK_VECTOR as VECTOR } from '../../../../test/support/webhook-vector.js'

const SECRET = 'whsec_handler-test-secret-0123456789abcdef'

let fake: FakePolar
let jane: FakeCustomer
const opened: PolarSessions[] = []

function polar(): PolarSessions {
  const instance = createPolarSessions({ accessToken: fake.accessToken, baseUrl: fake.url })
  opened.push(instance)
  return instance
}

/** A signed delivery of `type` about `customer`, as Polar sends it. */
function delivery(type: string, customer: FakeCustomer, opts: { timestamp?: number } = {}) {
  const rawBody = JSON.stringify({
    type,
    timestamp: new Date().toISOString(),
    data: {
      id: customer.id,
      external_id: customer.externalId,
      email: customer.email,
      type: customer.type,
      deleted_at: null,
    },
  })
  return { rawBody, headers: { ...signWebhook(SECRET, rawBody, opts) } }
}

beforeAll(async () => {
  fake = await startFakePolar()
  jane = fake.addCustomer({ externalId: 'usr_jane', email: 'jane@example.com' })
})
afterEach(async () => {
  await Promise.all(opened.splice(0).map((p) => p.close()))
})
afterAll(async () => {
  await fake.close()
})

describe('handleWebhook', () => {
  it('verifies the reference test vector (its id "x" is no cache key: nothing invalidated)', async () => {
    const answer = await handleWebhook(polar(), {
      rawBody: VECTOR.body,
      headers: VECTOR.headers,
      secret: VECTOR.secret,
      now: VECTOR.now,
    })
    expect(answer).toEqual({ status: 202, body: { received: true, invalidated: 0 } })
  })

  it('customer.deleted drops the cached sessions under both ids: the next call creates one', async () => {
    const p = polar()
    const before = await p.getSession({ externalCustomerId: 'usr_jane' })
    expect((await p.getSession({ externalCustomerId: 'usr_jane' })).id).toBe(before.id)
    const answer = await handleWebhook(p, { ...delivery('customer.deleted', jane), secret: SECRET })
    expect(answer).toEqual({ status: 202, body: { received: true, invalidated: 2 } })
    expect((await p.getSession({ externalCustomerId: 'usr_jane' })).id).not.toBe(before.id)
  })

  it("member.updated drops that member's cached session: its portal URL carries the member's old email", async () => {
    const team = fake.addCustomer({
      externalId: 'team_w',
      email: 'team@example.com',
      type: 'team',
      members: [{ email: 'alice@example.com' }],
    })
    const alice = team.members[0]!
    const p = polar()
    const before = await p.getSession({ customerId: team.id, memberId: alice.id })
    expect(new URL(before.customerPortalUrl).searchParams.get('email')).toBe('alice@example.com')
    const rawBody = JSON.stringify({
      type: 'member.updated',
      timestamp: new Date().toISOString(),
      data: {
        id: alice.id,
        customer_id: team.id,
        email: 'alice@new.example.org',
        name: null,
        external_id: null,
        role: 'owner',
      },
    })
    const answer = await handleWebhook(p, { rawBody, headers: { ...signWebhook(SECRET, rawBody) }, secret: SECRET })
    expect(answer).toEqual({ status: 202, body: { received: true, invalidated: 1 } })
    expect((await p.getSession({ customerId: team.id, memberId: alice.id })).id).not.toBe(before.id)
  })

  it('other event types are acknowledged and leave the cache alone', async () => {
    const p = polar()
    const before = await p.getSession({ externalCustomerId: 'usr_jane' })
    const answer = await handleWebhook(p, { ...delivery('customer.state_changed', jane), secret: SECRET })
    expect(answer).toEqual({ status: 202, body: { received: true, invalidated: 0 } })
    expect((await p.getSession({ externalCustomerId: 'usr_jane' })).id).toBe(before.id)
  })

  it('403 for a tampered body, a wrong secret, an old timestamp, a missing header', async () => {
    const p = polar()
    const good = delivery('customer.deleted', jane)
    const old = delivery('customer.deleted', jane, { timestamp: Math.floor(Date.now() / 1000) - 301 })
    const { ['webhook-signature']: _, ...unsigned } = good.headers
    const cases = [
      { rawBody: good.rawBody.replace('usr_jane', 'usr_john'), headers: good.headers, secret: SECRET },
      { ...good, secret: `${SECRET}x` },
      { ...old, secret: SECRET },
      { rawBody: good.rawBody, headers: unsigned, secret: SECRET },
    ]
    for (const input of cases) {
      const answer = await handleWebhook(p, input)
      expect(answer.status).toBe(403)
      expect(answer.body).toMatchObject({
        error: 'invalid_webhook',
        message: expect.stringMatching(/^Invalid webhook: /),
      })
    }
  })

  it('503 when an invalidation cannot be recorded, so Polar delivers again', async () => {
    const broken = { invalidate: () => Promise.reject(new Error('store down')) }
    const answer = await handleWebhook(broken, { ...delivery('customer.deleted', jane), secret: SECRET })
    expect(answer).toMatchObject({ status: 503, body: { error: 'invalidation_failed' } })
    const invalidId = {
      invalidate: () => Promise.reject(new PolarSessionError('invalid_identity', 'bad', { status: 400 })),
    }
    expect(await handleWebhook(invalidId, { ...delivery('customer.deleted', jane), secret: SECRET })).toMatchObject({
      status: 202,
      body: { invalidated: 0 },
    })
  })

  it('refuses a missing secret or a non-instance as configuration errors', async () => {
    await expect(handleWebhook(polar(), { ...delivery('customer.deleted', jane), secret: '' })).rejects.toThrow(
      TypeError,
    )
    await expect(
      handleWebhook({} as PolarSessions, { ...delivery('customer.deleted', jane), secret: SECRET }),
    ).rejects.toThrow(TypeError)
  })
})

describe('createWebhookHandler', () => {
  const post = (body: BodyInit, headers: Record<string, string>) =>
    new Request('http://app.example.com/webhooks/polar', {
      method: 'POST',
      body,
      headers,
      duplex: 'half',
    } as RequestInit)

  it('verifies the reference vector and a live delivery from the raw bytes', async () => {
    const vector = createWebhookHandler(polar(), { secret: VECTOR.secret, now: VECTOR.now })
    const res = await vector(post(VECTOR.body, VECTOR.headers))
    expect(res.status).toBe(202)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.json()).toEqual({ received: true, invalidated: 0 })

    const handler = createWebhookHandler(polar(), { secret: SECRET })
    const live = delivery('customer.updated', jane)
    const ok = await handler(post(new TextEncoder().encode(live.rawBody), live.headers))
    expect([ok.status, await ok.json()]).toEqual([202, { received: true, invalidated: 2 }])
  })

  it('403 for tampered bytes, wrong secret and an old timestamp', async () => {
    const handler = createWebhookHandler(polar(), { secret: SECRET })
    const good = delivery('customer.deleted', jane)
    const old = delivery('customer.deleted', jane, { timestamp: Math.floor(Date.now() / 1000) - 3600 })
    for (const req of [post(`${good.rawBody} `, good.headers), post(old.rawBody, old.headers)]) {
      const res = await handler(req)
      expect([res.status, (await res.json()).error]).toEqual([403, 'invalid_webhook'])
    }
    const wrong = await createWebhookHandler(polar(), { secret: `${SECRET}x` })(post(good.rawBody, good.headers))
    expect(wrong.status).toBe(403)
  })

  it('405 for other methods, 413 over the cap (declared or streamed)', async () => {
    const handler = createWebhookHandler(polar(), { secret: SECRET, maxBodyBytes: 100 })
    const get = await handler(new Request('http://app.example.com/webhooks/polar'))
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST'])
    expect((await handler(post('x'.repeat(101), {}))).status).toBe(413)
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(64)) // endless, with no content-length: cut at the cap
      },
    })
    expect((await handler(post(stream, {}))).status).toBe(413)
  })

  it('refuses a missing secret at creation', () => {
    expect(() => createWebhookHandler(polar(), { secret: '' })).toThrow(/secret/)
    expect(() => createWebhookHandler(polar(), { secret: SECRET, maxBodyBytes: 0 })).toThrow(/maxBodyBytes/)
  })
})
