import { bounded } from '../store/bounded.js'
import type { Logger, SessionStore, StoreLease } from '../types.js'
import { NO_LEASE } from './creation-lease.js'
import { decodeEntry, encodeEntry, type CachedEntry } from './entry.js'
import type { EntryLease, EntryLock, EntryStore, SharedBudget, StoreCall, StoreRead } from './entry-store.js'
import type { SessionKeys } from './keys.js'
import { NearCache } from './near-cache.js'
import { StoreBreaker } from './store-breaker.js'

/** Options of {@link SharedEntryStore}. */
export interface SharedEntryStoreOptions {
  logger: Logger
  /** Longest a call to a store that does not bound its own calls may take. */
  opTimeoutMs: number
  /** How long a near-cache copy of a generation is trusted; 0: no near cache. */
  nearCacheTtlMs: number
  /** Most sessions the near cache holds. */
  nearCacheMax: number
}

/** The pub/sub channel (under the store's own prefix) that carries invalidations. */
const INVALIDATIONS_CHANNEL = 'invalidations'
const WARN_EVERY_MS = 10_000
/**
 * Extra time given to a store that bounds its own calls (redisStore's `opTimeoutMs`): its own
 * timer decides, this one only catches a store that breaks its word.
 */
const SELF_BOUNDED_SLACK_MS = 1_000

/** This layer's time limit on a store call: a message of ours, safe to log. */
class StoreTimeoutError extends Error {
  override readonly name = 'TimeoutError'
}

/**
 * A store shared by several processes (Redis), as the core uses it: entries serialised (and
 * sealed, when a key is set) in the store; decoded copies in a near cache, so a warm hit makes
 * no round trip and no decryption; other processes' invalidations arriving over pub/sub; and a
 * breaker that stops waiting on a store that keeps failing. While the store fails, requests are
 * answered from the near cache and what this process creates is kept there, so a new identity
 * costs one creation per process per reuse window, not one per request.
 */
export class SharedEntryStore implements EntryStore {
  readonly shared = true
  readonly lock: EntryLock | undefined
  readonly budget: SharedBudget
  readonly #store: SessionStore
  readonly #logger: Logger
  readonly #timeoutMs: number
  readonly #near: NearCache | null
  readonly #breaker: StoreBreaker
  readonly #unsubscribe: Promise<(() => Promise<void>) | undefined>
  #lastWarning = Number.NEGATIVE_INFINITY

