import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ANSWER_OBSERVER, type ObservedAnswer } from './answer-observer.js'
import { startFakePolar } from './server.js'
import { checkAnswer, checkAnswers } from './test-support/openapi-contract.js'
import type { FakePolar } from './types.js'
import { call, createSession, rawRequest } from './test-support/http.js'

// The OpenAPI contract check (test-support/openapi-contract.ts) runs after every test file of
// the repository over every answer a fake wrote. Here: that it can fail, and that every kind of
// answer the fake gives passes it, whichever tests happen to exist elsewhere.

let fake: FakePolar
const seen: ObservedAnswer[] = []
let previous: unknown
const slot = globalThis as Record<symbol, unknown>

beforeAll(async () => {
  // Record alongside the suite-wide observer, not instead of it.
  previous = slot[ANSWER_OBSERVER]
  slot[ANSWER_OBSERVER] = (answer: ObservedAnswer) => {
    seen.push(answer)
    if (typeof previous === 'function') previous(answer)
  }
  fake = await startFakePolar({
    rateLimit: { limit: 1_000, pendingAuthLimit: 2 },
    seed: [
      { externalId: 'usr_1', email: 'jane@example.com', name: 'Jane' },
      {
        externalId: 'team_1',
        email: 'team@example.com',
        type: 'team',
        members: [{ externalId: 'alice', email: 'alice@example.com' }],
      },
    ],
  })
})
afterAll(async () => {
  slot[ANSWER_OBSERVER] = previous
  await fake.close()
})

const answer = (over: Partial<ObservedAnswer>): ObservedAnswer => ({
  method: 'POST',
  routeKey: 'POST /v1/customer-sessions/',
  status: 201,
  headers: { 'content-type': 'application/json' },
  body: '{}',
  fault: undefined,
  ...over,
})

describe('the contract check can fail', () => {
  let session: Record<string, unknown>
  beforeAll(async () => {
    session = (await createSession(fake, { external_customer_id: 'usr_1' })).json as Record<string, unknown>
  })

  it('accepts a real 201 and refuses it without a required field, with an extra field, or a wrong format', () => {
    expect(checkAnswer(answer({ body: JSON.stringify(session) }))).toMatchObject({ ok: true, kind: 'spec' })
    const { token: _token, ...noToken } = session
    expect(checkAnswer(answer({ body: JSON.stringify(noToken) }))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("must have required property 'token'"),
    })
    expect(checkAnswer(answer({ body: JSON.stringify({ ...session, surprise: 1 }) }))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('additional properties'),
    })
    const customer = { ...(session.customer as object), avatar_url: 7 }
    expect(checkAnswer(answer({ body: JSON.stringify({ ...session, customer }) })).ok).toBe(false)
    expect(checkAnswer(answer({ body: JSON.stringify({ ...session, expires_at: 'tomorrow' }) }))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('date-time'),
    })
    expect(
      checkAnswer(answer({ body: JSON.stringify({ ...session, customer_id: 'c232ab00-9414-11ec-b3c8-9f6bdeced846' }) }))
        .ok,
    ).toBe(false)
  })

  it("says where Polar's runtime differs from its spec: a 422's `error` key is required, and checked apart", () => {
    const detail = [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }]
    expect(
      checkAnswer(answer({ status: 422, body: JSON.stringify({ error: 'RequestValidationError', detail }) })),
    ).toEqual({
      ok: true,
      kind: 'spec',
      schema: '/paths/~1v1~1customer-sessions~1/post/responses/422/content/application~1json/schema',
      extraErrorKey: true,
    })
    expect(checkAnswer(answer({ status: 422, body: JSON.stringify({ detail }) })).ok).toBe(false)
    expect(checkAnswer(answer({ status: 422, body: JSON.stringify({ error: 'Oops', detail }) })).ok).toBe(false)
    expect(
      checkAnswer(
        answer({ status: 422, body: JSON.stringify({ error: 'RequestValidationError', detail: [{ loc: ['body'] }] }) }),
      ).ok,
    ).toBe(false)
  })

  it('refuses answers neither the spec nor a documented runtime shape describes', () => {
    expect(checkAnswer(answer({ status: 404, body: '{"error":"NotHere"}' })).ok).toBe(false)
    expect(
      checkAnswer(answer({ status: 500, body: '{"error":"InternalServerError","detail":"Internal Server Error"}' })).ok,
    ).toBe(false)
    expect(
      checkAnswer(
        answer({ status: 429, headers: { 'content-type': 'application/json' }, body: '{"detail":"slow down"}' }),
      ).ok,
    ).toBe(false)
    expect(
      checkAnswer(answer({ status: 201, headers: { 'content-type': 'text/plain' }, body: JSON.stringify(session) })).ok,
    ).toBe(false)
    expect(checkAnswer(answer({ status: 418, body: '{}' })).ok).toBe(false)
  })

  it('skips answers broken on purpose by a fault, and counts', () => {
    const broken = answer({ body: '{"created_at":', fault: 'malformed-json' })
    expect(checkAnswer(broken)).toEqual({ ok: true, kind: 'skipped', why: 'the malformed-json fault' })
    const summary = checkAnswers([
      broken,
      answer({ body: JSON.stringify(session) }),
      answer({ status: 404, body: '{}' }),
    ])
    expect(summary).toMatchObject({
      validated: 1,
      spec: 1,
      skipped: 1,
      failures: [expect.stringContaining('POST /v1/customer-sessions/ → 404')],
    })
  })
})

