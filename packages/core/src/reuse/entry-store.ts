import type { MemoryStore } from '../store/memory.js'
import type { CachedEntry } from './entry.js'
import type { SessionKeys } from './keys.js'

/**
 * How the core reads and writes entries and generations. Two implementations: the memory store
 * (decoded objects, synchronous) and a shared store behind a near cache and a breaker
 * (`SharedEntryStore`). Neither ever throws for a failing store: it answers from what it has.
 */
export interface EntryStore {
  /**
   * The cache hit path, answered at once and allocating nothing: the entry at `keys.session` if
   * its generations are current (as `read` would report them; expiry is the caller's to check),
   * null when there is none or a generation voids it, undefined when the store cannot tell
   * without I/O (then call `read`). Always answered by the memory store; from near-cache copies
   * confirmed within `nearCacheTtlMs` of `now` by a shared store.
   */
  freshEntry(keys: SessionKeys, now: number): CachedEntry | null | undefined
  /**
   * Reads an entry (unless `key` is null) and the generations it must match. A shared store may
   * take the entry from its near cache and ask the store for the generations alone, unless
   * `fromStore` (the store may hold a newer session than this process's copy).
   */
  read(
    key: string | null,
    generationKeys: readonly string[],
    call: StoreCall,
    fromStore?: boolean,
  ): Promise<StoreRead> | StoreRead
  writeEntry(key: string, entry: CachedEntry, ttlMs: number, call: StoreCall): Promise<void> | void
  /**
   * The generation at `key`, or `candidate` after storing it there when there was none: racers
   * all get the same one (set-if-absent). When the store cannot say, `candidate`, kept in this
   * process only, so it can orphan nothing.
   */
  ensureGeneration(key: string, candidate: string, ttlMs: number, call: StoreCall): Promise<string> | string
  /**
   * Replaces a generation (an invalidation) and tells other processes. Rejects when the store
   * could not record it: the caller (a webhook) can then ask to be called again.
   */
  replaceGeneration(key: string, generation: string, ttlMs: number): Promise<void> | void
  /** A creation lease across processes; undefined for a store inside the process. */
  readonly lock: EntryLock | undefined
  /** The creation budget's shared half, for a store other processes use; null otherwise. */
  readonly budget: SharedBudget | null
  /** Whether another process may hold what this one does not (an async read can find more). */
  readonly shared: boolean
  /** Sessions held in this process. */
  readonly size: number
  /** Releases what this layer opened (a subscription). */
  close(): Promise<void>
}

export interface StoreRead {
  entry: CachedEntry | null
  /** Current generation per generation key, in order; null when absent, undefined when unknown (the read failed). */
  generations: (string | null | undefined)[]
}

/**
 * What one request has learned about the shared store. Once one of its calls failed, it makes
 * no more: a request never spends more than one `opTimeoutMs` on a failing store.
 */
export interface StoreCall {
  failed: boolean
}

/**
 * The shared half of the budget, in a store several processes use. Every call may reject (the
 * store is down, or did not answer in time): the budget then counts in this process alone, so
 * a broken Redis costs availability nothing, at the price of each process spending up to the
 * whole budget until it is back (Polar's 429 then stops them all, as it would anyway).
 */
export interface SharedBudget {
  /**
   * Counts one creation at `key` unless `limit` were counted in the last `windowMs`: resolves 0
   * when counted, else the milliseconds until one would be. Like `readBlock`, it makes no call
   * for a request whose store calls already failed (`call`).
   */
  countInWindow(key: string, limit: number, windowMs: number, call?: StoreCall): Promise<number>
  /** The time (ms since the epoch) Polar asked every process to wait until, or null. */
  readBlock(key: string, call?: StoreCall): Promise<number | null>
  writeBlock(key: string, until: number, ttlMs: number): Promise<void>
}

/** A lease on a key while this process creates its session; see `SharedEntryStore`. */
export interface EntryLease {
  /** Keeps the lease for another `ttlMs`; false when it was lost (expired and taken). */
  extend(ttlMs: number): Promise<boolean>
  release(): Promise<void>
}

export interface EntryLock {
  /** The lease, or null when another process holds it. A failing store gives a lease that guards nothing. */
  acquire(key: string, ttlMs: number, call: StoreCall): Promise<EntryLease | null>
}

/** The memory store fast path: objects in, objects out, synchronously. */
export class MemoryEntryStore implements EntryStore {
  readonly lock = undefined
  readonly budget = null
  readonly shared = false
  readonly #store: MemoryStore

  constructor(store: MemoryStore) {
    this.#store = store
  }

  freshEntry(keys: SessionKeys): CachedEntry | null {
    const found = this.#store.cache.get(keys.session)
    if (typeof found !== 'object') return null
    const entry = found as CachedEntry
    const { generations } = this.#store
    if (generations.get(keys.customerGeneration) !== entry.customerGeneration) return null
    if (keys.memberGeneration !== null && (generations.get(keys.memberGeneration) ?? null) !== entry.memberGeneration)
      return null
    return entry
  }

  read(key: string | null, generationKeys: readonly string[]): StoreRead {
    const entry = key === null ? undefined : this.#store.cache.get(key)
    const generations = generationKeys.map((k) => this.#store.generations.get(k) ?? null)
    return { entry: typeof entry === 'object' ? (entry as CachedEntry) : null, generations }
  }

  writeEntry(key: string, entry: CachedEntry, ttlMs: number): void {
    this.#store.cache.set(key, entry, { ttl: Math.ceil(ttlMs) })
  }

  ensureGeneration(key: string, candidate: string, ttlMs: number): string {
    const current = this.#store.generations.get(key)
    if (current !== undefined) return current
    this.#store.generations.set(key, candidate, { ttl: Math.ceil(ttlMs) })
    return candidate
  }

  replaceGeneration(key: string, generation: string, ttlMs: number): void {
    this.#store.generations.set(key, generation, { ttl: Math.ceil(ttlMs) })
  }

  get size(): number {
    return this.#store.size
  }

  async close(): Promise<void> {}
}
