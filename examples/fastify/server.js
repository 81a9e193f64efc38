// polar-session with Fastify 5.
//
//   node examples/fastify/server.js        (after `pnpm build`; see examples/README.md)
//
// The same app as the Express example: a pretend sign-in (`demo_user` cookie), /account showing
// the user's Polar customer session (redacted), /portal sending them to Polar's customer portal.
// In Fastify, polarSession is a plugin: `identify` receives the request, and the session is
// `request.polarSession` / `request.getPolarSession()`.

import Fastify from 'fastify'
import { createPolarSessions } from '@polar-session/core'
import { polarPortal, polarSession } from '@polar-session/fastify'
import { findDemoUser, identityOf, signInCookie, signOutCookie, userFromCookieHeader } from '../shared/demo-users.js'
import { createLogger, logPolarError, logRequest } from '../shared/logger.js'
import { accountPage, errorPage, homePage } from '../shared/pages.js'
import { runDemo, runIfMain } from '../shared/run-demo.js'
import { accountUrl, startDemoApp } from '../shared/server-lifecycle.js'

const FRAMEWORK = 'Fastify'

/** The signed-in demo user of a Fastify request. */
const currentUser = (request) => userFromCookieHeader(request.headers.cookie)

/**
 * Builds the Fastify app. `polar`: `{ accessToken, server }` or `{ accessToken, baseUrl }`;
 * `publicUrl`: the app's own origin; `logger`: pino. Returns `{ app, sessions, close }`.
 */
export function createDemoApp({ polar, publicUrl, logger = createLogger({ name: 'polar-session-fastify' }) }) {
  const sessions = createPolarSessions({
    ...polar,
    // Fastify hands `identify` the request. Your app: request.user (set by your auth plugin), a JWT, ...
    identify: (request) => identityOf(currentUser(request)),
    returnUrl: accountUrl(publicUrl),
    logger: logger.child({ component: 'polar-session' }),
  })

  const app = Fastify()

  // One log line per request: method, path without the query, status, time. Nothing secret.
  app.decorateRequest('startedAt', 0)
  app.addHook('onRequest', async (request) => {
    request.startedAt = performance.now()
  })
  app.addHook('onResponse', async (request, reply) => {
    logRequest(logger, {
      method: request.method,
      path: request.url.split('?')[0],
      status: reply.statusCode,
      startedAt: request.startedAt,
    })
  })

  // The pretend sign-in posts a one-field form: parse it without a plugin.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 4096 },
    (request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body)))
    },
  )

  // polarSession, lazy by default, registered at the root: every route gets
  // `request.polarSession` when a session is already cached (no call to Polar) and
  // `request.getPolarSession()`, which creates one where a page needs it. It never fails a request.
  app.register(polarSession, { polar: sessions })

  app.get('/', async (request, reply) =>
    reply.type('text/html').send(homePage({ framework: FRAMEWORK, user: currentUser(request) })),
  )

  app.post('/sign-in', async (request, reply) => {
    const user = findDemoUser(request.body?.user)
    if (!user) return reply.code(400).type('text/plain').send('Unknown demo user.')
    logger.info({ user: user.id }, 'signed in')
    return reply.header('set-cookie', signInCookie(user.id)).redirect('/account', 303)
  })

  app.post('/sign-out', async (request, reply) => reply.header('set-cookie', signOutCookie()).redirect('/', 303))

  app.get('/account', async (request, reply) => {
    const user = currentUser(request)
    if (!user) return reply.redirect('/', 303)
    const session = await request.getPolarSession()
    if (!session) throw request.polarSessionError // an error page with its status (404, 503 + Retry-After…)
    // The session prints redacted (`session.toJSON()`): the token and portal URL never reach the page.
    return reply
      .header('cache-control', 'no-store')
      .type('text/html')
      .send(accountPage({ framework: FRAMEWORK, user, session }))
  })

  // 303 to the portal; JSON for Accept: application/json; 401 signed out; ?return_to= checked.
  app.get('/portal', polarPortal(sessions, { returnToParam: 'return_to' }))

  // polar-session's errors carry their status (401, 404 unknown customer, 503 + Retry-After...)
  // and a message safe to show for 4xx. Render them as a page.
  app.setErrorHandler((error, request, reply) => {
    logPolarError(logger, error)
    const page = errorPage({ framework: FRAMEWORK, error })
    return reply.code(page.status).headers(page.headers).send(page.html)
  })

  return {
    app,
    sessions,
    close: async () => {
      await app.close()
      await sessions.close()
    },
  }
}

/**
 * Starts the app with `{ polar, port, host, fallbackToEphemeral, logger }` (defaults in
 * `startDemoApp`). Resolves to `{ url, server, sessions, close }`.
 */
export function startDemoServer(options) {
  return startDemoApp({
    ...options,
    createDemoApp,
    // The shared lifecycle owns the listening server (`app.listen()` is the one-liner): once
    // ready, Fastify's own server object hands each request to the app.
    toListener: async (app) => {
      await app.ready()
      return (req, res) => app.server.emit('request', req, res)
    },
    loggerName: 'polar-session-fastify',
  })
}

/** `node examples/fastify/server.js`: the embedded fake Polar unless POLAR_ACCESS_TOKEN is set. */
export function main() {
  return runDemo({ framework: FRAMEWORK, startDemoServer })
}

runIfMain(import.meta.url, main)
