import { errorResponse } from '@polar-session/core'
import { NO_STORE } from '@polar-session/core/adapter'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * A 303 to the portal with no body and `Cache-Control: no-store`: the URL is a credential (it
 * embeds the token and the email), never to be cached or repeated in a body.
 */
export function redirectToPortal(c: Context, portalUrl: string): Response {
  return c.body(null, 303, { Location: portalUrl, 'Cache-Control': NO_STORE })
}

/**
 * An error as Hono's `HTTPException`, whose response is core's Fetch answer for it (JSON
 * `{ error, message }`, its status, `Retry-After`, `WWW-Authenticate`): Hono's default error
 * handler, and any `onError` that returns `err.getResponse()`, answer correctly; the error itself
 * (a `PolarSessionError`, or the app's own from `identify`) is its `cause`.
 */
export function asHttpException(error: unknown): HTTPException {
  const res = errorResponse(error)
  return new HTTPException(res.status as ContentfulStatusCode, { res, cause: error })
}
