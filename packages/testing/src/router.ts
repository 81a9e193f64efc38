// Request routing in the order Polar's stack applies it:
//   1. the rate limit (429, empty body, retry-after; rate-limit.ts), before
//      authentication, so it keys a token by the identity its last successful
//      authentication cached;
//   2. auth middleware: a bearer token that is unknown, expired or revoked is
//      a 401 invalid_token on every /v1 path, before routing;
//   3. Polar-Version: absent, 2026-04 or 2026-10, anything else 404;
//   4. Starlette routing: 404, 405, or 307 to the path with/without the
//      trailing slash;
//   5. the endpoint: JSON parse (422 json_invalid) → auth subject and scope
//      (401/403) → schema (422) → lookups (422/404). Endpoints live in
//      handlers.ts.
// Paths outside /v1 are the portal frontend (GET /{slug}/portal) or 404.
// Who is asking is auth.ts; what routes exist is routes.ts.

import { invalidToken, methodNotAllowed, empty, notFound, rateLimited } from './answers.js'
import type { Answer } from './answers.js'
import { authenticate, bearerToken, rateLimitBucket, tokenBucket } from './auth.js'
import { clockMs } from './clock.js'
import { portalPage } from './portal-page.js'
import type { RateLimitCaller } from './rate-limit.js'
import type { RequestInfo, RouterDeps } from './request.js'
import { PORTAL_PAGE, match, slashAlternative } from './routes.js'

const SUPPORTED_VERSIONS = new Set(['2026-04', '2026-10'])

export function dispatch(deps: RouterDeps, req: RequestInfo): Answer {
  const { pathname, method } = req
  if (pathname !== '/v1' && !pathname.startsWith('/v1/')) {
    const portal = PORTAL_PAGE.exec(pathname)
    if (portal && (method === 'GET' || method === 'HEAD')) {
      const answer = portalPage(deps.org, portal[1] as string, req.query)
      return method === 'HEAD' ? { ...answer, body: '' } : answer
    }
    return notFound()
  }

  const token = bearerToken(req.headers.authorization)
  const limiter = deps.limiter()
  if (limiter) {
    const caller: RateLimitCaller =
      token === null
        ? { kind: 'anonymous', ip: req.clientIp }
        : { kind: 'token', token, identity: () => tokenBucket(deps.org, token) }
    const retryAfter = limiter.check(caller, clockMs(deps.org.clock))
    if (retryAfter !== null) return rateLimited(retryAfter)
  }

  const subject = authenticate(deps.org, token)
  if (subject === 'invalid') {
    if (token !== null) limiter?.forgetIdentity(token)
    return invalidToken()
  }
  const bucket = rateLimitBucket(deps.org, subject)
  if (limiter && token !== null && bucket !== null) limiter.rememberIdentity(token, bucket, clockMs(deps.org.clock))

  const version = req.headers['polar-version']
  if (version !== undefined && !SUPPORTED_VERSIONS.has(version as string)) return notFound()

  const m = match(method, pathname)
  if (m.route) return m.route.handler(deps, { ...req, params: m.params }, subject)
  if (m.allowed.length > 0) return methodNotAllowed(m.allowed)

  // Starlette's redirect_slashes: 307 to the other spelling when that one routes.
  if (slashAlternative(pathname) !== null) {
    const rawAlternative = req.rawPath.endsWith('/') ? req.rawPath.slice(0, -1) : `${req.rawPath}/`
    const host = req.headers.host ?? '127.0.0.1'
    return empty(307, { location: `http://${host}${rawAlternative}${req.search}`, 'content-length': '0' })
  }
  return notFound()
}
