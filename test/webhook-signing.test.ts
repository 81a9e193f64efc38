// Polar's webhook signatures, checked against an independent implementation: the
// `standardwebhooks` package, configured as Polar's SDK configures it (the key is
// base64(utf8(secret)), so the whole `whsec_…` string is the HMAC key). The fake's signer
// and the core's verifier must both agree with it, on the reference test vector and on
// live deliveries; the usual Standard Webhooks key convention must not.
import { PolarSessionError, verifyWebhook } from '@polar-session/core'
import { signWebhook } from '@polar-session/testing'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { WEBHOOK_VECTOR as VECTOR } from './support/webhook-vector.js'

const SECRET = 'whsec_live-delivery-secret-0123456789'

/** The Webhook object Polar's SDK builds: new Webhook(base64(utf8(secret))). */
const polarConvention = (secret: string) => new Webhook(Buffer.from(secret, 'utf8').toString('base64'))

const event = (type: string) =>
  JSON.stringify({ type, timestamp: new Date().toISOString(), data: { id: 'c0ffee00-0000-4000-8000-000000000000' } })

describe("webhook signing, against the standardwebhooks library with Polar's key", () => {
  it('the library reproduces the reference test vector', () => {
    const signature = polarConvention(VECTOR.secret).sign(VECTOR.id, new Date(VECTOR.timestamp * 1000), VECTOR.body)
    expect(signature).toBe(VECTOR.signature)
  })

  it("the fake's signer agrees with the library: same signature, and the library verifies it", () => {
    expect(
      signWebhook(VECTOR.secret, VECTOR.body, { id: VECTOR.id, timestamp: VECTOR.timestamp })['webhook-signature'],
    ).toBe(polarConvention(VECTOR.secret).sign(VECTOR.id, new Date(VECTOR.timestamp * 1000), VECTOR.body))
    const body = event('customer.updated')
    const headers = signWebhook(SECRET, body)
    expect(polarConvention(SECRET).verify(body, { ...headers })).toEqual(JSON.parse(body))
  })

  it("the core's verifier accepts what the library signs, the test vector included", () => {
    const vector = verifyWebhook(
      VECTOR.body,
      { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature },
      VECTOR.secret,
      { now: () => VECTOR.timestamp * 1000 },
    )
    expect(vector.type).toBe('customer.deleted')
    const body = event('member.updated')
    const id = 'msg_live_1'
    const timestamp = Math.floor(Date.now() / 1000)
    const signature = polarConvention(SECRET).sign(id, new Date(timestamp * 1000), body)
    const verified = verifyWebhook(
      body,
      { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature },
      SECRET,
    )
    expect(verified).toMatchObject({ type: 'member.updated', webhookId: id })
  })

  it('all three reject a signature made with the usual convention (whsec_ stripped, the rest base64-decoded)', () => {
    // A secret whose remainder is valid base64, so the usual convention can sign at all.
    const secret = `whsec_${Buffer.from('another-secret-of-32-bytes-long!').toString('base64')}`
    const body = event('customer.deleted')
    const id = 'msg_usual_1'
    const timestamp = Math.floor(Date.now() / 1000)
    const usual = new Webhook(secret).sign(id, new Date(timestamp * 1000), body)
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': usual }
    expect(usual).not.toBe(signWebhook(secret, body, { id, timestamp })['webhook-signature'])
    expect(() => polarConvention(secret).verify(body, headers)).toThrow()
    expect(() => verifyWebhook(body, headers, secret)).toThrow(PolarSessionError)
  })

  it('a tampered body fails in the library and in the core alike', () => {
    const body = event('customer.deleted')
    const headers = signWebhook(SECRET, body)
    const tampered = body.replace('customer.deleted', 'customer.updated')
    expect(() => polarConvention(SECRET).verify(tampered, { ...headers })).toThrow()
    expect(() => verifyWebhook(tampered, { ...headers }, SECRET)).toThrow(PolarSessionError)
  })
})
