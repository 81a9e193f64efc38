import type { RequestFacts } from '@polar-session/core'
import type { Request } from 'express'

/**
 * What core needs from an Express request: the raw return-to value (Express 5's `simple`
 * parser gives a string or an array, Express 4's `extended` parser may give an object; core
 * refuses anything but one string) and the app's own origin for relative paths.
 */
export function requestFacts(req: Request, returnToParam: string | undefined): RequestFacts {
  return {
    returnTo: returnToParam === undefined ? undefined : (req.query as Record<string, unknown> | undefined)?.[returnToParam],
    origin: `${req.protocol}://${req.get('host') ?? ''}`,
  }
}
