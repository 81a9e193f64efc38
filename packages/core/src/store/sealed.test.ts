import { describe, expect, it } from 'vitest'
import type { SessionStore, StoreLock } from '../types.js'
import { MIN_SEAL_KEY_LENGTH, sealedStore } from './sealed.js'

const OLD = 'old-secret-0123456789abcdefghijklmnopqrstuv'
const NEW = 'new-secret-0123456789abcdefghijklmnopqrstuv'
const OTHER = 'other-secret-0123456789abcdefghijklmnopqrst'

/** A bare Map-backed store that shows what lands at rest. */
function mapStore(): SessionStore & { data: Map<string, string>; ttls: Map<string, number> } {
  const data = new Map<string, string>()
  const ttls = new Map<string, number>()
  return {
    data,
    ttls,
    get: async (key) => data.get(key) ?? null,
    set: async (key, value, ttlMs) => {
      data.set(key, value)
      ttls.set(key, ttlMs)
    },
    delete: async (key) => {
      data.delete(key)
    },
  }
}

const SESSION = JSON.stringify({
  token: 'polar_cst_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  customerPortalUrl: 'https://polar.sh/acme/portal?customer_session_token=polar_cst_abc&email=jane%40example.com',
  email: 'jane@example.com',
})

describe('sealedStore', () => {
  it('round-trips a value and passes the TTL through; missing keys stay null', async () => {
    const inner = mapStore()
    const store = sealedStore(inner, { keys: NEW })
    await store.set('k1', SESSION, 1234)
    expect(inner.data.get('k1')).not.toBe(SESSION)
    expect(inner.ttls.get('k1')).toBe(1234)
    expect(await store.get('k1')).toBe(SESSION)
    expect(await store.get('absent')).toBeNull()
    await store.delete('k1')
    expect(inner.data.has('k1')).toBe(false)
  })

  it('stores a flattened JWE: dir + A256GCM, a kid that is not the secret, no aad at rest', async () => {
    const inner = mapStore()
    await sealedStore(inner, { keys: NEW }).set('k', SESSION, 1000)
    const stored = JSON.parse(inner.data.get('k')!) as Record<string, string>
    expect(Object.keys(stored).sort()).toEqual(['ciphertext', 'iv', 'protected', 'tag'])
    const header = JSON.parse(Buffer.from(stored.protected!, 'base64url').toString('utf8')) as Record<string, unknown>
    expect(header).toEqual({ alg: 'dir', enc: 'A256GCM', kid: expect.stringMatching(/^[0-9a-f]{16}$/) })
    expect(NEW).not.toContain(header.kid as string)
  })

  it('leaks no plaintext into the sealed text', async () => {
    const inner = mapStore()
    await sealedStore(inner, { keys: NEW }).set('k', SESSION, 1000)
    const sealed = inner.data.get('k')!
    for (const fragment of ['polar_cst_', '@', 'portal', 'example.com', 'token', NEW.slice(0, 12)]) {
      expect(sealed).not.toContain(fragment)
    }
  })

  it('seals twice differently (fresh IV each time)', async () => {
    const inner = mapStore()
    const store = sealedStore(inner, { keys: NEW })
    await store.set('a', SESSION, 1000)
    await store.set('b', SESSION, 1000)
    expect(inner.data.get('a')).not.toBe(inner.data.get('b'))
  })

  it('rotation: values sealed with the old key open with [new, old]; new writes use the new key', async () => {
    const inner = mapStore()
    await sealedStore(inner, { keys: [OLD] }).set('k', SESSION, 1000)
    const rotated = sealedStore(inner, { keys: [NEW, OLD] })
    expect(await rotated.get('k')).toBe(SESSION)

    await rotated.set('k2', SESSION, 1000)
    expect(await sealedStore(inner, { keys: [NEW] }).get('k2')).toBe(SESSION)
    expect(await sealedStore(inner, { keys: [OLD] }).get('k2')).toBeNull()
    // Once the old key is dropped, what it sealed reads as a miss.
    expect(await sealedStore(inner, { keys: [NEW] }).get('k')).toBeNull()
  })

  it('an unknown kid is a miss, not an error', async () => {
    const inner = mapStore()
    await sealedStore(inner, { keys: OTHER }).set('k', SESSION, 1000)
    await expect(sealedStore(inner, { keys: [NEW, OLD] }).get('k')).resolves.toBeNull()
  })

  it('a known kid with a wrong key (forged header) is a miss', async () => {
    const inner = mapStore()
    await sealedStore(inner, { keys: OTHER }).set('k', SESSION, 1000)
    const newKid = await kidOf(NEW)
    const stored = JSON.parse(inner.data.get('k')!) as Record<string, string>
    stored.protected = Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM', kid: newKid })).toString('base64url')
    inner.data.set('k', JSON.stringify(stored))
    await expect(sealedStore(inner, { keys: NEW }).get('k')).resolves.toBeNull()
  })

  it('a value moved to another key is a miss', async () => {
    const inner = mapStore()
    const store = sealedStore(inner, { keys: NEW })
    await store.set('alice', SESSION, 1000)
    inner.data.set('mallory', inner.data.get('alice')!)
    expect(await store.get('mallory')).toBeNull()
    expect(await store.get('alice')).toBe(SESSION)
  })

  it('tampered ciphertext, tag, iv or header is a miss', async () => {
    const inner = mapStore()
    const store = sealedStore(inner, { keys: NEW })
    await store.set('k', SESSION, 1000)
    const original = inner.data.get('k')!
    for (const field of ['ciphertext', 'tag', 'iv', 'protected'] as const) {
      const stored = JSON.parse(original) as Record<string, string>
      const bytes = Buffer.from(stored[field]!, 'base64url')
      bytes[0] = bytes[0]! ^ 0x01
      stored[field] = bytes.toString('base64url')
      inner.data.set('k', JSON.stringify(stored))
      expect(await store.get('k'), field).toBeNull()
    }
    inner.data.set('k', original)
    expect(await store.get('k')).toBe(SESSION)
  })

  it('garbage and plaintext values (e.g. from before encryption was on) are misses', async () => {
    const inner = mapStore()
    const store = sealedStore(inner, { keys: NEW })
    for (const garbage of ['', 'not json', '{}', '[]', 'null', '42', SESSION, '{"protected":1}']) {
      inner.data.set('k', garbage)
      expect(await store.get('k'), garbage).toBeNull()
    }
  })

  it('passes through undefined (the inner store timed out) and inner errors', async () => {
    const failing: SessionStore = {
      get: async () => undefined,
      set: async () => {
        throw new Error('inner set failed')
      },
      delete: async () => {
        throw new Error('inner delete failed')
      },
    }
    const store = sealedStore(failing, { keys: NEW })
    expect(await store.get('k')).toBeUndefined()
    await expect(store.set('k', 'v', 1000)).rejects.toThrow('inner set failed')
    await expect(Promise.resolve(store.delete('k'))).rejects.toThrow('inner delete failed')
  })

  it('keeps the wrapped store’s lock and close', async () => {
    const lock: StoreLock = { acquire: async () => null }
    let closed = 0
    const inner: SessionStore = {
      ...mapStore(),
      lock,
      close: () => {
        closed++
      },
    }
    const store = sealedStore(inner, { keys: NEW })
    expect(store.lock).toBe(lock)
    await store.close?.()
    expect(closed).toBe(1)
    const bare = sealedStore(mapStore(), { keys: NEW })
    expect('lock' in bare).toBe(false)
    expect(bare.close).toBeUndefined()
  })

  it('refuses short or missing keys with a TypeError naming the length rule, never the secret', () => {
    const short = 'too-short-secret'
    expect(() => sealedStore(mapStore(), { keys: short })).toThrow(TypeError)
    expect(() => sealedStore(mapStore(), { keys: short })).toThrow(
      `keys[0] must be at least ${MIN_SEAL_KEY_LENGTH} characters of secret (got ${short.length} characters;`,
    )
    expect(() => sealedStore(mapStore(), { keys: [NEW, short] })).toThrow(/keys\[1\] must be at least 32/)
    expect(() => sealedStore(mapStore(), { keys: 'x'.repeat(31) })).toThrow(TypeError)
    expect(() => sealedStore(mapStore(), { keys: 'x'.repeat(32) })).not.toThrow()
    expect(() => sealedStore(mapStore(), { keys: [] })).toThrow(TypeError)
    try {
      sealedStore(mapStore(), { keys: short })
    } catch (error) {
      expect((error as Error).message).not.toContain(short)
    }
  })
})

/** The kid a key gets, read back from what it seals. */
async function kidOf(secret: string): Promise<string> {
  const inner = mapStore()
  await sealedStore(inner, { keys: secret }).set('x', 'x', 1000)
  const stored = JSON.parse(inner.data.get('x')!) as { protected: string }
  return (JSON.parse(Buffer.from(stored.protected, 'base64url').toString('utf8')) as { kid: string }).kid
}
