import { startFakePolar, type FakePolar } from '@polar-session/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createPolarSessions, type PolarSessions } from './create-polar-sessions.js'
import { PolarSessionError } from './errors.js'
import { captureLogs, findLeak } from './test-support/log-capture.js'
import { instancesOn } from './test-support/instances.js'
import type { PolarSession, SessionStore } from './types.js'

let fake: FakePolar
const logs = captureLogs()
const handedOut: PolarSession[] = []
const { sessions, closeAll } = instancesOn(() => fake, logs)

async function get(polar: PolarSessions, ...args: Parameters<PolarSessions['getSession']>): Promise<PolarSession> {
  const session = await polar.getSession(...args)
  handedOut.push(session)
  return session
}

async function rejection(promise: Promise<unknown>): Promise<PolarSessionError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PolarSessionError)
  return error as PolarSessionError
}

beforeAll(async () => {
  fake = await startFakePolar()
  for (let i = 0; i < 20; i++)
    fake.addCustomer({ externalId: `usr_${i}`, email: `user${i}@example.com`, name: `User ${i}` })
})

afterEach(async () => {
  vi.restoreAllMocks()
  fake.clearFaults()
  fake.setClockOffset(0)
  await closeAll()
})

afterAll(async () => {
  // Nothing secret reached a log line, across every test of this file.
  const secrets = [
    fake.accessToken,
    ...handedOut.flatMap((s) => [s.token, s.customerPortalUrl, s.customer.email ?? '']),
  ]
  expect(handedOut.length).toBeGreaterThan(20)
  expect(logs.lines.length).toBeGreaterThan(0)
  expect(findLeak(logs.text(), secrets)).toBeUndefined()
  await fake.close()
})

describe('options', () => {
  it('refuses a bad baseUrl or access token at creation, without echoing the token', () => {
    const base = { accessToken: fake.accessToken, baseUrl: fake.url }
    expect(() => createPolarSessions({ ...base, baseUrl: 'not a url' })).toThrow(TypeError)
    expect(() => createPolarSessions({ ...base, baseUrl: 'ftp://x.example' })).toThrow(/http/)
    expect(() => createPolarSessions({ ...base, baseUrl: 'https://u:p@x.example' })).toThrow(/user name or password/)
    expect(() => createPolarSessions({ ...base, baseUrl: 'https://x.example/?a=1' })).toThrow(/query string/)
    expect(() => createPolarSessions({ ...base, accessToken: '' })).toThrow(/accessToken is required/)
    for (const bad of [`${fake.accessToken}\r\nX: y`, `${fake.accessToken} x`, `${fake.accessToken}\u00e9`]) {
      try {
        createPolarSessions({ ...base, accessToken: bad })
        expect.unreachable()
      } catch (error) {
        expect(error).toBeInstanceOf(TypeError)
        expect((error as Error).message).not.toContain(fake.accessToken)
      }
    }
    expect(() => createPolarSessions({ ...base, timeoutMs: 0 })).toThrow(/timeoutMs/)
    expect(() => createPolarSessions({ ...base, deadlineMs: Number.NaN })).toThrow(/deadlineMs/)
    expect(() => createPolarSessions({ ...base, encryptionKey: 'short' })).toThrow(
      /encryptionKey\[0\] must be at least 32 characters/,
    )
  })

  it('refuses nearCacheMax: 0 at creation, pointing to nearCacheTtlMs: 0 to turn the near cache off', async () => {
    const base = { accessToken: fake.accessToken, baseUrl: fake.url }
    expect(() => createPolarSessions({ ...base, nearCacheMax: 0 })).toThrow(TypeError)
    expect(() => createPolarSessions({ ...base, nearCacheMax: 0 })).toThrow(
      /nearCacheMax must be a whole number from 1 to 1000000, got 0\. To turn the near cache off, set nearCacheTtlMs: 0\./,
    )
    await createPolarSessions({ ...base, nearCacheMax: 1 }).close()
  })
})

