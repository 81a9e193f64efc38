import type { PolarSessions } from '../create-polar-sessions.js'
import { isPolarSessionError } from '../errors.js'
import type { PolarIdentity } from '../types.js'
import { webhookInvalidations } from './invalidations.js'
import { verifyWebhook, type VerifyWebhookOptions, type WebhookHeaders } from './verify.js'

/** What a webhook route answers: a status and a JSON body. */
export interface WebhookAnswer {
  status: number
  body: { received: true; invalidated: number } | { error: string; message: string }
}

/** Input of {@link handleWebhook}. */
export interface HandleWebhookInput extends Pick<VerifyWebhookOptions, 'toleranceSec' | 'now' | 'maxBodyBytes'> {
  /** The request body exactly as received: never a re-serialised parsed body. */
  rawBody: string | Uint8Array
  /** The request headers (`req.headers` or a Fetch `Headers`). */
  headers: WebhookHeaders
  /** The endpoint's secret from Polar's dashboard (`whsec_…`), as is. */
  secret: string
}

/**
 * Verifies a Polar webhook delivery and drops the cached sessions it makes stale
 * (`customer.deleted`, `customer.updated`, `member.updated`, `member.deleted`), in every process sharing the store.
 *
 * - 202 `{ received: true, invalidated: n }`: verified; `n` identities invalidated (0 for
 *   other event types, and for ids this library would never have cached a session under);
 * - 403 `{ error: 'invalid_webhook', message }`: bad, missing or stale signature, or not an event;
 * - 503 `{ error: 'invalidation_failed', message }`: the store could not record the
 *   invalidation; Polar delivers the event again later.
 *
 * @throws TypeError when `secret` is not a non-empty string (a configuration error).
 */
export async function handleWebhook(
  polar: Pick<PolarSessions, 'invalidate'>,
  input: HandleWebhookInput,
): Promise<WebhookAnswer> {
  checkInvalidator('handleWebhook', polar)
  let identities: PolarIdentity[]
  try {
    const { toleranceSec, now, maxBodyBytes } = input
    const event = verifyWebhook(input.rawBody, input.headers, input.secret, { toleranceSec, now, maxBodyBytes })
    identities = webhookInvalidations(event)
  } catch (error) {
    if (!isPolarSessionError(error, 'invalid_webhook')) throw error
    return { status: 403, body: { error: error.code, message: error.message } }
  }
  const results = await Promise.allSettled(identities.map((identity) => polar.invalidate(identity)))
  let invalidated = 0
  for (const result of results) {
    if (result.status === 'fulfilled') invalidated++
    // An id that fails the identity rules was never a cache key: nothing to drop.
    else if (!isPolarSessionError(result.reason, 'invalid_identity')) {
      return {
        status: 503,
        body: {
          error: 'invalidation_failed',
          message: 'Could not record the invalidation; deliver the event again later.',
        },
      }
    }
  }
  return { status: 202, body: { received: true, invalidated } }
}

/** Refuses, naming `where`, anything but an object that can invalidate (what `createPolarSessions()` returns). */
export function checkInvalidator(where: string, polar: unknown): asserts polar is Pick<PolarSessions, 'invalidate'> {
  const candidate = polar as Partial<PolarSessions> | null
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.invalidate !== 'function') {
    throw new TypeError(`${where}: the first argument must be the object createPolarSessions() returns.`)
  }
}
