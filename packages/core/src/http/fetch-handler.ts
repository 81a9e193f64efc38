import type { PolarSessions } from '../create-polar-sessions.js'
import { asPolarSessionError } from '../errors.js'
import { NO_STORE, portalJson, wantsJson } from './portal-answer.js'
import {
  attachSession,
  checkRequestSessionOptions,
  sessionForRequest,
  type AttachedSession,
  type RequestFacts,
  type RequestSessionOptions,
} from './request-session.js'

/** Options of {@link createPortalHandler}. */
export type PortalHandlerOptions = Omit<RequestSessionOptions, 'required'>

/**
 * The session of a Fetch-API `Request` (`identify` receives the `Request`), attach-mode style:
 * `{ session, error }`, where `session` is null for an anonymous request or when something
 * failed, and `error` says what failed. Never rejects, so a middleware built on it never turns
 * Polar's trouble into an error page. With `required: true` it rejects instead: 401 for an
 * anonymous request, the error with its status otherwise.
 *
 * @example
 * const { session, error } = await sessionFromRequest(polar, request)
 * if (error) console.warn(error.code)
 */
export function sessionFromRequest(
  polar: PolarSessions<Request>,
  request: Request,
  options: RequestSessionOptions = {},
): Promise<AttachedSession> {
  const facts = requestFacts(request, options)
  if (options.required === true) {
    return sessionForRequest(polar, request, facts, options).then((session) => ({ session, error: null }))
  }
  return attachSession(polar, request, facts, options)
}

function requestFacts(request: Request, options: RequestSessionOptions): RequestFacts {
  if (options.returnToParam === undefined) return { returnTo: undefined, origin: '' }
  const url = new URL(request.url)
  return { returnTo: readParam(url, options.returnToParam), origin: url.origin }
}

function readParam(url: URL, name: string): string | string[] | undefined {
  const values = url.searchParams.getAll(name)
  return values.length === 0 ? undefined : values.length === 1 ? values[0] : values
}

/**
 * A JSON error answer for a `PolarSessionError`: its status, headers and (when exposed) message.
 * Any other error is a 500 `internal_error` that says nothing of it.
 */
export function errorResponse(error: unknown): Response {
  const known = asPolarSessionError(error)
  const body = {
    error: known.code,
    message: known.expose ? known.message : 'The billing portal is unavailable right now.',
  }
  return Response.json(body, { status: known.status, headers: { ...known.headers, 'cache-control': NO_STORE } })
}

/**
 * A Fetch-API portal route for any framework that speaks `Request → Response` (Hono, Next.js
 * route handlers, Bun, Deno): 303 to the customer portal, or `{ url, expiresAt }` when the
 * client asks for JSON; 401 when anonymous; errors as JSON with their status and headers.
 */
export function createPortalHandler(
  polar: PolarSessions<Request>,
  options: PortalHandlerOptions = {},
): (request: Request) => Promise<Response> {
  checkRequestSessionOptions('createPortalHandler', options)
  const sessionOptions = { ...options, required: true }
  return async function polarPortalHandler(request) {
    try {
      const session = (await sessionForRequest(polar, request, requestFacts(request, sessionOptions), sessionOptions))!
      if (wantsJson(request.headers.get('accept'))) {
        return Response.json(portalJson(session), { headers: { 'cache-control': NO_STORE } })
      }
      return new Response(null, { status: 303, headers: { location: session.customerPortalUrl, 'cache-control': NO_STORE } })
    } catch (error) {
      return errorResponse(error)
    }
  }
}
