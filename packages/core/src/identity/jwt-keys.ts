/**
 * Construction-time checks of `fromJwt`'s key and algorithm options: which algorithms a key can
 * verify, and the precise `TypeError` when the configuration asks for something else. Internal.
 *
 * @module
 */
import { createPublicKey, KeyObject } from 'node:crypto'
import type { JsonWebKey as NodeJsonWebKey } from 'node:crypto'
import type { JWK } from 'jose'

/** HMAC algorithms: verified with a shared `secret`. */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const
/** Public-key algorithms: verified with a `publicKey` or the keys of a `jwksUrl`. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const

/** An HMAC JWS algorithm (shared secret). */
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number]
/** A public-key JWS algorithm (RSA PKCS#1 v1.5, RSA-PSS, ECDSA, Ed25519). */
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number]
/** Every JWS algorithm `fromJwt` accepts in `algorithms`. `none` is not one of them. */
export type JwtAlgorithm = HmacAlgorithm | AsymmetricAlgorithm

const RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const
const EDDSA = ['EdDSA', 'Ed25519'] as const
const EC_BY_CURVE: Readonly<Record<string, AsymmetricAlgorithm>> = {
  'P-256': 'ES256',
  'P-384': 'ES384',
  'P-521': 'ES512',
}
/** Node's curve names, as in `KeyObject.asymmetricKeyDetails.namedCurve`. */
const NIST_CURVE: Readonly<Record<string, string>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
}
const RSA_MIN_BITS = 2048
/** RFC 7518 §3.2 asks for a key at least as long as the hash; 32 bytes is the floor for all. */
export const SECRET_MIN_BYTES = 32

const isHmac = (alg: string): alg is HmacAlgorithm => (HMAC_ALGORITHMS as readonly string[]).includes(alg)
const isAsymmetric = (alg: string): alg is AsymmetricAlgorithm =>
  (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)

const list = (items: readonly string[]): string => items.join(', ')

/** Which kind of key the options carry. */
export type KeyKind = 'secret' | 'publicKey' | 'jwksUrl'

/**
 * Validates `algorithms` for a key kind: a non-empty array of supported names, never `none`,
 * HMAC only with `secret`, public-key algorithms only with `publicKey` / `jwksUrl`.
 * Returns the de-duplicated list.
 */
export function checkAlgorithms(value: unknown, kind: KeyKind): JwtAlgorithm[] {
  if (value === undefined) {
    const hint = kind === 'secret' ? "e.g. ['HS256']" : "e.g. ['RS256'] (Auth0, Clerk) or ['EdDSA'] (better-auth)"
    throw new TypeError(
      `fromJwt: "algorithms" is required: list the algorithms your issuer signs with, ${hint}. ` +
        'Accepting whatever the token claims is how algorithm-confusion attacks work.',
    )
  }
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError('fromJwt: "algorithms" must be a non-empty array of algorithm names')
  }
  const result: JwtAlgorithm[] = []
  for (const alg of value as unknown[]) {
    if (typeof alg !== 'string') throw new TypeError('fromJwt: "algorithms" must contain only strings')
    if (alg.toLowerCase() === 'none') {
      throw new TypeError('fromJwt: "none" cannot be allowed: an unsecured token can be forged by anyone')
    }
    if (isHmac(alg)) {
      if (kind !== 'secret') {
        throw new TypeError(
          `fromJwt: ${alg} is an HMAC algorithm and needs "secret"; with "${kind}" use ${list(ASYMMETRIC_ALGORITHMS)}`,
        )
      }
    } else if (isAsymmetric(alg)) {
      if (kind === 'secret') {
        throw new TypeError(
          `fromJwt: ${alg} is a public-key algorithm and needs "publicKey" or "jwksUrl"; with "secret" use ${list(HMAC_ALGORITHMS)}`,
        )
      }
    } else {
      throw new TypeError(
        `fromJwt: unsupported algorithm ${JSON.stringify(alg)} in "algorithms"; supported: ${list(HMAC_ALGORITHMS)}, ${list(ASYMMETRIC_ALGORITHMS)}`,
      )
    }
    if (!result.includes(alg)) result.push(alg)
  }
  return result
}

