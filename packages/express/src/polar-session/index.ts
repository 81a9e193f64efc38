import type { PolarSessions } from '@polar-session/core'
import { sessionMiddleware, type SessionMiddlewareOptions } from '@polar-session/core/adapter'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { redirectToPortal } from '../redirect-to-portal.js'
import { requestFacts } from '../request-facts.js'

/** Options of {@link polarSession}. */
export type PolarSessionMiddlewareOptions = SessionMiddlewareOptions

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
export function polarSession(
  polar: PolarSessions<Request>,
  options: PolarSessionMiddlewareOptions = {},
): RequestHandler {
  const middleware = sessionMiddleware('polarSession', polar, options)
  const answer = (res: Response, next: NextFunction, portalUrl: string | null): void =>
    portalUrl === null ? next() : redirectToPortal(res, portalUrl)
  // Not an async function: Express 4 ignores returned promises, so every outcome is routed to
  // next() here, exactly once, and nothing is left to reject unhandled. A session at hand (a
  // cache hit) goes on at once, with no promise.
  return function polarSession(req, res, next) {
    const portalUrl = middleware.run(req, requestFacts(req, middleware.returnToParam), req)
    if (!(portalUrl instanceof Promise)) return answer(res, next, portalUrl)
    portalUrl.then((url) => answer(res, next, url), next).catch(next)
  }
}
