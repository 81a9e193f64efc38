/**
 * Fastify 4 and 5 adapter of polar-session: `polarSession` (a plugin, wrapped with
 * fastify-plugin), `polarPortal` (a route handler) and `polarWebhook` (a route plugin). The
 * instance's `identify` receives the Fastify request. Importing the package types
 * `request.polarSession`.
 *
 * @example
 * import { createPolarSessions } from '@polar-session/core'
 * import { polarPortal, polarSession } from '@polar-session/fastify'
 *
 * const polar = createPolarSessions({
 *   accessToken: process.env.POLAR_ACCESS_TOKEN!,
 *   identify: (request) => (request.user ? { externalCustomerId: request.user.id } : null),
 * })
 * await app.register(polarSession, { polar })
 * app.get('/portal', polarPortal(polar))
 */
import type { SessionTarget } from '@polar-session/core/adapter'

export { polarSession } from './polar-session/index.js'
export type { PolarSessionPluginOptions } from './polar-session/index.js'
export { polarPortal } from './polar-portal/index.js'
export type { PolarPortalOptions } from './polar-portal/index.js'
export { polarWebhook } from './polar-webhook/index.js'
export type { PolarWebhookOptions } from './polar-webhook/index.js'
export { PolarSessionError, isPolarSessionError } from '@polar-session/core'

declare module 'fastify' {
  // `request.polarSession`, `request.polarSessionError`, `request.getPolarSession()`: see `polarSession`.
  interface FastifyRequest extends SessionTarget {}
}