/** Encodes and checks a shared secret: at least {@link SECRET_MIN_BYTES} bytes, not a PEM key. */
export function checkSecret(value: unknown): Uint8Array {
  let bytes: Uint8Array
  if (typeof value === 'string') {
    if (value.includes('-----BEGIN')) {
      throw new TypeError(
        'fromJwt: "secret" looks like a PEM key. Pass a public key as "publicKey" (with RS*/PS*/ES*/EdDSA algorithms), never as an HMAC secret',
      )
    }
    bytes = new TextEncoder().encode(value)
  } else if (value instanceof Uint8Array) {
    bytes = new Uint8Array(value) // a copy: later changes to the caller's buffer do not apply
  } else {
    throw new TypeError('fromJwt: "secret" must be a string or a Uint8Array')
  }
  if (bytes.byteLength < SECRET_MIN_BYTES) {
    throw new TypeError(
      `fromJwt: "secret" must be at least ${SECRET_MIN_BYTES} bytes (256 bits); it has ${bytes.byteLength}. ` +
        'Generate one with `openssl rand -base64 32`',
    )
  }
  return bytes
}

/** A public key ready for jose, with the algorithms it can verify. */
export interface PreparedPublicKey {
  readonly key: KeyObject | CryptoKey
  /** Human description for messages, e.g. "an RSA key", "an EC P-384 key". */
  readonly description: string
  readonly algorithms: readonly AsymmetricAlgorithm[]
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return (
    value !== null &&
    typeof value === 'object' &&
    (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'CryptoKey'
  )
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === null || proto === Object.prototype
}

function fromKeyObject(key: KeyObject, jwkAlg?: string): PreparedPublicKey {
  if (key.type === 'secret') {
    throw new TypeError('fromJwt: "publicKey" is a secret key; pass a shared secret as "secret" instead')
  }
  if (key.type !== 'public') {
    throw new TypeError(
      'fromJwt: "publicKey" is a private key. Pass only the public half (createPublicKey(privateKey)); the private key must never reach the verifier',
    )
  }
  const type = key.asymmetricKeyType
  let prepared: PreparedPublicKey
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
    if (bits < RSA_MIN_BITS) {
      throw new TypeError(
        `fromJwt: "publicKey" is a ${bits}-bit RSA key; RSA keys must be ${RSA_MIN_BITS} bits or larger`,
      )
    }
    prepared = { key, description: 'an RSA key', algorithms: RSA }
  } else if (type === 'ec') {
    const curve = NIST_CURVE[key.asymmetricKeyDetails?.namedCurve ?? '']
    const alg = curve === undefined ? undefined : EC_BY_CURVE[curve]
    if (curve === undefined || alg === undefined) {
      throw new TypeError('fromJwt: "publicKey" is an EC key on an unsupported curve; use P-256, P-384 or P-521')
    }
    prepared = { key, description: `an EC ${curve} key`, algorithms: [alg] }
  } else if (type === 'ed25519') {
    prepared = { key, description: 'an Ed25519 key', algorithms: EDDSA }
  } else {
    throw new TypeError(
      `fromJwt: "publicKey" is a${type === undefined ? 'n unknown' : ` ${type}`} key; supported: RSA (rsaEncryption), EC P-256/P-384/P-521, Ed25519`,
    )
  }
  if (jwkAlg !== undefined) {
    if (!(prepared.algorithms as readonly string[]).includes(jwkAlg)) {
      throw new TypeError(
        `fromJwt: the JWK's "alg" (${JSON.stringify(jwkAlg)}) cannot be used with ${prepared.description}`,
      )
    }
    return {
      ...prepared,
      description: `${prepared.description} whose JWK "alg" is ${jwkAlg}`,
      algorithms: [jwkAlg as AsymmetricAlgorithm],
    }
  }
  return prepared
}

function fromCryptoKey(key: CryptoKey): PreparedPublicKey {
  if (key.type !== 'public') {
    throw new TypeError(
      key.type === 'secret'
        ? 'fromJwt: "publicKey" is a secret CryptoKey; pass a shared secret as "secret" instead'
        : 'fromJwt: "publicKey" is a private CryptoKey; pass only the public key',
    )
  }
  if (!key.usages.includes('verify')) {
    throw new TypeError('fromJwt: the "publicKey" CryptoKey cannot verify: its usages must include "verify"')
  }
  const algorithm = key.algorithm as KeyAlgorithm & {
    hash?: { name?: string }
    namedCurve?: string
    modulusLength?: number
  }
  const bits = algorithm.hash?.name?.replace('SHA-', '')
  switch (algorithm.name) {
    case 'RSASSA-PKCS1-v1_5':
    case 'RSA-PSS': {
      if ((algorithm.modulusLength ?? 0) < RSA_MIN_BITS) {
        throw new TypeError(`fromJwt: "publicKey" is an RSA key under ${RSA_MIN_BITS} bits`)
      }
      const alg = `${algorithm.name === 'RSA-PSS' ? 'PS' : 'RS'}${bits}`
      if (!isAsymmetric(alg))
        throw new TypeError(`fromJwt: "publicKey" uses an unsupported hash (${algorithm.hash?.name})`)
      return { key, description: `a ${algorithm.name} ${algorithm.hash?.name} CryptoKey`, algorithms: [alg] }
    }
    case 'ECDSA': {
      const alg = EC_BY_CURVE[algorithm.namedCurve ?? '']
      if (alg === undefined) throw new TypeError('fromJwt: "publicKey" is an ECDSA key on an unsupported curve')
      return { key, description: `an ECDSA ${algorithm.namedCurve} CryptoKey`, algorithms: [alg] }
    }
    case 'Ed25519':
      return { key, description: 'an Ed25519 CryptoKey', algorithms: EDDSA }
    default:
      throw new TypeError(`fromJwt: "publicKey" is a ${algorithm.name} CryptoKey, which cannot verify JWTs`)
  }
}

