// Type-level checks: compiled by `tsc` (see the package README), no-ops at run time.
import type { PolarSession, PolarSessionError, PolarSessions } from '@polar-session/core'
import type { Request, RequestHandler } from 'express'
import { describe, expectTypeOf, it } from 'vitest'
import { polarPortal, polarSession, type PolarPortalOptions, type PolarSessionMiddlewareOptions } from './index.js'

describe('types', () => {
  it('types req.polarSession through the package entry', () => {
    expectTypeOf<Request['polarSession']>().toEqualTypeOf<PolarSession | null | undefined>()
    const handler: RequestHandler = (req, _res, next) => {
      expectTypeOf(req.polarSession).toEqualTypeOf<PolarSession | null | undefined>()
      expectTypeOf(req.polarSessionError).toEqualTypeOf<PolarSessionError | null | undefined>()
      expectTypeOf(req.getPolarSession).toEqualTypeOf<(() => Promise<PolarSession | null>) | undefined>()
      next()
    }
    void handler
  })

  it('returns Express handlers and takes an instance whose identify gets the request', () => {
    expectTypeOf(polarSession).parameter(0).toEqualTypeOf<PolarSessions<Request>>()
    expectTypeOf(polarSession).returns.toEqualTypeOf<RequestHandler>()
    expectTypeOf(polarPortal).returns.toEqualTypeOf<RequestHandler>()
    expectTypeOf<PolarSessionMiddlewareOptions['redirect']>().toEqualTypeOf<boolean | undefined>()
    expectTypeOf<PolarSessionMiddlewareOptions['lazy']>().toEqualTypeOf<boolean | undefined>()
    expectTypeOf<PolarPortalOptions>().not.toHaveProperty('required')
  })
})
