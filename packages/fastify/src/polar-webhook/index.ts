import type { PolarSessions } from '@polar-session/core'
import { readNodeBody, webhookRoute, type WebhookBody, type WebhookRouteOptions } from '@polar-session/core/adapter'
import type { FastifyPluginAsync } from 'fastify'

/** Never shown: the plugin's own parser keeps the raw body whatever parsers the app has. */
const OWN_PARSER = 'Register polarWebhook() with app.register(): it reads the body with a parser of its own.'
const EMPTY: WebhookBody = { kind: 'ok', body: new Uint8Array(0) }

/** Options of {@link polarWebhook}. */
export type PolarWebhookOptions = WebhookRouteOptions

/**
 * Fastify 4 and 5 route plugin for Polar webhooks, answering as core's `webhookRoute` does (202,
 * 403, 405, 413, 503). Register it with the path as `prefix`. The signature covers the raw
 * bytes, so it reads the body with a content-type parser of its own, in its own encapsulated
 * context: the app's JSON parser (Fastify's or yours) stays as it is for every other route.
 *
 * @example
 * app.register(polarWebhook(polar, { secret: process.env.POLAR_WEBHOOK_SECRET! }), { prefix: '/webhooks/polar' })
 */
export function polarWebhook(polar: PolarSessions<any>, options: PolarWebhookOptions): FastifyPluginAsync {
  const route = webhookRoute('polarWebhook', polar, options, OWN_PARSER)
  return async function polarWebhook(app) {
    // Not wrapped in fastify-plugin, so these parsers are this context's alone.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', (_request, payload, done) => {
      readNodeBody(payload, route.maxBodyBytes).then((body) => done(null, body))
    })
    // Every method, so that core answers 405 (with Allow) rather than Fastify 404.
    app.all('/', async function polarWebhook(request, reply) {
      // No body at all (no Content-Type, no length): the parser never ran.
      const body = (request.body as WebhookBody | undefined) ?? EMPTY
      const answer = await route.answer(request.method, request.headers, async () => body)
      // The client went away mid-body; Fastify answers its own broken uploads 400 too.
      if (answer === null) return reply.code(400).send()
      return reply.code(answer.status).headers(answer.headers).send(answer.body)
    })
  }
}
