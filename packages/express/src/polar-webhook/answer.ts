// TODO(lead): once `handleWebhook` is exported from @polar-session/core's entry, replace this
// file's body with a re-export of it; it mirrors core's webhook/handler.ts, built only from
// core's public API so that this package builds before that export exists.
import {
  isPolarSessionError,
  MAX_WEBHOOK_BODY_BYTES,
  verifyWebhook,
  webhookInvalidations,
  type PolarIdentity,
  type PolarSessions,
  type VerifyWebhookOptions,
  type WebhookHeaders,
} from '@polar-session/core'

/** Options of the webhook route. */
export interface PolarWebhookOptions extends Pick<VerifyWebhookOptions, 'toleranceSec' | 'now'> {
  /** The endpoint's secret from Polar's dashboard (`whsec_…`), as is. */
  secret: string
  /** Largest body accepted, in bytes; larger ones get 413. @default 1_048_576 (1 MiB) */
  maxBodyBytes?: number
}

export interface WebhookAnswer {
  status: number
  body: { received: true; invalidated: number } | { error: string; message: string }
}

/** Validates the options at mount time; returns the body cap. */
export function checkWebhookOptions(where: string, polar: PolarSessions<any>, options: PolarWebhookOptions): number {
  if (typeof polar !== 'object' || polar === null || typeof polar.invalidate !== 'function') {
    throw new TypeError(`${where}: the first argument must be the object createPolarSessions() returns.`)
  }
  if (typeof options !== 'object' || options === null || typeof options.secret !== 'string' || options.secret === '') {
    throw new TypeError(`${where}: options.secret must be the webhook secret from Polar's dashboard (whsec_…).`)
  }
  const max = options.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES
  if (!Number.isInteger(max) || max < 1) throw new TypeError(`${where}: maxBodyBytes must be a positive whole number.`)
  return max
}

/** Verifies, then invalidates: 202, 403 `invalid_webhook`, or 503 when the store failed. */
export async function answerWebhook(
  polar: PolarSessions<any>,
  rawBody: Uint8Array,
  headers: WebhookHeaders,
  options: PolarWebhookOptions,
): Promise<WebhookAnswer> {
  let identities: PolarIdentity[]
  try {
    const { secret, toleranceSec, now, maxBodyBytes } = options
    identities = webhookInvalidations(verifyWebhook(rawBody, headers, secret, { toleranceSec, now, maxBodyBytes }))
  } catch (error) {
    if (!isPolarSessionError(error, 'invalid_webhook')) throw error
    return { status: 403, body: { error: error.code, message: error.message } }
  }
  const results = await Promise.allSettled(identities.map((identity) => polar.invalidate(identity)))
  let invalidated = 0
  for (const result of results) {
    if (result.status === 'fulfilled') invalidated++
    else if (!isPolarSessionError(result.reason, 'invalid_identity')) {
      return { status: 503, body: { error: 'invalidation_failed', message: 'Could not record the invalidation; deliver the event again later.' } }
    }
  }
  return { status: 202, body: { received: true, invalidated } }
}
