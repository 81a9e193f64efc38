import type { PolarSessions } from '@polar-session/core'
import { sessionMiddleware, type SessionMiddlewareOptions } from '@polar-session/core/adapter'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { redirectToPortal } from '../redirect-to-portal.js'
import { requestFacts } from '../request-facts.js'

/** Options of {@link polarSession}: the instance, and the options of every adapter's middleware. */
export interface PolarSessionPluginOptions extends SessionMiddlewareOptions {
  /** What `createPolarSessions()` returns; its `identify` receives the Fastify request. */
  polar: PolarSessions<FastifyRequest>
}

const DECORATIONS = ['polarSession', 'polarSessionError', 'getPolarSession'] as const

const plugin: FastifyPluginAsync<PolarSessionPluginOptions> = async function polarSession(app, options) {
  if (typeof options !== 'object' || options === null || !('polar' in options)) {
    throw new TypeError('polarSession: register it with { polar }, the object createPolarSessions() returns.')
  }
  const { polar, ...middlewareOptions } = options
  const middleware = sessionMiddleware('polarSession', polar, middlewareOptions)
  // Declared once per app (a nested registration, say redirect mode under /billing, reuses them),
  // null on every request, so requests keep one shape.
  for (const name of DECORATIONS) if (!app.hasRequestDecorator(name)) app.decorateRequest(name, null)
  // preHandler: after the body is parsed and the app's own auth hooks ran, as `identify` may need both.
  // A callback hook, not an async one: a session at hand (a cache hit) goes on at once, with no
  // promise. After a redirect the hook does not call done(): the reply is sent.
  const answer = (reply: FastifyReply, done: HookHandlerDoneFunction, portalUrl: string | null): void => {
    if (portalUrl === null) done()
    else redirectToPortal(reply, portalUrl)
  }
  app.addHook('preHandler', function polarSession(request, reply, done) {
    const portalUrl = middleware.run(request, requestFacts(request, middleware.returnToParam), request)
    if (!(portalUrl instanceof Promise)) return answer(reply, done, portalUrl)
    portalUrl.then((url) => answer(reply, done, url), done)
  })
}

/**
 * Fastify 4 and 5 plugin that gives the signed-in user a Polar customer session, on every route
 * of the app (or encapsulated context) it is registered on. The instance's `identify` receives
 * the Fastify request. It runs as a `preHandler` hook: after body parsing and after `onRequest` /
 * `preValidation` hooks, where authentication plugins set `request.user`.
 *
 * - attach mode (default), lazy: sets `request.polarSession` when a session is already cached,
 *   and `request.getPolarSession()`, which creates one where it is needed (a billing link);
 * - attach mode with `lazy: false`: gets a session for every signed-in request (creations here
 *   spend only `attachBudgetShare` of the creation budget);
 * - in attach mode nothing fails the request: when something goes wrong (no Polar customer yet,
 *   Polar down, a revoked token) `request.polarSession` is null and the error is on
 *   `request.polarSessionError`; anonymous requests get null and no error;
 * - `required: true`: anonymous requests get 401, and errors are thrown;
 * - `redirect: true`: identified requests get a 303 to the customer portal; anonymous ones 401.
 *
 * Thrown errors are `PolarSessionError`s with `statusCode`, `code` and `headers`, so Fastify's
 * error handler answers with the right status and `Retry-After`. Options are checked when the app
 * starts (`ready()`, `listen()` reject with a `TypeError` naming the bad option).
 *
 * @example
 * await app.register(polarSession, { polar })
 * app.get('/account', async (request) => ({ portal: (await request.getPolarSession()) !== null }))
 * app.register(async (billing) => {
 *   await billing.register(polarSession, { polar, redirect: true, returnToParam: 'return_to' })
 *   billing.get('/billing', async () => 'not reached by signed-in users')
 * })
 */
export const polarSession = fp(plugin, { name: '@polar-session/fastify', fastify: '4.x || 5.x' })
