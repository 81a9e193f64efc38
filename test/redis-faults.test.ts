// Redis breaking under a running Express app: reset and refused, partitioned, slow. Every
// request is still answered 200, Polar is spared by the in-process single-flight, the store's
// warnings are throttled, and once Redis is back the same app and client use it again.
import { randomBytes, randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { createPolarSessions, type PolarSessions } from '@polar-session/core'
import { redisStore } from '@polar-session/core/redis'
import { polarSession } from '@polar-session/express'
import { signWebhook, startFakePolar, type FakePolar } from '@polar-session/testing'
import express from 'express'
import type { Server } from 'node:http'
import { createClient } from 'redis'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { describeRedis, REDIS_HOST, REDIS_PORT } from '../packages/core/src/test-support/redis.js'
import { STORE_COOLDOWN_MS } from '../packages/core/src/reuse/store-breaker.js'
import { handleWebhook } from '../packages/core/src/webhook/handler.js'
import { deleteUnder, keysUnder, openAdmin, type Admin } from './support/redis-admin.js'
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js'

const PREFIX = `polar-session-test:faults:${randomUUID()}:`
const ENCRYPTION_KEY = randomBytes(32).toString('base64')
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` every 20 ms until it holds, at most `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

describeRedis('Redis faults behind a TCP proxy (Express app, redisStore, node-redis)', () => {
  let fake: FakePolar
  let proxy: TcpProxy
  let admin: Admin
  let client: Admin
  const apps: { polar: PolarSessions; server: Server }[] = []
  let base: string
  const warnings: string[] = []
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => void unhandled.push(reason)

  /**
   * `count` concurrent requests over `users` (round robin): statuses, tokens per user, creations.
   * With Redis out, only the in-process single-flight spares Polar, and only for requests that
   * arrive while the creation is under way: a slow Polar (1 s) keeps it open for the whole burst.
   */
  async function burst(users: string[], count = users.length, polarLatencyMs = 250) {
    fake.setLatency(polarLatencyMs)
    const created = fake.stats.sessionsCreated
    const warned = warnings.length
    const answers = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const user = users[i % users.length]!
        const res = await fetch(`${base}/session`, { headers: { 'x-user': user } })
        return { user, status: res.status, token: ((await res.json()) as { token?: string }).token }
      }),
    )
    fake.setLatency(250)
    const tokens = new Map<string, Set<string | undefined>>()
    for (const a of answers) tokens.set(a.user, (tokens.get(a.user) ?? new Set()).add(a.token))
    return {
      statuses: answers.map((a) => a.status),
      tokensPerUser: Math.max(...[...tokens.values()].map((t) => t.size)),
      creations: fake.stats.sessionsCreated - created,
      warnings: warnings.length - warned,
    }
  }

  /** One request per user, one at a time: how many sessions had to be created. */
  async function oneByOne(users: string[]): Promise<number> {
    const created = fake.stats.sessionsCreated
    for (const user of users) expect((await fetch(`${base}/session`, { headers: { 'x-user': user } })).status).toBe(200)
    return fake.stats.sessionsCreated - created
  }

  /** Delivers a signed customer.deleted for `user` to the current instance. */
  function customerDeleted(user: string) {
    const customer = fake.customers().find((c) => c.externalId === user)!
    const rawBody = JSON.stringify({
      type: 'customer.deleted',
      timestamp: new Date().toISOString(),
      data: { id: customer.id, external_id: user },
    })
    return handleWebhook(apps.at(-1)!.polar, {
      rawBody,
      headers: { ...signWebhook(WEBHOOK_SECRET, rawBody) },
      secret: WEBHOOK_SECRET,
    })
  }

  const names = (tag: string) => Array.from({ length: 10 }, (_, i) => `${tag}-${i}`)
  const lockKeys = async () => (await keysUnder(admin, PREFIX)).filter((k) => k.includes(':lock:'))
  /** Sessions and generations: the creation budget's count left out. */
  const sessionKeys = async () => (await keysUnder(admin, PREFIX)).filter((k) => !/:b:[\w-]+:count$/.test(k))

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled)
    fake = await startFakePolar({ latencyMs: 250 })
    for (const tag of ['base', 'cut', 'hole', 'slow', 'back']) {
      for (const user of names(tag)) fake.addCustomer({ externalId: user, email: `${user}@example.com` })
    }
    admin = await openAdmin()
    proxy = await startTcpProxy({ host: REDIS_HOST, port: REDIS_PORT })
    // Default reconnection; commands fail at once while disconnected instead of queueing.
    client = createClient({ socket: { host: '127.0.0.1', port: proxy.port }, disableOfflineQueue: true })
    client.on('error', () => {})
    await client.connect()
    await startApp()
  })

  /** An Express app with a fresh instance over the shared client (its own warning throttle); the requests' target from now on. */
  async function startApp(): Promise<void> {
    const polar = createPolarSessions({
      accessToken: fake.accessToken,
      baseUrl: fake.url,
      identify: (req: express.Request) => (req.get('x-user') ? { externalCustomerId: req.get('x-user')! } : null),
      store: redisStore({ client, prefix: PREFIX }),
      encryptionKey: ENCRYPTION_KEY,
      logger: {
        debug() {},
        info() {},
        error() {},
        warn: (_obj: object, msg?: string) => void warnings.push(msg ?? ''),
      },
    })
    const app = express()
    app.get('/session', polarSession(polar, { required: true }), (req, res) =>
      res.json({ token: req.polarSession!.token }),
    )
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    apps.push({ polar, server })
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  afterEach(async () => {
    await sleep(10)
    expect(unhandled, 'unhandled rejections').toEqual([])
  })

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled)
    for (const { polar, server } of apps) {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await polar.close()
    }
    await client?.close().catch(() => {})
    await proxy?.close()
    if (admin !== undefined) {
      await deleteUnder(admin, PREFIX)
      await admin.close()
    }
    await fake?.close()
  })

  it('healthy: sessions are kept in Redis and reused', async () => {
    expect(await burst(names('base'), 100)).toMatchObject({ creations: 10, tokensPerUser: 1 })
    expect((await sessionKeys()).length).toBe(20) // 10 sessions, 10 generations
    expect((await burst(names('base'))).creations).toBe(0)
  })

  it('cut (connections reset, new ones refused): 100 requests for 10 users all 200, one creation each, one warning', async () => {
    await startApp() // same client; a fresh instance, so its warnings are counted from zero
    proxy.cut()
    await until(() => !client.isReady, 2_000, 'node-redis to notice the cut')
    const result = await burst(names('cut'), 100, 1_000)
    console.info(`[redis-faults] cut: ${result.creations} creations, ${result.warnings} warnings for 100 requests`)
    expect(result.statuses.filter((s) => s !== 200)).toEqual([])
    expect(result.creations).toBeLessThanOrEqual(10)
    expect(result.tokensPerUser).toBe(1)
    expect(result.warnings).toBeGreaterThanOrEqual(1)
    expect(result.warnings).toBeLessThanOrEqual(2)

    // An invalidation that cannot reach Redis says so, and the webhook asks Polar to deliver again
    // (else the customer's stale sessions would be served again once Redis is back).
    await expect(apps.at(-1)!.polar.invalidate({ externalCustomerId: 'base-0' })).rejects.toThrow(
      /store (set failed|is unavailable)/,
    )
    expect(await customerDeleted('base-0')).toMatchObject({ status: 503, body: { error: 'invalidation_failed' } })
  })

  it('restored: the same app, instance and client use Redis again, without a restart', async () => {
    const before = (await sessionKeys()).length
    proxy.restore()
    await until(() => client.isReady, 5_000, 'node-redis to reconnect')
    await sleep(STORE_COOLDOWN_MS + 100) // the store was being skipped: calls go through again after this
    expect((await burst(names('back'))).creations).toBe(10)
    expect((await sessionKeys()).length).toBe(before + 20)
    expect(await oneByOne([...names('back'), ...names('base')])).toBe(0)
    // Polar's redelivery of the webhook now lands.
    expect(await customerDeleted('base-0')).toEqual({ status: 202, body: { received: true, invalidated: 2 } })
    expect(await oneByOne(['base-0'])).toBe(1)
  })

  it('partitioned (bytes held both ways): all 200, one creation each; once healed, no lock is left behind', async () => {
    await sleep(STORE_COOLDOWN_MS + 100)
    proxy.blackhole()
    const result = await burst(names('hole'), 100, 1_000)
    console.info(
      `[redis-faults] partition: ${result.creations} creations, ${result.warnings} warnings for 100 requests`,
    )
    expect(result.statuses.filter((s) => s !== 200)).toEqual([])
    expect(result.creations).toBeLessThanOrEqual(10)
    expect(result.tokensPerUser).toBe(1)
    expect(result.warnings).toBeLessThanOrEqual(1) // throttled: at most one a 10 s burst

    // Healing delivers the held commands, the creation locks' SET NX among them: each late lock
    // is released at once, not left to block other processes for its lease (3 s).
    proxy.restore()
    await sleep(300)
    expect(await lockKeys()).toEqual([])
    // This process kept what it made during the partition: served again without a creation.
    expect(await oneByOne(names('hole'))).toBe(0)
  })

  it('slow (every byte 300 ms late, more than opTimeoutMs): all 200, one creation each', async () => {
    await sleep(STORE_COOLDOWN_MS + 100)
    proxy.setDelay(300)
    const started = Date.now()
    const result = await burst(names('slow'), 100, 1_000)
    console.info(
      `[redis-faults] slow: ${result.creations} creations, ${result.warnings} warnings for 100 requests in ${Date.now() - started} ms`,
    )
    expect(result.statuses.filter((s) => s !== 200)).toEqual([])
    expect(result.creations).toBeLessThanOrEqual(10)
    expect(result.tokensPerUser).toBe(1)
    // At most two lines: the first failure, then "skipping it for a few seconds".
    expect(result.warnings).toBeLessThanOrEqual(2)
    proxy.restore()
    await sleep(700) // let the late replies drain
    expect(await lockKeys()).toEqual([])
    expect(await oneByOne([...names('slow'), ...names('base')])).toBe(0)
  })
})
