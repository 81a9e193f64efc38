import { startFakePolar, type FakePolar } from '@polar-session/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { PREFETCH_MAX_IN_FLIGHT, PREFETCH_MAX_QUEUED } from './prefetch.js'
import { captureLogs, findLeak } from './test-support/log-capture.js'
import { instancesOn } from './test-support/instances.js'

let fake: FakePolar
const logs = captureLogs()
const { sessions, closeAll } = instancesOn(() => fake, logs)

beforeAll(async () => {
  fake = await startFakePolar()
  for (let i = 0; i < 120; i++) fake.addCustomer({ externalId: `pre_${i}`, email: `pre${i}@example.com` })
})

afterEach(async () => {
  fake.clearFaults()
  fake.setLatency(0)
  await closeAll()
})

afterAll(async () => {
  const secrets = [fake.accessToken, ...fake.sessions().map((s) => s.token), ...fake.customers().map((c) => c.email)]
  expect(findLeak(logs.text(), secrets)).toBeUndefined()
  await fake.close()
})

describe('prefetch', () => {
  it('makes the next getSession a cache hit: no call to Polar', async () => {
    const polar = sessions()
    fake.stats.reset()
    await polar.prefetch({ externalCustomerId: 'pre_0' })
    expect(fake.stats.sessionsCreated).toBe(1)
    fake.stats.reset()
    const session = await polar.getSession({ externalCustomerId: 'pre_0' })
    expect(session.customer.externalId).toBe('pre_0')
    expect(fake.stats.total).toBe(0)
    // The prefetch's own lookup is not a miss: hits and misses measure what users asked for.
    expect(polar.stats()).toMatchObject({
      cache: { hits: 1, misses: 0 },
      creations: 1,
      prefetch: { started: 1, skipped: 0, dropped: 0 },
    })
  })

  it('100 prefetches for one identity make one creation', async () => {
    const polar = sessions()
    fake.stats.reset()
    fake.setLatency(30)
    const done = Array.from({ length: 100 }, () => polar.prefetch({ externalCustomerId: 'pre_1' }))
    await Promise.all(done)
    expect(fake.stats.sessionsCreated).toBe(1)
    expect(polar.stats().prefetch).toEqual({ started: 1, skipped: 99, dropped: 0 })
    // Already cached: a later prefetch does not even look.
    await polar.prefetch({ externalCustomerId: 'pre_1' })
    expect(polar.stats().prefetch.skipped).toBe(100)
    expect(fake.stats.sessionsCreated).toBe(1)
  })

  it('shares the creation of a getSession under way (the single-flight)', async () => {
    const polar = sessions()
    fake.stats.reset()
    fake.setLatency(30)
    const [session] = await Promise.all([
      polar.getSession({ externalCustomerId: 'pre_2' }),
      polar.prefetch({ externalCustomerId: 'pre_2' }),
    ])
    expect(session.customer.externalId).toBe('pre_2')
    expect(fake.stats.sessionsCreated).toBe(1)
  })

  it(`runs ${PREFETCH_MAX_IN_FLIGHT} at once, queues ${PREFETCH_MAX_QUEUED}, and drops the rest with a debug line`, async () => {
    const polar = sessions()
    fake.stats.reset()
    fake.setLatency(20)
    const bound = PREFETCH_MAX_IN_FLIGHT + PREFETCH_MAX_QUEUED
    const from = logs.lines.length
    const done = Array.from({ length: bound + 10 }, (_, i) => polar.prefetch({ externalCustomerId: `pre_${10 + i}` }))
    expect(polar.stats().prefetch).toEqual({ started: bound, skipped: 0, dropped: 10 })
    await Promise.all(done)
    expect(fake.stats.sessionsCreated).toBe(bound)
    const dropped = logs.lines.slice(from).filter((line) => line.includes('prefetch dropped'))
    expect(dropped).toHaveLength(10)
    expect(JSON.parse(dropped[0]!)).toMatchObject({ level: 20, maxQueued: PREFETCH_MAX_QUEUED })
  })

  it("spends attach mode's share of the budget, never the part kept for portal visits", async () => {
    const polar = sessions({ maxCreationsPerMinute: 4, attachBudgetShare: 0.5 })
    fake.stats.reset()
    await Promise.all([0, 1, 2].map((i) => polar.prefetch({ externalCustomerId: `pre_${100 + i}` })))
    expect(fake.stats.sessionsCreated).toBe(2)
    expect(polar.stats().errors).toEqual({ rate_limited: 1 })
    // The person who then opens billing still gets a session: 2 of the 4 are left for them.
    await polar.getSession({ externalCustomerId: 'pre_102' })
    expect(fake.stats.sessionsCreated).toBe(3)
  })

  it('never throws nor rejects: bad input, an unknown customer and a closed instance are logged', async () => {
    const polar = sessions()
    const from = logs.lines.length
    expect(polar.prefetch({ customerId: 'not-a-uuid' })).toBeInstanceOf(Promise)
    await polar.prefetch({ customerId: 'not-a-uuid' })
    await polar.prefetch(null as never)
    await polar.prefetch({ externalCustomerId: 'pre_1' }, { returnUrl: 'https://evil.example/' })
    await polar.prefetch({ externalCustomerId: 'nobody_at_polar' })
    expect(polar.stats().errors).toEqual({ invalid_identity: 3, invalid_return_url: 1, customer_not_found: 1 })
    const lines = logs.lines
      .slice(from)
      .map((line) => JSON.parse(line) as { level: number; msg: string; code?: string })
    const warned = lines.filter((l) => l.level === 40).map((l) => l.code)
    expect(warned).toEqual(['invalid_identity', 'invalid_return_url']) // once a minute per code
    expect(
      lines.some(
        (l) => l.level === 20 && l.code === 'customer_not_found' && l.msg === 'polar-session: prefetch got no session',
      ),
    ).toBe(true)
    await polar.close()
    await polar.prefetch({ externalCustomerId: 'pre_3' })
    expect(polar.stats().prefetch.dropped).toBe(1)
  })

  it('fails fast while the circuit breaker is open: no call to Polar', async () => {
    const polar = sessions({
      circuitBreaker: { failureThreshold: 1, cooldownMs: 60_000 },
      deadlineMs: 300,
      timeoutMs: 100,
    })
    fake.fail({ kind: 'reset' }, { rate: 1 })
    await polar.prefetch({ externalCustomerId: 'pre_4' })
    expect(polar.stats().breaker.open).toBe(true)
    fake.stats.reset()
    await polar.prefetch({ externalCustomerId: 'pre_5' })
    expect(fake.stats.total).toBe(0)
    expect(polar.stats().errors['polar_unavailable']).toBe(2)
  })

  it('close() waits for prefetches under way and drops those waiting', async () => {
    const polar = sessions()
    fake.stats.reset()
    fake.setLatency(30)
    const done = Array.from({ length: PREFETCH_MAX_IN_FLIGHT + 5 }, (_, i) =>
      polar.prefetch({ externalCustomerId: `pre_${90 + i}` }),
    )
    await polar.close()
    expect(fake.stats.sessionsCreated).toBe(PREFETCH_MAX_IN_FLIGHT)
    await Promise.all(done)
  })
})
