// Type-level checks: compiled by `tsc` (see the package README), no-ops at run time.
import type { PolarSession, PolarSessionError, PolarSessions } from '@polar-session/core'
import Router from '@koa/router'
import Koa, { type Context, type DefaultState, type Middleware } from 'koa'
import { describe, expectTypeOf, it } from 'vitest'
import { polarPortal, polarSession, type PolarPortalOptions, type PolarSessionMiddlewareOptions } from './index.js'

describe('types', () => {
  it('types ctx.state.polarSession through the package entry', () => {
    expectTypeOf<DefaultState['polarSession']>().toEqualTypeOf<PolarSession | null | undefined>()
    expectTypeOf<DefaultState['polarSessionError']>().toEqualTypeOf<PolarSessionError | null | undefined>()
    expectTypeOf<DefaultState['getPolarSession']>().toEqualTypeOf<(() => Promise<PolarSession | null>) | undefined>()
    const app = new Koa()
    app.use(async (ctx, next) => {
      expectTypeOf(ctx.state.polarSession).toEqualTypeOf<PolarSession | null | undefined>()
      await next()
    })
    const router = new Router()
    router.get('/me', (ctx) => {
      expectTypeOf(ctx.state.polarSession).toEqualTypeOf<PolarSession | null | undefined>()
    })
  })

  it('returns Koa middleware and takes an instance whose identify gets the context', () => {
    expectTypeOf(polarSession).parameter(0).toEqualTypeOf<PolarSessions<Context>>()
    expectTypeOf(polarSession).returns.toEqualTypeOf<Middleware>()
    expectTypeOf(polarPortal).returns.toEqualTypeOf<Middleware>()
    expectTypeOf<PolarSessionMiddlewareOptions['redirect']>().toEqualTypeOf<boolean | undefined>()
    expectTypeOf<PolarPortalOptions>().not.toHaveProperty('required')
    // Mountable on an app and on a @koa/router route (compiled, never run).
    const mount = (polar: PolarSessions<Context>) => {
      new Koa().use(polarSession(polar))
      new Router().get('/portal', polarPortal(polar))
    }
    expectTypeOf(mount).toBeFunction()
  })
})
