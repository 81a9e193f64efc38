import { randomUUID } from 'node:crypto'
import type { CreationPurpose } from '../budget/creation-budget.js'
import { isPolarSessionError, PolarSessionError } from '../errors.js'
import { CustomerSession } from '../session.js'
import type { Logger } from '../types.js'
import type { CheckedIdentity } from '../validate-identity.js'
import type { ReceivedSession } from '../polar/index.js'
import type { CachedEntry } from './entry.js'
import { holdLease, LEASE_MS, leaseOrWait } from './creation-lease.js'
import type { EntryStore, StoreCall, StoreRead } from './entry-store.js'
import type { SessionKeys } from './keys.js'
import { ReturnUrlSlots } from './return-url-slots.js'
import { SingleFlight } from './single-flight.js'
import { LRUCache } from 'lru-cache'

/** Generations outlive any session that refers to them (Polar's sessions live one hour). */
const GENERATION_TTL_MS = 24 * 3_600_000
/** Errors that mean "no such customer/member": remembered briefly. */
const NOT_FOUND_CODES = ['customer_not_found', 'member_not_found', 'member_required'] as const
/** Errors during which a still-valid older session is served instead. */
const TRANSIENT_CODES = ['polar_unavailable', 'rate_limited'] as const
/** Creations in a row an invalidation may void before the leader gives up. */
const MAX_VOIDED_CREATIONS = 3

export interface SessionCacheOptions {
  store: EntryStore
  logger: Logger
  notFoundTtlMs: number
  /** Budget of one call to Polar; a creation makes up to three (with `createCustomer`). */
  deadlineMs: number
  /** Per-request return URLs that may hold their own session per identity. */
  maxReturnUrls: number
  /** The default reuse window, for the once-a-window warning of the return-URL cap. */
  reuseWindowMs: number
  /** Makes the session at Polar: the HTTP call, plus customer creation when configured. */
  create: (
    identity: CheckedIdentity,
    returnUrl: string | null,
    purpose: CreationPurpose,
    call: StoreCall,
  ) => Promise<ReceivedSession>
  /** A refusal known before any store work (the creation budget's), or null to go ahead. */
  knownRefusal?: (purpose: CreationPurpose) => Error | null
}

/** One request for a session, as the core has checked and keyed it. */
export interface SessionRequest {
  readonly identity: CheckedIdentity
  /** Normalised return URL, or null for none. */
  readonly returnUrl: string | null
  readonly keys: SessionKeys
  readonly minRemainingMs: number
  readonly purpose: CreationPurpose
  /**
   * Where to turn when this per-request return URL is over the identity's cap: the default
   * return URL and its keys. Null when `returnUrl` is the default.
   */
  readonly fallback: { readonly returnUrl: string | null; readonly keys: SessionKeys } | null
  /** Told whether the request was a hit or a miss; absent for lookups not to count (a prefetch). */
  readonly counts?: CacheCounts
}

/** Counts lookups (telemetry): a hit hands out a stored session, anything else is a miss. */
export interface CacheCounts {
  hit(): void
  miss(): void
}

/**
 * The reuse rules: read the store, hand out a session only while it has more than the
 * required time left, otherwise create one (once per key in this process, and once across
 * processes when the store can lock), and fall back to a still-valid session while Polar fails.
 */
export class SessionCache {
  readonly #store: EntryStore
  readonly #logger: Logger
  readonly #options: SessionCacheOptions
  readonly #flights = new SingleFlight<CachedEntry>()
  readonly #generationFlights = new SingleFlight<string>()
  readonly #notFound: LRUCache<string, PolarSessionError> | null
  readonly #slots: ReturnUrlSlots
  #warnedShortLifetime = false

  constructor(options: SessionCacheOptions) {
    this.#options = options
    this.#store = options.store
    this.#logger = options.logger
    this.#notFound = options.notFoundTtlMs > 0 ? new LRUCache({ max: 10_000, ttl: options.notFoundTtlMs }) : null
    this.#slots = new ReturnUrlSlots(options.maxReturnUrls)
  }

  /**
   * The cached session, when the store can answer at once (the memory store, or a fresh
   * near-cache copy) and has one with more than `minRemainingMs` left; undefined otherwise (then
   * call `get`). A hit costs no promise and no I/O.
   */
  peek(keys: SessionKeys, minRemainingMs: number): CustomerSession | undefined {
    if (this.#knownNotFound(keys)) return undefined
    const now = Date.now()
    // What #valid checks, without building a read: generations in the store, expiry here.
    const entry = this.#store.freshEntry(keys, now)
    if (entry === null || entry === undefined || entry.expiresAt <= now) return undefined
    return entry.expiresAt - now > minRemainingMs ? entry.session : undefined
  }

  /** Whether the identity is known to have no Polar customer. The hit path skips an empty cache. */
  #knownNotFound(keys: SessionKeys): boolean {
    return this.#notFound !== null && this.#notFound.size > 0 && this.#notFound.has(keys.identity)
  }

