// polar-session with plain node:http: no framework, no adapter.
//
//   node examples/node-http/server.js        (after `pnpm build`; see examples/README.md)
//
// `polar.resolve(req)` runs `identify(req)` and returns the session (created at Polar or reused
// from the cache), or null when the request is anonymous. The portal route is written by hand:
// a 303 to `session.customerPortalUrl` with `Cache-Control: no-store` (the URL is a credential).

import { createPolarSessions, PolarSessionError } from '@polar-session/core'
import {
  findDemoUser,
  identityOf,
  readForm,
  signInCookie,
  signOutCookie,
  userFromCookieHeader,
} from '../shared/demo-users.js'
import { createLogger, logPolarError, logRequest } from '../shared/logger.js'
import { accountPage, errorPage, homePage } from '../shared/pages.js'
import { runDemo, runIfMain } from '../shared/run-demo.js'
import { accountUrl, startDemoApp } from '../shared/server-lifecycle.js'

const FRAMEWORK = 'node:http'

const currentUser = (req) => userFromCookieHeader(req.headers.cookie)

function send(res, status, headers, body = '') {
  res.writeHead(status, headers)
  res.end(body)
}

const html = (res, body, extra = {}) => send(res, 200, { 'content-type': 'text/html; charset=utf-8', ...extra }, body)
const redirect = (res, location, extra = {}) => send(res, 303, { location, ...extra })

/**
 * Builds the request listener. `polar`: `{ accessToken, server }` or `{ accessToken, baseUrl }`;
 * `publicUrl`: the app's own origin; `logger`: pino. Returns `{ app, sessions, close }`, `app`
 * being a `(req, res)` listener for `http.createServer`.
 */
export function createDemoApp({ polar, publicUrl, logger = createLogger({ name: 'polar-session-node-http' }) }) {
  const sessions = createPolarSessions({
    ...polar,
    // `identify` gets whatever you pass to resolve(): here node's IncomingMessage.
    identify: (req) => identityOf(currentUser(req)),
    returnUrl: accountUrl(publicUrl),
    logger: logger.child({ component: 'polar-session' }),
  })

  async function route(req, res, url) {
    const path = url.pathname
    if (req.method === 'GET' && path === '/') {
      return html(res, homePage({ framework: FRAMEWORK, user: currentUser(req) }))
    }
    if (req.method === 'POST' && path === '/sign-in') {
      const user = findDemoUser((await readForm(req)).get('user'))
      if (!user) return send(res, 400, { 'content-type': 'text/plain' }, 'Unknown demo user.')
      logger.info({ user: user.id }, 'signed in')
      return redirect(res, '/account', { 'set-cookie': signInCookie(user.id) })
    }
    if (req.method === 'POST' && path === '/sign-out') {
      return redirect(res, '/', { 'set-cookie': signOutCookie() })
    }
    if (req.method === 'GET' && path === '/account') {
      const user = currentUser(req)
      const session = await sessions.resolve(req)
      if (!user || !session) return redirect(res, '/')
      return html(res, accountPage({ framework: FRAMEWORK, user, session }), { 'cache-control': 'no-store' })
    }
    if (req.method === 'GET' && path === '/portal') {
      // An optional per-request back link, `/portal?return_to=/account`: checkReturnUrl() resolves
      // paths against our origin and throws a 400 PolarSessionError for anything off-site
      // (`//evil.example`, `javascript:`, backslashes ...), so this is never an open redirect.
      const returnTo = url.searchParams.getAll('return_to')
      if (returnTo.length > 1)
        throw new PolarSessionError('invalid_return_url', 'Give return_to once.', { status: 400 })
      const returnUrl = returnTo.length === 1 ? sessions.checkReturnUrl(returnTo[0], publicUrl) : undefined
      const session = await sessions.resolve(req, { returnUrl })
      // Anonymous: the same 401 PolarSessionError the adapters answer with (rendered below).
      if (!session)
        throw new PolarSessionError('unauthenticated', 'Sign in to manage your billing.', {
          status: 401,
          headers: { 'WWW-Authenticate': 'Bearer' },
        })
      // The portal URL embeds the token: never cache it, never log it.
      return redirect(res, session.customerPortalUrl, { 'cache-control': 'no-store' })
    }
    send(res, 404, { 'content-type': 'text/plain' }, 'Not found')
  }

  async function app(req, res) {
    const startedAt = performance.now()
    // `${origin}${req.url}`, not new URL(req.url, origin): a request line such as `//evil.example/`
    // must stay a path on this server, not become another host.
    const url = URL.canParse(`${publicUrl}${req.url}`) ? new URL(`${publicUrl}${req.url}`) : null
    if (url === null) return send(res, 400, { 'content-type': 'text/plain' }, 'Bad request')
    res.on('finish', () =>
      logRequest(logger, { method: req.method, path: url.pathname, status: res.statusCode, startedAt }),
    )
    try {
      await route(req, res, url)
    } catch (error) {
      // PolarSessionError carries its status and headers (404 unknown customer, 503 + Retry-After ...).
      logPolarError(logger, error)
      if (res.headersSent) return res.destroy()
      const page = errorPage({ framework: FRAMEWORK, error })
      send(res, page.status, page.headers, page.html)
    }
  }

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
    toListener: (app) => app,
    loggerName: 'polar-session-node-http',
  })
}

/** `node examples/node-http/server.js`: the embedded fake Polar unless POLAR_ACCESS_TOKEN is set. */
export function main() {
  return runDemo({ framework: FRAMEWORK, startDemoServer })
}

runIfMain(import.meta.url, main)
