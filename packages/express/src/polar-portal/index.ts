import {
  checkPolarSessions,
  checkRequestSessionOptions,
  NO_STORE,
  portalJson,
  sessionForRequest,
  wantsJson,
  type PolarSessions,
  type RequestSessionOptions,
} from '@polar-session/core'
import type { Request, RequestHandler } from 'express'
import { requestFacts } from '../request-facts.js'
import { redirectToPortal } from '../redirect-to-portal.js'

/** Options of {@link polarPortal}. A session is always required. */
export type PolarPortalOptions = Omit<RequestSessionOptions, 'required'>

/**
 * Express 4 and 5 route handler for the customer portal: a 303 to the portal, or
 * `{ "url": "…", "expiresAt": "…" }` when the client asks for JSON (`Accept: application/json`);
 * `Cache-Control: no-store` on both. Anonymous requests get 401; errors go to `next(err)`.
 *
 * @example
 * app.get('/portal', polarPortal(polar, { returnToParam: 'return_to' }))
 */
export function polarPortal(polar: PolarSessions<Request>, options: PolarPortalOptions = {}): RequestHandler {
  checkPolarSessions('polarPortal', polar)
  checkRequestSessionOptions('polarPortal', options)
  const sessionOptions: RequestSessionOptions = { ...options, required: true }

  return function polarPortal(req, res, next) {
    sessionForRequest(polar, req, requestFacts(req, sessionOptions.returnToParam), sessionOptions).then(
      (session) => {
        res.set('Cache-Control', NO_STORE)
        if (wantsJson(req.get('accept'))) {
          res.json(portalJson(session!))
        } else {
          redirectToPortal(res, session!.customerPortalUrl)
        }
      },
      next,
    ).catch(next)
  }
}
