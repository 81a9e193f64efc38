// A process that is busy (or starved of CPU) reads Redis's replies late. Timeouts must then
// mean "Redis did not answer", not "this process looked late": otherwise a healthy Redis turns
// into store failures and, worse, into leases given up on, i.e. duplicate sessions across
// processes. And a lock acquire that did time out must not leave its lock behind if it lands.
import { randomUUID } from 'node:crypto'
import { createPolarSessions } from '@polar-session/core'
import { redisStore } from '@polar-session/core/redis'
import { startFakePolar, type FakePolar } from '@polar-session/testing'
import { createClient } from 'redis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeRedis, REDIS_HOST, REDIS_PORT } from '../packages/core/src/test-support/redis.js'
import { deleteUnder, openAdmin, type Admin } from './support/redis-admin.js'
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js'

const PREFIX = `polar-session-test:busy:${randomUUID()}:`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** Lets node-redis write what was just queued (it flushes on setImmediate). */
const flushed = () => new Promise((resolve) => setImmediate(resolve))
/** Keeps this process busy, as a burst of requests or a starved CPU would. */
function busy(ms: number): void {
  const end = Date.now() + ms
  while (Date.now() < end);
}

describeRedis('redisStore in a busy process', () => {
  let admin: Admin
  let proxy: TcpProxy
  let slow: Admin
  let fake: FakePolar

  beforeAll(async () => {
    admin = await openAdmin()
    proxy = await startTcpProxy({ host: REDIS_HOST, port: REDIS_PORT })
    slow = createClient({ socket: { host: '127.0.0.1', port: proxy.port } })
    slow.on('error', () => {})
    await slow.connect()
    fake = await startFakePolar()
    fake.addCustomer({ externalId: 'busy-user', email: 'busy@example.com' })
  })

  afterAll(async () => {
    await slow?.close().catch(() => {})
    await proxy?.close()
    if (admin !== undefined) {
      await deleteUnder(admin, PREFIX)
      await admin.close()
    }
    await fake?.close()
  })

  it('a reply that arrived while the process was busy is a hit, not a timeout', async () => {
    const store = redisStore({ client: admin, prefix: PREFIX })
    await store.set('k', 'value', 60_000)
    const read = store.get('k')
    await flushed()
    busy(400) // opTimeoutMs is 250: the timer is due long before this process looks again
    expect(await read).toBe('value')
  })

  it('a lock taken while the process was busy is really taken (and released)', async () => {
    const store = redisStore({ client: admin, prefix: PREFIX })
    const acquiring = store.lock.acquire('busy-lock', 5_000)
    await flushed()
    busy(400)
    const lease = await acquiring
    expect(lease).not.toBeNull()
    expect(await store.lock.acquire('busy-lock', 5_000)).toBeNull()
    await lease!.release()
    expect(await admin.exists(`${PREFIX}lock:busy-lock`)).toBe(0)
  })

  it('a slow Redis: a lock waits for its answer up to opTimeoutMs, like every call', async () => {
    const store = redisStore({ client: slow, prefix: PREFIX, opTimeoutMs: 1_000 })
    proxy.setDelay(150) // a 300 ms round trip
    try {
      const lease = await store.lock.acquire('slow-lock', 5_000)
      expect(await admin.exists(`${PREFIX}lock:slow-lock`)).toBe(1)
      expect(await store.lock.acquire('slow-lock', 5_000)).toBeNull() // the answer, not a guess
      await lease!.release()
      expect(await admin.exists(`${PREFIX}lock:slow-lock`)).toBe(0)
    } finally {
      proxy.restore()
    }
  })

  it('a lock acquire given up on (it rejects) is freed when its SET lands later', async () => {
    const store = redisStore({ client: slow, prefix: PREFIX, opTimeoutMs: 50 })
    proxy.blackhole()
    await expect(store.lock.acquire('late-lock', 10_000)).rejects.toThrow('redisStore: SET NX timed out')
    proxy.restore() // ...now the SET lands, and is released at once instead of blocking for 10 s
    await sleep(300)
    expect(await admin.exists(`${PREFIX}lock:late-lock`)).toBe(0)
  })

  it("through the core: a busy moment is no store failure; redisStore's own opTimeoutMs is honoured", async () => {
    const warnings: string[] = []
    const polar = (client: typeof admin, opTimeoutMs?: number) =>
      createPolarSessions({
        accessToken: fake.accessToken,
        baseUrl: fake.url,
        store: redisStore({ client, prefix: PREFIX, opTimeoutMs }),
        encryptionKey: 'k'.repeat(32),
        logger: {
          debug() {},
          info() {},
          error() {},
          warn: (_o: object, msg?: string) => void warnings.push(msg ?? ''),
        },
      })
    const local = polar(admin)
    const patient = polar(slow, 1_000)
    try {
      const first = await local.getSession({ externalCustomerId: 'busy-user' })
      const again = local.getSession({ externalCustomerId: 'busy-user' })
      await flushed()
      busy(400) // longer than every store timer of the core
      expect((await again).id).toBe(first.id)

      // The app allows Redis 1 s; the core used to cut every store call at 250 ms anyway.
      proxy.setDelay(150)
      expect((await patient.getSession({ externalCustomerId: 'busy-user' })).id).toBe(first.id)
      expect(warnings).toEqual([])
      expect(fake.stats.sessionsCreated).toBe(1)
    } finally {
      proxy.restore()
      await Promise.all([local.close(), patient.close()])
    }
  })
})
