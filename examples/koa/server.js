// polar-session with Koa 3 and @koa/router.
//
//   node examples/koa/server.js        (after `pnpm build`; see examples/README.md)
//
// The same app as the Express example: a pretend sign-in (`demo_user` cookie), /account showing
// the user's Polar customer session (redacted), /portal sending them to Polar's customer portal.
// In Koa, `identify` receives the context and the session lands on `ctx.state.polarSession`.

import Koa from 'koa'
import Router from '@koa/router'
import { createPolarSessions } from '@polar-session/core'
import { polarPortal, polarSession } from '@polar-session/koa'
import { DEMO_COOKIE, findDemoUser, identityOf, readForm, signInCookie, signOutCookie } from '../shared/demo-users.js'
import { createLogger, logPolarError, logRequest } from '../shared/logger.js'
import { accountPage, errorPage, homePage } from '../shared/pages.js'
import { runDemo, runIfMain } from '../shared/run-demo.js'
import { accountUrl, startDemoApp } from '../shared/server-lifecycle.js'

const FRAMEWORK = 'Koa'

/** The signed-in demo user, from the cookie Koa parses for us. */
const currentUser = (ctx) => findDemoUser(ctx.cookies.get(DEMO_COOKIE))

/**
 * Builds the Koa app. `polar`: `{ accessToken, server }` or `{ accessToken, baseUrl }`;
 * `publicUrl`: the app's own origin; `logger`: pino. Returns `{ app, sessions, close }`.
 */
export function createDemoApp({ polar, publicUrl, logger = createLogger({ name: 'polar-session-koa' }) }) {
  const sessions = createPolarSessions({
    ...polar,
    // Koa adapters hand `identify` the context. Your app: ctx.state.user, a JWT, ...
    identify: (ctx) => identityOf(currentUser(ctx)),
    returnUrl: accountUrl(publicUrl),
    logger: logger.child({ component: 'polar-session' }),
  })

  const app = new Koa()
  const router = new Router()

  // Outermost: one log line per request, and polar-session errors rendered as a page
  // (they carry their status: 401, 404 unknown customer, 503 + Retry-After, ...).
  app.use(async (ctx, next) => {
    const startedAt = performance.now()
    try {
      await next()
    } catch (error) {
      logPolarError(logger, error)
      const page = errorPage({ framework: FRAMEWORK, error })
      ctx.status = page.status
      ctx.set(page.headers)
      ctx.body = page.html
    } finally {
      logRequest(logger, { method: ctx.method, path: ctx.path, status: ctx.status, startedAt })
    }
  })

  router.get('/', (ctx) => {
    ctx.type = 'html'
    ctx.body = homePage({ framework: FRAMEWORK, user: currentUser(ctx) })
  })

  // The pretend sign-in (no body-parser dependency: the form is one field).
  router.post('/sign-in', async (ctx) => {
    const user = findDemoUser((await readForm(ctx.req)).get('user'))
    if (!user) ctx.throw(400, 'Unknown demo user.')
    logger.info({ user: user.id }, 'signed in')
    ctx.set('set-cookie', signInCookie(user.id))
    ctx.status = 303
    ctx.redirect('/account')
  })

  router.post('/sign-out', (ctx) => {
    ctx.set('set-cookie', signOutCookie())
    ctx.status = 303
    ctx.redirect('/')
  })

  // polarSession(), lazy by default (mounted app-wide below): ctx.state.polarSession when a
  // session is already cached, and ctx.state.getPolarSession() to create one where it is used.
  router.get('/account', async (ctx) => {
    const user = currentUser(ctx)
    if (!user) {
      ctx.status = 303
      return ctx.redirect('/')
    }
    const session = await ctx.state.getPolarSession()
    if (!session) throw ctx.state.polarSessionError // an error page with its status
    ctx.set('cache-control', 'no-store')
    ctx.type = 'html'
    ctx.body = accountPage({ framework: FRAMEWORK, user, session })
  })

  // 303 to the portal; JSON for Accept: application/json; 401 signed out; ?return_to= checked.
  router.get('/portal', polarPortal(sessions, { returnToParam: 'return_to' }))

  app.use(polarSession(sessions)).use(router.routes()).use(router.allowedMethods())
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
    toListener: (app) => app.callback(),
    loggerName: 'polar-session-koa',
  })
}

/** `node examples/koa/server.js`: the embedded fake Polar unless POLAR_ACCESS_TOKEN is set. */
export function main() {
  return runDemo({ framework: FRAMEWORK, startDemoServer })
}

runIfMain(import.meta.url, main)
