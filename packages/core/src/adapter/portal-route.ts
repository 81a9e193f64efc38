import type { PolarSessions } from '../create-polar-sessions.js'
import { checkPolarSessions, checkPortalRouteOptions, type PortalRouteOptions } from './check-options.js'
import { portalJson, wantsJson, type PortalJson } from './portal-answer.js'
import { sessionForRequest, type RequestFacts, type RequestSessionOptions } from './request-session.js'

/**
 * What a portal route answers, always with `Cache-Control: no-store`: a 303 to the portal
 * (with no body: a framework's "Redirecting to …" body would repeat the credential URL), or
 * `{ url, expiresAt }` for a client that asked for JSON.
 */
export type PortalAnswer = { kind: 'redirect'; location: string } | { kind: 'json'; body: PortalJson }

/** Everything a framework's portal route does, but reading the request and answering it. */
export interface PortalRoute<Req> {
  readonly returnToParam: string | undefined
  /** The answer for the request; rejects with a `PolarSessionError` (401 when anonymous). */
  answer(request: Req, facts: RequestFacts, accept: string | null | undefined): Promise<PortalAnswer>
}

/** The portal route of every adapter, framework aside. */
export function portalRoute<Req>(
  where: string,
  polar: PolarSessions<Req>,
  options: PortalRouteOptions = {},
): PortalRoute<Req> {
  checkPolarSessions(where, polar)
  checkPortalRouteOptions(where, options)
  const sessionOptions: RequestSessionOptions = { ...options, required: true }
  return {
    returnToParam: sessionOptions.returnToParam,
    async answer(request, facts, accept) {
      const session = (await sessionForRequest(polar, request, facts, sessionOptions))!
      return wantsJson(accept)
        ? { kind: 'json', body: portalJson(session) }
        : { kind: 'redirect', location: session.customerPortalUrl }
    },
  }
}
