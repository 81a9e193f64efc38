/**
 * `fromJwt`: identify a request by the signed JWT it carries in `Authorization: Bearer …` or in a
 * cookie.
 *
 * @module
 */
import { createRemoteJWKSet, customFetch as customFetchSymbol, errors, jwtVerify } from 'jose'
import type { FetchImplementation, JWK, JWTPayload, JWTVerifyGetKey, JWTVerifyOptions, RemoteJWKSetOptions } from 'jose'
import type { KeyObject } from 'node:crypto'
import type { IdentifyResult } from '../types.js'
import { invalidToken, isInvalidTokenError, KeySetUnavailable, mapVerifyError } from './jwt-errors.js'
import {
  checkAlgorithms,
  checkAlgorithmsMatchKey,
  checkJwksUrl,
  checkSecret,
  preparePublicKey,
} from './jwt-keys.js'
import type { AsymmetricAlgorithm, HmacAlgorithm, JwtAlgorithm, KeyKind } from './jwt-keys.js'
import { isCookieName, readCookie, readHeader } from './read-header.js'
import type { HttpRequestLike } from './read-header.js'
import type { IdentityResolver } from './resolver.js'

export type { AsymmetricAlgorithm, HmacAlgorithm, JwtAlgorithm } from './jwt-keys.js'

/**
 * Where {@link fromJwt} looks for the token.
 *
 * - `'header'`: `Authorization: Bearer <token>` only.
 * - `'cookie'`: the cookie named by {@link FromJwtCommonOptions.cookie} only.
 * - `'either'`: the header when it carries a Bearer token, otherwise the cookie. A Bearer token
 *   that fails verification is an error; it never falls back to the cookie.
 */
export type TokenSource = 'header' | 'cookie' | 'either'

/** A claim name (`'org_id'`, `'https://example.com/org'`), or a path into nested claims (`['o', 'id']`). */
export type ClaimName = string | readonly string[]

/** Typed, safe access to a verified token's claims, for {@link FromJwtCommonOptions.map}. */
export interface ClaimReader {
  /**
   * The claim's value as a string.
   *
   * @throws {PolarSessionError} `unauthenticated` (401) when the claim is missing, `null` or not
   *   a string. The message names the claim, never its value.
   */
  claim(name: ClaimName): string
  /**
   * The claim's value as a string, or `undefined` when it is absent or `null`.
   *
   * @throws {PolarSessionError} `unauthenticated` (401) when it is present but not a string.
   */
  optionalClaim(name: ClaimName): string | undefined
}

/**
 * Turns a verified token's claims into an identity. Return `null` to treat the request as
 * anonymous; throw (e.g. via {@link ClaimReader.claim}) to reject it.
 */
export type JwtClaimsMapper = (payload: JWTPayload, claims: ClaimReader) => IdentifyResult | Promise<IdentifyResult>

