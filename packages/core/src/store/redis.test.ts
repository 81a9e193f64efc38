// redisStore against a real Redis, with each client major users install today: node-redis 5
// and 6, ioredis 5 and 6. The failure cases run against a redis-server of this file's own.
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { Redis as Redis5 } from 'ioredis5'
import { createClient } from 'redis'
import { createClient as createClient5 } from 'redis5'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startPrivateRedis, type PrivateRedis } from '../test-support/redis-servers.js'
import { redisStore, type RedisLikeClient, type RedisStore } from './redis.js'
import { sealedStore } from './sealed.js'
import { describeRedis, REDIS_URL } from '../test-support/redis.js'

/** Unique to this run of this file; everything under it is deleted in afterAll. */
const PREFIX = `polar-session-test:${randomUUID()}:`
type AdminClient = ReturnType<typeof createClient>

/** A client library and major, opened against a URL. */
interface ClientKind {
  name: string
  open(url: string): Promise<RedisLikeClient>
  close(client: RedisLikeClient): Promise<void>
}

export const CLIENT_KINDS: ClientKind[] = [
  ...[
    ['node-redis 6', createClient],
    ['node-redis 5', createClient5],
  ].map(([name, create]) => ({
    name: name as string,
    async open(url: string) {
      const client = (create as typeof createClient)({ url })
      client.on('error', () => {})
      await client.connect()
      return client as unknown as RedisLikeClient
    },
    async close(client: RedisLikeClient) {
      ;(client as unknown as { destroy(): void }).destroy()
    },
  })),
  ...[
    ['ioredis 6', Redis],
    ['ioredis 5', Redis5],
  ].map(([name, IORedis]) => ({
    name: name as string,
    async open(url: string) {
      const client = new (IORedis as typeof Redis)(url, { lazyConnect: true })
      client.on('error', () => {})
      await client.connect()
      return client as unknown as RedisLikeClient
    },
    async close(client: RedisLikeClient) {
      ;(client as unknown as Redis).disconnect()
    },
  })),
]

