import type { PolarSessions } from '@polar-session/core'
import { NO_STORE, portalRoute, type PortalRouteOptions } from '@polar-session/core/adapter'
import type { FastifyRequest, RouteHandlerMethod } from 'fastify'
import { redirectToPortal } from '../redirect-to-portal.js'
import { requestFacts } from '../request-facts.js'

/** Options of {@link polarPortal}. A session is always required. */
export type PolarPortalOptions = PortalRouteOptions

/**
 * Fastify 4 and 5 route handler for the customer portal: a 303 to the portal, or
 * `{ "url": "…", "expiresAt": "…" }` when the client asks for JSON (`Accept: application/json`);
 * `Cache-Control: no-store` on both. Anonymous requests get 401; errors are thrown to Fastify's
 * error handler with their `statusCode` and headers.
 *
 * @example
 * app.get('/portal', polarPortal(polar, { returnToParam: 'return_to' }))
 */
export function polarPortal(
  polar: PolarSessions<FastifyRequest>,
  options: PolarPortalOptions = {},
): RouteHandlerMethod {
  const route = portalRoute('polarPortal', polar, options)
  return async function polarPortal(request, reply) {
    const answer = await route.answer(request, requestFacts(request, route.returnToParam), request.headers.accept)
    if (answer.kind === 'redirect') return redirectToPortal(reply, answer.location)
    return reply.header('Cache-Control', NO_STORE).send(answer.body)
  }
}
