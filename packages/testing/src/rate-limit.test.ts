import { afterEach, describe, expect, it } from 'vitest'
import { startFakePolar } from './server.js'
import { SlidingWindowLimiter } from './rate-limit.js'
import type { FakePolar } from './types.js'
import { call, createSession, headerNames } from './http.test-helpers.js'

const open: FakePolar[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()))
})

describe('organization rate limit', () => {
  it('is off by default', async () => {
    const fake = await startFakePolar({ seed: [{ externalId: 'u', email: 'u@example.com' }] })
    open.push(fake)
    for (let i = 0; i < 30; i++) expect((await createSession(fake, { external_customer_id: 'u' })).status).toBe(201)
    expect(fake.stats.rateLimited).toBe(0)
  })

  it('counts every request of every organization token; 429 with an empty body and retry-after only', async () => {
    const fake = await startFakePolar({ rateLimit: { limit: 5, windowMs: 60_000 }, seed: [{ externalId: 'u', email: 'u@example.com' }] })
    open.push(fake)
    const other = fake.addAccessToken()
    expect((await createSession(fake, { external_customer_id: 'u' })).status).toBe(201)
    expect((await call(fake, 'GET', '/v1/customers/external/u', { token: other })).status).toBe(200)
    expect((await call(fake, 'GET', '/v1/nowhere')).status).toBe(404)
    expect((await createSession(fake, { external_customer_id: 'nobody' }, { token: other })).status).toBe(422)
    expect((await createSession(fake, { external_customer_id: 'u' })).status).toBe(201)
    const limited = await createSession(fake, { external_customer_id: 'u' }, { token: other })
    expect(limited.status).toBe(429)
    expect(limited.text).toBe('')
    expect(limited.headers.get('retry-after')).toMatch(/^(59|60)$/)
    expect(headerNames(limited.headers).some((k) => k.toLowerCase().startsWith('x-ratelimit'))).toBe(false)
    expect(fake.stats.rateLimited).toBe(1)
    expect(fake.stats.sessionsCreated).toBe(2)
  })

  it('frees up as the window slides, and retry-after says when', async () => {
    const fake = await startFakePolar({ rateLimit: { limit: 2, windowMs: 1_000 }, seed: [{ externalId: 'u', email: 'u@example.com' }] })
    open.push(fake)
    expect((await createSession(fake, { external_customer_id: 'u' })).status).toBe(201)
    expect((await createSession(fake, { external_customer_id: 'u' })).status).toBe(201)
    const limited = await createSession(fake, { external_customer_id: 'u' })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('1')
    await new Promise((r) => setTimeout(r, 1_050))
    expect((await createSession(fake, { external_customer_id: 'u' })).status).toBe(201)
  })

  it('does not count requests without a valid organization token', async () => {
    const fake = await startFakePolar({ rateLimit: { limit: 1 }, seed: [{ externalId: 'u', email: 'u@example.com' }] })
    open.push(fake)
    for (let i = 0; i < 3; i++) {
      expect((await createSession(fake, { external_customer_id: 'u' }, { token: null })).status).toBe(401)
      expect((await createSession(fake, { external_customer_id: 'u' }, { token: 'polar_oat_x' })).status).toBe(401)
    }
    expect((await createSession(fake, { external_customer_id: 'u' })).status).toBe(201)
    expect((await createSession(fake, { external_customer_id: 'u' })).status).toBe(429)
  })

  it('limiter: retry-after counts whole seconds until the oldest request leaves the window', () => {
    const limiter = new SlidingWindowLimiter(2, 60_000)
    expect(limiter.hit(0)).toBeNull()
    expect(limiter.hit(10_000)).toBeNull()
    expect(limiter.hit(10_500)).toBe(50)
    expect(limiter.hit(59_999)).toBe(1)
    expect(limiter.hit(60_000)).toBeNull()
    expect(limiter.hit(60_001)).toBe(10)
  })

  it('rejects a malformed rateLimit option', async () => {
    await expect(startFakePolar({ rateLimit: { limit: -1 } })).rejects.toThrow(TypeError)
    await expect(startFakePolar({ rateLimit: { limit: 5, windowMs: 0 } })).rejects.toThrow(TypeError)
  })
})
