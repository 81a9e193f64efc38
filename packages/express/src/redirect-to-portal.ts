import { NO_STORE } from '@polar-session/core/adapter'
import type { Response } from 'express'

/**
 * A 303 to the portal with no body: `res.redirect()` would repeat the URL (a credential: it
 * embeds the token and the email) in a "Redirecting to …" body.
 */
export function redirectToPortal(res: Response, portalUrl: string): void {
  res.status(303).set({ 'Cache-Control': NO_STORE, Location: portalUrl }).end()
}
