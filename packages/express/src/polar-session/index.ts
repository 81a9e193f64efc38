import {
  attachSession,
  checkPolarSessions,
  checkRequestSessionOptions,
  sessionForRequest,
  type PolarSessions,
  type RequestSessionOptions,
} from '@polar-session/core'
import type { Request, RequestHandler } from 'express'
import { requestFacts } from '../request-facts.js'
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
 * Express 4 and 5 middleware that gives the signed-in user a Polar customer session.
 *
 * - attach mode (default): sets `req.polarSession` for identified requests; anonymous requests
 *   pass through untouched. It never fails a request: when something goes wrong (no Polar
 *   customer yet, Polar down, a revoked token) the request goes on with `req.polarSession`
 *   null and the error on `req.polarSessionError`, and creations here spend only
 *   `attachBudgetShare` of the creation budget;
 * - `required: true`: anonymous requests get 401, and errors go to `next(err)`;
 * - `redirect: true`: identified requests get a 303 to the customer portal; anonymous ones 401.
 *
 * Errors that reach `next(err)` are `PolarSessionError`s with `status` and `headers`, so
 * Express's default handler answers with the right status and `Retry-After`.
 *
 * @example
 * app.use(polarSession(polar))
 * app.use('/billing', polarSession(polar, { redirect: true, returnToParam: 'return_to' }))
 */
export function polarSession(polar: PolarSessions<Request>, options: PolarSessionOptions = {}): RequestHandler {
  checkPolarSessions('polarSession', polar)
  checkRequestSessionOptions('polarSession', options)
  const { redirect = false, ...rest } = options
  if (typeof redirect !== 'boolean') throw new TypeError('polarSession: redirect must be true or false.')
  const sessionOptions: RequestSessionOptions = { ...rest, required: rest.required ?? redirect }

  // Not an async function: Express 4 ignores returned promises, so every outcome is routed to
  // next() here, exactly once, and nothing is left to reject unhandled.
  if (!redirect && sessionOptions.required !== true) {
    return function polarSession(req, _res, next) {
      attachSession(polar, req, requestFacts(req, sessionOptions.returnToParam), sessionOptions).then(({ session, error }) => {
        req.polarSession = session
        req.polarSessionError = error
        next()
      }, next).catch(next)
    }
  }

  return function polarSession(req, res, next) {
    sessionForRequest(polar, req, requestFacts(req, sessionOptions.returnToParam), sessionOptions).then(
      (session) => {
        if (session === null) return next()
        if (!redirect) {
          req.polarSession = session
          return next()
        }
        redirectToPortal(res, session.customerPortalUrl)
      },
      next,
    ).catch(next)
  }
}
