import { NO_FACTS, type RequestFacts } from '@polar-session/core/adapter'
import type { Context } from 'koa'

/**
 * What core needs from a Koa context: the raw return-to value (a string, or an array when
 * repeated: core refuses anything but one string) and the app's own origin for relative paths.
 *
 * The origin is `${ctx.protocol}://${ctx.host}` (both honour `app.proxy`), not `ctx.origin`:
 * Koa 2's `ctx.origin` is that, but Koa 3's is the client's `Origin` request header (or null).
 */
export function contextFacts(ctx: Context, returnToParam: string | undefined): RequestFacts {
  // Without a return-to parameter nothing needs the origin: skip the work on the hot path.
  if (returnToParam === undefined) return NO_FACTS
  return { returnTo: ctx.query[returnToParam], origin: `${ctx.protocol}://${ctx.host}` }
}
