// Upstream faults, part 2: serving through an outage (stale-while-failing), malformed 201
// bodies, and the circuit breaker. Through the Express 5 app against the fake Polar; the local
// clock is moved with a Date.now mock, upstream calls are counted by the fake.
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { APP_HOST, asciiJson, type SessionSummary, type TestApp } from '../support/apps.js'
import { advanceClock, useE2E } from '../support/e2e.js'

const e2e = useE2E()
const MINUTE = 60_000

function me(app: TestApp, externalCustomerId = 'usr_1') {
  return request(app.server).get('/me').set('host', APP_HOST).set('x-identity', asciiJson({ externalCustomerId }))
}

describe('stale-while-failing', () => {
  it('serves a still-valid session with less than the margin left while Polar fails, and logs it at warn', async () => {
    const app = await e2e.app('express 5')
    const first = (await me(app)).body as SessionSummary
    expect(e2e.posts()).toBe(1)

    advanceClock(50 * MINUTE) // 10 minutes left: under the 15-minute margin, but valid
    e2e.fake.fail({ kind: 'status', status: 503 }, { rate: 1 })
    const res = await me(app)
    expect(res.status).toBe(200)
    expect((res.body as SessionSummary).sessionId).toBe(first.sessionId)
    expect(e2e.posts()).toBe(1 + 4) // it did try Polar, with its retries
    const [warning] = e2e.logs(40).filter((line) => line.msg.includes('serving a still-valid session'))
    expect(warning).toMatchObject({
      msg: 'polar-session: Polar failed; serving a still-valid session with less than the margin left',
      code: 'polar_unavailable',
      sessionId: first.sessionId,
    })
    expect(warning!['remainingMs']).toBeGreaterThan(9 * MINUTE)
    expect(warning!['remainingMs']).toBeLessThanOrEqual(10 * MINUTE)
  })

  it('also while rate limited, without calling Polar during its retry-after; then a fresh session replaces it', async () => {
    const app = await e2e.app('express 5')
    const first = (await me(app, 'usr_2')).body as SessionSummary
    advanceClock(55 * MINUTE)
    e2e.fake.fail({ kind: 'status', status: 429, retryAfter: 60 }, { times: 1 })
    expect(((await me(app, 'usr_2')).body as SessionSummary).sessionId).toBe(first.sessionId)
    expect(e2e.posts()).toBe(2)
    // Polar asked for 60 s: 59 s later the still-valid session is served again, Polar gets nothing.
    advanceClock(55 * MINUTE + 59_000)
    expect(((await me(app, 'usr_2')).body as SessionSummary).sessionId).toBe(first.sessionId)
    expect(e2e.posts()).toBe(2)
    advanceClock(55 * MINUTE + 61_000)
    const fresh = (await me(app, 'usr_2')).body as SessionSummary
    expect(fresh.sessionId).not.toBe(first.sessionId)
    expect(e2e.posts()).toBe(3)
  })

  it("never serves an expired session: past its expiry the outage is the user's answer", async () => {
    const app = await e2e.app('express 5')
    await me(app, 'usr_3')
    advanceClock(61 * MINUTE)
    e2e.fake.fail({ kind: 'status', status: 503 }, { rate: 1 })
    const res = await me(app, 'usr_3')
    expect(res.status).toBe(503)
    expect(app.lastCode()).toBe('polar_unavailable')
    expect(e2e.logs(40).some((line) => line.msg.includes('serving a still-valid session'))).toBe(false)
  })
})

/** A fetch that rewrites the next `count` 201 bodies from Polar. */
function rewriting(mutate: (body: Record<string, unknown>) => unknown, count = 1): typeof fetch {
  let left = count
  return async (input, init) => {
    const response = await fetch(input, init)
    if (response.status !== 201 || left === 0) return response
    left--
    const body = (await response.json()) as Record<string, unknown>
    return new Response(JSON.stringify(mutate(body)), { status: 201, headers: { 'content-type': 'application/json' } })
  }
}

