// Polar's webhook signatures, for tests of webhook receivers.
// Standard Webhooks headers and signed content ("{id}.{timestamp}.{body}"),
// with Polar's twist: the HMAC key is the WHOLE secret string, `whsec_`
// prefix included, as UTF-8 bytes (the SDK hands base64(utf8(secret)) to the
// standardwebhooks library, which base64-decodes it back). A receiver that
// strips `whsec_` and base64-decodes the rest, as the Standard Webhooks
// default does, will reject these signatures, exactly as it would Polar's.

import { createHmac, randomUUID } from 'node:crypto'

export interface WebhookHeaders {
  'webhook-id': string
  'webhook-timestamp': string
  'webhook-signature': string
}

export function signWebhook(
  secret: string,
  payload: string,
  opts: { id?: string; timestamp?: number } = {},
): WebhookHeaders {
  if (typeof secret !== 'string' || secret === '')
    throw new TypeError('signWebhook(): secret must be a non-empty string')
  if (typeof payload !== 'string') throw new TypeError('signWebhook(): payload must be the raw body string')
  const id = opts.id ?? randomUUID()
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000)
  if (!Number.isInteger(timestamp))
    throw new TypeError('signWebhook(): timestamp must be whole seconds since the epoch')
  const signature = createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(`${id}.${timestamp}.${payload}`, 'utf8')
    .digest('base64')
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}` }
}
