import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { type PolarSessionError, isPolarSessionError } from '../errors.js'
import { MAX_WEBHOOK_BODY_BYTES, verifyWebhook } from './verify.js'

// The test vector from reference/polar-api.md.
const VECTOR = {
  secret: 'whsec_TESTSECRETabcdefghijklmnopqrstuvwxyz012345',
  id: '0f0e2c1a-6d7b-4c55-9d8e-1a2b3c4d5e6f',
  timestamp: '1767225600',
  body: '{"type":"customer.deleted","timestamp":"2026-01-01T00:00:00Z","data":{"id":"x"}}',
  signature: 'v1,wKrfiMS/KQSA/Yo7C7B3LUMgZu5wsHLb5jDHqrL2My4=',
}
const atVector = () => Number(VECTOR.timestamp) * 1000

function vectorHeaders(signature = VECTOR.signature): Record<string, string> {
  return { 'webhook-id': VECTOR.id, 'webhook-timestamp': VECTOR.timestamp, 'webhook-signature': signature }
}

/** Signs like Polar: HMAC-SHA256 keyed with the whole secret string, whsec_ included. */
function sign(secret: string | Buffer, id: string, timestamp: string, body: string | Uint8Array): string {
  const mac = createHmac('sha256', typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret)
  mac.update(`${id}.${timestamp}.`)
  mac.update(body)
  return `v1,${mac.digest('base64')}`
}

/** Runs `fn`, expecting an invalid_webhook error, and returns its message. */
function rejection(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(isPolarSessionError(error, 'invalid_webhook')).toBe(true)
    const e = error as PolarSessionError
    expect(e.status).toBe(403)
    expect(e.expose).toBe(true)
    return e.message
  }
  throw new Error('expected verifyWebhook to throw')
}

