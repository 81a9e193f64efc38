/**
 * Shared fixtures for the identity tests: real keys generated per run, token signing, and a
 * loopback JWKS server. Not part of the build (`src/test-support/` is excluded).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, exportSPKI, generateKeyPair, generateSecret, SignJWT } from 'jose'
import type { JWK, JWTHeaderParameters, JWTPayload } from 'jose'
import { expect } from 'vitest'
import { PolarSessionError } from '../errors.js'

export const nowSec = (): number => Math.floor(Date.now() / 1000)

export interface TestKeyPair {
  readonly alg: string
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly publicKey: CryptoKey
  readonly pem: string
  readonly jwk: JWK
}

export async function keyPair(alg: 'RS256' | 'ES256' | 'EdDSA' | 'PS256', kid: string): Promise<TestKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const pem = await exportSPKI(publicKey)
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { alg, kid, privateKey, publicKey, pem, jwk }
}

/** 32 random bytes from jose's `generateSecret('HS256')`. */
export async function hmacSecret(alg: 'HS256' | 'HS384' | 'HS512' = 'HS256'): Promise<Uint8Array> {
  const key = await generateSecret(alg, { extractable: true })
  return new Uint8Array(await crypto.subtle.exportKey('raw', key as CryptoKey))
}

export interface SignOptions {
  /** Protected header beyond `alg`. */
  readonly header?: Partial<JWTHeaderParameters>
  /** `exp` in seconds since the epoch; `null` leaves it out. Default: one hour from now. */
  readonly exp?: number | null
}

/** Signs `claims` as given (no validation: a number `sub` stays a number). */
export async function sign(
  claims: Record<string, unknown>,
  key: CryptoKey | Uint8Array,
  alg: string,
  options: SignOptions = {},
): Promise<string> {
  const payload: Record<string, unknown> = { ...claims }
  const exp = options.exp === undefined ? nowSec() + 3600 : options.exp
  if (exp !== null) payload['exp'] = exp
  return new SignJWT(payload as JWTPayload).setProtectedHeader({ ...options.header, alg }).sign(key)
}

/** An Express/node-like request. */
export const nodeReq = (
  headers: Record<string, string | string[]>,
): { headers: Record<string, string | string[]> } => ({
  headers,
})
export const bearer = (token: string): { headers: Record<string, string> } => ({
  headers: { authorization: `Bearer ${token}` },
})

/** A loopback JWKS server that counts its hits. */
export interface JwksServer {
  readonly url: string
  hits: number
  /** What the next responses are: the key set (default), a status code, or a raw body. */
  respond: { status: number; body: string }
  close(): Promise<void>
}

export async function startJwksServer(keys: readonly JWK[]): Promise<JwksServer> {
  const state: JwksServer = {
    url: '',
    hits: 0,
    respond: { status: 200, body: JSON.stringify({ keys }) },
    close: async () => {},
  }
  const server = createServer((req, res) => {
    state.hits += 1
    res.writeHead(state.respond.status, { 'content-type': 'application/json' })
    res.end(state.respond.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  })
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const WWW_AUTHENTICATE = /^Bearer error="invalid_token", error_description="[^"\\]+"$/

/**
 * Awaits `promise` and asserts it rejected with the 401 of a bad token: code `unauthenticated`,
 * status 401, an RFC 6750 `WWW-Authenticate`, a message matching `message`, and none of
 * `secrets` (the token, claim values) anywhere in the message, the header, `toJSON()` or `cause`.
 */
export async function expectInvalidToken(
  promise: Promise<unknown>,
  message: RegExp,
  secrets: readonly string[] = [],
): Promise<PolarSessionError> {
  await expect(promise).rejects.toBeInstanceOf(PolarSessionError)
  await expect(promise).rejects.toMatchObject({
    code: 'unauthenticated',
    status: 401,
    statusCode: 401,
    expose: true,
    message: expect.stringMatching(message),
    headers: { 'WWW-Authenticate': expect.stringMatching(WWW_AUTHENTICATE) },
  })
  const error = (await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )) as PolarSessionError
  const visible = [
    error.message,
    JSON.stringify(error.headers),
    JSON.stringify(error.toJSON()),
    JSON.stringify(error.cause ?? null),
  ].join('\n')
  for (const secret of secrets) {
    if (secret.length >= 3) expect(visible).not.toContain(secret)
  }
  return error
}
