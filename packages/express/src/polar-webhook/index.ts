import type { PolarSessions } from '@polar-session/core'
import { nodeWebhookBody, webhookRoute, type WebhookRouteOptions } from '@polar-session/core/adapter'
import type { RequestHandler } from 'express'

/** How to keep the raw body in this framework, for the 500 a body parser causes. */
const KEEP_THE_RAW_BODY =
  'Mount the webhook route before express.json() (or any body parser), or give it express.raw({ type: "*/*" }).'

/** Options of {@link polarWebhook}. */
export type PolarWebhookOptions = WebhookRouteOptions

/**
 * Express 4 and 5 route for Polar webhooks (the answers are `webhookRoute`'s: 202, 403, 405,
 * 413, 503). It checks the signature over the raw bytes, so mount it before `express.json()`
 * (or give it `express.raw()`'s Buffer); behind a JSON parser it answers 500 saying so.
 *
 * @example
 * app.post('/webhooks/polar', polarWebhook(polar, { secret: process.env.POLAR_WEBHOOK_SECRET! }))
 * app.use(express.json())
 */
export function polarWebhook(polar: PolarSessions<any>, options: PolarWebhookOptions): RequestHandler {
  const route = webhookRoute('polarWebhook', polar, options, KEEP_THE_RAW_BODY)
  return function polarWebhook(req, res, next) {
    route
      // The raw body: a Buffer (or string) left by express.raw()/text(), else read from the stream.
      // body-parser marks what it read with `_body`; Express 4's parsers leave `{}` on types they skip.
      .answer(req.method, req.headers, () =>
        nodeWebhookBody(req, route.maxBodyBytes, [req.body], (req as { _body?: boolean })._body === true),
      )
      .then((answer) => {
        if (answer !== null) res.status(answer.status).set(answer.headers).json(answer.body)
      })
      .catch(next)
  }
}
