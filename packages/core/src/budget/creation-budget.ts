import { PolarSessionError } from '../errors.js'
import type { SharedBudget, StoreCall } from '../reuse/entry-store.js'
import type { BudgetRefusal } from '../observe/stats.js'
import type { Logger } from '../types.js'
import { SlidingWindow } from './sliding-window.js'
import { TokenWarmup } from './token-warmup.js'

/**
 * Why a session is being created. A person waits for an `interactive` creation (a portal
 * visit, a redirect, `getSession`); an `attach` creation happens only because attach mode is
 * mounted in front of routes that may never use the session, so it gets a smaller share.
 */
export type CreationPurpose = 'interactive' | 'attach'

/**
 * Polar counts requests in fixed one-minute windows that open with the first request; the
 * budget counts in a sliding minute, so that no window of Polar's can hold more than the budget.
 */
export const BUDGET_WINDOW_MS = 60_000
/** The budget's refusal is logged at most this often. */
const WARN_EVERY_MS = 60_000
/** A 429 without a readable `retry-after`: Polar's windows are a minute long. */
const DEFAULT_BLOCK_SEC = 60
/**
 * A caller that slept exactly `retry-after` may wake a few ms "early" on the wall clock (timers
 * run on the monotonic one): it is let through rather than refused for a rounding error.
 */
const CLOCK_SLACK_MS = 20

export interface CreationBudgetOptions {
  /** Polar requests allowed in any minute (a sliding window); `Infinity` turns counting off (429s still block). */
  maxPerMinute: number
  /** Share of `maxPerMinute` that `attach` creations may use, 0 to 1. */
  attachShare: number
  /** Where processes share their count and Polar's 429s; null for one process. */
  shared: SharedBudget | null
  /** Prefix of the shared keys: a hash that tells apart environments and tokens. */
  scope: string
  logger: Logger
  /** Longest a request waits for the first one after a quiet spell (see {@link TokenWarmup}). */
  warmupWaitMs: number
  /** Told of every refusal, for telemetry. */
  onRefused?: (reason: BudgetRefusal) => void
}

/**
 * Spends Polar's rate limit, which belongs to the whole organization, deliberately: every
 * request to Polar is admitted here first. It is refused (503 `rate_limited`, `Retry-After`)
 * when the last minute's budget is spent (`attach` creations already at their share), or while
 * Polar's last 429 asks everyone to wait. Refusals cost Polar nothing; the session cache then
 * serves a still-valid session when it has one. After a quiet spell, one request goes first
 * (see {@link TokenWarmup}).
 */
export class CreationBudget {
  readonly #options: CreationBudgetOptions
  readonly #attachLimit: number
  #blockedUntil = 0
  /** This process's own count: all of it without a shared store, else while the store fails. */
  readonly #local = new SlidingWindow(BUDGET_WINDOW_MS)
  /**
   * When each purpose's budget was last found spent, until when (ms since the epoch). Nothing
   * can free a slot sooner: entries leave a sliding window only as they age.
   */
  readonly #spentUntil: Record<CreationPurpose, number> = { interactive: 0, attach: 0 }
  #lastWarnAt = Number.NEGATIVE_INFINITY
  readonly #warmup: TokenWarmup

  constructor(options: CreationBudgetOptions) {
    this.#options = options
    this.#attachLimit = Math.floor(options.maxPerMinute * options.attachShare)
    this.#warmup = new TokenWarmup(options.warmupWaitMs)
  }

