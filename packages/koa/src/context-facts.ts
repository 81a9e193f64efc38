import type { RequestFacts } from '@polar-session/core'
import type { Context } from 'koa'

/**
 * What core needs from a Koa context: the raw return-to value (a string, or an array when
 * repeated: core refuses anything but one string) and the app's own origin (`ctx.origin`,
 * which honours `app.proxy`) for relative paths.
 */
export function contextFacts(ctx: Context, returnToParam: string | undefined): RequestFacts {
  return {
    returnTo: returnToParam === undefined ? undefined : ctx.query[returnToParam],
    origin: ctx.origin,
  }
}
