import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { PolarSessionError } from '../errors.js'
import { fromJwt } from './jwt.js'
import type { FromJwtOptions } from './jwt-options.js'
import type { HttpRequestLike } from './read-header.js'
import type { IdentityResolver } from './resolver.js'
import type { Identify } from '../types.js'
import { bearer, expectInvalidToken, hmacSecret, keyPair, nodeReq, nowSec, sign } from '../test-support/jwt.js'
import type { TestKeyPair } from '../test-support/jwt.js'

let secret: Uint8Array
let rsa: TestKeyPair
let ec: TestKeyPair
let ed: TestKeyPair
const SECRET_TEXT = 'a-shared-secret-of-at-least-32-bytes!!'

beforeAll(async () => {
  secret = await hmacSecret('HS256')
  ;[rsa, ec, ed] = await Promise.all([keyPair('RS256', 'rsa-1'), keyPair('ES256', 'ec-1'), keyPair('EdDSA', 'ed-1')])
})

describe('fromJwt: configuration is checked once, with precise TypeErrors', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['no options', () => fromJwt(undefined as never), /options must be an object/],
    [
      'no key',
      () => fromJwt({ algorithms: ['HS256'] } as never),
      /exactly one of "secret", "publicKey" or "jwksUrl"; none/,
    ],
    [
      'two keys',
      () => fromJwt({ secret: SECRET_TEXT, jwksUrl: 'https://x.example/jwks', algorithms: ['HS256'] } as never),
      /exactly one .* got secret and jwksUrl/,
    ],
    ['no algorithms', () => fromJwt({ secret: SECRET_TEXT } as never), /"algorithms" is required/],
    ['empty algorithms', () => fromJwt({ secret: SECRET_TEXT, algorithms: [] }), /non-empty array/],
    ['alg none', () => fromJwt({ secret: SECRET_TEXT, algorithms: ['none'] as never }), /"none" cannot be allowed/],
    ['alg NONE', () => fromJwt({ secret: SECRET_TEXT, algorithms: ['NONE'] as never }), /"none" cannot be allowed/],
    [
      'unknown alg',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['HS1'] as never }),
      /unsupported algorithm "HS1"/,
    ],
    [
      'RS256 with a secret',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['RS256'] as never }),
      /RS256 is a public-key algorithm and needs "publicKey" or "jwksUrl"/,
    ],
    [
      'HS256 with a public key',
      () => fromJwt({ publicKey: rsa.pem, algorithms: ['RS256', 'HS256'] as never }),
      /HS256 is an HMAC algorithm and needs "secret"/,
    ],
    [
      'HS256 with a JWKS',
      () => fromJwt({ jwksUrl: 'https://x.example/jwks', issuer: 'i', algorithms: ['HS256'] as never }),
      /HS256 is an HMAC algorithm/,
    ],
    ['short secret', () => fromJwt({ secret: 'too-short', algorithms: ['HS256'] }), /at least 32 bytes .* it has 9/],
    ['short byte secret', () => fromJwt({ secret: new Uint8Array(31), algorithms: ['HS256'] }), /at least 32 bytes/],
    ['PEM as a secret', () => fromJwt({ secret: rsa.pem, algorithms: ['HS256'] }), /looks like a PEM key/],
    ['secret of a wrong type', () => fromJwt({ secret: 42 as never, algorithms: ['HS256'] }), /string or a Uint8Array/],
    [
      'ES256 with an RSA key',
      () => fromJwt({ publicKey: rsa.pem, algorithms: ['ES256'] }),
      /contains ES256, but "publicKey" is an RSA key/,
    ],
    [
      'RS256 with an EC key',
      () => fromJwt({ publicKey: ec.pem, algorithms: ['RS256'] }),
      /EC P-256 key, which verifies only ES256/,
    ],
    ['RS256 with an Ed25519 key', () => fromJwt({ publicKey: ed.pem, algorithms: ['RS256'] }), /Ed25519 key/],
    [
      'JWK alg mismatch',
      () => fromJwt({ publicKey: { ...rsa.jwk, alg: 'RS256' }, algorithms: ['PS256'] }),
      /contains PS256, but "publicKey" is an RSA key whose JWK "alg" is RS256, which verifies only RS256/,
    ],
    ['private PEM', () => fromJwt({ publicKey: privatePem(), algorithms: ['RS256'] }), /PEM private key/],
    [
      'certificate',
      () =>
        fromJwt({ publicKey: '-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----', algorithms: ['RS256'] }),
      /X.509 certificate/,
    ],
    [
      'garbage PEM',
      () => fromJwt({ publicKey: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----', algorithms: ['RS256'] }),
      /not a valid PEM/,
    ],
    ['non-PEM string', () => fromJwt({ publicKey: 'ssh-rsa AAAA', algorithms: ['RS256'] }), /PEM SPKI public key/],
    ['private JWK', () => fromJwt({ publicKey: { ...rsa.jwk, d: 'x' }, algorithms: ['RS256'] }), /private JWK/],
    ['oct JWK', () => fromJwt({ publicKey: { kty: 'oct', k: 'abc' }, algorithms: ['RS256'] }), /symmetric/],
    ['small RSA key', () => fromJwt({ publicKey: smallRsaPem(), algorithms: ['RS256'] }), /1024-bit RSA key/],
    [
      'private KeyObject',
      () => fromJwt({ publicKey: generateKeyPairSync('ed25519').privateKey, algorithms: ['EdDSA'] }),
      /private key/,
    ],
    [
      'publicKey of a wrong type',
      () => fromJwt({ publicKey: 42 as never, algorithms: ['RS256'] }),
      /PEM SPKI string, a public JWK object/,
    ],
    [
      'remote http JWKS',
      () => fromJwt({ jwksUrl: 'http://auth.example/jwks', issuer: 'i', algorithms: ['RS256'] }),
      /must use https:/,
    ],
    [
      'relative JWKS URL',
      () => fromJwt({ jwksUrl: '/jwks', issuer: 'i', algorithms: ['RS256'] }),
      /not an absolute URL/,
    ],
    [
      'JWKS without issuer or audience',
      () => fromJwt({ jwksUrl: 'https://a.example/jwks', algorithms: ['RS256'] }),
      /set "issuer" or "audience"/,
    ],
    [
      'jwksTimeoutMs without JWKS',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256'], jwksTimeoutMs: 5 } as never),
      /applies only with "jwksUrl"/,
    ],
    [
      'jwksTimeoutMs 0',
      () => fromJwt({ jwksUrl: 'https://a.example/j', issuer: 'i', algorithms: ['RS256'], jwksTimeoutMs: 0 }),
      /"jwksTimeoutMs" must be an integer between 1 and 60000/,
    ],
    [
      'customFetch not a function',
      () => fromJwt({ jwksUrl: 'https://a.example/j', issuer: 'i', algorithms: ['RS256'], customFetch: 'x' as never }),
      /"customFetch" must be a function/,
    ],
    [
      'clock tolerance too big',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256'], clockToleranceSec: 301 }),
      /"clockToleranceSec" must be a number between 0 and 300/,
    ],
    [
      'negative clock tolerance',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256'], clockToleranceSec: -1 }),
      /clockToleranceSec/,
    ],
    [
      'NaN clock tolerance',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256'], clockToleranceSec: Number.NaN }),
      /clockToleranceSec/,
    ],
    [
      'maxTokenLength 0',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256'], maxTokenLength: 0 }),
      /"maxTokenLength" must be an integer between 64 and 65536/,
    ],
    [
      'empty issuer',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256'], issuer: '' }),
      /"issuer" must be a non-empty string/,
    ],
    [
      'empty audience list',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256'], audience: [] }),
      /"audience" must be/,
    ],
    [
      'bad cookie name',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256'], cookie: 'my cookie' }),
      /"cookie" must be a cookie name/,
    ],
    [
      'from cookie without a cookie',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256'], from: 'cookie' }),
      /from: "cookie" needs "cookie"/,
    ],
    [
      'from header with a cookie',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256'], from: 'header', cookie: 's' }),
      /use from: "cookie" or "either"/,
    ],
    [
      'bad from',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256'], from: 'query' as never }),
      /"from" must be/,
    ],
    [
      'map not a function',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256'], map: {} as never }),
      /"map" must be a function/,
    ],
    [
      'bad onInvalidToken',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256'], onInvalidToken: 'ignore' as never }),
      /"onInvalidToken"/,
    ],
    [
      'empty typ',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256'], typ: '' }),
      /"typ" must be a non-empty string/,
    ],
    [
      'typo jwksUri',
      () => fromJwt({ jwksUri: 'https://a.example/j', issuer: 'i', algorithms: ['RS256'] } as never),
      /unknown option "jwksUri"; did you mean jwksUrl\?/,
    ],
    [
      'typo audiance',
      () => fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256'], audiance: 'x' } as never),
      /unknown option "audiance"/,
    ],
  ]

  it.each(cases)('%s', (_name, build, message) => {
    expect(build).toThrow(TypeError)
    expect(build).toThrow(message)
  })

  it('never echoes the secret in a configuration error', () => {
    const shortSecret = 'hunter2-secret'
    expect(() => fromJwt({ secret: shortSecret, algorithms: ['HS256'] })).toThrow(TypeError)
    try {
      fromJwt({ secret: shortSecret, algorithms: ['HS256'] })
    } catch (error) {
      expect((error as Error).message).not.toContain(shortSecret)
    }
  })

  it('rejects impossible combinations at compile time too', () => {
    // @ts-expect-error HS256 needs a secret
    expect(() => fromJwt({ publicKey: rsa.pem, algorithms: ['HS256'] })).toThrow(TypeError)
    // @ts-expect-error RS256 needs a public key
    expect(() => fromJwt({ secret: SECRET_TEXT, algorithms: ['RS256'] })).toThrow(TypeError)
    // @ts-expect-error only one key kind
    expect(() => fromJwt({ secret: SECRET_TEXT, publicKey: rsa.pem, algorithms: ['HS256'] })).toThrow(TypeError)
    // @ts-expect-error algorithms is required
    expect(() => fromJwt({ secret: SECRET_TEXT })).toThrow(TypeError)
  })

  it('returns an Identify over the three request shapes', () => {
    const identify = fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256'] })
    expectTypeOf(identify).toEqualTypeOf<IdentityResolver<HttpRequestLike>>()
    expectTypeOf(identify).toExtend<Identify<HttpRequestLike>>()
    expectTypeOf<Request>().toExtend<HttpRequestLike>()
    expectTypeOf<import('node:http').IncomingMessage>().toExtend<HttpRequestLike>()
  })
})