  /**
   * Whether a request to Polar may be sent now; throws `rate_limited` when not. `call` is the
   * request's view of the shared store: once one of its calls failed, the budget asks the store
   * nothing more for it and counts in this process.
   */
  async admit(purpose: CreationPurpose, call?: StoreCall): Promise<void> {
    const now = Date.now()
    if (now + CLOCK_SLACK_MS < this.#blockedUntil) throw this.#blocked(now)
    const { shared, maxPerMinute } = this.#options
    if (shared !== null) {
      const until = await shared.readBlock(this.#blockKey(), call).catch(() => null)
      if (until !== null && until > Date.now() + CLOCK_SLACK_MS) {
        this.#blockedUntil = Math.max(this.#blockedUntil, until)
        throw this.#blocked(Date.now())
      }
    }
    if (maxPerMinute !== Infinity) await this.#count(purpose, call)
    await this.#warmup.ready()
    // The first request after a quiet spell may have been refused meanwhile: it blocks us too.
    if (Date.now() + CLOCK_SLACK_MS < this.#blockedUntil) throw this.#blocked(Date.now())
  }

  /**
   * A refusal this process already knows of, without asking the store: Polar's 429 is still
   * in force, or this purpose's budget was found spent and cannot have freed a slot yet. The
   * session cache asks before any store work, so that page views refused while the budget is
   * spent cost no lock, generation or count round trips. Null: ask {@link admit}.
   */
  knownRefusal(purpose: CreationPurpose): PolarSessionError | null {
    const now = Date.now()
    if (now + CLOCK_SLACK_MS < this.#blockedUntil) return this.#blocked(now)
    const spentUntil = this.#spentUntil[purpose]
    return now < spentUntil ? this.#spent(purpose, spentUntil - now) : null
  }

  /** Polar answered a request with `status` (null: no answer at all). */
  answered(status: number | null): void {
    this.#warmup.answered(status)
  }

  /** Counts one request in the last minute's budget; throws `rate_limited` when it is spent. */
  async #count(purpose: CreationPurpose, call: StoreCall | undefined): Promise<void> {
    const { shared, maxPerMinute } = this.#options
    const limit = purpose === 'attach' ? this.#attachLimit : maxPerMinute
    const waitMs =
      shared === null
        ? this.#local.take(limit)
        : await shared
            .countInWindow(this.#countKey(), limit, BUDGET_WINDOW_MS, call)
            .catch(() => this.#local.take(limit))
    if (waitMs > 0) {
      const until = Date.now() + waitMs
      // The whole budget spent is attach's share spent too (it is the smaller limit).
      for (const spent of purpose === 'interactive' ? (['interactive', 'attach'] as const) : (['attach'] as const)) {
        this.#spentUntil[spent] = Math.max(this.#spentUntil[spent], until)
      }
      throw this.#spent(purpose, waitMs)
    }
  }

  /**
   * Polar answered 429: nothing more is sent, by this process or (with a shared store) any
   * other, until `retry-after` has passed.
   */
  rateLimited(retryAfterSec: number | undefined): void {
    const waitMs = Math.max(0, retryAfterSec ?? DEFAULT_BLOCK_SEC) * 1_000
    const until = Date.now() + waitMs
    if (waitMs === 0 || until <= this.#blockedUntil) return
    this.#blockedUntil = until
    this.#options.logger.warn(
      { retryAfterSec: waitMs / 1_000 },
      "polar-session: Polar's rate limit was hit; no request is sent to Polar until its retry-after has passed",
    )
    this.#options.shared?.writeBlock(this.#blockKey(), until, waitMs).catch(() => {})
  }

  /** Milliseconds until Polar may be called again after a 429; 0 when not blocked. */
  get blockedForMs(): number {
    return Math.max(0, this.#blockedUntil - Date.now())
  }

  #countKey(): string {
    return `${this.#options.scope}:count`
  }

  #blockKey(): string {
    return `${this.#options.scope}:block`
  }

  #blocked(now: number): PolarSessionError {
    this.#options.onRefused?.('polar_rate_limited')
    return new PolarSessionError(
      'rate_limited',
      "Polar's rate limit was hit; no session can be created until its retry-after has passed.",
      { status: 503, retryAfter: Math.max(1, Math.ceil((this.#blockedUntil - now) / 1_000)) },
    )
  }

  #spent(purpose: CreationPurpose, waitMs: number): PolarSessionError {
    this.#options.onRefused?.('budget_spent')
    const secondsLeft = Math.max(1, Math.ceil(waitMs / 1_000))
    const now = Date.now()
    if (now - this.#lastWarnAt >= WARN_EVERY_MS) {
      this.#lastWarnAt = now
      this.#options.logger.warn(
        { purpose, maxCreationsPerMinute: this.#options.maxPerMinute, secondsLeft },
        'polar-session: the creation budget of the last minute is spent; refusing new sessions until it frees (logged at most once a minute)',
      )
    }
    const what =
      purpose === 'attach'
        ? "Attach mode's share of the last minute's creation budget (attachBudgetShare)"
        : "The last minute's creation budget (maxCreationsPerMinute)"
    return new PolarSessionError('rate_limited', `${what} is spent; try again in ${secondsLeft} s.`, {
      status: 503,
      retryAfter: secondsLeft,
    })
  }
}