/** Options of {@link fromJwt} shared by every key kind. */
export interface FromJwtCommonOptions {
  /**
   * Where the token is read from. See {@link TokenSource}.
   *
   * Default: `'cookie'` when {@link cookie} is set, `'header'` otherwise. `'cookie'` and
   * `'either'` require {@link cookie}; `'header'` forbids it.
   */
  from?: TokenSource
  /**
   * Name of the cookie holding the token, e.g. `'__session'` (Clerk) or
   * `'__Secure-authjs.session-token'`. Read from the `Cookie` header (percent-decoded, quotes
   * removed; the first of several same-named cookies wins). An empty cookie counts as absent.
   *
   * Default: none. Setting it makes {@link from} default to `'cookie'`.
   */
  cookie?: string
  /**
   * Expected `iss` claim, or a list of accepted ones. When set, tokens without `iss` are rejected.
   *
   * Default: not checked. With {@link FromJwtJwksOptions.jwksUrl}, `issuer` or {@link audience}
   * is required.
   */
  issuer?: string | readonly string[]
  /**
   * Expected `aud` claim, or a list of which at least one must be in the token's `aud`. When set,
   * tokens without `aud` are rejected.
   *
   * Default: not checked. With {@link FromJwtJwksOptions.jwksUrl}, `audience` or {@link issuer}
   * is required. Required in practice with key sets shared across apps (Google, Firebase).
   */
  audience?: string | readonly string[]
  /**
   * Expected `typ` header, e.g. `'at+jwt'` for RFC 9068 access tokens, so that an ID token of the
   * same issuer is not accepted in its place.
   *
   * Default: not checked.
   */
  typ?: string
  /**
   * Seconds of clock skew tolerated on `exp` and `nbf`. Between 0 and 300.
   *
   * Default: `5`.
   */
  clockToleranceSec?: number
  /**
   * Longest token accepted, in characters. A longer one is rejected (401) before any parsing.
   * An integer between 64 and 65536.
   *
   * Default: `8192`.
   */
  maxTokenLength?: number
  /**
   * Turns the verified claims into an identity. Use the {@link ClaimReader} it receives to read
   * claims: a missing or non-string claim then becomes a 401 rather than a malformed identity.
   *
   * Default: `(payload, { claim }) => ({ externalCustomerId: claim('sub') })`.
   *
   * @example Team app: the organization is the customer, the user its member
   * ```ts
   * map: (payload, { claim, optionalClaim }) => ({
   *   externalCustomerId: claim('org_id'),
   *   externalMemberId: claim('sub'),
   *   email: optionalClaim('email'),
   * })
   * ```
   */
  map?: JwtClaimsMapper
  /**
   * What a present but invalid token (expired, forged, malformed…) does.
   *
   * - `'throw'`: a {@link PolarSessionError} `unauthenticated`, status 401, with a
   *   `WWW-Authenticate: Bearer error="invalid_token"` header.
   * - `'anonymous'`: the request is treated as anonymous (`null`), as if there were no token.
   *   Meant for session cookies that outlive their token. A JWKS outage (503) still throws.
   *
   * Default: `'throw'`.
   */
  onInvalidToken?: 'throw' | 'anonymous'
}

/** {@link fromJwt} with a shared secret (HS256, HS384, HS512). */
export interface FromJwtSecretOptions extends FromJwtCommonOptions {
  /**
   * The shared HMAC secret: a string (UTF-8 encoded as is, not base64-decoded) or bytes. At least
   * 32 bytes. Copied at construction.
   */
  secret: string | Uint8Array
  /**
   * Algorithms accepted in the token's `alg` header. Required; HMAC algorithms only.
   */
  algorithms: readonly HmacAlgorithm[]
  publicKey?: never
  jwksUrl?: never
  jwksTimeoutMs?: never
  customFetch?: never
}

/** {@link fromJwt} with one public key. */
export interface FromJwtPublicKeyOptions extends FromJwtCommonOptions {
  /**
   * The issuer's public key: a PEM SPKI string (`-----BEGIN PUBLIC KEY-----`), a public JWK
   * object, a `KeyObject` or a `CryptoKey`. Private keys, certificates and symmetric keys are
   * refused. RSA keys must be 2048 bits or more; EC keys on P-256, P-384 or P-521.
   */
  publicKey: string | JWK | KeyObject | CryptoKey
  /**
   * Algorithms accepted in the token's `alg` header. Required; each must suit the key: RS256…PS512
   * for RSA, ES256/ES384/ES512 for EC P-256/P-384/P-521, EdDSA/Ed25519 for Ed25519 (and only the
   * JWK's `alg` when it has one).
   */
  algorithms: readonly AsymmetricAlgorithm[]
  secret?: never
  jwksUrl?: never
  jwksTimeoutMs?: never
  customFetch?: never
}

