import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { request as httpRequest } from 'node:http'
import { startFakePolar } from './server.js'
import type { FakePolar } from './types.js'
import { call, createSession, headerNames, micros, rawRequest } from './test-support/http.js'

type Json = Record<string, any>

let fake: FakePolar
const valid = { external_customer_id: 'usr_1' }

beforeEach(async () => {
  fake = await startFakePolar({ seed: [{ externalId: 'usr_1', email: 'one@example.com' }] })
})
afterEach(() => fake.close())

describe('status faults', () => {
  it('429: empty body, retry-after (default 1), no X-RateLimit headers, counted', async () => {
    fake.fail({ kind: 'status', status: 429 })
    fake.fail({ kind: 'status', status: 429, retryAfter: 7 })
    const first = await createSession(fake, valid)
    expect(first.status).toBe(429)
    expect(first.text).toBe('')
    expect(first.headers.get('retry-after')).toBe('1')
    expect(headerNames(first.headers).filter((k) => k.startsWith('x-ratelimit'))).toEqual([])
    const second = await createSession(fake, valid)
    expect(second.headers.get('retry-after')).toBe('7')
    expect((await createSession(fake, valid)).status).toBe(201)
    expect(fake.stats.rateLimited).toBe(2)
    expect(fake.stats.sessionsCreated).toBe(1)
    expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(3)
  })

  it("500 is Starlette's plain text, as for any unhandled error; 502/503/504 are the proxy HTML", async () => {
    fake.fail({ kind: 'status', status: 500 })
    fake.fail({ kind: 'status', status: 502 })
    fake.fail({ kind: 'status', status: 503 })
    fake.fail({ kind: 'status', status: 504 })
    const r500 = await createSession(fake, valid)
    expect(r500.status).toBe(500)
    expect(r500.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(r500.text).toBe('Internal Server Error')
    for (const status of [502, 503, 504]) {
      const r = await createSession(fake, valid)
      expect(r.status).toBe(status)
      expect(r.headers.get('content-type')).toMatch(/^text\/html/)
      expect(r.text).toContain(String(status))
    }
    expect(fake.stats.sessionsCreated).toBe(0)
  })

  it('faults come before authentication (they stand for the network in front of Polar)', async () => {
    fake.fail({ kind: 'status', status: 503 })
    expect((await createSession(fake, valid, { token: 'polar_oat_bad' })).status).toBe(503)
  })

  it('times: the next N matching requests, in order, then normal service', async () => {
    fake.fail({ kind: 'status', status: 502 }, { times: 2 })
    fake.fail({ kind: 'status', status: 500 })
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await createSession(fake, valid)).status)
    expect(statuses).toEqual([502, 502, 500, 201])
  })

  it('route filter: only matching requests take (and spend) the fault', async () => {
    fake.fail({ kind: 'status', status: 503 }, { route: 'POST /v1/customer-sessions/' })
    expect((await call(fake, 'GET', '/v1/customers/external/usr_1')).status).toBe(200)
    expect((await createSession(fake, valid)).status).toBe(503)
    expect((await createSession(fake, valid)).status).toBe(201)
    fake.fail({ kind: 'status', status: 500 }, { route: '/v1/customers/external/{external_id}' })
    expect((await call(fake, 'GET', '/v1/customers/external/usr_1')).status).toBe(500)
  })

  it('rate: about that fraction of requests until clearFaults()', async () => {
    fake.fail({ kind: 'status', status: 503 }, { rate: 0.5 })
    let failed = 0
    for (let i = 0; i < 200; i++) if ((await createSession(fake, valid)).status === 503) failed++
    expect(failed).toBeGreaterThan(60)
    expect(failed).toBeLessThan(140)
    expect(fake.stats.sessionsCreated).toBe(200 - failed)
    fake.clearFaults()
    for (let i = 0; i < 20; i++) expect((await createSession(fake, valid)).status).toBe(201)
  })

  it('rate 1 fails everything, rate 0 nothing', async () => {
    fake.fail({ kind: 'status', status: 500 }, { rate: 0 })
    fake.fail({ kind: 'status', status: 502 }, { rate: 1 })
    for (let i = 0; i < 5; i++) expect((await createSession(fake, valid)).status).toBe(502)
  })

  it('rejects nonsense fault options', () => {
    expect(() => fake.fail({ kind: 'status', status: 404 } as never)).toThrow(TypeError)
    expect(() => fake.fail({ kind: 'boom' } as never)).toThrow(TypeError)
    expect(() => fake.fail({ kind: 'hang' }, { times: 0 })).toThrow(TypeError)
    expect(() => fake.fail({ kind: 'hang' }, { rate: 2 })).toThrow(TypeError)
  })
})

