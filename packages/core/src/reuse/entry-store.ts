import type { SharedBudget } from '../budget/creation-budget.js'
import { MemoryStore } from '../store/memory.js'
import type { Logger, SessionStore, StoreLock } from '../types.js'
import { decodeEntry, encodeEntry, type CachedEntry } from './entry.js'

/**
 * How the core reads and writes entries and generations. Two implementations: one that keeps
 * decoded objects in the memory store (a hit is a map lookup), and one over any string store
 * (a hit is a read and a parse). Neither ever throws: a failing store is a miss.
 */
export interface EntryStore {
  /** Reads an entry (unless `key` is null) and the generations it must match, in parallel. */
  read(key: string | null, generationKeys: readonly string[]): Promise<StoreRead> | StoreRead
  writeEntry(key: string, entry: CachedEntry, ttlMs: number): Promise<void> | void
  /**
   * Writes a generation. With `strict`, a failed write rejects instead of being logged and
   * ignored: an invalidation that did not reach the store must say so.
   */
  writeGeneration(key: string, generation: string, ttlMs: number, strict?: boolean): Promise<void> | void
  /**
   * The generation at `key`, or `candidate` after storing it there when there was none. Racers
   * all get the same one (set-if-absent); a store without `setIfAbsent` writes, then reads back
   * what won. When the store fails, `candidate` (logged, never thrown).
   */
  ensureGeneration(key: string, candidate: string, ttlMs: number): Promise<string> | string
  readonly lock: StoreLock | undefined
  /** The creation budget's shared half, for a store other processes use; null otherwise. */
  readonly budget: SharedBudget | null
  /** Whether `read` answers synchronously (the memory store): a hit then needs no promise. */
  readonly sync: boolean
}

export interface StoreRead {
  entry: CachedEntry | null
  /** Current generation per generation key, in order; null when absent. */
  generations: (string | null)[]
}

/** The memory store fast path: objects in, objects out, synchronously. */
export class MemoryEntryStore implements EntryStore {
  readonly lock = undefined
  readonly budget = null
  readonly sync = true
  readonly #cache: MemoryStore['cache']
  readonly #generations: MemoryStore['generations']

  constructor(store: MemoryStore) {
    this.#cache = store.cache
    this.#generations = store.generations
  }

  read(key: string | null, generationKeys: readonly string[]): StoreRead {
    const entry = key === null ? undefined : this.#cache.get(key)
    const generations = generationKeys.map((k) => this.#generations.get(k) ?? null)
    return { entry: typeof entry === 'object' ? (entry as CachedEntry) : null, generations }
  }

  writeEntry(key: string, entry: CachedEntry, ttlMs: number): void {
    this.#cache.set(key, entry, { ttl: Math.ceil(ttlMs) })
  }

  writeGeneration(key: string, generation: string, ttlMs: number): void {
    this.#generations.set(key, generation, { ttl: Math.ceil(ttlMs) })
  }

  ensureGeneration(key: string, candidate: string, ttlMs: number): string {
    const current = this.#generations.get(key)
    if (current !== undefined) return current
    this.#generations.set(key, candidate, { ttl: Math.ceil(ttlMs) })
    return candidate
  }
}

/** Options of {@link SerializedEntryStore}. */
export interface SerializedEntryStoreOptions {
  logger: Logger
  /** Longest a store call may take before it counts as a failure. */
  opTimeoutMs: number
}

const BURST_MS = 10_000
/**
 * Extra time given to a store that bounds its own calls (redisStore's `opTimeoutMs`): its own
 * timer decides, this one only catches a store that breaks its word. Racing it with a shorter
 * timer of ours would turn a process that was merely busy for a moment (the reply had arrived,
 * the timer just fired first) into misses, and misses under the lock into duplicate sessions.
 */
const SELF_BOUNDED_SLACK_MS = 1_000

/** Any {@link SessionStore}: entries are JSON (sealed first, when a key is configured). */
export class SerializedEntryStore implements EntryStore {
  readonly lock: StoreLock | undefined
  readonly sync = false
  readonly #store: SessionStore
  readonly #logger: Logger
  readonly #opTimeoutMs: number
  #lastWarning = 0

  constructor(store: SessionStore, options: SerializedEntryStoreOptions) {
    this.#store = store
    this.lock = store.lock
    this.#logger = options.logger
    const own = store.opTimeoutMs
    this.#opTimeoutMs = typeof own === 'number' && own > 0 ? own + SELF_BOUNDED_SLACK_MS : options.opTimeoutMs
  }

