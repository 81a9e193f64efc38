import { isPolarSessionError, type PolarSessionErrorCode } from '../errors.js'
import { instruments, otelApi, type GaugeSource, type Instruments } from './otel.js'
import type { BudgetRefusal } from './stats.js'

/** What the telemetry reads off its instance. */
export interface TelemetrySource {
  breakerState(): 'closed' | 'open' | 'half-open'
  cacheSize(): number | null
}

const BUDGET_ATTRIBUTES = {
  budget_spent: Object.freeze({ reason: 'budget_spent' }),
  polar_rate_limited: Object.freeze({ reason: 'polar_rate_limited' }),
} as const
/** One attributes object per code, built on first use: counting allocates nothing after that. */
const ERROR_ATTRIBUTES = new Map<string, Readonly<{ code: string }>>()
const CODE_SHAPE = /^[a-z_]{1,40}$/

/** The code an error is counted under; anything that is not a `PolarSessionError` is `internal_error`. */
function codeOf(error: unknown): PolarSessionErrorCode {
  return isPolarSessionError(error) && CODE_SHAPE.test(error.code) ? error.code : 'internal_error'
}

/**
 * One instance's telemetry: the modules call it at each point worth counting, in one line.
 * With `@opentelemetry/api` installed, each count is a `Counter.add` with a pre-built
 * attributes object (the cache hit path allocates nothing); without it, nothing.
 */
export class Telemetry implements GaugeSource {
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
    this.otel?.hits.add(1)
  }

  miss(): void {
    this.otel?.misses.add(1)
  }

  created(): void {
    this.otel?.creations.add(1)
  }

  invalidated(): void {
    this.otel?.invalidations.add(1)
  }

  /** An error that leaves `getSession` or `resolve`. */
  error(error: unknown): void {
    if (this.otel === null) return
    const code = codeOf(error)
    let attributes = ERROR_ATTRIBUTES.get(code)
    if (attributes === undefined) {
      attributes = Object.freeze({ code })
      ERROR_ATTRIBUTES.set(code, attributes)
    }
    this.otel.errors.add(1, attributes)
  }

  refused(reason: BudgetRefusal): void {
    this.otel?.budgetRefused.add(1, BUDGET_ATTRIBUTES[reason])
  }

  breakerOpen(): number {
    return this.#source.breakerState() === 'closed' ? 0 : 1
  }

  cacheSize(): number | null {
    return this.#source.cacheSize()
  }

  /** Stops feeding the gauges (the instance is closed). */
  close(): void {
    this.#stopGauges?.()
    this.#stopGauges = null
  }
}
