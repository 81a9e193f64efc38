import type { PolarSessions } from '../create-polar-sessions.js'
import { rejectUnknownKeys } from '../option-keys.js'
import { MAX_WEBHOOK_BODY_BYTES, type VerifyWebhookOptions } from '../webhook/verify.js'
import type { AttachOptions, RequestSessionOptions } from './request-session.js'

/** Options of every adapter's `polarSession()` middleware. */
export interface SessionMiddlewareOptions extends AttachOptions {
  /**
   * Send identified requests to the customer portal (303, `Cache-Control: no-store`) instead
   * of attaching the session. Anonymous requests then get 401 unless `required: false`.
   * @default false
   */
  redirect?: boolean
}

/** Options of every adapter's portal route. A session is always required. */
export type PortalRouteOptions = Omit<RequestSessionOptions, 'required'>

/** Options of every adapter's webhook route, and of `createWebhookHandler`. */
export interface WebhookRouteOptions extends Pick<VerifyWebhookOptions, 'toleranceSec' | 'now'> {
  /** The endpoint's secret from Polar's dashboard (`whsec_…`), as is. Required. */
  secret: string
  /** Largest body accepted, in bytes; larger ones get 413. @default 1_048_576 (1 MiB) */
  maxBodyBytes?: number
}

const SESSION_KEYS = ['required', 'returnToParam', 'minRemainingMs', 'lazy', 'redirect'] as const
const PORTAL_KEYS = ['returnToParam', 'minRemainingMs'] as const
const WEBHOOK_KEYS = ['secret', 'maxBodyBytes', 'toleranceSec', 'now'] as const
/** Names Polar's own adapters and other libraries use for these options. */
const RENAMED = { returnTo: 'returnToParam', returnUrlParam: 'returnToParam', webhookSecret: 'secret' }

/** A mount-time check that `polar` is what `createPolarSessions()` returns. */
export function checkPolarSessions(where: string, polar: unknown): void {
  const candidate = polar as Partial<PolarSessions> | null
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.resolve !== 'function' ||
    typeof candidate.checkReturnUrl !== 'function'
  ) {
    throw new TypeError(`${where}: the first argument must be the object createPolarSessions() returns.`)
  }
}

/** Validates a `polarSession()` middleware's options once, at mount time. */
export function checkSessionMiddlewareOptions(where: string, options: SessionMiddlewareOptions): void {
  checkRequestOptions(where, options, SESSION_KEYS)
  for (const name of ['required', 'lazy', 'redirect'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean')
      throw new TypeError(`${where}: ${name} must be true or false.`)
  }
}

/** Validates a portal route's options once, at mount time. */
export function checkPortalRouteOptions(where: string, options: PortalRouteOptions): void {
  checkRequestOptions(where, options, PORTAL_KEYS)
}

/** Validates a webhook route's options once, at mount time; returns the body cap. */
export function checkWebhookRouteOptions(where: string, options: WebhookRouteOptions): number {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`${where}: options must be an object with the webhook secret.`)
  rejectUnknownKeys(where, options, WEBHOOK_KEYS, RENAMED)
  if (typeof options.secret !== 'string' || options.secret === '') {
    throw new TypeError(`${where}: options.secret must be the webhook secret from Polar's dashboard (whsec_…).`)
  }
  const max = options.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES
  if (!Number.isInteger(max) || max < 1) throw new TypeError(`${where}: maxBodyBytes must be a positive whole number.`)
  return max
}

function checkRequestOptions(where: string, options: RequestSessionOptions, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where}: options must be an object.`)
  rejectUnknownKeys(where, options, known, RENAMED)
  if (
    options.returnToParam !== undefined &&
    (typeof options.returnToParam !== 'string' || options.returnToParam === '')
  ) {
    throw new TypeError(`${where}: returnToParam must be a query parameter name such as 'return_to'.`)
  }
  if (
    options.minRemainingMs !== undefined &&
    !(typeof options.minRemainingMs === 'number' && options.minRemainingMs >= 0)
  ) {
    throw new TypeError(`${where}: minRemainingMs must be a number of milliseconds, 0 or more.`)
  }
}
