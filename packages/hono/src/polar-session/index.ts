import type { PolarSession, PolarSessionError, PolarSessions } from '@polar-session/core'
import { sessionMiddleware, type SessionMiddlewareOptions, type SessionTarget } from '@polar-session/core/adapter'
import type { Context, MiddlewareHandler, Next } from 'hono'
import { asHttpException, redirectToPortal } from '../answers.js'
import { contextFacts } from '../context-facts.js'

/** Options of {@link polarSession}. */
export type PolarSessionMiddlewareOptions = SessionMiddlewareOptions

/**
 * What `polarSession()` sets on the context: type the app with it,
 * `new Hono<{ Variables: PolarSessionVariables }>()`, and `c.get('polarSession')` is typed.
 */
export interface PolarSessionVariables extends SessionTarget {}

/** The environment of an app (or route) behind `polarSession()`. */
export type PolarSessionEnv = { Variables: PolarSessionVariables }

/** Core writes a request's session into a SessionTarget; in Hono, that is the context's variables. */
class ContextVariables implements SessionTarget {
  readonly #c: Context<PolarSessionEnv>
  constructor(c: Context<PolarSessionEnv>) {
    this.#c = c
  }
  get polarSession(): PolarSession | null | undefined {
    return this.#c.get('polarSession')
  }
  set polarSession(value: PolarSession | null | undefined) {
    this.#c.set('polarSession', value)
  }
  get polarSessionError(): PolarSessionError | null | undefined {
    return this.#c.get('polarSessionError')
  }
  set polarSessionError(value: PolarSessionError | null | undefined) {
    this.#c.set('polarSessionError', value)
  }
  get getPolarSession(): (() => Promise<PolarSession | null>) | undefined {
    return this.#c.get('getPolarSession')
  }
  set getPolarSession(value: (() => Promise<PolarSession | null>) | undefined) {
    this.#c.set('getPolarSession', value)
  }
}

/**
 * Hono middleware that gives the signed-in user a Polar customer session, on Node.js and on any
 * Fetch runtime Hono supports. The instance's `identify` receives the Hono context, so it can
 * read what your auth middleware set (`c.get('jwtPayload')`, `c.get('user')`).
 *
 * - attach mode (default), lazy: sets `c.get('polarSession')` when a session is already cached,
 *   and `c.get('getPolarSession')`, which creates one where it is needed (a billing link);
 * - attach mode with `lazy: false`: gets a session for every signed-in request (creations here
 *   spend only `attachBudgetShare` of the creation budget);
 * - in attach mode nothing fails the request: when something goes wrong (no Polar customer yet,
 *   Polar down, a revoked token) `c.get('polarSession')` is null and the error is
 *   `c.get('polarSessionError')`; anonymous requests get null and no error;
 * - `required: true`: anonymous requests get 401, and errors are thrown;
 * - `redirect: true`: identified requests get a 303 to the customer portal; anonymous ones 401.
 *
 * Errors are thrown as Hono `HTTPException`s carrying core's JSON answer (status, `Retry-After`),
 * with the `PolarSessionError` as `cause`.
 *
 * @example
 * const app = new Hono<{ Variables: PolarSessionVariables }>()
 * app.use(polarSession(polar))
 * app.get('/account', async (c) => c.json({ portal: (await c.get('getPolarSession')!()) !== null }))
 * app.use('/billing', polarSession(polar, { redirect: true, returnToParam: 'return_to' }))
 */
export function polarSession(
  polar: PolarSessions<Context>,
  options: PolarSessionMiddlewareOptions = {},
): MiddlewareHandler<PolarSessionEnv> {
  const middleware = sessionMiddleware('polarSession', polar, options)
  // Hono's own return type for a middleware: a response, or nothing to go on.
  type Answer = ReturnType<MiddlewareHandler>
  const answer = (c: Context, next: Next, portalUrl: string | null): Answer =>
    portalUrl === null ? next() : Promise.resolve(redirectToPortal(c, portalUrl))
  const fail = (error: unknown): never => {
    throw asHttpException(error)
  }
  // Not an async function: a session at hand (a cache hit) goes on to next() at once.
  return function polarSession(c, next) {
    const portalUrl = middleware.run(c, contextFacts(c, middleware.returnToParam), new ContextVariables(c))
    return portalUrl instanceof Promise
      ? (portalUrl.then((url) => answer(c, next, url), fail) as Answer)
      : answer(c, next, portalUrl)
  }
}
