import type { Attributes } from '@opentelemetry/api'
import type { UpstreamCallObserver, UpstreamObserver } from '../polar/types.js'
import type { Telemetry } from './telemetry.js'

const IGNORED: UpstreamCallObserver = { attempt: () => {}, retry: () => {} }

/**
 * Watches the client's calls to Polar: with OpenTelemetry, records
 * `polar_session.upstream.duration` for every attempt. Only the method, the status and the
 * outcome are recorded: the request body (the identity), the token and the answer (the
 * session, the portal URL, emails) never are.
 */
export function upstreamObserver(telemetry: Telemetry): UpstreamObserver {
  const otel = telemetry.otel
  if (otel === null) return { call: (_path, run) => run(IGNORED) }
  const observed: UpstreamCallObserver = {
    attempt(durationMs, status, outcome) {
      const attributes: Attributes = { 'http.request.method': 'POST', outcome }
      if (status !== null) attributes['http.response.status_code'] = status
      otel.upstreamDuration.record(durationMs, attributes)
    },
    retry: () => {},
  }
  return { call: (_path, run) => run(observed) }
}
