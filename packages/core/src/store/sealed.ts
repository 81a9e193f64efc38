import { createHash, hkdfSync, webcrypto } from 'node:crypto'
import { FlattenedEncrypt, flattenedDecrypt } from 'jose'
import type { FlattenedJWE } from 'jose'
import type { SessionStore } from '../types.js'

/** Options of {@link sealedStore}. */
export interface SealOptions {
  /**
   * The secret(s) values are encrypted with: one string, or several, **newest first**.
   * Each must be at least 32 characters of high-entropy secret (e.g.
   * `openssl rand -base64 32`). New values are always sealed with the first key; values
   * sealed with any listed key still open, so rotation is: put the new secret first, keep the
   * old one second until every value sealed with it has expired (at most one session
   * lifetime, an hour), then drop it.
   *
   * The secrets never leave the process: a 256-bit key is derived from each with
   * HKDF-SHA256, and values carry only a short hash of the derived key as `kid`.
   */
  keys: string | readonly string[]
}

/** The shortest secret {@link sealedStore} accepts, in characters. */
export const MIN_SEAL_KEY_LENGTH = 32

const HKDF_SALT = 'polar-session store v1'
const HKDF_INFO = 'polar-session store v1 dir+A256GCM'
const ALG = 'dir'
const ENC = 'A256GCM'

interface DerivedKey {
  readonly kid: string
  /** Imported once: jose would import raw bytes again on every seal and open. */
  readonly key: Promise<CryptoKey>
}

/** The parts of a flattened JWE that are stored; `aad` (the store key) is supplied on read. */
type StoredJWE = Pick<FlattenedJWE, 'protected' | 'iv' | 'ciphertext' | 'tag'>

/**
 * Wraps a {@link SessionStore} so that values are encrypted at rest: each value is a
 * flattened JWE (`alg: 'dir'`, `enc: 'A256GCM'`, `kid` in the protected header) serialised
 * as JSON, with the store key as its additional authenticated data. The key itself is not
 * stored in the value: it is supplied when opening, so a value copied under another key
 * fails to authenticate.
 *
 * Reads never throw for a bad value: garbage, tampering, an unknown `kid` or a value moved
 * to another key all read as a miss (`null`). Errors of the wrapped store pass through
 * unchanged, as do its `lock`, `countInWindow`, `publish`, `subscribe` and `close`; `setIfAbsent`
 * seals like `set`.
 *
 * @throws TypeError when no key is given or a key is shorter than 32 characters.
 *
 * @example
 * ```ts
 * const store = sealedStore(redisStore({ client }), {
 *   keys: [process.env.SESSION_STORE_KEY!, process.env.SESSION_STORE_KEY_OLD!].filter(Boolean),
 * })
 * ```
 */
