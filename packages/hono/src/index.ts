/**
 * Hono adapter of polar-session, on Node.js and on any Fetch runtime Hono supports (Bun, Deno,
 * Cloudflare Workers): `polarSession` (middleware), `polarPortal` and `polarWebhook` (handlers).
 * The instance's `identify` receives the Hono context. `PolarSessionVariables` types
 * `c.get('polarSession')`.
 *
 * @example
 * import { Hono } from 'hono'
 * import { createPolarSessions } from '@polar-session/core'
 * import { polarPortal, polarSession, type PolarSessionVariables } from '@polar-session/hono'
 *
 * const polar = createPolarSessions({
 *   accessToken: process.env.POLAR_ACCESS_TOKEN!,
 *   identify: (c) => (c.get('user') ? { externalCustomerId: c.get('user').id } : null),
 * })
 * const app = new Hono<{ Variables: PolarSessionVariables }>()
 * app.use(polarSession(polar))
 * app.get('/portal', polarPortal(polar))
 */
export { polarSession } from './polar-session/index.js'
export type { PolarSessionEnv, PolarSessionMiddlewareOptions, PolarSessionVariables } from './polar-session/index.js'
export { polarPortal } from './polar-portal/index.js'
export type { PolarPortalOptions } from './polar-portal/index.js'
export { polarWebhook } from './polar-webhook/index.js'
export type { PolarWebhookOptions } from './polar-webhook/index.js'
export { PolarSessionError, isPolarSessionError } from '@polar-session/core'