describe('malformed 201 bodies: polar_unavailable, nothing cached', () => {
  it.each([
    ['not JSON (cut in half)', { kind: 'malformed-json' }],
    ['missing token and expires_at', { kind: 'missing-fields' }],
    ['expires_at in the past, before created_at', { kind: 'expired' }],
  ] as const)('%s: 502, one call; the next request asks Polar again', async (_name, fault) => {
    const app = await e2e.app('express 5')
    e2e.fake.fail(fault)
    const res = await me(app)
    expect(res.status).toBe(502)
    expect(app.lastCode()).toBe('polar_unavailable')
    expect(e2e.posts()).toBe(1)
    const bad = e2e.fake.sessions().at(-1)!
    const next = await me(app)
    expect(next.status).toBe(200)
    expect(e2e.posts()).toBe(2)
    expect((next.body as SessionSummary).sessionId).not.toBe(bad.id)
  })

  it.each([
    ['token is a number', (b: Record<string, unknown>) => ({ ...b, token: 12345 })],
    ['token is not a Polar token', (b: Record<string, unknown>) => ({ ...b, token: 'abc' })],
    ['expires_at is a number', (b: Record<string, unknown>) => ({ ...b, expires_at: 1_767_225_600 })],
    ['created_at is not a date', (b: Record<string, unknown>) => ({ ...b, created_at: 'yesterday' })],
    ['customer is a string', (b: Record<string, unknown>) => ({ ...b, customer: 'cus_1' })],
    ['customer_id is null', (b: Record<string, unknown>) => ({ ...b, customer_id: null })],
    [
      'customer_portal_url is javascript:',
      (b: Record<string, unknown>) => ({ ...b, customer_portal_url: 'javascript:alert(1)' }),
    ],
    ['the body is an array', (b: Record<string, unknown>) => [b]],
    ['the body is null', () => null],
  ])('wrong types (%s): 502, one call, nothing cached', async (_name, mutate) => {
    const app = await e2e.app('express 5', e2e.polar({ fetch: rewriting(mutate) }))
    const res = await me(app, 'usr_2')
    expect(res.status).toBe(502)
    expect(app.lastCode()).toBe('polar_unavailable')
    expect(e2e.posts()).toBe(1)
    expect((await me(app, 'usr_2')).status).toBe(200)
    expect(e2e.posts()).toBe(2)
  })
})

describe('circuit breaker', () => {
  const breaker = { failureThreshold: 2, cooldownMs: 5_000 }

  it('opens after repeated failures: 503 with Retry-After at once, no calls to Polar, until a probe succeeds', async () => {
    const app = await e2e.app('express 5', e2e.polar({ circuitBreaker: breaker }))
    e2e.fake.fail({ kind: 'status', status: 503 }, { rate: 1 })
    expect((await me(app, 'usr_1')).status).toBe(503)
    expect((await me(app, 'usr_2')).status).toBe(503)
    expect(e2e.posts()).toBe(8)
    expect(
      e2e.logs(40).filter((line) => line.msg.startsWith('polar-session: Polar keeps failing; circuit open')),
    ).toEqual([expect.objectContaining({ code: 'polar_unavailable', failures: 2, cooldownMs: 5_000 })])

    // Open: every request fails fast, and Polar is left alone.
    for (const user of ['usr_1', 'usr_2', 'usr_3', 'usr_3', 'usr_3']) {
      const res = await me(app, user)
      expect(res.status).toBe(503)
      expect(res.headers['retry-after']).toMatch(/^[1-5]$/)
      expect(app.lastCode()).toBe('polar_unavailable')
    }
    expect(e2e.posts()).toBe(8)

    // After the cooldown one probe goes through; Polar is back, so it closes the circuit.
    e2e.fake.clearFaults()
    advanceClock(5_000)
    expect((await me(app, 'usr_3')).status).toBe(200)
    expect(e2e.posts()).toBe(9)
    expect(e2e.logs(30).map((line) => line.msg)).toContain('polar-session: Polar answered again; circuit closed')
    expect((await me(app, 'usr_1')).status).toBe(200)
    expect(e2e.posts()).toBe(10)
  })

  it('while the probe is out, other requests still fail fast; a failed probe doubles the cooldown', async () => {
    const app = await e2e.app('express 5', e2e.polar({ circuitBreaker: breaker }))
    e2e.fake.fail({ kind: 'status', status: 502 }, { rate: 1 })
    await me(app, 'usr_1')
    await me(app, 'usr_2')
    expect(e2e.posts()).toBe(8)

    advanceClock(5_000)
    e2e.fake.setLatency(150)
    // Whichever of the three arrives first is the probe: it retries and fails (502); the others fail fast.
    const answers = await Promise.all([me(app, 'usr_3'), me(app, 'usr_1'), me(app, 'usr_2')])
    expect(answers.map((res) => res.status).sort()).toEqual([502, 503, 503])
    expect(e2e.posts()).toBe(8 + 4)

    e2e.fake.setLatency(0)
    const reopened = await me(app, 'usr_1')
    expect(reopened.status).toBe(503)
    expect(Number(reopened.headers['retry-after'])).toBeGreaterThan(5)
    expect(Number(reopened.headers['retry-after'])).toBeLessThanOrEqual(10)
    expect(e2e.posts()).toBe(12)
  })

  it('a cached session is still served while the circuit is open', async () => {
    const app = await e2e.app('express 5', e2e.polar({ circuitBreaker: breaker }))
    const cached = (await me(app, 'usr_3')).body as SessionSummary
    e2e.fake.fail({ kind: 'status', status: 503 }, { rate: 1 })
    await me(app, 'usr_1')
    await me(app, 'usr_2')
    const posts = e2e.posts()
    expect(((await me(app, 'usr_3')).body as SessionSummary).sessionId).toBe(cached.sessionId)
    expect((await me(app, 'usr_1')).status).toBe(503)
    expect(e2e.posts()).toBe(posts)
  })
})
