import type { PortalUrlPolicy } from './types.js'

/** Polar's customer portals (its front ends), by environment. */
export const POLAR_PORTAL_ORIGINS = {
  production: 'https://polar.sh',
  sandbox: 'https://sandbox.polar.sh',
} as const

/**
 * Why a `customer_portal_url` must not be handed to a user, or null when it may. We redirect
 * users there, so a compromised proxy or a look-alike answer must not turn us into an open
 * redirect: https only (http only against a loopback base URL), no user name or password, no
 * control characters (the URL parser would silently drop CR and LF, the header writer would
 * not), and an origin from the policy's list. The reason never quotes the URL: it holds the
 * session token and the customer's email.
 */
export function portalUrlProblem(raw: string, policy: PortalUrlPolicy): string | null {
  if (/[\u0000-\u0020\u007f-\u009f]/.test(raw)) return 'contains spaces or control characters'
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'is not a URL'
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    return policy.allowHttp ? 'is not an http(s) URL' : 'is not an https URL'
  }
  if (url.username !== '' || url.password !== '') return 'has a user name or password'
  if (!policy.origins.has(url.origin)) return `is on ${url.origin}, which is not one of portalOrigins`
  return null
}

/** Whether a host name is this machine: `localhost`, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname)
}
