// This package's glue for the adapter suites (test/support/adapter-suites): both Fastify majors,
// and the suites' routes as Fastify apps, closed after each test.
import { createRequire } from 'node:module'
import type { PolarSessions } from '@polar-session/core'
import Fastify5, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { afterEach } from 'vitest'
import { type Fixture, useAdapterFixture } from '../../../../test/support/adapter-suites/fixture.js'
import { PAGES, type AppSpec, type Harness, type SuiteApp } from '../../../../test/support/adapter-suites/harness.js'
import { polarPortal, polarSession, polarWebhook } from '../index.js'

const require = createRequire(import.meta.url)
/** `fastify4` is an npm alias of fastify@4: typed as the Fastify 5 factory, whose surface the tests share. */
const Fastify4 = require('fastify4') as typeof Fastify5
const version = (name: string) => (require(`${name}/package.json`) as { version: string }).version

/** The majors every suite runs against. */
export const MAJORS = [
  { major: 'fastify 5', Fastify: Fastify5, version: version('fastify') },
  { major: 'fastify 4', Fastify: Fastify4, version: version('fastify4') },
] as const

export type FastifyFactory = typeof Fastify5

/** The fake Polar and fresh instances whose `identify` reads the `x-user` header. */
export const useFixture = (): Fixture<FastifyRequest> =>
  useAdapterFixture<FastifyRequest>((request, name) => request.headers[name] as string | undefined)

/** Builds, readies and records an app; every app is closed after the test. */
export function appMaker(Fastify: FastifyFactory) {
  const apps: FastifyInstance[] = []
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()))
  })
  return async (
    build: (app: FastifyInstance, attachedErrors: unknown[]) => void,
  ): Promise<SuiteApp & { app: FastifyInstance }> => {
    const app = Fastify()
    apps.push(app)
    const errors: unknown[] = []
    const attachedErrors: unknown[] = []
    // Sees every error Fastify's error handler gets, without changing the answer.
    app.addHook('onError', async (_request, _reply, error) => void errors.push(error))
    build(app, attachedErrors)
    await app.ready()
    return { app, target: app.server, errors, attachedErrors }
  }
}

/** The suites' apps on one Fastify major. Page routes sit in a context of their own, with the plugin. */
export function harness(Fastify: FastifyFactory): Harness<FastifyRequest> {
  const start = appMaker(Fastify)
  const pages =
    (polar: PolarSessions<FastifyRequest>, spec: AppSpec, seen: unknown[]) => async (scope: FastifyInstance) => {
      if (spec.session) await scope.register(polarSession, { polar, ...spec.session })
      const view = (request: FastifyRequest) => {
        if (request.polarSessionError) seen.push(request.polarSessionError)
        return request
      }
      scope.get('/me', async (request) => PAGES.me(view(request)))
      scope.get('/', async (request) => PAGES.home(view(request)))
      scope.post('/logout', async (request) => PAGES.logout(view(request)))
      scope.get('/page', async (request) => PAGES.page(view(request)))
      scope.get('/billing-info', (request) => PAGES.billingInfo(view(request)))
      scope.get('/billing', async () => 'sign in first')
      scope.get('/boom', async () => {
        throw new Error('boom')
      })
    }
  return {
    app: (polar, spec) =>
      start((app, seen) => {
        if (spec.portal) app.get('/portal', polarPortal(polar, spec.portal))
        app.register(pages(polar, spec, seen))
      }),
    webhookApp: (polar, options) =>
      start((app) => {
        app.register(polarWebhook(polar, options), { prefix: '/webhooks/polar' })
        app.register(async (scope) => {
          await scope.register(polarSession, { polar, required: true })
          scope.get('/session', async (request) => ({ id: request.polarSession!.id }))
        })
      }),
    polarWebhook,
    polarPortal,
  }
}
