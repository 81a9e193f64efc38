import type { PolarSessions } from '../create-polar-sessions.js'
import { isPolarSessionError, PolarSessionError } from '../errors.js'
import type { PolarSession } from '../types.js'
import { NO_STORE, portalJson, wantsJson } from './portal-answer.js'
import { checkRequestSessionOptions, sessionForRequest, type RequestSessionOptions } from './request-session.js'

/** Options of {@link createPortalHandler}. */
export type PortalHandlerOptions = Omit<RequestSessionOptions, 'required'>

/** The session of a Fetch-API `Request` (`identify` receives the `Request`); null when anonymous. */
export function sessionFromRequest(
  polar: PolarSessions<Request>,
  request: Request,
  options: RequestSessionOptions = {},
): Promise<PolarSession | null> {
  const url = new URL(request.url)
  const returnTo = options.returnToParam === undefined ? undefined : readParam(url, options.returnToParam)
  return sessionForRequest(polar, request, { returnTo, origin: url.origin }, options)
}

function readParam(url: URL, name: string): string | string[] | undefined {
  const values = url.searchParams.getAll(name)
  return values.length === 0 ? undefined : values.length === 1 ? values[0] : values
}

/** A JSON error answer for a `PolarSessionError`: its status, headers and (when exposed) message. */
export function errorResponse(error: unknown): Response {
  const known = isPolarSessionError(error)
    ? error
    : new PolarSessionError('polar_unavailable', 'Internal error', { status: 500, expose: false, cause: error })
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
      const session = (await sessionFromRequest(polar, request, sessionOptions))!
      if (wantsJson(request.headers.get('accept'))) {
        return Response.json(portalJson(session), { headers: { 'cache-control': NO_STORE } })
      }
      return new Response(null, { status: 303, headers: { location: session.customerPortalUrl, 'cache-control': NO_STORE } })
    } catch (error) {
      return errorResponse(error)
    }
  }
}
