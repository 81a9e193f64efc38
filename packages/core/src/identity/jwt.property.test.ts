import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { PolarSessionError } from '../errors.js'
import { fromJwt } from './jwt.js'
import type { HttpRequestLike } from './read-header.js'
import type { IdentityResolver } from './resolver.js'
import { bearer, hmacSecret, sign } from '../test-support/jwt.js'

const RESERVED = new Set(['sub', 'exp', 'nbf', 'iat', 'iss', 'aud'])

let secret: Uint8Array
let identify: IdentityResolver<HttpRequestLike>

beforeAll(async () => {
  secret = await hmacSecret('HS256')
  identify = fromJwt({ secret, algorithms: ['HS256'] })
})

/** Any sub, including unicode, empty, "__proto__" and claim-like strings. */
const subject = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constantFrom('__proto__', 'constructor', 'usr_1', '0', '', ' '),
)
/** Extra claims of any JSON shape, under any name but the registered ones. */
const extraClaims = fc.dictionary(
  fc.string({ maxLength: 12 }).filter((key) => !RESERVED.has(key)),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 6 },
)

describe('fromJwt properties (HS256)', () => {
  it('a valid token yields exactly its own sub as externalCustomerId, whatever else it carries', async () => {
    await fc.assert(
      fc.asyncProperty(subject, extraClaims, async (sub, claims) => {
        const token = await sign({ ...claims, sub }, secret, 'HS256')
        const identity = await identify(bearer(token))
        expect(identity).toStrictEqual({ externalCustomerId: sub })
      }),
      { numRuns: 2000 },
    )
  })

  it("two users' tokens never resolve to each other, and spliced tokens resolve to no one", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(subject, { minLength: 2, maxLength: 2 }), extraClaims, async ([a, b], claims) => {
        const [ta, tb] = await Promise.all([
          sign({ ...claims, sub: a }, secret, 'HS256'),
          sign({ ...claims, sub: b }, secret, 'HS256'),
        ])
        await expect(identify(bearer(ta))).resolves.toStrictEqual({ externalCustomerId: a })
        await expect(identify(bearer(tb))).resolves.toStrictEqual({ externalCustomerId: b })
        const [ha, , sa] = ta.split('.')
        const [, pb] = tb.split('.')
        await expect(identify(bearer(`${ha}.${pb}.${sa}`))).rejects.toMatchObject({
          code: 'unauthenticated',
          status: 401,
        })
      }),
      { numRuns: 500 },
    )
  })

  it('changing any one character of a valid token never yields an identity', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'
    await fc.assert(
      fc.asyncProperty(subject, fc.nat(), fc.constantFrom(...alphabet), async (sub, at, replacement) => {
        const token = await sign({ sub }, secret, 'HS256')
        const index = at % token.length
        fc.pre(token[index] !== replacement)
        const tampered = token.slice(0, index) + replacement + token.slice(index + 1)
        const outcome = await identify(bearer(tampered)).then(
          (identity) => ({ identity }),
          (error: unknown) => ({ error }),
        )
        expect(outcome).not.toHaveProperty('identity')
        expect((outcome as { error: unknown }).error).toBeInstanceOf(PolarSessionError)
        expect((outcome as { error: PolarSessionError }).error.status).toBe(401)
      }),
      { numRuns: 1000 },
    )
  })
})
