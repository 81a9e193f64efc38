import { PolarSessionError } from './errors.js'

/** Polar's limit for `return_url`. */
export const MAX_RETURN_URL_LENGTH = 2083

function invalid(message: string): PolarSessionError {
  return new PolarSessionError('invalid_return_url', message, { status: 400 })
}

/** Normalises a list of origins (`https://app.example.com`, with or without a path) to a set. */
export function toOriginSet(origins: readonly string[]): Set<string> {
  const set = new Set<string>()
  for (const origin of origins) {
    let parsed: URL
    try {
      parsed = new URL(origin)
    } catch {
      throw new TypeError(`allowedReturnOrigins: "${origin}" is not an absolute URL such as https://app.example.com.`)
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new TypeError(`allowedReturnOrigins: "${origin}" must use http or https.`)
    }
    set.add(parsed.origin)
  }
  return set
}

/**
 * Checks a return URL against the allowed origins and returns its normalised form (as Polar
 * normalises it). The one policy every return URL goes through, whichever way it came in.
 *
 * `base` (the app's own origin) lets relative paths such as `/account` through; without it
 * only absolute URLs are accepted. The URL's origin must be in `allowedOrigins`; with none
 * (`null`: no `allowedReturnOrigins` and no static `returnUrl`) every URL is refused.
 * Protocol-relative (`//evil.example`), `https:evil.example`, userinfo tricks, backslashes and
 * non-http schemes are refused with `invalid_return_url` (400), never followed.
 */
export function checkReturnUrl(value: unknown, allowedOrigins: ReadonlySet<string> | null, base?: string): string {
  if (allowedOrigins === null) {
    throw invalid(
      'A per-request return URL needs allowedReturnOrigins (or a string returnUrl, whose origin is then allowed).',
    )
  }
  const url = parseReturnUrl(value, base)
  if (!allowedOrigins.has(url.origin)) throw invalid("The return URL's origin is not in allowedReturnOrigins.")
  return url.href
}

/**
 * The shape half of {@link checkReturnUrl}, with no origin policy: only for the app's own
 * configuration (a static `returnUrl`), whose origin then becomes the allowed one.
 */
export function checkReturnUrlShape(value: unknown, base?: string): string {
  return parseReturnUrl(value, base).href
}

function parseReturnUrl(value: unknown, base: string | undefined): URL {
  if (typeof value !== 'string' || value.length === 0) throw invalid('The return URL must be a non-empty string.')
  if (value.length > MAX_RETURN_URL_LENGTH) {
    throw invalid(`The return URL is longer than ${MAX_RETURN_URL_LENGTH} characters.`)
  }
  // Browsers read `\` as `/` and skip control characters and spaces: `/\evil.example` would
  // leave the site. Nothing legitimate needs them unencoded.
  if (/[\\\u0000-\u0020\u007f]/.test(value)) {
    throw invalid('The return URL contains a backslash, a space or a control character.')
  }
  // Only two shapes: an absolute `scheme://…` URL, or a path from the root (`/account`).
  // `https:evil.example` and `//evil.example` are neither: browsers and URL parsers disagree
  // on them, and that disagreement is what open redirects are made of.
  const absolute = /^[a-z][a-z0-9+.-]*:/i.test(value)
  if (
    absolute
      ? !/^[a-z][a-z0-9+.-]*:\/\/[^/]/i.test(value)
      : base === undefined || !value.startsWith('/') || value.startsWith('//')
  ) {
    throw invalid(
      base === undefined
        ? 'The return URL must be an absolute http(s) URL.'
        : 'The return URL must be an absolute http(s) URL or a path starting with a single /.',
    )
  }
  let url: URL
  try {
    url = base === undefined ? new URL(value) : new URL(value, base)
  } catch {
    throw invalid(
      base === undefined
        ? 'The return URL must be an absolute http(s) URL.'
        : 'The return URL is not a valid URL or path.',
    )
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid('The return URL must use http or https.')
  }
  if (url.username !== '' || url.password !== '') {
    throw invalid('The return URL must not contain a user name or password.')
  }
  if (url.href.length > MAX_RETURN_URL_LENGTH) {
    throw invalid(`The return URL is longer than ${MAX_RETURN_URL_LENGTH} characters.`)
  }
  return url
}
