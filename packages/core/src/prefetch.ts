import { asPolarSessionError, type PolarSessionErrorCode } from './errors.js'
import type { PrefetchResult } from './observe/stats.js'
import type { Logger } from './types.js'

/** Prefetches running at once: enough to keep up with sign-ins, few enough to leave Polar's budget to people. */
export const PREFETCH_MAX_IN_FLIGHT = 8
/** Prefetches waiting for a slot; past this they are dropped (the first portal visit then creates). */
export const PREFETCH_MAX_QUEUED = 64

interface Task {
  readonly key: string
  readonly run: () => Promise<void>
  readonly settle: () => void
}

const SETTLED: Promise<void> = Promise.resolve()

/**
 * Runs prefetches in the background: at most {@link PREFETCH_MAX_IN_FLIGHT} at a time, at most
 * {@link PREFETCH_MAX_QUEUED} waiting, one per key (a second prefetch of a key already queued or
 * running joins it). A sign-in burst thus never queues work without bound, and a user who signs
 * in twice costs one lookup.
 */
export class PrefetchQueue {
  readonly #pending = new Map<string, Promise<void>>()
  readonly #waiting: Task[] = []
  #inFlight = 0
  #closed = false

  /**
   * Starts or queues `run` (which must not reject) for `key`. Says what came of it, and gives
   * a promise that resolves once the prefetch of `key` is over (at once when dropped).
   */
  submit(key: string, run: () => Promise<void>): { result: PrefetchResult; done: Promise<void> } {
    if (this.#closed) return { result: 'dropped', done: SETTLED }
    const pending = this.#pending.get(key)
    if (pending !== undefined) return { result: 'skipped', done: pending }
    if (this.#inFlight >= PREFETCH_MAX_IN_FLIGHT && this.#waiting.length >= PREFETCH_MAX_QUEUED)
      return { result: 'dropped', done: SETTLED }
    let settle!: () => void
    const done = new Promise<void>((resolve) => (settle = resolve))
    this.#pending.set(key, done)
    const task = { key, run, settle }
    if (this.#inFlight < PREFETCH_MAX_IN_FLIGHT) this.#start(task)
    else this.#waiting.push(task)
    return { result: 'started', done }
  }

  /** Drops what waits and refuses new prefetches; those running finish (the instance waits for them). */
  close(): void {
    this.#closed = true
    for (const task of this.#waiting.splice(0)) {
      this.#pending.delete(task.key)
      task.settle()
    }
  }

  #start(task: Task): void {
    this.#inFlight++
    const finish = (): void => {
      this.#inFlight--
      this.#pending.delete(task.key)
      task.settle()
      const next = this.#waiting.shift()
      if (next !== undefined) this.#start(next)
    }
    task.run().then(finish, finish)
  }
}

/** What concerns one user or an outage: the metrics show it; a log line per sign-in would not help. */
const QUIET_CODES: ReadonlySet<PolarSessionErrorCode> = new Set([
  'customer_not_found',
  'member_not_found',
  'member_required',
  'polar_unavailable',
  'rate_limited',
])
const WARN_EVERY_MS = 60_000

/**
 * The log of failed prefetches, which never reach the caller: a wrong configuration or a bad
 * argument (`polar_unauthorized`, `invalid_identity`, an app's own error…) at `warn`, at most
 * once a minute per code; an unknown customer or an outage at `debug`. Messages of
 * `PolarSessionError`s hold no secret; of anything else only the class is logged.
 */
export function createPrefetchErrorLog(logger: Logger): (thrown: unknown) => void {
  const lastWarned = new Map<PolarSessionErrorCode, number>()
  return (thrown) => {
    const error = asPolarSessionError(thrown)
    const fields = {
      code: error.code,
      status: error.status,
      ...(error.code === 'internal_error' && thrown instanceof Error ? { causeName: thrown.name } : {}),
    }
    try {
      if (QUIET_CODES.has(error.code)) {
        logger.debug(fields, 'polar-session: prefetch got no session')
        return
      }
      const now = Date.now()
      if (now - (lastWarned.get(error.code) ?? Number.NEGATIVE_INFINITY) < WARN_EVERY_MS) return
      lastWarned.set(error.code, now)
      const message = error.code === 'internal_error' ? {} : { err: error.message }
      logger.warn({ ...fields, ...message }, 'polar-session: prefetch failed (logged at most once a minute per code)')
    } catch {
      // A broken logger must not break a prefetch, which never throws.
    }
  }
}
