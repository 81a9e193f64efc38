import { LRUCache } from 'lru-cache'

/** One identity's per-request return URLs that hold a live session: session key → until when. */
interface IdentitySlots {
  readonly held: Map<string, number>
  /** Until when the "cap reached" warning stays quiet for this identity. */
  quietUntil: number
}

/**
 * Caps the per-request return URLs of each identity that may hold their own session, so one
 * user sending `?return_to=…&i=1`, `i=2`, … cannot spend the organization's rate limit or evict
 * other users' sessions. A slot is held from the creation for that URL until its session
 * expires; a failed creation gives it back. Kept per process: with N processes sharing a
 * store, one identity can hold at most N × `max` of them.
 */
export class ReturnUrlSlots {
  readonly #max: number
  readonly #byIdentity = new LRUCache<string, IdentitySlots>({ max: 10_000 })

  constructor(max: number) {
    this.#max = max
  }

  /**
   * Takes (or confirms) a slot for `sessionKey` until `until`. False when the identity already
   * holds `max` other live ones: the caller then falls back to the default return URL.
   */
  claim(identityKey: string, sessionKey: string, until: number): boolean {
    const now = Date.now()
    let slots = this.#byIdentity.get(identityKey)
    if (slots === undefined) {
      slots = { held: new Map(), quietUntil: 0 }
      this.#byIdentity.set(identityKey, slots)
    }
    const held = slots.held
    if (held.has(sessionKey)) {
      held.set(sessionKey, Math.max(held.get(sessionKey)!, until))
      return true
    }
    for (const [key, expiry] of held) if (expiry <= now) held.delete(key)
    if (held.size >= this.#max) return false
    held.set(sessionKey, until)
    return true
  }

  /** Holds the slot until the session created for it expires. */
  extend(identityKey: string, sessionKey: string, until: number): void {
    this.#byIdentity.get(identityKey)?.held.set(sessionKey, until)
  }

  /** Gives a slot back (its creation failed). */
  release(identityKey: string, sessionKey: string): void {
    this.#byIdentity.get(identityKey)?.held.delete(sessionKey)
  }

  /**
   * Whether to warn that the identity hit the cap: true once per `quietMs` (a reuse window), so
   * a flood of URLs is one log line, not one per request.
   */
  shouldWarn(identityKey: string, quietMs: number): boolean {
    const slots = this.#byIdentity.get(identityKey)
    const now = Date.now()
    if (slots === undefined || now < slots.quietUntil) return false
    slots.quietUntil = now + quietMs
    return true
  }
}