describe('payload faults on session creation', () => {
  it('malformed-json: a 201 whose body is truncated JSON (the session exists)', async () => {
    fake.fail({ kind: 'malformed-json' })
    const r = await createSession(fake, valid)
    expect(r.status).toBe(201)
    expect(r.headers.get('content-type')).toBe('application/json')
    expect(() => JSON.parse(r.text)).toThrow()
    expect(r.text.startsWith('{"created_at":')).toBe(true)
    expect(Number(r.headers.get('content-length'))).toBe(Buffer.byteLength(r.text))
    expect(fake.stats.sessionsCreated).toBe(1)
    expect((await createSession(fake, valid)).json).toBeDefined()
  })

  it('missing-fields: a 201 without token and expires_at', async () => {
    fake.fail({ kind: 'missing-fields' })
    const r = await createSession(fake, valid)
    expect(r.status).toBe(201)
    const body = r.json as Json
    expect(body).not.toHaveProperty('token')
    expect(body).not.toHaveProperty('expires_at')
    expect(body).toHaveProperty('customer_portal_url')
    expect(body.customer.external_id).toBe('usr_1')
  })

  it('expired: expires_at before now and before created_at; the token is already dead', async () => {
    fake.fail({ kind: 'expired' })
    const r = await createSession(fake, valid)
    expect(r.status).toBe(201)
    const body = r.json as Json
    expect(micros(body.expires_at)).toBeLessThan(micros(body.created_at))
    expect(Date.parse(body.expires_at)).toBeLessThan(Date.now())
    const introspect = await call(fake, 'GET', '/v1/customer-portal/customer-session/introspect', { token: body.token })
    expect(introspect.status).toBe(401)
  })

  it("no-owner-member: Polar's 422 at body.customer_id, input the customer's id; no session", async () => {
    fake.fail({ kind: 'no-owner-member' })
    const id = fake.customers().find((c) => c.externalId === 'usr_1')?.id
    const r = await createSession(fake, valid)
    expect(r.status).toBe(422)
    expect(r.text).toBe(
      `{"error":"PolarRequestValidationError","detail":[{"type":"value_error","loc":["body","customer_id"],"msg":"No owner member found for this customer.","input":"${id}"}]}`,
    )
    expect(fake.stats.sessionsCreated).toBe(0)
    expect((await createSession(fake, valid)).status).toBe(201)
  })

  it('only hit session creation by default, and an invalid request spends the fault normally', async () => {
    fake.fail({ kind: 'malformed-json' })
    expect((await call(fake, 'GET', '/v1/customers/external/usr_1')).json).toBeDefined()
    const invalid = await createSession(fake, { external_customer_id: 'nobody' })
    expect(invalid.status).toBe(422)
    expect(invalid.json).toBeDefined()
    const next = await createSession(fake, valid)
    expect(next.json).toBeDefined()
  })
})

