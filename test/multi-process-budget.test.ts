// The creation budget across processes: four app processes share one Redis and
// maxCreationsPerMinute: 100. A thousand new users arriving at once must not push more than 100
// creations into any minute at Polar (so the fake, limited to 100 a minute like a sandbox
// organization, its windows opening with the first request, never answers 429), and every
// refused request is a 503 with Retry-After.
import { randomBytes, randomUUID } from 'node:crypto'
import { startFakePolar, type FakePolar } from '@polar-session/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeRedis, REDIS_URL } from '../packages/core/src/test-support/redis.js'
import { deleteUnder, openAdmin, type Admin } from './support/redis-admin.js'
import { startWorker, stopWorker, type Worker } from './support/workers.js'

const PREFIX = `polar-session-test:budget:${randomUUID()}:`
const USERS = Array.from({ length: 1_000 }, (_, i) => `budget-user-${i}`)
const BUDGET = 100

describeRedis('the creation budget across 4 processes (one Redis)', () => {
  let fake: FakePolar
  let admin: Admin
  let workers: Worker[] = []

  beforeAll(async () => {
    fake = await startFakePolar({ rateLimit: { limit: BUDGET } })
    for (const user of USERS) fake.addCustomer({ externalId: user, email: `${user}@example.com` })
    admin = await openAdmin()
    const config = {
      fakeUrl: fake.url,
      accessToken: fake.accessToken,
      redisUrl: REDIS_URL,
      prefix: PREFIX,
      encryptionKey: randomBytes(32).toString('base64'),
      webhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
      maxCreationsPerMinute: BUDGET,
    }
    workers = await Promise.all([0, 1, 2, 3].map(() => startWorker(config)))
  })

  afterAll(async () => {
    await Promise.all(workers.map((w) => stopWorker(w)))
    if (admin !== undefined) {
      await deleteUnder(admin, PREFIX)
      await admin.close()
    }
    await fake?.close()
  })

  it('1,000 new users at once: at most 100 creations in any minute reach Polar, no 429, every refusal a 503 with Retry-After', async () => {
    fake.stats.reset()
    // 50 at a time: a 2-core machine running 4 app processes, the fake and this test stays
    // responsive enough for Redis's answers to arrive within their timeout; a count that times out
    // falls back to the process's own (availability first: see docs/faults.md).
    const answers: Array<{ status: number; retryAfter: string | null; body: { error?: string } }> = []
    for (let start = 0; start < USERS.length; start += 50) {
      const batch = USERS.slice(start, start + 50).map(async (user, i) => {
        const res = await fetch(`${workers[i % 4]!.url}/session`, { headers: { 'x-user': user } })
        return {
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          body: (await res.json()) as { error?: string },
        }
      })
      answers.push(...(await Promise.all(batch)))
    }
    const served = answers.filter((a) => a.status === 200)
    const refused = answers.filter((a) => a.status !== 200)
    // However Polar's window falls, it never holds more than the budget: no minute-long span
    // starting at any creation does.
    const issued = fake
      .sessions()
      .map((session) => Date.parse(session.createdAt))
      .sort((a, b) => a - b)
    const busiestMinute = Math.max(...issued.map((at) => issued.filter((t) => t >= at && t < at + 60_000).length))
    expect(busiestMinute).toBeLessThanOrEqual(BUDGET)
    expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(served.length)
    expect(served.length).toBeGreaterThanOrEqual(BUDGET)
    expect(fake.stats.rateLimited).toBe(0)
    for (const answer of refused) {
      expect(answer.status).toBe(503)
      expect(answer.body.error).toBe('rate_limited')
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1)
      expect(Number(answer.retryAfter)).toBeLessThanOrEqual(60)
    }
    console.info(
      `[budget] 1,000 new users over 4 processes: ${served.length} served, ${refused.length} refused (503), busiest minute ${busiestMinute}`,
    )
  }, 60_000)
})
