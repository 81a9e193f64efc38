import { createRemoteJWKSet, customFetch as customFetchSymbol, errors } from 'jose'
import type { FetchImplementation, JWTVerifyGetKey, JWTVerifyOptions, RemoteJWKSetOptions } from 'jose'
import type { KeyObject } from 'node:crypto'
import { rejectUnknownKeys } from '../option-keys.js'
import { KeySetUnavailable } from './jwt-errors.js'
import { checkAlgorithms, checkAlgorithmsMatchKey, checkJwksUrl, checkSecret, preparePublicKey } from './jwt-keys.js'
import type { JwtAlgorithm, KeyKind } from './jwt-keys.js'
import type { JwtClaimsMapper } from './jwt-options.js'
import { isCookieName } from './read-header.js'

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

/** Everything {@link fromJwt} needs per request, decided once at construction. */
export interface JwtConfig {
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

function checkNumber(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
  integer: boolean,
): number {
  if (value === undefined) return fallback
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value)) ||
    value < min ||
    value > max
  ) {
    throw new TypeError(`fromJwt: "${name}" must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}`)
  }
  return value
}

function checkKnownOptions(options: object): void {
  rejectUnknownKeys('fromJwt', options, [...KNOWN_OPTIONS], RENAMED)
}

function keyKindOf(options: Record<string, unknown>): KeyKind {
  const given = (['secret', 'publicKey', 'jwksUrl'] as const).filter((name) => options[name] !== undefined)
  const [kind, second] = given
  if (kind === undefined)
    throw new TypeError('fromJwt: pass exactly one of "secret", "publicKey" or "jwksUrl"; none was given')
  if (second !== undefined) {
    throw new TypeError(`fromJwt: pass exactly one of "secret", "publicKey" or "jwksUrl"; got ${given.join(' and ')}`)
  }
  return kind
}

function remoteKeyResolver(options: Record<string, unknown>): JWTVerifyGetKey {
  const url = checkJwksUrl(options['jwksUrl'])
  const timeoutDuration = checkNumber(
    'jwksTimeoutMs',
    options['jwksTimeoutMs'],
    DEFAULT_JWKS_TIMEOUT_MS,
    1,
    60_000,
    true,
  )
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

export function resolveJwtConfig(input: unknown): JwtConfig {
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
    throw new TypeError(
      'fromJwt: "cookie" must be a cookie name: letters, digits and !#$%&\'*+-.^_`|~, no spaces, "=" or ";"',
    )
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
    maxTokenLength: checkNumber(
      'maxTokenLength',
      options['maxTokenLength'],
      DEFAULT_MAX_TOKEN_LENGTH,
      64,
      65_536,
      true,
    ),
    map: (map as JwtClaimsMapper | undefined) ?? defaultMap,
    anonymousOnInvalid: onInvalidToken === 'anonymous',
  }
}

const defaultMap: JwtClaimsMapper = (_payload, { claim }) => ({ externalCustomerId: claim('sub') })
