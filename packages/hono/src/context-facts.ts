import { NO_FACTS, type RequestFacts } from '@polar-session/core/adapter'
import type { Context } from 'hono'

/**
 * What core needs from a Hono context: the raw return-to value (one string, or all values of a
 * repeated parameter: core refuses anything but one string) and the app's own origin for
 * relative paths, from the request URL the runtime gives Hono.
 */
export function contextFacts(c: Context, returnToParam: string | undefined): RequestFacts {
  // Without a return-to parameter nothing needs the origin: skip the work on the hot path.
  if (returnToParam === undefined) return NO_FACTS
  const values = c.req.queries(returnToParam)
  return { returnTo: values?.length === 1 ? values[0] : values, origin: new URL(c.req.url).origin }
}
