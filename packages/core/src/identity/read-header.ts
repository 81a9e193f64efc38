/**
 * Reading a header or a cookie from the three request shapes the resolvers accept:
 *
 * - a node `IncomingMessage` (Express, Fastify's `request.raw`, plain `node:http`): `req.headers`
 *   is a plain object with lower-case names and `string | string[]` values;
 * - a Koa context: `ctx.headers` (an alias of `ctx.request.headers`), or `ctx.request.headers`;
 * - a Fetch API `Request` (Hono's `c.req.raw`, Next.js route handlers, Bun, Deno): `request.headers`
 *   is a `Headers` with a `get(name)` method.
 *
 * Internal: the public surface only exports the types.
 *
 * @module
 */

/** A Fetch API `Headers`, or anything with its `get`. */
export interface HeadersGetter {
  get(name: string): string | null
}

/** A node-style header object (`IncomingHttpHeaders`): lower-case names, one or several values. */
export interface HeaderRecord {
  readonly [name: string]: string | readonly string[] | number | undefined
}

/** Where headers live: a Fetch `Headers` or a node-style header object. */
export type HeaderSource = HeadersGetter | HeaderRecord

/** A request that carries its headers: node's `IncomingMessage`, Express's `req`, a Koa context, a Fetch `Request`. */
export interface RequestWithHeaders {
  readonly headers: HeaderSource
}

/** A Koa context seen through `ctx.request`. */
export interface ContextWithRequest {
  readonly request: RequestWithHeaders
}

/**
 * Any request shape the header-reading resolvers accept: an Express/node request, a Koa context,
 * or a Fetch API `Request`.
 */
export type HttpRequestLike = RequestWithHeaders | ContextWithRequest

/** RFC 6265 cookie-name (an RFC 7230 token). */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** `true` when `name` can be a cookie name (an RFC 7230 token: no spaces, `=`, `;`, quotes…). */
export function isCookieName(name: unknown): name is string {
  return typeof name === 'string' && COOKIE_NAME.test(name)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object'
}

/** The header source of a request, or `undefined` when it has none. */
function headerSourceOf(request: unknown): HeaderSource | undefined {
  if (!isObject(request)) return undefined
  const direct = request['headers']
  if (isObject(direct)) return direct as HeaderSource
  const inner = request['request']
  if (isObject(inner) && isObject(inner['headers'])) return inner['headers'] as HeaderSource
  return undefined
}

function joinValue(value: unknown, separator: string): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  if (Array.isArray(value)) {
    const strings = value.filter((item): item is string => typeof item === 'string')
    return strings.length === 0 ? undefined : strings.join(separator)
  }
  return undefined
}

/**
 * Reads one header. Several values (a node `string[]`) are joined the way `Headers.get` joins
 * them: with `", "`, or `"; "` for `cookie`. `undefined` when absent.
 *
 * @param name A lower-case header name.
 * @throws {TypeError} When `request` has no headers at all: it is not one of the supported shapes
 *   (a resolver was handed the wrong object, e.g. a Hono context instead of `c.req.raw`).
 */
export function readHeader(request: HttpRequestLike, name: string): string | undefined {
  const source = headerSourceOf(request)
  if (source === undefined) {
    throw new TypeError(
      'The request has no headers: expected a node IncomingMessage (Express req), a Koa context or a Fetch API Request',
    )
  }
  const separator = name === 'cookie' ? '; ' : ', '
  if (typeof (source as HeadersGetter).get === 'function') {
    const value = (source as HeadersGetter).get(name)
    return value === null ? undefined : value
  }
  const record = source as HeaderRecord
  const exact = Object.hasOwn(record, name) ? record[name] : undefined
  if (exact !== undefined) return joinValue(exact, separator)
  // Node lower-cases names; a hand-built object may not.
  for (const key of Object.keys(record)) {
    if (key.length === name.length && key.toLowerCase() === name) return joinValue(record[key], separator)
  }
  return undefined
}

/**
 * Finds cookie `name` in a `Cookie` header value. The first occurrence wins (as browsers send the
 * most specific path first). Surrounding double quotes are removed and `%XX` escapes decoded
 * (a value that is not valid percent-encoding is returned as sent).
 */
export function parseCookie(header: string, name: string): string | undefined {
  let start = 0
  while (start < header.length) {
    let end = header.indexOf(';', start)
    if (end === -1) end = header.length
    const eq = header.indexOf('=', start)
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      let value = header.slice(eq + 1, end).trim()
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
      if (value.includes('%')) {
        try {
          value = decodeURIComponent(value)
        } catch {
          // Not percent-encoding after all: keep it as sent.
        }
      }
      return value
    }
    start = end + 1
  }
  return undefined
}

/**
 * Reads cookie `name` from the request's `Cookie` header. `undefined` when absent.
 *
 * Koa's `ctx.cookies.get()` is deliberately not used: with `app.keys` set it demands a `.sig`
 * companion cookie, which a token set by another system never has.
 *
 * @throws {TypeError} When `request` has no headers (see {@link readHeader}).
 */
export function readCookie(request: HttpRequestLike, name: string): string | undefined {
  const header = readHeader(request, 'cookie')
  return header === undefined ? undefined : parseCookie(header, name)
}