function privatePem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    format: 'pem',
    type: 'pkcs8',
  }) as string
}
function smallRsaPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }) as string
}

describe('fromJwt: verifies with every kind of key', () => {
  it('HS256 with a byte secret (from generateSecret)', async () => {
    const identify = fromJwt({ secret, algorithms: ['HS256'] })
    await expect(identify(bearer(await sign({ sub: 'usr_1' }, secret, 'HS256')))).resolves.toEqual({
      externalCustomerId: 'usr_1',
    })
  })

  it('HS256 and HS512 with a string secret', async () => {
    const identify = fromJwt({ secret: SECRET_TEXT, algorithms: ['HS256', 'HS512'] })
    const bytes = new TextEncoder().encode(SECRET_TEXT)
    await expect(identify(bearer(await sign({ sub: 'a' }, bytes, 'HS256')))).resolves.toEqual({
      externalCustomerId: 'a',
    })
    await expect(identify(bearer(await sign({ sub: 'b' }, bytes, 'HS512')))).resolves.toEqual({
      externalCustomerId: 'b',
    })
  })

  it('copies a byte secret: changing the caller buffer afterwards changes nothing', async () => {
    const mine = new Uint8Array(secret)
    const identify = fromJwt({ secret: mine, algorithms: ['HS256'] })
    mine.fill(0)
    await expect(identify(bearer(await sign({ sub: 'c' }, secret, 'HS256')))).resolves.toEqual({
      externalCustomerId: 'c',
    })
  })

  it('RS256 with a PEM, a JWK, a KeyObject and a CryptoKey', async () => {
    const token = await sign({ sub: 'rsa-user' }, rsa.privateKey, 'RS256')
    for (const publicKey of [rsa.pem, rsa.jwk, createPublicKey(rsa.pem), rsa.publicKey]) {
      const identify = fromJwt({ publicKey, algorithms: ['RS256'] })
      await expect(identify(bearer(token))).resolves.toEqual({ externalCustomerId: 'rsa-user' })
    }
  })

  it('PS256 with an RSA PEM (RS* and PS* share RSA keys)', async () => {
    const pss = await keyPair('PS256', 'pss')
    const identify = fromJwt({ publicKey: pss.pem, algorithms: ['RS256', 'PS256'] })
    await expect(identify(bearer(await sign({ sub: 'pss' }, pss.privateKey, 'PS256')))).resolves.toEqual({
      externalCustomerId: 'pss',
    })
  })

  it('ES256 with a PEM and a CryptoKey', async () => {
    const token = await sign({ sub: 'ec-user' }, ec.privateKey, 'ES256')
    await expect(fromJwt({ publicKey: ec.pem, algorithms: ['ES256'] })(bearer(token))).resolves.toEqual({
      externalCustomerId: 'ec-user',
    })
    await expect(fromJwt({ publicKey: ec.publicKey, algorithms: ['ES256'] })(bearer(token))).resolves.toEqual({
      externalCustomerId: 'ec-user',
    })
  })

  it('EdDSA (Ed25519) with a PEM and a JWK, under both algorithm names', async () => {
    const identify = fromJwt({ publicKey: ed.pem, algorithms: ['EdDSA', 'Ed25519'] })
    await expect(identify(bearer(await sign({ sub: 'ed' }, ed.privateKey, 'EdDSA')))).resolves.toEqual({
      externalCustomerId: 'ed',
    })
    await expect(identify(bearer(await sign({ sub: 'ed2' }, ed.privateKey, 'Ed25519')))).resolves.toEqual({
      externalCustomerId: 'ed2',
    })
    const byJwk = fromJwt({ publicKey: { ...ed.jwk, alg: undefined }, algorithms: ['EdDSA'] })
    await expect(byJwk(bearer(await sign({ sub: 'ed3' }, ed.privateKey, 'EdDSA')))).resolves.toEqual({
      externalCustomerId: 'ed3',
    })
  })

  it('a token signed by another key of the right type fails the signature check', async () => {
    const other = await keyPair('RS256', 'other')
    const identify = fromJwt({ publicKey: rsa.pem, algorithms: ['RS256'] })
    await expectInvalidToken(
      identify(bearer(await sign({ sub: 'x' }, other.privateKey, 'RS256'))),
      /signature verification failed/,
    )
  })
})

