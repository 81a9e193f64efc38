import type { CreationPurpose } from '../budget/creation-budget.js'
import type { PolarSessions } from '../create-polar-sessions.js'
import { asPolarSessionError, PolarSessionError } from '../errors.js'
import type { PolarSession } from '../types.js'
import { internalsOf } from './internals.js'

/** Options shared by the middleware of every adapter. */
export interface RequestSessionOptions {
  /**
   * Anonymous requests get 401 `unauthenticated`, and errors answer with their status,
   * instead of the request going on without a session.
   * @default false (`true` when redirecting to the portal)
   */
  required?: boolean
  /**
   * Name of a query parameter holding a per-request return URL (e.g. `'return_to'`). Accepted
   * only when its origin is in `allowedReturnOrigins`; relative paths resolve against the
   * app's own origin. Anything else is a 400, never a redirect off-site.
   * @default undefined (no per-request return URL)
   */
  returnToParam?: string
  /** Hand out a cached session only with more than this left. @default the instance's `refreshMarginMs` */
  minRemainingMs?: number
}

/** Options of an adapter's `polarSession()` middleware beyond {@link RequestSessionOptions}. */
export interface AttachOptions extends RequestSessionOptions {
  /**
   * Attach mode only (`required` and `redirect` unset). `true`: attach a session only when one
   * is already cached (no call to Polar), and give the request `getPolarSession()` to create
   * one on demand, where it is used. `false` (eager): get a session for every signed-in
   * request, creating one on the first request of each reuse window.
   *
   * Lazy is the default because sessions cost Polar's rate limit: eager attach spends it on
   * every active user (60/45 ≈ 1.33 creations an hour each) whether or not they ever open
   * billing; lazy spends it only on those who do.
   * @default true
   */
  lazy?: boolean
}

/** What an adapter has read off its framework's request. */
export interface RequestFacts {
  /** The raw value(s) of the return-to query parameter, if any. */
  returnTo: unknown
  /** The app's own origin, e.g. `https://app.example.com`, for relative return paths. */
  origin: string
}

/** How a request's session is fetched: what it is for, and whether it may be created. */
export interface RequestCall {
  /** @default 'interactive' */
  purpose?: CreationPurpose
  /** Only a cached session; never call Polar. @default false */
  cachedOnly?: boolean
}

/** What attach mode gives a request: a session, or null and why (when something failed). */
export interface AttachedSession {
  /** The session; null when the request is anonymous or something failed. */
  session: PolarSession | null
  /** Why there is no session, when something failed; null for an anonymous request. */
  error: PolarSessionError | null
}

/** What lazy attach mode gives a request: the cached session if any, and a way to get one. */
export interface LazySession extends AttachedSession {
  /**
   * Gets the session now, creating it if needed (single-flighted: concurrent calls, in this
   * request or others, share one creation). Never rejects: resolves to null on failure and
   * reports it through `onSettled`. Repeated calls return the same promise.
   */
  get(): Promise<PolarSession | null>
}

/** The 401 for a request that needs a session and has no identity. */
export function unauthenticated(): PolarSessionError {
  return new PolarSessionError('unauthenticated', 'Sign in to manage your billing.', {
    status: 401,
    headers: { 'WWW-Authenticate': 'Bearer' },
  })
}

/**
 * The session for a framework request: checks the per-request return URL, identifies the
 * request, gets the session. Null for an anonymous request unless `required`. Rejects with
 * the error otherwise: for portal routes, redirect mode and `required: true`.
 */
export async function sessionForRequest<Req>(
  polar: PolarSessions<Req>,
  request: Req,
  facts: RequestFacts,
  options: RequestSessionOptions,
  call: RequestCall = {},
): Promise<PolarSession | null> {
  let returnUrl: string | undefined
  if (options.returnToParam !== undefined && facts.returnTo !== undefined) {
    if (typeof facts.returnTo !== 'string') {
      throw new PolarSessionError('invalid_return_url', `Give ${options.returnToParam} once, as a URL or a path.`, {
        status: 400,
      })
    }
    returnUrl = polar.checkReturnUrl(facts.returnTo, facts.origin)
  }
  const session = await polar.resolve(request, { returnUrl, minRemainingMs: options.minRemainingMs, ...call })
  if (session === null && options.required === true) throw unauthenticated()
  return session
}

/**
 * Attach mode (`required: false`): the session when there is one, and never a failed
 * request. Whatever goes wrong (no Polar customer yet, Polar down, a revoked token, a bad
 * return URL) resolves to `{ session: null, error }`, logged at a level that fits (see
 * `createAttachErrorLog`), so a middleware mounted in front of every route cannot turn
 * Polar's trouble into error pages on routes that never needed a session. Creations made here
 * spend only attach mode's share of the creation budget.
 */
export async function attachSession<Req>(
  polar: PolarSessions<Req>,
  request: Req,
  facts: RequestFacts,
  options: RequestSessionOptions,
  call: RequestCall = { purpose: 'attach' },
): Promise<AttachedSession> {
  try {
    return { session: await sessionForRequest(polar, request, facts, options, call), error: null }
  } catch (thrown) {
    const error = asPolarSessionError(thrown)
    internalsOf(polar)?.reportAttachError(error)
    return { session: null, error }
  }
}

/**
 * Lazy attach mode: the session only when one is already cached (no call to Polar, no
 * waiting on a creation), plus `get()` to create one where it is used. `get()` is a person
 * waiting (a billing link), so its creation may use the whole budget; failures follow attach
 * mode's soft rules. `onSettled` sees what `get()` came to, so the adapter can update the
 * request's `polarSession` and `polarSessionError`.
 */
export async function lazySession<Req>(
  polar: PolarSessions<Req>,
  request: Req,
  facts: RequestFacts,
  options: RequestSessionOptions,
  onSettled: (attached: AttachedSession) => void,
): Promise<LazySession> {
  const cached = await attachSession(polar, request, facts, options, { cachedOnly: true })
  let pending: Promise<PolarSession | null> | undefined =
    cached.session === null ? undefined : Promise.resolve(cached.session)
  const get = (): Promise<PolarSession | null> => {
    pending ??= attachSession(polar, request, facts, options, { purpose: 'interactive' }).then((attached) => {
      onSettled(attached)
      return attached.session
    })
    return pending
  }
  return { ...cached, get }
}
