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