async function deletePrefix(admin: AdminClient, prefix: string): Promise<void> {
  const keys: string[] = []
  for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch)
  if (keys.length > 0) await admin.del(keys)
}

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

  for (const kind of CLIENT_KINDS) {
    describe(kind.name, () => {
      const prefix = `${PREFIX}${kind.name.replace(' ', '-')}:`
      let client: RedisLikeClient
      let store: RedisStore

      beforeAll(async () => {
        client = await kind.open(REDIS_URL)
        store = redisStore({ client, prefix })
      })

      afterAll(async () => {
        await store.close()
        await kind.close(client)
      })

      it('stores under the prefix with PX (rounded up) and reads back; a missing key is null', async () => {
        await store.set('k1', 'value-1', 1500.2)
        expect(await store.get('k1')).toBe('value-1')
        expect(await admin.get(`${prefix}k1`)).toBe('value-1')
        const pttl = await admin.pTTL(`${prefix}k1`)
        expect(pttl).toBeGreaterThan(1000)
        expect(pttl).toBeLessThanOrEqual(1501)
        expect(await store.get('absent')).toBeNull()
        await store.delete('k1')
        expect(await store.get('k1')).toBeNull()
      })

      it('refuses a zero, negative or non-finite TTL instead of writing a key that never expires', async () => {
        for (const ttl of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(store.set(`bad-ttl-${ttl}`, 'v', ttl)).rejects.toThrow(RangeError)
          expect(await admin.exists(`${prefix}bad-ttl-${ttl}`)).toBe(0)
        }
      })

      it('a Redis error reply on get rejects (a failure, not "absent"), naming the command and no key', async () => {
        await admin.hSet(`${prefix}hash`, 'f', 'v')
        const error = await store.get('hash').catch((e: unknown) => e as Error)
        expect(error).toBeInstanceOf(Error)
        expect((error as Error).message).toBe('redisStore: GET failed')
        expect(
          JSON.stringify({ message: (error as Error).message, cause: String((error as Error).cause) }),
        ).not.toContain(prefix)
      })

      it('setIfAbsent: SET NX; the second writer is told and changes nothing', async () => {
        expect(await store.setIfAbsent('gen', 'first', 60_000)).toBe(true)
        expect(await store.setIfAbsent('gen', 'second', 60_000)).toBe(false)
        expect(await store.get('gen')).toBe('first')
      })

      it('countInWindow: 20 concurrent counts against a limit of 3 add exactly 3; the rest learn when a slot frees', async () => {
        const waits = await Promise.all(Array.from({ length: 20 }, () => store.countInWindow('count', 3, 60_000)))
        expect(waits.filter((w) => w === 0)).toHaveLength(3)
        for (const wait of waits.filter((w) => w !== 0)) {
          expect(wait).toBeGreaterThan(59_000)
          expect(wait).toBeLessThanOrEqual(60_000)
        }
        expect(await admin.zCard(`${prefix}count`)).toBe(3)
        expect(await admin.pTTL(`${prefix}count`)).toBeGreaterThan(59_000)
        // Another process's store counts in the same window; a lower limit (attach's share) is
        // refused at once.
        const other = redisStore({ client, prefix })
        expect(await other.countInWindow('count', 3, 60_000)).toBeGreaterThan(0)
        expect(await other.countInWindow('count', 4, 60_000)).toBe(0)
        expect(await other.countInWindow('count', 2, 60_000)).toBeGreaterThan(0)
      })

      it('countInWindow slides: a slot frees when the oldest counted one leaves the window', async () => {
        expect(await store.countInWindow('slide', 2, 400)).toBe(0)
        await new Promise((resolve) => setTimeout(resolve, 150))
        expect(await store.countInWindow('slide', 2, 400)).toBe(0)
        const wait = await store.countInWindow('slide', 2, 400)
        expect(wait).toBeGreaterThan(0)
        expect(wait).toBeLessThanOrEqual(250) // the first leaves 400 ms after it was counted
        await new Promise((resolve) => setTimeout(resolve, wait + 20))
        expect(await store.countInWindow('slide', 2, 400)).toBe(0) // the first left; the second still counts
        expect(await store.countInWindow('slide', 2, 400)).toBeGreaterThan(0)
        expect(await store.countInWindow('slide', 0, 400)).toBe(400) // a limit of 0 never counts
      })

      it('lease: of two concurrent acquires one wins; another store is excluded; release frees it', async () => {
        const other = redisStore({ client, prefix })
        const results = await Promise.all([store.lock.acquire('L1', 5000), other.lock.acquire('L1', 5000)])
        expect(results.filter((r) => r === null)).toHaveLength(1)
        const lease = results.find((r) => r !== null)!
        expect(await admin.pTTL(`${prefix}lock:L1`)).toBeLessThanOrEqual(5000)
        await lease.release()
        expect(await admin.exists(`${prefix}lock:L1`)).toBe(0)
        const again = await other.lock.acquire('L1', 5000)
        expect(again).not.toBeNull()
        await again!.release()
        await again!.release() // releasing twice is harmless
      })

      it('lease: extend keeps it past its TTL; once lost, the old owner can neither extend nor release the next one', async () => {
        const first = (await store.lock.acquire('L2', 200))!
        expect(await first.extend!(5_000)).toBe(true)
        expect(await admin.pTTL(`${prefix}lock:L2`)).toBeGreaterThan(4_000)
        await admin.pExpire(`${prefix}lock:L2`, 1) // it lapses, as if the owner had stalled
        let second: Awaited<ReturnType<RedisStore['lock']['acquire']>> = null
        await vi.waitFor(async () => {
          second = await store.lock.acquire('L2', 10_000)
          expect(second).not.toBeNull()
        })
        const token = await admin.get(`${prefix}lock:L2`)
        expect(await first.extend!(5_000)).toBe(false)
        await first.release()
        expect(await admin.get(`${prefix}lock:L2`)).toBe(token)
        await second!.release()
      })

      it('pub/sub: a message published under the prefix reaches a subscriber; close() closes only what the store opened', async () => {
        const messages: string[] = []
        await store.subscribe('channel', (message) => messages.push(message))
        await vi.waitFor(async () => {
          await store.publish('channel', `hello ${messages.length}`)
          expect(messages.length).toBeGreaterThan(0)
        })
        expect(messages[0]).toMatch(/^hello \d+$/)
        const connected = async () => (await admin.sendCommand(['CLIENT', 'LIST'])) as string
        const subscribers = async () => (await connected()).split('\n').filter((line) => / sub=1 /.test(line)).length
        const before = await subscribers()
        await store.close()
        await vi.waitFor(async () => expect(await subscribers()).toBe(before - 1))
        // The app's client is untouched.
        await store.set('after-close', 'still works', 60_000)
        expect(await store.get('after-close')).toBe('still works')
      })

      it('under sealedStore: Redis holds only ciphertext; lease, counting and pub/sub pass through', async () => {
        const sealed = sealedStore(store, { keys: 'a-test-secret-of-at-least-32-characters!' })
        const value = 'polar_cst_secret-token https://polar.sh/acme/portal?email=jane%40example.com'
        await sealed.set('sealed', value, 60_000)
        expect(await sealed.get('sealed')).toBe(value)
        expect(await sealed.setIfAbsent!('sealed-nx', value, 60_000)).toBe(true)
        for (const key of ['sealed', 'sealed-nx']) {
          const raw = await admin.get(`${prefix}${key}`)
          expect(raw).not.toContain('polar_cst_')
          expect(raw).not.toContain('portal')
        }
        expect(sealed.lock).toBe(store.lock)
        expect(typeof sealed.countInWindow).toBe('function')
        expect(typeof sealed.publish).toBe('function')
        expect(typeof sealed.subscribe).toBe('function')
        expect(sealed.opTimeoutMs).toBe(store.opTimeoutMs)
      })
    })
  }
})

