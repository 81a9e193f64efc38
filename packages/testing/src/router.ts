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

import type { IncomingHttpHeaders } from 'node:http'
import { invalidToken, methodNotAllowed, empty, notFound, rateLimited } from './answers.js'
import type { Answer } from './answers.js'
import type { Stats } from './stats.js'
import type { PolarRateLimiter, RateLimitCaller } from './rate-limit.js'
import type { AccessTokenRecord, CustomerRecord, FakeOrganization, MemberRecord, SessionRecord } from './state.js'
import type { FakeFault } from './types.js'
import { portalPage } from './portal-page.js'
import { clockMs } from './clock.js'
import * as handlers from './handlers.js'

export type Subject =
  | { kind: 'anonymous' }
  | { kind: 'token'; token: AccessTokenRecord }
  | { kind: 'session'; session: SessionRecord; customer: CustomerRecord; member: MemberRecord | null }

export interface RouterDeps {
  org: FakeOrganization
  stats: Stats
  portalBaseUrl(): string
  limiter(): PolarRateLimiter | null
}

export interface RequestInfo {
  method: string
  /** Percent-decoded path, as Starlette routes on. */
  pathname: string
  /** The path as sent, for redirects. */
  rawPath: string
  search: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  /** The client's address: the rate limit's bucket for requests without a token. */
  clientIp: string
  body: Buffer
  routeKey: string
  payloadFault: FakeFault | undefined
  params: Record<string, string>
}

export type Handler = (deps: RouterDeps, req: RequestInfo, subject: Subject) => Answer

interface Route {
  method: string
  template: string
  pattern: RegExp
  names: string[]
  handler: Handler
}

function route(method: string, template: string, handler: Handler): Route {
  const names: string[] = []
  const source = template
    .split(/(\{\w+\})/)
    .map((part) => {
      const param = /^\{(\w+)\}$/.exec(part)
      if (!param) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      names.push(param[1] as string)
      return '([^/]+)'
    })
    .join('')
  return { method, template, pattern: new RegExp(`^${source}$`), names, handler }
}

const ROUTES: Route[] = [
  route('POST', '/v1/customer-sessions/', handlers.createSession),
  route('GET', '/v1/customers/', handlers.listCustomers),
  route('POST', '/v1/customers/', handlers.createCustomer),
  route('GET', '/v1/customers/external/{external_id}', handlers.getCustomerByExternalId),
  route('DELETE', '/v1/customers/external/{external_id}', handlers.deleteCustomerByExternalId),
  route('GET', '/v1/customers/{id}', handlers.getCustomer),
  route('DELETE', '/v1/customers/{id}', handlers.deleteCustomer),
  route('GET', '/v1/customer-portal/customers/me', handlers.portalMe),
  route('GET', '/v1/customer-portal/customer-session/introspect', handlers.portalIntrospect),
  route('GET', '/v1/customer-portal/customer-session/user', handlers.portalUser),
]

const PORTAL_PAGE = /^\/([^/]+)\/portal$/
const SUPPORTED_VERSIONS = new Set(['2026-04', '2026-10'])
const MAX_KEY_PATH = 200

interface Match {
  route: Route | null
  params: Record<string, string>
  allowed: string[]
}

function match(method: string, pathname: string): Match {
  const allowed: string[] = []
  for (const r of ROUTES) {
    const m = r.pattern.exec(pathname)
    if (!m) continue
    // Starlette serves HEAD wherever it serves GET.
    if (r.method === method || (method === 'HEAD' && r.method === 'GET')) {
      const params: Record<string, string> = {}
      r.names.forEach((name, i) => (params[name] = m[i + 1] as string))
      return { route: r, params, allowed: [] }
    }
    allowed.push(r.method)
  }
  return { route: null, params: {}, allowed }
}

/** Python's urllib.parse.unquote: %XX runs decoded as UTF-8, bad bytes replaced, stray % kept. */
function unquote(path: string): string {
  return path.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'))
}

/** Splits a request target; the route key names the template, e.g. 'GET /v1/customers/{id}'. */
export function classify(method: string, target: string): Pick<RequestInfo, 'pathname' | 'rawPath' | 'search' | 'query' | 'routeKey'> {
  let rawPath = target
  let search = ''
  if (!target.startsWith('/')) {
    try {
      const u = new URL(target)
      rawPath = u.pathname
      search = u.search
    } catch {
      rawPath = '/'
    }
  } else {
    const q = target.indexOf('?')
    if (q >= 0) {
      rawPath = target.slice(0, q)
      search = target.slice(q)
    }
    const hash = rawPath.indexOf('#')
    if (hash >= 0) rawPath = rawPath.slice(0, hash)
  }
  const pathname = unquote(rawPath)
  let routeKey: string
  const m = match(method, pathname)
  const any = m.route ?? ROUTES.find((r) => r.pattern.test(pathname))
  if (any) routeKey = `${method} ${any.template}`
  else if (PORTAL_PAGE.test(pathname)) routeKey = `${method} /{slug}/portal`
  else routeKey = `${method} ${pathname.length > MAX_KEY_PATH ? `${pathname.slice(0, MAX_KEY_PATH)}…` : pathname}`
  return { pathname, rawPath, search, query: new URLSearchParams(search), routeKey }
}

/** FastAPI's get_authorization_scheme_param: the bearer token, or null. */
function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null
  const space = header.indexOf(' ')
  const scheme = space < 0 ? header : header.slice(0, space)
  const credentials = space < 0 ? '' : header.slice(space + 1)
  return scheme.toLowerCase() === 'bearer' && credentials !== '' ? credentials : null
}

/** Polar's token lookup. */
function authenticate(org: FakeOrganization, token: string | null): Subject | 'invalid' {
  if (token === null) return { kind: 'anonymous' }
  const access = org.accessToken(token)
  if (access) return { kind: 'token', token: access }
  const found = org.validSession(token)
  if (found) return { kind: 'session', ...found }
  return 'invalid'
}

/** AuthSubject.rate_limit_user: the bucket an authenticated subject counts against. */
function rateLimitBucket(org: FakeOrganization, subject: Subject): string | null {
  switch (subject.kind) {
    case 'anonymous':
      return null
    case 'token':
      return subject.token.kind === 'personal' ? `user:${org.userId}` : `organization:${org.id}`
    case 'session':
      return subject.member ? `member:${subject.member.id}` : `customer:${subject.customer.id}`
  }
}

function identityOf(org: FakeOrganization, token: string): string | null {
  const subject = authenticate(org, token)
  return subject === 'invalid' ? null : rateLimitBucket(org, subject)
}

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
        : { kind: 'token', token, identity: () => identityOf(deps.org, token) }
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
  const alternative = pathname.endsWith('/') ? pathname.slice(0, -1) : `${pathname}/`
  if (pathname !== '/' && ROUTES.some((r) => r.pattern.test(alternative))) {
    const rawAlternative = req.rawPath.endsWith('/') ? req.rawPath.slice(0, -1) : `${req.rawPath}/`
    const host = req.headers.host ?? '127.0.0.1'
    return empty(307, { location: `http://${host}${rawAlternative}${req.search}`, 'content-length': '0' })
  }
  return notFound()
}
