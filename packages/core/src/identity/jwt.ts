/**
 * `fromJwt`: identify a request by the signed JWT it carries in `Authorization: Bearer …` or in a
 * cookie.
 *
 * @module
 */
import { jwtVerify, type JWTPayload } from 'jose'
import type { IdentifyResult } from '../types.js'
import { claimReader } from './jwt-claims.js'
import { resolveJwtConfig, type JwtConfig } from './jwt-config.js'
import { isInvalidTokenError, mapVerifyError } from './jwt-errors.js'
import type { FromJwtOptions } from './jwt-options.js'
import { checkTokenShape, findToken } from './jwt-token.js'
import type { HttpRequestLike } from './read-header.js'
import type { IdentityResolver } from './resolver.js'

async function identifyWith(config: JwtConfig, request: HttpRequestLike): Promise<IdentifyResult> {
  const token = findToken(request, config)
  if (token === undefined) return null
  checkTokenShape(token, config.maxTokenLength)
  let payload: JWTPayload
  try {
    ;({ payload } = await jwtVerify(token, config.key, config.verifyOptions))
  } catch (error) {
    throw mapVerifyError(error)
  }
  return (await config.map(payload, claimReader(payload))) ?? null
}

/**
 * Identifies a request by a signed JWT, from `Authorization: Bearer <token>` (default) or a
 * cookie. Works with an Express/node request, a Koa context and a Fetch API `Request`.
 *
 * - No token: `null` (anonymous).
 * - A valid token: the identity from `FromJwtCommonOptions.map` (default: `sub` as
 *   `externalCustomerId`).
 * - Any bad token (malformed, too long, bad signature, disallowed `alg`, expired, not yet valid,
 *   wrong `iss`/`aud`/`typ`, no `exp`, missing or non-string claim): throws a
 *   `PolarSessionError` with code `unauthenticated`, status 401 and
 *   `WWW-Authenticate: Bearer error="invalid_token", error_description="…"`. The message says
 *   which check failed; it never contains the token or a claim value. (Or `null`, with
 *   `onInvalidToken: 'anonymous'`.)
 * - A JWKS that cannot be fetched: throws `unauthenticated` with status 503 and no
 *   `WWW-Authenticate`: the token may well be valid.
 *
 * Every option is checked here, once: a bad configuration throws a `TypeError` naming the option.
 *
 * @example
 * ```ts
 * import { createPolarSessions, fromJwt } from '@polar-session/core'
 *
 * const polar = createPolarSessions({
 *   accessToken: process.env.POLAR_ACCESS_TOKEN!,
 *   identify: fromJwt({
 *     jwksUrl: 'https://YOUR_TENANT.auth0.com/.well-known/jwks.json',
 *     algorithms: ['RS256'],
 *     issuer: 'https://YOUR_TENANT.auth0.com/',
 *     audience: 'https://api.example.com',
 *   }),
 * })
 * ```
 *
 * @throws {TypeError} At construction, for a missing, contradictory or unsafe option.
 */
export function fromJwt(options: FromJwtOptions): IdentityResolver<HttpRequestLike> {
  const config = resolveJwtConfig(options)
  return async function identifyFromJwt(request: HttpRequestLike): Promise<IdentifyResult> {
    try {
      return await identifyWith(config, request)
    } catch (error) {
      if (config.anonymousOnInvalid && isInvalidTokenError(error)) return null
      throw error
    }
  }
}
