/** First backoff step, in ms. */
export const BACKOFF_BASE_MS = 100
/** Largest backoff step, in ms. */
export const BACKOFF_CAP_MS = 2_000

/**
 * "Full jitter" exponential backoff: a uniform delay in `[0, min(cap, base · 2^(failures-1)))`.
 * `failures` counts failed attempts so far (1 after the first failure).
 */
export function backoffDelay(
  failures: number,
  random: () => number,
  baseMs = BACKOFF_BASE_MS,
  capMs = BACKOFF_CAP_MS,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, failures - 1))
  let r = random()
  if (!Number.isFinite(r) || r < 0) r = 0
  if (r > 1) r = 1
  return Math.floor(r * ceiling)
}

/**
 * Seconds until a retry makes sense, from a `Retry-After` header: delta-seconds (Polar sends whole
 * seconds) or an HTTP date. `undefined` when absent or unreadable; never negative.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const seconds = Number(trimmed)
    return Number.isFinite(seconds) ? seconds : undefined
  }
  // HTTP-date (IMF-fixdate and the obsolete forms Date.parse understands). Require a weekday
  // prefix so that arbitrary text is not mistaken for a date.
  if (/^[A-Za-z]{3},? /.test(trimmed)) {
    const at = Date.parse(trimmed)
    if (Number.isFinite(at)) return Math.max(0, Math.ceil((at - now) / 1000))
  }
  return undefined
}

/**
 * Waits `ms`, or rejects with `signal.reason` as soon as `signal` aborts. The timer is cleared on
 * abort, so nothing is left pending once the promise settles.
 */
export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
