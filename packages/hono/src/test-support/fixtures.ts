// This package's glue for the adapter suites (test/support/adapter-suites): the suites' routes as
// Hono apps, served over node:http by @hono/node-server.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PolarSessions } from '@polar-session/core'
import type { SessionTarget } from '@polar-session/core/adapter'
import { getRequestListener } from '@hono/node-server'
import { type Context, Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { type Fixture, useAdapterFixture } from '../../../../test/support/adapter-suites/fixture.js'
import { type Harness, PAGES, type SuiteApp } from '../../../../test/support/adapter-suites/harness.js'
import { polarPortal, polarSession, polarWebhook, type PolarSessionEnv } from '../index.js'

// hono exports no ./package.json: read it beside the resolved entry.
const honoEntry = fileURLToPath(import.meta.resolve('hono'))
const version = (
  JSON.parse(readFileSync(join(honoEntry.slice(0, honoEntry.lastIndexOf('/dist/')), 'package.json'), 'utf8')) as {
    version: string
  }
).version

/** The Hono every suite runs against (one major). */
export const MAJORS = [{ major: 'hono 4', version }] as const

/** The fake Polar and fresh instances whose `identify(c)` reads the `x-user` header. */
export const useFixture = (): Fixture<Context> => useAdapterFixture<Context>((c, name) => c.req.header(name))

/**
 * An app with Hono's default error handling (an HTTPException answers its own response,
 * anything else 500), recording the errors: for an HTTPException, the error it carries.
 */
export function honoApp(errors: unknown[] = []): Hono<PolarSessionEnv> {
  const app = new Hono<PolarSessionEnv>()
  app.onError((error, c) => {
    errors.push(error instanceof HTTPException ? (error.cause ?? error) : error)
    return error instanceof HTTPException ? error.getResponse() : c.text('Internal Server Error', 500)
  })
  return app
}

/** The context's variables as the suites read them, live (read again after an await). */
function view(c: Context<PolarSessionEnv>, seen: unknown[]): SessionTarget {
  if (c.get('polarSessionError')) seen.push(c.get('polarSessionError'))
  return {
    get polarSession() {
      return c.get('polarSession')
    },
    get polarSessionError() {
      return c.get('polarSessionError')
    },
    get getPolarSession() {
      return c.get('getPolarSession')
    },
  }
}

const served = (app: Hono<PolarSessionEnv>, errors: unknown[], attachedErrors: unknown[]): SuiteApp => ({
  target: getRequestListener(app.fetch, { overrideGlobalObjects: false }),
  errors,
  attachedErrors,
})

/** The suites' apps on Hono. */
export function harness(): Harness<Context> {
  return {
    async app(polar: PolarSessions<Context>, spec) {
      const errors: unknown[] = []
      const seen: unknown[] = []
      const app = honoApp(errors)
      if (spec.portal) app.get('/portal', polarPortal(polar, spec.portal))
      if (spec.session) app.use(polarSession(polar, spec.session))
      app.get('/me', (c) => c.json(PAGES.me(view(c, seen))))
      app.get('/', (c) => c.json(PAGES.home(view(c, seen))))
      app.post('/logout', (c) => c.json(PAGES.logout(view(c, seen))))
      app.get('/page', (c) => c.json(PAGES.page(view(c, seen))))
      app.get('/billing-info', async (c) => c.json(await PAGES.billingInfo(view(c, seen))))
      app.get('/billing', (c) => c.text('sign in first'))
      app.get('/boom', () => {
        throw new Error('boom')
      })
      return served(app, errors, seen)
    },
    async webhookApp(polar, options) {
      const errors: unknown[] = []
      const app = honoApp(errors)
      app.all('/webhooks/polar', polarWebhook(polar, options))
      app.get('/session', polarSession(polar, { required: true }), (c) => c.json({ id: c.get('polarSession')!.id }))
      return served(app, errors, [])
    },
    polarWebhook,
    polarPortal,
  }
}
