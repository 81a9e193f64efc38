import { startFakePolar, type FakePolar } from '@polar-session/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PolarSessionError } from '../errors.js'
import { createPolarClient, type CreateSessionInput } from './index.js'
import { errorText, rejection, testOptions } from '../test-support/polar-test-server.js'

// The client against what Polar really sends, as @polar-session/testing's fake reproduces it
// from Polar's server source: answers whose mapping the scripted-server tests cannot vouch for.
let fake: FakePolar
let customerId: string
beforeAll(async () => {
  fake = await startFakePolar({ seed: [{ externalId: 'usr_owner', email: 'owner@example.com' }] })
  customerId = fake.customers()[0]!.id
})
afterAll(() => fake.close())

async function failure(input: CreateSessionInput, accessToken = fake.accessToken): Promise<PolarSessionError> {
  const options = testOptions(fake, { accessToken, maxAttempts: 4 })
  const error = await rejection(createPolarClient(options).createCustomerSession(input))
  expect(error).toBeInstanceOf(PolarSessionError)
  const text = errorText(error) + JSON.stringify(options.logger.records)
  for (const secret of [accessToken, 'owner@example.com', 'usr_owner', customerId]) expect(text).not.toContain(secret)
  return error as PolarSessionError
}

describe("Polar's answers, mapped", () => {
  it('"No owner member found for this customer." → member_not_found with its own message, not a bug report', async () => {
    fake.fail({ kind: 'no-owner-member' })
    fake.stats.reset()
    const error = await failure({ externalCustomerId: 'usr_owner' })
    expect(error).toMatchObject({ code: 'member_not_found', status: 404, expose: true })
    expect(error.message).toContain('no owner member')
    expect(error.message).toContain('memberId or externalMemberId')
    expect(error.message).not.toContain('bug')
    expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(1)
  })

  it('a plain 500 on every attempt, by external id with a personal token → ambiguous_customer naming organization tokens', async () => {
    fake.addAmbiguousExternalId('usr_owner')
    const personal = fake.addAccessToken({ kind: 'personal' })
    fake.stats.reset()
    const error = await failure({ externalCustomerId: 'usr_owner' }, personal)
    expect(error).toMatchObject({ code: 'ambiguous_customer', status: 409 })
    expect(error.message).toContain('organization access token')
    expect(error.message).toContain('HTTP 500')
    // Polar cannot say why it failed, so a 500 is still retried first.
    expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(4)
  })

  it('the same 500 with an organization token, or by customer id, stays polar_unavailable', async () => {
    fake.fail({ kind: 'status', status: 500 }, { times: 4 })
    expect(await failure({ externalCustomerId: 'usr_owner' })).toMatchObject({ code: 'polar_unavailable', status: 502 })
    const personal = fake.addAccessToken({ kind: 'personal' })
    fake.fail({ kind: 'status', status: 500 }, { times: 4 })
    expect(await failure({ customerId }, personal)).toMatchObject({ code: 'polar_unavailable', status: 502 })
    const session = await createPolarClient(testOptions(fake, { accessToken: personal })).createCustomerSession({
      customerId,
    })
    expect(session.customerId).toBe(customerId)
  })
})
