// polar-session with Hono on Node (@hono/node-server), through the Fetch-API helpers.
//
//   node examples/hono/server.js        (after `pnpm build`; see examples/README.md)
//
// No adapter package is needed for Fetch-API frameworks (Hono, Next.js route handlers, Bun,
// Deno): `identify` receives the standard `Request`, `sessionFromRequest(polar, request)` gives
// `{ session, error }` (session null when signed out or when Polar failed; with `required: true`
// it throws instead), and `createPortalHandler(polar)` is a whole `Request → Response` portal route.

import { Hono } from 'hono'
import { getRequestListener } from '@hono/node-server'
import { createPolarSessions, createPortalHandler, sessionFromRequest } from '@polar-session/core'
import { findDemoUser, identityOf, signInCookie, signOutCookie, userFromCookieHeader } from '../shared/demo-users.js'
import { createLogger, logPolarError, logRequest } from '../shared/logger.js'
import { accountPage, errorPage, homePage } from '../shared/pages.js'
import { runDemo, runIfMain } from '../shared/run-demo.js'
import { accountUrl, startDemoApp } from '../shared/server-lifecycle.js'

const FRAMEWORK = 'Hono'

/** The signed-in demo user of a Fetch-API request. */
const currentUser = (request) => userFromCookieHeader(request.headers.get('cookie'))

/**
 * Builds the Hono app. `polar`: `{ accessToken, server }` or `{ accessToken, baseUrl }`;
 * `publicUrl`: the app's own origin; `logger`: pino. Returns `{ app, sessions, close }`.
 */
export function createDemoApp({ polar, publicUrl, logger = createLogger({ name: 'polar-session-hono' }) }) {
  const sessions = createPolarSessions({
    ...polar,
    // With the Fetch-API helpers, `identify` gets the standard Request.
    identify: (request) => identityOf(currentUser(request)),
    returnUrl: accountUrl(publicUrl),
    logger: logger.child({ component: 'polar-session' }),
  })
  // 303 to the portal, JSON for Accept: application/json, 401 when signed out, errors as JSON
  // with their status and headers (404 unknown customer, 503 + Retry-After, 400 bad return_to).
  const portal = createPortalHandler(sessions, { returnToParam: 'return_to' })

  const app = new Hono()

  app.use(async (c, next) => {
    const startedAt = performance.now()
    await next()
    logRequest(logger, { method: c.req.method, path: c.req.path, status: c.res.status, startedAt })
  })

  app.get('/', (c) => c.html(homePage({ framework: FRAMEWORK, user: currentUser(c.req.raw) })))

  app.post('/sign-in', async (c) => {
    const form = await c.req.parseBody()
    const user = findDemoUser(form.user)
    if (!user) return c.text('Unknown demo user.', 400)
    logger.info({ user: user.id }, 'signed in')
    c.header('set-cookie', signInCookie(user.id))
    return c.redirect('/account', 303)
  })

  app.post('/sign-out', (c) => {
    c.header('set-cookie', signOutCookie())
    return c.redirect('/', 303)
  })

  app.get('/account', async (c) => {
    const user = currentUser(c.req.raw)
    if (!user) return c.redirect('/', 303)
    // The user's session, created or reused; a failure (Polar down…) is thrown to onError.
    const { session } = await sessionFromRequest(sessions, c.req.raw, { required: true })
    c.header('cache-control', 'no-store')
    return c.html(accountPage({ framework: FRAMEWORK, user, session }))
  })

  app.get('/portal', (c) => portal(c.req.raw))

  // Errors thrown by sessionFromRequest (PolarSessionError) carry status and headers.
  app.onError((error, c) => {
    logPolarError(logger, error)
    const page = errorPage({ framework: FRAMEWORK, error })
    return c.html(page.html, page.status, page.headers)
  })

  return { app, sessions, close: () => sessions.close() }
}

/** Starts the app on `host:port` (0: any free port). Resolves to `{ url, server, sessions, close }`. */
export function startDemoServer({ polar, port = 0, host = '127.0.0.1', fallbackToEphemeral = false, logger = createLogger({ name: 'polar-session-hono' }) }) {
  return startDemoApp({
    createDemoApp,
    toListener: (app) =>
      // @hono/node-server turns node:http requests into Fetch-API ones. (`serve({ fetch: app.fetch, port })`
      // is the one-liner; this form lets the app learn its URL first. overrideGlobalObjects: false
      // leaves the process-wide Request/Response alone.)
      getRequestListener(app.fetch, { overrideGlobalObjects: false }),
    polar,
    port,
    host,
    fallbackToEphemeral,
    logger,
  })
}

/** `node examples/hono/server.js`: the embedded fake Polar unless POLAR_ACCESS_TOKEN is set. */
export function main() {
  return runDemo({ framework: FRAMEWORK, startDemoServer })
}

runIfMain(import.meta.url, main)