/** {@link fromJwt} with the issuer's published key set (JWKS). */
export interface FromJwtJwksOptions extends FromJwtCommonOptions {
  /**
   * URL of the issuer's JSON Web Key Set, e.g. `https://YOUR_TENANT.auth0.com/.well-known/jwks.json`.
   * Must be `https:` (`http:` only on loopback hosts, for tests). Requires {@link issuer} or
   * {@link audience}.
   *
   * One key-set fetcher is created at construction and shared by every request (jose's
   * `createRemoteJWKSet`): keys are cached for 10 minutes, concurrent fetches are merged, and an
   * unknown `kid` triggers a refetch at most once every 30 seconds. When the keys cannot be
   * fetched, the resolver throws a {@link PolarSessionError} `unauthenticated` with status 503.
   */
  jwksUrl: string | URL
  /**
   * Algorithms accepted in the token's `alg` header. Required; public-key algorithms only.
   */
  algorithms: readonly AsymmetricAlgorithm[]
  /**
   * Milliseconds before a key-set fetch is abandoned. An integer between 1 and 60000.
   *
   * Default: `5000`.
   */
  jwksTimeoutMs?: number
  /**
   * A `fetch` to use for the key set instead of the global one (tests, proxies). Passed to jose
   * as its `[customFetch]` option.
   *
   * Default: the global `fetch`.
   */
  customFetch?: FetchImplementation
  secret?: never
  publicKey?: never
}

/** Options of {@link fromJwt}: exactly one of `secret`, `publicKey` or `jwksUrl`, and `algorithms`. */
export type FromJwtOptions = FromJwtSecretOptions | FromJwtPublicKeyOptions | FromJwtJwksOptions

const DEFAULT_CLOCK_TOLERANCE_SEC = 5
const MAX_CLOCK_TOLERANCE_SEC = 300
const DEFAULT_MAX_TOKEN_LENGTH = 8192
const DEFAULT_JWKS_TIMEOUT_MS = 5000

const KNOWN_OPTIONS = new Set([
  'from',
  'cookie',
  'issuer',
  'audience',
  'typ',
  'clockToleranceSec',
  'maxTokenLength',
  'map',
  'onInvalidToken',
  'secret',
  'publicKey',
  'jwksUrl',
  'algorithms',
  'jwksTimeoutMs',
  'customFetch',
])
/** Names other JWT libraries use, and what they are called here. */
const RENAMED: Readonly<Record<string, string>> = {
  jwksUri: 'jwksUrl',
  jwks_uri: 'jwksUrl',
  jwks: 'jwksUrl',
  algorithm: 'algorithms',
  alg: 'algorithms',
  key: 'secret or publicKey',
  secretOrPublicKey: 'secret or publicKey',
  iss: 'issuer',
  aud: 'audience',
  clockTolerance: 'clockToleranceSec (in seconds)',
  cookieName: 'cookie',
  getToken: 'from and cookie',
}

/** A compact JWS: three base64url segments (the signature may be empty, e.g. `alg: none`). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/

/** Everything {@link fromJwt} needs per request, decided once at construction. */
interface JwtConfig {
  readonly header: boolean
  readonly cookie: string | undefined
  readonly key: Uint8Array | KeyObject | CryptoKey | JWTVerifyGetKey
  readonly verifyOptions: JWTVerifyOptions
  readonly maxTokenLength: number
  readonly map: JwtClaimsMapper
  readonly anonymousOnInvalid: boolean
}

function checkStrings(name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined
  const items = typeof value === 'string' ? [value] : value
  if (
    !Array.isArray(items) ||
    items.length === 0 ||
    items.some((item: unknown) => typeof item !== 'string' || item.length === 0)
  ) {
    throw new TypeError(`fromJwt: "${name}" must be a non-empty string or a non-empty array of non-empty strings`)
  }
  return [...(items as string[])]
}

function checkNumber(name: string, value: unknown, fallback: number, min: number, max: number, integer: boolean): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    throw new TypeError(`fromJwt: "${name}" must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}`)
  }
  return value
}

function checkKnownOptions(options: object): void {
  for (const name of Object.keys(options)) {
    if (KNOWN_OPTIONS.has(name)) continue
    const renamed = Object.hasOwn(RENAMED, name) ? RENAMED[name] : undefined
    throw new TypeError(
      `fromJwt: unknown option ${JSON.stringify(name)}` + (renamed === undefined ? '' : `; did you mean ${renamed}?`),
    )
  }
}

