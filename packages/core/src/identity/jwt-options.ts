/**
 * The options of `fromJwt`, and the types its claims mapper sees. Checked in `jwt-config.ts`.
 *
 * @module
 */
import type { FetchImplementation, JWK, JWTPayload } from 'jose'
import type { KeyObject } from 'node:crypto'
import type { IdentifyResult } from '../types.js'
import type { AsymmetricAlgorithm, HmacAlgorithm } from './jwt-keys.js'

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
   * - `'throw'`: a `PolarSessionError` `unauthenticated`, status 401, with a
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
   * fetched, the resolver throws a `PolarSessionError` `unauthenticated` with status 503.
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
