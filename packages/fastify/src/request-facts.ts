import { NO_FACTS, type RequestFacts } from '@polar-session/core/adapter'
import type { FastifyRequest } from 'fastify'

/**
 * What core needs from a Fastify request: the raw return-to value (Fastify's query parser gives a
 * string, or an array when repeated: core refuses anything but one string) and the app's own
 * origin for relative paths. The host with its port is `request.host` in Fastify 5 and
 * `request.hostname` in Fastify 4; with `trustProxy`, both and `request.protocol` honour
 * `X-Forwarded-*`.
 */
export function requestFacts(request: FastifyRequest, returnToParam: string | undefined): RequestFacts {
  // Without a return-to parameter nothing needs the origin: skip the work on the hot path.
  if (returnToParam === undefined) return NO_FACTS
  const host = (request as { host?: string }).host ?? request.hostname
  return {
    returnTo: (request.query as Record<string, unknown> | undefined)?.[returnToParam],
    origin: `${request.protocol}://${host}`,
  }
}
