// Reading request bodies for the fake, within Polar's limit and without letting a
// client exhaust memory. Polar's MaxBodySizeMiddleware decides on the headers
// alone (router.ts): a POST, PUT or PATCH without Content-Length (chunked) gets
// 411, a declared length over 10 MiB gets 413, and in both cases the body is
// never read. The reader does the same: it leaves those bodies unread (the
// server then closes the connection after its answer) and reads the rest, which
// Content-Length bounds.

import type { IncomingMessage } from 'node:http'

/** Polar's settings.API_MAX_REQUEST_BODY_SIZE. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024

export type BodyRead =
  /** The whole body (empty when there is none). */
  | { kind: 'ok'; body: Buffer }
  /** Not read: the answer will be 411 or 413 (or a 404 for a bad version); close the connection after it. */
  | { kind: 'unread' }
  /** The client went away or broke the framing. */
  | { kind: 'aborted' }

const UNREAD_WHEN_CHUNKED = new Set(['POST', 'PUT', 'PATCH'])

/** MaxBodySizeMiddleware's verdict from the headers: 411, 413, or null to read the body. */
export function bodySizeVerdict(method: string, contentLength: string | undefined): 411 | 413 | null {
  if (contentLength === undefined) return UNREAD_WHEN_CHUNKED.has(method) ? 411 : null
  // Python's int() accepts surrounding whitespace and a sign; anything else is ignored.
  if (/^\s*[+-]?\d+\s*$/.test(contentLength) && Number(contentLength) > MAX_BODY_BYTES) return 413
  return null
}

export function readBody(req: IncomingMessage): Promise<BodyRead> {
  if (bodySizeVerdict(req.method ?? 'GET', req.headers['content-length']) !== null) {
    return Promise.resolve({ kind: 'unread' })
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const finish = (result: BodyRead) => {
      if (done) return
      done = true
      resolve(result)
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      // Unreachable with Content-Length ≤ the limit (Node enforces the framing); a safety net.
      if (size > MAX_BODY_BYTES) {
        req.socket.destroy()
        finish({ kind: 'aborted' })
      } else chunks.push(chunk)
    })
    req.on('end', () => finish({ kind: 'ok', body: Buffer.concat(chunks, size) }))
    req.on('error', () => finish({ kind: 'aborted' }))
    req.on('close', () => finish({ kind: 'aborted' }))
  })
}
