import { NO_STORE } from '@polar-session/core/adapter'
import type { FastifyReply } from 'fastify'

/**
 * A 303 to the portal with no body. Not `reply.redirect()`: its arguments swapped places between
 * Fastify 4 (`code, url`) and 5 (`url, code`).
 */
export function redirectToPortal(reply: FastifyReply, portalUrl: string): FastifyReply {
  return reply.code(303).header('Cache-Control', NO_STORE).header('Location', portalUrl).send()
}
