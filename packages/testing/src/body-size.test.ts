import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from 'node:net'
import { startFakePolar } from './server.js'
import type { FakePolar } from './types.js'
import { ROUTE_NOT_FOUND_BODY, call, createSession, rawRequest } from './test-support/http.js'

// Polar's MaxBodySizeMiddleware: decided on the headers, before the rate limit and the token
// check, after the Polar-Version check; the body is never read. Bodies are json.dumps output.
const LENGTH_REQUIRED = '{"error": "LengthRequired", "detail": "A Content-Length header is required."}'
const TOO_LARGE =
  '{"error": "RequestBodyTooLarge", "detail": "Request body exceeded the maximum allowed size of 10485760 bytes."}'
const LIMIT = 10 * 1024 * 1024

let fake: FakePolar
beforeAll(async () => {
  fake = await startFakePolar({ seed: [{ externalId: 'u', email: 'u@example.com' }] })
})
afterAll(() => fake.close())

/** Sends the head of a request (and `bodyStart`) on a fresh connection; resolves with what comes back once the server closes. */
function sendHead(head: string, bodyStart = ''): Promise<string> {
  const { port } = new URL(fake.url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', (error: NodeJS.ErrnoException) =>
      chunks.length > 0 ? resolve(Buffer.concat(chunks).toString('latin1')) : reject(error),
    )
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
    socket.write(`${head}\r\n\r\n${bodyStart}`)
  })
}

const sessionHead = (headers: string) =>
  `POST /v1/customer-sessions/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${fake.accessToken}\r\nContent-Type: application/json\r\n${headers}`

describe('body size, as Polar checks it', () => {
  it('a chunked POST (no Content-Length) gets 411 LengthRequired, json.dumps-formatted', async () => {
    const r = await rawRequest(fake, {
      method: 'POST',
      path: '/v1/customer-sessions/',
      headers: {
        authorization: `Bearer ${fake.accessToken}`,
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
      },
      body: JSON.stringify({ external_customer_id: 'u' }),
    })
    expect(r.status).toBe(411)
    expect(r.body).toBe(LENGTH_REQUIRED)
    expect(r.headers['content-type']).toBe('application/json')
    expect(fake.stats.sessionsCreated).toBe(0)
  })

  it('GET and DELETE need no Content-Length', async () => {
    const r = await rawRequest(fake, {
      method: 'GET',
      path: '/v1/customers/external/u',
      headers: { authorization: `Bearer ${fake.accessToken}`, 'transfer-encoding': 'chunked' },
    })
    expect(r.status).toBe(200)
  })

  it('a body of 10 MiB is accepted: the limit is not 1 MiB', async () => {
    const head = JSON.stringify({ external_customer_id: 'u', padding: '' })
    const body = head.replace('""', `"${'x'.repeat(LIMIT - head.length)}"`)
    expect(Buffer.byteLength(body)).toBe(LIMIT)
    expect((await createSession(fake, body)).status).toBe(201)
  })

  it('a declared length over 10 MiB gets 413 RequestBodyTooLarge at once, the body unread, the connection closed', async () => {
    const answer = await sendHead(sessionHead(`Content-Length: ${LIMIT + 1}`), '{"external_')
    expect(answer).toMatch(/^HTTP\/1\.1 413 /)
    expect(answer).toMatch(/\r\ncontent-type: application\/json\r\n/i)
    expect(answer).toMatch(/\r\nconnection: close\r\n/i)
    expect(answer.endsWith(`\r\n\r\n${TOO_LARGE}`)).toBe(true)
    const absurd = await sendHead(sessionHead('Content-Length: 500000000'), '{')
    expect(absurd.endsWith(TOO_LARGE)).toBe(true)
    expect((await createSession(fake, { external_customer_id: 'u' })).status).toBe(201)
  })

  it('the size check comes after the version check and before the rate limit and the token check', async () => {
    const badVersion = await sendHead(sessionHead(`Content-Length: ${LIMIT + 1}\r\nPolar-Version: 1999-01`))
    expect(badVersion.endsWith(`\r\n\r\n${ROUTE_NOT_FOUND_BODY}`)).toBe(true)
    const badToken = await rawRequest(fake, {
      method: 'POST',
      path: '/v1/customer-sessions/',
      headers: { authorization: 'Bearer polar_oat_nope', 'transfer-encoding': 'chunked' },
      body: '{}',
    })
    expect(badToken.status).toBe(411)
    const limited = await startFakePolar({ rateLimit: { limit: 0, pendingAuthLimit: false } })
    try {
      const r = await rawRequest(limited, {
        method: 'POST',
        path: '/v1/customers/',
        headers: { 'transfer-encoding': 'chunked' },
        body: '{}',
      })
      expect(r.status).toBe(411)
      expect((await call(limited, 'POST', '/v1/customers/', { body: {} })).status).toBe(429)
    } finally {
      await limited.close()
    }
  })
})
