// A request through Polar's stack, outermost middleware first (server/polar/app.py:
// add_middleware() puts each new one outside the ones before it):
//   1. APIVersionMiddleware: Polar-Version absent or empty, 2026-04 or 2026-10;
//      anything else 404 {"detail":"Not Found"}. Every answer behind it carries
//      the version as a Polar-Version header;
//   2. MaxBodySizeMiddleware, on the headers alone: 411 for a POST, PUT or
//      PATCH without Content-Length (chunked), 413 above 10 MiB;
//   3. the rate limit on /v1 paths (429, empty body, retry-after; rate-limit.ts),
//      before authentication, so it keys a token by the identity its last
//      successful authentication cached;
//   4. AuthSubjectMiddleware: a bearer token that is unknown, expired or revoked
//      is a 401 invalid_token on every path, before routing;
//   5. CacheControlMiddleware (Cache-Control: private, no-store unless set),
//      then Starlette routing: 404 {"detail":"Not Found"}, 405, or 307 to the path
//      with/without the trailing slash;
//   6. the endpoint: JSON parse (422 json_invalid) → auth subject and scope
//      (401/403) → schema (422) → lookups (422/404). Endpoints live in
//      handlers.ts.
// GET /{slug}/portal is the portal frontend, another host on Polar: none of the
// API's middleware applies to it. Who is asking is auth.ts; what routes exist
// is routes.ts.

import {
  empty,
  invalidToken,
  lengthRequired,
  methodNotAllowed,
  rateLimited,
  requestBodyTooLarge,
  routeNotFound,
} from './answers.js'
import type { Answer } from './answers.js'
import { MAX_BODY_BYTES, bodySizeVerdict } from './body-reader.js'
import { authenticate, bearerToken, rateLimitBucket, tokenBucket } from './auth.js'
import { clockMs } from './clock.js'
import { portalPage } from './portal-page.js'
import type { RateLimitCaller } from './rate-limit.js'
import type { RequestInfo, RouterDeps, Subject } from './request.js'
import { PORTAL_PAGE, match, slashAlternative } from './routes.js'

/** CURRENT_API_VERSION first: the default. */
const SUPPORTED_VERSIONS = ['2026-04', '2026-10']

export function dispatch(deps: RouterDeps, req: RequestInfo): Answer {
  const portal = PORTAL_PAGE.exec(req.pathname)
  if (portal && (req.method === 'GET' || req.method === 'HEAD')) {
    const answer = portalPage(deps.org, portal[1] as string, req.query)
    return req.method === 'HEAD' ? { ...answer, body: '' } : answer
  }
  const version = apiVersion(req.headers['polar-version'])
  if (version === null) return routeNotFound()
  const answer = behindVersion(deps, req)
  if (answer.unhandled) return answer
  return { ...answer, headers: { ...answer.headers, 'polar-version': version } }
}

/**
 * APIVersion.from_scope: an absent or empty header is the default version; otherwise
 * YYYY-MM (re.fullmatch) naming a supported version. null: 404.
 */
function apiVersion(header: string | string[] | undefined): string | null {
  const raw = Array.isArray(header) ? header[0] : header
  if (raw === undefined || raw === '') return SUPPORTED_VERSIONS[0] as string
  const m = /^(\d{4})-(\d{2})$/.exec(raw)
  if (!m) return null
  const canonical = `${Number(m[1])}-${String(Number(m[2])).padStart(2, '0')}`
  return SUPPORTED_VERSIONS.includes(canonical) ? canonical : null
}

function behindVersion(deps: RouterDeps, req: RequestInfo): Answer {
  const size = bodySizeVerdict(req.method, req.headers['content-length'])
  if (size === 411) return lengthRequired()
  if (size === 413) return requestBodyTooLarge(MAX_BODY_BYTES)

  const token = bearerToken(req.headers.authorization)
  const limiter = deps.limiter()
  // rate_limit.py's rules are keyed by the regex ^/v1.
  if (limiter && req.pathname.startsWith('/v1')) {
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
  return withCacheControl(route(deps, req, subject))
}

/** CacheControlMiddleware, inside the auth middleware: every answer of the app not to be cached. */
function withCacheControl(answer: Answer): Answer {
  if (answer.unhandled || 'cache-control' in answer.headers) return answer
  return { ...answer, headers: { ...answer.headers, 'cache-control': 'private, no-store' } }
}

function route(deps: RouterDeps, req: RequestInfo, subject: Subject): Answer {
  const m = match(req.method, req.pathname)
  if (m.route) return m.route.handler(deps, { ...req, params: m.params }, subject)
  if (m.allowed.length > 0) return methodNotAllowed(m.allowed)

  // Starlette's redirect_slashes: 307 to the other spelling when that one routes.
  if (slashAlternative(req.pathname) !== null) {
    const rawAlternative = req.rawPath.endsWith('/') ? req.rawPath.slice(0, -1) : `${req.rawPath}/`
    const host = req.headers.host ?? '127.0.0.1'
    return empty(307, { location: `http://${host}${rawAlternative}${req.search}`, 'content-length': '0' })
  }
  return routeNotFound()
}