  constructor(store: SessionStore, options: SharedEntryStoreOptions) {
    this.#store = store
    this.#logger = options.logger
    const own = store.opTimeoutMs
    this.#timeoutMs = typeof own === 'number' && own > 0 ? own + SELF_BOUNDED_SLACK_MS : options.opTimeoutMs
    this.#breaker = new StoreBreaker(typeof own === 'number' && own > 0 ? own : options.opTimeoutMs)
    this.#near = options.nearCacheTtlMs > 0 ? new NearCache(options.nearCacheMax, options.nearCacheTtlMs) : null
    this.lock =
      store.lock === undefined ? undefined : { acquire: (key, ttlMs, call) => this.#acquire(key, ttlMs, call) }
    this.budget = {
      countInWindow: async (key, limit, windowMs, call) => {
        // A store that cannot count, or is being skipped, leaves the count to each process.
        if (store.countInWindow === undefined || call?.failed === true) throw new Error('the store is not counting')
        const waitMs = await this.#strict('countInWindow', (s) => s.countInWindow!(key, limit, windowMs), call)
        if (typeof waitMs !== 'number' || !Number.isFinite(waitMs) || waitMs < 0)
          throw new Error('the store answered no count')
        return waitMs
      },
      readBlock: async (key, call) => {
        if (call?.failed === true) return null
        const value = await this.#strict('get', (s) => s.get(key), call)
        const until = typeof value === 'string' ? Number(value) : Number.NaN
        return Number.isFinite(until) ? until : null
      },
      writeBlock: async (key, until, ttlMs) => {
        await this.#strict('set', (s) => s.set(key, String(until), Math.ceil(ttlMs)))
      },
    }
    this.#unsubscribe = this.#subscribe()
  }

  freshEntry(keys: SessionKeys, now: number): CachedEntry | null | undefined {
    return this.#near?.freshEntry(keys, now)
  }

  async read(
    key: string | null,
    generationKeys: readonly string[],
    call: StoreCall,
    fromStore = false,
  ): Promise<StoreRead> {
    if (this.#skip(call)) return this.#fromNear(key, generationKeys)
    // A copy of the entry is as good as the store's (an entry never changes); only its
    // generations need confirming: one GET each, no decryption.
    const held = key === null || fromStore ? null : (this.#near?.readAny(key, []).entry ?? null)
    const entryKey = held === null ? key : null
    try {
      const [raw, ...found] = await Promise.all([
        entryKey === null ? undefined : this.#bounded('get', (s) => s.get(entryKey)),
        ...generationKeys.map((k) => this.#bounded('get', (s) => s.get(k))),
      ])
      const generations = found.map((g) => (typeof g === 'string' ? g : null))
      this.#breaker.succeeded()
      this.#near?.confirm(entryKey, decodeEntry(raw), generationKeys, generations)
      const entry = key === null ? null : (held ?? this.#near?.readAny(key, []).entry ?? decodeEntry(raw))
      return { entry, generations }
    } catch (error) {
      this.#failed(call, 'get', error)
      return this.#fromNear(key, generationKeys)
    }
  }

  async writeEntry(key: string, entry: CachedEntry, ttlMs: number, call: StoreCall): Promise<void> {
    this.#near?.rememberEntry(key, entry)
    if (this.#skip(call)) return
    try {
      await this.#bounded('set', (s) => s.set(key, encodeEntry(entry), Math.ceil(ttlMs)))
      this.#breaker.succeeded()
    } catch (error) {
      this.#failed(call, 'set', error)
    }
  }

  async ensureGeneration(key: string, candidate: string, ttlMs: number, call: StoreCall): Promise<string> {
    if (!this.#skip(call)) {
      try {
        const current = await this.#setIfAbsent(key, candidate, Math.ceil(ttlMs))
        this.#breaker.succeeded()
        this.#near?.rememberGeneration(key, current)
        return current
      } catch (error) {
        this.#failed(call, 'set', error)
      }
    }
    // The store cannot say: keep a generation in this process only, written nowhere.
    const held = this.#near?.readAny(null, [key]).generations[0]
    if (typeof held === 'string') return held
    this.#near?.rememberGeneration(key, candidate)
    return candidate
  }

  async replaceGeneration(key: string, generation: string, ttlMs: number): Promise<void> {
    this.#near?.rememberGeneration(key, generation)
    if (this.#breaker.open)
      throw new Error('polar-session: the store is unavailable; the invalidation was not recorded')
    await this.#strict('set', (s) => s.set(key, generation, Math.ceil(ttlMs)))
    if (this.#store.publish !== undefined) {
      const message = JSON.stringify({ v: 1, generationKey: key })
      await this.#strict('publish', (s) => s.publish!(INVALIDATIONS_CHANNEL, message))
    }
  }

  get size(): number {
    return this.#near?.size ?? 0
  }

  async close(): Promise<void> {
    const unsubscribe = await this.#unsubscribe
    await unsubscribe?.().catch(() => {})
  }

  /** Listens for other processes' invalidations; without pub/sub, `nearCacheTtlMs` bounds staleness alone. */
  async #subscribe(): Promise<(() => Promise<void>) | undefined> {
    const { subscribe } = this.#store
    if (subscribe === undefined || this.#near === null) return undefined
    try {
      return await subscribe.call(this.#store, INVALIDATIONS_CHANNEL, (message) => this.#onInvalidation(message))
    } catch (error) {
      this.#warn('subscribe', error)
      return undefined
    }
  }

  #onInvalidation(message: string): void {
    try {
      const parsed = JSON.parse(message) as { v?: unknown; generationKey?: unknown }
      if (parsed.v === 1 && typeof parsed.generationKey === 'string') this.#near?.forgetGeneration(parsed.generationKey)
    } catch {
      // Not ours, or garbage: nothing to drop.
    }
  }

  async #acquire(key: string, ttlMs: number, call: StoreCall): Promise<EntryLease | null> {
    if (this.#skip(call)) return NO_LEASE
    try {
      const lease = await this.#bounded('lock', (s) => s.lock!.acquire(key, ttlMs))
      this.#breaker.succeeded()
      return lease === null ? null : this.#guarded(lease)
    } catch (error) {
      // A lock the store cannot grant guards nothing: this process creates, its single-flight
      // still sparing Polar the other requests of this process.
      this.#failed(call, 'lock', error)
      return NO_LEASE
    }
  }

  #guarded(lease: StoreLease): EntryLease {
    return {
      extend: (ttlMs) =>
        lease.extend === undefined
          ? Promise.resolve(true)
          : this.#bounded('lock', () => lease.extend!(ttlMs)).catch(() => false),
      release: () => this.#bounded('lock', () => lease.release()).catch(() => {}),
    }
  }

  async #setIfAbsent(key: string, candidate: string, ttlMs: number): Promise<string> {
    const store = this.#store
    if (store.setIfAbsent !== undefined) {
      if ((await this.#bounded('set', (s) => s.setIfAbsent!(key, candidate, ttlMs))) === true) return candidate
    } else {
      // Documented fallback: write, then read back what won; a close race can cost a creation.
      await this.#bounded('set', (s) => s.set(key, candidate, ttlMs))
    }
    const current = await this.#bounded('get', (s) => s.get(key))
    return typeof current === 'string' ? current : candidate
  }

  #fromNear(key: string | null, generationKeys: readonly string[]): StoreRead {
    return this.#near?.readAny(key, generationKeys) ?? { entry: null, generations: generationKeys.map(() => undefined) }
  }

  #skip(call: StoreCall): boolean {
    return call.failed || this.#breaker.open
  }

  #failed(call: StoreCall, operation: string, error: unknown): void {
    call.failed = true
    if (this.#breaker.failed()) {
      this.#logger.warn(
        { operation },
        'polar-session: the store keeps failing; skipping it for a few seconds (near cache and per-process single-flight only)',
      )
    } else {
      this.#warn(operation, error)
    }
  }

  /**
   * A call whose failure the caller must hear about (counts, invalidations): it rejects rather
   * than answering from the near cache. A skipped store rejects at once.
   */
  async #strict<T>(operation: string, run: (store: SessionStore) => T | Promise<T>, call?: StoreCall): Promise<T> {
    if (this.#breaker.open) throw new Error(`polar-session: the store is skipped (${operation})`)
    try {
      const result = await this.#bounded(operation, run)
      this.#breaker.succeeded()
      return result
    } catch (error) {
      if (call !== undefined) call.failed = true
      this.#breaker.failed()
      throw new Error(`polar-session: the store ${operation} failed`, {
        cause: error instanceof Error ? error : undefined,
      })
    }
  }

  /** One store call, rejected after the time limit; the loser of the race is never unhandled. */
  #bounded<T>(operation: string, run: (store: SessionStore) => T | Promise<T>): Promise<T> {
    return bounded(
      () => run(this.#store),
      this.#timeoutMs,
      () => new StoreTimeoutError(`store ${operation} took longer than ${this.#timeoutMs} ms`),
    )
  }

  #warn(operation: string, error: unknown): void {
    const now = Date.now()
    if (now - this.#lastWarning <= WARN_EVERY_MS) return
    this.#lastWarning = now
    this.#logger.warn(
      { operation, ...loggable(error) },
      'polar-session: store call failed; answering from this process (logged once per 10 s)',
    )
  }
}

/**
 * What of a failed store call's error goes into the log: the message of this library's own
 * errors (this layer's timeouts; redisStore's, which name the command and never a key or a
 * value), else only the error's class. A custom store's message could carry a stored value (a
 * token, a portal URL).
 */
function loggable(error: unknown): { err: string } | { errName: string } {
  if (error instanceof StoreTimeoutError) return { err: error.message }
  if (error instanceof Error)
    return error.message.startsWith('redisStore:') ? { err: error.message } : { errName: error.name }
  return { errName: typeof error }
}
