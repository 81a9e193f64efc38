import type { PolarSessions } from '@polar-session/core'
import { NO_STORE, portalRoute, type PortalRouteOptions } from '@polar-session/core/adapter'
import type { Context, Middleware } from 'koa'
import { contextFacts } from '../context-facts.js'
import { redirectToPortal } from '../redirect-to-portal.js'

/** Options of {@link polarPortal}. A session is always required. */
export type PolarPortalOptions = PortalRouteOptions

/**
 * Koa 2 and 3 route for the customer portal: a 303 to the portal, or
 * `{ "url": "…", "expiresAt": "…" }` when the client asks for JSON (`Accept: application/json`);
 * `Cache-Control: no-store` on both. Anonymous requests get 401. `identify` receives `ctx`.
 *
 * @example
 * router.get('/portal', polarPortal(polar, { returnToParam: 'return_to' }))
 */
export function polarPortal(polar: PolarSessions<Context>, options: PolarPortalOptions = {}): Middleware {
  const route = portalRoute('polarPortal', polar, options)
  return async function polarPortal(ctx) {
    const answer = await route.answer(ctx, contextFacts(ctx, route.returnToParam), ctx.get('accept'))
    if (answer.kind === 'redirect') return redirectToPortal(ctx, answer.location)
    ctx.set('Cache-Control', NO_STORE)
    ctx.body = answer.body
  }
}
