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
import type { PolarSession, PolarSessionError } from '@polar-session/core'

export { polarSession } from './polar-session/index.js'
export type { PolarSessionOptions } from './polar-session/index.js'
export { polarPortal } from './polar-portal/index.js'
export { polarWebhook } from './polar-webhook/index.js'
export type { PolarWebhookOptions } from './polar-webhook/index.js'
export type { PolarPortalOptions } from './polar-portal/index.js'

export { PolarSessionError, isPolarSessionError } from '@polar-session/core'
export type {
  Identify,
  IdentifyResult,
  PolarCustomer,
  PolarIdentity,
  PolarSession,
  PolarSessionErrorCode,
  PolarSessions,
  PolarSessionsOptions,
  RequestSessionOptions,
} from '@polar-session/core'

declare module 'koa' {
  interface DefaultState {
    /**
     * The Polar customer session of the signed-in user, set by `polarSession()` in attach
     * mode; null for anonymous requests or when something failed (see `polarSessionError`),
     * undefined before the middleware ran.
     */
    polarSession?: PolarSession | null
    /**
     * Why attach mode attached no session (`code`: `customer_not_found`,
     * `polar_unavailable`, `rate_limited`, …); null when it did, or the request is anonymous.
     */
    polarSessionError?: PolarSessionError | null
    /**
     * Lazy attach mode (the default of `polarSession()`): the signed-in user's session,
     * created now if none is cached (one creation however many calls), or null when the
     * request is anonymous or it failed (then `polarSessionError` says why). Never rejects.
     * Also sets `polarSession`.
     */
    getPolarSession?: () => Promise<PolarSession | null>
  }
}