describe('getSession', () => {
  it('cachedOnly: the cached session or null, and Polar is never called for it', async () => {
    const polar = sessions()
    fake.stats.reset()
    expect(await polar.getSession({ externalCustomerId: 'usr_7' }, { cachedOnly: true })).toBeNull()
    expect(fake.stats.total).toBe(0)
    const created = await get(polar, { externalCustomerId: 'usr_7' })
    expect(await polar.getSession({ externalCustomerId: 'usr_7' }, { cachedOnly: true })).toBe(created)
    // Under the margin it is not handed out, and not replaced either.
    expect(
      await polar.getSession({ externalCustomerId: 'usr_7' }, { cachedOnly: true, minRemainingMs: 3_600_000 }),
    ).toBeNull()
    expect(fake.stats.total).toBe(1)
    const store = {
      values: new Map<string, string>(),
      get(k: string) {
        return this.values.get(k)
      },
      set(k: string, v: string) {
        this.values.set(k, v)
      },
      delete(k: string) {
        this.values.delete(k)
      },
    }
    const outside = sessions({ store, allowPlaintextStore: true })
    expect(await outside.getSession({ externalCustomerId: 'usr_8' }, { cachedOnly: true })).toBeNull()
    const stored = await get(outside, { externalCustomerId: 'usr_8' })
    expect((await outside.getSession({ externalCustomerId: 'usr_8' }, { cachedOnly: true }))?.id).toBe(stored.id)
    expect(fake.stats.total).toBe(2)
  })

  it('creates one session per identity under 200 concurrent calls, then reuses them', async () => {
    const polar = sessions()
    fake.stats.reset()
    const ids = Array.from({ length: 200 }, (_, i) => `usr_${i % 20}`)
    const first = await Promise.all(ids.map((id) => get(polar, { externalCustomerId: id })))
    expect(fake.stats.sessionsCreated).toBe(20)
    expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(20)
    for (const [i, session] of first.entries()) {
      expect(session.customer.externalId).toBe(ids[i])
      expect(session).toBe(first[i % 20])
    }
    const second = await Promise.all(ids.map((id) => get(polar, { externalCustomerId: id })))
    expect(fake.stats.sessionsCreated).toBe(20)
    expect(second.map((s) => s.token)).toEqual(first.map((s) => s.token))
  })

  it('returns a camelCase session with Dates, a real token and portal URL', async () => {
    const polar = sessions({ returnUrl: 'https://app.example.com/account' })
    const before = Date.now()
    const session = await get(polar, { externalCustomerId: 'usr_1' })
    expect(session.token).toMatch(/^polar_[cm]st_[A-Za-z0-9]{43}$/)
    expect(session.expiresAt).toBeInstanceOf(Date)
    expect(session.expiresAt.getTime() - before).toBeGreaterThan(3_590_000)
    expect(session.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(3_600_000)
    expect(session.returnUrl).toBe('https://app.example.com/account')
    expect(session.customerPortalUrl).toContain(encodeURIComponent(session.token).replace(/%5F/g, '_'))
    expect(session.customer.email).toBe('user1@example.com')
    expect(session.customerId).toBe(session.customer.id)
  })

  it('keeps one session per return URL, and validates per-call return URLs', async () => {
    const polar = sessions({ allowedReturnOrigins: ['https://app.example.com'] })
    fake.stats.reset()
    const a = await get(polar, { externalCustomerId: 'usr_2' }, { returnUrl: 'https://app.example.com/a' })
    const b = await get(polar, { externalCustomerId: 'usr_2' }, { returnUrl: 'https://app.example.com/b' })
    const a2 = await get(polar, { externalCustomerId: 'usr_2' }, { returnUrl: 'https://app.example.com/a' })
    expect(a.token).not.toBe(b.token)
    expect(a2.token).toBe(a.token)
    expect(fake.stats.sessionsCreated).toBe(2)
    const error = await rejection(
      polar.getSession({ externalCustomerId: 'usr_2' }, { returnUrl: 'https://evil.example/' }),
    )
    expect(error.code).toBe('invalid_return_url')
    expect(fake.stats.sessionsCreated).toBe(2)
  })

  it('does not reuse a session once less than the margin is left', async () => {
    const polar = sessions({ refreshMarginMs: 15 * 60_000 })
    fake.stats.reset()
    const first = await get(polar, { externalCustomerId: 'usr_3' })
    const realNow = Date.now.bind(Date)
    // 44 minutes later: 16 minutes left, more than the margin: reused.
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 44 * 60_000)
    expect((await get(polar, { externalCustomerId: 'usr_3' })).token).toBe(first.token)
    // 46 minutes later: 14 minutes left: a new one.
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 46 * 60_000)
    const second = await get(polar, { externalCustomerId: 'usr_3' })
    expect(second.token).not.toBe(first.token)
    expect(fake.stats.sessionsCreated).toBe(2)
    // A call may ask for more time than the margin.
    vi.restoreAllMocks()
    const third = await get(polar, { externalCustomerId: 'usr_4' })
    expect((await get(polar, { externalCustomerId: 'usr_4' }, { minRemainingMs: 59 * 60_000 })).token).toBe(third.token)
    expect((await get(polar, { externalCustomerId: 'usr_4' }, { minRemainingMs: 61 * 60_000 })).token).not.toBe(
      third.token,
    )
  })

  it.each([
    ['2 hours ahead', 2 * 3_600_000],
    ['2 hours behind', -2 * 3_600_000],
  ])('measures expiry on the local clock when the server clock is %s', async (_name, offset) => {
    fake.setClockOffset(offset)
    const polar = sessions()
    fake.stats.reset()
    const before = Date.now()
    const session = await get(polar, { externalCustomerId: 'usr_5' })
    // Polar's own timestamps carry the skew; the session's expiry does not.
    expect(Math.abs(session.createdAt.getTime() - before - offset)).toBeLessThan(60_000)
    expect(session.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 3_600_000 - 1_000)
    expect(session.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000)
    expect((await get(polar, { externalCustomerId: 'usr_5' })).token).toBe(session.token)
    expect(fake.stats.sessionsCreated).toBe(1)
    // Near the local expiry it is never handed out, whatever the server clock says.
    const realNow = Date.now.bind(Date)
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 59 * 60_000)
    const fresh = await get(polar, { externalCustomerId: 'usr_5' })
    expect(fresh.token).not.toBe(session.token)
    vi.restoreAllMocks()
    const introspect = await fetch(`${fake.url}/v1/customer-portal/customer-session/introspect`, {
      headers: { authorization: `Bearer ${fresh.token}` },
    })
    expect(introspect.status).toBe(200)
    await introspect.body?.cancel()
  })

  it('invalidate drops every session of the identity, whatever the return URL', async () => {
    const polar = sessions({ allowedReturnOrigins: ['https://app.example.com'] })
    fake.stats.reset()
    const a = await get(polar, { externalCustomerId: 'usr_6' })
    const b = await get(polar, { externalCustomerId: 'usr_6' }, { returnUrl: 'https://app.example.com/x' })
    const other = await get(polar, { externalCustomerId: 'usr_7' })
    await polar.invalidate({ externalCustomerId: 'usr_6' })
    expect((await get(polar, { externalCustomerId: 'usr_6' })).token).not.toBe(a.token)
    expect(
      (await get(polar, { externalCustomerId: 'usr_6' }, { returnUrl: 'https://app.example.com/x' })).token,
    ).not.toBe(b.token)
    expect((await get(polar, { externalCustomerId: 'usr_7' })).token).toBe(other.token)
    expect(fake.stats.sessionsCreated).toBe(5)
  })
})

