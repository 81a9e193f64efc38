/**
 * A tiny scripted HTTP server on 127.0.0.1 for the polar client's tests: each request takes the
 * next queued responder (or the fallback). Real sockets, real undici.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { inspect } from 'node:util'
import type { Logger } from '../types.js'
import type { PolarClientOptions } from '../polar/types.js'

export interface RecordedRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
  remotePort: number
}

export type Responder = (req: IncomingMessage, res: ServerResponse) => void

export interface ScriptedServer {
  url: string
  requests: RecordedRequest[]
  /** Requests whose connection closed before the response was finished (aborted by the client). */
  aborted: number
  enqueue(...responders: Responder[]): void
  fallback: Responder
  close(): Promise<void>
}

export async function startServer(): Promise<ScriptedServer> {
  const queue: Responder[] = []
  const sockets = new Set<Socket>()
  const state: ScriptedServer = {
    url: '',
    requests: [],
    aborted: 0,
    enqueue: (...responders) => void queue.push(...responders),
    fallback: (_req, res) => {
      res.writeHead(599).end()
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      state.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        remotePort: req.socket.remotePort ?? 0,
      })
      res.on('close', () => {
        if (!res.writableFinished) state.aborted += 1
      })
      const responder = queue.shift() ?? state.fallback
      responder(req, res)
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return state
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Responder {
  return (_req, res) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text)
  }
}

export function empty(status: number, headers: Record<string, string> = {}): Responder {
  return (_req, res) => {
    res.writeHead(status, headers).end()
  }
}

/** Never answers. */
export function hang(): Responder {
  return () => {}
}

/** Sends headers and part of the body, then stalls. */
export function hangBody(status = 201): Responder {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.write('{"created_at":')
  }
}

/** TCP RST: the client sees ECONNRESET. */
export function reset(): Responder {
  return (req) => {
    req.socket.resetAndDestroy()
  }
}

/** Closes the socket without answering: "other side closed" / socket hang up. */
export function hangUp(): Responder {
  return (req) => {
    req.socket.destroy()
  }
}

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error'
  obj: object
  msg: string | undefined
}

export function recordingLogger(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = []
  const at =
    (level: LogRecord['level']) =>
    (obj: object, msg?: string): void => {
      records.push({ level, obj, msg })
    }
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

// ---- realistic secrets and bodies -------------------------------------------------------------

export const ACCESS_TOKEN = 'polar_oat_Zx9QwErTyUiOpAsDfGhJkLzXcVbNm1234567890abcdEF'
export const SESSION_TOKEN = 'polar_cst_k3Jd8s0aPq2LmN4bV6cX1zR7tY9uWeQiO5hG2fD1pxyzA3'
export const EMAIL = 'jane.secret@example.com'
export const EXTERNAL_ID = 'usr_secret_1337'
export const CUSTOMER_UUID = '3b8a7c6e-1f2d-4e5a-9b8c-7d6e5f4a3b2c'
export const MEMBER_UUID = '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f'
export const ORG_UUID = '1dbfc517-0bbf-4301-9ba8-555ca42b9737'
export const PORTAL_URL = `https://polar.sh/acme/portal?customer_session_token=${SESSION_TOKEN}&email=jane.secret%40example.com`

export const SECRETS = [ACCESS_TOKEN, SESSION_TOKEN, EMAIL, 'jane.secret%40example.com', EXTERNAL_ID, PORTAL_URL]

export function customerJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: CUSTOMER_UUID,
    created_at: '2026-01-05T09:30:00.000000Z',
    modified_at: null,
    metadata: { plan: 'pro', seats: 3, beta: true },
    external_id: EXTERNAL_ID,
    email: EMAIL,
    email_verified: true,
    type: 'individual',
    name: 'Jane Doe',
    billing_name: null,
    billing_address: null,
    tax_id: null,
    locale: null,
    organization_id: ORG_UUID,
    default_payment_method_id: null,
    deleted_at: null,
    first_user_event_at: null,
    avatar_url: 'https://www.gravatar.com/avatar/x?d=404',
    ...overrides,
  }
}

export function sessionJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    created_at: '2026-08-22T10:00:00.123456Z',
    modified_at: null,
    id: '0d6c1f0e-8a63-4d55-9a0b-2b4f7c1e9a11',
    token: SESSION_TOKEN,
    expires_at: '2026-08-22T11:00:00.123456Z',
    return_url: 'https://example.com/account',
    customer_portal_url: PORTAL_URL,
    customer_id: CUSTOMER_UUID,
    customer: customerJson(),
    ...overrides,
  }
}

/** Every string a test can see of an error: message, JSON form, inspect (cause and stack). */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  let causeText = ''
  try {
    causeText = JSON.stringify((error as { cause?: unknown }).cause) ?? ''
  } catch {
    causeText = String((error as { cause?: unknown }).cause)
  }
  return [error.message, JSON.stringify(error), causeText, error.stack ?? '', inspect(error, { depth: 6 })].join('\n')
}

export interface TestClientSetup {
  logger: ReturnType<typeof recordingLogger>
  /** Delays passed to the injected sleep. */
  sleeps: number[]
}

/** Options for a client against `server`, with a recording logger and an instant, recording sleep. */
export function testOptions(
  server: { url: string },
  overrides: Omit<Partial<PolarClientOptions>, 'logger'> = {},
): PolarClientOptions & TestClientSetup {
  const logger = recordingLogger()
  const sleeps: number[] = []
  return {
    baseUrl: server.url,
    accessToken: ACCESS_TOKEN,
    environment: 'custom',
    timeoutMs: 2_000,
    deadlineMs: 10_000,
    maxRetryAfterMs: 10_000,
    fetch: globalThis.fetch,
    userAgent: '@polar-session/core/0.1.0 node/20.20.2',
    portalUrls: { origins: new Set(['https://polar.sh', server.url.replace(/\/+$/, '')]), allowHttp: true },
    random: () => 0.5,
    sleep: async (ms: number) => {
      sleeps.push(ms)
    },
    ...overrides,
    sleeps,
    logger,
  }
}

/** Runs `promise`, expecting a rejection; returns the reason (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject, but it resolved')
}
