// Pydantic-shaped validation errors, as FastAPI puts them in a 422
// RequestValidationError: {type, loc, msg, input, ctx?} in that key order.
// Only the types Polar's schemas for these endpoints can produce are modelled;
// messages are pydantic-core's, the UUID ones come from the Rust uuid crate and
// the URL ones from rust-url, because that is what Polar sends.

export type Loc = Array<string | number>

export interface ErrorItem {
  type: string
  loc: Loc
  msg: string
  input: unknown
  ctx?: Record<string, unknown>
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: ErrorItem }

export function missing(loc: Loc, input: unknown): ErrorItem {
  return { type: 'missing', loc, msg: 'Field required', input }
}

export function checkString(value: unknown, loc: Loc): Checked<string> {
  if (typeof value === 'string') return { ok: true, value }
  return { ok: false, error: { type: 'string_type', loc, msg: 'Input should be a valid string', input: value } }
}

export function checkStringMax(value: unknown, loc: Loc, maxLength: number): Checked<string> {
  const checked = checkString(value, loc)
  if (!checked.ok) return checked
  if (codePoints(checked.value) > maxLength) {
    return {
      ok: false,
      error: {
        type: 'string_too_long',
        loc,
        msg: `String should have at most ${maxLength} characters`,
        input: value,
        ctx: { max_length: maxLength },
      },
    }
  }
  return checked
}

/** A ValueError raised by a validator: pydantic prefixes the message, FastAPI encodes the exception as {}. */
export function valueError(loc: Loc, message: string, input: unknown): ErrorItem {
  return { type: 'value_error', loc, msg: `Value error, ${message}`, input, ctx: { error: {} } }
}

/**
 * Polar's Schema._reject_nul_characters (kit/schemas.py), run after every field of every
 * request schema: a NUL in any string of the value, dict keys included.
 */
export function nulCharacterError(value: unknown, loc: Loc, input: unknown): ErrorItem | null {
  const pending: unknown[] = [value]
  while (pending.length > 0) {
    const current = pending.pop()
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return valueError(loc, 'This value contains invalid characters', input)
    } else if (Array.isArray(current)) pending.push(...current)
    else if (isPlainObject(current)) pending.push(...Object.keys(current), ...Object.values(current))
  }
  return null
}

// ---------------------------------------------------------------- UUID4

/** Pydantic's UUID4: parse like uuid::Uuid::parse_str, then require version 4. Returns the canonical form. */
export function checkUuid4(value: unknown, loc: Loc): Checked<string> {
  if (typeof value !== 'string') {
    return {
      ok: false,
      error: { type: 'uuid_type', loc, msg: 'UUID input should be a string, bytes or UUID object', input: value },
    }
  }
  const parsed = parseUuid(value)
  if (typeof parsed !== 'string') {
    return {
      ok: false,
      error: {
        type: 'uuid_parsing',
        loc,
        msg: `Input should be a valid UUID, ${parsed.error}`,
        input: value,
        ctx: { error: parsed.error },
      },
    }
  }
  if (parsed[14] !== '4') {
    return {
      ok: false,
      error: { type: 'uuid_version', loc, msg: 'UUID version 4 expected', input: value, ctx: { expected_version: 4 } },
    }
  }
  return { ok: true, value: parsed }
}

const HEX32 = /^[0-9a-fA-F]{32}$/
const HYPHENATED = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

/** Canonical lower-case hyphenated form, or the uuid crate's error text. */
export function parseUuid(input: string): string | { error: string } {
  let hex: string | null = null
  if (HEX32.test(input)) hex = input
  else {
    let inner: string | null = null
    if (input.length === 36) inner = input
    else if (input.length === 38 && input.startsWith('{') && input.endsWith('}')) inner = input.slice(1, -1)
    else if (input.length === 45 && input.startsWith('urn:uuid:')) inner = input.slice(9)
    if (inner !== null && HYPHENATED.test(inner)) hex = inner.replace(/-/g, '')
  }
  if (hex !== null) {
    const h = hex.toLowerCase()
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
  }
  return { error: diagnoseUuid(input) }
}

