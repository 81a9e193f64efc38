import type { FetchImplementation } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { PolarSessionError } from '../errors.js'
import { fromJwt } from './jwt.js'
import { bearer, closedPort, expectInvalidToken, keyPair, sign, startJwksServer } from '../test-support/jwt.js'
import type { JwksServer, TestKeyPair } from '../test-support/jwt.js'

const ISSUER = 'https://issuer.example/'
let rsa: TestKeyPair
let ec: TestKeyPair
let ed: TestKeyPair
let server: JwksServer

beforeAll(async () => {
  ;[rsa, ec, ed] = await Promise.all([keyPair('RS256', 'rsa-1'), keyPair('ES256', 'ec-1'), keyPair('EdDSA', 'ed-1')])
  server = await startJwksServer([rsa.jwk, ec.jwk, ed.jwk])
})
afterAll(async () => {
  await server.close()
})
afterEach(() => {
  server.hits = 0
  server.respond = { status: 200, body: JSON.stringify({ keys: [rsa.jwk, ec.jwk, ed.jwk] }) }
})

const tokenFor = (pair: TestKeyPair, sub: string, claims: Record<string, unknown> = {}): Promise<string> =>
  sign({ sub, iss: ISSUER, ...claims }, pair.privateKey, pair.alg, { header: { kid: pair.kid } })

async function expectUnavailable(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(PolarSessionError)
  await expect(promise).rejects.toMatchObject({
    code: 'unauthenticated',
    status: 503,
    expose: true,
    message: 'Could not fetch the signing keys (JWKS) to verify the bearer token.',
  })
  const error = (await promise.catch((reason: unknown) => reason)) as PolarSessionError
  // Not the token's fault: no invalid_token challenge, or the client would drop a good token.
  expect(error.headers['WWW-Authenticate']).toBeUndefined()
}

describe('fromJwt with jwksUrl (loopback node:http server)', () => {
  it('verifies RS256, ES256 and EdDSA tokens against the published keys', async () => {
    const identify = fromJwt({ jwksUrl: server.url, algorithms: ['RS256', 'ES256', 'EdDSA'], issuer: ISSUER })
    await expect(identify(bearer(await tokenFor(rsa, 'usr_rsa')))).resolves.toEqual({ externalCustomerId: 'usr_rsa' })
    await expect(identify(bearer(await tokenFor(ec, 'usr_ec')))).resolves.toEqual({ externalCustomerId: 'usr_ec' })
    await expect(identify(bearer(await tokenFor(ed, 'usr_ed')))).resolves.toEqual({ externalCustomerId: 'usr_ed' })
  })

  it('fetches nothing at construction, then the key set once for many verifications', async () => {
    const identify = fromJwt({ jwksUrl: new URL(server.url), algorithms: ['RS256', 'ES256'], issuer: ISSUER })
    expect(server.hits).toBe(0)
    const tokens = await Promise.all(Array.from({ length: 40 }, (_, i) => tokenFor(i % 2 ? rsa : ec, `usr_${i}`)))
    // 20 at once (merged into one fetch), then 40 one after another (served from the cache).
    const concurrent = await Promise.all(tokens.slice(0, 20).map((token) => identify(bearer(token))))
    expect(concurrent).toEqual(tokens.slice(0, 20).map((_, i) => ({ externalCustomerId: `usr_${i}` })))
    for (const [i, token] of tokens.entries()) {
      await expect(identify(bearer(token))).resolves.toEqual({ externalCustomerId: `usr_${i}` })
    }
    expect(server.hits).toBe(1)
  })

  it('an unknown kid is a 401 and does not refetch during the cooldown', async () => {
    const identify = fromJwt({ jwksUrl: server.url, algorithms: ['RS256'], issuer: ISSUER })
    await expect(identify(bearer(await tokenFor(rsa, 'usr_1')))).resolves.toEqual({ externalCustomerId: 'usr_1' })
    const stranger = await keyPair('RS256', 'rsa-unknown')
    for (let i = 0; i < 5; i++) {
      await expectInvalidToken(identify(bearer(await tokenFor(stranger, 'usr_2'))), /No signing key matches/, ['usr_2'])
    }
    expect(server.hits).toBe(1)
  })

  it('a token signed by a stranger under a published kid fails the signature check', async () => {
    const identify = fromJwt({ jwksUrl: server.url, algorithms: ['RS256'], issuer: ISSUER })
    const stranger = await keyPair('RS256', 'rsa-1')
    await expectInvalidToken(identify(bearer(await tokenFor(stranger, 'usr_x'))), /signature verification failed/)
  })

  it('checks issuer and audience', async () => {
    const identify = fromJwt({
      jwksUrl: server.url,
      algorithms: ['RS256'],
      issuer: ISSUER,
      audience: 'https://api.example',
    })
    await expect(identify(bearer(await tokenFor(rsa, 'u', { aud: 'https://api.example' })))).resolves.toEqual({
      externalCustomerId: 'u',
    })
    await expectInvalidToken(
      identify(bearer(await tokenFor(rsa, 'u', { aud: 'https://api.example', iss: 'https://evil.example/' }))),
      /"iss" claim/,
    )
    await expectInvalidToken(identify(bearer(await tokenFor(rsa, 'u'))), /no "aud" claim/)
  })

  it('an HTTP error from the key server is a 503, not a 401', async () => {
    server.respond = { status: 500, body: 'oops' }
    const identify = fromJwt({ jwksUrl: server.url, algorithms: ['RS256'], issuer: ISSUER })
    await expectUnavailable(identify(bearer(await tokenFor(rsa, 'u'))))
  })

  it('a key set that is not JSON, or not a key set, is a 503', async () => {
    server.respond = { status: 200, body: '<html>' }
    const notJson = fromJwt({ jwksUrl: server.url, algorithms: ['RS256'], issuer: ISSUER })
    await expectUnavailable(notJson(bearer(await tokenFor(rsa, 'u'))))
    server.respond = { status: 200, body: '{"keys":"nope"}' }
    const notKeys = fromJwt({ jwksUrl: server.url, algorithms: ['RS256'], issuer: ISSUER })
    await expectUnavailable(notKeys(bearer(await tokenFor(rsa, 'u'))))
  })

  it('a refused connection is a 503', async () => {
    const identify = fromJwt({
      jwksUrl: `http://127.0.0.1:${await closedPort()}/jwks`,
      algorithms: ['RS256'],
      issuer: ISSUER,
    })
    await expectUnavailable(identify(bearer(await tokenFor(rsa, 'u'))))
  })

  it('onInvalidToken: "anonymous" does not hide an outage', async () => {
    server.respond = { status: 502, body: '' }
    const identify = fromJwt({
      jwksUrl: server.url,
      algorithms: ['RS256'],
      issuer: ISSUER,
      onInvalidToken: 'anonymous',
    })
    await expectUnavailable(identify(bearer(await tokenFor(rsa, 'u'))))
    await expect(identify(bearer('garbage'))).resolves.toBeNull()
  })

  it('a request without a token never fetches the keys', async () => {
    const identify = fromJwt({ jwksUrl: server.url, algorithms: ['RS256'], issuer: ISSUER })
    await expect(identify({ headers: {} })).resolves.toBeNull()
    await expectInvalidToken(identify(bearer('x.y')), /malformed/)
    expect(server.hits).toBe(0)
  })
})

