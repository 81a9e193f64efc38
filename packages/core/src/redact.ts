/**
 * Redaction helpers: what may be printed of a secret. Tokens keep their public prefix
 * (`polar_cst_` / `polar_mst_`) so a log still says which kind of session it was.
 */
export function redactToken(token: string): string {
  const prefix = /^polar_[a-z]+_/.exec(token)?.[0] ?? ''
  return `${prefix}[redacted]`
}

/** A portal URL embeds the token and the email: only its origin and path survive. */
export function redactUrl(url: string): string {
  try {
    const { origin, pathname } = new URL(url)
    return `${origin}${pathname}?[redacted]`
  } catch {
    return '[redacted]'
  }
}

/** `jane@example.com` → `j…@example.com`; anything else → `[redacted]`. */
export function redactEmail(email: string | null): string | null {
  if (email === null) return null
  const at = email.lastIndexOf('@')
  return at > 0 ? `${email[0]}…${email.slice(at)}` : '[redacted]'
}
