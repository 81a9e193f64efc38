import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PolarSessionError } from '../errors.js'
import { createPolarClient } from './index.js'
import {
  ACCESS_TOKEN,
  CUSTOMER_UUID,
  customerJson,
  EMAIL,
  empty,
  EXTERNAL_ID,
  json,
  MEMBER_UUID,
  ORG_UUID,
  PORTAL_URL,
  rejection,
  SESSION_TOKEN,
  sessionJson,
  startServer,
  testOptions,
  type ScriptedServer,
} from '../test-support/polar-test-server.js'

let server: ScriptedServer

beforeEach(async () => {
  server = await startServer()
})
afterEach(async () => {
  await server.close()
})

describe('createCustomerSession: success', () => {
  it('POSTs snake_case JSON with the right headers and returns a camelCased session', async () => {
    server.enqueue(json(201, sessionJson()))
    const client = createPolarClient(testOptions(server))
    const before = Date.now()
    const session = await client.createCustomerSession({ externalCustomerId: EXTERNAL_ID })
    const after = Date.now()

    expect(server.requests).toHaveLength(1)
    const request = server.requests[0]!
    expect(request.method).toBe('POST')
    expect(request.url).toBe('/v1/customer-sessions/')
    expect(request.headers['authorization']).toBe(`Bearer ${ACCESS_TOKEN}`)
    expect(request.headers['content-type']).toBe('application/json')
    expect(request.headers['accept']).toBe('application/json')
    expect(request.headers['user-agent']).toBe('@polar-session/core/0.1.0 node/20.20.2')
    expect(JSON.parse(request.body)).toEqual({ external_customer_id: EXTERNAL_ID })

    expect(session).toEqual({
      id: '0d6c1f0e-8a63-4d55-9a0b-2b4f7c1e9a11',
      token: SESSION_TOKEN,
      createdAt: new Date('2026-08-22T10:00:00.123Z'),
      modifiedAt: null,
      expiresAt: new Date('2026-08-22T11:00:00.123Z'),
      returnUrl: 'https://example.com/account',
      customerPortalUrl: PORTAL_URL,
      customerId: CUSTOMER_UUID,
      customer: {
        id: CUSTOMER_UUID,
        type: 'individual',
        email: EMAIL,
        emailVerified: true,
        name: 'Jane Doe',
        externalId: EXTERNAL_ID,
        organizationId: ORG_UUID,
        metadata: { plan: 'pro', seats: 3, beta: true },
        createdAt: new Date('2026-01-05T09:30:00.000Z'),
      },
      sentAt: expect.any(Number),
    })
    expect(session.createdAt).toBeInstanceOf(Date)
    expect(session.expiresAt.getTime() - session.createdAt.getTime()).toBe(3_600_000)
    expect(session.sentAt).toBeGreaterThanOrEqual(before)
    expect(session.sentAt).toBeLessThanOrEqual(after)
  })

  it('sends customer_id, member_id and return_url only when given', async () => {
    server.enqueue(json(201, sessionJson()), json(201, sessionJson()), json(201, sessionJson()))
    const client = createPolarClient(testOptions(server))
    await client.createCustomerSession({
      customerId: CUSTOMER_UUID,
      memberId: MEMBER_UUID,
      returnUrl: 'https://app.example.com/a',
    })
    await client.createCustomerSession({ externalCustomerId: EXTERNAL_ID, externalMemberId: 'mem_1', returnUrl: null })
    await client.createCustomerSession({
      customerId: CUSTOMER_UUID,
      externalCustomerId: undefined,
      memberId: undefined,
    })
    expect(server.requests.map((r) => JSON.parse(r.body))).toEqual([
      { customer_id: CUSTOMER_UUID, member_id: MEMBER_UUID, return_url: 'https://app.example.com/a' },
      { external_customer_id: EXTERNAL_ID, external_member_id: 'mem_1' },
      { customer_id: CUSTOMER_UUID },
    ])
  })

  it('accepts member session tokens (polar_mst_) and team customers without email or external_id', async () => {
    const team = customerJson({ type: 'team', email: null })
    delete team['external_id']
    server.enqueue(
      json(201, sessionJson({ token: 'polar_mst_abcDEF123', customer: team, modified_at: '2026-08-22T10:00:01Z' })),
    )
    const client = createPolarClient(testOptions(server))
    const session = await client.createCustomerSession({ customerId: CUSTOMER_UUID, memberId: MEMBER_UUID })
    expect(session.token).toBe('polar_mst_abcDEF123')
    expect(session.modifiedAt).toEqual(new Date('2026-08-22T10:00:01Z'))
    expect(session.customer.type).toBe('team')
    expect(session.customer.email).toBeNull()
    expect(session.customer.externalId).toBeNull()
  })

  it('ignores unknown fields', async () => {
    server.enqueue(json(201, { ...sessionJson({ customer: customerJson({ brand_new: { x: 1 } }) }), also_new: [1, 2] }))
    const client = createPolarClient(testOptions(server))
    const session = await client.createCustomerSession({ externalCustomerId: EXTERNAL_ID })
    expect(session).not.toHaveProperty('also_new')
    expect(session.customer).not.toHaveProperty('brand_new')
  })

  it('joins the base URL with or without a trailing slash, keeping a path prefix', async () => {
    server.enqueue(json(201, sessionJson()), json(201, sessionJson()))
    await createPolarClient(testOptions(server, { baseUrl: `${server.url}/` })).createCustomerSession({
      customerId: CUSTOMER_UUID,
    })
    await createPolarClient(testOptions(server, { baseUrl: `${server.url}/proxy/polar//` })).createCustomerSession({
      customerId: CUSTOMER_UUID,
    })
    expect(server.requests.map((r) => r.url)).toEqual(['/v1/customer-sessions/', '/proxy/polar/v1/customer-sessions/'])
  })

  it('rejects identities that are not exactly one customer id and at most one member id, without a request', async () => {
    const client = createPolarClient(testOptions(server))
    const neither = await rejection(client.createCustomerSession({}))
    const both = await rejection(
      client.createCustomerSession({ customerId: CUSTOMER_UUID, externalCustomerId: EXTERNAL_ID }),
    )
    const members = await rejection(
      client.createCustomerSession({ externalCustomerId: EXTERNAL_ID, memberId: MEMBER_UUID, externalMemberId: 'm' }),
    )
    for (const error of [neither, both, members]) {
      expect(error).toBeInstanceOf(PolarSessionError)
      expect(error).toMatchObject({ code: 'invalid_identity', status: 400 })
      expect((error as Error).message).not.toContain(EXTERNAL_ID)
    }
    expect(server.requests).toHaveLength(0)
  })
})