describe('fromJwt with jwksUrl and customFetch', () => {
  it('fetches through customFetch, once', async () => {
    const calls: string[] = []
    const customFetch: FetchImplementation = async (url, init) => {
      calls.push(`${init.method} ${url}`)
      return new Response(JSON.stringify({ keys: [rsa.jwk] }), { headers: { 'content-type': 'application/json' } })
    }
    const identify = fromJwt({
      jwksUrl: 'https://keys.example/.well-known/jwks.json',
      algorithms: ['RS256'],
      issuer: ISSUER,
      customFetch,
    })
    for (let i = 0; i < 25; i++) {
      await expect(identify(bearer(await tokenFor(rsa, `usr_${i}`)))).resolves.toEqual({
        externalCustomerId: `usr_${i}`,
      })
    }
    expect(calls).toEqual(['GET https://keys.example/.well-known/jwks.json'])
  })

  it('gives up after jwksTimeoutMs with a 503', async () => {
    const hang: FetchImplementation = (_url, init) =>
      new Promise((_resolve, reject) => {
        init.signal.addEventListener('abort', () => reject(init.signal.reason))
      })
    const identify = fromJwt({
      jwksUrl: 'https://keys.example/jwks',
      algorithms: ['RS256'],
      issuer: ISSUER,
      customFetch: hang,
      jwksTimeoutMs: 50,
    })
    // Resolving at all shows the timeout fired: the fetch itself never settles.
    await expectUnavailable(identify(bearer(await tokenFor(rsa, 'u'))))
  })

  it('a network error from fetch is a 503 that keeps the cause for logs', async () => {
    const failure = new TypeError('fetch failed')
    const identify = fromJwt({
      jwksUrl: 'https://keys.example/jwks',
      algorithms: ['RS256'],
      audience: 'api',
      customFetch: async () => {
        throw failure
      },
    })
    const promise = identify(bearer(await tokenFor(rsa, 'u', { aud: 'api' })))
    await expectUnavailable(promise)
    await expect(promise).rejects.toHaveProperty('cause', failure)
  })
})
