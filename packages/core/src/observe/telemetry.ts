import { isPolarSessionError, type PolarSessionErrorCode } from '../errors.js'
import { instruments, otelApi, type GaugeSource, type Instruments } from './otel.js'
import type { BudgetRefusal, PolarSessionsStats, PrefetchResult, UpstreamOutcome } from './stats.js'

/** What the telemetry reads off its instance. */
export interface TelemetrySource {
  breakerState(): 'closed' | 'open' | 'half-open'
  /** Sessions held in this process (the memory store's, or the near cache's in front of a shared store). */
  cacheSize(): number
}

const BUDGET_ATTRIBUTES = {
  budget_spent: Object.freeze({ reason: 'budget_spent' }),
  polar_rate_limited: Object.freeze({ reason: 'polar_rate_limited' }),
} as const
const PREFETCH_ATTRIBUTES = {
  started: Object.freeze({ result: 'started' }),
  skipped: Object.freeze({ result: 'skipped' }),
  dropped: Object.freeze({ result: 'dropped' }),
} as const
/** One attributes object per code, built on first use: counting allocates nothing after that. */
const ERROR_ATTRIBUTES = new Map<string, Readonly<{ code: string }>>()
const CODE_SHAPE = /^[a-z_]{1,40}$/

/** The code an error is counted under; anything that is not a `PolarSessionError` is `internal_error`. */
function codeOf(error: unknown): PolarSessionErrorCode {
  return isPolarSessionError(error) && CODE_SHAPE.test(error.code) ? error.code : 'internal_error'
}

/**
 * One instance's counts, and their OpenTelemetry instruments when `@opentelemetry/api` is
 * installed. Every count is an integer increment, plus a `Counter.add` with a pre-built
 * attributes object when OpenTelemetry is there: the cache hit path stays free of allocations.
 */
export class Telemetry implements GaugeSource {
  #hits = 0
  #misses = 0
  #creations = 0
  #invalidations = 0
  readonly #errors = new Map<PolarSessionErrorCode, number>()
  readonly #budget: Record<BudgetRefusal, number> = { budget_spent: 0, polar_rate_limited: 0 }
  readonly #prefetch: Record<PrefetchResult, number> = { started: 0, skipped: 0, dropped: 0 }
  readonly #upstream = {
    requests: 0,
    durationMs: 0,
    outcomes: {
      ok: 0,
      rate_limited: 0,
      server_error: 0,
      rejected: 0,
      timeout: 0,
      network_error: 0,
      invalid_response: 0,
    } as Record<UpstreamOutcome, number>,
  }
  readonly #source: TelemetrySource
  /** The instruments, or null when `@opentelemetry/api` is not installed. */
  readonly otel: Instruments | null
  #stopGauges: (() => void) | null

  constructor(source: TelemetrySource) {
    this.#source = source
    const api = otelApi()
    this.otel = api === null ? null : instruments(api)
    this.#stopGauges = this.otel?.observeGauges(this) ?? null
  }

  hit(): void {
    this.#hits++
    this.otel?.hits.add(1)
  }

  miss(): void {
    this.#misses++
    this.otel?.misses.add(1)
  }

  created(): void {
    this.#creations++
    this.otel?.creations.add(1)
  }

  invalidated(): void {
    this.#invalidations++
    this.otel?.invalidations.add(1)
  }

  /** An error that leaves `getSession` or `resolve`, or a failed prefetch. */
  error(error: unknown): void {
    const code = codeOf(error)
    this.#errors.set(code, (this.#errors.get(code) ?? 0) + 1)
    if (this.otel === null) return
    let attributes = ERROR_ATTRIBUTES.get(code)
    if (attributes === undefined) {
      attributes = Object.freeze({ code })
      ERROR_ATTRIBUTES.set(code, attributes)
    }
    this.otel.errors.add(1, attributes)
  }

  refused(reason: BudgetRefusal): void {
    this.#budget[reason]++
    this.otel?.budgetRefused.add(1, BUDGET_ATTRIBUTES[reason])
  }

  prefetched(result: PrefetchResult): void {
    this.#prefetch[result]++
    this.otel?.prefetches.add(1, PREFETCH_ATTRIBUTES[result])
  }

  /** One HTTP request to Polar came to `outcome` after `durationMs` (the histogram is recorded by its caller). */
  upstream(outcome: UpstreamOutcome, durationMs: number): void {
    this.#upstream.requests++
    this.#upstream.durationMs += durationMs
    this.#upstream.outcomes[outcome]++
  }

  breakerOpen(): number {
    return this.#source.breakerState() === 'closed' ? 0 : 1
  }

  cacheSize(): number {
    return this.#source.cacheSize()
  }

  /** Stops feeding the gauges (the instance is closed). Counts stay readable. */
  close(): void {
    this.#stopGauges?.()
    this.#stopGauges = null
  }

  snapshot(): PolarSessionsStats {
    const state = this.#source.breakerState()
    return {
      cache: { hits: this.#hits, misses: this.#misses, size: this.#source.cacheSize() },
      creations: this.#creations,
      errors: Object.fromEntries(this.#errors),
      invalidations: this.#invalidations,
      budget: { refused: this.#budget.budget_spent, blocked: this.#budget.polar_rate_limited },
      upstream: {
        requests: this.#upstream.requests,
        durationMs: Math.round(this.#upstream.durationMs),
        outcomes: { ...this.#upstream.outcomes },
      },
      breaker: { open: state !== 'closed', state },
      prefetch: { ...this.#prefetch },
    }
  }
}
