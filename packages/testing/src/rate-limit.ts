// Polar's API rate limit, as server/polar/rate_limit.py configures asgi-ratelimit
// (0.10) with its Redis backend, for every path under /v1:
//
// - Fixed windows. A bucket's window opens with its first counted request
//   (Redis `SET key limit EX 60 NX`) and closes a whole window later, whatever
//   happened in between. A refused request is not counted (the Lua script
//   returns before its DECR) and does not move the window.
// - A refused request gets 429 with `retry-after` = the rule's whole window in
//   seconds (60 for a per-minute rule), never the time left.
// - The bucket is the authenticated identity: `organization:{id}` for an
//   organization token, `user:{id}` for a personal token, `customer:{id}` /
//   `member:{id}` for a customer or member session, the client IP without a
//   token. All of them share the organization's rule (500 a minute in
//   production, 100 in sandbox).
// - The middleware runs before authentication, so it only knows a token's
//   identity from a cache that authentication fills (TTL 5 minutes, renewed
//   by every authenticated request). A token missing from it (first use, idle
//   for 5 minutes, or invalid: invalid tokens never get in) counts against its
//   own `pending_auth` bucket, 60 a minute, instead of its organization's.
//
// Time is the fake's clock (real clock + offset), so setClockOffset() or a
// test faking Date moves buckets into their next window.

export interface RateLimitRules {
  /** Requests per window and bucket (organization, user, session, IP). */
  limit: number
  windowMs: number
  /** Requests per window for a token whose identity is not cached; null turns the rule off. */
  pendingAuthLimit: number | null
}

/** rate_limit.py's _IDENTITY_TTL_SECONDS. */
export const IDENTITY_TTL_MS = 5 * 60_000

/** Who a request counts against, as far as the limiter can tell before authentication. */
export type RateLimitCaller =
  | { kind: 'anonymous'; ip: string }
  /** `identity()` names the token's bucket (null for an invalid token); used when the pending rule is off. */
  | { kind: 'token'; token: string; identity: () => string | null }

interface Window {
  endsAtMs: number
  remaining: number
}

const SWEEP_EVERY = 10_000

export class PolarRateLimiter {
  private readonly windows = new Map<string, Window>()
  private readonly identities = new Map<string, { bucket: string; expiresAtMs: number }>()
  private hitsSinceSweep = 0

  constructor(readonly rules: RateLimitRules) {}

  /** The 429's retry-after: the whole window, in whole seconds (at least 1). */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.rules.windowMs / 1000))
  }

  /** Before authentication: null when the request may go on (it is then counted), else retry-after seconds. */
  check(caller: RateLimitCaller, nowMs: number): number | null {
    if (++this.hitsSinceSweep >= SWEEP_EVERY) this.sweep(nowMs)
    if (caller.kind === 'anonymous') return this.hit(`ip:${caller.ip}`, this.rules.limit, nowMs)
    const cached = this.identities.get(caller.token)
    if (cached && cached.expiresAtMs > nowMs) return this.hit(cached.bucket, this.rules.limit, nowMs)
    if (this.rules.pendingAuthLimit !== null) {
      return this.hit(`token:${caller.token}`, this.rules.pendingAuthLimit, nowMs)
    }
    // Pending rule off: count against the token's own identity from its first request.
    const bucket = caller.identity()
    return bucket === null ? null : this.hit(bucket, this.rules.limit, nowMs)
  }

  /** After a successful authentication: write_cached_identity(), renewing the 5 minutes. */
  rememberIdentity(token: string, bucket: string, nowMs: number): void {
    this.identities.set(token, { bucket, expiresAtMs: nowMs + IDENTITY_TTL_MS })
  }

  /** After an invalid token: clear_cached_identity(). */
  forgetIdentity(token: string): void {
    this.identities.delete(token)
  }

  private hit(bucket: string, limit: number, nowMs: number): number | null {
    let window = this.windows.get(bucket)
    if (!window || window.endsAtMs <= nowMs) {
      window = { endsAtMs: nowMs + this.rules.windowMs, remaining: limit }
      this.windows.set(bucket, window)
    }
    if (window.remaining < 1) return this.retryAfterSeconds
    window.remaining--
    return null
  }

  /** Forgets closed windows and expired identities, so hostile clients cannot grow the maps forever. */
  private sweep(nowMs: number): void {
    this.hitsSinceSweep = 0
    for (const [bucket, window] of this.windows) if (window.endsAtMs <= nowMs) this.windows.delete(bucket)
    for (const [token, identity] of this.identities) if (identity.expiresAtMs <= nowMs) this.identities.delete(token)
  }
}
