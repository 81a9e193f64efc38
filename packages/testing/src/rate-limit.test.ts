import { afterEach, describe, expect, it, vi } from 'vitest'
import { startFakePolar } from './server.js'
import { PolarRateLimiter } from './rate-limit.js'
import type { FakePolar, FakePolarOptions } from './types.js'
import { call, createSession, headerNames } from './test-support/http.js'
import { generatePolarToken } from './token.js'

const open: FakePolar[] = []
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(open.splice(0).map((f) => f.close()))
})

async function start(rateLimit: FakePolarOptions['rateLimit']): Promise<FakePolar> {
  const fake = await startFakePolar({ rateLimit, seed: [{ externalId: 'u', email: 'u@example.com' }] })
  open.push(fake)
  return fake
}

const create = (fake: FakePolar, token?: string | null) => createSession(fake, { external_customer_id: 'u' }, { token })
const statuses = async (fake: FakePolar, n: number, token?: string | null) => {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push((await create(fake, token)).status)
  return out
}

/** Freezes Date (and so the fake's clock) at `at`; setSystemTime moves it. */
function freezeDate(at = Date.now()): number {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(at)
  return at
}

describe('rate limit: off', () => {
  it('is off by default', async () => {
    const fake = await start(undefined)
    expect(await statuses(fake, 30)).toEqual(Array(30).fill(201))
    expect(fake.stats.rateLimited).toBe(0)
  })
})

describe('rate limit: fixed windows, as Polar counts them', () => {
  it('429 has an empty body and retry-after: the whole window, even late in the window', async () => {
    const t0 = freezeDate()
    const fake = await start({ limit: 2, pendingAuthLimit: false })
    expect(await statuses(fake, 2)).toEqual([201, 201])
    const limited = await create(fake)
    expect(limited.status).toBe(429)
    expect(limited.text).toBe('')
    expect(limited.headers.get('retry-after')).toBe('60')
    expect(headerNames(limited.headers).some((k) => k.toLowerCase().startsWith('x-ratelimit'))).toBe(false)
    vi.setSystemTime(t0 + 45_000)
    expect((await create(fake)).headers.get('retry-after')).toBe('60')
    expect(fake.stats.rateLimited).toBe(2)
    expect(fake.stats.sessionsCreated).toBe(2)
  })

  it('the window opens with its first counted request and closes a whole window later, on the fake clock', async () => {
    const t0 = freezeDate()
    const fake = await start({ limit: 2, pendingAuthLimit: false })
    expect(await statuses(fake, 1)).toEqual([201])
    vi.setSystemTime(t0 + 50_000)
    expect(await statuses(fake, 2)).toEqual([201, 429])
    vi.setSystemTime(t0 + 59_999)
    expect(await statuses(fake, 1)).toEqual([429])
    // A sliding window would still count the request made at +50 s; Polar's window is over.
    vi.setSystemTime(t0 + 60_000)
    expect(await statuses(fake, 3)).toEqual([201, 201, 429])
  })

  it('refused requests are not counted and do not move the window', async () => {
    const t0 = freezeDate()
    const fake = await start({ limit: 1, pendingAuthLimit: false })
    expect(await statuses(fake, 1)).toEqual([201])
    vi.setSystemTime(t0 + 30_000)
    expect(await statuses(fake, 5)).toEqual([429, 429, 429, 429, 429])
    vi.setSystemTime(t0 + 60_000)
    expect(await statuses(fake, 2)).toEqual([201, 429])
    expect(fake.stats.rateLimited).toBe(6)
  })

  it('setClockOffset() moves the fake into the next window', async () => {
    const fake = await start({ limit: 1, pendingAuthLimit: false })
    expect(await statuses(fake, 2)).toEqual([201, 429])
    fake.setClockOffset(61_000)
    expect(await statuses(fake, 2)).toEqual([201, 429])
  })

  it('windowMs: retry-after is that whole window in seconds', async () => {
    const t0 = freezeDate()
    const fake = await start({ limit: 1, windowMs: 5_000, pendingAuthLimit: false })
    expect(await statuses(fake, 1)).toEqual([201])
    expect((await create(fake)).headers.get('retry-after')).toBe('5')
    vi.setSystemTime(t0 + 5_000)
    expect(await statuses(fake, 1)).toEqual([201])
  })
})

