// Request body decoding as FastAPI 0.136 does it (strict content type), so
// malformed bodies get the same answers as from Polar:
// - empty body: no body at all (the schema then reports `missing` at ["body"]);
// - no Content-Type, or one that is not application/json or application/*+json:
//   the bytes are not parsed; the schema gets them as they are and fails
//   (`model_attributes_type`, with the body's text as `input`). Bytes that are
//   not UTF-8 cannot even be put into that 422: FastAPI's jsonable_encoder
//   raises, and the answer is a plain 500;
// - JSON bytes that are not UTF-8, or JSON nested absurdly deep (Python's
//   RecursionError): 400 {"detail":"There was an error parsing the body"};
// - invalid JSON: 422 json_invalid with loc ["body", <position>] and ctx.error
//   set to Python's json message ("Expecting value", "Expecting ',' delimiter",
//   …). Positions count code points, as Python's do.
// JSON.parse does the work on the happy path; the scanner below only runs to
// explain a failure (or to measure depth), and it is iterative so hostile
// input cannot blow the stack.

export type BodyResult =
  | { kind: 'none' }
  | { kind: 'value'; value: unknown }
  | { kind: 'json_invalid'; pos: number; msg: string }
  | { kind: 'unparseable' }
  /** Not JSON by its content type, and not UTF-8: the 422 for it cannot be written (500). */
  | { kind: 'undecodable' }

/** Python's json module gives up around this depth (RecursionError). */
const MAX_DEPTH = 1000

export function decodeBody(raw: Buffer, contentType: string | undefined): BodyResult {
  if (raw.length === 0) return { kind: 'none' }
  if (contentType === undefined || !isJsonContentType(contentType)) {
    // bytes.decode(): strict UTF-8, a BOM kept as a character.
    try {
      return { kind: 'value', value: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw) }
    } catch {
      return { kind: 'undecodable' }
    }
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw)
  } catch {
    return { kind: 'unparseable' }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    const scanned = scanJson(text)
    if (scanned.kind === 'error')
      return { kind: 'json_invalid', pos: codePointIndex(text, scanned.pos), msg: scanned.msg }
    if (scanned.kind === 'too_deep') return { kind: 'unparseable' }
    // Valid for Python but not for JSON.parse: NaN / Infinity literals. Python
    // would carry a float NaN into validation; null is the closest JS value.
    try {
      return { kind: 'value', value: JSON.parse(scanned.sanitized) }
    } catch {
      return { kind: 'unparseable' }
    }
  }
  if (couldBeDeep(text) && scanJson(text).kind === 'too_deep') return { kind: 'unparseable' }
  return { kind: 'value', value }
}

/** email.message's get_content_maintype/subtype, as FastAPI reads the header. */
function isJsonContentType(value: string): boolean {
  const mime = (value.split(';')[0] ?? '').trim().toLowerCase()
  if (mime.split('/').length !== 2) return false
  const slash = mime.indexOf('/')
  if (slash < 0) return false
  const main = mime.slice(0, slash)
  const sub = mime.slice(slash + 1)
  return main === 'application' && (sub === 'json' || sub.endsWith('+json'))
}

function couldBeDeep(text: string): boolean {
  if (text.length <= MAX_DEPTH * 2) return false
  let opens = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x5b || c === 0x7b) opens++
  }
  return opens > MAX_DEPTH
}

function codePointIndex(text: string, utf16Index: number): number {
  let surrogatePairs = 0
  for (let i = 0; i < utf16Index && i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const prev = text.charCodeAt(i - 1)
      if (prev >= 0xd800 && prev <= 0xdbff) surrogatePairs++
    }
  }
  return utf16Index - surrogatePairs
}

type ScanResult = { kind: 'ok'; sanitized: string } | { kind: 'error'; pos: number; msg: string } | { kind: 'too_deep' }

