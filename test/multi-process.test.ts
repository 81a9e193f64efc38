// Issue 5, "done when": four app processes share one Redis; any number of concurrent requests
// cost one session creation per user across all of them, and an invalidation (direct or by
// webhook) made in one process is seen by every other.
import { randomBytes, randomUUID } from 'node:crypto'
import { signWebhook, startFakePolar, type FakeCustomer, type FakePolar } from '@polar-session/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeRedis, REDIS_URL } from '../packages/core/src/test-support/redis.js'
import { deleteUnder, keysUnder, openAdmin, type Admin } from './support/redis-admin.js'
import { isAlive, startWorker, stopWorker, type Worker } from './support/workers.js'

const PREFIX = `polar-session-test:multi-process:${randomUUID()}:`
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`
const USERS = Array.from({ length: 20 }, (_, i) => `mp-user-${i}`)

interface Answer {
  status: number
  token: string
  customerId: string
  pid: number
}

describeRedis('many processes, one session (4 workers, one Redis, one fake Polar)', () => {
  let fake: FakePolar
  let admin: Admin
  let workers: Worker[] = []

  async function session(worker: Worker, user: string): Promise<Answer> {
    const res = await fetch(`${worker.url}/session`, { headers: { 'x-user': user } })
    const body = (await res.json()) as Omit<Answer, 'status'>
    return { status: res.status, ...body }
  }

  /** 400 concurrent requests: user i % 20, on worker ⌊i / 20⌋ % 4, so every user hits every worker. */
  async function burst(): Promise<Map<string, Answer[]>> {
    const answers = await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        session(workers[Math.floor(i / 20) % 4]!, USERS[i % 20]!).then((a) => [USERS[i % 20]!, a] as const),
      ),
    )
    const byUser = new Map<string, Answer[]>()
    for (const [user, answer] of answers) byUser.set(user, [...(byUser.get(user) ?? []), answer])
    return byUser
  }

  /** Every answer 200, one token per user, and the user's token from every worker. */
  function oneTokenPerUser(byUser: Map<string, Answer[]>): Map<string, string> {
    const tokens = new Map<string, string>()
    for (const [user, answers] of byUser) {
      expect(
        answers.map((a) => a.status).filter((s) => s !== 200),
        user,
      ).toEqual([])
      expect(new Set(answers.map((a) => a.token)).size, `${user}: distinct tokens`).toBe(1)
      expect(new Set(answers.map((a) => a.pid)).size, `${user}: served by`).toBe(4)
      tokens.set(user, answers[0]!.token)
    }
    expect(tokens.size).toBe(20)
    return tokens
  }

  beforeAll(async () => {
    fake = await startFakePolar({ latencyMs: 50 })
    for (const user of USERS) fake.addCustomer({ externalId: user, email: `${user}@example.com` })
    admin = await openAdmin()
    const config = {
      fakeUrl: fake.url,
      accessToken: fake.accessToken,
      redisUrl: REDIS_URL,
      prefix: PREFIX,
      encryptionKey: randomBytes(32).toString('base64'),
      webhookSecret: WEBHOOK_SECRET,
    }
    workers = await Promise.all([0, 1, 2, 3].map(() => startWorker(config)))
  })

  afterAll(async () => {
    await Promise.all(workers.map((w) => stopWorker(w)))
    for (const w of workers) expect(isAlive(w.pid), `worker ${w.pid} still running`).toBe(false)
    if (admin !== undefined) {
      await deleteUnder(admin, PREFIX)
      expect(await keysUnder(admin, PREFIX)).toEqual([])
      await admin.close()
    }
    await fake?.close()
  })

  let firstTokens: Map<string, string>

  it('400 concurrent requests for 20 users over 4 processes: exactly 20 creations, one token per user', async () => {
    expect(new Set(workers.map((w) => w.pid)).size).toBe(4)
    fake.stats.reset()
    firstTokens = oneTokenPerUser(await burst())
    expect(fake.stats.sessionsCreated).toBe(20)
    console.info(`[multi-process] first burst: ${fake.stats.sessionsCreated} creations for 400 requests`)
  })

  it('invalidating 5 users (each in one process) costs exactly 5 creations in the next 400 requests', async () => {
    const invalidated = USERS.slice(0, 5)
    for (const [i, user] of invalidated.entries()) {
      const res = await fetch(`${workers[i % 4]!.url}/invalidate/${user}`, { method: 'POST' })
      expect(res.status).toBe(200)
    }
    fake.stats.reset()
    const tokens = oneTokenPerUser(await burst())
    expect(fake.stats.sessionsCreated).toBe(5)
    console.info(`[multi-process] after invalidating 5: ${fake.stats.sessionsCreated} creations for 400 requests`)
    for (const user of USERS) {
      if (invalidated.includes(user)) expect(tokens.get(user), user).not.toBe(firstTokens.get(user))
      else expect(tokens.get(user), user).toBe(firstTokens.get(user))
    }
  })

  it('a customer.deleted webhook delivered to worker 1 makes worker 3 create a new session', async () => {
    const user = USERS[7]!
    const [w1, , w3] = workers as [Worker, Worker, Worker, Worker]
    const old = fake.customers().find((c) => c.externalId === user && !c.deleted)!
    const before = await session(w3, user)
    expect(before).toMatchObject({ status: 200, customerId: old.id })

    // Polar deletes the customer; the app signs the same user up again under the external id.
    expect(fake.deleteCustomer({ externalId: user })).toBe(true)
    const reborn: FakeCustomer = fake.addCustomer({ externalId: user, email: `${user}@example.com` })
    fake.stats.reset()
    expect((await session(w3, user)).token, 'still cached before the webhook').toBe(before.token)
    expect(fake.stats.sessionsCreated).toBe(0)

    const body = JSON.stringify({
      type: 'customer.deleted',
      timestamp: new Date().toISOString(),
      data: {
        id: old.id,
        external_id: user,
        email: old.email,
        type: 'individual',
        deleted_at: new Date().toISOString(),
      },
    })
    const res = await fetch(`${w1.url}/webhooks/polar`, {
      method: 'POST',
      headers: { ...signWebhook(WEBHOOK_SECRET, body), 'content-type': 'application/json' },
      body,
    })
    expect([res.status, await res.json()]).toEqual([202, { received: true, invalidated: 2 }])

    const after = await session(w3, user)
    expect(after.status).toBe(200)
    expect(after.token).not.toBe(before.token)
    expect(after.customerId).toBe(reborn.id)
    expect(fake.stats.sessionsCreated).toBe(1)
    // ...and the other processes now hand out that same new session.
    for (const w of workers) expect((await session(w, user)).token).toBe(after.token)
    expect(fake.stats.sessionsCreated).toBe(1)
  })
})
