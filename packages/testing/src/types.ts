// Public types of @polar-session/testing. Other packages code against these
// names: add fields freely, never rename or narrow one.

export interface FakePolarOptions {
  /** Default 0 (an ephemeral port). The server always binds 127.0.0.1. */
  port?: number
  /** Default: a fresh, realistic organization token `polar_oat_…`. */
  accessToken?: string
  /** Default 'acme'. Used in portal URLs and the portal page route. */
  organizationSlug?: string
  /** Default: a random uuid v4. */
  organizationId?: string
  /** Default: the fake's own url, so portal URLs are served by the fake itself. */
  portalBaseUrl?: string
  /** Default 3_600_000 (Polar's CUSTOMER_SESSION_TTL). */
  sessionTtlMs?: number
  /** Default true (organizations created since 2026-02): tokens are polar_mst_…, team customers need a member. */
  memberModel?: boolean
  /** Added before every answer. Default 0. */
  latencyMs?: number
  /** The fake server's clock = real clock + offset. Default 0. */
  clockOffsetMs?: number
  /**
   * Default false. `{ limit: 500 }` is Polar production, `{ limit: 100 }` sandbox: fixed one-minute
   * windows per organization (organization tokens), per user (personal tokens), per customer or
   * member (session tokens), per IP (no token); a refused request gets 429 with `retry-after: 60`.
   */
  rateLimit?: RateLimitOption | false
  /** Customers created at start. */
  seed?: FakeCustomerInput[]
}

export interface RateLimitOption {
  /** Requests a bucket may make per window. */
  limit: number
  /** Default 60_000. The 429's retry-after is this whole window, in seconds. */
  windowMs?: number
  /**
   * Polar's `pending_auth` rule. Default 60: a token Polar has not authenticated in the last 5
   * minutes (first use, idle, or invalid) counts against its own bucket of 60 a window instead of
   * its organization's. `false`: every request of a valid token counts against its organization
   * (or user) from the first, and invalid tokens are not limited.
   */
  pendingAuthLimit?: number | false
}

export interface FakePolar {
  /** 'http://127.0.0.1:PORT' (no trailing slash). */
  readonly url: string
  /** A valid organization token with scopes customer_sessions:write, customers:write, customers:read. */
  readonly accessToken: string
  readonly organizationId: string
  readonly organizationSlug: string
  addCustomer(input: FakeCustomerInput): FakeCustomer
  /** Soft-deletes the customer: kills its sessions, frees its external id and email. */
  deleteCustomer(idOrExternalId: { id?: string; externalId?: string }): boolean
  addMember(customerId: string, input: { externalId?: string; email?: string; name?: string; id?: string }): FakeMember
  /** Kills that member's sessions. */
  deleteMember(customerId: string, memberId: string): boolean
  /** Snapshots of every customer, deleted ones included (`deleted: true`). */
  customers(): FakeCustomer[]
  /** Extra tokens, e.g. one without customer_sessions:write for 403 tests. */
  addAccessToken(opts?: { scopes?: string[]; kind?: 'organization' | 'personal' }): string
  /** Makes a token unknown to the fake (later requests with it get 401 invalid_token). */
  revokeAccessToken(token: string): boolean
  /**
   * Makes `externalId` exist in several other organizations of the user who owns the fake's
   * personal tokens. Organization tokens see one organization and are unaffected; a personal
   * token sees all of its user's, so Polar's lookup by that external id finds several customers
   * and raises: a plain-text 500 (session creation, and GET/DELETE /v1/customers/external/…).
   */
  addAmbiguousExternalId(externalId: string): void
  /** Snapshots of the sessions the fake has issued and not yet forgotten. */
  sessions(): FakeSession[]
  setLatency(ms: number): void
  setClockOffset(ms: number): void
  /** Lifetime of sessions created from now on (the sessionTtlMs option, changed at runtime). */
  setSessionTtl(ms: number): void
  fail(fault: FakeFault, opts?: { times?: number; rate?: number; route?: string }): void
  clearFaults(): void
  readonly stats: FakeStats
  /** Closes the server and destroys open keep-alive sockets and hung requests. */
  close(): Promise<void>
}

export interface FakeStats {
  /** Key like 'POST /v1/customer-sessions/' (route template for parameterised paths). */
  readonly requests: Readonly<Record<string, number>>
  readonly total: number
  /** Successful 201s of POST /v1/customer-sessions/. */
  readonly sessionsCreated: number
  /** 201s of POST /v1/customers/ (customers added with addCustomer or seed are not counted). */
  readonly customersCreated: number
  /** 429 answers, from the rate limiter or from an injected 429 fault. */
  readonly rateLimited: number
  /** TCP connections open to the fake right now (a gauge: `reset()` leaves it), to check for leaked sockets. */
  readonly connections: number
  reset(): void
}

export type FakeFault =
  | { kind: 'status'; status: 429; retryAfter?: number }
  | { kind: 'status'; status: 500 | 502 | 503 | 504 }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'malformed-json' }
  | { kind: 'missing-fields' }
  | { kind: 'expired' }
  /**
   * Session creation for an individual customer (member model on, no member id) answers Polar's
   * 422 "No owner member found for this customer." at body.customer_id: a branch of Polar's
   * service the fake's data never reaches, since it re-creates a missing owner as Polar does.
   */
  | { kind: 'no-owner-member' }

export interface FakeCustomerInput {
  id?: string
  externalId?: string | null
  email: string
  name?: string | null
  type?: 'individual' | 'team'
  /**
   * For an individual customer, members[0] (if given) describes its owner member,
   * which exists anyway. For a team customer, members[0] is the owner and the
   * rest are plain members; a team customer without members has none.
   */
  members?: Array<{ id?: string; externalId?: string; email?: string; name?: string }>
}

export interface FakeCustomer {
  id: string
  /** Kept after deletion (as Polar's customer.deleted payload shows it), though the id is free again. */
  externalId: string | null
  /** '' for a team customer created through the API without an email. */
  email: string
  name: string | null
  type: 'individual' | 'team'
  members: FakeMember[]
  deleted: boolean
}

export interface FakeMember {
  id: string
  externalId: string | null
  email: string | null
  name: string | null
}

export interface FakeSession {
  id: string
  token: string
  kind: 'customer' | 'member'
  customerId: string
  memberId: string | null
  createdAt: string
  expiresAt: string
  returnUrl: string | null
}
