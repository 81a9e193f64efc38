// The public shape of the telemetry: no OpenTelemetry type in here, so the declarations app
// authors compile against never name a package they may not have installed.
import type { PolarSessionErrorCode } from '../errors.js'

/** What came of one HTTP request to Polar (the `outcome` attribute of `polar_session.upstream.duration`). */
export type UpstreamOutcome =
  /** A 2xx with a well-formed body. */
  | 'ok'
  /** 429. */
  | 'rate_limited'
  /** 5xx. */
  | 'server_error'
  /** Any other status: 4xx (unknown customer, bad token…), a 3xx. */
  | 'rejected'
  /** No answer within `timeoutMs`. */
  | 'timeout'
  /** The connection failed or was reset. */
  | 'network_error'
  /** A 2xx whose body was malformed, too large, or carried a portal URL off `portalOrigins`. */
  | 'invalid_response'

/** Why a request to Polar was not sent (the `reason` attribute of `polar_session.budget.refused`). */
export type BudgetRefusal =
  /** `maxCreationsPerMinute` (or attach mode's share of it) was spent in this window. */
  | 'budget_spent'
  /** Polar answered 429 a moment ago, and asked everyone to wait. */
  | 'polar_rate_limited'

/** What came of a `prefetch()` call (the `result` attribute of `polar_session.prefetches`). */
export type PrefetchResult =
  /** A lookup, and a creation when needed, was started (or queued). */
  | 'started'
  /** Nothing to do: a session was cached, or the same prefetch was already under way. */
  | 'skipped'
  /** Refused: too many prefetches waiting, or the instance closing. */
  | 'dropped'

/**
 * What `polar.stats()` returns: the OpenTelemetry counters and gauges of one instance, as a
 * plain object (counts since it was created), for apps without OpenTelemetry. Holds no secret
 * and no identity. See docs/observability.md.
 */
export interface PolarSessionsStats {
  readonly cache: {
    /** Lookups answered with a cached session. */
    readonly hits: number
    /**
     * Lookups that found none to hand out: a creation followed (or was joined), an unknown
     * customer was remembered, or `cachedOnly` found nothing. `hits + misses` is every lookup
     * that passed input checks.
     */
    readonly misses: number
    /** Sessions held by the memory store; null when the store lives outside the process. */
    readonly size: number | null
  }
  /** Sessions Polar created for this instance. */
  readonly creations: number
  /** Errors thrown by `getSession` and `resolve`, and failed prefetches, by code. */
  readonly errors: Readonly<Partial<Record<PolarSessionErrorCode, number>>>
  /** `invalidate()` calls that took effect (webhooks included). */
  readonly invalidations: number
  readonly budget: {
    /** Requests not sent because `maxCreationsPerMinute` (or attach mode's share) was spent. */
    readonly refused: number
    /** Requests not sent because Polar's last 429 asked to wait. */
    readonly blocked: number
  }
  readonly upstream: {
    /** HTTP requests sent to Polar, every retry included. */
    readonly requests: number
    /** Their total duration in ms (divide by `requests` for the mean). */
    readonly durationMs: number
    readonly outcomes: Readonly<Record<UpstreamOutcome, number>>
  }
  readonly breaker: {
    /** True while the circuit breaker fails fast or lets a probe through (not closed). */
    readonly open: boolean
    readonly state: 'closed' | 'open' | 'half-open'
  }
  readonly prefetch: Readonly<Record<PrefetchResult, number>>
}
