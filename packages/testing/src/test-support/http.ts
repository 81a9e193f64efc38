// Shared helpers for this package's tests: real HTTP to the fake on
// 127.0.0.1, every request awaited. Excluded from the build by tsconfig.

import { request as httpRequest } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import type { FakePolar } from '../types.js'

export interface Reply {
  status: number
  headers: Headers
  text: string
  json: unknown
}

export interface CallOptions {
  /** JSON-encoded unless a string is given (sent as is). */
  body?: unknown
  /** Bearer token; default the fake's access token; null sends no Authorization header. */
  token?: string | null
  headers?: Record<string, string>
  redirect?: RequestRedirect
}

export async function call(fake: FakePolar, method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = {}
  const token = opts.token === undefined ? fake.accessToken : opts.token
  if (token !== null) headers.authorization = `Bearer ${token}`
  let body: string | undefined
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json'
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
  }
  Object.assign(headers, opts.headers)
  const res = await fetch(`${fake.url}${path}`, { method, headers, body, redirect: opts.redirect ?? 'manual' })
  const text = await res.text()
  let json: unknown
  try {
    json = text === '' ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

export function createSession(fake: FakePolar, body: unknown, opts: Omit<CallOptions, 'body'> = {}): Promise<Reply> {
  return call(fake, 'POST', '/v1/customer-sessions/', { ...opts, body })
}

export interface RawReply {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** node:http without keep-alive, for cases fetch hides (resets, odd targets). */
export function rawRequest(
  fake: FakePolar,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number },
): Promise<RawReply> {
  const { port } = new URL(fake.url)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: Number(port),
        method: opts.method ?? 'GET',
        path: opts.path,
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    if (opts.timeoutMs !== undefined) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error('client timeout')))
    req.end(opts.body)
  })
}

export const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
export const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

/** authlib's body, written by json.dumps: spaces after ':' and ','. */
export const INVALID_TOKEN_BODY =
  '{"error": "invalid_token", "error_description": "The access token provided is expired, revoked, malformed, or invalid for other reasons."}'
export const INVALID_TOKEN_HEADER =
  'Bearer realm="polar", error="invalid_token", error_description="The access token provided is expired, revoked, malformed, or invalid for other reasons."'
export const UNAUTHORIZED_BODY = '{"error":"Unauthorized","detail":"Unauthorized"}'
export const INSUFFICIENT_SCOPE_BODY =
  '{"error": "insufficient_scope", "error_description": "The request requires higher privileges than provided by the access token."}'
export const NOT_FOUND_BODY = '{"error":"ResourceNotFound","detail":"Not found"}'
/** Starlette's 404: no route, or an unsupported Polar-Version. */
export const ROUTE_NOT_FOUND_BODY = '{"detail":"Not Found"}'

/** Header names of a fetch Response (the DOM lib here has no Headers iterator typings). */
export function headerNames(headers: Headers): string[] {
  const names: string[] = []
  headers.forEach((_value, name) => names.push(name))
  return names
}

/** Microseconds since the epoch from a fake timestamp. */
export function micros(timestamp: string): number {
  const ms = Date.parse(timestamp.replace(/\.\d{6}Z$/, 'Z'))
  return ms * 1000 + Number(timestamp.slice(20, 26))
}