describe('rate limit: whose budget a request uses', () => {
  it("organization tokens share their organization's bucket, on every /v1 route", async () => {
    const fake = await start({ limit: 4, pendingAuthLimit: false })
    const other = fake.addAccessToken()
    expect((await create(fake)).status).toBe(201)
    expect((await call(fake, 'GET', '/v1/customers/external/u', { token: other })).status).toBe(200)
    expect((await call(fake, 'GET', '/v1/nowhere')).status).toBe(404)
    expect((await createSession(fake, { external_customer_id: 'nobody' }, { token: other })).status).toBe(422)
    expect((await create(fake, other)).status).toBe(429)
    expect((await create(fake)).status).toBe(429)
  })

  it("personal tokens count against their user, not the organization; a user's tokens share it", async () => {
    const fake = await start({ limit: 2, pendingAuthLimit: false })
    const personal = fake.addAccessToken({ kind: 'personal' })
    const personal2 = fake.addAccessToken({ kind: 'personal' })
    expect(await statuses(fake, 3)).toEqual([201, 201, 429])
    expect(await statuses(fake, 1, personal)).toEqual([201])
    expect(await statuses(fake, 2, personal2)).toEqual([201, 429])
  })

  it('requests without a token count against the client IP', async () => {
    const fake = await start({ limit: 1, pendingAuthLimit: false })
    expect(await statuses(fake, 2, null)).toEqual([401, 429])
    expect(await statuses(fake, 1)).toEqual([201])
  })

  it('a token not seen in the last 5 minutes counts against its own pending bucket, not the organization', async () => {
    const t0 = freezeDate()
    const fake = await start({ limit: 2 })
    // The first request of the default token is pending; the next two use the organization's budget.
    expect(await statuses(fake, 4)).toEqual([201, 201, 201, 429])
    // A new token's first request passes although the organization's bucket is empty.
    const fresh = fake.addAccessToken()
    expect(await statuses(fake, 2, fresh)).toEqual([201, 429])
    // Idle for 5 minutes: pending again for one request.
    vi.setSystemTime(t0 + 5 * 60_000 + 1)
    expect(await statuses(fake, 4)).toEqual([201, 201, 201, 429])
  })

  it('an invalid token is never authenticated, so it stays in its pending bucket: 401s, then 429', async () => {
    const fake = await start({ limit: 100, pendingAuthLimit: 3 })
    const bad = generatePolarToken('polar_oat_')
    expect(await statuses(fake, 4, bad)).toEqual([401, 401, 401, 429])
    expect((await create(fake, bad)).headers.get('retry-after')).toBe('60')
    expect(await statuses(fake, 1, generatePolarToken('polar_oat_'))).toEqual([401])
    expect(await statuses(fake, 1)).toEqual([201])
  })

  it('pendingAuthLimit: false counts a valid token against its organization from the first request', async () => {
    const fake = await start({ limit: 2, pendingAuthLimit: false })
    expect(await statuses(fake, 3)).toEqual([201, 201, 429])
    expect(await statuses(fake, 5, 'polar_oat_x')).toEqual([401, 401, 401, 401, 401])
  })

  it('paths outside /v1 are not limited', async () => {
    const fake = await start({ limit: 0, pendingAuthLimit: false })
    expect((await call(fake, 'GET', '/acme/portal', { token: null })).status).toBe(401)
    expect((await call(fake, 'GET', '/acme/portal', { token: null })).status).toBe(401)
    expect((await create(fake)).status).toBe(429)
  })
})

describe('rate limit: the limiter and its option', () => {
  it('limiter: whole-window retry-after, refused requests uncounted', () => {
    const limiter = new PolarRateLimiter({ limit: 2, windowMs: 1_500, pendingAuthLimit: null })
    const caller = { kind: 'anonymous', ip: '127.0.0.1' } as const
    expect(limiter.check(caller, 0)).toBeNull()
    expect(limiter.check(caller, 1_000)).toBeNull()
    expect(limiter.check(caller, 1_001)).toBe(2)
    expect(limiter.check(caller, 1_499)).toBe(2)
    expect(limiter.check(caller, 1_500)).toBeNull()
  })

  it('rejects a malformed rateLimit option', async () => {
    await expect(startFakePolar({ rateLimit: { limit: -1 } })).rejects.toThrow(TypeError)
    await expect(startFakePolar({ rateLimit: { limit: 5, windowMs: 0 } })).rejects.toThrow(TypeError)
    await expect(startFakePolar({ rateLimit: { limit: 5, pendingAuthLimit: -1 } })).rejects.toThrow(TypeError)
    await expect(startFakePolar({ rateLimit: { limit: 5, pendingAuthLimit: true as never } })).rejects.toThrow(
      TypeError,
    )
  })
})
