import type { PolarSessionError, PolarSessionErrorCode } from '../errors.js'
import type { Logger } from '../types.js'

/** Errors that mean the configuration is wrong: every page would show them, so they shout. */
const CONFIGURATION_CODES: ReadonlySet<PolarSessionErrorCode> = new Set([
  'polar_unauthorized',
  'polar_forbidden',
  'internal_error',
])
/** Errors that mean Polar is in trouble right now. */
const OUTAGE_CODES: ReadonlySet<PolarSessionErrorCode> = new Set(['polar_unavailable', 'rate_limited'])
const ERROR_EVERY_MS = 60_000
const WARN_EVERY_MS = 10_000

/**
 * The log of errors attach mode swallows (it attaches `null` and goes on). In front of every
 * route, one broken token would otherwise log on every request: configuration errors go out at
 * `error` at most once a minute per code, outages at `warn` at most once every 10 s, and what
 * concerns one request (no customer yet, a bad return URL) at `debug`. Messages never carry a
 * secret, so they are logged as they are.
 */
export function createAttachErrorLog(logger: Logger): (error: PolarSessionError) => void {
  const lastLogged = new Map<PolarSessionErrorCode, number>()
  const due = (code: PolarSessionErrorCode, everyMs: number): boolean => {
    const now = Date.now()
    if (now - (lastLogged.get(code) ?? Number.NEGATIVE_INFINITY) < everyMs) return false
    lastLogged.set(code, now)
    return true
  }
  return (error) => {
    // Of an app's own error (internal_error), only its class: its message could hold anything.
    const cause = error.code === 'internal_error' && error.cause instanceof Error ? { causeName: error.cause.name } : {}
    const fields = { code: error.code, status: error.status, ...cause }
    try {
      if (CONFIGURATION_CODES.has(error.code)) {
        if (due(error.code, ERROR_EVERY_MS))
          logger.error(
            { ...fields, err: error.message },
            'polar-session: attach mode could not get a session (logged at most once a minute)',
          )
      } else if (OUTAGE_CODES.has(error.code)) {
        if (due(error.code, WARN_EVERY_MS))
          logger.warn(
            fields,
            'polar-session: attach mode could not get a session; requests go on without one (logged at most once every 10 s)',
          )
      } else {
        logger.debug(fields, 'polar-session: attach mode attached no session')
      }
    } catch {
      // A broken logger must not break the request.
    }
  }
}