  async read(key: string | null, generationKeys: readonly string[]): Promise<StoreRead> {
    const [raw, ...generations] = await Promise.all([
      key === null ? undefined : this.#get(key),
      ...generationKeys.map((k) => this.#get(k)),
    ])
    return {
      entry: decodeEntry(raw),
      generations: generations.map((g) => (typeof g === 'string' ? g : null)),
    }
  }

  async writeEntry(key: string, entry: CachedEntry, ttlMs: number): Promise<void> {
    await this.#call('set', () => this.#store.set(key, encodeEntry(entry), Math.ceil(ttlMs)))
  }

  async writeGeneration(key: string, generation: string, ttlMs: number, strict = false): Promise<void> {
    await this.#call('set', () => this.#store.set(key, generation, Math.ceil(ttlMs)), strict)
  }

  async ensureGeneration(key: string, candidate: string, ttlMs: number): Promise<string> {
    const store = this.#store
    const ttl = Math.ceil(ttlMs)
    try {
      if (store.setIfAbsent !== undefined) {
        if ((await this.#call('setIfAbsent', () => store.setIfAbsent!(key, candidate, ttl), true)) === true) return candidate
      } else {
        await this.#call('set', () => store.set(key, candidate, ttl), true)
      }
      const current = await this.#call('get', () => store.get(key), true)
      return typeof current === 'string' ? current : candidate
    } catch (error) {
      this.#warn('setIfAbsent', error)
      return candidate
    }
  }

  /**
   * Window counters and Polar's 429 block, shared through the store. Calls reject on failure
   * (the budget then counts in this process); a store without `incrementBelow` counts locally.
   */
  readonly budget: SharedBudget = {
    incrementBelow: async (key, limit, ttlMs) => {
      const store = this.#store
      if (store.incrementBelow === undefined) throw new Error('the store cannot count')
      return (await this.#call('incrementBelow', () => store.incrementBelow!(key, limit, ttlMs), true)) === true
    },
    readBlock: async (key) => {
      const value = await this.#call('get', () => this.#store.get(key), true)
      const until = typeof value === 'string' ? Number(value) : Number.NaN
      return Number.isFinite(until) ? until : null
    },
    writeBlock: async (key, until, ttlMs) => {
      await this.#call('set', () => this.#store.set(key, String(until), Math.ceil(ttlMs)), true)
    },
  }

  async #get(key: string): Promise<unknown> {
    return this.#call('get', () => this.#store.get(key))
  }

  #warn(operation: string, error: unknown): void {
    const now = Date.now()
    if (now - this.#lastWarning <= BURST_MS) return
    this.#lastWarning = now
    this.#logger.warn(
      { operation, err: error instanceof Error ? error.message : String(error) },
      'polar-session: store call failed; treating it as a miss (logged once per 10 s)',
    )
  }

  /**
   * Runs one store call with a time limit; a failure is logged (once a burst) and yields
   * undefined, or with `strict` rejects with an error that names no key or value.
   */
  async #call(operation: string, call: () => unknown, strict = false): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined
    try {
      const timeout = new Promise<never>((_, reject) => {
        // setImmediate: a reply that arrived while this process was busy is read first (timers run before I/O).
        const fail = () => reject(Object.assign(new Error(`store ${operation} took longer than ${this.#opTimeoutMs} ms`), { name: 'TimeoutError' }))
        timer = setTimeout(() => setImmediate(fail), this.#opTimeoutMs)
      })
      const pending = Promise.resolve().then(call)
      pending.catch(() => {}) // the loser of the race must not become an unhandled rejection
      return await Promise.race([pending, timeout])
    } catch (error) {
      if (strict) {
        const failure = new Error(`polar-session: the store ${operation} failed`, { cause: error instanceof Error ? error : undefined })
        throw Object.assign(failure, { timedOut: isTimeout(error) })
      }
      this.#warn(operation, error)
      return undefined
    } finally {
      clearTimeout(timer)
    }
  }
}

/** Picks the fast path for the built-in memory store, the serialising one otherwise. */
export function toEntryStore(store: SessionStore, options: SerializedEntryStoreOptions): EntryStore {
  return store instanceof MemoryStore ? new MemoryEntryStore(store) : new SerializedEntryStore(store, options)
}

/** Whether a store error is a timeout: ours, or the store's own (redisStore's `TimeoutError`). */
function isTimeout(error: unknown): boolean {
  const seen = error as { name?: unknown; cause?: { name?: unknown } } | null
  return seen?.name === 'TimeoutError' || seen?.cause?.name === 'TimeoutError'
}
