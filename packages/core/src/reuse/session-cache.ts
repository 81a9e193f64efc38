import { randomUUID } from 'node:crypto'
import { isPolarSessionError, type PolarSessionError } from '../errors.js'
import { CustomerSession } from '../session.js'
import type { Logger } from '../types.js'
import type { CheckedIdentity } from '../validate-identity.js'
import type { ReceivedSession } from '../polar/index.js'
import type { CachedEntry } from './entry.js'
import type { EntryStore, StoreRead } from './entry-store.js'
import type { SessionKeys } from './keys.js'
import { SingleFlight } from './single-flight.js'
import { LRUCache } from 'lru-cache'

/** Generations outlive any session that refers to them (Polar's sessions live one hour). */
const GENERATION_TTL_MS = 24 * 3_600_000
/** How often a process waiting on another process's creation looks for the result. */
const LOCK_POLL_MS = 20
/** Errors that mean "no such customer/member": remembered briefly. */
const NOT_FOUND_CODES = ['customer_not_found', 'member_not_found', 'member_required'] as const
/** Errors during which a still-valid older session is served instead. */
const TRANSIENT_CODES = ['polar_unavailable', 'rate_limited'] as const

export interface SessionCacheOptions {
  store: EntryStore
  logger: Logger
  notFoundTtlMs: number
  /** Budget of one creation; bounds the cross-process lock wait too. */
  deadlineMs: number
  /** Makes the session at Polar: the HTTP call, plus customer creation when configured. */
  create: (identity: CheckedIdentity, returnUrl: string | null) => Promise<ReceivedSession>
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

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
  readonly #notFound: LRUCache<string, PolarSessionError> | null
  #warnedShortLifetime = false

  constructor(options: SessionCacheOptions) {
    this.#options = options
    this.#store = options.store
    this.#logger = options.logger
    this.#notFound = options.notFoundTtlMs > 0 ? new LRUCache({ max: 10_000, ttl: options.notFoundTtlMs }) : null
  }

  /**
   * The cached session, when a synchronous store (memory) has one with more than
   * `minRemainingMs` left; undefined otherwise (then call `get`). A hit costs no promise.
   */
  peek(keys: SessionKeys, minRemainingMs: number): CustomerSession | undefined {
    if (!this.#store.sync || this.#notFound?.has(keys.identity) === true) return undefined
    const entry = this.#valid(this.#store.read(keys.session, keys.generations) as StoreRead, keys)
    return entry !== null && entry.expiresAt - Date.now() > minRemainingMs ? entry.session : undefined
  }

  /** A session for the identity with more than `minRemainingMs` left: reused or created. */
  async get(identity: CheckedIdentity, returnUrl: string | null, keys: SessionKeys, minRemainingMs: number): Promise<CustomerSession> {
    const known = this.#notFound?.get(keys.identity)
    if (known !== undefined) throw known

    const inflight = this.#flights.get(keys.session)
    if (inflight !== undefined) return (await inflight).session

    const stored = await this.#read(keys)
    if (stored !== null && stored.expiresAt - Date.now() > minRemainingMs) return stored.session

    const entry = await this.#flights.run(keys.session, () => this.#create(identity, returnUrl, keys, stored, minRemainingMs))
    return entry.session
  }

  /**
   * Orphans every cached session of the identity (all members and return URLs without a member).
   * Rejects when the store could not record it (Redis down): the caller (a webhook) can then
   * ask to be called again, instead of stale sessions coming back with the store.
   */
  async invalidate(keys: SessionKeys): Promise<void> {
    this.#notFound?.delete(keys.identity)
    const key = keys.memberGeneration ?? keys.customerGeneration
    await this.#store.writeGeneration(key, randomUUID(), GENERATION_TTL_MS, true)
  }

  /** Forget remembered "not found" answers for an identity (after creating its customer, say). */
  forgetNotFound(keys: SessionKeys): void {
    this.#notFound?.delete(keys.identity)
  }

  /** Settles when every creation under way has settled. */
  drain(): Promise<void> {
    return this.#flights.drain()
  }

  /** The stored entry if its generations are current and it has not expired; else null. */
  async #read(keys: SessionKeys): Promise<CachedEntry | null> {
    return this.#valid(await this.#store.read(keys.session, keys.generations), keys)
  }

