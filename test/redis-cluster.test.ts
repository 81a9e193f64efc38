// redisStore on a real Redis Cluster: three masters started by this file from the machine's
// redis-server, joined with redis-cli --cluster create, stopped by PID afterwards. Each client
// library's Cluster (node-redis createCluster, ioredis Cluster) runs the store's commands, its
// lease and its pub/sub; then four app processes share the Cluster as they would one Redis.
import { randomBytes, randomUUID } from 'node:crypto'
import { redisStore, type RedisLikeClient } from '@polar-session/core/redis'
import { signWebhook, startFakePolar, type FakePolar } from '@polar-session/testing'
import { Cluster } from 'ioredis'
import { createCluster } from 'redis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { isCI } from '../packages/core/src/test-support/redis.js'
import {
  redisBinariesAvailable,
  startRedisCluster,
  type RedisCluster,
} from '../packages/core/src/test-support/redis-servers.js'
import { startWorker, stopWorker, type Worker } from './support/workers.js'

const available = await redisBinariesAvailable()
if (!available && !isCI()) console.warn('redis-server/redis-cli not found: skipping the Redis Cluster suite')
const describeCluster = available || isCI() ? describe : describe.skip

const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`
const USERS = Array.from({ length: 20 }, (_, i) => `cluster-user-${i}`)

describeCluster('redisStore on a 3-master Redis Cluster', () => {
  let cluster: RedisCluster

  beforeAll(async () => {
    cluster = await startRedisCluster()
  }, 30_000)

  afterAll(async () => {
    await cluster?.stop()
  })

  const kinds = [
    {
      name: 'node-redis createCluster',
      async open(ports: readonly number[]) {
        const client = createCluster({ rootNodes: ports.map((port) => ({ url: `redis://127.0.0.1:${port}` })) })
        client.on('error', () => {})
        await client.connect()
        return { client: client as unknown as RedisLikeClient, close: () => client.close() }
      },
    },
    {
      name: 'ioredis Cluster',
      async open(ports: readonly number[]) {
        const client = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })))
        client.on('error', () => {})
        await new Promise((resolve) => client.once('ready', resolve))
        return { client: client as unknown as RedisLikeClient, close: async () => client.disconnect() }
      },
    },
  ]

  for (const kind of kinds) {
    it(`${kind.name}: values across slots, set-if-absent, counting, leases and pub/sub`, async () => {
      const { client, close } = await kind.open(cluster.ports)
      const prefix = `cluster-test:${randomUUID()}:`
      const store = redisStore({ client, prefix })
      try {
        // Enough keys that they land on every master.
        for (let i = 0; i < 30; i++) await store.set(`k${i}`, `v${i}`, 60_000)
        for (let i = 0; i < 30; i++) expect(await store.get(`k${i}`)).toBe(`v${i}`)
        expect(await store.setIfAbsent('g', 'first', 60_000)).toBe(true)
        expect(await store.setIfAbsent('g', 'second', 60_000)).toBe(false)
        const waits = await Promise.all(Array.from({ length: 10 }, () => store.countInWindow('w', 4, 60_000)))
        expect(waits.filter((w) => w === 0)).toHaveLength(4)
        const lease = await store.lock.acquire('L', 5_000)
        expect(lease).not.toBeNull()
        expect(await store.lock.acquire('L', 5_000)).toBeNull()
        expect(await lease!.extend!(5_000)).toBe(true)
        await lease!.release()
        const messages: string[] = []
        await store.subscribe('channel', (message) => messages.push(message))
        await vi.waitFor(
          async () => {
            await store.publish('channel', 'hello')
            expect(messages).toContain('hello')
          },
          { timeout: 5_000 },
        )
      } finally {
        await store.close()
        await close()
      }
    }, 30_000)
  }

  describe('four app processes on the Cluster', () => {
    let fake: FakePolar
    let workers: Worker[] = []

    beforeAll(async () => {
      fake = await startFakePolar({ latencyMs: 50 })
      for (const user of USERS) fake.addCustomer({ externalId: user, email: `${user}@example.com` })
      const config = {
        fakeUrl: fake.url,
        accessToken: fake.accessToken,
        redisUrl: '',
        clusterPorts: cluster.ports,
        prefix: `polar-session-test:cluster:${randomUUID()}:`,
        encryptionKey: randomBytes(32).toString('base64'),
        webhookSecret: WEBHOOK_SECRET,
      }
      workers = await Promise.all([0, 1, 2, 3].map(() => startWorker(config)))
    }, 60_000)

    afterAll(async () => {
      await Promise.all(workers.map((w) => stopWorker(w)))
      await fake?.close()
    })

    const session = async (worker: Worker, user: string) => {
      const res = await fetch(`${worker.url}/session`, { headers: { 'x-user': user } })
      return { status: res.status, ...((await res.json()) as { token?: string; customerId?: string }) }
    }

    it('4 processes × 100 requests over 20 users: exactly 20 creations, one token per user', async () => {
      fake.stats.reset()
      const answers = await Promise.all(
        Array.from({ length: 400 }, (_, i) =>
          session(workers[i % 4]!, USERS[i % 20]!).then((a) => ({ user: USERS[i % 20]!, ...a })),
        ),
      )
      expect(answers.filter((a) => a.status !== 200)).toEqual([])
      for (const user of USERS)
        expect(new Set(answers.filter((a) => a.user === user).map((a) => a.token)).size, user).toBe(1)
      expect(fake.stats.sessionsCreated).toBe(20)
      console.info(`[cluster] 400 requests over 20 users on 4 processes: ${fake.stats.sessionsCreated} creations`)
    })

    it('an invalidation in one process, and a webhook to another, reach every process', async () => {
      const [w1, w2, w3, w4] = workers as [Worker, Worker, Worker, Worker]
      const before = await session(w2, USERS[0]!)
      expect((await fetch(`${w1.url}/invalidate/${USERS[0]}`, { method: 'POST' })).status).toBe(200)
      await vi.waitFor(async () => expect((await session(w2, USERS[0]!)).token).not.toBe(before.token), {
        timeout: 3_000,
      })
      const after = await session(w2, USERS[0]!)
      for (const w of [w3, w4, w1]) expect((await session(w, USERS[0]!)).token).toBe(after.token)

      const user = USERS[1]!
      const old = fake.customers().find((c) => c.externalId === user && !c.deleted)!
      const cached = await session(w4, user)
      const body = JSON.stringify({
        type: 'customer.deleted',
        timestamp: new Date().toISOString(),
        data: { id: old.id, external_id: user },
      })
      fake.deleteCustomer({ externalId: user })
      fake.addCustomer({ externalId: user, email: `${user}@example.com` })
      const res = await fetch(`${w1.url}/webhooks/polar`, {
        method: 'POST',
        headers: { ...signWebhook(WEBHOOK_SECRET, body), 'content-type': 'application/json' },
        body,
      })
      expect(res.status).toBe(202)
      await vi.waitFor(async () => expect((await session(w4, user)).token).not.toBe(cached.token), { timeout: 3_000 })
    })
  })
})
