import type { CreationPurpose } from '../budget/creation-budget.js'
import type { ResolveOptions } from '../call-options.js'
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

/** The facts of a request without a return-to parameter to read: nothing to check, no origin needed. */
export const NO_FACTS: RequestFacts = Object.freeze({ returnTo: undefined, origin: '' })

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
function unauthenticated(): PolarSessionError {
  return new PolarSessionError('unauthenticated', 'Sign in to manage your billing.', {
    status: 401,
    headers: { 'WWW-Authenticate': 'Bearer' },
  })
}

/** Calls that may answer at once: `T` when the work was synchronous, else a promise of it. */
export type MaybePromise<T> = T | Promise<T>

const ATTACH: RequestCall = Object.freeze({ purpose: 'attach' })
const INTERACTIVE: RequestCall = Object.freeze({ purpose: 'interactive' })
const CACHED_ONLY: RequestCall = Object.freeze({ cachedOnly: true })

/**
 * `polar.resolve()`, but with the session itself when the instance has it at once (a
 * synchronous `identify` and a cache hit in this process): the hot path of every middleware
 * then allocates no promise. An instance this copy of the core did not create gets `resolve()`.
 */
function resolveNow<Req>(
  polar: PolarSessions<Req>,
  request: Req,
  options: ResolveOptions,
): MaybePromise<PolarSession | null> {
  const internals = internalsOf(polar)
  return internals === undefined ? polar.resolve(request, options) : internals.resolveNow(request, options)
}

function requireSession(session: PolarSession | null): PolarSession {
  if (session === null) throw unauthenticated()
  return session
}

/**
 * {@link sessionForRequest}, answered at once when it can be. Throws (synchronously) for a bad
 * return URL; every other failure is a rejected promise.
 */
export function requestSessionNow<Req>(
  polar: PolarSessions<Req>,
  request: Req,
  facts: RequestFacts,
  options: RequestSessionOptions,
  call: RequestCall = INTERACTIVE,
): MaybePromise<PolarSession | null> {
  let returnUrl: string | undefined
  if (options.returnToParam !== undefined && facts.returnTo !== undefined) {
    if (typeof facts.returnTo !== 'string') {
      throw new PolarSessionError('invalid_return_url', `Give ${options.returnToParam} once, as a URL or a path.`, {
        status: 400,
      })
    }
    returnUrl = polar.checkReturnUrl(facts.returnTo, facts.origin)
  }
  // Without a per-request return URL or margin, `call` is the whole of resolve's options: no
  // object to build on the hot path.
  const resolveOptions: ResolveOptions =
    returnUrl === undefined && options.minRemainingMs === undefined
      ? call
      : { returnUrl, minRemainingMs: options.minRemainingMs, ...call }
  const session = resolveNow(polar, request, resolveOptions)
  if (options.required !== true) return session
  return session instanceof Promise ? session.then(requireSession) : requireSession(session)
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
  call: RequestCall = INTERACTIVE,
): Promise<PolarSession | null> {
  return requestSessionNow(polar, request, facts, options, call)
}

const attached = (session: PolarSession | null): AttachedSession => ({ session, error: null })

/** Attach mode's answer to a failure: no session, the error, logged at a level that fits. */
function attachFailed<Req>(polar: PolarSessions<Req>, thrown: unknown): AttachedSession {
  const error = asPolarSessionError(thrown)
  internalsOf(polar)?.reportAttachError(error)
  return { session: null, error }
}

/** {@link attachSession}, answered at once when it can be. Never throws, never rejects. */
export function attachSessionNow<Req>(
  polar: PolarSessions<Req>,
  request: Req,
  facts: RequestFacts,
  options: RequestSessionOptions,
  call: RequestCall = ATTACH,
): MaybePromise<AttachedSession> {
  try {
    const session = requestSessionNow(polar, request, facts, options, call)
    if (session instanceof Promise) return session.then(attached, (thrown) => attachFailed(polar, thrown))
    return attached(session)
  } catch (thrown) {
    return attachFailed(polar, thrown)
  }
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
  call: RequestCall = ATTACH,
): Promise<AttachedSession> {
  return attachSessionNow(polar, request, facts, options, call)
}

/** {@link lazySession}, answered at once when it can be. Never throws, never rejects. */
export function lazySessionNow<Req>(
  polar: PolarSessions<Req>,
  request: Req,
  facts: RequestFacts,
  options: RequestSessionOptions,
  onSettled: (attached: AttachedSession) => void,
): MaybePromise<LazySession> {
  const cached = attachSessionNow(polar, request, facts, options, CACHED_ONLY)
  const lazily = (found: AttachedSession): LazySession => {
    // Made on the first get() only: most requests never ask, and a hit should cost no promise.
    let pending: Promise<PolarSession | null> | undefined
    const get = (): Promise<PolarSession | null> => {
      pending ??=
        found.session !== null
          ? Promise.resolve(found.session)
          : attachSession(polar, request, facts, options, INTERACTIVE).then((settled) => {
              onSettled(settled)
              return settled.session
            })
      return pending
    }
    return { session: found.session, error: found.error, get }
  }
  return cached instanceof Promise ? cached.then(lazily) : lazily(cached)
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
  return lazySessionNow(polar, request, facts, options, onSettled)
}
