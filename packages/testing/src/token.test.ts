import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakePolar } from './server.js'
import { base62Checksum, crc32, generatePolarToken, isValidPolarToken, parsePolarToken } from './token.js'
import type { FakePolar } from './types.js'
import { createSession } from './test-support/http.js'

describe('token format', () => {
  it('computes the CRC-32 zlib computes', () => {
    // zlib.crc32(b"123456789") == 0xCBF43926, the standard check value.
    expect(crc32('123456789')).toBe(0xcbf43926)
    expect(crc32('')).toBe(0)
    // Unsigned even when the top bit is set; UTF-8 bytes for non-ASCII text.
    expect(crc32('a')).toBe(0xe8b7be43)
    expect(crc32('é')).toBe(0x0e048d3e) // zlib.crc32(b"\xc3\xa9")
  })

  it('encodes the checksum in base62, most significant digit first, zero-padded to 6', () => {
    expect(base62Checksum(0)).toBe('000000')
    expect(base62Checksum(61)).toBe('00000z')
    expect(base62Checksum(62)).toBe('000010')
    expect(base62Checksum(0xffffffff)).toBe('4gfFC3')
  })

  it('builds prefix + 37 alphanumerics + checksum of the random part = 53 characters', () => {
    const token = generatePolarToken('polar_cst_')
    expect(token).toMatch(/^polar_cst_[A-Za-z0-9]{43}$/)
    expect(token).toHaveLength(53)
    const random = token.slice(10, 47)
    expect(token.slice(47)).toBe(base62Checksum(crc32(random)))
    expect(isValidPolarToken(token, 'polar_cst_')).toBe(true)
    expect(isValidPolarToken(token, 'polar_mst_')).toBe(false)
  })

  it('rejects a token whose checksum does not match', () => {
    const token = generatePolarToken('polar_oat_')
    const last = token.at(-1) === 'a' ? 'b' : 'a'
    const broken = token.slice(0, -1) + last
    expect(parsePolarToken(broken)?.checksumValid).toBe(false)
    expect(isValidPolarToken(broken)).toBe(false)
    expect(parsePolarToken('polar_cst_short')).toBeNull()
  })

  it('draws every alphanumeric, and nothing else', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 400; i++) for (const c of generatePolarToken('').slice(0, 37)) seen.add(c)
    expect(seen.size).toBe(62)
  })
})

describe('tokens the fake hands out', () => {
  let fake: FakePolar
  let legacy: FakePolar
  beforeAll(async () => {
    fake = await startFakePolar({ seed: [{ externalId: 'u1', email: 'u1@example.com' }] })
    legacy = await startFakePolar({ memberModel: false, seed: [{ externalId: 'u1', email: 'u1@example.com' }] })
  })
  afterAll(async () => {
    await fake.close()
    await legacy.close()
  })

  it('default access token is a realistic organization token', () => {
    expect(isValidPolarToken(fake.accessToken, 'polar_oat_')).toBe(true)
    expect(isValidPolarToken(fake.addAccessToken({ kind: 'personal' }), 'polar_pat_')).toBe(true)
  })

  it('member model on: member session tokens polar_mst_ with a valid checksum, unique per POST', async () => {
    const a = await createSession(fake, { external_customer_id: 'u1' })
    const b = await createSession(fake, { external_customer_id: 'u1' })
    const ta = (a.json as { token: string }).token
    const tb = (b.json as { token: string }).token
    expect(isValidPolarToken(ta, 'polar_mst_')).toBe(true)
    expect(isValidPolarToken(tb, 'polar_mst_')).toBe(true)
    expect(ta).not.toBe(tb)
  })

  it('member model off: customer session tokens polar_cst_', async () => {
    const r = await createSession(legacy, { external_customer_id: 'u1' })
    expect(r.status).toBe(201)
    expect(isValidPolarToken((r.json as { token: string }).token, 'polar_cst_')).toBe(true)
  })
})