describe('errors', () => {
  it('unknown customer → customer_not_found 404, remembered so a burst costs one call', async () => {
    const polar = sessions()
    fake.stats.reset()
    const errors = await Promise.all(
      Array.from({ length: 10 }, () => rejection(polar.getSession({ externalCustomerId: 'nobody' }))),
    )
    for (const error of errors) {
      expect(error.code).toBe('customer_not_found')
      expect(error.status).toBe(404)
      expect(error.expose).toBe(true)
    }
    expect((await rejection(polar.getSession({ externalCustomerId: 'nobody' }))).code).toBe('customer_not_found')
    expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(1)
  })

  it('unknown customer id (UUID) → customer_not_found', async () => {
    const error = await rejection(sessions().getSession({ customerId: '3b8a7c6e-1f2d-4e5a-9b8c-7d6e5f4a3b2c' }))
    expect(error.code).toBe('customer_not_found')
  })

  it('invalid identity → 400 before any network call', async () => {
    const polar = sessions()
    fake.stats.reset()
    expect((await rejection(polar.getSession({ customerId: 'not-a-uuid' }))).code).toBe('invalid_identity')
    expect((await rejection(polar.getSession({ externalCustomerId: '' }))).status).toBe(400)
    expect(fake.stats.total).toBe(0)
  })

  it('team customer: member_required without a member, member_not_found for an unknown one, a session with one', async () => {
    const team = fake.addCustomer({
      externalId: 'team_1',
      email: 'team@example.com',
      type: 'team',
      members: [{ externalId: 'alice', email: 'alice@example.com' }],
    })
    const polar = sessions()
    const required = await rejection(polar.getSession({ externalCustomerId: 'team_1' }))
    expect([required.code, required.status]).toEqual(['member_required', 400])
    const unknown = await rejection(polar.getSession({ externalCustomerId: 'team_1', externalMemberId: 'bob' }))
    expect([unknown.code, unknown.status]).toEqual(['member_not_found', 404])
    const session = await get(polar, { externalCustomerId: 'team_1', externalMemberId: 'alice' })
    expect(session.customerId).toBe(team.id)
    expect(session.token.startsWith('polar_mst_')).toBe(true)
  })

  it('a wrong token → polar_unauthorized 500 naming the environment', async () => {
    const error = await rejection(
      createPolarSessions({ accessToken: 'polar_oat_wrong', baseUrl: fake.url, logger: logs.logger }).getSession({
        externalCustomerId: 'usr_1',
      }),
    )
    expect([error.code, error.status, error.expose]).toEqual(['polar_unauthorized', 500, false])
    expect(error.message).toContain(new URL(fake.url).origin)
    expect(error.message).not.toContain('polar_oat_wrong')
  })

  it('a token without customer_sessions:write → polar_forbidden naming the scope', async () => {
    const token = fake.addAccessToken({ scopes: ['customers:read'] })
    const error = await rejection(sessions({ accessToken: token }).getSession({ externalCustomerId: 'usr_1' }))
    expect([error.code, error.status]).toEqual(['polar_forbidden', 500])
    expect(error.message).toContain('customer_sessions:write')
  })

  it('429 beyond the allowed wait → rate_limited 503 with Retry-After', async () => {
    fake.fail({ kind: 'status', status: 429, retryAfter: 30 }, { times: 1 })
    fake.stats.reset()
    const error = await rejection(sessions({ maxRetryAfterMs: 1_000 }).getSession({ externalCustomerId: 'usr_8' }))
    expect([error.code, error.status, error.headers['Retry-After']]).toEqual(['rate_limited', 503, '30'])
    expect(fake.stats.total).toBe(1)
  })

  it('a 5xx is retried, then succeeds', async () => {
    fake.fail({ kind: 'status', status: 502 }, { times: 2 })
    fake.stats.reset()
    const session = await get(sessions(), { externalCustomerId: 'usr_9' })
    expect(session.customer.externalId).toBe('usr_9')
    expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(3)
  })

  it('a malformed 201 is polar_unavailable and nothing is cached', async () => {
    const polar = sessions()
    fake.fail({ kind: 'missing-fields' }, { times: 1 })
    fake.stats.reset()
    expect((await rejection(polar.getSession({ externalCustomerId: 'usr_10' }))).code).toBe('polar_unavailable')
    await get(polar, { externalCustomerId: 'usr_10' })
    expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(2)
  })

  it('serves a still-valid session (inside the margin) while Polar fails', async () => {
    const polar = sessions({ deadlineMs: 300, timeoutMs: 100 })
    const first = await get(polar, { externalCustomerId: 'usr_11' })
    const realNow = Date.now.bind(Date)
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 50 * 60_000)
    fake.fail({ kind: 'status', status: 503 }, { rate: 1 })
    expect((await get(polar, { externalCustomerId: 'usr_11' })).token).toBe(first.token)
    expect(logs.text()).toContain('serving a still-valid session')
  })
})

