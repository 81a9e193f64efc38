// polar-session with Express 5.
//
//   node examples/express/server.js        (after `pnpm build`; see examples/README.md)
//
// The app has a pretend sign-in (a `demo_user` cookie), an /account page that shows the
// signed-in user's Polar customer session (redacted), and a /portal route that sends the user
// to Polar's customer portal. polar-session creates the session at Polar on first use and reuses
// it until shortly before it expires, so reloading /account or clicking "Manage billing" again
// costs no call to Polar.

import express from 'express'
import { createPolarSessions } from '@polar-session/core'
import { polarPortal, polarSession } from '@polar-session/express'
import { findDemoUser, identityOf, signInCookie, signOutCookie, userFromCookieHeader } from '../shared/demo-users.js'
import { createLogger, logPolarError, logRequest } from '../shared/logger.js'
import { accountPage, errorPage, homePage, statsPage } from '../shared/pages.js'
import { runDemo, runIfMain } from '../shared/run-demo.js'
import { accountUrl, startDemoApp } from '../shared/server-lifecycle.js'

const FRAMEWORK = 'Express'

/**
 * Builds the Express app.
 * - `polar`: how to reach Polar: `{ accessToken, server }` or `{ accessToken, baseUrl }` (the fake)
 * - `publicUrl`: the app's own origin, e.g. http://127.0.0.1:3000 (the portal links back to it)
 * - `logger`: a pino logger
 * Returns `{ app, sessions, close }`; `sessions` is the polar-session instance.
 */
export function createDemoApp({ polar, publicUrl, logger = createLogger({ name: 'polar-session-express' }) }) {
  const sessions = createPolarSessions({
    ...polar,
    // Who is this request? Here: the demo cookie. In your app: `req.user`, a JWT, your session.
    // `externalCustomerId` is your own user id, stored on the Polar customer as `external_id`.
    identify: (req) => identityOf(userFromCookieHeader(req.headers.cookie)),
    // The portal's "back" link. Its origin is also the only one `?return_to=` may point to.
    returnUrl: accountUrl(publicUrl),
    // polar-session logs through the same logger, and never a token, portal URL or email.
    logger: logger.child({ component: 'polar-session' }),
  })

  const app = express()
  app.disable('x-powered-by')
  app.use(express.urlencoded({ extended: false, limit: '4kb' }))

  // One log line per request: method, path without the query, status, time. Nothing secret.
  app.use((req, res, next) => {
    const startedAt = performance.now()
    res.on('finish', () =>
      logRequest(logger, { method: req.method, path: req.path, status: res.statusCode, startedAt }),
    )
    next()
  })

  app.get('/', (req, res) => {
    res.type('html').send(homePage({ framework: FRAMEWORK, user: userFromCookieHeader(req.headers.cookie) }))
  })

  // The pretend sign-in: remember the chosen demo user in a cookie.
  app.post('/sign-in', (req, res) => {
    const user = findDemoUser(req.body?.user)
    if (!user) return res.status(400).type('text').send('Unknown demo user.')
    logger.info({ user: user.id }, 'signed in')
    // Start the user's Polar session now, in the background, so that "Manage billing" answers
    // from the cache. Not awaited: it never rejects, and never delays the sign-in.
    sessions.prefetch(identityOf(user))
    res.set('set-cookie', signInCookie(user.id)).redirect(303, '/account')
  })

  app.post('/sign-out', (req, res) => {
    res.set('set-cookie', signOutCookie()).redirect(303, '/')
  })

  // polarSession(), lazy by default: every page gets `req.polarSession` when a session is already
  // cached (no call to Polar) and `req.getPolarSession()`, which creates one where a page needs it.
  // Pages that never need one cost Polar's rate limit nothing. It never fails a request: when
  // Polar fails, the session is null and `req.polarSessionError` says why.
  app.use(polarSession(sessions))

  app.get('/account', async (req, res) => {
    const user = userFromCookieHeader(req.headers.cookie)
    if (!user) return res.redirect(303, '/')
    const session = await req.getPolarSession()
    if (!session) throw req.polarSessionError // an error page with its status (404, 503 + Retry-After…)
    // The session prints redacted (`session.toJSON()`): the token and portal URL never reach the page.
    res
      .set('cache-control', 'no-store')
      .type('html')
      .send(accountPage({ framework: FRAMEWORK, user, session }))
  })

  // polarPortal(): 303 to the customer portal (a fresh or reused session), `{ url, expiresAt }`
  // for `Accept: application/json`, 401 when signed out. `/portal?return_to=/account` sets the
  // portal's back link per request; off-site URLs get a 400, never a redirect.
  app.get('/portal', polarPortal(sessions, { returnToParam: 'return_to' }))

  // polar.stats(): cache hits and misses, creations, errors by code, requests to Polar, the
  // circuit breaker: numbers only, no token, URL, email or user id. JSON for `Accept:
  // application/json`. In a real app, put it behind your admin auth (or use OpenTelemetry:
  // docs/observability.md).
  app.get('/stats', (req, res) => {
    const stats = sessions.stats()
    res.set('cache-control', 'no-store')
    if (req.accepts(['html', 'json']) === 'json') return res.json(stats)
    res.type('html').send(statsPage({ framework: FRAMEWORK, stats }))
  })

  // polar-session's errors carry their status (404 unknown customer, 503 + Retry-After when
  // Polar rate-limits, ...) and a message safe to show for 4xx. Render them as a page.
  app.use((error, req, res, next) => {
    if (res.headersSent) return next(error)
    logPolarError(logger, error)
    const page = errorPage({ framework: FRAMEWORK, error })
    res.status(page.status).set(page.headers).send(page.html)
  })

  return { app, sessions, close: () => sessions.close() }
}

/**
 * Starts the app on `host:port` (0: any free port). Resolves to `{ url, server, sessions, close }`.
 */
export function startDemoServer(options) {
  return startDemoApp({
    ...options,
    createDemoApp,
    toListener: (app) => app,
    loggerName: 'polar-session-express',
  })
}

/** `node examples/express/server.js`: the embedded fake Polar unless POLAR_ACCESS_TOKEN is set. */
export function main() {
  return runDemo({ framework: FRAMEWORK, startDemoServer })
}

runIfMain(import.meta.url, main)
