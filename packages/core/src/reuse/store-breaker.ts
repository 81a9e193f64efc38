/** Failed calls in a row that make the core stop waiting on the store. */
export const STORE_BREAKER_THRESHOLD = 3
/** How long a failing store is skipped before calls go through again. */
export const STORE_COOLDOWN_MS = 2_000

/**
 * Stops waiting on a shared store that keeps failing. After {@link STORE_BREAKER_THRESHOLD}
 * failures in a row (errors or timeouts) the store is skipped for {@link STORE_COOLDOWN_MS}:
 * requests use the near cache and the per-process single-flight, and cost no time on the store
 * at all. Then calls go through again; one more failure skips it for another cool-down, a
 * success closes it.
 *
 * Failures within `burstMs` of the previous one count once: every call in flight times out
 * together when this process was starved of CPU for a moment, and that is one event, not a
 * store that keeps failing. A store that is really down fails again after each burst.
 */
export class StoreBreaker {
  readonly #burstMs: number
  #failures = 0
  #skipUntil = 0
  #lastFailureAt = Number.NEGATIVE_INFINITY

  constructor(burstMs: number) {
    this.#burstMs = burstMs
  }

  /** Whether calls should skip the store right now. */
  get open(): boolean {
    return Date.now() < this.#skipUntil
  }

  succeeded(): void {
    this.#failures = 0
    this.#skipUntil = 0
  }

  /** Records a failure; true when it opened the breaker (worth one log line). */
  failed(): boolean {
    const now = Date.now()
    const sameBurst = now - this.#lastFailureAt < this.#burstMs
    this.#lastFailureAt = now
    if (sameBurst) return false
    this.#failures++
    if (this.#failures < STORE_BREAKER_THRESHOLD) return false
    const wasOpen = this.open
    this.#skipUntil = Date.now() + STORE_COOLDOWN_MS
    // After the cool-down, the first failure reopens it at once.
    this.#failures = STORE_BREAKER_THRESHOLD - 1
    return !wasOpen
  }
}
