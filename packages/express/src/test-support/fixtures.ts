// Shared set-up of this package's tests: both Express majors, the fake Polar, a fresh
// polar-session instance per test, a guard against unhandled rejections (the fixture the
// adapter suites in test/support/adapter-suites share), and the suites' routes as Express apps.
import { createRequire } from 'node:module'
import type { PolarSessions } from '@polar-session/core'
import express5, { type ErrorRequestHandler, type Express, type Request } from 'express'
import { type Fixture, useAdapterFixture } from '../../../../test/support/adapter-suites/fixture.js'
import { PAGES, type Harness, type SuiteApp } from '../../../../test/support/adapter-suites/harness.js'
import { polarPortal, polarSession, polarWebhook } from '../index.js'

/**
 * `express4` is an npm alias of express@4 (CommonJS, no types of its own): required directly,
 * typed as the express 5 factory, whose app/request/response surface the tests share.
 */
const express4 = createRequire(import.meta.url)('express4') as typeof express5

/** The majors every suite runs against. */
export const MAJORS = [
  {
    major: 'express 5',
    express: express5,
    version: (createRequire(import.meta.url)('express/package.json') as { version: string }).version,
  },
  {
    major: 'express 4',
    express: express4,
    version: (createRequire(import.meta.url)('express4/package.json') as { version: string }).version,
  },
] as const

export type ExpressFactory = typeof express5

export { APP_HOST, APP_ORIGIN, HOSTILE_RETURN_URLS } from '../../../../test/support/adapter-suites/fixture.js'

/** Starts the fake Polar for the file; fresh instances whose `identify` reads the `x-user` header. */
export const useFixture = (): Fixture<Request> => useAdapterFixture<Request>((req, name) => req.get(name))

/**
 * Builds an app and ends it with an error handler that records every error reaching it, then
 * hands it on to Express's own (final) handler: the answer is Express's, from the error's
 * `status` and `headers`, as an app without a handler of its own gets it.
 */
function suiteApp(express: ExpressFactory, build: (app: Express, attachedErrors: unknown[]) => void): SuiteApp {
  const app = express()
  const errors: unknown[] = []
  const attachedErrors: unknown[] = []
  build(app, attachedErrors)
  const record: ErrorRequestHandler = (err, _req, _res, next) => {
    errors.push(err)
    next(err)
  }
  app.use(record)
  return { target: app, errors, attachedErrors }
}

/** The suites' apps on one Express major: `/portal` first, then the middleware app-wide, then the pages. */
export function harness(express: ExpressFactory): Harness<Request> {
  return {
    app: async (polar: PolarSessions<Request>, spec) =>
      suiteApp(express, (app, seen) => {
        const view = (req: Request) => {
          if (req.polarSessionError) seen.push(req.polarSessionError)
          return req
        }
        if (spec.portal) app.get('/portal', polarPortal(polar, spec.portal))
        if (spec.session) app.use(polarSession(polar, spec.session))
        app.get('/me', (req, res) => res.json(PAGES.me(view(req))))
        app.get('/', (req, res) => res.json(PAGES.home(view(req))))
        app.post('/logout', (req, res) => res.json(PAGES.logout(view(req))))
        app.get('/page', (req, res) => res.json(PAGES.page(view(req))))
        // Express 4 ignores a returned promise: a rejection goes to next() by hand.
        app.get('/billing-info', (req, res, next) => {
          PAGES.billingInfo(view(req)).then((body) => res.json(body), next)
        })
        app.get('/billing', (_req, res) => res.send('sign in first'))
        app.get('/boom', () => {
          throw new Error('boom')
        })
      }),
    webhookApp: async (polar, options) =>
      suiteApp(express, (app) => {
        app.all('/webhooks/polar', polarWebhook(polar, options))
        app.get('/session', polarSession(polar, { required: true }), (req, res) =>
          res.json({ id: req.polarSession!.id }),
        )
      }),
    polarWebhook,
    polarPortal,
  }
}
