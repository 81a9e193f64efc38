import {
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
 *   pass through untouched (401 with `required: true`);
 * - `redirect: true`: identified requests get a 303 to the customer portal; anonymous ones 401.
 *
 * Errors (`PolarSessionError`, with `status` and `headers`) go to `next(err)`, so Express's
 * default handler answers with the right status and `Retry-After`.
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
