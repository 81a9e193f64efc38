import type { IncomingMessage } from 'node:http'
import type { WebhookBody } from './webhook-route.js'

type NodeBodyRead = Exclude<WebhookBody, { kind: 'parsed' }>

/**
 * Reads a Node request body (Express, Koa, node:http) up to `max` bytes. Past the cap (declared or streamed) the rest is
 * read and dropped, so the 413 reaches a client that is still sending; `aborted` when the
 * client goes away first.
 */
export function readNodeBody(req: IncomingMessage, max: number): Promise<WebhookBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = Number(req.headers['content-length'] ?? 0) > max
    const done = (result: NodeBodyRead): void => {
      req.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onAbort)
      resolve(result)
    }
    const onData = (chunk: Buffer): void => {
      if (tooLarge) return
      size += chunk.length
      if (size > max) {
        tooLarge = true
        chunks.length = 0
      } else chunks.push(chunk)
    }
    const onEnd = (): void => done(tooLarge ? { kind: 'too-large' } : { kind: 'ok', body: Buffer.concat(chunks, size) })
    const onAbort = (): void => done({ kind: 'aborted' })
    req.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onAbort)
  })
}

/** A body a parser left as a Buffer or string, as a {@link WebhookBody}; undefined for anything else. */
function keptBody(value: unknown, max: number): WebhookBody | undefined {
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) return undefined
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
  return bytes.byteLength > max ? { kind: 'too-large' } : { kind: 'ok', body: bytes }
}

/**
 * The raw body of a webhook on a Node request (Express, Koa): the first of `kept` that a body
 * parser left as a Buffer or string; `parsed` when a parser read the stream and kept nothing
 * (`consumed`, or the stream has ended); else the bytes read from the stream, up to `max`.
 */
export function nodeWebhookBody(
  req: IncomingMessage,
  max: number,
  kept: readonly unknown[],
  consumed = false,
): Promise<WebhookBody> {
  for (const value of kept) {
    const body = keptBody(value, max)
    if (body !== undefined) return Promise.resolve(body)
  }
  if (consumed || req.readableEnded) return Promise.resolve({ kind: 'parsed' })
  return readNodeBody(req, max)
}
