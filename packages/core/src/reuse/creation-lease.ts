import type { CachedEntry } from './entry.js'
import type { EntryLease, EntryLock, StoreCall } from './entry-store.js'

/** A lease lives this long unless extended: a dead leader blocks others this long at most. */
export const LEASE_MS = 3_000
/** How often a working leader extends its lease: well before it would lapse. */
const EXTEND_EVERY_MS = 1_000
/** How often a process waiting on another's creation looks for the result. */
const POLL_MS = 20

/** The lease a failing (or skipped) store gives: it guards nothing, so holding it costs nothing. */
export const NO_LEASE: EntryLease = { extend: async () => true, release: async () => {} }

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** What waiting for the lease came to: another process's session, or the lease (null: none to be had). */
export type LeaseOutcome = { entry: CachedEntry } | { entry: null; lease: EntryLease | null }

/**
 * Takes the creation lease on `key`, or waits for the process that holds it. `lookup` reads the
 * shared store (not this process's copies): a usable entry there ends the wait. The wait lasts
 * while the lease is held, up to `maxWaitMs` (the leader's whole budget); after that, or when
 * the store fails, this process creates the session itself.
 */
export async function leaseOrWait(
  lock: EntryLock,
  key: string,
  call: StoreCall,
  maxWaitMs: number,
  lookup: () => Promise<CachedEntry | null>,
): Promise<LeaseOutcome> {
  const until = Date.now() + maxWaitMs
  for (;;) {
    const lease = await lock.acquire(key, LEASE_MS, call)
    if (lease !== null) {
      // The holder may have finished between our read and the lease: look once more.
      const entry = call.failed ? null : await lookup()
      if (entry === null) return { entry: null, lease }
      await lease.release()
      return { entry }
    }
    if (Date.now() >= until || call.failed) return { entry: null, lease: null }
    await sleep(POLL_MS)
    const entry = await lookup()
    if (entry !== null) return { entry }
  }
}

/**
 * Keeps `lease` for as long as the leader works (its Polar calls, a customer creation
 * included, can outlast any fixed TTL); the returned function stops extending and releases it.
 * {@link NO_LEASE} guards nothing: holding it starts no timer.
 */
export function holdLease(lease: EntryLease): () => Promise<void> {
  if (lease === NO_LEASE) return NO_LEASE.release
  const timer = setInterval(() => {
    lease.extend(LEASE_MS).catch(() => false)
  }, EXTEND_EVERY_MS)
  timer.unref?.()
  return async () => {
    clearInterval(timer)
    await lease.release()
  }
}
