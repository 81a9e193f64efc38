// The official SDK as the judge of the fake's shapes: @polar-sh/sdk 0.48.1
// parses every answer with strict zod schemas, so if it accepts what the fake
// sends (and raises its typed errors for the fake's error bodies), the fake
// speaks Polar's language.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Polar } from '@polar-sh/sdk'
import { HTTPValidationError } from '@polar-sh/sdk/models/errors/httpvalidationerror.js'
import { ResourceNotFound } from '@polar-sh/sdk/models/errors/resourcenotfound.js'
import { ResponseValidationError } from '@polar-sh/sdk/models/errors/responsevalidationerror.js'
import { SDKValidationError } from '@polar-sh/sdk/models/errors/sdkvalidationerror.js'
import { PolarError } from '@polar-sh/sdk/models/errors/polarerror.js'
import { startFakePolar } from './server.js'
import type { FakeCustomer, FakePolar } from './types.js'

let fake: FakePolar
let polar: Polar
let jane: FakeCustomer
let team: FakeCustomer

beforeAll(async () => {
  fake = await startFakePolar({
    seed: [
      { externalId: 'usr_1337', email: 'jane@example.com', name: 'Jane' },
      {
        externalId: 'team_1',
        email: 'team@example.com',
        type: 'team',
        members: [{ externalId: 'alice', email: 'alice@example.com' }],
      },
    ],
  })
  jane = fake.customers()[0] as FakeCustomer
  team = fake.customers()[1] as FakeCustomer
  polar = new Polar({ accessToken: fake.accessToken, serverURL: fake.url })
})
afterAll(() => fake.close())

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the SDK call to fail')
}