class JsonSyntaxError {
  constructor(
    readonly pos: number,
    readonly msg: string,
  ) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y
const NON_FINITE = ['NaN', 'Infinity', '-Infinity'] as const

/** Mirrors CPython's C scanner (3.12): same acceptance, same messages and positions. */
function scanJson(s: string): ScanResult {
  const stack: Array<'obj' | 'arr'> = []
  const nonFinite: Array<[number, number]> = []
  const ws = (i: number): number => {
    while (i < s.length) {
      const c = s.charCodeAt(i)
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break
      i++
    }
    return i
  }
  const string = (start: number): number => {
    let i = start + 1
    for (;;) {
      if (i >= s.length) throw new JsonSyntaxError(start, 'Unterminated string starting at')
      const c = s.charCodeAt(i)
      if (c === 0x22) return i + 1
      if (c < 0x20) throw new JsonSyntaxError(i, 'Invalid control character at')
      if (c !== 0x5c) {
        i++
        continue
      }
      if (i + 1 >= s.length) throw new JsonSyntaxError(start, 'Unterminated string starting at')
      const esc = s[i + 1] as string
      if (esc === 'u') {
        if (i + 6 >= s.length || !/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) {
          throw new JsonSyntaxError(i + 1, 'Invalid \\uXXXX escape')
        }
        i += 6
      } else if ('"\\/bfnrt'.includes(esc)) {
        i += 2
      } else {
        throw new JsonSyntaxError(i, 'Invalid \\escape')
      }
    }
  }
  const key = (i: number): number => {
    if (s[i] !== '"') throw new JsonSyntaxError(i, 'Expecting property name enclosed in double quotes')
    i = ws(string(i))
    if (s[i] !== ':') throw new JsonSyntaxError(i, "Expecting ':' delimiter")
    return ws(i + 1)
  }

  try {
    let i = ws(0)
    for (;;) {
      // At the start of a value.
      const c = s[i]
      let afterValue = -1
      if (c === '{' || c === '[') {
        stack.push(c === '{' ? 'obj' : 'arr')
        if (stack.length > MAX_DEPTH) return { kind: 'too_deep' }
        i = ws(i + 1)
        if (s[i] === (c === '{' ? '}' : ']')) {
          stack.pop()
          afterValue = i + 1
        } else {
          if (c === '{') i = key(i)
          continue
        }
      } else if (c === '"') {
        afterValue = string(i)
      } else {
        for (const literal of ['null', 'true', 'false', ...NON_FINITE]) {
          if (s.startsWith(literal, i)) {
            if ((NON_FINITE as readonly string[]).includes(literal)) nonFinite.push([i, literal.length])
            afterValue = i + literal.length
            break
          }
        }
        if (afterValue < 0) {
          NUMBER.lastIndex = i
          const m = NUMBER.exec(s)
          if (!m) throw new JsonSyntaxError(i, 'Expecting value')
          afterValue = i + m[0].length
        }
      }
      // After a value: close containers or move to the next element.
      i = afterValue
      for (;;) {
        const top = stack[stack.length - 1]
        i = ws(i)
        if (top === undefined) {
          if (i !== s.length) throw new JsonSyntaxError(i, 'Extra data')
          return { kind: 'ok', sanitized: sanitize(s, nonFinite) }
        }
        if (s[i] === (top === 'obj' ? '}' : ']')) {
          stack.pop()
          i++
          continue
        }
        if (s[i] !== ',') throw new JsonSyntaxError(i, "Expecting ',' delimiter")
        i = ws(i + 1)
        if (top === 'obj') i = key(i)
        break
      }
    }
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { kind: 'error', pos: error.pos, msg: error.msg }
    throw error
  }
}

function sanitize(s: string, spans: Array<[number, number]>): string {
  let out = ''
  let last = 0
  for (const [start, length] of spans) {
    out += s.slice(last, start) + 'null'
    last = start + length
  }
  return out + s.slice(last)
}
