/**
 * In-process single-flight: while a creation for a key is under way, every other caller for
 * that key waits on the same promise, so N concurrent requests cost one upstream call.
 * Callers get the same result or the same error.
 */
export class SingleFlight<T> {
  readonly #inflight = new Map<string, Promise<T>>()

  /** The promise under way for `key`, if any. */
  get(key: string): Promise<T> | undefined {
    return this.#inflight.get(key)
  }

  /** Joins the flight for `key`, or starts `run` as its leader. */
  run(key: string, run: () => Promise<T>): Promise<T> {
    const existing = this.#inflight.get(key)
    if (existing !== undefined) return existing
    const promise = run().finally(() => {
      if (this.#inflight.get(key) === promise) this.#inflight.delete(key)
    })
    this.#inflight.set(key, promise)
    return promise
  }

  /** Settles when every flight under way now has settled. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#inflight.values()])
  }
}
