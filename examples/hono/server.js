// polar-session with Hono, here on Node (@hono/node-server); the same app runs on Bun, Deno and
// Workers, where `app.fetch` is the whole server.
//
//   node examples/hono/server.js        (after `pnpm build`; see examples/README.md)
//
// `identify` receives the Hono context; `polarSession(polar)` sets `c.get('polarSession')` and
// `c.get('getPolarSession')`; `polarPortal(polar)` is the portal route. Errors are thrown as
// HTTPExceptions carrying the PolarSessionError as `cause`.

import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { getRequestListener } from '@hono/node-server'
import { createPolarSessions, isPolarSessionError } from '@polar-session/core'
import { polarPortal, polarSession } from '@polar-session/hono'
import { findDemoUser, identityOf, signInCookie, signOutCookie, userFromCookieHeader } from '../shared/demo-users.js'
import { createLogger, logPolarError, logRequest } from '../shared/logger.js'
import { accountPage, errorPage, homePage } from '../shared/pages.js'
import { runDemo, runIfMain } from '../shared/run-demo.js'
import { accountUrl, startDemoApp } from '../shared/server-lifecycle.js'

const FRAMEWORK = 'Hono'

/** The signed-in demo user of a Hono context. */
const currentUser = (c) => userFromCookieHeader(c.req.header('cookie'))

/**
 * Builds the Hono app. `polar`: `{ accessToken, server }` or `{ accessToken, baseUrl }`;
 * `publicUrl`: the app's own origin; `logger`: pino. Returns `{ app, sessions, close }`.
 */
export function createDemoApp({ polar, publicUrl, logger = createLogger({ name: 'polar-session-hono' }) }) {
  const sessions = createPolarSessions({
    ...polar,
    // The Hono adapter hands `identify` the context. Your app: c.get('jwtPayload'), a session, ...
    identify: (c) => identityOf(currentUser(c)),
    returnUrl: accountUrl(publicUrl),
    logger: logger.child({ component: 'polar-session' }),
  })
  const app = new Hono()

  app.use(async (c, next) => {
    const startedAt = performance.now()
    await next()
    logRequest(logger, { method: c.req.method, path: c.req.path, status: c.res.status, startedAt })
  })

  // polarSession(), lazy by default: c.get('polarSession') when a session is already cached (no
  // call to Polar), and c.get('getPolarSession')(), which creates one where a page needs it.
  app.use(polarSession(sessions))

  app.get('/', (c) => c.html(homePage({ framework: FRAMEWORK, user: currentUser(c) })))

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
    const user = currentUser(c)
    if (!user) return c.redirect('/', 303)
    // The user's session, created or reused; a failure (Polar down…) is thrown to onError.
    const session = await c.get('getPolarSession')()
    if (!session) throw c.get('polarSessionError')
    c.header('cache-control', 'no-store')
    return c.html(accountPage({ framework: FRAMEWORK, user, session }))
  })

  // 303 to the portal, JSON for Accept: application/json, 401 when signed out, ?return_to= checked.
  app.get('/portal', polarPortal(sessions, { returnToParam: 'return_to' }))

  // polar-session's errors carry status and headers (401, 404 unknown customer, 503 + Retry-After);
  // the adapter's arrive as HTTPExceptions with the PolarSessionError as `cause`.
  app.onError((thrown, c) => {
    const error = thrown instanceof HTTPException && isPolarSessionError(thrown.cause) ? thrown.cause : thrown
    logPolarError(logger, error)
    const page = errorPage({ framework: FRAMEWORK, error })
    return c.html(page.html, page.status, page.headers)
  })

  return { app, sessions, close: () => sessions.close() }
}

/**
 * Starts the app with `{ polar, port, host, fallbackToEphemeral, logger }` (defaults in
 * `startDemoApp`). Resolves to `{ url, server, sessions, close }`.
 */
export function startDemoServer(options) {
  return startDemoApp({
    ...options,
    createDemoApp,
    toListener: (app) =>
      // @hono/node-server turns node:http requests into Fetch-API ones. (`serve({ fetch: app.fetch, port })`
      // is the one-liner; this form lets the app learn its URL first. overrideGlobalObjects: false
      // leaves the process-wide Request/Response alone.)
      getRequestListener(app.fetch, { overrideGlobalObjects: false }),
    loggerName: 'polar-session-hono',
  })
}

/** `node examples/hono/server.js`: the embedded fake Polar unless POLAR_ACCESS_TOKEN is set. */
export function main() {
  return runDemo({ framework: FRAMEWORK, startDemoServer })
}

runIfMain(import.meta.url, main)
