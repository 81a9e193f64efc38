// The public vocabulary of the telemetry: no OpenTelemetry type in here, so the declarations
// app authors compile against never name a package they may not have installed.
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
