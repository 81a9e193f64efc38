import { createHmac, timingSafeEqual } from 'node:crypto'
import { PolarSessionError } from '../errors.js'

/** Request headers as a Fetch `Headers` or a Node-style record (`req.headers`). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>

/** A verified Polar webhook event: the envelope `{ type, timestamp, data }`. */
export interface PolarWebhookEvent<Data = Record<string, unknown>> {
  /** The event type, e.g. `customer.deleted`. */
  readonly type: string
  /** When Polar emitted the event (the envelope's `timestamp`). */
  readonly timestamp: Date
  /** The event's payload object, as Polar sent it (snake_case). */
  readonly data: Data
  /** The `webhook-id` header: the same for every delivery attempt, so a key for deduplication. */
  readonly webhookId: string
}

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /**
   * How far, in seconds, the `webhook-timestamp` may be from now, in the past or the future.
   * Bounds replays of a captured delivery.
   *
   * @default 300
   */
  toleranceSec?: number
  /**
   * The clock, in milliseconds since the epoch.
   *
   * @default Date.now
   */
  now?: () => number
  /**
   * Largest body accepted, in bytes; larger bodies are rejected before any HMAC is computed.
   *
   * @default 1_048_576 (1 MiB)
   */
  maxBodyBytes?: number
}

/** The default of {@link VerifyWebhookOptions.maxBodyBytes}. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024

const MAX_HEADER_LENGTH = 8 * 1024

/**
 * Verifies a Polar webhook delivery and returns its parsed event, or throws a
 * {@link PolarSessionError} with code `invalid_webhook` (status 403).
 *
 * Polar signs with Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`:
 * space-separated `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` entries), but keys
 * the HMAC with the **whole secret string as UTF-8, `whsec_` prefix included**, not with the
 * base64-decoded rest as in the usual convention. Pass the secret exactly as Polar shows it.
 *
 * The signature is checked over the raw request bytes: pass the body before any JSON
 * parsing (`express.raw({ type: 'application/json' })`, `await request.text()`,
 * `await request.arrayBuffer()` wrapped in a `Uint8Array`). Comparisons are constant-time.
 * Error messages say what failed, never the secret, the body or a signature.
 *
 * @param rawBody The request body exactly as received.
 * @param headers The request headers; names are matched case-insensitively.
 * @param secret The webhook secret from Polar's dashboard (`whsec_…`), as is.
 * @throws PolarSessionError `invalid_webhook` for a missing header, a timestamp outside the
 *   tolerance, no matching signature, an oversized body, or a body that is not an event.
 * @throws TypeError when `secret` is not a non-empty string (a configuration error).
 */
export function verifyWebhook(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
  opts: VerifyWebhookOptions = {},
): PolarWebhookEvent {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new TypeError('verifyWebhook: the webhook secret must be a non-empty string')
  }
  const toleranceSec = opts.toleranceSec ?? 300
  const now = opts.now ?? Date.now
  const maxBodyBytes = opts.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES

  const body = toBytes(rawBody)
  if (body === null) throw invalid('the body must be a string or a Uint8Array')
  if (body.byteLength > maxBodyBytes) throw invalid(`the body is larger than ${maxBodyBytes} bytes`)

  const id = singleHeader(headers, 'webhook-id')
  const timestamp = singleHeader(headers, 'webhook-timestamp')
  const signatures = header(headers, 'webhook-signature')
  if (id === undefined || id === '') throw invalid('the webhook-id header is missing')
  if (timestamp === undefined || timestamp === '') throw invalid('the webhook-timestamp header is missing')
  if (signatures === undefined || signatures.trim() === '') {
    throw invalid('the webhook-signature header is missing')
  }
  if (id.length > MAX_HEADER_LENGTH || signatures.length > MAX_HEADER_LENGTH) {
    throw invalid('a webhook header is too long')
  }

  if (!/^\d{1,12}$/.test(timestamp)) throw invalid('the webhook-timestamp header is not a Unix time in seconds')
  const sentAt = Number(timestamp)
  const nowSec = Math.floor(now() / 1000)
  if (Math.abs(nowSec - sentAt) > toleranceSec) {
    throw invalid(`the webhook timestamp is more than ${toleranceSec} seconds away from now`)
  }

  const expected = createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(`${id}.${timestamp}.`, 'utf8')
    .update(body)
    .digest()
  let matched = false
  for (const entry of signatures.split(/\s+/)) {
    const comma = entry.indexOf(',')
    if (comma === -1 || entry.slice(0, comma) !== 'v1') continue
    // Headers#get joins repeated headers with ", ": drop the comma that leaves on an entry.
    const given = Buffer.from(entry.slice(comma + 1).replace(/,$/, ''), 'base64')
    // Check every entry (no early exit), each in constant time.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true
  }
  if (!matched) throw invalid('no webhook signature matches')

  return parseEvent(body, id)
}

function parseEvent(body: Uint8Array, webhookId: string): PolarWebhookEvent {
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch {
    throw invalid('the webhook body is not JSON')
  }
  if (!isObject(parsed) || typeof parsed.type !== 'string' || parsed.type === '') {
    throw invalid('the webhook body is not an event: no type')
  }
  if (!isObject(parsed.data)) throw invalid('the webhook body is not an event: no data object')
  const timestamp = typeof parsed.timestamp === 'string' ? new Date(parsed.timestamp) : undefined
  if (timestamp === undefined || Number.isNaN(timestamp.getTime())) {
    throw invalid('the webhook body is not an event: no valid timestamp')
  }
  return { type: parsed.type, timestamp, data: parsed.data, webhookId }
}

function toBytes(body: unknown): Uint8Array | null {
  if (typeof body === 'string') return Buffer.from(body, 'utf8')
  if (body instanceof Uint8Array) return body
  return null
}

/** A header's value, several values joined with a space (how `webhook-signature` lists them). */
function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return headers.get(name) ?? undefined
  const record = headers as Record<string, string | string[] | undefined>
  let value = record[name]
  if (value === undefined) {
    for (const key of Object.keys(record)) {
      if (key.toLowerCase() === name) {
        value = record[key]
        break
      }
    }
  }
  if (Array.isArray(value)) return value.join(' ')
  return typeof value === 'string' ? value : undefined
}

/** A header that must hold one value: repeated values are refused. */
function singleHeader(headers: WebhookHeaders, name: string): string | undefined {
  const value = header(headers, name)
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/[\s,]/.test(trimmed)) throw invalid(`the ${name} header holds more than one value`)
  return trimmed
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function invalid(message: string): PolarSessionError {
  return new PolarSessionError('invalid_webhook', `Invalid webhook: ${message}.`, { status: 403 })
}
