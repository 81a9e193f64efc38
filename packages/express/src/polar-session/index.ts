import {
  attachSession,
  checkPolarSessions,
  checkRequestSessionOptions,
  lazySession,
  sessionForRequest,
  type AttachedSession,
  type AttachOptions,
  type PolarSessions,
  type RequestSessionOptions,
} from '@polar-session/core'
import type { Request, RequestHandler } from 'express'
import { requestFacts } from '../request-facts.js'
import { redirectToPortal } from '../redirect-to-portal.js'

/** Options of {@link polarSession}. */
export interface PolarSessionOptions extends AttachOptions {
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
 * - attach mode (default), lazy: sets `req.polarSession` when a session is already cached,
 *   and `req.getPolarSession()`, which creates one where it is needed (a billing link);
 * - attach mode with `lazy: false`: gets a session for every signed-in request (creations
 *   here spend only `attachBudgetShare` of the creation budget);
 * - in attach mode nothing fails the request: when something goes wrong (no Polar customer
 *   yet, Polar down, a revoked token) `req.polarSession` is null and the error is on
 *   `req.polarSessionError`; anonymous requests get null and no error;
 * - `required: true`: anonymous requests get 401, and errors go to `next(err)`;
 * - `redirect: true`: identified requests get a 303 to the customer portal; anonymous ones 401.
 *
 * Errors that reach `next(err)` are `PolarSessionError`s with `status` and `headers`, so
 * Express's default handler answers with the right status and `Retry-After`.
 *
 * @example
 * app.use(polarSession(polar))
 * app.get('/account', async (req, res) => res.render('account', { session: await req.getPolarSession() }))
 * app.use('/billing', polarSession(polar, { redirect: true, returnToParam: 'return_to' }))
 */
export function polarSession(polar: PolarSessions<Request>, options: PolarSessionOptions = {}): RequestHandler {
  checkPolarSessions('polarSession', polar)
  checkRequestSessionOptions('polarSession', options)
  const { redirect = false, lazy = true, ...rest } = options
  if (typeof redirect !== 'boolean') throw new TypeError('polarSession: redirect must be true or false.')
  if (typeof lazy !== 'boolean') throw new TypeError('polarSession: lazy must be true or false.')
  const sessionOptions: RequestSessionOptions = { ...rest, required: rest.required ?? redirect }
  const param = sessionOptions.returnToParam

  // Not async functions: Express 4 ignores returned promises, so every outcome is routed to
  // next() here, exactly once, and nothing is left to reject unhandled.
  if (!redirect && sessionOptions.required !== true) {
    const attach = (req: Request, { session, error }: AttachedSession): void => {
      req.polarSession = session
      req.polarSessionError = error
    }
    if (lazy) {
      return function polarSession(req, _res, next) {
        lazySession(polar, req, requestFacts(req, param), sessionOptions, (settled) => attach(req, settled))
          .then((lazily) => {
            attach(req, lazily)
            req.getPolarSession = lazily.get
            next()
          }, next)
          .catch(next)
      }
    }
    return function polarSession(req, _res, next) {
      attachSession(polar, req, requestFacts(req, param), sessionOptions)
        .then((attached) => {
          attach(req, attached)
          next()
        }, next)
        .catch(next)
    }
  }

  return function polarSession(req, res, next) {
    sessionForRequest(polar, req, requestFacts(req, param), sessionOptions).then(
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
