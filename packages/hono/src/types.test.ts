// Type-level checks: compiled by `tsc` (see the package README), no-ops at run time.
import type { PolarSession, PolarSessionError, PolarSessions } from '@polar-session/core'
import { type Context, type Handler, Hono, type MiddlewareHandler } from 'hono'
import { describe, expectTypeOf, it } from 'vitest'
import {
  polarPortal,
  polarSession,
  polarWebhook,
  type PolarPortalOptions,
  type PolarSessionEnv,
  type PolarSessionMiddlewareOptions,
  type PolarSessionVariables,
} from './index.js'

describe('types', () => {
  it("types c.get('polarSession') through PolarSessionVariables", () => {
    const app = new Hono<{ Variables: PolarSessionVariables }>()
    app.get('/me', (c) => {
      expectTypeOf(c.get('polarSession')).toEqualTypeOf<PolarSession | null | undefined>()
      expectTypeOf(c.get('polarSessionError')).toEqualTypeOf<PolarSessionError | null | undefined>()
      expectTypeOf(c.get('getPolarSession')).toEqualTypeOf<(() => Promise<PolarSession | null>) | undefined>()
      return c.text('ok')
    })
    // Beside the app's own variables.
    const mine = new Hono<{ Variables: PolarSessionVariables & { user: { id: string } } }>()
    mine.get('/', (c) => {
      expectTypeOf(c.get('user')).toEqualTypeOf<{ id: string }>()
      expectTypeOf(c.var.polarSession).toEqualTypeOf<PolarSession | null | undefined>()
      return c.text('ok')
    })
  })

  it('middleware and handlers; identify gets the context', () => {
    expectTypeOf(polarSession).parameter(0).toEqualTypeOf<PolarSessions<Context>>()
    expectTypeOf(polarSession).returns.toEqualTypeOf<MiddlewareHandler<PolarSessionEnv>>()
    expectTypeOf(polarPortal).returns.toEqualTypeOf<Handler>()
    expectTypeOf(polarWebhook).returns.toEqualTypeOf<Handler>()
    expectTypeOf<PolarSessionMiddlewareOptions['lazy']>().toEqualTypeOf<boolean | undefined>()
    expectTypeOf<PolarPortalOptions>().not.toHaveProperty('required')
    // Mountable on a plain app and on a typed one (compiled, never run).
    const mount = (polar: PolarSessions<Context>) => {
      new Hono()
        .use(polarSession(polar))
        .get('/portal', polarPortal(polar))
        .post('/webhooks/polar', polarWebhook(polar, { secret: 'whsec_x' }))
      new Hono<{ Variables: PolarSessionVariables }>().use('/billing/*', polarSession(polar, { redirect: true }))
    }
    expectTypeOf(mount).toBeFunction()
  })
})
