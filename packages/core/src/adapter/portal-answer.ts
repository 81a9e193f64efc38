import type { PolarSession } from '../types.js'

/** `Cache-Control` for every answer that carries a session: it is a credential. */
export const NO_STORE = 'no-store'

/** The JSON a single-page app gets from the portal route. */
export interface PortalJson {
  url: string
  expiresAt: string
}

/**
 * Whether the client asked for JSON rather than a redirect: an `Accept` that names
 * `application/json` before (or without) `text/html`.
 */
export function wantsJson(accept: string | null | undefined): boolean {
  if (typeof accept !== 'string') return false
  const json = accept.indexOf('application/json')
  if (json === -1) return false
  const html = accept.indexOf('text/html')
  return html === -1 || json < html
}

/** The portal route's JSON body. */
export function portalJson(session: PolarSession): PortalJson {
  return { url: session.customerPortalUrl, expiresAt: session.expiresAt.toISOString() }
}