describe('every kind of answer the fake gives passes it', () => {
  it('201s, 200s, 204, and each error the fake can send', async () => {
    seen.length = 0
    const team = fake.customers().find((c) => c.externalId === 'team_1')!
    const alice = team.members[0]!
    const token = (
      (await createSession(fake, { external_customer_id: 'usr_1', return_url: 'https://app.example.com' })).json as {
        token: string
      }
    ).token
    await createSession(fake, { customer_id: team.id, member_id: alice.id })
    await call(fake, 'POST', '/v1/customers/', {
      body: { email: 'new@acme.dev', external_id: 'new_1', metadata: { plan: 'pro' } },
    })
    await call(fake, 'POST', '/v1/customers/', { body: { type: 'team', name: 'T', owner: { email: 'boss@acme.dev' } } })
    await call(fake, 'GET', '/v1/customers/?limit=1')
    await call(fake, 'GET', '/v1/customers/external/usr_1')
    await call(fake, 'GET', `/v1/customers/${team.id}`)
    for (const path of ['customers/me', 'customer-session/introspect', 'customer-session/user']) {
      await call(fake, 'GET', `/v1/customer-portal/${path}`, { token })
    }
    await call(fake, 'DELETE', '/v1/customers/external/new_1')
    await call(fake, 'GET', '/v1/customers/external/nobody') // 404 ResourceNotFound
    await call(fake, 'GET', '/v1/nowhere') // 404 route
    await call(fake, 'GET', '/v1/customer-sessions/') // 405
    await call(fake, 'POST', '/v1/customer-sessions', { body: {} }) // 307
    await createSession(fake, '['.repeat(2_000)) // 400
    await createSession(fake, { external_customer_id: 'usr_1' }, { token: null }) // 401 Unauthorized
    await createSession(fake, { external_customer_id: 'usr_1' }, { token: fake.addAccessToken({ scopes: [] }) }) // 403
    await rawRequest(fake, {
      method: 'POST',
      path: '/v1/customers/',
      headers: { 'transfer-encoding': 'chunked' },
      body: '{}',
    }) // 411
    await createSession(fake, { customer_id: 'nope' }) // 422 schema
    await createSession(fake, { external_customer_id: 'nobody' }) // 422 lookup
    await createSession(fake, { external_customer_id: 'team_1' }) // 422 member required
    const bad = 'polar_oat_not-a-token'
    for (let i = 0; i < 3; i++) await createSession(fake, {}, { token: bad }) // 401 invalid_token ×2, then 429
    fake.fail({ kind: 'status', status: 500 })
    fake.fail({ kind: 'status', status: 503 })
    await createSession(fake, {})
    await createSession(fake, {})
    await call(fake, 'GET', `/acme/portal?customer_session_token=${token}`, { token: null })

    const statuses = new Set(seen.map((a) => a.status))
    expect([...statuses].sort()).toEqual([200, 201, 204, 307, 400, 401, 403, 404, 405, 411, 422, 429, 500, 503])
    const summary = checkAnswers(seen)
    expect(summary.failures).toEqual([])
    expect(summary.validated).toBe(seen.length)
    expect(summary.extraErrorKey).toBe(3)
  })
})
