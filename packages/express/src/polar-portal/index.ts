import type { PolarSessions } from '@polar-session/core'
import { NO_STORE, portalRoute, type PortalRouteOptions } from '@polar-session/core/adapter'
import type { Request, RequestHandler } from 'express'
import { redirectToPortal } from '../redirect-to-portal.js'
import { requestFacts } from '../request-facts.js'

/** Options of {@link polarPortal}. A session is always required. */
export type PolarPortalOptions = PortalRouteOptions

/**
 * Express 4 and 5 route handler for the customer portal: a 303 to the portal, or
 * `{ "url": "…", "expiresAt": "…" }` when the client asks for JSON (`Accept: application/json`);
 * `Cache-Control: no-store` on both. Anonymous requests get 401; errors go to `next(err)`.
 *
 * @example
 * app.get('/portal', polarPortal(polar, { returnToParam: 'return_to' }))
 */
export function polarPortal(polar: PolarSessions<Request>, options: PolarPortalOptions = {}): RequestHandler {
  const route = portalRoute('polarPortal', polar, options)
  return function polarPortal(req, res, next) {
    route
      .answer(req, requestFacts(req, route.returnToParam), req.get('accept'))
      .then((answer) => {
        if (answer.kind === 'json') res.set('Cache-Control', NO_STORE).json(answer.body)
        else redirectToPortal(res, answer.location)
      }, next)
      .catch(next)
  }
}