function fromPem(pem: string): PreparedPublicKey {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new TypeError(
      'fromJwt: "publicKey" is a PEM private key. Pass the public key (-----BEGIN PUBLIC KEY-----); the private key must never reach the verifier',
    )
  }
  if (pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new TypeError(
      'fromJwt: "publicKey" is an X.509 certificate; pass its public key instead (`openssl x509 -pubkey -noout -in cert.pem`)',
    )
  }
  if (!pem.includes('-----BEGIN PUBLIC KEY-----')) {
    throw new TypeError('fromJwt: a string "publicKey" must be a PEM SPKI public key (-----BEGIN PUBLIC KEY-----)')
  }
  let key: KeyObject
  try {
    key = createPublicKey({ key: pem, format: 'pem' })
  } catch {
    throw new TypeError('fromJwt: "publicKey" is not a valid PEM SPKI public key')
  }
  return fromKeyObject(key)
}

function fromJwk(jwk: JWK): PreparedPublicKey {
  if (jwk.kty === 'oct') {
    throw new TypeError('fromJwt: "publicKey" is a symmetric (kty "oct") JWK; pass a shared secret as "secret" instead')
  }
  if (jwk.d !== undefined || jwk.priv !== undefined) {
    throw new TypeError('fromJwt: "publicKey" is a private JWK; remove the private members ("d", "p", "q"…)')
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') {
    throw new TypeError(`fromJwt: the "publicKey" JWK is for "use": ${JSON.stringify(jwk.use)}, not signatures`)
  }
  let key: KeyObject
  try {
    key = createPublicKey({ key: jwk as NodeJsonWebKey, format: 'jwk' })
  } catch {
    throw new TypeError('fromJwt: "publicKey" is not a valid public JWK')
  }
  return fromKeyObject(key, typeof jwk.alg === 'string' ? jwk.alg : undefined)
}

/**
 * Turns a `publicKey` option (PEM SPKI string, public JWK, `KeyObject` or `CryptoKey`) into a key
 * jose can use, with the algorithms that key can verify.
 */
export function preparePublicKey(value: unknown): PreparedPublicKey {
  if (typeof value === 'string') return fromPem(value)
  if (value instanceof KeyObject) return fromKeyObject(value)
  if (isCryptoKey(value)) return fromCryptoKey(value)
  if (isPlainObject(value) && typeof value['kty'] === 'string') return fromJwk(value as JWK)
  throw new TypeError('fromJwt: "publicKey" must be a PEM SPKI string, a public JWK object, a KeyObject or a CryptoKey')
}

/** Every algorithm in `algorithms` must be one `key` can verify. */
export function checkAlgorithmsMatchKey(algorithms: readonly JwtAlgorithm[], key: PreparedPublicKey): void {
  for (const alg of algorithms) {
    if (!(key.algorithms as readonly string[]).includes(alg)) {
      throw new TypeError(
        `fromJwt: "algorithms" contains ${alg}, but "publicKey" is ${key.description}, which verifies only ${list(key.algorithms)}`,
      )
    }
  }
}

const LOOPBACK = /^(localhost|.+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/i

/** Parses and checks `jwksUrl`: an absolute https: URL, or http: on a loopback host. */
export function checkJwksUrl(value: unknown): URL {
  let url: URL
  if (value instanceof URL) {
    url = new URL(value.href)
  } else if (typeof value === 'string') {
    try {
      url = new URL(value)
    } catch {
      throw new TypeError('fromJwt: "jwksUrl" is not an absolute URL')
    }
  } else {
    throw new TypeError('fromJwt: "jwksUrl" must be a URL or a string')
  }
  if (url.protocol === 'https:') return url
  if (url.protocol === 'http:' && LOOPBACK.test(url.hostname)) return url
  throw new TypeError(
    'fromJwt: "jwksUrl" must use https: (http: is accepted only for loopback hosts such as 127.0.0.1, in tests): ' +
      'keys fetched over plain HTTP can be replaced in transit',
  )
}
