// The creation budget and Polar's 429, through createPolarSessions against the fake over real
// HTTP. Time is moved with a mocked Date.now (the fake, in this process, follows it too).
import { randomUUID } from 'node:crypto'
import { startFakePolar, type FakePolar } from '@polar-session/testing'
import { createClient } from 'redis'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { PolarSessionError } from '../errors.js'
import { redisStore } from '../store/redis.js'
import { describeRedis, REDIS_URL } from '../test-support/redis.js'
import { captureLogs } from '../test-support/log-capture.js'
import { instancesOn } from '../test-support/instances.js'

const USERS = Array.from({ length: 40 }, (_, i) => `budget_user_${i}`)
const SESSION_ROUTE = 'POST /v1/customer-sessions/'
/** The start of a minute on the clock, a little in the future. */
const WINDOW_START = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000
let fake: FakePolar
const logs = captureLogs()
const { sessions, closeAll } = instancesOn(() => fake, logs)

/** Moves the local clock (and the fake's, which follows it) to `at`. */
function clockAt(at: number): void {
  vi.spyOn(Date, 'now').mockImplementation(() => at)
}

async function outcome(promise: Promise<unknown>): Promise<'ok' | PolarSessionError> {
  try {
    await promise
    return 'ok'
  } catch (error) {
    expect(error).toBeInstanceOf(PolarSessionError)
    return error as PolarSessionError
  }
}

const posts = (): number => fake.stats.requests[SESSION_ROUTE] ?? 0

beforeAll(async () => {
  fake = await startFakePolar()
  for (const user of USERS) fake.addCustomer({ externalId: user, email: `${user}@example.com` })
})

afterEach(async () => {
  vi.restoreAllMocks()
  fake.clearFaults()
  fake.stats.reset()
  await closeAll()
})

afterAll(async () => {
  await fake.close()
})

