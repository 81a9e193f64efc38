import type { PolarSessions } from '../create-polar-sessions.js'
import type { WebhookRouteOptions } from '../adapter/check-options.js'
import { readFetchBody } from '../adapter/read-fetch-body.js'
import { webhookRoute } from '../adapter/webhook-route.js'

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
    const answer = await route.answer(request.method, request.headers, () => readFetchBody(request, route.maxBodyBytes))
    // A Fetch handler always answers; a client that went away simply does not read it.
    if (answer === null) return new Response(null, { status: 400 })
    return Response.json(answer.body, { status: answer.status, headers: answer.headers })
  }
}
