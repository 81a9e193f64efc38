// The endpoints the fake serves, as Starlette matches them: path templates with
// {params}, HEAD wherever GET is served, and the route key stats count under.

import * as handlers from './handlers.js'
import type { Handler, RequestInfo } from './request.js'

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

export const ROUTES: Route[] = [
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

export const PORTAL_PAGE = /^\/([^/]+)\/portal$/
const MAX_KEY_PATH = 200

export interface Match {
  route: Route | null
  params: Record<string, string>
  allowed: string[]
}

export function match(method: string, pathname: string): Match {
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
export function classify(
  method: string,
  target: string,
): Pick<RequestInfo, 'pathname' | 'rawPath' | 'search' | 'query' | 'routeKey'> {
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

/** Starlette's redirect_slashes: the other spelling of a path (with or without the trailing slash), when that one routes. */
export function slashAlternative(pathname: string): string | null {
  if (pathname === '/') return null
  const alternative = pathname.endsWith('/') ? pathname.slice(0, -1) : `${pathname}/`
  return ROUTES.some((r) => r.pattern.test(alternative)) ? alternative : null
}