  /** Whether another process may hold sessions this one does not: `peek` is then not the last word. */
  get shared(): boolean {
    return this.#store.shared
  }

  /** The stored session with more than `minRemainingMs` left, or null; never creates. */
  async lookup(keys: SessionKeys, minRemainingMs: number): Promise<CustomerSession | null> {
    if (this.#knownNotFound(keys)) return null
    const stored = await this.#read(keys, { failed: false })
    return stored !== null && stored.expiresAt - Date.now() > minRemainingMs ? stored.session : null
  }

  /** A session for the request with more than `minRemainingMs` left: reused or created. */
  async get(request: SessionRequest): Promise<CustomerSession> {
    const { keys, minRemainingMs, fallback, counts } = request
    const known = this.#notFound?.get(keys.identity)
    if (known !== undefined) {
      counts?.miss()
      throw known
    }

    const inflight = this.#flights.get(keys.session)
    if (inflight !== undefined) {
      counts?.miss()
      return (await inflight).session
    }

    const call: StoreCall = { failed: false }
    const stored = await this.#read(keys, call)
    if (stored !== null && stored.expiresAt - Date.now() > minRemainingMs) {
      counts?.hit()
      return stored.session
    }

    if (fallback !== null && !this.#slots.claim(keys.identity, keys.session, Date.now() + this.#options.deadlineMs)) {
      if (this.#slots.shouldWarn(keys.identity, this.#options.reuseWindowMs)) {
        this.#logger.warn(
          { maxReturnUrlsPerCustomer: this.#options.maxReturnUrls },
          'polar-session: an identity asked for more distinct return URLs than maxReturnUrlsPerCustomer; ' +
            'handing out its session for the default return URL (logged once per identity per reuse window)',
        )
      }
      return this.get({ ...request, returnUrl: fallback.returnUrl, keys: fallback.keys, fallback: null }) // counted there
    }

    counts?.miss()
    try {
      const entry = await this.#flights.run(keys.session, () => this.#create(request, stored, call))
      if (fallback !== null) this.#slots.extend(keys.identity, keys.session, entry.expiresAt)
      return entry.session
    } catch (error) {
      if (fallback !== null) this.#slots.release(keys.identity, keys.session)
      throw error
    }
  }

  /**
   * Orphans every cached session of the identity (all members and return URLs without a member).
   * Rejects when the store could not record it (Redis down): the caller (a webhook) can then
   * ask to be called again, instead of stale sessions coming back with the store.
   */
  async invalidate(keys: SessionKeys): Promise<void> {
    this.#notFound?.delete(keys.identity)
    const key = keys.memberGeneration ?? keys.customerGeneration
    await this.#store.replaceGeneration(key, randomUUID(), GENERATION_TTL_MS)
  }

  /** Releases what the store layer opened (a subscription). */
  close(): Promise<void> {
    return this.#store.close()
  }

  /** Settles when every creation under way has settled. */
  drain(): Promise<void> {
    return this.#flights.drain()
  }

  /** The stored entry if its generations are current and it has not expired; else null. */
  async #read(keys: SessionKeys, call: StoreCall, fromStore = false): Promise<CachedEntry | null> {
    return this.#valid(await this.#store.read(keys.session, keys.generations, call, fromStore), keys)
  }

