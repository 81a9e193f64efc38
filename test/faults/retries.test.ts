// Upstream faults, part 1: what is retried, how often, and what the user sees. Driven through
// the Express 5 app against the fake Polar's fault injection. Bounded time is shown by exact
// upstream call counts (the fake's stats), never by wall-clock upper bounds.
import { isPolarSessionError } from '@polar-session/core'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { APP_HOST, asciiJson, type TestApp } from '../support/apps.js'
import { CUSTOMERS, useE2E } from '../support/e2e.js'

const e2e = useE2E({
  seed: [
    ...CUSTOMERS,
    {
      externalId: 'team_1',
      type: 'team',
      email: 'team-billing@example.com',
      members: [{ externalId: 'owner_1', email: 'owner@example.com' }],
    },
  ],
})

function me(app: TestApp, identity: object = { externalCustomerId: 'usr_1' }) {
  return request(app.server).get('/me').set('host', APP_HOST).set('x-identity', asciiJson(identity))
}

const retryWarnings = () => e2e.logs(40).filter((line) => line.msg === 'polar request failed; retrying')

describe('429 rate limited', () => {
  it('waits the retry-after when it is within maxRetryAfterMs, then succeeds', async () => {
    const app = await e2e.app('express 5')
    e2e.fake.fail({ kind: 'status', status: 429, retryAfter: 0 }, { times: 2 })
    const res = await me(app)
    expect(res.status).toBe(200)
    expect(e2e.posts()).toBe(3)
    expect(e2e.fake.stats.rateLimited).toBe(2)
    expect(e2e.fake.stats.sessionsCreated).toBe(1)
    expect(retryWarnings()).toEqual([
      expect.objectContaining({ status: 429, retryAfterSec: 0, attempt: 1 }),
      expect.objectContaining({ status: 429, retryAfterSec: 0, attempt: 2 }),
    ])
  })

  it('really waits: a retry-after of 1 s delays the second call by at least that', async () => {
    const app = await e2e.app('express 5')
    e2e.fake.fail({ kind: 'status', status: 429, retryAfter: 1 })
    const started = performance.now()
    expect((await me(app)).status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(990)
    expect(e2e.posts()).toBe(2)
  })

  it('a retry-after beyond maxRetryAfterMs fails fast: 503 rate_limited with Retry-After, one call', async () => {
    const app = await e2e.app('express 5', e2e.polar({ maxRetryAfterMs: 2_000 }))
    e2e.fake.fail({ kind: 'status', status: 429, retryAfter: 30 }, { rate: 1 })
    const res = await me(app)
    expect(res.status).toBe(503)
    expect(res.headers['retry-after']).toBe('30')
    expect(app.lastCode()).toBe('rate_limited')
    expect(e2e.posts()).toBe(1)
    expect(retryWarnings()).toEqual([])
  })

  it('a retry-after longer than what is left of the deadline fails fast too', async () => {
    const app = await e2e.app('express 5', e2e.polar({ deadlineMs: 1_500 }))
    e2e.fake.fail({ kind: 'status', status: 429, retryAfter: 2 }, { rate: 1 })
    const res = await me(app)
    expect(res.status).toBe(503)
    expect(res.headers['retry-after']).toBe('2')
    expect(app.lastCode()).toBe('rate_limited')
    expect(e2e.posts()).toBe(1)
  })

  it('429 on every attempt: 4 calls, then 503 rate_limited with Retry-After', async () => {
    const app = await e2e.app('express 5')
    e2e.fake.fail({ kind: 'status', status: 429, retryAfter: 0 }, { rate: 1 })
    const res = await me(app)
    expect(res.status).toBe(503)
    expect(res.headers['retry-after']).toBe('1') // never 0: an immediate retry would only add load
    expect(app.lastCode()).toBe('rate_limited')
    expect(e2e.posts()).toBe(4)
  })
})

describe('5xx, resets and timeouts: retried with backoff within the deadline', () => {
  it.each([500, 502, 503, 504] as const)('HTTP %i twice, then an answer: 3 calls, 200', async (status) => {
    const app = await e2e.app('express 5')
    e2e.fake.fail({ kind: 'status', status }, { times: 2 })
    expect((await me(app)).status).toBe(200)
    expect(e2e.posts()).toBe(3)
    expect(retryWarnings().map((line) => line['status'])).toEqual([status, status])
  })

  it.each([
    [500, 502],
    [502, 502],
    [503, 503],
    [504, 503],
  ] as const)('HTTP %i on every attempt: 4 calls, then %i polar_unavailable', async (status, expected) => {
    const app = await e2e.app('express 5')
    e2e.fake.fail({ kind: 'status', status }, { rate: 1 })
    const res = await me(app)
    expect(res.status).toBe(expected)
    expect(app.lastCode()).toBe('polar_unavailable')
    expect(e2e.posts()).toBe(4)
    expect(retryWarnings()).toHaveLength(3)
  })

  it('connection reset: retried; on every attempt 4 calls, then 503 polar_unavailable', async () => {
    const app = await e2e.app('express 5')
    e2e.fake.fail({ kind: 'reset' }, { times: 1 })
    expect((await me(app)).status).toBe(200)
    expect(e2e.posts()).toBe(2)
    e2e.fake.fail({ kind: 'reset' }, { rate: 1 })
    const res = await me(app, { externalCustomerId: 'usr_2' })
    expect(res.status).toBe(503)
    expect(app.lastCode()).toBe('polar_unavailable')
    expect(e2e.posts()).toBe(6)
    expect(retryWarnings().at(-1)).toMatchObject({ reason: 'network' })
  })

  it('a hanging Polar: each attempt is cut at timeoutMs; 4 calls, then 503 polar_unavailable', async () => {
    const app = await e2e.app('express 5', e2e.polar({ timeoutMs: 200 }))
    e2e.fake.fail({ kind: 'hang' }, { rate: 1 })
    const res = await me(app)
    expect(res.status).toBe(503)
    expect(app.lastCode()).toBe('polar_unavailable')
    expect(String((app.errors.at(-1) as Error).message)).toMatch(
      /did not answer .* within the 200 ms per-attempt timeout; gave up after 4 attempts/,
    )
    expect(e2e.posts()).toBe(4)
    expect(retryWarnings()).toEqual(
      Array.from({ length: 3 }, () => expect.objectContaining({ reason: 'timeout', timeoutMs: 200 })),
    )
    // Every cut attempt closed its connection: nothing is left hanging at the fake.
    await expect.poll(() => e2e.fake.stats.connections).toBeLessThanOrEqual(1)
  })

  it('the deadline bounds a hanging Polar: the attempt is cut at what is left of it, and not retried', async () => {
    const app = await e2e.app('express 5', e2e.polar({ timeoutMs: 5_000, deadlineMs: 300 }))
    e2e.fake.fail({ kind: 'hang' }, { rate: 1 })
    const res = await me(app)
    expect(res.status).toBe(503)
    expect(String((app.errors.at(-1) as Error).message)).toMatch(
      /within the 300 ms left of the 300 ms deadline; gave up after 1 attempt/,
    )
    expect(e2e.posts()).toBe(1)
  })
})

describe('4xx other than 429: never retried', () => {
  it.each([
    ['unknown customer (422)', { externalCustomerId: 'usr_nobody' }, 404, 'customer_not_found'],
    ['team customer without a member (422)', { externalCustomerId: 'team_1' }, 400, 'member_required'],
    ['unknown member (422)', { externalCustomerId: 'team_1', externalMemberId: 'nobody' }, 404, 'member_not_found'],
    [
      'member id Polar refuses: a UUID v1 (422 schema)',
      { externalCustomerId: 'usr_1', memberId: 'c232ab00-9414-11ec-b3c8-9f6bdeced846' },
      500,
      'polar_rejected',
    ],
  ])('%s: one call, %i %s', async (_name, identity, status, code) => {
    const app = await e2e.app('express 5')
    const res = await me(app, identity)
    expect(res.status).toBe(status)
    expect(app.lastCode()).toBe(code)
    expect(e2e.fake.stats.total).toBe(1)
    expect(retryWarnings()).toEqual([])
  })

  it('an unknown customer is remembered: a second request makes no call', async () => {
    const app = await e2e.app('express 5')
    expect((await me(app, { externalCustomerId: 'usr_ghost' })).status).toBe(404)
    expect((await me(app, { externalCustomerId: 'usr_ghost' })).status).toBe(404)
    expect(e2e.posts()).toBe(1)
  })

  it.each([
    ['a revoked token (401)', 'revoked', 'polar_unauthorized'],
    ['a token without customer_sessions:write (403)', 'no-scope', 'polar_forbidden'],
    ['a base URL with a wrong path (404)', 'wrong-path', 'polar_rejected'],
  ] as const)('%s: one call, 500 %s', async (_name, kind, code) => {
    let accessToken = e2e.fake.accessToken
    if (kind === 'revoked') {
      accessToken = e2e.fake.addAccessToken()
      e2e.fake.revokeAccessToken(accessToken)
    }
    if (kind === 'no-scope') accessToken = e2e.fake.addAccessToken({ scopes: ['customers:read'] })
    e2e.watch.secret(accessToken, 'an access token')
    const baseUrl = kind === 'wrong-path' ? `${e2e.fake.url}/api` : e2e.fake.url
    const app = await e2e.app('express 5', e2e.polar({ accessToken, baseUrl }))
    const res = await me(app)
    expect(res.status).toBe(500)
    expect(app.lastCode()).toBe(code)
    expect(e2e.fake.stats.total).toBe(1)
  })
})

describe('only the single-flight leader retries', () => {
  it("50 concurrent callers during a 503 outage: one caller's 4 calls, and all 50 get the same error object", async () => {
    const polar = e2e.polar()
    e2e.fake.fail({ kind: 'status', status: 503 }, { rate: 1 })
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, () => polar.getSession({ externalCustomerId: 'usr_1' })),
    )
    expect(e2e.posts()).toBe(4)
    const reasons = outcomes.map((outcome) => (outcome.status === 'rejected' ? outcome.reason : outcome))
    expect(new Set(reasons).size).toBe(1)
    expect(isPolarSessionError(reasons[0], 'polar_unavailable')).toBe(true)
    expect(reasons[0]).toMatchObject({ status: 503 })
    e2e.watch.error('getSession during a 503 outage', reasons[0])
  })

  it('50 concurrent callers during a 503 burst that ends: 3 calls, all 50 get the same session', async () => {
    const polar = e2e.polar()
    e2e.fake.fail({ kind: 'status', status: 503 }, { times: 2 })
    const sessions = await Promise.all(
      Array.from({ length: 50 }, () => polar.getSession({ externalCustomerId: 'usr_2' })),
    )
    expect(e2e.posts()).toBe(3)
    expect(new Set(sessions).size).toBe(1)
  })

  it('the same through HTTP: 50 concurrent requests, 4 calls, every answer 503 polar_unavailable', async () => {
    const app = await e2e.app('express 5')
    e2e.fake.fail({ kind: 'status', status: 503 }, { rate: 1 })
    const responses = await Promise.all(Array.from({ length: 50 }, () => me(app, { externalCustomerId: 'usr_3' })))
    expect(responses.map((res) => res.status)).toEqual(Array(50).fill(503))
    expect(e2e.posts()).toBe(4)
    expect(new Set(app.errors).size).toBe(1)
    expect(app.errors).toHaveLength(50)
  })
})
