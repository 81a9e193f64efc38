import {
  attachSession,
  checkPolarSessions,
  checkRequestSessionOptions,
  sessionForRequest,
  type PolarSessions,
  type RequestSessionOptions,
} from '@polar-session/core'
import type { Context, Middleware } from 'koa'
import { contextFacts } from '../context-facts.js'
import { redirectToPortal } from '../redirect-to-portal.js'

/** Options of {@link polarSession}. */
export interface PolarSessionOptions extends RequestSessionOptions {
  /**
   * Send identified requests to the customer portal (303, `Cache-Control: no-store`) instead
   * of attaching the session. Anonymous requests then get 401 unless `required: false`.
   * @default false
   */
  redirect?: boolean
}

/**
 * Koa 2 and 3 middleware that gives the signed-in user a Polar customer session. The
 * instance's `identify` receives the Koa context: `identify(ctx)`.
 *
 * - attach mode (default): sets `ctx.state.polarSession` for identified requests; anonymous
 *   requests pass through untouched. It never fails a request: when something goes wrong (no
 *   Polar customer yet, Polar down, a revoked token) the request goes on with
 *   `ctx.state.polarSession` null and the error on `ctx.state.polarSessionError`, and
 *   creations here spend only `attachBudgetShare` of the creation budget;
 * - `required: true`: anonymous requests get 401, and errors are thrown;
 * - `redirect: true`: identified requests get a 303 to the customer portal; anonymous ones 401.
 *
 * Errors are thrown as `PolarSessionError` (`status`, `expose`, `headers`), so Koa's default
 * error handling answers with the right status and `Retry-After`, and `app.on('error')` sees them.
 *
 * @example
 * app.use(polarSession(polar))
 * router.get('/billing', polarSession(polar, { redirect: true, returnToParam: 'return_to' }))
 */
export function polarSession(polar: PolarSessions<Context>, options: PolarSessionOptions = {}): Middleware {
  checkPolarSessions('polarSession', polar)
  checkRequestSessionOptions('polarSession', options)
  const { redirect = false, ...rest } = options
  if (typeof redirect !== 'boolean') throw new TypeError('polarSession: redirect must be true or false.')
  const sessionOptions: RequestSessionOptions = { ...rest, required: rest.required ?? redirect }

  if (!redirect && sessionOptions.required !== true) {
    return async function polarSession(ctx, next) {
      const { session, error } = await attachSession(polar, ctx, contextFacts(ctx, sessionOptions.returnToParam), sessionOptions)
      ctx.state.polarSession = session
      ctx.state.polarSessionError = error
      return next()
    }
  }

  return async function polarSession(ctx, next) {
    const session = await sessionForRequest(polar, ctx, contextFacts(ctx, sessionOptions.returnToParam), sessionOptions)
    if (session === null) return next()
    if (!redirect) {
      ctx.state.polarSession = session
      return next()
    }
    redirectToPortal(ctx, session.customerPortalUrl)
  }
}
