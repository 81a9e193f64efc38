import { startFakePolar, type FakePolar } from '@polar-session/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createPolarSessions } from '../create-polar-sessions.js'
import { PolarSessionError } from '../errors.js'

let fake: FakePolar
beforeAll(async () => {
  fake = await startFakePolar()
  for (let i = 0; i < 10; i++) fake.addCustomer({ externalId: `cb_${i}`, email: `cb${i}@example.com` })
})
afterEach(() => {
  vi.restoreAllMocks()
  fake.clearFaults()
})
afterAll(() => fake.close())

async function failure(promise: Promise<unknown>): Promise<PolarSessionError> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PolarSessionError)
  return error as PolarSessionError
}

describe('circuit breaker', () => {
  it('opens after consecutive failures, fails fast with Retry-After, closes after a good probe', async () => {
    const polar = createPolarSessions({
      accessToken: fake.accessToken,
      baseUrl: fake.url,
      deadlineMs: 200,
      timeoutMs: 100,
      circuitBreaker: { failureThreshold: 3, cooldownMs: 5_000 },
    })
    fake.fail({ kind: 'status', status: 503 }, { rate: 1 })
    fake.stats.reset()
    for (let i = 0; i < 3; i++)
      expect((await failure(polar.getSession({ externalCustomerId: `cb_${i}` }))).code).toBe('polar_unavailable')
    const upstreamWhileClosed = fake.stats.total
    expect(upstreamWhileClosed).toBeGreaterThanOrEqual(3)

    // Open: 20 more requests cost Polar nothing and say when to come back.
    const fast = await Promise.all(
      Array.from({ length: 20 }, (_, i) => failure(polar.getSession({ externalCustomerId: `cb_${i % 10}` }))),
    )
    for (const error of fast) {
      expect([error.code, error.status]).toEqual(['polar_unavailable', 503])
      expect(Number(error.headers['Retry-After'])).toBeGreaterThanOrEqual(1)
      expect(Number(error.headers['Retry-After'])).toBeLessThanOrEqual(5)
    }
    expect(fake.stats.total).toBe(upstreamWhileClosed)

    // After the cooldown one probe goes through; Polar is back, so the circuit closes.
    fake.clearFaults()
    const realNow = Date.now.bind(Date)
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 6_000)
    const session = await polar.getSession({ externalCustomerId: 'cb_5' })
    expect(session.customer.externalId).toBe('cb_5')
    expect((await polar.getSession({ externalCustomerId: 'cb_6' })).customer.externalId).toBe('cb_6')
    await polar.close()
  })

  it('a failed probe reopens the circuit for longer', async () => {
    const polar = createPolarSessions({
      accessToken: fake.accessToken,
      baseUrl: fake.url,
      deadlineMs: 1_000,
      timeoutMs: 500,
      circuitBreaker: { failureThreshold: 1, cooldownMs: 1_000 },
    })
    fake.fail({ kind: 'reset' }, { rate: 1 })
    expect((await failure(polar.getSession({ externalCustomerId: 'cb_7' }))).code).toBe('polar_unavailable')
    const realNow = Date.now.bind(Date)
    const opened = realNow()
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 1_500)
    fake.stats.reset()
    await failure(polar.getSession({ externalCustomerId: 'cb_7' })) // the probe, fails
    expect(fake.stats.total).toBeGreaterThanOrEqual(1)
    const probeCalls = fake.stats.total
    const reopened = await failure(polar.getSession({ externalCustomerId: 'cb_7' }))
    // Doubled cooldown: 2 s from the probe, less whatever real time has passed since.
    const passed = Math.floor((realNow() - opened) / 1_000)
    expect(Number(reopened.headers['Retry-After'])).toBeGreaterThanOrEqual(2 - passed)
    expect(Number(reopened.headers['Retry-After'])).toBeLessThanOrEqual(2)
    expect(fake.stats.total).toBe(probeCalls)
    await polar.close()
  })

  it('definite answers (404) never open it', async () => {
    const polar = createPolarSessions({
      accessToken: fake.accessToken,
      baseUrl: fake.url,
      circuitBreaker: { failureThreshold: 1 },
      notFoundTtlMs: 0,
    })
    for (let i = 0; i < 3; i++)
      expect((await failure(polar.getSession({ externalCustomerId: 'nobody' }))).code).toBe('customer_not_found')
    expect((await polar.getSession({ externalCustomerId: 'cb_8' })).customer.externalId).toBe('cb_8')
    await polar.close()
  })

  it('rejects bad options', () => {
    expect(() => createPolarSessions({ accessToken: 'polar_oat_x', circuitBreaker: { failureThreshold: 0 } })).toThrow(
      /failureThreshold/,
    )
  })
})
