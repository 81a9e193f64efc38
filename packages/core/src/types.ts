import type { PolarSessionError } from './errors.js'

/** Polar's own customer id (a UUID), with an optional member. */
export interface CustomerIdIdentity extends IdentityCommon {
  /** Polar's customer id: a UUID. Checked before any network call. */
  customerId: string
  externalCustomerId?: undefined
}

/** The app's own user id, stored on the Polar customer as `external_id`, with an optional member. */
export interface ExternalCustomerIdentity extends IdentityCommon {
  /** The app's user id: 1 to 1024 characters, no control characters. */
  externalCustomerId: string
  customerId?: undefined
}

interface IdentityCommon {
  /** Polar's member id (UUID), for team customers under the member model. Not with `externalMemberId`. */
  memberId?: string | undefined
  /** The app's id for the member, for team customers under the member model. Not with `memberId`. */
  externalMemberId?: string | undefined
  /** The customer's email; used only when creating a missing customer (`createCustomer: true`). */
  email?: string | undefined
  /** The customer's name; used only when creating a missing customer. */
  name?: string | undefined
}

/**
 * Who a session is for: `{ customerId }` (Polar's UUID) or `{ externalCustomerId }` (the app's
 * own user id), either with an optional `memberId` or `externalMemberId`.
 */
export type PolarIdentity = CustomerIdIdentity | ExternalCustomerIdentity

/** A Polar customer, camelCased from the API's `customer` object. */
export interface PolarCustomer {
  readonly id: string
  readonly type: 'individual' | 'team'
  /** May be null for team customers. Personal data: never logged by this library. */
  readonly email: string | null
  readonly emailVerified: boolean
  readonly name: string | null
  readonly externalId: string | null
  readonly organizationId: string
  readonly metadata: Readonly<Record<string, string | number | boolean>>
  readonly createdAt: Date
}

/**
 * A Polar customer session, ready to hand to the user.
 *
 * Printing it (`console.log`, `util.inspect`, `JSON.stringify`, a logger, a template string)
 * shows only a redacted form: the token, the portal URL and the email are secrets.
 */
export interface PolarSession {
  /** The session's id at Polar. */
  readonly id: string
  /** The customer (or member) session token: `polar_cst_…` or `polar_mst_…`. A credential. */
  readonly token: string
  /** When the session stops being valid, on this machine's clock (receive time + server lifetime). */
  readonly expiresAt: Date
  /** When Polar created it, on Polar's clock. */
  readonly createdAt: Date
  /** The customer portal link with the token and email embedded. A credential. */
  readonly customerPortalUrl: string
  /** The return URL Polar stored for the portal's back link (normalised by Polar), or null. */
  readonly returnUrl: string | null
  /** Polar's customer id. */
  readonly customerId: string
  /** The customer the session belongs to. */
  readonly customer: PolarCustomer
}

/**
 * Where sessions are kept between requests: three async methods over strings, TTL in
 * milliseconds. A Keyv instance fits by shape. Keys are hashes; values are opaque strings.
 */
export interface SessionStore {
  /** The value, or null/undefined when absent. Rejects (or throws) when the store fails: that is not "absent". */
  get(key: string): Promise<string | null | undefined> | string | null | undefined
  set(key: string, value: string, ttlMs: number): Promise<unknown> | unknown
  delete(key: string): Promise<unknown> | unknown
  /**
   * Optional cluster-wide mutual exclusion, so that only one process creates a session for a
   * key. Stores that live inside one process do not need it.
   */
  readonly lock?: StoreLock
  /**
   * Optional, for stores shared by several processes: a sliding-window count. Atomically, when
   * fewer than `limit` were counted at `key` in the last `windowMs`, count one more and resolve
   * 0; otherwise count nothing and resolve the milliseconds until the count falls below `limit`
   * (when the entry `limit` places from the newest leaves the window). The creation budget
   * (`maxCreationsPerMinute`) counts here, so it holds across processes; without it each
   * process counts on its own. `redisStore` keeps a sorted set stamped with Redis's clock.
   */
  countInWindow?(key: string, limit: number, windowMs: number): Promise<number>
  /**
   * Optional, for stores shared by several processes: delivers `message` to every subscriber
   * of `channel` (Redis PUBLISH). Invalidations travel this way, so other processes drop
   * their near-cache copies at once.
   */
  publish?(channel: string, message: string): Promise<unknown>
  /**
   * Optional: calls `onMessage` for every message published on `channel` until the returned
   * function is called. A store that subscribes on a connection of its own closes it then.
   */
  subscribe?(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>
  /**
   * Optional, for stores shared by several processes: store `value` at `key` (with a TTL of
   * `ttlMs`) only when the key is absent; resolves true when it was stored. A customer's first
   * sessions, created at once in several processes, then agree on one invalidation generation.
   * Without it the core writes, then reads back what won, and a close race can cost one extra
   * creation.
   */
  setIfAbsent?(key: string, value: string, ttlMs: number): Promise<boolean>
  /**
   * Optional: the store bounds each of its calls to this many milliseconds itself (redisStore
   * does). The core then trusts that bound instead of racing each call with a timer of its own,
   * which could turn a reply that merely arrived while the process was busy into a miss.
   */
  readonly opTimeoutMs?: number
  /** Optional: release connections the store itself opened. */
  close?(): Promise<void> | void
}

/** A lease on a key, held while one process creates the session. */
export interface StoreLock {
  /**
   * Try to take the lease on `key` for `ttlMs`. Resolves to the lease when taken, or `null`
   * when another process holds it. Must not throw for "held elsewhere"; may reject when the
   * store fails (the core then creates without it).
   */
  acquire(key: string, ttlMs: number): Promise<StoreLease | null>
}

/** A lease taken with {@link StoreLock.acquire}. */
export interface StoreLease {
  /** Gives the lease back (only if still ours). */
  release(): Promise<void>
  /**
   * Optional: keeps the lease for `ttlMs` more (only if still ours); false when it was lost.
   * The core extends the lease while the creation runs, so a slow Polar never outlives it.
   */
  extend?(ttlMs: number): Promise<boolean>
}

/** A pino-shaped logger. Every method takes a context object and an optional message. */
export interface Logger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/** `identify(request)` result: an identity, or null/undefined for an anonymous request. */
export type IdentifyResult = PolarIdentity | null | undefined

/** Works out who a request belongs to. Throw a {@link PolarSessionError} for a bad credential. */
export type Identify<Req = any> = (request: Req) => IdentifyResult | Promise<IdentifyResult>

/** Re-exported so `types.ts` users see the error type without a second import. */
export type { PolarSessionError }