describe('verifyWebhook', () => {
  it('verifies the reference test vector and parses the event', () => {
    const event = verifyWebhook(VECTOR.body, vectorHeaders(), VECTOR.secret, { now: atVector })
    expect(event).toEqual({
      type: 'customer.deleted',
      timestamp: new Date('2026-01-01T00:00:00Z'),
      data: { id: 'x' },
      webhookId: VECTOR.id,
    })
  })

  it('accepts the body as bytes, and Fetch Headers with any case', () => {
    const headers = new Headers({
      'Webhook-Id': VECTOR.id,
      'Webhook-Timestamp': VECTOR.timestamp,
      'Webhook-Signature': VECTOR.signature,
    })
    const bytes = new TextEncoder().encode(VECTOR.body)
    expect(verifyWebhook(bytes, headers, VECTOR.secret, { now: atVector }).type).toBe('customer.deleted')
    const upper = {
      'Webhook-Id': VECTOR.id,
      'WEBHOOK-TIMESTAMP': VECTOR.timestamp,
      'webhook-signature': VECTOR.signature,
    }
    expect(verifyWebhook(VECTOR.body, upper, VECTOR.secret, { now: atVector }).type).toBe('customer.deleted')
  })

  it('verifies a body signed here with a random secret, at the current time', () => {
    const secret = `whsec_${randomBytes(24).toString('base64')}`
    const id = `msg_${randomBytes(8).toString('hex')}`
    const timestamp = String(Math.floor(Date.now() / 1000))
    const body = JSON.stringify({
      type: 'member.deleted',
      timestamp: new Date().toISOString(),
      data: { id: 'm1', customer_id: 'c1', external_id: 'ü-ñ' },
    })
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': sign(secret, id, timestamp, body),
    }
    const event = verifyWebhook(body, headers, secret)
    expect(event.type).toBe('member.deleted')
    expect(event.data).toEqual({ id: 'm1', customer_id: 'c1', external_id: 'ü-ñ' })
  })

  it('checks the raw bytes: an equivalent re-serialised body fails', () => {
    const spaced = VECTOR.body.replace('"data":', '"data": ')
    expect(JSON.parse(spaced)).toEqual(JSON.parse(VECTOR.body))
    expect(rejection(() => verifyWebhook(spaced, vectorHeaders(), VECTOR.secret, { now: atVector }))).toMatch(
      /no webhook signature matches/,
    )
  })

  it('rejects a tampered body', () => {
    const tampered = VECTOR.body.replace('"x"', '"y"')
    rejection(() => verifyWebhook(tampered, vectorHeaders(), VECTOR.secret, { now: atVector }))
  })

  it('rejects a tampered id or timestamp (both are signed)', () => {
    const otherId = { ...vectorHeaders(), 'webhook-id': '0f0e2c1a-6d7b-4c55-9d8e-1a2b3c4d5e60' }
    rejection(() => verifyWebhook(VECTOR.body, otherId, VECTOR.secret, { now: atVector }))
    const otherTs = { ...vectorHeaders(), 'webhook-timestamp': '1767225601' }
    rejection(() => verifyWebhook(VECTOR.body, otherTs, VECTOR.secret, { now: atVector }))
  })

  it('rejects a wrong secret', () => {
    rejection(() =>
      verifyWebhook(VECTOR.body, vectorHeaders(), 'whsec_TESTSECRETabcdefghijklmnopqrstuvwxyz012346', {
        now: atVector,
      }),
    )
  })

  it('rejects signatures made with the usual convention (whsec_ stripped, rest base64-decoded)', () => {
    const stripped = VECTOR.secret.slice('whsec_'.length)
    const decoded = Buffer.from(stripped, 'base64')
    for (const key of [stripped, decoded]) {
      const signature = sign(key, VECTOR.id, VECTOR.timestamp, VECTOR.body)
      expect(signature).not.toBe(VECTOR.signature)
      rejection(() => verifyWebhook(VECTOR.body, vectorHeaders(signature), VECTOR.secret, { now: atVector }))
    }
    // ...and verifying with the stripped secret fails on Polar's own signature.
    rejection(() => verifyWebhook(VECTOR.body, vectorHeaders(), stripped, { now: atVector }))
  })

  it('rejects a timestamp more than 5 minutes old or ahead; accepts within the tolerance', () => {
    const sentMs = atVector()
    expect(verifyWebhook(VECTOR.body, vectorHeaders(), VECTOR.secret, { now: () => sentMs + 300_000 }).type).toBe(
      'customer.deleted',
    )
    expect(verifyWebhook(VECTOR.body, vectorHeaders(), VECTOR.secret, { now: () => sentMs - 300_000 }).type).toBe(
      'customer.deleted',
    )
    expect(
      rejection(() => verifyWebhook(VECTOR.body, vectorHeaders(), VECTOR.secret, { now: () => sentMs + 301_000 })),
    ).toMatch(/more than 300 seconds/)
    rejection(() => verifyWebhook(VECTOR.body, vectorHeaders(), VECTOR.secret, { now: () => sentMs - 301_000 }))
    // The real clock is years past the vector: the default `now` rejects it.
    rejection(() => verifyWebhook(VECTOR.body, vectorHeaders(), VECTOR.secret))
    // A custom tolerance.
    rejection(() =>
      verifyWebhook(VECTOR.body, vectorHeaders(), VECTOR.secret, { now: () => sentMs + 61_000, toleranceSec: 60 }),
    )
  })

  it('rejects a non-numeric timestamp', () => {
    for (const ts of ['abc', '1767225600.5', '-1767225600', '1e9']) {
      rejection(() =>
        verifyWebhook(VECTOR.body, { ...vectorHeaders(), 'webhook-timestamp': ts }, VECTOR.secret, { now: atVector }),
      )
    }
  })

  it('rejects each missing or empty header', () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const missing: Record<string, string | undefined> = { ...vectorHeaders(), [name]: undefined }
      expect(rejection(() => verifyWebhook(VECTOR.body, missing, VECTOR.secret, { now: atVector }))).toContain(name)
      const empty = { ...vectorHeaders(), [name]: '' }
      expect(rejection(() => verifyWebhook(VECTOR.body, empty, VECTOR.secret, { now: atVector }))).toContain(name)
    }
    rejection(() => verifyWebhook(VECTOR.body, {}, VECTOR.secret, { now: atVector }))
  })

  it('accepts several signatures when one matches; ignores other versions', () => {
    const wrong = `v1,${randomBytes(32).toString('base64')}`
    const list = `v1a,${randomBytes(64).toString('base64')} ${wrong} ${VECTOR.signature}`
    expect(verifyWebhook(VECTOR.body, vectorHeaders(list), VECTOR.secret, { now: atVector }).type).toBe(
      'customer.deleted',
    )
    // Repeated headers: an array in a Node header record, a ", "-joined value in Fetch Headers.
    const asArray = { ...vectorHeaders(), 'webhook-signature': [wrong, VECTOR.signature] }
    expect(verifyWebhook(VECTOR.body, asArray, VECTOR.secret, { now: atVector }).type).toBe('customer.deleted')
    const fetchHeaders = new Headers(vectorHeaders(wrong))
    fetchHeaders.append('webhook-signature', VECTOR.signature)
    expect(verifyWebhook(VECTOR.body, fetchHeaders, VECTOR.secret, { now: atVector }).type).toBe('customer.deleted')
  })

  it('rejects when no signature matches, including the right MAC under another version or truncated', () => {
    const mac = VECTOR.signature.slice(3)
    for (const sig of [`v1,${randomBytes(32).toString('base64')}`, `v2,${mac}`, mac, `v1,${mac.slice(0, 20)}`, 'v1,']) {
      rejection(() => verifyWebhook(VECTOR.body, vectorHeaders(sig), VECTOR.secret, { now: atVector }))
    }
  })

  it('rejects a body over the size cap before hashing it', () => {
    const big = 'x'.repeat(MAX_WEBHOOK_BODY_BYTES + 1)
    expect(rejection(() => verifyWebhook(big, vectorHeaders(), VECTOR.secret, { now: atVector }))).toMatch(
      /larger than/,
    )
    rejection(() => verifyWebhook(VECTOR.body, vectorHeaders(), VECTOR.secret, { now: atVector, maxBodyBytes: 10 }))
  })

  it('rejects a correctly signed body that is not an event', () => {
    const timestamp = VECTOR.timestamp
    for (const body of [
      'not json',
      '[]',
      '{"type":"x"}',
      '{"type":"x","data":{}}',
      '{"data":{},"timestamp":"2026-01-01T00:00:00Z"}',
      '{"type":"x","data":[],"timestamp":"2026-01-01T00:00:00Z"}',
      '{"type":"x","data":{},"timestamp":"never"}',
    ]) {
      const headers = { ...vectorHeaders(), 'webhook-signature': sign(VECTOR.secret, VECTOR.id, timestamp, body) }
      expect(
        rejection(() => verifyWebhook(body, headers, VECTOR.secret, { now: atVector })),
        body,
      ).toMatch(/not (JSON|an event)/)
    }
    const invalidUtf8 = Uint8Array.from([0x7b, 0xff, 0x7d])
    const headers = { ...vectorHeaders(), 'webhook-signature': sign(VECTOR.secret, VECTOR.id, timestamp, invalidUtf8) }
    rejection(() => verifyWebhook(invalidUtf8, headers, VECTOR.secret, { now: atVector }))
  })

  it('never puts the secret, the signature or the body in an error message', () => {
    const messages = [
      rejection(() => verifyWebhook(VECTOR.body, vectorHeaders('v1,AAAA'), VECTOR.secret, { now: atVector })),
      rejection(() => verifyWebhook(VECTOR.body, vectorHeaders(), VECTOR.secret)),
    ]
    for (const message of messages) {
      expect(message).not.toContain('TESTSECRET')
      expect(message).not.toContain('AAAA')
      expect(message).not.toContain('customer.deleted')
    }
  })

  it('refuses an empty secret as a configuration error', () => {
    expect(() => verifyWebhook(VECTOR.body, vectorHeaders(), '', { now: atVector })).toThrow(TypeError)
  })
})
