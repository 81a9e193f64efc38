import { NO_FACTS, type RequestFacts } from '@polar-session/core/adapter'
import type { Request } from 'express'

/**
 * What core needs from an Express request: the raw return-to value (Express 5's `simple`
 * parser gives a string or an array, Express 4's `extended` parser may give an object; core
 * refuses anything but one string) and the app's own origin for relative paths.
 */
export function requestFacts(req: Request, returnToParam: string | undefined): RequestFacts {
  // Without a return-to parameter nothing needs the origin: skip the work on the hot path.
  if (returnToParam === undefined) return NO_FACTS
  return {
    returnTo: (req.query as Record<string, unknown> | undefined)?.[returnToParam],
    origin: `${req.protocol}://${req.get('host') ?? ''}`,
  }
}
