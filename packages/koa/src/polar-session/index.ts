import {
  attachSession,
  checkPolarSessions,
  checkRequestSessionOptions,
  lazySession,
  sessionForRequest,
  type AttachedSession,
  type AttachOptions,
  type PolarSessions,
  type RequestSessionOptions,
} from '@polar-session/core'
import type { Context, Middleware } from 'koa'
import { contextFacts } from '../context-facts.js'
import { redirectToPortal } from '../redirect-to-portal.js'

/** Options of {@link polarSession}. */
export interface PolarSessionOptions extends AttachOptions {
  /**
   * Send identified requests to the customer portal (303, `Cache-Control: no-store`) instead
   * of attaching the session. Anonymous requests then get 401 unless `required: false`.
   * @default false
   */
  redirect?: boolean
}

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
export function polarSession(polar: PolarSessions<Context>, options: PolarSessionOptions = {}): Middleware {
  checkPolarSessions('polarSession', polar)
  checkRequestSessionOptions('polarSession', options)
  const { redirect = false, lazy = true, ...rest } = options
  if (typeof redirect !== 'boolean') throw new TypeError('polarSession: redirect must be true or false.')
  if (typeof lazy !== 'boolean') throw new TypeError('polarSession: lazy must be true or false.')
  const sessionOptions: RequestSessionOptions = { ...rest, required: rest.required ?? redirect }
  const param = sessionOptions.returnToParam

  if (!redirect && sessionOptions.required !== true) {
    const attach = (ctx: Context, { session, error }: AttachedSession): void => {
      ctx.state.polarSession = session
      ctx.state.polarSessionError = error
    }
    if (lazy) {
      return async function polarSession(ctx, next) {
        const lazily = await lazySession(polar, ctx, contextFacts(ctx, param), sessionOptions, (settled) => attach(ctx, settled))
        attach(ctx, lazily)
        ctx.state.getPolarSession = lazily.get
        return next()
      }
    }
    return async function polarSession(ctx, next) {
      attach(ctx, await attachSession(polar, ctx, contextFacts(ctx, param), sessionOptions))
      return next()
    }
  }

  return async function polarSession(ctx, next) {
    const session = await sessionForRequest(polar, ctx, contextFacts(ctx, param), sessionOptions)
    if (session === null) return next()
    if (!redirect) {
      ctx.state.polarSession = session
      return next()
    }
    redirectToPortal(ctx, session.customerPortalUrl)
  }
}
