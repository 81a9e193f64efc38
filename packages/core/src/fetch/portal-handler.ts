import type { PolarSessions } from '../create-polar-sessions.js'
import type { PortalRouteOptions } from '../adapter/check-options.js'
import { NO_STORE } from '../adapter/portal-answer.js'
import { portalRoute } from '../adapter/portal-route.js'
import {
  attachSession,
  NO_FACTS,
  sessionForRequest,
  type AttachedSession,
  type RequestFacts,
  type RequestSessionOptions,
} from '../adapter/request-session.js'
import { asPolarSessionError } from '../errors.js'

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
  const facts = requestFacts(request, options.returnToParam)
  if (options.required === true) {
    return sessionForRequest(polar, request, facts, options).then((session) => ({ session, error: null }))
  }
  return attachSession(polar, request, facts, options)
}

/** The return-to parameter of a Fetch `Request` (absent, one value, or all of a repeated one) and its origin. */
function requestFacts(request: Request, returnToParam: string | undefined): RequestFacts {
  if (returnToParam === undefined) return NO_FACTS
  const url = new URL(request.url)
  const values = url.searchParams.getAll(returnToParam)
  return { returnTo: values.length === 0 ? undefined : values.length === 1 ? values[0] : values, origin: url.origin }
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
  options: PortalRouteOptions = {},
): (request: Request) => Promise<Response> {
  const route = portalRoute('createPortalHandler', polar, options)
  return async function polarPortalHandler(request) {
    try {
      const answer = await route.answer(
        request,
        requestFacts(request, route.returnToParam),
        request.headers.get('accept'),
      )
      if (answer.kind === 'json') return Response.json(answer.body, { headers: { 'cache-control': NO_STORE } })
      return new Response(null, { status: 303, headers: { location: answer.location, 'cache-control': NO_STORE } })
    } catch (error) {
      return errorResponse(error)
    }
  }
}
