// Type-level checks: compiled by `tsc` (see the package README), no-ops at run time.
import type { PolarSession, PolarSessionError, PolarSessions } from '@polar-session/core'
import Fastify, {
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyRequest,
  type RouteHandlerMethod,
} from 'fastify'
import { describe, expectTypeOf, it } from 'vitest'
import {
  polarPortal,
  polarSession,
  polarWebhook,
  type PolarPortalOptions,
  type PolarSessionPluginOptions,
} from './index.js'

describe('types', () => {
  it('types request.polarSession through the package entry', () => {
    expectTypeOf<FastifyRequest['polarSession']>().toEqualTypeOf<PolarSession | null | undefined>()
    expectTypeOf<FastifyRequest['polarSessionError']>().toEqualTypeOf<PolarSessionError | null | undefined>()
    expectTypeOf<FastifyRequest['getPolarSession']>().toEqualTypeOf<(() => Promise<PolarSession | null>) | undefined>()
    // Compiled, never run: no app is made at run time.
    const routes = (app: FastifyInstance) =>
      app.get('/me', async (request) => {
        expectTypeOf(request.polarSession).toEqualTypeOf<PolarSession | null | undefined>()
        return null
      })
    expectTypeOf(routes).toBeFunction()
  })

  it('a plugin taking { polar, ...options }, a route handler and a route plugin', () => {
    expectTypeOf(polarSession).toEqualTypeOf<FastifyPluginAsync<PolarSessionPluginOptions>>()
    expectTypeOf<PolarSessionPluginOptions['polar']>().toEqualTypeOf<PolarSessions<FastifyRequest>>()
    expectTypeOf<PolarSessionPluginOptions['lazy']>().toEqualTypeOf<boolean | undefined>()
    expectTypeOf(polarPortal).returns.toEqualTypeOf<RouteHandlerMethod>()
    expectTypeOf(polarWebhook).returns.toEqualTypeOf<FastifyPluginAsync>()
    expectTypeOf<PolarPortalOptions>().not.toHaveProperty('required')
    // Registrable and mountable as documented (compiled, never run).
    const mount = (polar: PolarSessions<FastifyRequest>) => {
      const app = Fastify()
      app.register(polarSession, { polar, returnToParam: 'return_to' })
      app.get('/portal', polarPortal(polar))
      app.register(polarWebhook(polar, { secret: 'whsec_x' }), { prefix: '/webhooks/polar' })
      // @ts-expect-error polar is required
      app.register(polarSession, { lazy: false })
    }
    expectTypeOf(mount).toBeFunction()
  })
})
