import type { PolarSessions } from '../create-polar-sessions.js'
import { checkInvalidator, handleWebhook } from '../webhook/handler.js'
import type { WebhookHeaders } from '../webhook/verify.js'
import { checkWebhookRouteOptions, type WebhookRouteOptions } from './check-options.js'
import { NO_STORE } from './portal-answer.js'

/**
 * A webhook body as a framework has it: its bytes, too large, the client gone, or `parsed`
 * (a body parser consumed the stream without keeping the raw bytes the signature covers).
 */
export type WebhookBody =
  | { kind: 'ok'; body: Uint8Array }
  | { kind: 'too-large' }
  | { kind: 'aborted' }
  | { kind: 'parsed' }

/** A webhook route's answer: always JSON with `Cache-Control: no-store`. */
export interface WebhookResponse {
  status: number
  headers: Record<string, string>
  body: object
}

/** Everything a framework's webhook route does, but reading the body and answering. */
export interface WebhookRoute {
  readonly maxBodyBytes: number
  /**
   * The answer to a delivery; `read` is called only for a POST. Null when the client went away
   * while sending (nobody to answer). 202 verified, 403 bad signature, 405, 413, 500 when a body
   * parser ate the body (saying how to mount the route), 503 when the store failed.
   */
  answer(method: string, headers: WebhookHeaders, read: () => Promise<WebhookBody>): Promise<WebhookResponse | null>
}

const respond = (status: number, body: object, headers: Record<string, string> = {}): WebhookResponse => ({
  status,
  headers: { 'Cache-Control': NO_STORE, ...headers },
  body,
})

/**
 * The webhook route of every adapter, framework aside: verifies Polar's signature over the raw
 * body and drops the cached sessions that `customer.deleted`, `customer.updated`,
 * `member.updated` and `member.deleted` make stale, in every process sharing the store.
 * `parsedHint` tells this framework's users how to keep the raw body.
 */
export function webhookRoute(
  where: string,
  polar: Pick<PolarSessions, 'invalidate'>,
  options: WebhookRouteOptions,
  parsedHint: string,
): WebhookRoute {
  checkInvalidator(where, polar)
  const maxBodyBytes = checkWebhookRouteOptions(where, options)
  const { secret, toleranceSec, now } = options
  return {
    maxBodyBytes,
    async answer(method, headers, read) {
      if (method !== 'POST')
        return respond(405, { error: 'method_not_allowed', message: 'Polar webhooks are POSTed.' }, { Allow: 'POST' })
      const body = await read()
      switch (body.kind) {
        case 'aborted':
          return null
        case 'too-large':
          return respond(413, { error: 'payload_too_large', message: 'The webhook body is too large.' })
        case 'parsed':
          return respond(500, {
            error: 'webhook_body_parsed',
            message: `${where} needs the raw request body to check the signature, but a body parser already consumed it. ${parsedHint}`,
          })
        case 'ok': {
          const answer = await handleWebhook(polar, {
            rawBody: body.body,
            headers,
            secret,
            toleranceSec,
            now,
            maxBodyBytes,
          })
          return respond(answer.status, answer.body)
        }
      }
    },
  }
}
