import type { PolarSessions } from '@polar-session/core'
import { sessionMiddleware, type SessionMiddlewareOptions } from '@polar-session/core/adapter'
import type { Context, Middleware, Next } from 'koa'
import { contextFacts } from '../context-facts.js'
import { redirectToPortal } from '../redirect-to-portal.js'

/** Options of {@link polarSession}. */
export type PolarSessionMiddlewareOptions = SessionMiddlewareOptions

/**
 * Koa 2 and 3 middleware that gives the signed-in user a Polar customer session. The
 * instance's `identify` receives the Koa context: `identify(ctx)`.
 *
 * - attach mode (default), lazy: sets `ctx.state.polarSession` when a session is already
 *   cached, and `ctx.state.getPolarSession()`, which creates one where it is needed;
 * - attach mode with `lazy: false`: gets a session for every signed-in request (creations
 *   here spend only `attachBudgetShare` of the creation budget);
 * - in attach mode nothing fails the request: when something goes wrong (no Polar customer
 *   yet, Polar down, a revoked token) `ctx.state.polarSession` is null and the error is on
 *   `ctx.state.polarSessionError`; anonymous requests get null and no error;
 * - `required: true`: anonymous requests get 401, and errors are thrown;
 * - `redirect: true`: identified requests get a 303 to the customer portal; anonymous ones 401.
 *
 * Errors are thrown as `PolarSessionError` (`status`, `expose`, `headers`), so Koa's default
 * error handling answers with the right status and `Retry-After`, and `app.on('error')` sees them.
 *
 * @example
 * app.use(polarSession(polar))
 * router.get('/account', async (ctx) => { ctx.body = render(await ctx.state.getPolarSession()) })
 * router.get('/billing', polarSession(polar, { redirect: true, returnToParam: 'return_to' }))
 */
export function polarSession(polar: PolarSessions<Context>, options: PolarSessionMiddlewareOptions = {}): Middleware {
  const middleware = sessionMiddleware('polarSession', polar, options)
  const answer = (ctx: Context, next: Next, portalUrl: string | null): Promise<void> => {
    if (portalUrl === null) return next()
    redirectToPortal(ctx, portalUrl)
    return Promise.resolve()
  }
  // Not an async function: a session at hand (a cache hit) goes on to next() at once.
  return function polarSession(ctx, next) {
    const portalUrl = middleware.run(ctx, contextFacts(ctx, middleware.returnToParam), ctx.state)
    return portalUrl instanceof Promise ? portalUrl.then((url) => answer(ctx, next, url)) : answer(ctx, next, portalUrl)
  }
}