describe('createCustomer', () => {
  it('POSTs /v1/customers/ and parses the customer strictly', async () => {
    server.enqueue(json(201, customerJson({ name: null })))
    const client = createPolarClient(testOptions(server))
    const customer = await client.createCustomer({ externalId: EXTERNAL_ID, email: EMAIL, name: null })
    expect(server.requests[0]?.url).toBe('/v1/customers/')
    expect(server.requests[0]?.headers['authorization']).toBe(`Bearer ${ACCESS_TOKEN}`)
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ external_id: EXTERNAL_ID, email: EMAIL, name: null })
    expect(customer).toMatchObject({ id: CUSTOMER_UUID, email: EMAIL, externalId: EXTERNAL_ID, name: null })
  })

  it('omits name when not given', async () => {
    server.enqueue(json(201, customerJson()))
    await createPolarClient(testOptions(server)).createCustomer({ externalId: EXTERNAL_ID, email: EMAIL })
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ external_id: EXTERNAL_ID, email: EMAIL })
  })

  it('maps an existing external id (422) to polar_rejected naming the field, with the loc in the cause', async () => {
    server.enqueue(
      json(422, {
        error: 'PolarRequestValidationError',
        detail: [
          {
            type: 'value_error',
            loc: ['body', 'external_id'],
            msg: 'A customer with this external ID already exists.',
            input: EXTERNAL_ID,
          },
        ],
      }),
    )
    const error = await rejection(
      createPolarClient(testOptions(server)).createCustomer({ externalId: EXTERNAL_ID, email: EMAIL }),
    )
    expect(error).toMatchObject({ code: 'polar_rejected', status: 500 })
    expect((error as Error).message).toContain('body.external_id (value_error)')
    expect((error as Error).message).not.toContain(EXTERNAL_ID)
    expect((error as Error).cause).toEqual({
      status: 422,
      error: 'PolarRequestValidationError',
      issues: [{ loc: ['body', 'external_id'], type: 'value_error' }],
    })
  })

  it('names the customers:write scope on 403', async () => {
    server.enqueue(
      json(403, {
        error: 'insufficient_scope',
        error_description: 'The request requires higher privileges than provided by the access token.',
      }),
    )
    const error = await rejection(
      createPolarClient(testOptions(server)).createCustomer({ externalId: EXTERNAL_ID, email: EMAIL }),
    )
    expect(error).toMatchObject({ code: 'polar_forbidden', status: 500 })
    expect((error as Error).message).toContain('customers:write')
  })

  it('fails with polar_unavailable 502 on a malformed customer, naming the field', async () => {
    server.enqueue(json(201, customerJson({ email_verified: 'yes' })), empty(201))
    const client = createPolarClient(testOptions(server))
    const malformed = await rejection(client.createCustomer({ externalId: EXTERNAL_ID, email: EMAIL }))
    expect(malformed).toMatchObject({ code: 'polar_unavailable', status: 502 })
    expect((malformed as Error).message).toContain('`email_verified` is not a boolean')
    const notJson = await rejection(client.createCustomer({ externalId: EXTERNAL_ID, email: EMAIL }))
    expect(notJson).toMatchObject({ code: 'polar_unavailable', status: 502 })
    expect((notJson as Error).message).toContain('not JSON')
    expect(server.requests).toHaveLength(2)
  })
})
