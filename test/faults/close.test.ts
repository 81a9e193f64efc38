// Upstream faults, part 3: shutting down. close() lets in-flight requests finish (even one still
// in identify()), leaves no timer behind, and no open handle once the fake is gone too.
import { createPolarSessions } from '@polar-session/core'
import { startFakePolar } from '@polar-session/testing'
import { describe, expect, it, vi } from 'vitest'
import { useE2E } from '../support/e2e.js'

const e2e = useE2E()

/** The process's active resources by type (vitest's own included: compare with a snapshot). */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1
  return counts
}

/**
 * Retries `check` until it passes (at most ~2 s), measuring between polls, never while a timer of
 * the poll itself is pending (vi.waitFor's own timers would show up as active resources).
 */
async function settled(check: () => void): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      check()
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  check()
}

/**
 * The resources present throughout ~200 ms: vitest's own come and go (an RPC timer, say), so a
 * single snapshot could include one that is gone later and hide a leak of ours.
 */
async function baseline(): Promise<Record<string, number>> {
  let min = resources()
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    const now = resources()
    min = Object.fromEntries(Object.entries(min).map(([type, count]) => [type, Math.min(count, now[type] ?? 0)]))
  }
  return min
}

/** Resources of `after` beyond those of `before` (vitest's own come and go, so fewer is fine). */
function extra(
  after: Record<string, number>,
  before: Record<string, number>,
  ...ignored: string[]
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .filter(([type, count]) => !ignored.includes(type) && count > (before[type] ?? 0))
      .map(([type, count]) => [type, count - (before[type] ?? 0)]),
  )
}

/** A fetch that holds its `n`th call (1-based) until `release()`: a request in flight by construction. */
function holdingFetch(n: number): { fetch: typeof fetch; calls: () => number; release: () => void } {
  let calls = 0
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  return {
    calls: () => calls,
    release,
    fetch: async (input, init) => {
      if (++calls === n) await held
      return fetch(input, init)
    },
  }
}

/** Whether `promise` is still pending after the work queued so far (and one more turn) has run. */
async function pending(promise: Promise<unknown>): Promise<boolean> {
  let settled = false
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  )
  await new Promise((resolve) => setTimeout(resolve, 20))
  return !settled
}

describe('close()', () => {
  it('lets a creation in flight finish, then resolves; later calls are refused', async () => {
    const hold = holdingFetch(1)
    const polar = e2e.polar({ fetch: hold.fetch })
    const inflight = polar.getSession({ externalCustomerId: 'usr_1' })
    await vi.waitFor(() => expect(hold.calls()).toBe(1))
    const closing = polar.close()
    expect(await pending(closing)).toBe(true)
    await expect(polar.getSession({ externalCustomerId: 'usr_1' })).rejects.toThrow(/closed/)
    await expect(polar.resolve({ headers: {} })).rejects.toThrow(/closed/)
    hold.release()
    await expect(inflight).resolves.toMatchObject({ customer: { externalId: 'usr_1' } })
    await closing
    expect(e2e.posts()).toBe(1)
  })

  it('waits for a request still in identify(): it gets its session', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const polar = e2e.polar({
      identify: async () => {
        await gate
        return { externalCustomerId: 'usr_2' }
      },
    })
    const resolving = polar.resolve({})
    const closing = polar.close()
    expect(await pending(closing)).toBe(true)
    release()
    await expect(resolving).resolves.toMatchObject({ customer: { externalId: 'usr_2' } })
    await closing
    expect(e2e.posts()).toBe(1)
  })

  it('during retries: the leader finishes its retries and every waiting caller gets the outcome', async () => {
    const hold = holdingFetch(2) // the first retry
    const polar = e2e.polar({ fetch: hold.fetch })
    e2e.fake.fail({ kind: 'status', status: 503 }, { times: 2 })
    const callers = Array.from({ length: 5 }, () => polar.getSession({ externalCustomerId: 'usr_3' }))
    await vi.waitFor(() => expect(hold.calls()).toBe(2))
    const [first, second] = [polar.close(), polar.close()]
    expect(second).toBe(first) // every close() waits for the same shutdown
    expect(await pending(first)).toBe(true)
    hold.release()
    const sessions = await Promise.all(callers)
    await first
    expect(new Set(sessions).size).toBe(1)
    expect(e2e.posts()).toBe(3)
  })

  it('leaves no timer and no open handle behind', async () => {
    const before = await baseline()
    const fake = await startFakePolar()
    fake.addCustomer({ externalId: 'usr_h', email: 'handles@example.com' })
    e2e.watch.fake(fake)
    const polar = createPolarSessions({
      accessToken: fake.accessToken,
      baseUrl: fake.url,
      timeoutMs: 200,
      logger: e2e.watch.logger,
    })
    const session = (user: string) => polar.getSession({ externalCustomerId: user })

    // Retries with backoff, an attempt cut by its timeout, a 429 wait, a remembered not-found…
    fake.fail({ kind: 'status', status: 503 }, { times: 2 })
    await session('usr_h')
    fake.fail({ kind: 'hang' })
    await session('usr_h').catch(() => {}) // cached: no call
    await polar.getSession({ externalCustomerId: 'usr_h' }, { minRemainingMs: 3_600_000 })
    fake.fail({ kind: 'status', status: 429, retryAfter: 0 })
    await polar.getSession({ externalCustomerId: 'usr_h' }, { returnUrl: null, minRemainingMs: 0 }).catch(() => {})
    await expect(session('usr_nobody')).rejects.toMatchObject({ code: 'customer_not_found' })
    // …and one creation still in flight when close() is called.
    fake.setLatency(200)
    const inflight = polar.getSession({ externalCustomerId: 'usr_h' }, { minRemainingMs: 3_600_000 })
    await vi.waitFor(() => expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(7))
    await polar.close()
    await expect(inflight).resolves.toBeDefined()

    // No timers or immediates of polar-session's are left; every socket still open is one the fake
    // accepted (keep-alive, idle on the client side, which does not hold the process open). Sockets
    // destroyed a moment ago (the cut attempt's) may take a tick to be released: wait for that.
    await settled(() => {
      const afterClose = resources()
      expect(extra(afterClose, before, 'TCPSocketWrap', 'TCPServerWrap')).toEqual({})
      expect((afterClose['TCPSocketWrap'] ?? 0) - (before['TCPSocketWrap'] ?? 0)).toBe(fake.stats.connections)
    })

    // With the fake closed too, the process is back where it started.
    await fake.close()
    await settled(() => expect(extra(resources(), before)).toEqual({}))
  })
})