describeRedis("redisStore when Redis fails (a redis-server of this file's own)", () => {
  let redis: PrivateRedis

  beforeAll(async () => {
    redis = await startPrivateRedis()
  })

  afterAll(async () => {
    await redis?.stop()
  })

  for (const kind of CLIENT_KINDS) {
    it(`${kind.name}: paused, then stopped, every call rejects instead of waiting, without a key or value in the error`, async () => {
      const client = await kind.open(redis.url)
      const store = redisStore({ client, prefix: 'fail:', opTimeoutMs: 100 })
      try {
        await store.set('k', 'secret-value', 60_000)
        for (const outage of ['paused', 'stopped'] as const) {
          if (outage === 'paused') await redis.pause(5_000)
          else {
            await redis.unpause()
            await redis.stop()
          }
          for (const attempt of [
            () => store.get('k'),
            () => store.set('k', 'secret-value', 60_000),
            () => store.lock.acquire('k', 1_000),
            () => store.countInWindow('c', 5, 60_000),
          ]) {
            const error = await attempt().then(
              () => null,
              (e: unknown) => e as Error,
            )
            expect(error, outage).toBeInstanceOf(Error)
            const text = `${error!.message} ${String(error!.cause)}`
            expect(text).not.toContain('secret-value')
            expect(text).not.toContain('fail:k')
          }
        }
      } finally {
        await redis.start()
        await store.close()
        await kind.close(client)
      }
    })
  }

  it('refuses a bad client or option up front, naming the closest option', () => {
    expect(() => redisStore({ client: {} as never })).toThrow(/node-redis or ioredis client/)
    expect(() => redisStore({ client: { get() {} } as never, opTimeoutMs: 0 })).toThrow(/opTimeoutMs/)
    expect(() => redisStore({ client: { get() {} } as never, lockTimeoutMs: 5 } as never)).toThrow(
      /did you mean opTimeoutMs/,
    )
  })
})
