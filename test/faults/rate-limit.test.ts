// Polar's own rate limit, as the fake models it (not an injected fault): fixed one-minute
// windows per organization, and a refused request gets 429 with an empty body and
// `retry-after: 60`, the whole window. What the client does with that, through the Express 5
// app; upstream calls counted by the fake, time moved with its clock offset or a Date.now mock.
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { APP_HOST, asciiJson, type SessionSummary, type TestApp } from '../support/apps.js'
import { advanceClock, CUSTOMERS, useE2E } from '../support/e2e.js'

// One creation a window: the second identity of a window is refused.
const e2e = useE2E({
  seed: [...CUSTOMERS, { externalId: 'usr_4', email: 'four@example.com' }],
  fake: { rateLimit: { limit: 1, pendingAuthLimit: false } },
})
const MINUTE = 60_000
let offset = 0

function me(app: TestApp, externalCustomerId: string) {
  return request(app.server).get('/me').set('host', APP_HOST).set('x-identity', asciiJson({ externalCustomerId }))
}

/** Moves the fake (only) into a window of its own, past every window an earlier test opened. */
function freshWindow(): void {
  offset += 120 * MINUTE
  e2e.fake.setClockOffset(offset)
}

describe("Polar's rate limit (retry-after: 60, above the default maxRetryAfterMs of 10 s)", () => {
  it('fails fast: 503 rate_limited with Retry-After: 60 after one call, no retry, no wait', async () => {
    freshWindow()
    const app = await e2e.app('express 5')
    expect((await me(app, 'usr_1')).status).toBe(200)
    const res = await me(app, 'usr_2')
    expect(res.status).toBe(503)
    expect(res.headers['retry-after']).toBe('60')
    expect(app.lastCode()).toBe('rate_limited')
    expect(e2e.posts()).toBe(2)
    expect(e2e.fake.stats.rateLimited).toBe(1)
    expect(e2e.logs(40).filter((line) => line.msg === 'polar request failed; retrying')).toEqual([])
  })

  it('still-valid cached sessions are served: a cache hit asks nothing, one under the margin is served while Polar refuses', async () => {
    freshWindow()
    const app = await e2e.app('express 5')
    const first = (await me(app, 'usr_1')).body as SessionSummary
    expect(((await me(app, 'usr_1')).body as SessionSummary).sessionId).toBe(first.sessionId)
    expect(e2e.posts()).toBe(1)

    // 50 minutes on (for the fake too: a new window), 10 minutes left, under the 15-minute margin.
    advanceClock(50 * MINUTE)
    expect((await me(app, 'usr_2')).status).toBe(200) // spends the new window
    const res = await me(app, 'usr_1')
    expect(res.status).toBe(200)
    expect((res.body as SessionSummary).sessionId).toBe(first.sessionId)
    expect(e2e.posts()).toBe(3)
    expect(e2e.fake.stats.rateLimited).toBe(1)
    expect(e2e.logs(40).filter((line) => line.msg.includes('serving a still-valid session'))).toEqual([
      expect.objectContaining({ code: 'rate_limited', sessionId: first.sessionId }),
    ])
  })

  it('after the 429, nothing reaches Polar for its whole retry-after, however many new users; the breaker stays out of it', async () => {
    freshWindow()
    const app = await e2e.app('express 5')
    expect((await me(app, 'usr_1')).status).toBe(200)
    expect((await me(app, 'usr_2')).status).toBe(503) // Polar's 429: retry-after 60
    expect(e2e.posts()).toBe(2)
    for (const seconds of [1, 30, 59]) {
      advanceClock(seconds * 1_000)
      for (const user of ['usr_3', 'usr_4', 'usr_2']) {
        const res = await me(app, user)
        expect(res.status).toBe(503)
        expect(app.lastCode()).toBe('rate_limited') // the budget's wait, not an open circuit
        expect(Number(res.headers['retry-after'])).toBe(60 - seconds)
      }
    }
    expect(e2e.posts()).toBe(2)
    expect(e2e.fake.stats.rateLimited).toBe(1)
    // Polar's window has passed (for the fake too): the next user is served at once.
    advanceClock(61_000)
    expect((await me(app, 'usr_3')).status).toBe(200)
    expect(e2e.posts()).toBe(3)
  })
})
