// Shared set-up of this package's tests: both Koa majors, the fake Polar, a fresh
// polar-session instance per test, a guard against unhandled rejections (the fixture the
// adapter suites in test/support/adapter-suites share), and the suites' routes as Koa apps.
import { createRequire } from 'node:module'
import type { PolarSessions } from '@polar-session/core'
import Router from '@koa/router'
import Koa3, { type Context } from 'koa'
import { type Fixture, useAdapterFixture } from '../../../../test/support/adapter-suites/fixture.js'
import { PAGES, type Harness, type SuiteApp } from '../../../../test/support/adapter-suites/harness.js'
import { polarPortal, polarSession, polarWebhook } from '../index.js'

const require = createRequire(import.meta.url)
/**
 * `koa2` is an npm alias of koa@2 (CommonJS; @types/koa describes the `koa` name only):
 * required directly, typed as the Koa 3 class, whose surface the tests share.
 */
const Koa2 = require('koa2') as typeof Koa3

/** The majors every suite runs against. */
export const MAJORS = [
  { major: 'koa 3', Koa: Koa3, version: (require('koa/package.json') as { version: string }).version },
  { major: 'koa 2', Koa: Koa2, version: (require('koa2/package.json') as { version: string }).version },
] as const

export type KoaClass = typeof Koa3

export { APP_HOST, APP_ORIGIN, HOSTILE_RETURN_URLS } from '../../../../test/support/adapter-suites/fixture.js'

/** Starts the fake Polar for the file; fresh instances whose `identify` reads the `x-user` header. */
export const useFixture = (): Fixture<Context> => useAdapterFixture<Context>((ctx, name) => ctx.get(name))

/**
 * Builds an app with Koa's default error handling (the error's `status`, `headers`, and its
 * message when exposed); `errors` records what `app.on('error')` gets (a listener also keeps
 * Koa from printing 5xx errors to stderr during the tests).
 */
function suiteApp(Koa: KoaClass, build: (app: Koa3, attachedErrors: unknown[]) => void): SuiteApp {
  const app = new Koa()
  const errors: unknown[] = []
  const attachedErrors: unknown[] = []
  app.on('error', (err: unknown) => errors.push(err))
  build(app, attachedErrors)
  return { target: app.callback(), errors, attachedErrors }
}

/** The suites' apps on one Koa major: `/portal` first, then the middleware app-wide, then the pages. */
export function harness(Koa: KoaClass): Harness<Context> {
  return {
    app: async (polar: PolarSessions<Context>, spec) =>
      suiteApp(Koa, (app, seen) => {
        const view = (ctx: Context) => {
          if (ctx.state.polarSessionError) seen.push(ctx.state.polarSessionError)
          return ctx.state
        }
        if (spec.portal) app.use(new Router().get('/portal', polarPortal(polar, spec.portal)).routes())
        if (spec.session) app.use(polarSession(polar, spec.session))
        const pages = new Router()
        pages.get('/me', (ctx) => {
          ctx.body = PAGES.me(view(ctx))
        })
        pages.get('/', (ctx) => {
          ctx.body = PAGES.home(view(ctx))
        })
        pages.post('/logout', (ctx) => {
          ctx.body = PAGES.logout(view(ctx))
        })
        pages.get('/page', (ctx) => {
          ctx.body = PAGES.page(view(ctx))
        })
        pages.get('/billing-info', async (ctx) => {
          ctx.body = await PAGES.billingInfo(view(ctx))
        })
        pages.get('/billing', (ctx) => {
          ctx.body = 'sign in first'
        })
        pages.get('/boom', () => {
          throw new Error('boom')
        })
        app.use(pages.routes())
      }),
    webhookApp: async (polar, options) =>
      suiteApp(Koa, (app) => {
        const router = new Router()
        router.all('/webhooks/polar', polarWebhook(polar, options))
        router.get('/session', polarSession(polar, { required: true }), (ctx) => {
          ctx.body = { id: ctx.state.polarSession!.id }
        })
        app.use(router.routes())
      }),
    polarWebhook,
    polarPortal,
  }
}
