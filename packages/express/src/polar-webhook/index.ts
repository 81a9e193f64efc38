import {
  checkWebhookOptions,
  handleWebhook,
  readNodeBody,
  type NodeBodyRead,
  type PolarSessions,
  type PolarWebhookOptions,
  type WebhookAnswer,
} from '@polar-session/core'
import type { Request, RequestHandler, Response } from 'express'

export type { PolarWebhookOptions } from '@polar-session/core'

/**
 * Express 4 and 5 route for Polar webhooks: verifies the signature over the raw body and drops
 * the cached sessions that `customer.deleted`, `customer.updated` and `member.deleted` make
 * stale, in every process sharing the store. Answers 202 `{ received, invalidated }`, 403
 * `invalid_webhook`, 413 over `maxBodyBytes` (1 MiB), 405 for other methods.
 *
 * It reads the body itself: mount it before `express.json()` (or give it `express.raw()`'s
 * Buffer). Behind a JSON parser the raw bytes are gone, and it answers 500 saying so.
 *
 * @example
 * app.post('/webhooks/polar', polarWebhook(polar, { secret: process.env.POLAR_WEBHOOK_SECRET! }))
 * app.use(express.json())
 */
export function polarWebhook(polar: PolarSessions<any>, options: PolarWebhookOptions): RequestHandler {
  const maxBodyBytes = checkWebhookOptions('polarWebhook', polar, options)
  const settings = { ...options, maxBodyBytes }

  return function polarWebhook(req, res, next) {
    if (req.method !== 'POST') {
      res.set('Allow', 'POST')
      return send(res, { status: 405, body: { error: 'method_not_allowed', message: 'Polar webhooks are POSTed.' } })
    }
    rawBody(req, maxBodyBytes)
      .then(async (read) => {
        if (read === 'parsed') return send(res, PARSED)
        if (read.kind === 'aborted') return
        if (read.kind === 'too-large') return send(res, TOO_LARGE)
        send(res, await handleWebhook(polar, { ...settings, rawBody: read.body, headers: req.headers }))
      })
      .catch(next)
  }
}

const TOO_LARGE: WebhookAnswer = { status: 413, body: { error: 'payload_too_large', message: 'The webhook body is too large.' } }
const PARSED: WebhookAnswer = {
  status: 500,
  body: {
    error: 'webhook_body_parsed',
    message:
      'polarWebhook needs the raw request body to check the signature, but a body parser already consumed it. ' +
      'Mount the webhook route before express.json() (or any body parser), or give it express.raw({ type: "*/*" }).',
  },
}

function send(res: Response, answer: WebhookAnswer): void {
  res.status(answer.status).set('Cache-Control', 'no-store').json(answer.body)
}

/** The raw body: a Buffer (or string) left by express.raw()/text(), else read from the stream. */
async function rawBody(req: Request, max: number): Promise<NodeBodyRead | 'parsed'> {
  const body: unknown = req.body
  if (Buffer.isBuffer(body) || typeof body === 'string') {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')
    return bytes.length > max ? { kind: 'too-large' } : { kind: 'ok', body: bytes }
  }
  // body-parser marks what it read with `_body`; Express 4's parsers leave `{}` on types they skip.
  if ((req as { _body?: boolean })._body === true || req.readableEnded) return 'parsed'
  return readNodeBody(req, max)
}