describe('@polar-sh/sdk 0.48.1 against the fake', () => {
  it('creates a session by external id and parses it', async () => {
    const session = await polar.customerSessions.create({
      externalCustomerId: 'usr_1337',
      returnUrl: 'https://example.com',
    })
    expect(session.token).toMatch(/^polar_mst_[A-Za-z0-9]{43}$/)
    expect(session.expiresAt).toBeInstanceOf(Date)
    expect(session.createdAt).toBeInstanceOf(Date)
    expect(session.expiresAt.getTime() - session.createdAt.getTime()).toBe(3_600_000)
    expect(session.modifiedAt).toBeNull()
    expect(session.returnUrl).toBe('https://example.com/')
    expect(session.customerId).toBe(jane.id)
    expect(session.customer.email).toBe('jane@example.com')
    expect(session.customer.externalId).toBe('usr_1337')
    expect(session.customer.avatarUrl).toEqual(expect.any(String))
    expect(session.customerPortalUrl).toContain(`customer_session_token=${session.token}`)
    expect(fake.stats.sessionsCreated).toBe(1)
  })

  it('creates a session by customer id, and for a team member', async () => {
    const byId = await polar.customerSessions.create({ customerId: jane.id })
    expect(byId.customer.id).toBe(jane.id)
    expect(byId.returnUrl).toBeNull()
    const member = await polar.customerSessions.create({ externalCustomerId: 'team_1', externalMemberId: 'alice' })
    expect(member.customer.type).toBe('team')
    expect(member.customerId).toBe(team.id)
  })

  it('raises its typed HTTPValidationError for an unknown customer (not a parse failure)', async () => {
    const error = await rejection(polar.customerSessions.create({ externalCustomerId: 'nobody' }))
    expect(error).toBeInstanceOf(HTTPValidationError)
    expect(error).not.toBeInstanceOf(ResponseValidationError)
    expect(error).not.toBeInstanceOf(SDKValidationError)
    const e = error as HTTPValidationError
    expect(e.statusCode).toBe(422)
    expect(e.detail).toEqual([
      { type: 'value_error', loc: ['body', 'external_customer_id'], msg: 'Customer does not exist.', input: 'nobody' },
    ])
  })

  it('raises HTTPValidationError for schema errors and member errors too', async () => {
    const schema = await rejection(polar.customerSessions.create({ customerId: 'not-a-uuid' }))
    expect(schema).toBeInstanceOf(HTTPValidationError)
    expect((schema as HTTPValidationError).detail?.[0]?.type).toBe('uuid_parsing')
    const teamWithoutMember = await rejection(polar.customerSessions.create({ customerId: team.id }))
    expect(teamWithoutMember).toBeInstanceOf(HTTPValidationError)
    expect((teamWithoutMember as HTTPValidationError).detail?.[0]?.msg).toBe(
      'member_id is required for team customers.',
    )
  })

  it('raises a PolarError with status 401/403 for token problems', async () => {
    const wrong = new Polar({ accessToken: 'polar_oat_wrong', serverURL: fake.url })
    const unauthorized = await rejection(wrong.customerSessions.create({ externalCustomerId: 'usr_1337' }))
    expect(unauthorized).toBeInstanceOf(PolarError)
    expect((unauthorized as PolarError).statusCode).toBe(401)
    expect((unauthorized as PolarError).body).toContain('invalid_token')
    const limited = new Polar({ accessToken: fake.addAccessToken({ scopes: [] }), serverURL: fake.url })
    const forbidden = await rejection(limited.customerSessions.create({ externalCustomerId: 'usr_1337' }))
    expect((forbidden as PolarError).statusCode).toBe(403)
  })

  it('reads customers: getExternal parses, ResourceNotFound when absent', async () => {
    const customer = await polar.customers.getExternal({ externalId: 'usr_1337' })
    expect(customer.id).toBe(jane.id)
    expect(customer.type).toBe('individual')
    const teamCustomer = await polar.customers.get({ id: team.id })
    expect(teamCustomer.type).toBe('team')
    const missing = await rejection(polar.customers.getExternal({ externalId: 'nobody' }))
    expect(missing).toBeInstanceOf(ResourceNotFound)
    expect((missing as ResourceNotFound).detail).toBe('Not found')
  })

  it('creates customers and parses them', async () => {
    const created = await polar.customers.create({ email: 'sdk@acme.dev', externalId: 'sdk_1', name: 'SDK' })
    expect(created.externalId).toBe('sdk_1')
    expect(fake.stats.customersCreated).toBe(1)
    const duplicate = await rejection(polar.customers.create({ email: 'sdk2@acme.dev', externalId: 'sdk_1' }))
    expect(duplicate).toBeInstanceOf(HTTPValidationError)
  })

  it('uses the session token on the customer portal API', async () => {
    const session = await polar.customerSessions.create({ externalCustomerId: 'usr_1337' })
    const me = await polar.customerPortal.customers.get({ memberSession: session.token })
    expect(me.id).toBe(jane.id)
    expect(me.email).toBe('jane@example.com')
    const introspected = await polar.customerPortal.customerSession.introspect({ memberSession: session.token })
    expect(introspected.expiresAt.getTime()).toBe(session.expiresAt.getTime())
    const user = await polar.customerPortal.customerSession.getAuthenticatedUser({ memberSession: session.token })
    expect(user.customerId).toBe(jane.id)
    fake.deleteCustomer({ id: jane.id })
    const dead = await rejection(polar.customerPortal.customers.get({ memberSession: session.token }))
    expect((dead as PolarError).statusCode).toBe(401)
    fake.addCustomer({ externalId: 'usr_1337', email: 'jane@example.com', name: 'Jane' })
  })

  it('the missing-fields fault is a real contract break: the SDK rejects the body', async () => {
    fake.fail({ kind: 'missing-fields' })
    const error = await rejection(polar.customerSessions.create({ externalCustomerId: 'usr_1337' }))
    expect(error).toBeInstanceOf(ResponseValidationError)
  })

  it('the SDK retries 5xx faults with its backoff and gets through', async () => {
    const retrying = new Polar({
      accessToken: fake.accessToken,
      serverURL: fake.url,
      retryConfig: {
        strategy: 'backoff',
        backoff: { initialInterval: 10, maxInterval: 20, exponent: 1.1, maxElapsedTime: 5_000 },
        retryConnectionErrors: true,
      },
    })
    fake.stats.reset()
    fake.fail({ kind: 'status', status: 503 }, { times: 2 })
    const session = await retrying.customerSessions.create({ externalCustomerId: 'usr_1337' })
    expect(session.token).toMatch(/^polar_mst_/)
    expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(3)
    expect(fake.stats.sessionsCreated).toBe(1)
  })
})
