// Two races the cache must win: a slow answer must not stretch a session past Polar's expiry,
// and an invalidation must beat a creation that was already under way.
import { startFakePolar, type FakePolar } from '@polar-session/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createPolarSessions, type PolarSessions } from '../create-polar-sessions.js'

const SESSION_ROUTE = 'POST /v1/customer-sessions/'
let fake: FakePolar
const opened: PolarSessions[] = []

function sessions(options: { fetch?: typeof fetch } = {}): PolarSessions {
  const polar = createPolarSessions({ accessToken: fake.accessToken, baseUrl: fake.url, ...options })
  opened.push(polar)
  return polar
}

beforeAll(async () => {
  fake = await startFakePolar()
  fake.addCustomer({ externalId: 'race_user', email: 'race@example.com' })
})

afterEach(async () => {
  fake.setLatency(0)
  fake.stats.reset()
  await Promise.all(opened.splice(0).map((p) => p.close()))
})

afterAll(async () => {
  await fake.close()
})

describe('expiry', () => {
  /** A fetch whose answers arrive `ms` after Polar sent them, as over a congested link. */
  const lateBy =
    (ms: number): typeof fetch =>
    async (input, init) => {
      const response = await fetch(input, init)
      const body = await response.arrayBuffer()
      await new Promise((resolve) => setTimeout(resolve, ms))
      return new Response(body, { status: response.status, headers: response.headers })
    }

  it('counts from when the request was sent: an answer 1.5 s late does not stretch the session', async () => {
    const polar = sessions({ fetch: lateBy(1_500) })
    const session = await polar.getSession({ externalCustomerId: 'race_user' })
    const received = Date.now()
    const issued = fake.sessions().at(-1)!
    // Polar's expiry on our clock (the fake's clock is ours): the session must not outlive it…
    expect(session.expiresAt.getTime()).toBeLessThanOrEqual(Date.parse(issued.expiresAt))
    // …which counting from the answer's arrival would have: it came 1.5 s after Polar stamped it.
    expect(session.expiresAt.getTime()).toBeLessThanOrEqual(received + 3_600_000 - 1_400)
  })

  it("is not handed out 300 ms after Polar's expiry, though it arrived 1.5 s late", async () => {
    const polar = sessions({ fetch: lateBy(1_500) })
    await polar.getSession({ externalCustomerId: 'race_user' })
    const polarExpiry = Date.parse(fake.sessions().at(-1)!.expiresAt)
    vi.spyOn(Date, 'now').mockImplementation(() => polarExpiry + 300)
    const again = await polar.getSession({ externalCustomerId: 'race_user' }, { minRemainingMs: 0 })
    vi.restoreAllMocks()
    expect(fake.stats.requests[SESSION_ROUTE]).toBe(2)
    expect(again.token).toBe(fake.sessions().at(-1)!.token)
  })
})

describe('invalidate() during a creation', () => {
  it('once it has resolved, nobody gets the session whose creation began before it', async () => {
    const polar = sessions()
    const identity = { externalCustomerId: 'race_user' }
    const before = fake.sessions().length
    fake.setLatency(300)
    const early = polar.getSession(identity) // its creation starts now
    await vi.waitFor(() => expect(fake.stats.requests[SESSION_ROUTE]).toBe(1))
    await polar.invalidate(identity)
    const late = polar.getSession(identity) // joins the flight under way
    const [a, b] = await Promise.all([early, late])
    const issued = fake.sessions().slice(before)
    expect(issued).toHaveLength(2)
    // Both callers get the session created after the invalidation, the early one included.
    expect(a.id).toBe(issued[1]!.id)
    expect(b).toBe(a)
    expect(fake.stats.requests[SESSION_ROUTE]).toBe(2)
  })
})