describe('payload faults elsewhere', () => {
  it('malformed-json aimed at another route truncates that 2xx body', async () => {
    fake.fail({ kind: 'malformed-json' }, { route: 'GET /v1/customers/external/{external_id}' })
    const r = await call(fake, 'GET', '/v1/customers/external/usr_1')
    expect(r.status).toBe(200)
    expect(r.json).toBeUndefined()
    expect(r.text.startsWith('{"id":')).toBe(true)
    expect((await call(fake, 'GET', '/v1/customers/external/usr_1')).json).toBeDefined()
  })
})

describe('transport faults', () => {
  it('reset: the socket is destroyed without a response', async () => {
    fake.fail({ kind: 'reset' })
    const error = await rawRequest(fake, { method: 'POST', path: '/v1/customer-sessions/', body: '{}' }).catch(
      (e: Error) => e,
    )
    expect(error).toBeInstanceOf(Error)
    expect((error as NodeJS.ErrnoException).code ?? (error as Error).message).toMatch(/ECONNRESET|socket hang up/)
    expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(1)
    expect((await createSession(fake, valid)).status).toBe(201)
  })

  it('hang: accepted, never answered; the client gives up on its own', async () => {
    fake.fail({ kind: 'hang' })
    const started = Date.now()
    const error = await rawRequest(fake, {
      method: 'POST',
      path: '/v1/customer-sessions/',
      body: '{}',
      timeoutMs: 200,
    }).catch((e: Error) => e)
    expect((error as Error).message).toBe('client timeout')
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
    expect((await createSession(fake, valid)).status).toBe(201)
  })

  // close() settling at all is the proof: the hung request never answers, and the latency below is
  // ten minutes, far past the test timeout. No wall-clock bound is needed.
  it('close() with a hung request and idle keep-alive sockets settles, and drops every connection', async () => {
    fake.fail({ kind: 'hang' })
    const { port } = new URL(fake.url)
    const hung = new Promise<string>((resolve) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port: Number(port),
        method: 'GET',
        path: '/v1/customers/external/usr_1',
      })
      req.on('response', () => resolve('answered'))
      req.on('error', (e) => resolve(`error: ${e.message}`))
      req.end()
    })
    // An idle keep-alive connection from fetch as well.
    expect((await call(fake, 'GET', '/v1/customers/external/usr_1')).status).toBe(200)
    await vi.waitFor(() => expect(fake.stats.requests['GET /v1/customers/external/{external_id}']).toBe(2))
    expect(fake.stats.connections).toBe(2)
    await fake.close()
    expect(await hung).toMatch(/^error: /)
    await vi.waitFor(() => expect(fake.stats.connections).toBe(0))
  })

  it('close() during latency settles at once and drops the pending answer', async () => {
    fake.setLatency(600_000)
    const pending = createSession(fake, valid).catch((e: Error) => e)
    await vi.waitFor(() => expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(1))
    await fake.close()
    expect(await pending).toBeInstanceOf(Error)
  })
})

describe('latency', () => {
  it('is added before every answer', async () => {
    fake.setLatency(150)
    let started = Date.now()
    expect((await createSession(fake, valid)).status).toBe(201)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    started = Date.now()
    expect((await call(fake, 'GET', '/nope')).status).toBe(404)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(() => fake.setLatency(-1)).toThrow(TypeError)
  })

  it('can be changed at runtime: later requests get the new latency, earlier ones keep theirs', async () => {
    // Ten minutes: a request that got it cannot be answered within the test. The request after
    // setLatency(0) being answered at all, while the first is still waiting, is the proof.
    fake.setLatency(600_000)
    let slowSettled = false
    const slow = createSession(fake, valid)
      .catch((e: Error) => e)
      .finally(() => (slowSettled = true))
    await vi.waitFor(() => expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(1))
    fake.setLatency(0)
    expect((await createSession(fake, valid)).status).toBe(201)
    expect(slowSettled).toBe(false)
    expect(fake.stats.sessionsCreated).toBe(1)
    await fake.close() // drops the ten-minute answer
    expect(await slow).toBeInstanceOf(Error)
  })
})