describe('maxCreationsPerMinute', () => {
  it('sends at most the budget in a minute; the rest get 503 rate_limited with the seconds until a slot frees', async () => {
    clockAt(WINDOW_START + 10_000)
    const polar = sessions({ maxCreationsPerMinute: 5 })
    const results = await Promise.all(
      USERS.slice(0, 8).map((user) => outcome(polar.getSession({ externalCustomerId: user }))),
    )
    expect(results.filter((r) => r === 'ok')).toHaveLength(5)
    expect(posts()).toBe(5)
    const refused = results.filter((r): r is PolarSessionError => r !== 'ok')
    expect(refused).toHaveLength(3)
    for (const error of refused) {
      expect(error).toMatchObject({ code: 'rate_limited', status: 503, retryAfter: 60 })
      expect(error.headers['Retry-After']).toBe('60')
    }
    // One warning, not one per refusal.
    expect(logs.lines.filter((line) => line.includes('creation budget of the last minute is spent'))).toHaveLength(1)

    // Still refused 50 s later, in the next minute of the clock: the five are less than a minute old.
    clockAt(WINDOW_START + 60_000)
    expect(await outcome(polar.getSession({ externalCustomerId: USERS[7]! }))).toMatchObject({ retryAfter: 10 })
    // A minute after the five, the budget is back.
    clockAt(WINDOW_START + 70_000)
    expect(await outcome(polar.getSession({ externalCustomerId: USERS[7]! }))).toBe('ok')
    expect(posts()).toBe(6)
  })

  it("counts a sliding minute: bursts either side of a clock minute never share one of Polar's windows", async () => {
    // Polar's window opens with the first request: one opened at :59 holds :59 to :59 of the
    // next minute. Counting per clock minute would send 5 at :59 and 5 more at :01.
    clockAt(WINDOW_START + 59_000)
    const polar = sessions({ maxCreationsPerMinute: 5 })
    const late = await Promise.all(
      USERS.slice(0, 5).map((user) => outcome(polar.getSession({ externalCustomerId: user }))),
    )
    expect(late).toEqual(['ok', 'ok', 'ok', 'ok', 'ok'])
    clockAt(WINDOW_START + 61_000)
    const early = await Promise.all(
      USERS.slice(5, 10).map((user) => outcome(polar.getSession({ externalCustomerId: user }))),
    )
    for (const result of early) expect(result).toMatchObject({ code: 'rate_limited', retryAfter: 58 })
    expect(posts()).toBe(5)
    clockAt(WINDOW_START + 119_000)
    expect(await outcome(polar.getSession({ externalCustomerId: USERS[5]! }))).toBe('ok')
    expect(posts()).toBe(6)
  })

  it('serves a still-valid session (under the margin) instead of refusing, and calls nobody', async () => {
    clockAt(WINDOW_START)
    const polar = sessions({ maxCreationsPerMinute: 1 })
    const first = await polar.getSession({ externalCustomerId: USERS[0]! })
    clockAt(WINDOW_START + 50 * 60_000) // 10 minutes left: under the 15-minute margin
    await expect(polar.getSession({ externalCustomerId: USERS[1]! })).resolves.toBeDefined() // spends the window
    expect(await polar.getSession({ externalCustomerId: USERS[0]! })).toBe(first)
    expect(posts()).toBe(2)
  })

  it("attach creations stop at attachBudgetShare; a person's creations still get the rest", async () => {
    clockAt(WINDOW_START)
    const polar = sessions({ maxCreationsPerMinute: 10 })
    const attached = await Promise.all(
      USERS.slice(0, 20).map((user) => outcome(polar.getSession({ externalCustomerId: user }, { purpose: 'attach' }))),
    )
    expect(attached.filter((r) => r === 'ok')).toHaveLength(5)
    const refusal = attached.find((r): r is PolarSessionError => r !== 'ok')
    expect(refusal?.message).toContain('attachBudgetShare')
    const portal = await Promise.all(
      USERS.slice(20, 25).map((user) => outcome(polar.getSession({ externalCustomerId: user }))),
    )
    expect(portal).toEqual(['ok', 'ok', 'ok', 'ok', 'ok'])
    expect(posts()).toBe(10)
  })

  it('counts retries and customer creation: every request to Polar is in the budget', async () => {
    clockAt(WINDOW_START)
    const polar = sessions({ maxCreationsPerMinute: 3, createCustomer: true })
    fake.fail({ kind: 'status', status: 503 }, { times: 1 })
    await polar.getSession({ externalCustomerId: USERS[0]! }) // 503, then 201: two requests
    const error = await outcome(polar.getSession({ externalCustomerId: 'budget_new_1', email: 'new1@acme-mail.dev' }))
    // The session call (422, unknown) was the third request; creating the customer would be a fourth.
    expect(error).toMatchObject({ code: 'rate_limited' })
    expect(fake.stats.total).toBe(3)
  })

  it('is validated: a whole number of at least 1, or Infinity', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '10']) {
      expect(() => sessions({ maxCreationsPerMinute: bad as number })).toThrow(/maxCreationsPerMinute/)
    }
    expect(() => sessions({ attachBudgetShare: 1.5 })).toThrow(/attachBudgetShare/)
    expect(() => sessions({ maxCreationsPerMinute: Infinity })).not.toThrow()
  })
})

describe('after a quiet spell', () => {
  it("one request goes first, so a burst never meets Polar's 60-a-minute rule for tokens it does not know", async () => {
    // Polar counts every request that arrives before it has authenticated a token it has not
    // seen for 5 minutes under a 60-a-minute rule of its own. Seen from here: until the first
    // answer comes back, no second request may be in flight.
    let inFlight = 0
    let answered = 0
    const concurrentBeforeFirstAnswer: number[] = []
    const watched: typeof fetch = async (input, init) => {
      inFlight++
      if (answered === 0) concurrentBeforeFirstAnswer.push(inFlight)
      try {
        return await fetch(input, init)
      } finally {
        inFlight--
        answered++
      }
    }
    fake.setLatency(50)
    const polar = sessions({ fetch: watched })
    const results = await Promise.all(USERS.map((user) => outcome(polar.getSession({ externalCustomerId: user }))))
    expect(results.filter((r) => r !== 'ok')).toEqual([])
    expect(Math.max(...concurrentBeforeFirstAnswer)).toBe(1)
    expect(posts()).toBe(USERS.length)
    // Once Polar knows the token, requests go out together again.
    answered = 0
    concurrentBeforeFirstAnswer.length = 0
    fake.stats.reset()
    await Promise.all(
      USERS.map((user) => polar.getSession({ externalCustomerId: user }, { minRemainingMs: 3_600_000 })),
    )
    expect(Math.max(...concurrentBeforeFirstAnswer)).toBeGreaterThan(1)
    fake.setLatency(0)
  })
})