describe('fromJwt: claims', () => {
  const identify = () =>
    fromJwt({
      secret,
      algorithms: ['HS256'],
      issuer: ['https://a.example', 'https://b.example'],
      audience: ['api', 'web'],
    })

  it('accepts any listed issuer and any listed audience', async () => {
    const token = await sign({ sub: 'u', iss: 'https://b.example', aud: ['other', 'web'] }, secret, 'HS256')
    await expect(identify()(bearer(token))).resolves.toEqual({ externalCustomerId: 'u' })
  })

  it('tolerates 5 seconds of clock skew by default, and only what clockToleranceSec says', async () => {
    const justExpired = await sign({ sub: 'u', iss: 'https://a.example', aud: 'api' }, secret, 'HS256', {
      exp: nowSec() - 2,
    })
    await expect(identify()(bearer(justExpired))).resolves.toEqual({ externalCustomerId: 'u' })
    const strict = fromJwt({ secret, algorithms: ['HS256'], clockToleranceSec: 0 })
    await expectInvalidToken(strict(bearer(justExpired)), /^The bearer token has expired\.$/)
    const notYet = await sign({ sub: 'u', nbf: nowSec() + 3 }, secret, 'HS256')
    await expect(fromJwt({ secret, algorithms: ['HS256'] })(bearer(notYet))).resolves.toEqual({
      externalCustomerId: 'u',
    })
    await expectInvalidToken(strict(bearer(notYet)), /not valid yet/)
  })

  it('checks typ when configured', async () => {
    const typed = fromJwt({ secret, algorithms: ['HS256'], typ: 'at+jwt' })
    await expect(
      typed(bearer(await sign({ sub: 'u' }, secret, 'HS256', { header: { typ: 'at+jwt' } }))),
    ).resolves.toEqual({ externalCustomerId: 'u' })
    await expectInvalidToken(
      typed(bearer(await sign({ sub: 'u' }, secret, 'HS256', { header: { typ: 'JWT' } }))),
      /"typ" header does not match/,
    )
  })

  it('maps claims with map(): org → customer, sub → member, email and name', async () => {
    const team = fromJwt({
      secret,
      algorithms: ['HS256'],
      map: (_payload, { claim, optionalClaim }) => ({
        externalCustomerId: claim('org_id'),
        externalMemberId: claim('sub'),
        email: optionalClaim('email'),
        name: optionalClaim('name'),
      }),
    })
    const token = await sign({ sub: 'usr_7', org_id: 'org_3', email: 'ada@example.com', name: null }, secret, 'HS256')
    await expect(team(bearer(token))).resolves.toEqual({
      externalCustomerId: 'org_3',
      externalMemberId: 'usr_7',
      email: 'ada@example.com',
      name: undefined,
    })
    const noOrg = await sign({ sub: 'usr_7', email: 'ada@example.com' }, secret, 'HS256')
    await expectInvalidToken(team(bearer(noOrg)), /^The bearer token has no "org_id" claim\.$/, [
      'usr_7',
      'ada@example.com',
    ])
    const numericOrg = await sign({ sub: 'usr_7', org_id: 12345 }, secret, 'HS256')
    await expectInvalidToken(team(bearer(numericOrg)), /"org_id" claim is not a string/, ['12345', 'usr_7'])
    const badEmail = await sign({ sub: 'usr_7', org_id: 'o', email: ['ada@example.com'] }, secret, 'HS256')
    await expectInvalidToken(team(bearer(badEmail)), /"email" claim is not a string/, ['ada@example.com'])
  })

  it('reads nested claims by path, only through own properties', async () => {
    const clerk = fromJwt({
      secret,
      algorithms: ['HS256'],
      map: (_p, { claim }) => ({ externalCustomerId: claim(['o', 'id']) }),
    })
    await expect(
      clerk(bearer(await sign({ sub: 'u', o: { id: 'org_9', rol: 'admin' } }, secret, 'HS256'))),
    ).resolves.toEqual({ externalCustomerId: 'org_9' })
    await expectInvalidToken(clerk(bearer(await sign({ sub: 'u', o: 'org_9' }, secret, 'HS256'))), /no "o.id" claim/)
    const proto = fromJwt({
      secret,
      algorithms: ['HS256'],
      map: (_p, { claim }) => ({ externalCustomerId: claim(['o', 'toString']) }),
    })
    await expectInvalidToken(proto(bearer(await sign({ sub: 'u', o: {} }, secret, 'HS256'))), /no "o.toString" claim/)
  })

  it('treats null from map() as anonymous, and lets map() errors through', async () => {
    const maybe = fromJwt({
      secret,
      algorithms: ['HS256'],
      map: (payload) => (payload['org_id'] ? { externalCustomerId: String(payload['org_id']) } : null),
    })
    await expect(maybe(bearer(await sign({ sub: 'u' }, secret, 'HS256')))).resolves.toBeNull()
    const bug = new Error('bug in map')
    const broken = fromJwt({
      secret,
      algorithms: ['HS256'],
      map: () => {
        throw bug
      },
    })
    await expect(broken(bearer(await sign({ sub: 'u' }, secret, 'HS256')))).rejects.toBe(bug)
  })

  it('supports an async map()', async () => {
    const lookup = fromJwt({
      secret,
      algorithms: ['HS256'],
      map: async (_p, { claim }) => ({ customerId: `${claim('sub')}-resolved` }),
    })
    await expect(lookup(bearer(await sign({ sub: 'u' }, secret, 'HS256')))).resolves.toEqual({
      customerId: 'u-resolved',
    })
  })
})

