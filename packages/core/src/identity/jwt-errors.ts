/**
 * Turning a rejected token into a `PolarSessionError`. Internal.
 *
 * Messages say which check failed and never contain the token, a claim value or a header value:
 * only claim names (which come from this library's own checks or the app's configuration).
 *
 * @module
 */
import { errors } from 'jose'
import { PolarSessionError } from '../errors.js'

/**
 * The 401 for a bad token: code `unauthenticated`, `WWW-Authenticate: Bearer error="invalid_token"`
 * (RFC 6750 §3.1) with the message as `error_description`.
 */
export function invalidToken(message: string, cause?: unknown): PolarSessionError {
  const description = message.replace(/["\\]/g, "'")
  return new PolarSessionError('unauthenticated', message, {
    status: 401,
    headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description}"` },
    cause,
  })
}

/** `true` for the 401 {@link invalidToken} builds (and the same from `claim()` in `map`). */
export function isInvalidTokenError(error: unknown): error is PolarSessionError {
  return error instanceof PolarSessionError && error.code === 'unauthenticated' && error.status === 401
}

/** Thrown by the JWKS key resolver when the key set itself could not be had (network, HTTP, JSON). */
export class KeySetUnavailable extends Error {
  override readonly name = 'KeySetUnavailable'
}

/**
 * The 503 for a JWKS that cannot be fetched: not the user's fault, so no `WWW-Authenticate`
 * (a client would throw its token away) and a status that says "try again".
 */
export function keySetUnavailable(cause: unknown): PolarSessionError {
  return new PolarSessionError(
    'unauthenticated',
    'Could not fetch the signing keys (JWKS) to verify the bearer token.',
    { status: 503, expose: true, cause },
  )
}

/**
 * What to keep of a jose error as `cause`: its code and the failed claim's name. Never the
 * error itself, whose `payload` holds every claim (emails, names) and would reach logs.
 */
function safeCause(error: errors.JOSEError): { code: string; claim?: string; reason?: string } {
  if (error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired) {
    return { code: error.code, claim: error.claim, reason: error.reason }
  }
  return { code: error.code }
}

function claimMessage(claim: string, reason: string): string {
  if (reason === 'missing') return `The bearer token has no "${claim}" claim.`
  switch (claim) {
    case 'nbf':
      return 'The bearer token is not valid yet ("nbf" claim is in the future).'
    case 'iss':
      return 'The bearer token\'s "iss" claim does not match the expected issuer.'
    case 'aud':
      return 'The bearer token\'s "aud" claim does not match the expected audience.'
    case 'typ':
      return 'The bearer token\'s "typ" header does not match the expected type.'
    case 'exp':
      return reason === 'invalid' ? 'The bearer token\'s "exp" claim is not a number.' : 'The bearer token has expired.'
    default:
      return reason === 'invalid'
        ? `The bearer token's "${claim}" claim is invalid.`
        : `The bearer token failed the "${claim}" claim check.`
  }
}

/** Maps anything `jwtVerify` threw to the error the resolver throws. */
export function mapVerifyError(error: unknown): PolarSessionError {
  if (error instanceof KeySetUnavailable) return keySetUnavailable(error.cause)
  // A non-jose error (a TypeError from key handling) carries no token content: keep it for debugging.
  if (!(error instanceof errors.JOSEError)) return invalidToken('The bearer token could not be verified.', error)
  const cause = safeCause(error)
  if (error instanceof errors.JWTExpired) {
    return invalidToken(error.claim === 'exp' ? 'The bearer token has expired.' : 'The bearer token is too old.', cause)
  }
  if (error instanceof errors.JWTClaimValidationFailed)
    return invalidToken(claimMessage(error.claim, error.reason), cause)
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return invalidToken('The bearer token\'s signing algorithm ("alg" header) is not allowed.', cause)
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return invalidToken("The bearer token's signature verification failed.", cause)
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return invalidToken('No signing key matches the bearer token\'s "kid" and "alg" headers.', cause)
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return invalidToken('Several signing keys match the bearer token; it must name one with a "kid" header.', cause)
  }
  if (error instanceof errors.JOSENotSupported) {
    return invalidToken('The bearer token uses an unsupported algorithm or critical header.', cause)
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return invalidToken('The bearer token is malformed.', cause)
  }
  return invalidToken('The bearer token could not be verified.', cause)
}