describe('stores', () => {
  it('refuses an outside store without encryptionKey or allowPlaintextStore', () => {
    const store: SessionStore = { get: () => null, set: () => {}, delete: () => {} }
    expect(() => createPolarSessions({ accessToken: 'polar_oat_x', store })).toThrow(/encryptionKey/)
    expect(() => createPolarSessions({ accessToken: 'polar_oat_x', store, allowPlaintextStore: true })).not.toThrow()
  })

  it('a failing store degrades to misses; single-flight still protects Polar', async () => {
    let calls = 0
    const broken: SessionStore = {
      get: () => {
        calls++
        throw new Error('store down')
      },
      set: async () => Promise.reject(new Error('store down')),
      delete: async () => {},
    }
    const polar = sessions({ store: broken, allowPlaintextStore: true })
    fake.stats.reset()
    const all = await Promise.all(Array.from({ length: 50 }, () => get(polar, { externalCustomerId: 'usr_12' })))
    expect(new Set(all.map((s) => s.token)).size).toBe(1)
    expect(fake.stats.sessionsCreated).toBe(1)
    expect(calls).toBeGreaterThan(0)
  })

  it('stores only hashed keys and, with a plaintext outside store, serialised entries it can read back', async () => {
    const map = new Map<string, string>()
    const store: SessionStore = {
      get: (k) => map.get(k),
      set: (k, v) => void map.set(k, v),
      delete: (k) => void map.delete(k),
    }
    const a = sessions({ store, allowPlaintextStore: true })
    fake.stats.reset()
    const session = await get(a, { externalCustomerId: 'usr_13' })
    for (const key of map.keys()) {
      expect(key).not.toContain('usr_13')
      expect(key).toMatch(/^[sg]:[A-Za-z0-9_-]{43}$/)
    }
    // A second instance over the same store (another process, say) reuses it.
    const b = sessions({ store, allowPlaintextStore: true })
    const again = await get(b, { externalCustomerId: 'usr_13' })
    expect(again.token).toBe(session.token)
    expect(again.expiresAt.getTime()).toBe(session.expiresAt.getTime())
    expect(fake.stats.sessionsCreated).toBe(1)
    await b.invalidate({ externalCustomerId: 'usr_13' })
    // This store has no pub/sub: a trusts its copy of the generation for nearCacheTtlMs, then asks.
    const now = Date.now()
    vi.spyOn(Date, 'now').mockImplementation(() => now + 5_001)
    expect((await get(a, { externalCustomerId: 'usr_13' })).token).not.toBe(session.token)
  })
})

