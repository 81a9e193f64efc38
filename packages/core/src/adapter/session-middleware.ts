import type { PolarSessions } from '../create-polar-sessions.js'
import type { PolarSessionError } from '../errors.js'
import type { PolarSession } from '../types.js'
import { checkPolarSessions, checkSessionMiddlewareOptions, type SessionMiddlewareOptions } from './check-options.js'
import {
  attachSessionNow,
  lazySessionNow,
  requestSessionNow,
  type AttachedSession,
  type LazySession,
  type MaybePromise,
  type RequestFacts,
  type RequestSessionOptions,
} from './request-session.js'

/**
 * What `polarSession()` gives a request, where the framework keeps such things (Express's
 * `req`, Koa's `ctx.state`, …). Adapters merge it into their framework's types.
 */
export interface SessionTarget {
  /**
   * The Polar customer session of the signed-in user, set by `polarSession()`: null for
   * anonymous requests, when (lazy) none is cached yet, or when something failed (see
   * `polarSessionError`); undefined before the middleware ran.
   */
  polarSession?: PolarSession | null
  /**
   * Why attach mode has no session for a signed-in user (`code`: `customer_not_found`,
   * `polar_unavailable`, `rate_limited`, …); null when it has one, or the request is anonymous.
   */
  polarSessionError?: PolarSessionError | null
  /**
   * Lazy attach mode (the default of `polarSession()`): the signed-in user's session, created
   * now if none is cached (one creation however many calls), or null when the request is
   * anonymous or it failed (then `polarSessionError` says why). Never rejects. Also sets
   * `polarSession`.
   */
  getPolarSession?: () => Promise<PolarSession | null>
}

/** Everything a framework's `polarSession()` does, but reading the request and answering it. */
export interface SessionMiddleware<Req> {
  /** The query parameter to read into {@link RequestFacts}, if any. */
  readonly returnToParam: string | undefined
  /**
   * Gives `target` the request's session (and, lazy, `getPolarSession`). Gives the portal URL
   * to redirect to (redirect mode), or null to go on with the next handler: at once, with no
   * promise, when the session was at hand (a synchronous `identify` and a cache hit in this
   * process: the hot path), else as a promise. `await` works on both. Never throws; the promise
   * rejects only with `required: true` or in redirect mode: the error is then the answer.
   */
  run(request: Req, facts: RequestFacts, target: SessionTarget): MaybePromise<string | null>
}

function assign(target: SessionTarget, { session, error }: AttachedSession): void {
  target.polarSession = session
  target.polarSessionError = error
}

/**
 * The `polarSession()` middleware of every adapter, framework aside: options checked once,
 * then lazy attach (the default), eager attach (`lazy: false`), `required: true` or
 * redirect mode, as the options say.
 */
export function sessionMiddleware<Req>(
  where: string,
  polar: PolarSessions<Req>,
  options: SessionMiddlewareOptions = {},
): SessionMiddleware<Req> {
  checkPolarSessions(where, polar)
  checkSessionMiddlewareOptions(where, options)
  const { redirect = false, lazy = true, ...rest } = options
  const sessionOptions: RequestSessionOptions = { ...rest, required: rest.required ?? redirect }
  const returnToParam = sessionOptions.returnToParam

  if (!redirect && sessionOptions.required !== true) {
    if (lazy) {
      return {
        returnToParam,
        run(request, facts, target) {
          const lazily = lazySessionNow(polar, request, facts, sessionOptions, (settled) => assign(target, settled))
          return lazily instanceof Promise
            ? lazily.then((found) => assignLazy(target, found))
            : assignLazy(target, lazily)
        },
      }
    }
    return {
      returnToParam,
      run(request, facts, target) {
        const attached = attachSessionNow(polar, request, facts, sessionOptions)
        return attached instanceof Promise
          ? attached.then((found) => assignNone(target, found))
          : assignNone(target, attached)
      },
    }
  }
  const answer = (target: SessionTarget, session: PolarSession | null): string | null => {
    if (session === null) return null
    if (redirect) return session.customerPortalUrl
    target.polarSession = session
    return null
  }
  return {
    returnToParam,
    run(request, facts, target) {
      try {
        const session = requestSessionNow(polar, request, facts, sessionOptions)
        return session instanceof Promise ? session.then((found) => answer(target, found)) : answer(target, session)
      } catch (error) {
        return Promise.reject(error)
      }
    },
  }
}

/** Attach mode's outcome on the request; nothing to redirect to. */
function assignNone(target: SessionTarget, attached: AttachedSession): null {
  assign(target, attached)
  return null
}

/** Lazy attach mode's outcome on the request, with its `getPolarSession`; nothing to redirect to. */
function assignLazy(target: SessionTarget, lazily: LazySession): null {
  assign(target, lazily)
  target.getPolarSession = lazily.get
  return null
}
