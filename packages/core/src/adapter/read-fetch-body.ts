import type { WebhookBody } from './webhook-route.js'

/**
 * Reads a Fetch-API `Request` body (Hono, Next.js route handlers, Bun, Deno, Workers) up to
 * `max` bytes, with nothing but Web APIs, so it runs on any Fetch runtime. A declared length
 * over the cap is refused before reading; a streamed body is cut off as soon as it passes it.
 * `parsed` when something already consumed the body, `aborted` when the stream failed.
 */
export async function readFetchBody(request: Request, max: number): Promise<WebhookBody> {
  if (request.bodyUsed) return { kind: 'parsed' }
  const declared = Number(request.headers.get('content-length') ?? 0)
  if (declared > max) {
    await request.body?.cancel().catch(() => {})
    return { kind: 'too-large' }
  }
  if (request.body === null) return { kind: 'ok', body: new Uint8Array(0) }
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>
    try {
      chunk = await reader.read()
    } catch {
      return { kind: 'aborted' }
    }
    if (chunk.done) break
    size += chunk.value.byteLength
    if (size > max) {
      await reader.cancel().catch(() => {})
      return { kind: 'too-large' }
    }
    chunks.push(chunk.value)
  }
  return { kind: 'ok', body: concat(chunks, size) }
}

/** The chunks as one array (`Buffer.concat` without Node's `Buffer`). */
function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const body = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}