describe("Polar's 429", () => {
  it('stops every creation for its retry-after; cached users are served; then Polar is called again', async () => {
    clockAt(WINDOW_START)
    const polar = sessions()
    const cached = await polar.getSession({ externalCustomerId: USERS[0]! })
    fake.fail({ kind: 'status', status: 429, retryAfter: 60 })
    const first = await outcome(polar.getSession({ externalCustomerId: USERS[1]! }))
    expect(first).toMatchObject({ code: 'rate_limited', status: 503, retryAfter: 60 })
    expect(posts()).toBe(2)

    for (const [offset, users] of [
      [1_000, USERS.slice(2, 12)],
      [30_000, USERS.slice(12, 22)],
      [59_000, USERS.slice(22, 32)],
    ] as const) {
      clockAt(WINDOW_START + offset)
      const results = await Promise.all(users.map((user) => outcome(polar.getSession({ externalCustomerId: user }))))
      for (const result of results) {
        expect(result).toMatchObject({
          code: 'rate_limited',
          status: 503,
          retryAfter: Math.ceil((60_000 - offset) / 1000),
        })
      }
      expect(await polar.getSession({ externalCustomerId: USERS[0]! })).toBe(cached)
    }
    expect(posts()).toBe(2) // nothing reached Polar during the wait

    clockAt(WINDOW_START + 60_500)
    expect(await outcome(polar.getSession({ externalCustomerId: USERS[32]! }))).toBe('ok')
    expect(posts()).toBe(3)
  })

  it('never opens the circuit breaker, however many 429s', async () => {
    clockAt(WINDOW_START)
    const polar = sessions({ circuitBreaker: { failureThreshold: 1, cooldownMs: 120_000 } })
    fake.fail({ kind: 'status', status: 429, retryAfter: 1 }, { times: 5 })
    for (const [i, user] of USERS.slice(0, 5).entries()) {
      clockAt(WINDOW_START + i * 2_000)
      expect(await outcome(polar.getSession({ externalCustomerId: user }, { minRemainingMs: 0 }))).not.toBe('ok')
    }
    // A breaker opened by those would refuse this for 120 s; the 429's one second is long over.
    clockAt(WINDOW_START + 12_000)
    expect(await outcome(polar.getSession({ externalCustomerId: USERS[5]! }))).toBe('ok')
  })
})

describeRedis('a spent budget with redisStore', () => {
  it('refuses new users before any store work: no lease, no generation, no count, no key written', async () => {
    const client = createClient({ url: REDIS_URL })
    await client.connect()
    const prefix = `budget-test:${randomUUID()}:`
    const store = redisStore({ client, prefix })
    const keysWritten = async () => (await client.keys(`${prefix}*`)).length
    try {
      const polar = sessions({ store, encryptionKey: randomUUID() + randomUUID(), maxCreationsPerMinute: 2 })
      for (const user of USERS.slice(0, 2)) await polar.getSession({ externalCustomerId: user })
      // The first refusal asks Redis (it learns the budget is spent, and until when).
      expect(await outcome(polar.getSession({ externalCustomerId: USERS[2]! }))).toMatchObject({ code: 'rate_limited' })
      const keysBefore = await keysWritten()
      const commandsBefore = store.stats.commands

      const refused = await Promise.all(
        USERS.slice(3, 13).map((user) => outcome(polar.getSession({ externalCustomerId: user }))),
      )
      for (const result of refused) expect(result).toMatchObject({ code: 'rate_limited', status: 503 })
      expect(posts()).toBe(2)
      // Each refused page view only looked for a stored session: a GET for it and one for its
      // customer's generation. Before the known refusal it also took a lease, wrote the
      // generation, counted in the budget and released the lease.
      expect(store.stats.commands - commandsBefore).toBe(10 * 2)
      expect(await keysWritten()).toBe(keysBefore)
    } finally {
      await store.close()
      await client.quit()
    }
  })
})