/** uuid crate 1.23's InvalidUuid::into_err (pydantic-core 2.46): byte positions, 1-based. */
function diagnoseUuid(input: string): string {
  const totalBytes = Buffer.byteLength(input, 'utf8')
  let body = input
  let offset = 0
  let simple = true
  if (input.length >= 2 && input.startsWith('{') && input.endsWith('}')) {
    body = input.slice(1, -1)
    offset = 1
    simple = false
  } else if (input.startsWith('urn:uuid:')) {
    body = input.slice(9)
    offset = 9
    simple = false
  }
  let hyphens = 0
  const groupBounds = [0, 0, 0, 0]
  let byteIndex = 0
  for (const ch of body) {
    const code = ch.codePointAt(0) as number
    if (code === 0x2d) {
      if (hyphens < 4) groupBounds[hyphens] = byteIndex
      hyphens++
    } else if (!/^[0-9a-fA-F]$/.test(ch)) {
      return `invalid character: found \`${ch}\` at ${byteIndex + offset + 1}`
    }
    byteIndex += Buffer.byteLength(ch, 'utf8')
  }
  if (hyphens === 0 && simple) return `invalid length: expected length 32 for simple format, found ${totalBytes}`
  if (hyphens !== 4) return `invalid group count: expected 5, found ${hyphens + 1}`
  const starts = [0, 9, 14, 19, 24]
  const expected = [8, 4, 4, 4, 12]
  for (let i = 0; i < 4; i++) {
    const bound = groupBounds[i] as number
    if (bound !== (starts[i + 1] as number) - 1) {
      return `invalid group length in group ${i}: expected ${expected[i]}, found ${bound - (starts[i] as number)}`
    }
  }
  return `invalid group length in group 4: expected 12, found ${totalBytes - 24}`
}

// ---------------------------------------------------------------- HttpUrl

const MAX_URL_LENGTH = 2083

/**
 * Pydantic's HttpUrl (http/https, at most 2083 bytes of UTF-8: pydantic-core measures the Rust
 * string). Returns the normalised href.
 */
export function checkHttpUrl(value: unknown, loc: Loc): Checked<string> {
  if (typeof value !== 'string') {
    return { ok: false, error: { type: 'url_type', loc, msg: 'URL input should be a string or URL', input: value } }
  }
  if (Buffer.byteLength(value, 'utf8') > MAX_URL_LENGTH) {
    return {
      ok: false,
      error: {
        type: 'url_too_long',
        loc,
        msg: `URL should have at most ${MAX_URL_LENGTH} characters`,
        input: value,
        ctx: { max_length: MAX_URL_LENGTH },
      },
    }
  }
  const parsingError = (reason: string): Checked<string> => ({
    ok: false,
    error: {
      type: 'url_parsing',
      loc,
      msg: `Input should be a valid URL, ${reason}`,
      input: value,
      ctx: { error: reason },
    },
  })
  if (value === '') return parsingError('input is empty')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return parsingError(diagnoseUrl(value))
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      ok: false,
      error: {
        type: 'url_scheme',
        loc,
        msg: "URL scheme should be 'http' or 'https'",
        input: value,
        ctx: { expected_schemes: "'http' or 'https'" },
      },
    }
  }
  return { ok: true, value: url.href }
}

/**
 * The rust-url 2.5 ParseError text for an input the WHATWG parser rejected (best effort). A
 * special scheme's host goes through IDNA with the URL deny list, so a bad character in it is
 * "invalid international domain name" ("invalid domain character" is for opaque hosts only).
 */
function diagnoseUrl(input: string): string {
  // eslint-disable-next-line no-control-regex
  const s = input.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\n\r]/g, '')
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/s.exec(s)
  if (!scheme) return 'relative URL without a base'
  const rest = (scheme[2] ?? '').replace(/^[/\\]+/, '')
  const authority = rest.split(/[/\\?#]/)[0] ?? ''
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1)
  if (hostPort === '') return 'empty host'
  if (hostPort.startsWith('[')) return 'invalid IPv6 address'
  const colon = hostPort.lastIndexOf(':')
  const host = colon >= 0 ? hostPort.slice(0, colon) : hostPort
  const port = colon >= 0 ? hostPort.slice(colon + 1) : ''
  if (port !== '' && (!/^\d+$/.test(port) || Number(port) > 65535)) return 'invalid port number'
  if (host === '') return 'empty host'
  const lastLabel = host.replace(/\.$/, '').split('.').pop() ?? ''
  if (/^(0x[0-9a-f]*|\d+)$/i.test(lastLabel)) return 'invalid IPv4 address'
  return 'invalid international domain name'
}

// ---------------------------------------------------------------- helpers

export function codePoints(text: string): number {
  let count = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0xd800 || c > 0xdbff || i + 1 >= text.length) count++
    else {
      const next = text.charCodeAt(i + 1)
      count++
      if (next >= 0xdc00 && next <= 0xdfff) i++
    }
  }
  return count
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Pydantic's error for a model given something that is not an object. */
export function modelType(loc: Loc, input: unknown): ErrorItem {
  return {
    type: 'model_attributes_type',
    loc,
    msg: 'Input should be a valid dictionary or object to extract fields from',
    input,
  }
}
