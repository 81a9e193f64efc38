// Every answer the fake gives, as data. Handlers return an Answer; the server
// writes it after the configured latency. The error bodies are Polar's, byte
// for byte: compact JSON where Starlette's JSONResponse writes them, json.dumps
// output (", " and ": ") where Polar's middleware or authlib write them.

import type { ErrorItem } from './validation.js'

export interface Answer {
  status: number
  headers: Record<string, string>
  body: string
  /** Starlette's ServerErrorMiddleware answered (an exception escaped): no other middleware adds headers. */
  unhandled?: true
}

const JSON_TYPE = 'application/json'

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: JSON.stringify(value) }
}

export function html(status: number, body: string, headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers }, body }
}

export function empty(status: number, headers: Record<string, string> = {}): Answer {
  return { status, headers, body: '' }
}

export const INVALID_TOKEN_DESCRIPTION =
  'The access token provided is expired, revoked, malformed, or invalid for other reasons.'
export const INSUFFICIENT_SCOPE_DESCRIPTION =
  'The request requires higher privileges than provided by the access token.'

/**
 * authlib's OAuth2Error answers, as Polar's oauth2_error_exception_handler writes them: the body
 * through json.dumps, authlib's JSON headers (no-store, no-cache), then the Bearer challenge with
 * realm, extra attributes, error and error_description in that order.
 */
function oauth2Error(status: number, error: string, description: string, extra: Record<string, string> = {}): Answer {
  const attributes = [
    `realm="polar"`,
    ...Object.entries(extra).map(([k, v]) => `${k}="${v}"`),
    `error="${error}"`,
    `error_description="${description}"`,
  ]
  return {
    status,
    headers: {
      'content-type': JSON_TYPE,
      'cache-control': 'no-store',
      pragma: 'no-cache',
      'www-authenticate': `Bearer ${attributes.join(', ')}`,
    },
    body: pythonJson({ error, error_description: description }),
  }
}

/** Unknown, expired, revoked or wrong-environment token: AuthSubjectMiddleware, before routing. */
export function invalidToken(): Answer {
  return oauth2Error(401, 'invalid_token', INVALID_TOKEN_DESCRIPTION)
}

/** No token, or a token of the wrong kind for the endpoint (Polar's Unauthorized, a PolarError). */
export function unauthorized(): Answer {
  return json(401, { error: 'Unauthorized', detail: 'Unauthorized' }, { 'www-authenticate': 'Bearer realm="polar"' })
}

/**
 * Polar's InsufficientScopeError: the endpoint's required scopes in the challenge's `scope`.
 * Polar joins a Python set, whose order varies between processes; the fake sorts them.
 */
export function insufficientScope(requiredScopes: readonly string[]): Answer {
  return oauth2Error(403, 'insufficient_scope', INSUFFICIENT_SCOPE_DESCRIPTION, {
    scope: [...requiredScopes].sort().join(' '),
  })
}

/** Polar's ResourceNotFound: a route that exists, for a resource that does not. */
export function resourceNotFound(): Answer {
  return json(404, { error: 'ResourceNotFound', detail: 'Not found' })
}

/** Starlette's 404 (FastAPI's HTTPException handler): no route for the path, or an unsupported Polar-Version. */
export function routeNotFound(): Answer {
  return json(404, { detail: 'Not Found' })
}

export function methodNotAllowed(allowed: string[]): Answer {
  return json(405, { detail: 'Method Not Allowed' }, { allow: allowed.join(', ') })
}

/** Schema errors (FastAPI's RequestValidationError). */
export function requestValidationError(detail: ErrorItem[]): Answer {
  return json(422, { error: 'RequestValidationError', detail })
}

/** Errors raised by Polar's services after the schema passed. */
export function polarValidationError(
  detail: Array<{ loc: Array<string | number>; msg: string; input: unknown }>,
): Answer {
  return json(422, {
    error: 'PolarRequestValidationError',
    detail: detail.map((d) => ({ type: 'value_error', loc: d.loc, msg: d.msg, input: d.input })),
  })
}

export function jsonInvalid(pos: number, msg: string): Answer {
  return requestValidationError([
    { type: 'json_invalid', loc: ['body', pos], msg: 'JSON decode error', input: {}, ctx: { error: msg } },
  ])
}

/** FastAPI's answer when the body cannot be read as JSON at all (bad UTF-8, absurd nesting). */
export function bodyParseError(): Answer {
  return json(400, { detail: 'There was an error parsing the body' })
}

/**
 * What Python's json.dumps() writes by default (MaxBodySizeMiddleware, authlib): ", " and
 * ": " between items, non-ASCII escaped. For flat objects of strings, all these answers hold.
 */
export function pythonJson(value: Record<string, string>): string {
  const quote = (text: string) =>
    JSON.stringify(text).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return `{${Object.entries(value)
    .map(([k, v]) => `${quote(k)}: ${quote(v)}`)
    .join(', ')}}`
}

/** MaxBodySizeMiddleware: a POST, PUT or PATCH without Content-Length (chunked). */
export function lengthRequired(): Answer {
  return {
    status: 411,
    headers: { 'content-type': JSON_TYPE },
    body: pythonJson({ error: 'LengthRequired', detail: 'A Content-Length header is required.' }),
  }
}

/** MaxBodySizeMiddleware: a declared Content-Length over the limit. */
export function requestBodyTooLarge(limit: number): Answer {
  return {
    status: 413,
    headers: { 'content-type': JSON_TYPE },
    body: pythonJson({
      error: 'RequestBodyTooLarge',
      detail: `Request body exceeded the maximum allowed size of ${limit} bytes.`,
    }),
  }
}

/** Polar's rate limiter: an empty body and retry-after in whole seconds, nothing else. */
export function rateLimited(retryAfterSeconds: number): Answer {
  return empty(429, { 'retry-after': String(retryAfterSeconds) })
}

/** An exception nothing handled: Starlette's ServerErrorMiddleware, outside every other middleware, in plain text. */
export function internalError(): Answer {
  return {
    status: 500,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body: 'Internal Server Error',
    unhandled: true,
  }
}

const GATEWAY_TITLES: Record<number, string> = {
  502: '502 Bad Gateway',
  503: '503 Service Temporarily Unavailable',
  504: '504 Gateway Time-out',
}

/** 502/503/504 come from the proxy in front of Polar: HTML, not JSON. */
export function gatewayError(status: 502 | 503 | 504): Answer {
  const title = GATEWAY_TITLES[status] as string
  return html(
    status,
    `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n`,
  )
}
