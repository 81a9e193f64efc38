import { hash } from 'node:crypto'
import type { CheckedIdentity } from '../validate-identity.js'

/** The store keys of one (identity, return URL) pair. All are hashes: no ids, no emails. */
export interface SessionKeys {
  /** Where the session itself is kept. Also the single-flight and lock key. */
  readonly session: string
  /** The customer's generation: bumped by `invalidate` to orphan all its sessions at once. */
  readonly customerGeneration: string
  /** The member's generation, when the identity has a member. */
  readonly memberGeneration: string | null
  /** The generation keys an entry must match, in order: customer, then member if any. */
  readonly generations: readonly string[]
  /** Key of the negative cache (customer + member, any return URL). */
  readonly identity: string
}

function digest(text: string): string {
  return hash('sha256', text, 'base64url')
}

/** Most (identity, return URL) pairs whose keys are kept. */
const MEMO_MAX = 10_000

/**
 * Derives store keys. The scope mixes in the environment, the base URL and a fingerprint of
 * the access token, so two apps (or a sandbox and a production setup) sharing one Redis never
 * see each other's sessions. Derived keys are memoised: a cache hit costs no hashing.
 */
export class KeyDeriver {
  readonly #scope: string
  // A plain Map, emptied when full: a lookup touches less memory than an LRU's bookkeeping (this
  // is on every request), and re-deriving what an emptied memo held costs only hashing.
  readonly #memo = new Map<string, SessionKeys>()
  /** Prefix of the creation budget's keys (window counters, Polar's 429 block). */
  readonly budgetScope: string

  constructor(environment: string, baseUrl: string, accessToken: string) {
    this.#scope = digest(`polar-session/v1\0${environment}\0${baseUrl}\0${digest(accessToken)}`)
    this.budgetScope = `b:${digest(`${this.#scope}\0budget`)}`
  }

  /** Keys for an identity and a normalised return URL (or null for none). */
  keys(identity: CheckedIdentity, returnUrl: string | null): SessionKeys {
    const raw = `${identity.customerKey}\0${identity.memberKey}\0${returnUrl ?? ''}`
    let keys = this.#memo.get(raw)
    if (keys === undefined) {
      const customer = `${this.#scope}\0${identity.customerKey}`
      const member = `${customer}\0${identity.memberKey}`
      const customerGeneration = `g:${digest(customer)}`
      const memberGeneration = identity.memberKey === '' ? null : `g:${digest(member)}`
      keys = {
        session: `s:${digest(`${member}\0${returnUrl ?? ''}`)}`,
        customerGeneration,
        memberGeneration,
        generations: memberGeneration === null ? [customerGeneration] : [customerGeneration, memberGeneration],
        identity: `i:${digest(member)}`,
      }
      if (this.#memo.size >= MEMO_MAX) this.#memo.clear()
      this.#memo.set(raw, keys)
    }
    return keys
  }
}
