import { LRUCache } from 'lru-cache'
import { rejectUnknownKeys } from '../option-keys.js'
import type { SessionStore } from '../types.js'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most sessions kept; the least recently used go first. Bounds memory: about 2.5 KB a
   * session. (Customers' invalidation markers are kept beside them, bounded by the same number.)
   * @default 10_000
   */
  max?: number
}

/**
 * The in-process store: a bounded LRU (lru-cache) with per-entry TTL. It holds values as
 * given; the core also keeps decoded sessions in it directly, which is why a hit on the
 * memory store costs no parsing.
 */
export class MemoryStore implements SessionStore {
  /** @internal The LRU itself; the core stores decoded entries here. */
  readonly cache: LRUCache<string, object | string>
  /** @internal Customers' generations (see `invalidate`), apart so they never evict sessions. */
  readonly generations: LRUCache<string, string>

  constructor(options: MemoryStoreOptions = {}) {
    rejectUnknownKeys('memoryStore', options, ['max'], {
      maxSize: 'max',
      size: 'max',
      ttl: 'nothing: sessions expire with Polar',
    })
    const { max = 10_000 } = options
    if (!Number.isInteger(max) || max < 1) {
      throw new TypeError(`memoryStore: max must be a positive integer, got ${String(max)}.`)
    }
    // ttlAutopurge off: expired entries are dropped lazily on read and by LRU order, with no timers.
    this.cache = new LRUCache({ max, ttlAutopurge: false })
    this.generations = new LRUCache({ max, ttlAutopurge: false })
  }

  get(key: string): string | undefined {
    const value = this.cache.get(key)
    return typeof value === 'string' ? value : undefined
  }

  set(key: string, value: string, ttlMs: number): void {
    if (ttlMs > 0) this.cache.set(key, value, { ttl: Math.ceil(ttlMs) })
  }

  delete(key: string): void {
    this.cache.delete(key)
  }

  /** Number of entries held (expired ones not yet purged included). */
  get size(): number {
    return this.cache.size
  }

  close(): void {
    this.cache.clear()
    this.generations.clear()
  }
}

/** A bounded in-process LRU store: the default. Sessions are not shared between processes. */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(options)
}