  /** The entry of a read if its generations are current and it has not expired; else null. */
  #valid({ entry, generations }: StoreRead, keys: SessionKeys): CachedEntry | null {
    if (entry === null || entry.expiresAt <= Date.now()) return null
    if (generations[0] !== entry.customerGeneration) return null
    if (keys.memberGeneration !== null && generations[1] !== entry.memberGeneration) return null
    return entry
  }

  /** Current generations, creating them when absent, so every entry is tied to a concrete one. */
  async #generations(keys: SessionKeys): Promise<[string, string | null]> {
    const generationKeys = keys.generations
    const { generations } = await this.#store.read(null, generationKeys)
    const result: (string | null)[] = []
    for (const [i, key] of generationKeys.entries()) {
      let generation = generations[i] ?? null
      if (generation === null) {
        generation = randomUUID()
        await this.#store.writeGeneration(key, generation, GENERATION_TTL_MS)
      }
      result.push(generation)
    }
    return [result[0]!, result[1] ?? null]
  }

  async #create(
    identity: CheckedIdentity,
    returnUrl: string | null,
    keys: SessionKeys,
    stale: CachedEntry | null,
    minRemainingMs: number,
  ): Promise<CachedEntry> {
    let release: (() => Promise<void>) | null = null
    if (this.#store.lock !== undefined) {
      const waited = await this.#waitForOtherProcess(keys, minRemainingMs)
      if (waited.entry !== null) return waited.entry
      release = waited.release
    }
    try {
      const [customerGeneration, memberGeneration] = await this.#generations(keys)
      let received: ReceivedSession
      try {
        received = await this.#options.create(identity, returnUrl)
      } catch (error) {
        return this.#onCreateFailed(error, keys, stale)
      }
      const entry = toEntry(received, customerGeneration, memberGeneration)
      const lifetime = entry.expiresAt - Date.now()
      if (lifetime <= minRemainingMs && !this.#warnedShortLifetime) {
        this.#warnedShortLifetime = true
        this.#logger.warn(
          { lifetimeMs: lifetime, minRemainingMs },
          'polar-session: sessions live shorter than the refresh margin, so none can be reused; lower refreshMarginMs',
        )
      }
      if (lifetime > 0) await this.#store.writeEntry(keys.session, entry, lifetime)
      this.#logger.debug({ sessionId: entry.session.id, customerId: entry.session.customerId }, 'polar-session: session created')
      return entry
    } finally {
      if (release !== null) await release().catch(() => {})
    }
  }

  /**
   * With a shared store: take the creation lock, or wait (polling the store) for the process
   * that holds it, at most the creation deadline. A dead holder's lock expires; after the wait
   * this process creates the session itself.
   */
  async #waitForOtherProcess(keys: SessionKeys, minRemainingMs: number): Promise<{ entry: CachedEntry | null; release: (() => Promise<void>) | null }> {
    const lock = this.#store.lock!
    const until = Date.now() + this.#options.deadlineMs
    const lockTtl = this.#options.deadlineMs + 1_000
    for (;;) {
      const release = await lock.acquire(keys.session, lockTtl).catch(() => async () => {})
      if (release !== null) {
        // The holder may have finished between our read and the lock: look once more.
        const entry = await this.#read(keys)
        if (entry !== null && entry.expiresAt - Date.now() > minRemainingMs) {
          await release().catch(() => {})
          return { entry, release: null }
        }
        return { entry: null, release }
      }
      if (Date.now() >= until) return { entry: null, release: null }
      await sleep(LOCK_POLL_MS)
      const entry = await this.#read(keys)
      if (entry !== null && entry.expiresAt - Date.now() > minRemainingMs) return { entry, release: null }
    }
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

/** Builds the cached entry: local expiry = receive time + Polar's stated lifetime. */
function toEntry(received: ReceivedSession, customerGeneration: string, memberGeneration: string | null): CachedEntry {
  const lifetime = received.expiresAt.getTime() - received.createdAt.getTime()
  const expiresAt = received.receivedAt + lifetime
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

