import { NO_STORE } from '@polar-session/core/adapter'
import type { Context } from 'koa'

/**
 * A 303 to the portal with an empty body: `ctx.redirect()` would repeat the URL (a credential:
 * it embeds the token and the email) in a "Redirecting to …" body.
 */
export function redirectToPortal(ctx: Context, portalUrl: string): void {
  ctx.status = 303
  ctx.set('Cache-Control', NO_STORE)
  ctx.set('Location', portalUrl)
  ctx.body = '' // not null: Koa would turn a null body into a 204
}