function keyKindOf(options: Record<string, unknown>): KeyKind {
  const given = (['secret', 'publicKey', 'jwksUrl'] as const).filter((name) => options[name] !== undefined)
  const [kind, second] = given
  if (kind === undefined) throw new TypeError('fromJwt: pass exactly one of "secret", "publicKey" or "jwksUrl"; none was given')
  if (second !== undefined) {
    throw new TypeError(`fromJwt: pass exactly one of "secret", "publicKey" or "jwksUrl"; got ${given.join(' and ')}`)
  }
  return kind
}

function remoteKeyResolver(options: Record<string, unknown>): JWTVerifyGetKey {
  const url = checkJwksUrl(options['jwksUrl'])
  const timeoutDuration = checkNumber('jwksTimeoutMs', options['jwksTimeoutMs'], DEFAULT_JWKS_TIMEOUT_MS, 1, 60_000, true)
  const fetchImpl = options['customFetch']
  if (fetchImpl !== undefined && typeof fetchImpl !== 'function') {
    throw new TypeError('fromJwt: "customFetch" must be a function with the signature of fetch')
  }
  const remoteOptions: RemoteJWKSetOptions = { timeoutDuration }
  if (fetchImpl !== undefined) remoteOptions[customFetchSymbol] = fetchImpl as FetchImplementation
  // Created once: its cache, cooldown and in-flight de-duplication serve every request.
  const remote = createRemoteJWKSet(url, remoteOptions)
  return async (header, token) => {
    try {
      return await remote(header, token)
    } catch (error) {
      // No key for this token's kid/alg is the token's problem; anything else is the key set's.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error
      throw new KeySetUnavailable('The JSON Web Key Set could not be fetched or used', { cause: error })
    }
  }
}

function resolveOptions(input: unknown): JwtConfig {
  if (input === null || typeof input !== 'object') throw new TypeError('fromJwt: options must be an object')
  checkKnownOptions(input)
  const options = input as Record<string, unknown>
  const kind = keyKindOf(options)
  if (kind !== 'jwksUrl') {
    for (const name of ['jwksTimeoutMs', 'customFetch']) {
      if (options[name] !== undefined) throw new TypeError(`fromJwt: "${name}" applies only with "jwksUrl"`)
    }
  }
  const algorithms: JwtAlgorithm[] = checkAlgorithms(options['algorithms'], kind)

  let key: JwtConfig['key']
  if (kind === 'secret') {
    key = checkSecret(options['secret'])
  } else if (kind === 'publicKey') {
    const prepared = preparePublicKey(options['publicKey'])
    checkAlgorithmsMatchKey(algorithms, prepared)
    key = prepared.key
  } else {
    key = remoteKeyResolver(options)
  }

  const issuer = checkStrings('issuer', options['issuer'])
  const audience = checkStrings('audience', options['audience'])
  if (kind === 'jwksUrl' && issuer === undefined && audience === undefined) {
    throw new TypeError(
      'fromJwt: with "jwksUrl", set "issuer" or "audience" (or both): a published key set can sign tokens for other apps and tenants',
    )
  }
  const typ = options['typ']
  if (typ !== undefined && (typeof typ !== 'string' || typ.length === 0)) {
    throw new TypeError('fromJwt: "typ" must be a non-empty string')
  }

  const cookie = options['cookie']
  if (cookie !== undefined && !isCookieName(cookie)) {
    throw new TypeError('fromJwt: "cookie" must be a cookie name: letters, digits and !#$%&\'*+-.^_`|~, no spaces, "=" or ";"')
  }
  const from = options['from'] ?? (cookie === undefined ? 'header' : 'cookie')
  if (from !== 'header' && from !== 'cookie' && from !== 'either') {
    throw new TypeError('fromJwt: "from" must be "header", "cookie" or "either"')
  }
  if (from !== 'header' && cookie === undefined) {
    throw new TypeError(`fromJwt: from: "${from}" needs "cookie", the name of the cookie holding the token`)
  }
  if (from === 'header' && cookie !== undefined) {
    throw new TypeError('fromJwt: "cookie" is set but from is "header"; use from: "cookie" or "either"')
  }

  const map = options['map']
  if (map !== undefined && typeof map !== 'function') throw new TypeError('fromJwt: "map" must be a function')
  const onInvalidToken = options['onInvalidToken'] ?? 'throw'
  if (onInvalidToken !== 'throw' && onInvalidToken !== 'anonymous') {
    throw new TypeError('fromJwt: "onInvalidToken" must be "throw" or "anonymous"')
  }

  const verifyOptions: JWTVerifyOptions = {
    algorithms,
    requiredClaims: ['exp'],
    clockTolerance: checkNumber(
      'clockToleranceSec',
      options['clockToleranceSec'],
      DEFAULT_CLOCK_TOLERANCE_SEC,
      0,
      MAX_CLOCK_TOLERANCE_SEC,
      false,
    ),
  }
  if (issuer !== undefined) verifyOptions.issuer = issuer
  if (audience !== undefined) verifyOptions.audience = audience
  if (typ !== undefined) verifyOptions.typ = typ

  return {
    header: from !== 'cookie',
    cookie: from === 'header' ? undefined : (cookie as string),
    key,
    verifyOptions,
    maxTokenLength: checkNumber('maxTokenLength', options['maxTokenLength'], DEFAULT_MAX_TOKEN_LENGTH, 64, 65_536, true),
    map: (map as JwtClaimsMapper | undefined) ?? defaultMap,
    anonymousOnInvalid: onInvalidToken === 'anonymous',
  }
}