export function sealedStore(store: SessionStore, options: SealOptions): SessionStore {
  const derived = deriveKeys(options?.keys)
  const newest = derived[0]!
  const byKid = new Map(derived.map((k) => [k.kid, k.key]))

  async function seal(storeKey: string, value: string): Promise<string> {
    const jwe = await new FlattenedEncrypt(new TextEncoder().encode(value))
      .setProtectedHeader({ alg: ALG, enc: ENC, kid: newest.kid })
      .setAdditionalAuthenticatedData(new TextEncoder().encode(storeKey))
      .encrypt(await newest.key)
    const stored: StoredJWE = {
      protected: jwe.protected,
      iv: jwe.iv,
      ciphertext: jwe.ciphertext,
      tag: jwe.tag,
    }
    return JSON.stringify(stored)
  }

  async function open(storeKey: string, sealed: string): Promise<string | null> {
    try {
      const parsed: unknown = JSON.parse(sealed)
      if (!isStoredJWE(parsed)) return null
      const jwe: FlattenedJWE = {
        protected: parsed.protected,
        iv: parsed.iv,
        ciphertext: parsed.ciphertext,
        tag: parsed.tag,
        aad: Buffer.from(storeKey, 'utf8').toString('base64url'),
      }
      const { plaintext } = await flattenedDecrypt(
        jwe,
        (header) => {
          const key = typeof header?.kid === 'string' ? byKid.get(header.kid) : undefined
          if (key === undefined) throw new Error('unknown kid')
          return key
        },
        { keyManagementAlgorithms: [ALG], contentEncryptionAlgorithms: [ENC] },
      )
      return new TextDecoder('utf-8', { fatal: true }).decode(plaintext)
    } catch {
      return null
    }
  }

  const sealed: SessionStore = {
    async get(key) {
      const value = await store.get(key)
      if (value === null || value === undefined) return value
      if (typeof value !== 'string') return null
      return open(key, value)
    },
    async set(key, value, ttlMs) {
      return store.set(key, await seal(key, value), ttlMs)
    },
    ...(typeof store.setIfAbsent === 'function'
      ? {
          setIfAbsent: async (key: string, value: string, ttlMs: number) =>
            store.setIfAbsent!(key, await seal(key, value), ttlMs),
        }
      : {}),
    delete(key) {
      return store.delete(key)
    },
  }
  return Object.assign(
    sealed,
    store.lock === undefined ? {} : { lock: store.lock },
    // Invalidation messages carry hashed keys only: they pass through unsealed.
    typeof store.publish === 'function'
      ? { publish: (channel: string, message: string) => store.publish!(channel, message) }
      : {},
    typeof store.subscribe === 'function'
      ? { subscribe: (channel: string, onMessage: (message: string) => void) => store.subscribe!(channel, onMessage) }
      : {},
    // Counters hold no secret (a count under a hashed key): they pass through unsealed.
    typeof store.countInWindow === 'function'
      ? { countInWindow: (key: string, limit: number, windowMs: number) => store.countInWindow!(key, limit, windowMs) }
      : {},
    // A store that bounds its own calls says so (redisStore); the core reads it through the seal.
    selfBound(store),
    typeof store.close === 'function' ? { close: () => store.close!() } : {},
  )
}

/** `{ opTimeoutMs }` of a store that bounds its own calls, to pass through the seal; else `{}`. */
function selfBound(store: SessionStore): { opTimeoutMs?: number } {
  const own = store.opTimeoutMs
  return typeof own === 'number' ? { opTimeoutMs: own } : {}
}

/**
 * What is wrong with sealing keys, to follow the option's name (a secret string, or a non-empty list of them, each at least
 * {@link MIN_SEAL_KEY_LENGTH} characters), or null. The one rule for `sealedStore`'s `keys` and
 * `createPolarSessions`'s `encryptionKey`; it never quotes a key.
 */
export function sealKeysProblem(keys: unknown): string | null {
  const list = typeof keys === 'string' ? [keys] : Array.isArray(keys) ? (keys as readonly unknown[]) : []
  if (list.length === 0) return ' must be a secret string or a non-empty list of them (newest first)'
  for (const [index, secret] of list.entries()) {
    if (typeof secret !== 'string' || secret.length < MIN_SEAL_KEY_LENGTH) {
      const got = typeof secret === 'string' ? `${secret.length} characters` : typeof secret
      return `[${index}] must be at least ${MIN_SEAL_KEY_LENGTH} characters of secret (got ${got}; make one with openssl rand -base64 32)`
    }
  }
  return null
}

function deriveKeys(keys: string | readonly string[] | undefined): DerivedKey[] {
  const problem = sealKeysProblem(keys)
  if (problem !== null) throw new TypeError(`sealedStore: keys${problem}`)
  const list = typeof keys === 'string' ? [keys] : (keys as readonly string[])
  return list.map((secret) => {
    const raw = new Uint8Array(hkdfSync('sha256', secret, HKDF_SALT, HKDF_INFO, 32))
    const kid = createHash('sha256').update(raw).digest('hex').slice(0, 16)
    const key = webcrypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt'])
    key.catch(() => {}) // surfaced on first use; never an unhandled rejection
    return { kid, key }
  })
}

function isStoredJWE(value: unknown): value is StoredJWE {
  if (value === null || typeof value !== 'object') return false
  const v = value as Record<string, unknown>
  return (
    typeof v.protected === 'string' &&
    typeof v.iv === 'string' &&
    typeof v.ciphertext === 'string' &&
    typeof v.tag === 'string'
  )
}
