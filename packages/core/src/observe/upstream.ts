import type { Attributes, Span } from '@opentelemetry/api'
import { isPolarSessionError } from '../errors.js'
import type { RetryableFailure } from '../polar/types.js'
import type { UpstreamCallObserver, UpstreamObserver } from '../polar/types.js'
import type { Instruments } from './otel.js'
import type { UpstreamOutcome } from './stats.js'
import type { Telemetry } from './telemetry.js'

/**
 * Watches the client's calls to Polar: counts every attempt in `stats()`, and with
 * OpenTelemetry records `polar_session.upstream.duration` per attempt and one client span per
 * call (HTTP semantic conventions; retries are events on it). Only the method, Polar's host and
 * port, the route's path, statuses and error kinds are recorded: the request body (the
 * identity), the token and the answer (the session, the portal URL, emails) never are.
 */
export function upstreamObserver(telemetry: Telemetry, baseUrl: string): UpstreamObserver {
  const otel = telemetry.otel
  if (otel === null) {
    const counting: UpstreamCallObserver = {
      attempt: (durationMs, _status, outcome) => telemetry.upstream(outcome, durationMs),
      retry: () => {},
    }
    return { call: (_path, run) => run(counting) }
  }
  const url = new URL(baseUrl)
  const server: Attributes = {
    'server.address': url.hostname.replace(/^\[|\]$/g, ''),
    'server.port': url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
  }
  const { tracer, api } = otel
  return {
    call(path, run) {
      const attributes: Attributes = { 'http.request.method': 'POST', ...server, 'url.path': path }
      return tracer.startActiveSpan(`POST ${path}`, { kind: api.SpanKind.CLIENT, attributes }, async (span) => {
        const observed = new ObservedCall(telemetry, otel, span)
        try {
          return await run(observed)
        } catch (error) {
          observed.failed(error)
          throw error
        } finally {
          observed.end()
        }
      })
    },
  }
}

/** One call under its span. */
class ObservedCall implements UpstreamCallObserver {
  readonly #telemetry: Telemetry
  readonly #otel: Instruments
  readonly #span: Span
  #attempts = 0
  #status: number | null = null
  #outcome: UpstreamOutcome | null = null

  constructor(telemetry: Telemetry, otel: Instruments, span: Span) {
    this.#telemetry = telemetry
    this.#otel = otel
    this.#span = span
  }

  attempt(durationMs: number, status: number | null, outcome: UpstreamOutcome): void {
    this.#telemetry.upstream(outcome, durationMs)
    this.#attempts++
    this.#status = status
    this.#outcome = outcome
    const attributes: Attributes = { 'http.request.method': 'POST', outcome }
    if (status !== null) attributes['http.response.status_code'] = status
    this.#otel.upstreamDuration.record(durationMs, attributes)
  }

  retry(attempt: number, delayMs: number, failure: RetryableFailure): void {
    const attributes: Attributes = { 'polar_session.attempt': attempt, 'polar_session.retry_delay_ms': delayMs }
    if (failure.kind === 'rate_limited' || failure.kind === 'server_error')
      attributes['http.response.status_code'] = failure.status
    else attributes['error.type'] = failure.kind === 'timeout' ? 'timeout' : (failure.code ?? 'network_error')
    this.#span.addEvent('retry', attributes)
  }

  /**
   * `error.type` as the conventions ask: the status when Polar answered an error, else what
   * went wrong (`timeout`, `network_error`, `invalid_response`), else (nothing was sent: the
   * creation budget refused) the error's code.
   */
  failed(error: unknown): void {
    const code = isPolarSessionError(error) ? error.code : 'internal_error'
    let type: string = code
    if (this.#status !== null && this.#status >= 400) type = String(this.#status)
    else if (this.#outcome !== null && this.#outcome !== 'ok') type = this.#outcome
    this.#span.setAttributes({ 'error.type': type, 'polar_session.error_code': code })
    this.#span.setStatus({ code: this.#otel.api.SpanStatusCode.ERROR })
  }

  end(): void {
    if (this.#status !== null) this.#span.setAttribute('http.response.status_code', this.#status)
    if (this.#attempts > 1) this.#span.setAttribute('http.request.resend_count', this.#attempts - 1)
    this.#span.end()
  }
}
