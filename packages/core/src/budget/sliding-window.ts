/**
 * Counts events in a sliding window: at most `limit` in any `windowMs` span. Polar's windows
 * open with the first request after the last one closed, so a count per clock minute is not
 * enough: the end of one minute and the start of the next can fall in one of Polar's windows
 * and hold twice the budget. A sliding window never does.
 *
 * This is the in-process count (the memory store, and every process on its own while a shared
 * store does not answer); `redisStore` keeps the same count in a sorted set.
 */
export class SlidingWindow {
  /** When each counted event happened, oldest first; never more than the largest limit used. */
  readonly #times: number[] = []
  readonly #windowMs: number

  constructor(windowMs: number) {
    this.#windowMs = windowMs
  }

  /**
   * Counts one event now when fewer than `limit` happened in the last `windowMs` and
   * returns 0; otherwise counts nothing and returns the milliseconds until the count is below
   * `limit` again (at least 1).
   */
  take(limit: number): number {
    if (limit <= 0) return this.#windowMs
    const now = Date.now()
    const from = now - this.#windowMs
    let expired = 0
    while (expired < this.#times.length && this.#times[expired]! <= from) expired++
    if (expired > 0) this.#times.splice(0, expired)
    const count = this.#times.length
    // With `limit` or more in the window, a slot frees when the event `limit` places from the
    // newest leaves it.
    if (count >= limit) return Math.max(1, this.#times[count - limit]! - from)
    this.#times.push(now)
    return 0
  }
}
