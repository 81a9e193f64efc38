import type { PolarSessions } from '../create-polar-sessions.js'
import { handleWebhook, type WebhookAnswer } from './handler.js'
import { MAX_WEBHOOK_BODY_BYTES, type VerifyWebhookOptions } from './verify.js'

/** Options of {@link createWebhookHandler} and of the adapters' webhook routes. */
export interface WebhookHandlerOptions extends Pick<VerifyWebhookOptions, 'toleranceSec' | 'now'> {
  /** The endpoint's secret from Polar's dashboard (`whsec_…`), as is. */
  secret: string
  /** Largest body accepted, in bytes; larger ones get 413. @default 1_048_576 (1 MiB) */
  maxBodyBytes?: number
}

/** Validates webhook route options once, at mount time. */
export function checkWebhookOptions(where: string, options: WebhookHandlerOptions): number {
  if (typeof options !== 'object' || options === null || typeof options.secret !== 'string' || options.secret === '') {
    throw new TypeError(`${where}: options.secret must be the webhook secret from Polar's dashboard (whsec_…).`)
  }
  const max = options.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES
  if (!Number.isInteger(max) || max < 1) throw new TypeError(`${where}: maxBodyBytes must be a positive whole number.`)
  return max
}

const json = (answer: WebhookAnswer, headers: Record<string, string> = {}): Response =>
  Response.json(answer.body, { status: answer.status, headers: { 'cache-control': 'no-store', ...headers } })

const TOO_LARGE: WebhookAnswer = { status: 413, body: { error: 'payload_too_large', message: 'The webhook body is too large.' } }

/**
 * A Fetch-API webhook route (Hono, Next.js route handlers, Bun, Deno): verifies Polar's
 * signature over the raw body and invalidates the cached sessions the event makes stale.
 * Answers as {@link handleWebhook}, plus 405 for other methods and 413 over `maxBodyBytes`.
 *
 * @example
 * app.post('/webhooks/polar', (c) => webhook(c.req.raw))   // const webhook = createWebhookHandler(polar, { secret })
 */
export function createWebhookHandler(
  polar: Pick<PolarSessions, 'invalidate'>,
  options: WebhookHandlerOptions,
): (request: Request) => Promise<Response> {
  const maxBodyBytes = checkWebhookOptions('createWebhookHandler', options)
  const { secret, toleranceSec, now } = options
  return async function polarWebhookHandler(request) {
    if (request.method !== 'POST') {
      return json({ status: 405, body: { error: 'method_not_allowed', message: 'Polar webhooks are POSTed.' } }, { allow: 'POST' })
    }
    const rawBody = await readCapped(request, maxBodyBytes)
    if (rawBody === null) return json(TOO_LARGE)
    return json(await handleWebhook(polar, { rawBody, headers: request.headers, secret, toleranceSec, now, maxBodyBytes }))
  }
}

/** The body's bytes, or null when it is (or says it is) larger than `max`. */
async function readCapped(request: Request, max: number): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get('content-length') ?? 0)
  if (declared > max) {
    await request.body?.cancel().catch(() => {})
    return null
  }
  if (request.body === null) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel().catch(() => {})
      return null
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, size)
}
