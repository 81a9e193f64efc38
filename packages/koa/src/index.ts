/**
 * Koa 2 and 3 adapter of polar-session: `polarSession` (middleware) and `polarPortal`
 * (route handler). The instance's `identify` receives the Koa context: `identify(ctx)`.
 * Importing the package types `ctx.state.polarSession`.
 *
 * @example
 * import { createPolarSessions } from '@polar-session/core'
 * import { polarPortal, polarSession } from '@polar-session/koa'
 *
 * const polar = createPolarSessions({
 *   accessToken: process.env.POLAR_ACCESS_TOKEN!,
 *   identify: (ctx) => (ctx.state.user ? { externalCustomerId: ctx.state.user.id } : null),
 * })
 * app.use(polarSession(polar))
 * router.get('/portal', polarPortal(polar))
 */
import type { SessionTarget } from '@polar-session/core/adapter'

export { polarSession } from './polar-session/index.js'
export type { PolarSessionMiddlewareOptions } from './polar-session/index.js'
export { polarPortal } from './polar-portal/index.js'
export type { PolarPortalOptions } from './polar-portal/index.js'
export { polarWebhook } from './polar-webhook/index.js'
export type { PolarWebhookOptions } from './polar-webhook/index.js'
export { PolarSessionError, isPolarSessionError } from '@polar-session/core'

declare module 'koa' {
  /** `ctx.state.polarSession`, `polarSessionError`, `getPolarSession()`: see `polarSession()`. */
  interface DefaultState extends SessionTarget {}
}