const defaultMap: JwtClaimsMapper = (_payload, { claim }) => ({ externalCustomerId: claim('sub') })

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

function findToken(request: HttpRequestLike, config: JwtConfig): string | undefined {
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
function checkTokenShape(token: string, maxLength: number): void {
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

function claimLabel(name: ClaimName): string {
  return typeof name === 'string' ? name : name.join('.')
}

function readClaim(payload: JWTPayload, name: ClaimName): unknown {
  const path = typeof name === 'string' ? [name] : name
  if (path.length === 0 || path.some((segment) => typeof segment !== 'string' || segment.length === 0)) {
    throw new TypeError('fromJwt: a claim name must be a non-empty string or a non-empty array of non-empty strings')
  }
  let value: unknown = payload
  for (const segment of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, segment)) {
      return undefined
    }
    value = (value as Record<string, unknown>)[segment]
  }
  return value
}

function claimReader(payload: JWTPayload): ClaimReader {
  const optionalClaim = (name: ClaimName): string | undefined => {
    const value = readClaim(payload, name)
    if (value === undefined || value === null) return undefined
    if (typeof value !== 'string') throw invalidToken(`The bearer token's "${claimLabel(name)}" claim is not a string.`)
    return value
  }
  return {
    optionalClaim,
    claim: (name) => {
      const value = optionalClaim(name)
      if (value === undefined) throw invalidToken(`The bearer token has no "${claimLabel(name)}" claim.`)
      return value
    },
  }
}

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
 * - A valid token: the identity from {@link FromJwtCommonOptions.map} (default: `sub` as
 *   `externalCustomerId`).
 * - Any bad token (malformed, too long, bad signature, disallowed `alg`, expired, not yet valid,
 *   wrong `iss`/`aud`/`typ`, no `exp`, missing or non-string claim): throws a
 *   {@link PolarSessionError} with code `unauthenticated`, status 401 and
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
  const config = resolveOptions(options)
  return async function identifyFromJwt(request: HttpRequestLike): Promise<IdentifyResult> {
    try {
      return await identifyWith(config, request)
    } catch (error) {
      if (config.anonymousOnInvalid && isInvalidTokenError(error)) return null
      throw error
    }
  }
}
