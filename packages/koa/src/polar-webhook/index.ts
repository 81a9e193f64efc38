import type { PolarSessions } from '@polar-session/core'
import { nodeWebhookBody, webhookRoute, type WebhookRouteOptions } from '@polar-session/core/adapter'
import type { Middleware } from 'koa'

/** How to keep the raw body in this framework, for the 500 a body parser causes. */
const KEEP_THE_RAW_BODY =
  'Mount the webhook route before the body parser, or use one that keeps ctx.request.rawBody (koa-bodyparser).'

/** Options of {@link polarWebhook}. */
export type PolarWebhookOptions = WebhookRouteOptions

/**
 * Koa 2 and 3 route for Polar webhooks, answering as core's `webhookRoute` does. The signature
 * covers the raw bytes: it reads them from `ctx.req`, or takes `ctx.request.rawBody` when a
 * body parser (koa-bodyparser) kept it; after a parser that kept nothing it answers 500.
 *
 * @example
 * router.post('/webhooks/polar', polarWebhook(polar, { secret: process.env.POLAR_WEBHOOK_SECRET! }))
 */
export function polarWebhook(polar: PolarSessions<any>, options: PolarWebhookOptions): Middleware {
  const route = webhookRoute('polarWebhook', polar, options, KEEP_THE_RAW_BODY)
  return async function polarWebhook(ctx) {
    // The raw body: `ctx.request.rawBody` (or a Buffer body) left by a parser (koa-bodyparser), else
    // read from `ctx.req`; a parser that read the stream and kept nothing leaves it ended.
    const request = ctx.request as { rawBody?: unknown; body?: unknown }
    const answer = await route.answer(ctx.method, ctx.req.headers, () =>
      nodeWebhookBody(ctx.req, route.maxBodyBytes, [request.rawBody, request.body]),
    )
    if (answer === null) return
    ctx.status = answer.status
    ctx.set(answer.headers)
    ctx.body = answer.body
  }
}
