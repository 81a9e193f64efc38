import type { PolarSessions } from '@polar-session/core'
import { NO_STORE, type PortalAnswer, portalRoute, type PortalRouteOptions } from '@polar-session/core/adapter'
import type { Context, Handler } from 'hono'
import { asHttpException, redirectToPortal } from '../answers.js'
import { contextFacts } from '../context-facts.js'

/** Options of {@link polarPortal}. A session is always required. */
export type PolarPortalOptions = PortalRouteOptions

/**
 * Hono handler for the customer portal: a 303 to the portal, or `{ "url": "…", "expiresAt": "…" }`
 * when the client asks for JSON (`Accept: application/json`); `Cache-Control: no-store` on both.
 * Anonymous requests get 401; errors are thrown as `HTTPException`s with their status and headers.
 *
 * @example
 * app.get('/portal', polarPortal(polar, { returnToParam: 'return_to' }))
 */
export function polarPortal(polar: PolarSessions<Context>, options: PolarPortalOptions = {}): Handler {
  const route = portalRoute('polarPortal', polar, options)
  return async function polarPortal(c) {
    let answer: PortalAnswer
    try {
      answer = await route.answer(c, contextFacts(c, route.returnToParam), c.req.header('accept'))
    } catch (error) {
      throw asHttpException(error)
    }
    if (answer.kind === 'redirect') return redirectToPortal(c, answer.location)
    return c.json(answer.body, 200, { 'Cache-Control': NO_STORE })
  }
}
