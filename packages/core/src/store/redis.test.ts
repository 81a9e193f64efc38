import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { redisStore } from './redis.js'
import { sealedStore } from './sealed.js'
import type { NodeRedisLikeClient, RedisLikeClient, RedisStore } from './redis.js'
import { REDIS_HOST, REDIS_PORT, REDIS_URL, describeRedis } from './test-redis.js'

/** Unique to this run of this file; everything under it is deleted in afterAll. */
const PREFIX = `polar-session-test:${randomUUID()}:`

type AdminClient = ReturnType<typeof createClient>

async function deletePrefix(admin: AdminClient, prefix: string): Promise<void> {
  const keys: string[] = []
  for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    keys.push(...batch)
  }
  if (keys.length > 0) await admin.del(keys)
}

interface ClientKind {
  name: string
  open(): Promise<RedisLikeClient>
  close(client: RedisLikeClient): Promise<void>
}

const kinds: ClientKind[] = [
  {
    name: 'node-redis',
    async open() {
      const client = createClient({ url: REDIS_URL })
      client.on('error', () => {})
      await client.connect()
      return client
    },
    async close(client) {
      await (client as AdminClient).close()
    },
  },
  {
    name: 'ioredis',
    async open() {
      const client = new Redis({ host: REDIS_HOST, port: REDIS_PORT, lazyConnect: true })
      client.on('error', () => {})
      await client.connect()
      return client
    },
    async close(client) {
      await (client as Redis).quit()
    },
  },
]

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describeRedis('redisStore against a real Redis', () => {
  let admin: AdminClient

  beforeAll(async () => {
    admin = createClient({ url: REDIS_URL })
    admin.on('error', () => {})
    await admin.connect()
  })

  afterAll(async () => {
    await deletePrefix(admin, PREFIX)
    await admin.close()
  })

  for (const kind of kinds) {
    describe(kind.name, () => {
      const prefix = `${PREFIX}${kind.name}:`
      let client: RedisLikeClient
      let store: RedisStore

      beforeAll(async () => {
        client = await kind.open()
        store = redisStore({ client, prefix })
      })

      afterAll(async () => {
        await kind.close(client)
      })

      it('stores under the prefix and reads back; a missing key is null', async () => {
        await store.set('k1', 'value-1', 60_000)
        expect(await store.get('k1')).toBe('value-1')
        expect(await admin.get(`${prefix}k1`)).toBe('value-1')
        expect(await store.get('absent')).toBeNull()
      })

      it('sets the TTL with PX, rounded up to whole milliseconds', async () => {
        await store.set('ttl', 'v', 1500.2)
        const pttl = await admin.pTTL(`${prefix}ttl`)
        expect(pttl).toBeGreaterThan(1000)
        expect(pttl).toBeLessThanOrEqual(1501)
      })

      it('lets a value expire after its TTL', async () => {
        await store.set('short', 'v', 30)
        await vi.waitFor(async () => expect(await store.get('short')).toBeNull(), {
          timeout: 2000,
          interval: 20,
        })
      })

      it('writes nothing for a zero, negative or non-finite TTL', async () => {
        for (const ttl of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(store.set(`bad-ttl-${ttl}`, 'v', ttl)).resolves.toBeUndefined()
          expect(await admin.exists(`${prefix}bad-ttl-${ttl}`)).toBe(0)
        }
      })

      it('overwrites and refreshes the TTL; delete removes; deleting a missing key is fine', async () => {
        await store.set('over', 'a', 1000)
        await store.set('over', 'b', 60_000)
        expect(await store.get('over')).toBe('b')
        expect(await admin.pTTL(`${prefix}over`)).toBeGreaterThan(59_000)
        await store.delete('over')
        expect(await store.get('over')).toBeNull()
        await expect(store.delete('over')).resolves.toBeUndefined()
      })

      it('treats a Redis error reply on get as a miss', async () => {
        await admin.hSet(`${prefix}hash`, 'f', 'v')
        expect(await store.get('hash')).toBeUndefined()
      })

      it('lock: of two concurrent acquires exactly one wins, under prefix + "lock:"', async () => {
        const results = await Promise.all([
          store.lock.acquire('L1', 5000),
          store.lock.acquire('L1', 5000),
        ])
        expect(results.filter((r) => r === null)).toHaveLength(1)
        const release = results.find((r) => r !== null)
        expect(typeof release).toBe('function')
        const pttl = await admin.pTTL(`${prefix}lock:L1`)
        expect(pttl).toBeGreaterThan(0)
        expect(pttl).toBeLessThanOrEqual(5000)
        await release!()
        expect(await admin.exists(`${prefix}lock:L1`)).toBe(0)
        const again = await store.lock.acquire('L1', 5000)
        expect(again).not.toBeNull()
        await again!()
        await again!() // releasing twice is harmless
      })

      it('lock: a second store on the same Redis (another process) is excluded too', async () => {
        const other = redisStore({ client, prefix })
        const mine = await store.lock.acquire('L2', 5000)
        expect(mine).not.toBeNull()
        expect(await other.lock.acquire('L2', 5000)).toBeNull()
        await mine!()
        const theirs = await other.lock.acquire('L2', 5000)
        expect(theirs).not.toBeNull()
        await theirs!()
      })

      it('lock: expires after its TTL, and a stale owner cannot release the next holder', async () => {
        const first = await store.lock.acquire('L3', 60)
        expect(first).not.toBeNull()
        expect(await store.lock.acquire('L3', 60)).toBeNull()
        let second: (() => Promise<void>) | null = null
        await vi.waitFor(
          async () => {
            second = await store.lock.acquire('L3', 10_000)
            expect(second).not.toBeNull()
          },
          { timeout: 2000, interval: 20 },
        )
        const secondToken = await admin.get(`${prefix}lock:L3`)
        expect(secondToken).toEqual(expect.any(String))
        await first!() // the expired owner's release must not delete the new lease
        expect(await admin.get(`${prefix}lock:L3`)).toBe(secondToken)
        expect(await store.lock.acquire('L3', 10_000)).toBeNull()
        await second!()
        expect(await admin.exists(`${prefix}lock:L3`)).toBe(0)
      })

      it('under sealedStore: Redis holds only ciphertext, and the lock passes through', async () => {
        const sealed = sealedStore(store, { keys: 'a-test-secret-of-at-least-32-characters!' })
        const value = 'polar_cst_secret-token https://polar.sh/acme/portal?email=jane%40example.com'
        await sealed.set('sealed', value, 60_000)
        expect(await sealed.get('sealed')).toBe(value)
        const raw = await admin.get(`${prefix}sealed`)
        expect(raw).toEqual(expect.any(String))
        expect(raw).not.toContain('polar_cst_')
        expect(raw).not.toContain('portal')
        expect(sealed.lock).toBe(store.lock)
      })

      it('close() leaves the client open: the app owns it', async () => {
        await store.close()
        await store.set('after-close', 'still works', 60_000)
        expect(await store.get('after-close')).toBe('still works')
      })

      it('a paused Redis: get is a miss within opTimeoutMs, set/delete reject without secrets, lock counts as acquired', async () => {
        const fast = redisStore({ client, prefix, opTimeoutMs: 50, lockTimeoutMs: 50 })
        await fast.set('paused-key-secret', 'paused-value-secret', 60_000)
        expect(await fast.get('paused-key-secret')).toBe('paused-value-secret')

        // Stall this client's connection only (a blocking BLPOP holds every command queued behind
        // it for 400 ms): CLIENT PAUSE would stall every test file sharing this Redis too.
        const stallKey = `${prefix}stall:${randomUUID()}`
        const stall =
          kind.name === 'ioredis'
            ? (client as Redis).blpop(stallKey, 0.4)
            : (client as AdminClient).sendCommand(['BLPOP', stallKey, '0.4'])
        // Answered only once the stall is over: proves our outcomes happen during it.
        let pauseOver = false
        const ping = stall.then(() => {
          pauseOver = true
        })
        expect(await fast.get('paused-key-secret')).toBeUndefined()
        const setError = await fast.set('paused-key-secret', 'paused-value-secret', 60_000).then(
          () => null,
          (error: unknown) => error,
        )
        const delError = await fast.delete('paused-key-secret').then(
          () => null,
          (error: unknown) => error,
        )
        const release = await fast.lock.acquire('paused-lock', 5000)
        expect(pauseOver).toBe(false)

        for (const error of [setError, delError]) {
          expect(error).toBeInstanceOf(Error)
          const text = `${(error as Error).message} ${String((error as Error).cause)}`
          expect(text).toMatch(/timed out/)
          expect(text).not.toMatch(/secret/)
        }
        expect(typeof release).toBe('function')
        await expect(release!()).resolves.toBeUndefined()

        await ping
        // The stall is over. The timed-out commands were not cancelled: the SET and then the DEL
        // landed once the stall ended, in that order, so the key is gone now.
        expect(await fast.get('paused-key-secret')).toBeNull()
      })
    })
  }
})

