import type { PolarSessions } from '../create-polar-sessions.js'
import type { WebhookRouteOptions } from '../adapter/check-options.js'
import { webhookRoute, type WebhookBody } from '../adapter/webhook-route.js'

/**
 * A Fetch-API webhook route (Hono, Next.js route handlers, Bun, Deno): verifies Polar's
 * signature over the raw body and invalidates the cached sessions the event makes stale.
 * Answers 202 `{ received, invalidated }`, 403 `invalid_webhook`, 405 for other methods, 413
 * over `maxBodyBytes`, 503 when the store could not record it (Polar delivers it again).
 *
 * @example
 * const webhook = createWebhookHandler(polar, { secret: process.env.POLAR_WEBHOOK_SECRET! })
 * app.post('/webhooks/polar', (c) => webhook(c.req.raw))
 */
export function createWebhookHandler(
  polar: Pick<PolarSessions, 'invalidate'>,
  options: WebhookRouteOptions,
): (request: Request) => Promise<Response> {
  const route = webhookRoute('createWebhookHandler', polar, options, 'Pass the Request before anything reads its body.')
  return async function polarWebhookHandler(request) {
    const answer = await route.answer(request.method, request.headers, () => readCapped(request, route.maxBodyBytes))
    // A Fetch handler always answers; a client that went away simply does not read it.
    if (answer === null) return new Response(null, { status: 400 })
    return Response.json(answer.body, { status: answer.status, headers: answer.headers })
  }
}

/** The body's bytes, or too-large when it is (or says it is) larger than `max`. */
async function readCapped(request: Request, max: number): Promise<WebhookBody> {
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
  return { kind: 'ok', body: Buffer.concat(chunks, size) }
}
