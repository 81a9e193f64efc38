/**
 * Express 4 and 5 adapter of polar-session: `polarSession` (middleware) and `polarPortal`
 * (route handler). Importing the package types `req.polarSession`.
 *
 * @example
 * import { createPolarSessions } from '@polar-session/core'
 * import { polarPortal, polarSession } from '@polar-session/express'
 *
 * const polar = createPolarSessions({
 *   accessToken: process.env.POLAR_ACCESS_TOKEN!,
 *   identify: (req) => (req.user ? { externalCustomerId: req.user.id } : null),
 * })
 * app.use(polarSession(polar))
 * app.get('/portal', polarPortal(polar))
 */
import type { SessionTarget } from '@polar-session/core/adapter'

export { polarSession } from './polar-session/index.js'
export type { PolarSessionMiddlewareOptions } from './polar-session/index.js'
export { polarPortal } from './polar-portal/index.js'
export type { PolarPortalOptions } from './polar-portal/index.js'
export { polarWebhook } from './polar-webhook/index.js'
export type { PolarWebhookOptions } from './polar-webhook/index.js'
export { PolarSessionError, isPolarSessionError } from '@polar-session/core'

declare global {
  namespace Express {
    /** `req.polarSession`, `req.polarSessionError`, `req.getPolarSession()`: see `polarSession()`. */
    interface Request extends SessionTarget {}
  }
}
