import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signWebhook } from './webhooks.js'

const SECRET = 'whsec_TESTSECRETabcdefghijklmnopqrstuvwxyz012345'
const ID = '0f0e2c1a-6d7b-4c55-9d8e-1a2b3c4d5e6f'
const BODY = '{"type":"customer.deleted","timestamp":"2026-01-01T00:00:00Z","data":{"id":"x"}}'

describe('signWebhook', () => {
  it('matches the test vector in polar-api.md', () => {
    expect(signWebhook(SECRET, BODY, { id: ID, timestamp: 1767225600 })).toEqual({
      'webhook-id': ID,
      'webhook-timestamp': '1767225600',
      'webhook-signature': 'v1,wKrfiMS/KQSA/Yo7C7B3LUMgZu5wsHLb5jDHqrL2My4=',
    })
  })

  it('keys the HMAC with the whole secret, not the Standard Webhooks base64-decoded remainder', () => {
    const usual = createHmac('sha256', Buffer.from(SECRET.slice('whsec_'.length), 'base64'))
      .update(`${ID}.1767225600.${BODY}`)
      .digest('base64')
    expect(signWebhook(SECRET, BODY, { id: ID, timestamp: 1767225600 })['webhook-signature']).not.toBe(`v1,${usual}`)
  })

  it('signs the exact bytes: any change to the body changes the signature', () => {
    const a = signWebhook(SECRET, BODY, { id: ID, timestamp: 1767225600 })
    const b = signWebhook(SECRET, BODY.replace('"x"', '"y"'), { id: ID, timestamp: 1767225600 })
    const c = signWebhook(SECRET, `${BODY} `, { id: ID, timestamp: 1767225600 })
    expect(new Set([a, b, c].map((h) => h['webhook-signature'])).size).toBe(3)
  })

  it('defaults to a fresh id and the current time in seconds', () => {
    const before = Math.floor(Date.now() / 1000)
    const headers = signWebhook(SECRET, BODY)
    expect(headers['webhook-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(Number(headers['webhook-timestamp'])).toBeGreaterThanOrEqual(before)
    expect(Number(headers['webhook-timestamp'])).toBeLessThanOrEqual(before + 2)
    expect(signWebhook(SECRET, BODY)['webhook-id']).not.toBe(headers['webhook-id'])
    expect(() => signWebhook('', BODY)).toThrow(TypeError)
  })
})
