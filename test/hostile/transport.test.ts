// Hostile transport, through Express 5 and 4, Koa 3 and 2 and Fastify 5 and 4 on real sockets: oversized headers
// and cookies (Node's 16 KB limit answers 431 itself; the process must keep serving), and
// many concurrent requests whose clients disconnect mid-request (no crash, no unhandled
// rejection, no leaked socket, and single-flight still exactly one creation per identity).
import { connect, type Socket } from 'node:net'
import request from 'supertest'
import { describe, expect, it, vi } from 'vitest'
import { APP_HOST, asciiJson, FRAMEWORKS, type SessionSummary, type TestApp } from '../support/apps.js'
import { CUSTOMERS, SESSION_ROUTE, useE2E } from '../support/e2e.js'

const IDENTITIES = Array.from({ length: 20 }, (_, i) => `usr_abort_${i}`)
const e2e = useE2E({
  seed: [...CUSTOMERS, ...IDENTITIES.map((externalId, i) => ({ externalId, email: `abort${i}@example.com` }))],
})

/** Sends raw bytes and collects the answer until the server closes (a reset after the answer is fine). */
function raw(app: TestApp, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(app.port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' && chunks.length > 0) resolve(Buffer.concat(chunks).toString('latin1'))
      else reject(error)
    })
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
    socket.end(text)
  })
}

const headerBlock = (headers: Record<string, string>) =>
  Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')

function me(app: TestApp, externalCustomerId: string) {
  return request(app.server).get('/me').set('host', APP_HOST).set('x-identity', asciiJson({ externalCustomerId }))
}

const connections = (app: TestApp) =>
  new Promise<number>((resolve, reject) =>
    app.server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
  )

describe.each(FRAMEWORKS)('%s', (framework) => {
  it.each([
    ['a 20 KB cookie', { cookie: `sid=${'a'.repeat(20_000)}` }],
    ['a 17 KB identity header', { 'x-identity': asciiJson({ externalCustomerId: 'x'.repeat(17_000) }) }],
    [
      '200 headers of 100 bytes',
      Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`x-pad-${i}`, 'p'.repeat(100)])),
    ],
  ])('%s: Node answers 431 itself; the process keeps serving', async (_name, headers) => {
    const app = await e2e.app(framework)
    const answer = await raw(app, `GET /me HTTP/1.1\r\nhost: ${APP_HOST}\r\n${headerBlock(headers)}\r\n`)
    expect(answer).toMatch(/^HTTP\/1\.1 431 /)
    expect(app.arrivals).toBe(0)
    const after = await me(app, 'usr_1')
    expect(after.status).toBe(200)
    expect(e2e.fake.stats.total).toBe(1)
  })

  it('a 12 KB cookie under the limit is just a request: 200', async () => {
    const app = await e2e.app(framework)
    const res = await me(app, 'usr_2').set('cookie', `sid=${'c'.repeat(12_000)}; theme=dark`)
    expect(res.status).toBe(200)
    expect((res.body as SessionSummary).externalId).toBe('usr_2')
  })

  it('200 clients that disconnect mid-request: no crash, no leak, one creation per identity', async () => {
    // Every creation is held before it reaches Polar until all 200 clients have hung up, however
    // slow the machine: the hang-ups are mid-request by construction. Polar then takes 100 ms.
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const holding: typeof fetch = async (input, init) => {
      await held
      return fetch(input, init)
    }
    e2e.fake.setLatency(100)
    const app = await e2e.app(framework, e2e.polar({ fetch: holding, timeoutMs: 60_000, deadlineMs: 120_000 }))
    const sockets: Socket[] = []
    const answeredEarly: boolean[] = []
    for (let i = 0; i < 200; i++) {
      const user = IDENTITIES[i % IDENTITIES.length]!
      const socket = connect(app.port, '127.0.0.1')
      socket.on('error', () => {})
      socket.on('data', () => (answeredEarly[i] = true))
      socket.write(
        `GET /me HTTP/1.1\r\nhost: ${APP_HOST}\r\nx-identity: ${asciiJson({ externalCustomerId: user })}\r\n\r\n`,
      )
      sockets.push(socket)
    }
    await vi.waitFor(() => expect(app.arrivals).toBe(200), { timeout: 15_000 })
    // Half hang up politely, half with a reset.
    sockets.forEach((socket, i) => (i % 2 === 0 ? socket.destroy() : socket.resetAndDestroy()))
    expect(answeredEarly.filter(Boolean)).toEqual([])
    expect(e2e.fake.stats.total).toBe(0)
    release()

    // The creations under way finish for nobody, exactly one per identity.
    await vi.waitFor(() => expect(e2e.fake.stats.sessionsCreated).toBe(IDENTITIES.length), { timeout: 15_000 })
    e2e.fake.setLatency(0)
    const answers = await Promise.all(IDENTITIES.map((user) => me(app, user)))
    expect(answers.map((res) => res.status)).toEqual(IDENTITIES.map(() => 200))
    expect(e2e.fake.stats.requests[SESSION_ROUTE]).toBe(IDENTITIES.length)
    const byCustomer = new Map(e2e.fake.sessions().map((session) => [session.id, session.customerId]))
    const customers = answers.map((res) => byCustomer.get((res.body as SessionSummary).sessionId))
    expect(new Set(customers).size).toBe(IDENTITIES.length)

    // Nothing leaked: the app holds no connection, the fake only the client's idle keep-alive pool.
    await vi.waitFor(async () => expect(await connections(app)).toBe(0), { timeout: 15_000 })
    expect(e2e.fake.stats.connections).toBeLessThanOrEqual(IDENTITIES.length)
    expect((await request(app.server).get('/health').set('host', APP_HOST)).text).toBe('ok')
    expect(app.errors).toEqual([])
  })
})