describe('fromJwt: where the token comes from', () => {
  let token: string
  beforeAll(async () => {
    token = await sign({ sub: 'usr_src' }, secret, 'HS256')
  })
  const expected = { externalCustomerId: 'usr_src' }

  it('reads Authorization: Bearer from an Express-like req, a Koa context and a Fetch Request', async () => {
    const identify = fromJwt({ secret, algorithms: ['HS256'] })
    await expect(identify(nodeReq({ authorization: `Bearer ${token}` }))).resolves.toEqual(expected)
    const headers = { authorization: `Bearer ${token}` }
    await expect(identify({ request: { headers } })).resolves.toEqual(expected)
    await expect(identify({ headers, request: { headers } } as HttpRequestLike)).resolves.toEqual(expected)
    await expect(
      identify(new Request('http://127.0.0.1/', { headers: { Authorization: `Bearer ${token}` } })),
    ).resolves.toEqual(expected)
  })

  it('reads a real node:http IncomingMessage', async () => {
    const identify = fromJwt({ secret, algorithms: ['HS256'] })
    const seen: unknown[] = []
    const server = createServer((req, res) => {
      identify(req)
        .then(
          (identity) => seen.push(identity),
          (error: unknown) => seen.push(error),
        )
        .finally(() => res.end())
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      await fetch(`http://127.0.0.1:${port}/`, { headers: { authorization: `Bearer ${token}` } })
      await fetch(`http://127.0.0.1:${port}/`)
      expect(seen).toEqual([expected, null])
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('accepts the scheme in any case and surrounding spaces', async () => {
    const identify = fromJwt({ secret, algorithms: ['HS256'] })
    await expect(identify(nodeReq({ authorization: `bearer ${token}` }))).resolves.toEqual(expected)
    await expect(identify(nodeReq({ authorization: `  BEARER   ${token}  ` }))).resolves.toEqual(expected)
  })

  it('is anonymous without a token, or with another scheme', async () => {
    const identify = fromJwt({ secret, algorithms: ['HS256'] })
    await expect(identify(nodeReq({}))).resolves.toBeNull()
    await expect(identify(nodeReq({ authorization: 'Basic dXNlcjpwYXNz' }))).resolves.toBeNull()
    await expect(identify(new Request('http://127.0.0.1/'))).resolves.toBeNull()
    await expect(identify({ request: { headers: {} } })).resolves.toBeNull()
    // A cookie is not read unless configured.
    await expect(identify(nodeReq({ cookie: `session=${token}` }))).resolves.toBeNull()
  })

  it('reads a cookie from every request shape when `cookie` is set (and then ignores the header)', async () => {
    const identify = fromJwt({ secret, algorithms: ['HS256'], cookie: 'session' })
    await expect(identify(nodeReq({ cookie: `theme=dark; session=${token}` }))).resolves.toEqual(expected)
    await expect(identify({ request: { headers: { cookie: `session=${token}` } } })).resolves.toEqual(expected)
    await expect(
      identify(new Request('http://127.0.0.1/', { headers: { cookie: `session="${token}"` } })),
    ).resolves.toEqual(expected)
    await expect(identify(nodeReq({ authorization: `Bearer ${token}` }))).resolves.toBeNull()
    await expect(identify(nodeReq({ cookie: 'session=' }))).resolves.toBeNull()
    await expect(identify(nodeReq({ cookie: `session_id=${token}` }))).resolves.toBeNull()
  })

  it('from: "either" prefers the header, falls back to the cookie, and never falls back after a bad header token', async () => {
    const identify = fromJwt({ secret, algorithms: ['HS256'], from: 'either', cookie: '__session' })
    const other = await sign({ sub: 'usr_cookie' }, secret, 'HS256')
    await expect(
      identify(nodeReq({ authorization: `Bearer ${token}`, cookie: `__session=${other}` })),
    ).resolves.toEqual(expected)
    await expect(identify(nodeReq({ cookie: `__session=${other}` }))).resolves.toEqual({
      externalCustomerId: 'usr_cookie',
    })
    await expect(identify(nodeReq({ authorization: 'Basic abc', cookie: `__session=${other}` }))).resolves.toEqual({
      externalCustomerId: 'usr_cookie',
    })
    await expectInvalidToken(
      identify(nodeReq({ authorization: 'Bearer forged.token.x', cookie: `__session=${other}` })),
      /malformed/,
    )
  })

  it('a bad cookie token is a 401 too', async () => {
    const identify = fromJwt({ secret, algorithms: ['HS256'], cookie: 'session' })
    const expired = await sign({ sub: 'usr_old' }, secret, 'HS256', { exp: nowSec() - 3600 })
    await expectInvalidToken(identify(nodeReq({ cookie: `session=${expired}` })), /expired/, [expired, 'usr_old'])
    await expectInvalidToken(
      identify(nodeReq({ cookie: `session=${token.slice(0, 10)}%00${token.slice(10)}` })),
      /control characters/,
    )
  })

  it('onInvalidToken: "anonymous" turns a bad token into null', async () => {
    const identify = fromJwt({ secret, algorithms: ['HS256'], cookie: 'session', onInvalidToken: 'anonymous' })
    const expired = await sign({ sub: 'usr_old' }, secret, 'HS256', { exp: nowSec() - 3600 })
    await expect(identify(nodeReq({ cookie: `session=${expired}` }))).resolves.toBeNull()
    await expect(identify(nodeReq({ cookie: 'session=garbage' }))).resolves.toBeNull()
    await expect(identify(nodeReq({ cookie: `session=${token}` }))).resolves.toEqual(expected)
  })

  it('throws a TypeError when handed something that is not a request', async () => {
    const identify = fromJwt({ secret, algorithms: ['HS256'] })
    await expect(identify({} as HttpRequestLike)).rejects.toThrow(TypeError)
    await expect(identify({ req: { header: () => 'x' } } as unknown as HttpRequestLike)).rejects.toThrow(/no headers/)
  })

  it('errors are PolarSessionErrors an Express/Koa error handler can answer with', async () => {
    const identify = fromJwt({ secret, algorithms: ['HS256'] })
    const error = await expectInvalidToken(identify(nodeReq({ authorization: 'Bearer x' })), /malformed/)
    expect(error).toBeInstanceOf(PolarSessionError)
    expect(error.toJSON()).toEqual({ error: 'unauthenticated', message: error.message, status: 401 })
  })
})

describe('fromJwt: option types', () => {
  it('accepts each key kind', () => {
    expectTypeOf<{ secret: string; algorithms: ['HS256'] }>().toExtend<FromJwtOptions>()
    expectTypeOf<{ publicKey: string; algorithms: ['RS256', 'PS256'] }>().toExtend<FromJwtOptions>()
    expectTypeOf<{ jwksUrl: URL; algorithms: ['ES256']; issuer: string }>().toExtend<FromJwtOptions>()
    expectTypeOf<{ secret: string; algorithms: ['RS256'] }>().not.toExtend<FromJwtOptions>()
    expectTypeOf<{ jwksUrl: string; algorithms: ['HS256'] }>().not.toExtend<FromJwtOptions>()
  })
})
