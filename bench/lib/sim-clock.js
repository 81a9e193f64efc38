// The virtual clock of the capacity simulation. The core reads time only through Date.now()
// (expiry, reuse, the creation budget's windows, Polar's 429 block), so replacing it moves the
// whole policy through a day in seconds. performance.now() moves with it for lru-cache, whose
// TTLs run on it: the memory store then sees expired sessions as stale, and the runner can
// purge them so the heap holds the sessions of the last hour, not of the whole day. (The core
// never trusts lru-cache for expiry: it checks `expiresAt` against Date.now() itself.)
//
// Timers are left alone: the canned Polar answers at once, so the core's per-attempt timeout is
// always cleared before it could fire, and a 429's retry-after (60 s) is above maxRetryAfterMs,
// so the client never sleeps on one.

const realDateNow = Date.now
const perf = globalThis.performance
const realPerfNow = perf.now

/** Real elapsed milliseconds, unaffected by an installed virtual clock. */
export const realMs = () => realPerfNow.call(perf)

/** Installs the virtual clock at `startMs` (ms since the epoch). Only one at a time. */
export function installClock(startMs) {
  let now = startMs
  Date.now = () => now
  // lru-cache treats a start time of 0 as "no TTL": keep performance.now() above it.
  perf.now = () => now - startMs + 1
  return {
    set(ms) {
      if (ms < now) throw new RangeError('the virtual clock only moves forward')
      now = ms
    },
    uninstall() {
      Date.now = realDateNow
      perf.now = realPerfNow
    },
  }
}

/**
 * One real macrotask turn (a 2 ms timer): lru-cache caches "now" until a 1 ms timer of its own
 * fires, which a loop of microtasks never lets happen. Call before asking it what is stale.
 */
export const realTick = () => new Promise((resolve) => setTimeout(resolve, 2))
