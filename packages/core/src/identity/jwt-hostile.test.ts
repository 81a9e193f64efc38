/**
 * Hostile tokens: every one must become a PolarSessionError `unauthenticated`, status 401, with
 * `WWW-Authenticate: Bearer error="invalid_token"`, and a message that names the failed check
 * without repeating the token or any claim value.
 */
import { CompactSign, EncryptJWT, SignJWT, UnsecuredJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { fromJwt } from './jwt.js'
import type { HttpRequestLike } from './read-header.js'
import type { IdentityResolver } from './resolver.js'
import { expectInvalidToken, hmacSecret, keyPair, nodeReq, nowSec, sign } from '../test-support/jwt.js'
import type { TestKeyPair } from '../test-support/jwt.js'

const ISSUER = 'https://issuer.example'
const AUDIENCE = 'polar-session-tests'
const SUB = 'usr_hostile_7f3a'

let rsa: TestKeyPair
let ec: TestKeyPair
let secret: Uint8Array
let rsaVerifier: IdentityResolver<HttpRequestLike>
let hsVerifier: IdentityResolver<HttpRequestLike>

beforeAll(async () => {
  ;[rsa, ec, secret] = await Promise.all([keyPair('RS256', 'rsa-1'), keyPair('ES256', 'ec-1'), hmacSecret()])
  rsaVerifier = fromJwt({ publicKey: rsa.pem, algorithms: ['RS256'], issuer: ISSUER, audience: AUDIENCE })
  hsVerifier = fromJwt({ secret, algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE })
})

const good = { sub: SUB, iss: ISSUER, aud: AUDIENCE }
const signRsa = (claims: Record<string, unknown>, exp?: number | null): Promise<string> =>
  sign(claims, rsa.privateKey, 'RS256', exp === undefined ? {} : { exp })

interface HostileCase {
  /** What the attacker does. */
  readonly name: string
  /** The verifier under attack. */
  readonly verifier: () => IdentityResolver<HttpRequestLike>
  /** The Authorization header value (or a function building the request). */
  readonly authorization: () => Promise<string | string[]>
  readonly message: RegExp
  /** Values that must not appear in the error besides the token itself. */
  readonly secrets?: readonly string[]
}

const cases: HostileCase[] = [
  {
    name: 'alg "none" (unsecured JWT) against an RS256 verifier',
    verifier: () => rsaVerifier,
    authorization: async () => `Bearer ${new UnsecuredJWT(good).setExpirationTime('1h').encode()}`,
    message: /signing algorithm \("alg" header\) is not allowed/,
    secrets: [SUB, ISSUER, AUDIENCE],
  },
  {
    name: 'alg "none" against an HS256 verifier',
    verifier: () => hsVerifier,
    authorization: async () => `Bearer ${new UnsecuredJWT(good).setExpirationTime('1h').encode()}`,
    message: /"alg" header\) is not allowed/,
    secrets: [SUB],
  },
  {
    name: 'HS256 signed with the RSA public key PEM as the secret (key confusion)',
    verifier: () => rsaVerifier,
    authorization: async () =>
      `Bearer ${await new SignJWT(good).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(rsa.pem))}`,
    message: /"alg" header\) is not allowed/,
    secrets: [SUB],
  },
  {
    name: 'ES256 token against an RS256-only verifier',
    verifier: () => rsaVerifier,
    authorization: async () => `Bearer ${await sign(good, ec.privateKey, 'ES256')}`,
    message: /not allowed/,
  },
  {
    name: 'expired',
    verifier: () => rsaVerifier,
    authorization: async () => `Bearer ${await signRsa(good, nowSec() - 3600)}`,
    message: /^The bearer token has expired\.$/,
    secrets: [SUB],
  },
  {
    name: 'nbf in the future',
    verifier: () => rsaVerifier,
    authorization: async () => `Bearer ${await signRsa({ ...good, nbf: nowSec() + 600 })}`,
    message: /not valid yet \("nbf" claim is in the future\)/,
    secrets: [SUB],
  },
  {
    name: 'wrong issuer',
    verifier: () => rsaVerifier,
    authorization: async () => `Bearer ${await signRsa({ ...good, iss: 'https://evil.example' })}`,
    message: /"iss" claim does not match the expected issuer/,
    secrets: [SUB, 'evil.example'],
  },
  {
    name: 'wrong audience',
    verifier: () => rsaVerifier,
    authorization: async () => `Bearer ${await signRsa({ ...good, aud: ['someone-else-api'] })}`,
    message: /"aud" claim does not match the expected audience/,
    secrets: [SUB, 'someone-else-api'],
  },
  {
    name: 'no issuer at all',
    verifier: () => rsaVerifier,
    authorization: async () => `Bearer ${await signRsa({ sub: SUB, aud: AUDIENCE })}`,
    message: /^The bearer token has no "iss" claim\.$/,
    secrets: [SUB],
  },
  {
    name: 'missing exp',
    verifier: () => rsaVerifier,
    authorization: async () => `Bearer ${await signRsa(good, null)}`,
    message: /^The bearer token has no "exp" claim\.$/,
    secrets: [SUB],
  },
  {
    name: 'exp that is not a number',
    verifier: () => rsaVerifier,
    authorization: async () => `Bearer ${await signRsa({ ...good, exp: 'tomorrow-ish' }, null)}`,
    message: /"exp" claim is not a number/,
    secrets: ['tomorrow-ish'],
  },
  {
    name: 'sub is a number',
    verifier: () => rsaVerifier,
    authorization: async () => `Bearer ${await signRsa({ ...good, sub: 987654321 })}`,
    message: /^The bearer token's "sub" claim is not a string\.$/,
    secrets: ['987654321'],
  },
  {
    name: 'sub is an object',
    verifier: () => rsaVerifier,
    authorization: async () => `Bearer ${await signRsa({ ...good, sub: { id: 'usr_inner_1' } })}`,
    message: /"sub" claim is not a string/,
    secrets: ['usr_inner_1'],
  },
  {
    name: 'no sub',
    verifier: () => rsaVerifier,
    authorization: async () => `Bearer ${await signRsa({ iss: ISSUER, aud: AUDIENCE, email: 'x@example.com' })}`,
    message: /^The bearer token has no "sub" claim\.$/,
    secrets: ['x@example.com'],
  },
  {
    name: 'a 16 KB token (validly signed)',
    verifier: () => rsaVerifier,
    authorization: async () => `Bearer ${await signRsa({ ...good, pad: 'p'.repeat(16 * 1024) })}`,
    message: /^The bearer token is longer than 8192 characters\.$/,
    secrets: [SUB],
  },
  {
    name: 'a null byte inside the token',
    verifier: () => rsaVerifier,
    authorization: async () => {
      const token = await signRsa(good)
      return `Bearer ${token.slice(0, 20)}\u0000${token.slice(20)}`
    },
    message: /control characters/,
  },
  {
    name: 'a control character at the end',
    verifier: () => hsVerifier,
    authorization: async () => `Bearer ${await sign(good, secret, 'HS256')}\u0007`,
    message: /control characters/,
  },
  {
    name: 'garbage',
    verifier: () => rsaVerifier,
    authorization: async () => 'Bearer not-a-jwt-at-all',
    message: /malformed: a JWT is three base64url segments/,
  },
  {
    name: 'three segments of garbage',
    verifier: () => rsaVerifier,
    authorization: async () => 'Bearer aaaa.bbbb.cccc',
    message: /^The bearer token is malformed\.$/,
  },
  {
    name: 'non-base64url characters',
    verifier: () => hsVerifier,
    authorization: async () => 'Bearer eyJhbGciOiJIUzI1NiJ9.e30=.abc+/',
    message: /malformed/,
  },
  {
    name: 'a payload that is not a JSON object',
    verifier: () => hsVerifier,
    authorization: async () =>
      `Bearer ${await new CompactSign(new TextEncoder().encode('["a"]')).setProtectedHeader({ alg: 'HS256' }).sign(secret)}`,
    message: /^The bearer token is malformed\.$/,
  },
  {
    name: 'a signature re-spelled with non-canonical trailing bits (same bytes, another string)',
    verifier: () => hsVerifier,
    authorization: async () => {
      const token = await sign(good, secret, 'HS256')
      // A 32-byte HMAC is 43 base64url characters: the last one carries 2 unused bits.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
      const last = alphabet.indexOf(token.charAt(token.length - 1))
      return `Bearer ${token.slice(0, -1)}${alphabet.charAt(last ^ 0b01)}`
    },
    message: /not canonical base64url/,
    secrets: [SUB],
  },
  {
    name: 'a segment whose length no base64url encoding has',
    verifier: () => hsVerifier,
    authorization: async () => {
      const [h, p, sig] = (await sign(good, secret, 'HS256')).split('.')
      return `Bearer ${h}.${p}.${sig}AA`
    },
    message: /not canonical base64url/,
  },
  {
    name: 'an encrypted JWT (JWE)',
    verifier: () => hsVerifier,
    authorization: async () =>
      `Bearer ${await new EncryptJWT(good).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).setExpirationTime('1h').encrypt(secret)}`,
    message: /encrypted JWT \(JWE\)/,
  },
  {
    name: 'an unknown critical header',
    verifier: () => hsVerifier,
    authorization: async () =>
      `Bearer ${await new SignJWT(good)
        .setProtectedHeader({ alg: 'HS256', crit: ['x-custom'], 'x-custom': 1 })
        .setExpirationTime('1h')
        .sign(secret, { crit: { 'x-custom': true } })}`,
    message: /unsupported algorithm or critical header/,
  },
  {
    name: 'a bad signature (signed with another secret)',
    verifier: () => hsVerifier,
    authorization: async () => `Bearer ${await sign(good, await hmacSecret(), 'HS256')}`,
    message: /^The bearer token's signature verification failed\.$/,
    secrets: [SUB],
  },
  {
    name: "someone else's payload under a valid signature",
    verifier: () => hsVerifier,
    authorization: async () => {
      const mine = (await sign(good, secret, 'HS256')).split('.')
      const theirs = (await sign({ ...good, sub: 'usr_admin_1' }, secret, 'HS256')).split('.')
      return `Bearer ${mine[0]}.${theirs[1]}.${mine[2]}`
    },
    message: /signature verification failed/,
    secrets: ['usr_admin_1', SUB],
  },
  {
    name: 'Bearer with an empty token',
    verifier: () => rsaVerifier,
    authorization: async () => 'Bearer ',
    message: /^The Authorization header has the Bearer scheme but no token\.$/,
  },
  {
    name: 'Bearer and nothing else',
    verifier: () => rsaVerifier,
    authorization: async () => 'Bearer',
    message: /Bearer scheme but no token/,
  },
  {
    name: 'two Authorization tokens, joined by a proxy',
    verifier: () => rsaVerifier,
    authorization: async () => `Bearer ${await signRsa(good)}, Bearer ${await signRsa({ ...good, sub: 'usr_second' })}`,
    message: /^The Authorization header must carry exactly one bearer token\.$/,
    secrets: [SUB, 'usr_second'],
  },
  {
    name: 'two Authorization headers (node string[])',
    verifier: () => rsaVerifier,
    authorization: async () => [
      `Bearer ${await signRsa(good)}`,
      `Bearer ${await signRsa({ ...good, sub: 'usr_second' })}`,
    ],
    message: /exactly one bearer token/,
    secrets: [SUB, 'usr_second'],
  },
  {
    name: 'two tokens in one Bearer credential',
    verifier: () => rsaVerifier,
    authorization: async () => `Bearer ${await signRsa(good)} ${await signRsa(good)}`,
    message: /exactly one bearer token/,
  },
]

