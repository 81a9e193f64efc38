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
import type { Context, Middleware } from 'koa'
import { contextFacts } from '../context-facts.js'
import { redirectToPortal } from '../redirect-to-portal.js'

/** Options of {@link polarPortal}. A session is always required. */
export type PolarPortalOptions = Omit<RequestSessionOptions, 'required'>

/**
 * Koa 2 and 3 route handler for the customer portal: a 303 to the portal, or
 * `{ "url": "…", "expiresAt": "…" }` when the client asks for JSON (`Accept: application/json`);
 * `Cache-Control: no-store` on both. Anonymous requests get 401. `identify` receives `ctx`.
 *
 * @example
 * router.get('/portal', polarPortal(polar, { returnToParam: 'return_to' }))
 */
export function polarPortal(polar: PolarSessions<Context>, options: PolarPortalOptions = {}): Middleware {
  checkPolarSessions('polarPortal', polar)
  checkRequestSessionOptions('polarPortal', options)
  const sessionOptions: RequestSessionOptions = { ...options, required: true }

  return async function polarPortal(ctx) {
    const session = (await sessionForRequest(polar, ctx, contextFacts(ctx, sessionOptions.returnToParam), sessionOptions))!
    ctx.set('Cache-Control', NO_STORE)
    if (wantsJson(ctx.get('accept'))) {
      ctx.body = portalJson(session)
      return
    }
    redirectToPortal(ctx, session.customerPortalUrl)
  }
}
