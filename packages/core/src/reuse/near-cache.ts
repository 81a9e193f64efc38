import { LRUCache } from 'lru-cache'
import type { CachedEntry } from './entry.js'
import type { StoreRead } from './entry-store.js'
import type { SessionKeys } from './keys.js'

/** A copy of a generation the shared store holds, and when it was last confirmed there. */
interface GenerationCopy {
  readonly value: string
  readonly checkedAt: number
}

/**
 * This process's copies of a shared store's entries and generations, decoded (and so
 * decrypted) once. A warm hit is a map lookup: no round trip, no decryption. A generation is
 * trusted for `ttlMs` after it was last read from (or written to) the store; invalidations from
 * other processes drop the generations they replace at once (pub/sub), and `ttlMs` bounds
 * staleness when such a message is lost. Copies the store could not confirm stay usable as a fallback
 * while the store is down.
 */
export class NearCache {
  readonly #ttlMs: number
  /** Entries need no confirming (see `freshEntry`): they are held as they are. */
  readonly #entries: LRUCache<string, CachedEntry>
  readonly #generations: LRUCache<string, GenerationCopy>

  constructor(max: number, ttlMs: number) {
    this.#ttlMs = ttlMs
    // No TTL in the LRUs: a stale copy is still the best answer while the store is down; sessions
    // past their expiry are refused by the reuse rules anyway.
    this.#entries = new LRUCache({ max })
    this.#generations = new LRUCache({ max })
  }

  /**
   * The entry at `keys.session` as `EntryStore.freshEntry` wants it: undefined unless the
   * entry is held and every generation it must match was confirmed within `ttlMs` of `now`; then
   * the entry if it matches them, else null. An entry never changes once written (a newer session
   * gets the key only when this one is under the margin), so only generations, which
   * invalidations replace, need confirming. Allocates nothing.
   */
  freshEntry(keys: SessionKeys, now: number): CachedEntry | null | undefined {
    const entry = this.#entries.get(keys.session)
    if (entry === undefined) return undefined
    const customer = this.#fresh(keys.customerGeneration, now)
    if (customer === undefined) return undefined
    if (keys.memberGeneration === null) return customer === entry.customerGeneration ? entry : null
    const member = this.#fresh(keys.memberGeneration, now)
    if (member === undefined) return undefined
    return customer === entry.customerGeneration && member === entry.memberGeneration ? entry : null
  }

  /** The copy of the generation at `key` if it was confirmed within `ttlMs` of `now`. */
  #fresh(key: string, now: number): string | undefined {
    const copy = this.#generations.get(key)
    return copy === undefined || now - copy.checkedAt >= this.#ttlMs ? undefined : copy.value
  }

  /** Whatever copies there are, fresh or not; a generation never seen is `undefined` (unknown). */
  readAny(key: string | null, generationKeys: readonly string[]): StoreRead {
    return {
      entry: key === null ? null : (this.#entries.get(key) ?? null),
      generations: generationKeys.map((generationKey) => this.#generations.get(generationKey)?.value),
    }
  }

  /** Records what the store holds (`null`: nothing) as confirmed now. */
  confirm(
    key: string | null,
    entry: CachedEntry | null,
    generationKeys: readonly string[],
    generations: readonly (string | null | undefined)[],
  ): void {
    const checkedAt = Date.now()
    if (key !== null) {
      const held = this.#entries.get(key)
      if (entry === null) this.#entries.delete(key)
      // The same session again: keep the object already handed out (one decoded copy each).
      else this.#entries.set(key, held !== undefined && held.session.id === entry.session.id ? held : entry)
    }
    for (const [i, generationKey] of generationKeys.entries()) {
      const generation = generations[i]
      if (generation === undefined) continue // unknown: keep what we had
      if (generation === null) this.#generations.delete(generationKey)
      else this.#generations.set(generationKey, { value: generation, checkedAt })
    }
  }

  rememberEntry(key: string, entry: CachedEntry): void {
    this.#entries.set(key, entry)
  }

  rememberGeneration(key: string, generation: string): void {
    this.#generations.set(key, { value: generation, checkedAt: Date.now() })
  }

  /** Another process replaced this generation: the next read asks the store. */
  forgetGeneration(key: string): void {
    this.#generations.delete(key)
  }

  /** Number of session copies held. */
  get size(): number {
    return this.#entries.size
  }
}
