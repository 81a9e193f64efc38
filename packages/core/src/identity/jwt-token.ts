import { invalidToken } from './jwt-errors.js'
import type { JwtConfig } from './jwt-config.js'
import { readCookie, readHeader } from './read-header.js'
import type { HttpRequestLike } from './read-header.js'

/** A compact JWS: three base64url segments (the signature may be empty, e.g. `alg: none`). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/

/**
 * The token in an `Authorization` header value: `undefined` for another scheme (`Basic …`),
 * a 401 for a Bearer header without exactly one token.
 */
function bearerToken(value: string): string | undefined {
  const trimmed = value.trim()
  const gap = trimmed.search(/[ \t]/)
  const scheme = gap === -1 ? trimmed : trimmed.slice(0, gap)
  if (scheme.toLowerCase() !== 'bearer') return undefined
  const token = gap === -1 ? '' : trimmed.slice(gap).trim()
  if (token === '') throw invalidToken('The Authorization header has the Bearer scheme but no token.')
  if (/[\s,]/.test(token)) throw invalidToken('The Authorization header must carry exactly one bearer token.')
  return token
}

export function findToken(request: HttpRequestLike, config: JwtConfig): string | undefined {
  if (config.header) {
    const authorization = readHeader(request, 'authorization')
    const token = authorization === undefined ? undefined : bearerToken(authorization)
    if (token !== undefined) return token
  }
  if (config.cookie !== undefined) {
    const token = readCookie(request, config.cookie)
    if (token !== undefined && token !== '') return token
  }
  return undefined
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * `true` when a base64url segment (already known to use only the alphabet) is the one encoding of
 * its bytes: a valid length, and zero bits after the last byte. jose's decoder ignores those bits,
 * so without this check one token would have several spellings that all verify.
 */
function isCanonicalBase64url(segment: string): boolean {
  const rest = segment.length % 4
  if (rest === 0) return true
  if (rest === 1) return false
  const last = BASE64URL.indexOf(segment.charAt(segment.length - 1))
  return (last & (rest === 2 ? 0b1111 : 0b11)) === 0
}

/** Cheap checks before any decoding: length first, then the characters a compact JWS can hold. */
export function checkTokenShape(token: string, maxLength: number): void {
  if (token.length > maxLength) throw invalidToken(`The bearer token is longer than ${maxLength} characters.`)
  if (CONTROL_CHARS.test(token)) throw invalidToken('The bearer token contains control characters.')
  if (COMPACT_JWS.test(token)) {
    if (token.split('.').every(isCanonicalBase64url)) return
    throw invalidToken('The bearer token is malformed: a segment is not canonical base64url.')
  }
  if (token.split('.').length === 5) {
    throw invalidToken('The bearer token is an encrypted JWT (JWE); only signed JWTs (JWS) can be verified.')
  }
  throw invalidToken('The bearer token is malformed: a JWT is three base64url segments separated by dots.')
}
