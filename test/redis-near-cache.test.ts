// The near cache in front of Redis: warm hits that cost Redis nothing, invalidations that reach
// every process at once over pub/sub (and within nearCacheTtlMs when a message is lost), a Redis
// that stalls or stops without costing requests their time, a lease that covers a slow leader,
// and generations that a failed read never orphans. "Processes" here are instances with clients
// of their own: each has its own near cache, as a process would.
import { randomBytes, randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { createPolarSessions, type PolarSessions, type SessionStore } from '@polar-session/core'
import { redisStore, type RedisLikeClient } from '@polar-session/core/redis'
import { polarSession } from '@polar-session/express'
import { startFakePolar, type FakePolar } from '@polar-session/testing'
import express from 'express'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest'
import { STORE_BREAKER_THRESHOLD, STORE_COOLDOWN_MS } from '../packages/core/src/reuse/store-breaker.js'
import { describeRedis, REDIS_URL } from '../packages/core/src/test-support/redis.js'
import { startPrivateRedis, type PrivateRedis } from '../packages/core/src/test-support/redis-servers.js'
import { deleteUnder, openAdmin, type Admin } from './support/redis-admin.js'

const PREFIX = `polar-session-test:near:${randomUUID()}:`
const KEY = randomBytes(32).toString('base64')
const SESSION_ROUTE = 'POST /v1/customer-sessions/'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describeRedis('the near cache in front of Redis', () => {
  let fake: FakePolar
  let admin: Admin
  const clients: Array<{ close(): Promise<unknown> }> = []
  const instances: PolarSessions[] = []

  async function nodeRedis(url = REDIS_URL): Promise<RedisLikeClient> {
    const client = createClient({ url })
    client.on('error', () => {})
    await client.connect()
    clients.push({ close: async () => client.destroy() })
    return client as unknown as RedisLikeClient
  }

  /** A "process": its own client, store and near cache. */
  async function processOver(store: SessionStore, options: Record<string, unknown> = {}): Promise<PolarSessions> {
    const polar = createPolarSessions({
      accessToken: fake.accessToken,
      baseUrl: fake.url,
      store,
      encryptionKey: KEY,
      ...options,
    })
    instances.push(polar)
    return polar
  }

  const posts = () => fake.stats.requests[SESSION_ROUTE] ?? 0

  beforeAll(async () => {
    fake = await startFakePolar()
    for (let i = 0; i < 30; i++) fake.addCustomer({ externalId: `near-${i}`, email: `near${i}@example.com` })
    admin = await openAdmin()
  })

  afterEach(async () => {
    vi.restoreAllMocks()
    fake.setLatency(0)
    fake.clearFaults()
    await Promise.all(instances.splice(0).map((p) => p.close()))
    await Promise.all(clients.splice(0).map((c) => c.close()))
  })

  afterAll(async () => {
    if (admin !== undefined) {
      await deleteUnder(admin, PREFIX)
      await admin.close()
    }
    await fake?.close()
  })

  it('a warm hit costs Redis nothing: 1,000 hits, 0 commands (redisStore.stats and INFO commandstats)', async () => {
    const store = redisStore({ client: await nodeRedis(), prefix: PREFIX })
    const polar = await processOver(store)
    const first = await polar.getSession({ externalCustomerId: 'near-0' })
    const commands = store.stats.commands
    const before = await commandCount(admin)
    for (let i = 0; i < 1_000; i++) expect(await polar.getSession({ externalCustomerId: 'near-0' })).toBe(first)
    expect(store.stats.commands - commands).toBe(0)
    // The shared Redis also serves other test files: what this file's hits added is at most their noise.
    expect((await commandCount(admin)) - before).toBeLessThan(1_000)
  })

  it('invalidate() in one process: another drops its copy at once (pub/sub), long before nearCacheTtlMs', async () => {
    const a = await processOver(redisStore({ client: await nodeRedis(), prefix: PREFIX }), { nearCacheTtlMs: 60_000 })
    const b = await processOver(redisStore({ client: await nodeRedis(), prefix: PREFIX }), { nearCacheTtlMs: 60_000 })
    const old = await a.getSession({ externalCustomerId: 'near-1' })
    expect((await b.getSession({ externalCustomerId: 'near-1' })).id).toBe(old.id)
    await vi.waitFor(async () => expect(await b.getSession({ externalCustomerId: 'near-1' })).toBeDefined()) // b's copy is warm
    await a.invalidate({ externalCustomerId: 'near-1' })
    // Only the message can explain b refusing the old session: its copy would be trusted for 60 s.
    await vi.waitFor(async () => expect((await b.getSession({ externalCustomerId: 'near-1' })).id).not.toBe(old.id), {
      timeout: 2_000,
    })
  })

  it('with the subscription cut, nearCacheTtlMs bounds how long the old session is served', async () => {
    const ttl = 2_000
    const a = await processOver(redisStore({ client: await nodeRedis(), prefix: PREFIX }))
    const deaf = redisStore({ client: await nodeRedis(), prefix: PREFIX })
    // b hears nothing: every message is lost.
    const b = await processOver(
      { ...deaf, lock: deaf.lock, subscribe: async () => async () => {} },
      { nearCacheTtlMs: ttl },
    )
    const old = await a.getSession({ externalCustomerId: 'near-2' })
    expect((await b.getSession({ externalCustomerId: 'near-2' })).id).toBe(old.id)
    await a.invalidate({ externalCustomerId: 'near-2' })
    expect((await b.getSession({ externalCustomerId: 'near-2' })).id).toBe(old.id) // still trusted: no message
    const now = Date.now()
    vi.spyOn(Date, 'now').mockImplementation(() => now + ttl + 1)
    expect((await b.getSession({ externalCustomerId: 'near-2' })).id).not.toBe(old.id) // re-checked, refused
  })

  it('a leader slower than its deadline and its lease (createCustomer: 3 calls of 1.1 s, a 1.5 s deadline): one customer, one session', async () => {
    // 3.3 s of work: longer than one deadline (what a waiter used to wait) and than the 3 s lease
    // (which the leader extends while it works).
    fake.setLatency(1_100)
    const identity = { externalCustomerId: `near-new-${randomUUID()}`, email: 'lease@acme-mail.dev' }
    const options = { createCustomer: true, deadlineMs: 1_500 }
    const a = await processOver(redisStore({ client: await nodeRedis(), prefix: PREFIX }), options)
    const b = await processOver(redisStore({ client: await nodeRedis(), prefix: PREFIX }), options)
    const customersBefore = fake.stats.customersCreated
    const created = fake.stats.sessionsCreated
    const [x, y] = await Promise.all([a.getSession(identity), b.getSession(identity)])
    expect(x.id).toBe(y.id)
    expect(fake.stats.customersCreated - customersBefore).toBe(1)
    expect(fake.stats.sessionsCreated - created).toBe(1)
  })

  it("a failed generation read orphans nothing: the customer's other sessions stay valid", async () => {
    const APP = 'https://app.example.com'
    const client = await nodeRedis()
    const first = await processOver(redisStore({ client, prefix: PREFIX }), {
      allowedReturnOrigins: [APP],
      nearCacheTtlMs: 0,
    })
    const original = await first.getSession({ externalCustomerId: 'near-3' }, { returnUrl: `${APP}/a` })
    // A second process whose generation reads fail while it creates another session of the customer.
    const inner = redisStore({ client, prefix: PREFIX })
    let failedGenerationReads = 0
    // No setIfAbsent: the documented fallback (write, then read back) is where a read taken for
    // "absent" used to overwrite the generation.
    const flaky: SessionStore = {
      ...inner,
      setIfAbsent: undefined,
      lock: inner.lock,
      get: async (key) => {
        if (key.startsWith('g:')) {
          failedGenerationReads++
          throw new Error('connection reset')
        }
        return inner.get(key)
      },
    }
    const second = await processOver(flaky, { allowedReturnOrigins: [APP], nearCacheTtlMs: 0 })
    await second.getSession({ externalCustomerId: 'near-3' }, { returnUrl: `${APP}/b` })
    expect(failedGenerationReads).toBeGreaterThan(0)
    // A third process still finds the first session: its generation was not replaced.
    const created = posts()
    const third = await processOver(redisStore({ client, prefix: PREFIX }), {
      allowedReturnOrigins: [APP],
      nearCacheTtlMs: 0,
    })
    expect((await third.getSession({ externalCustomerId: 'near-3' }, { returnUrl: `${APP}/a` })).id).toBe(original.id)
    expect(posts()).toBe(created)
  })
})

/** Total commands Redis has processed (every kind). */
async function commandCount(admin: Admin): Promise<number> {
  const info = (await admin.sendCommand(['INFO', 'commandstats'])) as string
  return [...info.matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0)
}

describeRedis("Redis stalled or stopped, under an Express app (a redis-server of this file's own)", () => {
  let redis: PrivateRedis
  let fake: FakePolar

  beforeAll(async () => {
    redis = await startPrivateRedis()
    fake = await startFakePolar()
    for (let i = 0; i < 40; i++) fake.addCustomer({ externalId: `out-${i}`, email: `out${i}@example.com` })
  })

  afterAll(async () => {
    await redis?.stop()
    await fake?.close()
  })

  const kinds = [
    {
      name: 'node-redis (default options)',
      open: async () => {
        const client = createClient({ url: redis.url })
        client.on('error', () => {})
        await client.connect()
        return { client: client as unknown as RedisLikeClient, close: async () => client.destroy() }
      },
    },
    {
      name: 'ioredis (default options)',
      open: async () => {
        const client = new Redis(redis.url)
        client.on('error', () => {})
        await new Promise((resolve) => client.once('ready', resolve))
        return { client: client as unknown as RedisLikeClient, close: async () => client.disconnect() }
      },
    },
  ]

  for (const kind of kinds) {
    for (const outage of ['paused', 'stopped'] as const) {
      it(`${kind.name}, Redis ${outage}: cached users answered at once, new users one creation each, no error page; Redis used again after`, async () => {
        const { client, close } = await kind.open()
        const store = redisStore({ client, prefix: `${outage}:${kind.name.split(' ')[0]}:`, opTimeoutMs: 100 })
        const polar = createPolarSessions({
          accessToken: fake.accessToken,
          baseUrl: fake.url,
          store,
          encryptionKey: KEY,
          identify: (req: express.Request) => ({ externalCustomerId: req.get('x-user')! }),
        })
        const app = express()
        app.get('/session', polarSession(polar, { required: true }), (req, res) =>
          res.json({ id: req.polarSession!.id }),
        )
        const server: Server = app.listen(0, '127.0.0.1')
        await new Promise((resolve) => server.once('listening', resolve))
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        const get = async (user: string) => {
          const res = await fetch(`${base}/session`, { headers: { 'x-user': user } })
          const text = await res.text()
          return { status: res.status, id: res.status === 200 ? (JSON.parse(text) as { id?: string }).id : undefined }
        }
        const [cached, fresh] = [
          ['out-0', 'out-1'],
          Array.from({ length: 10 }, (_, i) => `out-${10 + i + (outage === 'stopped' ? 10 : 0)}`),
        ]
        try {
          const warm = new Map<string, string | undefined>()
          for (const user of cached) warm.set(user, (await get(user)).id)

          if (outage === 'paused') await redis.pause(8_000)
          else await redis.stop()
          const commands = store.stats.commands
          // Cached users: their copies answer, without a single command to Redis.
          for (const user of cached) expect(await get(user)).toEqual({ status: 200, id: warm.get(user) })
          expect(store.stats.commands - commands).toBe(0)

          // New users: a few calls fail (then the store is skipped), one creation each, every answer 200.
          const created = fake.stats.sessionsCreated
          const failures = store.stats.failures
          const started = Date.now()
          for (let round = 0; round < 3; round++) {
            for (const user of fresh) expect((await get(user)).status).toBe(200)
          }
          expect(fake.stats.sessionsCreated - created).toBe(fresh.length)
          // The store is skipped after a few failures: later requests do not wait on it. Each
          // cool-down ends with one probe (which fails again): that is all it costs.
          // (A read is two commands in parallel, the entry and its generation: both fail together.)
          const probes = Math.ceil((Date.now() - started) / STORE_COOLDOWN_MS)
          expect(store.stats.failures - failures).toBeLessThanOrEqual(2 * (STORE_BREAKER_THRESHOLD + probes))
          expect(store.stats.failures - failures).toBeLessThan(3 * fresh.length)

          // Redis is back: once the cool-down is over, sessions go to Redis again.
          if (outage === 'paused') await redis.unpause()
          else await redis.start()
          await sleep(STORE_COOLDOWN_MS + 500)
          const after = `out-${30 + (outage === 'stopped' ? 5 : 0) + (kind.name.startsWith('io') ? 2 : 0)}`
          await vi.waitFor(
            async () => {
              expect((await get(after)).status).toBe(200)
              expect(await store.get(`__probe__${Math.random()}`)).toBeNull()
            },
            { timeout: 10_000, interval: 200 },
          )
        } finally {
          if (outage === 'paused') await redis.unpause().catch(() => {})
          else if (redis.pid === undefined) await redis.start()
          server.closeAllConnections()
          await new Promise((resolve) => server.close(resolve))
          await polar.close()
          await close()
        }
      }, 40_000)
    }
  }
})