describe('redisStore with Redis unreachable', () => {
  it('node-redis client that is not connected: miss, rejections without secrets, no-op lock', async () => {
    const client = createClient({ url: REDIS_URL })
    const store = redisStore({ client, prefix: 'unreachable:' })
    expect(await store.get('k-secret')).toBeUndefined()
    const error = await store.set('k-secret', 'v-secret', 1000).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toBe('redisStore: SET failed')
    expect(String((error as Error).cause)).not.toMatch(/secret/)
    await expect(store.delete('k-secret')).rejects.toThrow('redisStore: DEL failed')
    const release = await store.lock.acquire('k-secret', 1000)
    expect(typeof release).toBe('function')
    await expect(release!()).resolves.toBeUndefined()
  })

  it('ioredis retrying a dead port: every call settles within opTimeoutMs instead of hanging', async () => {
    // Port 1 refuses connections; ioredis keeps retrying and queues commands meanwhile.
    const client = new Redis({ host: '127.0.0.1', port: 1, retryStrategy: () => 50 })
    client.on('error', () => {})
    try {
      const store = redisStore({ client, prefix: 'unreachable:', opTimeoutMs: 50, lockTimeoutMs: 50 })
      expect(await store.get('k')).toBeUndefined()
      await expect(store.set('k', 'v', 1000)).rejects.toThrow('redisStore: SET timed out after 50ms')
      await expect(store.delete('k')).rejects.toThrow('redisStore: DEL timed out after 50ms')
      expect(typeof (await store.lock.acquire('k', 1000))).toBe('function')
    } finally {
      client.disconnect() // rejects the queued commands: must not surface as unhandled rejections
      await sleep(20)
    }
  })

  it('a client that throws synchronously is a miss or a rejection too', async () => {
    const boom = (): never => {
      throw new Error('boom')
    }
    const client: NodeRedisLikeClient = { get: boom, set: boom, del: boom, eval: boom }
    const store = redisStore({ client })
    expect(await store.get('k')).toBeUndefined()
    await expect(store.set('k', 'v', 1000)).rejects.toThrow('redisStore: SET failed')
    expect(typeof (await store.lock.acquire('k', 1000))).toBe('function')
  })

  it('rounds the TTL up to whole milliseconds (recorded calls)', async () => {
    const calls: unknown[][] = []
    const record = async (...args: unknown[]) => {
      calls.push(args)
      return 'OK'
    }
    const client: NodeRedisLikeClient = { get: record, set: record, del: record, eval: record }
    const store = redisStore({ client, prefix: 'p:' })
    await store.set('k', 'v', 1500.2)
    await store.set('tiny', 'v', 0.01)
    expect(calls).toEqual([
      ['p:k', 'v', { expiration: { type: 'PX', value: 1501 } }],
      ['p:tiny', 'v', { expiration: { type: 'PX', value: 1 } }],
    ])
  })

  it('refuses a bad client or option up front', () => {
    expect(() => redisStore({ client: {} as NodeRedisLikeClient })).toThrow(TypeError)
    const client = createClient({ url: REDIS_URL })
    expect(() => redisStore({ client, opTimeoutMs: 0 })).toThrow(/opTimeoutMs/)
  })
})
