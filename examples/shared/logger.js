// The examples' logger: pino, pretty-printed (pino-pretty) when a person watches the terminal,
// one JSON object a line otherwise (files, containers, log collectors).
//
// What is logged is chosen so that no secret ever reaches a log line: the apps log method, path,
// status, time and the app's own user id. polar-session itself never logs the access token,
// a session token, a portal URL or an email. The `redact` list below is a second net: should
// someone log a session, a header or a customer by hand, those fields are censored anyway.

import pino from 'pino'

const REDACT = [
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'customerPortalUrl',
  '*.customerPortalUrl',
  'customer_portal_url',
  '*.customer_portal_url',
  'email',
  '*.email',
  '*.*.email',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers.location',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  '*.headers.location',
]

/**
 * A pino logger. `destination` (any writable stream) forces plain JSON into it, which is how
 * the tests capture and check every line.
 */
export function createLogger({ name, level = process.env.LOG_LEVEL ?? 'info', destination } = {}) {
  const options = { name, level, redact: { paths: REDACT, censor: '[redacted]' } }
  if (destination) return pino(options, destination)
  if (process.stdout.isTTY) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' },
      },
    })
  }
  return pino(options)
}

/** Logs one line per request once it is answered: method, path (no query string), status, time. */
export function logRequest(logger, { method, path, status, startedAt }) {
  const ms = Math.round(performance.now() - startedAt)
  const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info'
  logger[level]({ method, path, status, ms }, `${method} ${path} ${status}`)
}

/** Logs a polar-session error by its stable code; its message never holds a secret. */
export function logPolarError(logger, error) {
  if (error && typeof error.code === 'string' && typeof error.status === 'number') {
    logger.warn({ code: error.code, status: error.status }, `polar-session: ${error.message}`)
  } else {
    logger.error({ err: error }, 'unexpected error')
  }
}
