import {
  checkWebhookOptions,
  handleWebhook,
  readNodeBody,
  type NodeBodyRead,
  type PolarSessions,
  type PolarWebhookOptions,
  type WebhookAnswer,
} from '@polar-session/core'
import type { Context, Middleware } from 'koa'

export type { PolarWebhookOptions } from '@polar-session/core'

/**
 * Koa 2 and 3 route for Polar webhooks: verifies the signature over the raw body and drops
 * the cached sessions that `customer.deleted`, `customer.updated` and `member.deleted` make
 * stale, in every process sharing the store. Answers 202 `{ received, invalidated }`, 403
 * `invalid_webhook`, 413 over `maxBodyBytes` (1 MiB), 405 for other methods.
 *
 * It reads the body from `ctx.req` itself, or uses `ctx.request.rawBody` when a body parser
 * (koa-bodyparser, @koa/bodyparser) kept it. A parser that consumed the body without keeping
 * the raw text leaves nothing to verify: it answers 500 saying so.
 *
 * @example
 * router.post('/webhooks/polar', polarWebhook(polar, { secret: process.env.POLAR_WEBHOOK_SECRET! }))
 */
export function polarWebhook(polar: PolarSessions<any>, options: PolarWebhookOptions): Middleware {
  const maxBodyBytes = checkWebhookOptions('polarWebhook', polar, options)
  const settings = { ...options, maxBodyBytes }

  return async function polarWebhook(ctx) {
    if (ctx.method !== 'POST') {
      ctx.set('Allow', 'POST')
      return send(ctx, { status: 405, body: { error: 'method_not_allowed', message: 'Polar webhooks are POSTed.' } })
    }
    const read = await rawBody(ctx, maxBodyBytes)
    if (read === 'parsed') return send(ctx, PARSED)
    if (read.kind === 'aborted') return
    if (read.kind === 'too-large') return send(ctx, TOO_LARGE)
    send(ctx, await handleWebhook(polar, { ...settings, rawBody: read.body, headers: ctx.req.headers }))
  }
}

const TOO_LARGE: WebhookAnswer = { status: 413, body: { error: 'payload_too_large', message: 'The webhook body is too large.' } }
const PARSED: WebhookAnswer = {
  status: 500,
  body: {
    error: 'webhook_body_parsed',
    message:
      'polarWebhook needs the raw request body to check the signature, but a body parser already consumed it. ' +
      'Mount the webhook route before the body parser, or use one that keeps ctx.request.rawBody (koa-bodyparser).',
  },
}

function send(ctx: Context, answer: WebhookAnswer): void {
  ctx.status = answer.status
  ctx.set('Cache-Control', 'no-store')
  ctx.body = answer.body
}

/** The raw body: `ctx.request.rawBody` (or a Buffer body) left by a parser, else read from `ctx.req`. */
async function rawBody(ctx: Context, max: number): Promise<NodeBodyRead | 'parsed'> {
  const request = ctx.request as { rawBody?: unknown; body?: unknown }
  const kept = typeof request.rawBody === 'string' || Buffer.isBuffer(request.rawBody) ? request.rawBody : request.body
  if (Buffer.isBuffer(kept) || typeof kept === 'string') {
    const bytes = Buffer.isBuffer(kept) ? kept : Buffer.from(kept, 'utf8')
    return bytes.length > max ? { kind: 'too-large' } : { kind: 'ok', body: bytes }
  }
  // A parser that read the stream without keeping the raw text; one that skipped it left it unread.
  if (ctx.req.readableEnded) return 'parsed'
  return readNodeBody(ctx.req, max)
}
