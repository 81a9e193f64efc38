/** Characters allowed in a header value (visible ASCII and spaces); everything else is dropped. */
const UNSAFE_HEADER_CHARS = /[^\x20-\x7e]/g

/** Drops control and non-ASCII characters, so the value is always a legal header value. */
export function sanitizeUserAgent(value: string): string {
  const clean = value.replace(UNSAFE_HEADER_CHARS, '').trim()
  return clean === '' ? '@polar-session/core' : clean
}
