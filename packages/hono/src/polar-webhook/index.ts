import type { PolarSessions } from '@polar-session/core'
import { readFetchBody, webhookRoute, type WebhookRouteOptions } from '@polar-session/core/adapter'
import type { Handler } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** How to keep the raw body in this framework, for the 500 when something read it first. */
const KEEP_THE_RAW_BODY = 'Mount the webhook route before anything reads the body (c.req.json(), a json validator).'

/** Options of {@link polarWebhook}. */
export type PolarWebhookOptions = WebhookRouteOptions

/**
 * Hono handler for Polar webhooks, answering as core's `webhookRoute` does (202, 403, 405, 413,
 * 503). The signature covers the raw bytes: it reads them from the request's stream with Web APIs
 * only (any Fetch runtime), up to `maxBodyBytes`. Mount it on every method (`app.all` or
 * `app.on`) to let it answer 405, or on `app.post`.
 *
 * @example
 * app.post('/webhooks/polar', polarWebhook(polar, { secret: process.env.POLAR_WEBHOOK_SECRET! }))
 */
export function polarWebhook(polar: PolarSessions<any>, options: PolarWebhookOptions): Handler {
  const route = webhookRoute('polarWebhook', polar, options, KEEP_THE_RAW_BODY)
  return async function polarWebhook(c) {
    const answer = await route.answer(c.req.method, c.req.raw.headers, () =>
      readFetchBody(c.req.raw, route.maxBodyBytes),
    )
    // A Fetch handler always answers; a client that went away simply does not read it.
    if (answer === null) return c.body(null, 400)
    return c.json(answer.body, answer.status as ContentfulStatusCode, answer.headers)
  }
}