describe('options', () => {
  it.each([
    [{}, /accessToken is required/],
    [{ accessToken: 42 }, /accessToken is required/],
    [{ accessToken: 'polar_oat_x\n' }, /whitespace/],
    [{ accessToken: 'polar_oat_x', server: 'staging' }, /server must be/],
    [{ accessToken: 'polar_oat_x', baseUrl: 'api.polar.sh' }, /baseUrl must be an absolute URL/],
    [{ accessToken: 'polar_oat_x', refreshMarginMs: -1 }, /refreshMarginMs/],
    [{ accessToken: 'polar_oat_x', timeoutMs: Number.NaN }, /timeoutMs/],
    [{ accessToken: 'polar_oat_x', returnUrl: 'javascript:alert(1)' }, /returnUrl/],
    [{ accessToken: 'polar_oat_x', encryptionKey: 'short' }, /encryptionKey/],
    [{ accessToken: 'polar_oat_x', logger: {} }, /logger must be pino-shaped/],
  ])('rejects %o at construction', (options, message) => {
    expect(() => createPolarSessions(options as never)).toThrow(message)
  })

  it('resolve() needs identify; returns null for anonymous requests', async () => {
    const polar = sessions({
      identify: (req: { user?: string }) => (req.user ? { externalCustomerId: req.user } : null),
    })
    expect(await polar.resolve({})).toBeNull()
    expect((await polar.resolve({ user: 'usr_14' }))?.customer.externalId).toBe('usr_14')
    await expect(sessions().resolve({})).rejects.toThrow(/identify/)
  })

  it('close() waits for creations under way and refuses later calls', async () => {
    const polar = createPolarSessions({ accessToken: fake.accessToken, baseUrl: fake.url })
    fake.setLatency(100)
    try {
      const pending = polar.getSession({ externalCustomerId: 'usr_15' })
      await polar.close()
      expect((await pending).customer.externalId).toBe('usr_15')
      await expect(polar.getSession({ externalCustomerId: 'usr_15' })).rejects.toThrow(/closed/)
    } finally {
      fake.setLatency(0)
    }
  })
})
