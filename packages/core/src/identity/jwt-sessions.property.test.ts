import { startFakePolar, type FakePolar } from '@polar-session/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPolarSessions, type PolarSessions } from '../create-polar-sessions.js'
import { PolarSessionError } from '../errors.js'
import { fromJwt } from './jwt.js'
import { bearer, hmacSecret, sign } from '../test-support/jwt.js'

// JWT → identity → session, end to end against the fake: every request gets the session of
// its own identity, never another's, and ids the rules refuse never reach Polar.
let fake: FakePolar
let polar: PolarSessions
let secret: Uint8Array

beforeAll(async () => {
  fake = await startFakePolar()
  secret = await hmacSecret('HS256')
  polar = createPolarSessions({
    accessToken: fake.accessToken,
    baseUrl: fake.url,
    // Hundreds of customers a minute, far past the default creation budget: not what this tests.
    maxCreationsPerMinute: Infinity,
    createCustomer: true,
    identify: fromJwt({
      secret,
      algorithms: ['HS256'],
      map: (payload, { claim }) => ({ externalCustomerId: claim('sub'), email: claim('email') }),
    }),
  })
})
afterAll(async () => {
  await polar.close()
  await fake.close()
})

const validId = fc
  .string({ minLength: 1, maxLength: 40 })
  .filter((s) => !/[\u0000-\u001f\u007f-\u009f]/.test(s) && s.isWellFormed())
const invalidId = fc.oneof(
  fc.constant(''),
  fc.string({ minLength: 1, maxLength: 10 }).map((s) => `${s}\u0000`),
  fc.string({ minLength: 1, maxLength: 10 }).map((s) => `\n${s}`),
  fc.constant('x'.repeat(1025)),
)

describe('fromJwt + getSession properties', () => {
  it('each request gets the session of its own sub, whatever the interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(validId, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
        async (subs, picks) => {
          const requests = picks.map((pick) => subs[pick % subs.length]!)
          const tokens = await Promise.all(
            requests.map((sub) =>
              sign({ sub, email: `u${Buffer.from(sub).toString('hex').slice(0, 40)}@acme.dev` }, secret, 'HS256'),
            ),
          )
          const sessions = await Promise.all(tokens.map((token) => polar.resolve(bearer(token))))
          for (const [i, session] of sessions.entries()) {
            expect(session?.customer.externalId).toBe(requests[i])
          }
        },
      ),
      { numRuns: 150 },
    )
  })

  it('ids the identity rules refuse are rejected before any call to Polar', async () => {
    await fc.assert(
      fc.asyncProperty(invalidId, async (sub) => {
        const before = fake.stats.total
        const token = await sign({ sub, email: 'bad@example.com' }, secret, 'HS256')
        const error = await polar.resolve(bearer(token)).then(
          () => null,
          (e: unknown) => e,
        )
        expect(error).toBeInstanceOf(PolarSessionError)
        expect((error as PolarSessionError).code).toBe('invalid_identity')
        expect(fake.stats.total).toBe(before)
      }),
      { numRuns: 300 },
    )
  })
})