  /**
   * The entry of a read if its generations are current and it has not expired; else null. A
   * generation the store could not tell (it is failing, and this process never saw it) does not
   * void an entry: serving what this process holds is the point of degrading.
   */
  #valid({ entry, generations }: StoreRead, keys: SessionKeys): CachedEntry | null {
    if (entry === null || entry.expiresAt <= Date.now()) return null
    const [customer, member] = generations
    if (customer !== undefined && customer !== entry.customerGeneration) return null
    if (keys.memberGeneration !== null && member !== undefined && member !== entry.memberGeneration) return null
    return entry
  }

  /**
   * Current generations, creating them when absent, so every entry is tied to a concrete one.
   * A new customer's first creations race to create its generation: set-if-absent (and one
   * flight per key in this process) makes them all agree on one, so none orphans the others.
   */
  async #generations(keys: SessionKeys, call: StoreCall): Promise<[string, string | null]> {
    const generationKeys = keys.generations
    const { generations } = await this.#store.read(null, generationKeys, call)
    const result = await Promise.all(
      generationKeys.map(
        (key, i) =>
          generations[i] ??
          this.#generationFlights.run(key, async () =>
            this.#store.ensureGeneration(key, randomUUID(), GENERATION_TTL_MS, call),
          ),
      ),
    )
    return [result[0]!, result[1] ?? null]
  }

  /**
   * Creates the session at Polar under the identity's current generations (once across
   * processes when the store can lock), or falls back to a still-valid `stale` one while Polar
   * fails. An invalidation that lands while Polar works voids the result (it was made for the
   * customer as it was): the creation runs again, so that once `invalidate()` has resolved no
   * caller, not even one that joined this flight earlier, receives a session whose creation
   * began before it.
   */
  async #create(request: SessionRequest, stale: CachedEntry | null, call: StoreCall): Promise<CachedEntry> {
    const { identity, returnUrl, keys, minRemainingMs, purpose } = request
    // While the budget is known to be spent, a page view costs no lease, generation or count.
    const refused = this.#options.knownRefusal?.(purpose)
    if (refused !== undefined && refused !== null) return this.#onCreateFailed(refused, keys, stale)
    let release: (() => Promise<void>) | null = null
    if (this.#store.lock !== undefined) {
      // Wait while another process's leader works, up to its whole budget: three calls to Polar
      // (a customer creation between two session creations), each within the deadline.
      const usable = async () => {
        const entry = await this.#read(keys, call, true)
        return entry !== null && entry.expiresAt - Date.now() > minRemainingMs ? entry : null
      }
      const outcome = await leaseOrWait(
        this.#store.lock,
        keys.session,
        call,
        3 * this.#options.deadlineMs + LEASE_MS,
        usable,
      )
      if (outcome.entry !== null) return outcome.entry
      if (outcome.lease !== null) release = holdLease(outcome.lease)
    }
    try {
      for (let attempt = 1; ; attempt++) {
        const generations = await this.#generations(keys, call)
        let received: ReceivedSession
        try {
          received = await this.#options.create(identity, returnUrl, purpose, call)
        } catch (error) {
          return this.#onCreateFailed(error, keys, stale)
        }
        const entry = toEntry(received, generations[0], generations[1])
        const lifetime = entry.expiresAt - Date.now()
        this.#warnIfUnreusable(lifetime, minRemainingMs)
        if (lifetime > 0) await this.#store.writeEntry(keys.session, entry, lifetime, call)
        if (!(await this.#invalidatedSince(keys, generations, call))) {
          this.#logger.debug(
            { sessionId: entry.session.id, customerId: entry.session.customerId },
            'polar-session: session created',
          )
          return entry
        }
        this.#logger.debug(
          { attempt },
          'polar-session: the identity was invalidated while its session was created; creating again',
        )
        if (attempt >= MAX_VOIDED_CREATIONS) {
          throw new PolarSessionError(
            'polar_unavailable',
            'The customer was invalidated again and again while its session was created; try again shortly.',
            { status: 503 },
          )
        }
      }
    } finally {
      if (release !== null) await release().catch(() => {})
    }
  }

  #warnIfUnreusable(lifetime: number, minRemainingMs: number): void {
    if (lifetime > minRemainingMs || this.#warnedShortLifetime) return
    this.#warnedShortLifetime = true
    this.#logger.warn(
      { lifetimeMs: lifetime, minRemainingMs },
      'polar-session: sessions live shorter than the refresh margin, so none can be reused; lower refreshMarginMs',
    )
  }

  /**
   * Whether a generation read before the creation has since been replaced. An absent or unknown
   * one (it expired, or the read failed) is not evidence of an invalidation.
   */
  async #invalidatedSince(keys: SessionKeys, before: [string, string | null], call: StoreCall): Promise<boolean> {
    const { generations } = await this.#store.read(null, keys.generations, call)
    return generations.some((current, i) => current !== null && current !== undefined && current !== before[i])
  }

  #onCreateFailed(error: unknown, keys: SessionKeys, stale: CachedEntry | null): CachedEntry {
    if (isPolarSessionError(error, ...NOT_FOUND_CODES)) {
      this.#notFound?.set(keys.identity, error)
      throw error
    }
    if (stale !== null && stale.expiresAt > Date.now() && isPolarSessionError(error, ...TRANSIENT_CODES)) {
      this.#logger.warn(
        { code: error.code, remainingMs: stale.expiresAt - Date.now(), sessionId: stale.session.id },
        'polar-session: Polar failed; serving a still-valid session with less than the margin left',
      )
      return stale
    }
    throw error
  }
}

/**
 * Builds the cached entry: local expiry = the moment the request was sent + Polar's stated
 * lifetime. Polar started its clock after we sent, so this errs early, never late: neither a
 * skewed server clock nor a slow answer can make us hand out a token Polar has expired.
 */
function toEntry(received: ReceivedSession, customerGeneration: string, memberGeneration: string | null): CachedEntry {
  const lifetime = received.expiresAt.getTime() - received.createdAt.getTime()
  const expiresAt = received.sentAt + lifetime
  return {
    session: new CustomerSession({
      id: received.id,
      token: received.token,
      createdAt: received.createdAt,
      expiresAt: new Date(expiresAt),
      customerPortalUrl: received.customerPortalUrl,
      returnUrl: received.returnUrl,
      customerId: received.customerId,
      customer: received.customer,
    }),
    expiresAt,
    customerGeneration,
    memberGeneration,
  }
}
