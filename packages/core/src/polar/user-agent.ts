/** Characters allowed in a header value (visible ASCII and spaces); everything else is dropped. */
const UNSAFE_HEADER_CHARS = /[^\x20-\x7e]/g

/** `@polar-session/core/<version> node/<node version>`: the default `User-Agent`. */
export function defaultUserAgent(version: string, packageName = '@polar-session/core'): string {
  return sanitizeUserAgent(`${packageName}/${version} node/${process.versions.node}`)
}

/** Drops control and non-ASCII characters, so the value is always a legal header value. */
export function sanitizeUserAgent(value: string): string {
  const clean = value.replace(UNSAFE_HEADER_CHARS, '').trim()
  return clean === '' ? '@polar-session/core' : clean
}