describe('fromJwt: hostile tokens', () => {
  it.each(cases)('$name → 401', async ({ verifier, authorization, message, secrets = [] }) => {
    const value = await authorization()
    const tokens = (Array.isArray(value) ? value : [value])
      .map((header) => header.replace(/^Bearer\s*/, ''))
      .filter((t) => t !== '')
    await expectInvalidToken(verifier()(nodeReq({ authorization: value })), message, [...tokens, ...secrets])
  })

  it('the same hostile tokens are rejected through a Fetch Request and a Koa context', async () => {
    for (const { verifier, authorization, message } of cases) {
      const value = await authorization()
      if (Array.isArray(value) || /[\u0000-\u001f]/.test(value)) continue // not representable in Headers
      await expectInvalidToken(
        verifier()(new Request('http://127.0.0.1/', { headers: { authorization: value } })),
        message,
      )
      await expectInvalidToken(verifier()({ request: { headers: { authorization: value } } }), message)
    }
  })

  it('two Authorization headers through Fetch Headers are rejected', async () => {
    const headers = new Headers()
    headers.append('authorization', `Bearer ${await signRsa(good)}`)
    headers.append('authorization', `Bearer ${await signRsa(good)}`)
    await expectInvalidToken(rsaVerifier(new Request('http://127.0.0.1/', { headers })), /exactly one bearer token/)
  })

  it('a well-formed token passes the same verifiers (the table fails for the right reasons)', async () => {
    await expect(rsaVerifier(nodeReq({ authorization: `Bearer ${await signRsa(good)}` }))).resolves.toEqual({
      externalCustomerId: SUB,
    })
    await expect(
      hsVerifier(nodeReq({ authorization: `Bearer ${await sign(good, secret, 'HS256')}` })),
    ).resolves.toEqual({
      externalCustomerId: SUB,
    })
  })

  it('maxTokenLength applies before any parsing, and can be raised', async () => {
    const big = await signRsa({ ...good, pad: 'p'.repeat(9000) })
    const roomy = fromJwt({
      publicKey: rsa.pem,
      algorithms: ['RS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      maxTokenLength: 16_384,
    })
    await expect(roomy(nodeReq({ authorization: `Bearer ${big}` }))).resolves.toEqual({ externalCustomerId: SUB })
    const tiny = fromJwt({ publicKey: rsa.pem, algorithms: ['RS256'], maxTokenLength: 64 })
    await expectInvalidToken(tiny(nodeReq({ authorization: `Bearer ${'a'.repeat(65)}` })), /longer than 64 characters/)
  })

  it('an error cause keeps only the jose code and the claim name', async () => {
    const error = await expectInvalidToken(
      rsaVerifier(
        nodeReq({
          authorization: `Bearer ${await signRsa({ ...good, iss: 'https://evil.example', email: 'e@example.com' })}`,
        }),
      ),
      /"iss"/,
      ['e@example.com', 'evil.example'],
    )
    expect(error.cause).toEqual({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'iss', reason: 'check_failed' })
  })
})
