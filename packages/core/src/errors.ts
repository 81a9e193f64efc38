/**
 * Every code a {@link PolarSessionError} can carry. Stable: switch on it.
 *
 * | code | status | meaning |
 * |---|---|---|
 * | `invalid_identity` | 400 | the identity is malformed (not a UUID, empty, too long, control characters…) |
 * | `invalid_return_url` | 400 | the return URL is not http(s), is off the allowed origins, or is too long |
 * | `unauthenticated` | 401 | a session is required and the request carries no (valid) identity |
 * | `customer_not_found` | 404 | Polar has no customer with that id or external id in this organization |
 * | `member_not_found` | 404 | Polar has no such member for that customer |
 * | `member_required` | 400 | the customer is a team: a `memberId` or `externalMemberId` is required |
 * | `ambiguous_customer` | 409 | the external id matches customers in several organizations (personal or OAuth2 tokens) |
 * | `polar_unauthorized` | 500 | Polar rejected the access token: invalid, expired, or from the other environment |
 * | `polar_forbidden` | 500 | the access token lacks the `customer_sessions:write` scope |
 * | `polar_rejected` | 500 | Polar rejected the request body (a bug in this library or in the options) |
 * | `rate_limited` | 503 | Polar's rate limit was hit; `retryAfter` says when to try again |
 * | `polar_unavailable` | 502/503 | Polar failed, timed out, reset the connection, or answered with a malformed body |
 * | `invalid_webhook` | 403 | a webhook's signature, timestamp, headers or body failed verification |
 * | `internal_error` | 500 | anything else: a bug, or an error thrown by the app's own `identify` |
 */
export type PolarSessionErrorCode =
  | 'invalid_identity'
  | 'invalid_return_url'
  | 'unauthenticated'
  | 'customer_not_found'
  | 'member_not_found'
  | 'member_required'
  | 'ambiguous_customer'
  | 'polar_unauthorized'
  | 'polar_forbidden'
  | 'polar_rejected'
  | 'rate_limited'
  | 'polar_unavailable'
  | 'invalid_webhook'
  | 'internal_error'

/** Fields of a {@link PolarSessionError} beyond its code and message. */
export interface PolarSessionErrorOptions {
  /** HTTP status the client should see. */
  status: number
  /** Whether the message is safe to show the client. Defaults to `status < 500`. */
  expose?: boolean
  /**
   * Seconds the client should wait before retrying (sets `Retry-After`). A 503 always has one:
   * {@link DEFAULT_RETRY_AFTER_SEC} when not given.
   */
  retryAfter?: number
  /** Extra response headers, e.g. `WWW-Authenticate`. `Retry-After` is added from `retryAfter`. */
  headers?: Record<string, string>
  /** The underlying error or response detail. Never holds a secret. */
  cause?: unknown
}

/**
 * Marks every {@link PolarSessionError}, whichever copy of this package made it: an app can end
 * up with two (an adapter resolving its own core), and `instanceof` fails across them.
 */
const BRAND = Symbol.for('@polar-session/core.PolarSessionError')

/**
 * `Retry-After` of a 503 that does not know better (Polar gave no hint): long enough for a
 * transient failure to pass, short enough not to lose the user.
 */
export const DEFAULT_RETRY_AFTER_SEC = 5

/**
 * The one error class of polar-session. It carries `status`, `statusCode`, `expose` and
 * `headers` in the shape Express's and Koa's default error handlers read, so an unhandled
 * `PolarSessionError` still answers with the right status and `Retry-After`.
 *
 * Messages never contain the access token, a session token, a portal URL or an email.
 */
export class PolarSessionError extends Error {
  override readonly name = 'PolarSessionError'
  /** Stable machine-readable code; see {@link PolarSessionErrorCode}. */
  readonly code: PolarSessionErrorCode
  /** HTTP status the client should see. */
  readonly status: number
  /** Same as `status`, for frameworks that read `statusCode`. */
  readonly statusCode: number
  /** `true` when the message may be shown to the client (4xx by default). */
  readonly expose: boolean
  /** Seconds until a retry makes sense, when known. */
  readonly retryAfter?: number
  /** Response headers the error implies (`Retry-After`, `WWW-Authenticate`). */
  readonly headers: Record<string, string>

  constructor(code: PolarSessionErrorCode, message: string, options: PolarSessionErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = options.status
    this.statusCode = options.status
    this.expose = options.expose ?? options.status < 500
    const headers = { ...options.headers }
    // Every 503 tells the client when to come back: a client left guessing retries at once.
    const retryAfter = options.retryAfter ?? (options.status === 503 ? DEFAULT_RETRY_AFTER_SEC : undefined)
    if (retryAfter !== undefined) {
      this.retryAfter = retryAfter
      headers['Retry-After'] = String(Math.max(0, Math.ceil(retryAfter)))
    }
    this.headers = headers
    Object.defineProperty(this, BRAND, { value: true })
    // Framework error pages print the stack: let its first line name the code too.
    if (typeof this.stack === 'string')
      this.stack = this.stack.replace(/^[^\n]*/, () => `PolarSessionError [${code}]: ${message}`)
  }

  /** A plain object safe to send to a client or a log: code, message, status. */
  toJSON(): { error: PolarSessionErrorCode; message: string; status: number } {
    return { error: this.code, message: this.message, status: this.status }
  }
}

/**
 * `true` when `value` is a {@link PolarSessionError}, optionally with one of `codes`. Unlike
 * `instanceof`, it also recognises errors made by another copy of `@polar-session/core`.
 */
export function isPolarSessionError(value: unknown, ...codes: PolarSessionErrorCode[]): value is PolarSessionError {
  if (typeof value !== 'object' || value === null || (value as { [BRAND]?: unknown })[BRAND] !== true) return false
  return codes.length === 0 || codes.includes((value as PolarSessionError).code)
}

/**
 * `error` as a {@link PolarSessionError}: itself when it is one, else a 500 `internal_error`
 * whose message says nothing of it (it may be anything, an app's own error included); the
 * original stays as `cause` for the app's error handler.
 */
export function asPolarSessionError(error: unknown): PolarSessionError {
  if (isPolarSessionError(error)) return error
  return new PolarSessionError('internal_error', 'Internal error.', { status: 500, expose: false, cause: error })
}
