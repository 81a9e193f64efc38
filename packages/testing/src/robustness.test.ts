import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Agent, request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { randomBytes } from 'node:crypto'
import { startFakePolar } from './server.js'
import type { FakePolar } from './types.js'
import { call, createSession, rawRequest } from './test-support/http.js'

let fake: FakePolar
beforeEach(async () => {
  fake = await startFakePolar({ seed: [{ externalId: 'u', email: 'u@example.com' }] })
})
afterEach(() => fake.close())

/** Writes raw bytes on a fresh TCP connection and collects whatever comes back until it closes. */
function rawExchange(data: Buffer | string, opts: { waitMs?: number } = {}): Promise<string> {
  const { port } = new URL(fake.url)
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => socket.destroy(), opts.waitMs ?? 2_000)
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks).toString('latin1'))
    })
    socket.write(data)
  })
}

async function stillServes(): Promise<void> {
  expect((await createSession(fake, { external_customer_id: 'u' })).status).toBe(201)
}

describe('concurrency', () => {
  it('500 parallel creations: every one answered 201, stats exact, tokens unique', async () => {
    const replies = await Promise.all(
      Array.from({ length: 500 }, () => createSession(fake, { external_customer_id: 'u' })),
    )
    expect(replies.map((r) => r.status)).toEqual(Array(500).fill(201))
    const tokens = new Set(replies.map((r) => (r.json as { token: string }).token))
    expect(tokens.size).toBe(500)
    expect(fake.stats.sessionsCreated).toBe(500)
    expect(fake.stats.requests).toEqual({ 'POST /v1/customer-sessions/': 500 })
    expect(fake.stats.total).toBe(500)
    expect(fake.sessions()).toHaveLength(500)
  })

  it('2000 simultaneous connections, each its own socket', async () => {
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity })
    const { port } = new URL(fake.url)
    const one = () =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port: Number(port),
            path: '/v1/customers/external/u',
            agent,
            headers: { authorization: `Bearer ${fake.accessToken}` },
          },
          (res) => {
            res.resume()
            res.on('end', () => resolve(res.statusCode ?? 0))
          },
        )
        req.on('error', reject)
        req.end()
      })
    const statuses = await Promise.all(Array.from({ length: 2000 }, one))
    agent.destroy()
    expect(statuses.filter((s) => s === 200)).toHaveLength(2000)
    expect(fake.stats.requests['GET /v1/customers/external/{external_id}']).toBe(2000)
  })

  it('keep-alive: many requests over one connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const { port } = new URL(fake.url)
    const ports = new Set<number>()
    for (let i = 0; i < 50; i++) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port: Number(port),
            method: 'POST',
            path: '/v1/customer-sessions/',
            agent,
            headers: { authorization: `Bearer ${fake.accessToken}`, 'content-type': 'application/json' },
          },
          (res) => {
            ports.add(res.socket.localPort as number)
            res.resume()
            res.on('end', () => resolve(res.statusCode ?? 0))
          },
        )
        req.on('error', reject)
        req.end('{"external_customer_id":"u"}')
      })
      expect(status).toBe(201)
    }
    agent.destroy()
    expect(ports.size).toBe(1)
  })
})

describe('hostile and broken clients', () => {
  it('a client that aborts mid-body does not hurt the server', async () => {
    // The connection is cut after 100 ms with the body still incomplete.
    const answer = await rawExchange(
      `POST /v1/customer-sessions/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${fake.accessToken}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"external_`,
      { waitMs: 100 },
    )
    expect(answer).toBe('')
    expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(1)
    await stillServes()
    expect(fake.stats.sessionsCreated).toBe(1)
  })

  it('a client that gives up during latency does not hurt the server', async () => {
    fake.setLatency(200)
    const error = await rawRequest(fake, {
      method: 'POST',
      path: '/v1/customer-sessions/',
      body: '{}',
      timeoutMs: 50,
    }).catch((e: Error) => e)
    expect(error).toBeInstanceOf(Error)
    await new Promise((r) => setTimeout(r, 250))
    fake.setLatency(0)
    await stillServes()
  })

  it('malformed HTTP gets a 400 from the parser and the server carries on', async () => {
    const answer = await rawExchange('THIS IS NOT HTTP\r\n\r\n')
    expect(answer).toMatch(/^HTTP\/1\.1 400/)
    const huge = await rawExchange(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`)
    expect(huge).toMatch(/^HTTP\/1\.1 431/)
    await stillServes()
  })

  it('deeply nested JSON gets 400, never a stack overflow', async () => {
    for (const body of ['['.repeat(200_000) + ']'.repeat(200_000), `{"a":${'['.repeat(50_000)}`]) {
      const r = await call(fake, 'POST', '/v1/customer-sessions/', { body })
      expect([400, 422]).toContain(r.status)
    }
    const nested = await call(fake, 'POST', '/v1/customer-sessions/', {
      body: '['.repeat(200_000) + ']'.repeat(200_000),
    })
    expect(nested.text).toBe('{"detail":"There was an error parsing the body"}')
    await stillServes()
  })

  it('random garbage in bodies, headers and paths is answered, not thrown', async () => {
    const paths = [
      '/v1/customers/external/%00',
      '/v1/customers/%ZZ',
      '/v1//customer-sessions/',
      '/..%2f..%2fetc/passwd',
      '/v1/customer-sessions/?a=%',
      '/%F0%9F%98%80/portal',
    ]
    for (const path of paths) {
      const r = await call(fake, 'GET', path)
      expect(r.status, path).toBeGreaterThanOrEqual(200)
      expect(r.status, path).toBeLessThan(500)
    }
    const bodies: unknown[] = [
      randomBytes(64).toString('latin1'),
      '"just a string"',
      '12345678901234567890123456789',
      'NaN',
      '{"customer_id": NaN}',
      { customer_id: { $gt: '' } },
      { external_customer_id: 'u', return_url: { href: 'x' } },
      { external_customer_id: 'u', member_id: [] },
      { external_customer_id: 'u', external_member_id: 5 },
      { __proto__: { external_customer_id: 'u' } },
      JSON.parse('{"__proto__": {"external_customer_id": "u"}}'),
      { external_customer_id: 'u'.repeat(100_000) },
    ]
    for (const body of bodies) {
      const r = await createSession(fake, body)
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBeLessThan(500)
      expect(r.headers.get('content-type')).toBe('application/json')
    }
    for (const token of ['\u00ff\u00fe', 'Bearer', 'polar_oat_' + 'x'.repeat(5000)]) {
      const r = await rawRequest(fake, {
        path: '/v1/customer-sessions/',
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: '{}',
      })
      expect(r.status).toBe(401)
    }
    await stillServes()
  })
})
