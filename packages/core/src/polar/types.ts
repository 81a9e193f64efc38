import type { UpstreamOutcome } from '../observe/stats.js'
import type { Logger, PolarCustomer } from '../types.js'

/** A failed attempt that may be retried. */
export type RetryableFailure =
  | { kind: 'rate_limited'; status: 429; retryAfterSec?: number }
  | { kind: 'server_error'; status: 500 | 502 | 503 | 504; retryAfterSec?: number }
  | { kind: 'timeout'; timeoutMs: number; clampedByDeadline: boolean }
  | { kind: 'network'; error: unknown; code?: string }

/** Options of {@link createPolarClient}. The core fills in its defaults before calling it. */
export interface PolarClientOptions {
  /** API base URL, e.g. `https://api.polar.sh`, a proxy, or a fake's URL. A trailing slash is fine. */
  baseUrl: string
  /** Organization access token (`polar_oat_…`). Never logged, never in an error message. */
  accessToken: string
  /** Which environment `baseUrl` is: `custom` when the user gave a base URL. Used in error messages. */
  environment: 'production' | 'sandbox' | 'custom'
  /** Budget of one attempt, from sending the request to the last byte of the body. */
  timeoutMs: number
  /** Budget of one call, all attempts and the waits between them included. */
  deadlineMs: number
  /** A 429 whose `retry-after` is longer than this (or than what is left of the deadline) fails at once. */
  maxRetryAfterMs: number
  /** Attempts per call, the first included. Default 4. */
  maxAttempts?: number
  fetch: typeof globalThis.fetch
  logger: Logger
  /** Sent as `User-Agent`, e.g. `@polar-session/core/0.1.0 node/20.20.2`. */
  userAgent: string
  /** Source of jitter in [0, 1). Default `Math.random`. */
  random?: () => number
  /** Waits between attempts. Must reject (with `signal.reason`) when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Called on every 429 with its `retry-after` in seconds (undefined when unreadable). */
  onRateLimited?: (retryAfterSec: number | undefined) => void
  /** Called after every attempt with Polar's status, or null when no answer came (timeout, reset). */
  onAnswer?: (status: number | null) => void
  /** Which portal URLs a session may carry; see {@link PortalUrlPolicy}. */
  portalUrls: PortalUrlPolicy
  /** Watches every call and attempt (metrics, spans). Default: nothing watches. */
  observer?: UpstreamObserver
}

/** Watches the client's calls to Polar, for telemetry. Its methods must not throw. */
export interface UpstreamObserver {
  /** Runs one call (every attempt of it) as `run`; what `run` resolves or throws passes through. */
  call<T>(path: string, run: (call: UpstreamCallObserver) => Promise<T>): Promise<T>
}

/** Watches one call. */
export interface UpstreamCallObserver {
  /** One HTTP request came back with `status`, or with none (null: a timeout, a reset). */
  attempt(durationMs: number, status: number | null, outcome: UpstreamOutcome): void
  /** The call tries again after `delayMs`, because of `failure`. */
  retry(attempt: number, delayMs: number, failure: RetryableFailure): void
}

/** What a `customer_portal_url` must look like to be handed to a user. */
export interface PortalUrlPolicy {
  /** Origins the portal may live on, e.g. `https://polar.sh`. */
  origins: ReadonlySet<string>
  /** Whether `http:` is accepted (only against a loopback base URL: the fake). */
  allowHttp: boolean
}

/** Per-call options of the client's methods. */
export interface CallOptions {
  /** Aborts the call: the in-flight request is aborted and the call rejects with `signal.reason`. */
  signal?: AbortSignal
  /**
   * Asked before every attempt, retries included; throws (a `PolarSessionError`) to send
   * nothing. The creation budget lives behind it.
   */
  admit?: () => Promise<void> | void
}

/** Who to create a session for: exactly one of `customerId` / `externalCustomerId`, at most one member id. */
export interface CreateSessionInput {
  customerId?: string
  externalCustomerId?: string
  memberId?: string
  externalMemberId?: string
  /** Sent as `return_url` when a string; omitted when `undefined` or `null`. */
  returnUrl?: string | null
}

/** A session as Polar answered it, camelCased and type-checked. Holds secrets: the token and the portal URL. */
export interface ReceivedSession {
  id: string
  token: string
  /** Polar's clock. */
  createdAt: Date
  modifiedAt: Date | null
  /** Polar's clock: compare with `createdAt`, not with the local clock. */
  expiresAt: Date
  returnUrl: string | null
  customerPortalUrl: string
  customerId: string
  customer: PolarCustomer
  /**
   * `Date.now()` when the request that created it was sent. Local expiry = `sentAt + (expiresAt -
   * createdAt)`: conservative, since Polar started the clock after this moment.
   */
  sentAt: number
}

/** A customer to create (`POST /v1/customers/`), for `createCustomer: true`. */
export interface CreateCustomerInput {
  externalId: string
  email: string
  name?: string | null
}

export interface PolarClient {
  /** `POST /v1/customer-sessions/`. Rejects with a `PolarSessionError`, or with `signal.reason` when `signal` aborts. */
  createCustomerSession(input: CreateSessionInput, call?: CallOptions): Promise<ReceivedSession>
  /** `POST /v1/customers/`. Rejects with a `PolarSessionError`, or with `signal.reason` when `signal` aborts. */
  createCustomer(input: CreateCustomerInput, call?: CallOptions): Promise<PolarCustomer>
}

/**
 * The `cause` of a `PolarSessionError` built from a Polar HTTP answer: what Polar objected to,
 * without any value (no ids, no `input`, no `msg` text that might echo one).
 */
export interface PolarErrorDetails {
  /** HTTP status Polar answered. */
  status: number
  /** The `error` field of Polar's body (`PolarRequestValidationError`, `invalid_token`, …), when present. */
  error?: string
  /** Validation issues: `loc` (e.g. `['body', 'external_id']`) and pydantic `type`. */
  issues?: Array<{ loc: string[]; type?: string }>
}
