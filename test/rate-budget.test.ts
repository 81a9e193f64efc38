// Polar's rate limit belongs to the whole organization: one user varying return_to, and Polar's
// own 429s, must not degrade anyone else. Express 5 and Koa 3 apps over real HTTP; upstream calls
// counted by the fake, time moved with the clock both the app and the fake read.
import { Agent, request as httpRequest } from 'node:http'
import { memoryStore } from '@polar-session/core'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { APP_HOST, asciiJson, type SessionSummary, type TestApp } from './support/apps.js'
import { advanceClock, useE2E } from './support/e2e.js'

const OTHERS = Array.from({ length: 100 }, (_, i) => `rate_user_${i}`)
const e2e = useE2E({
  seed: [
    { externalId: 'rate_flooder', email: 'flooder@example.com' },
    { externalId: 'rate_cached', email: 'cached@example.com' },
    ...OTHERS.map((externalId, i) => ({ externalId, email: `rate${i}@example.com` })),
  ],
})

/** GET over a kept-alive agent: status and Location only. */
function get(
  agent: Agent,
  app: TestApp,
  path: string,
  externalCustomerId: string,
): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const headers = { host: APP_HOST, 'x-identity': asciiJson({ externalCustomerId }) }
    const req = httpRequest({ host: '127.0.0.1', port: app.port, path, agent, headers }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

const portalToken = (location: string | undefined): string | null =>
  location ? new URL(location).searchParams.get('customer_session_token') : null

describe.each(['express 5', 'koa 3'] as const)('on %s', (framework) => {
  it('one user sending 1,000 distinct return_to values costs at most maxReturnUrlsPerCustomer + 1 creations; 100 others are all served', async () => {
    // A small store: without the cap, the flood would evict the other users' sessions.
    const polar = e2e.polar({ store: memoryStore({ max: 150 }) })
    const app = await e2e.app(framework, polar)
    const agent = new Agent({ keepAlive: true, maxSockets: 50 })
    try {
      const jobs: Array<() => Promise<{ who: string; status: number; location?: string }>> = []
      for (let i = 0; i < 1_000; i++) {
        const path = `/portal?${new URLSearchParams({ return_to: `/account?i=${i}` })}`
        jobs.push(async () => ({ who: 'rate_flooder', ...(await get(agent, app, path, 'rate_flooder')) }))
        if (i % 10 === 0) {
          const user = OTHERS[i / 10]!
          jobs.push(async () => ({ who: user, ...(await get(agent, app, '/portal', user)) }))
        }
      }
      const answers = []
      for (let start = 0; start < jobs.length; start += 50)
        answers.push(...(await Promise.all(jobs.slice(start, start + 50).map((job) => job()))))

      const flood = answers.filter((a) => a.who === 'rate_flooder')
      expect(flood).toHaveLength(1_000)
      expect(flood.filter((a) => a.status !== 303)).toEqual([])
      const others = answers.filter((a) => a.who !== 'rate_flooder')
      expect(others).toHaveLength(100)
      expect(others.filter((a) => a.status !== 303)).toEqual([])
      expect(e2e.posts()).toBe(3 + 1 + 100)
      expect(e2e.fake.stats.rateLimited).toBe(0)

      // Every other user got their own session, and still has it: nothing was evicted.
      const issued = new Map(e2e.fake.sessions().map((s) => [s.token, s]))
      const customers = new Map(e2e.fake.customers().map((c) => [c.id, c.externalId]))
      for (const answer of others)
        expect(customers.get(issued.get(portalToken(answer.location)!)!.customerId)).toBe(answer.who)
      const again = await Promise.all(OTHERS.map((user) => get(agent, app, '/portal', user)))
      expect(again.map((a) => portalToken(a.location))).toEqual(others.map((a) => portalToken(a.location)))
      expect(e2e.posts()).toBe(104)
      expect(e2e.logs(40).filter((line) => line.msg.includes('maxReturnUrlsPerCustomer'))).toHaveLength(1)
    } finally {
      agent.destroy()
    }
  }, 60_000)

  it("Polar's 429 with retry-after: 60: nothing reaches Polar for 60 s however many new users arrive; cached users are served", async () => {
    const app = await e2e.app(framework)
    const me = (user: string) =>
      request(app.server)
        .get('/me')
        .set('host', APP_HOST)
        .set('x-identity', asciiJson({ externalCustomerId: user }))
    const cached = (await me('rate_cached')).body as SessionSummary
    e2e.fake.fail({ kind: 'status', status: 429, retryAfter: 60 })
    const first = await me(OTHERS[0]!)
    expect(first.status).toBe(503)
    expect(first.headers['retry-after']).toBe('60')
    expect(e2e.posts()).toBe(2)

    let next = 1
    for (const seconds of [1, 20, 45, 59]) {
      advanceClock(seconds * 1_000)
      const batch = await Promise.all(OTHERS.slice(next, next + 10).map((user) => me(user)))
      next += 10
      for (const res of batch) {
        expect(res.status).toBe(503)
        expect(Number(res.headers['retry-after'])).toBe(60 - seconds)
      }
      const again = await me('rate_cached')
      expect(again.status).toBe(200)
      expect((again.body as SessionSummary).sessionId).toBe(cached.sessionId)
    }
    expect(e2e.posts()).toBe(2)
    expect(e2e.fake.stats.rateLimited).toBe(1)

    advanceClock(61_000)
    expect((await me(OTHERS[next]!)).status).toBe(200)
    expect(e2e.posts()).toBe(3)
  })
})
