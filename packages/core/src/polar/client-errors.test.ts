import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { PolarSessionError } from '../errors.js'
import { createPolarClient, type CreateSessionInput, type PolarClientOptions } from './index.js'
import {
  CUSTOMER_UUID,
  empty,
  errorText,
  EXTERNAL_ID,
  json,
  MEMBER_UUID,
  rejection,
  SECRETS,
  startServer,
  testOptions,
  type Responder,
  type ScriptedServer,
} from '../test-support/polar-test-server.js'

const INVALID_TOKEN = {
  error: 'invalid_token',
  error_description: 'The access token provided is expired, revoked, malformed, or invalid for other reasons.',
}

function polarValidation(loc: string[], msg: string, input: unknown) {
  return { error: 'PolarRequestValidationError', detail: [{ type: 'value_error', loc, msg, input }] }
}

let server: ScriptedServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server.close()
})
beforeEach(() => {
  server.requests.length = 0
})

async function fail(
  responder: Responder,
  input: CreateSessionInput = { externalCustomerId: EXTERNAL_ID },
  overrides: Omit<Partial<PolarClientOptions>, 'logger'> = {},
): Promise<{ error: PolarSessionError; text: string }> {
  server.enqueue(responder)
  const options = testOptions(server, overrides)
  const error = await rejection(createPolarClient(options).createCustomerSession(input))
  expect(error).toBeInstanceOf(PolarSessionError)
  // Not retried: one request, no wait.
  expect(server.requests).toHaveLength(1)
  expect(options.sleeps).toEqual([])
  const text = errorText(error) + JSON.stringify(options.logger.records)
  for (const secret of SECRETS) expect(text).not.toContain(secret)
  return { error: error as PolarSessionError, text }
}

describe('422 from Polar', () => {
  it('unknown external customer → customer_not_found 404, mentions createCustomer', async () => {
    const { error } = await fail(
      json(422, polarValidation(['body', 'external_customer_id'], 'Customer does not exist.', EXTERNAL_ID)),
    )
    expect(error).toMatchObject({ code: 'customer_not_found', status: 404, expose: true })
    expect(error.message).toContain('no customer with this external id in the organization of the access token')
    expect(error.message).toContain('createCustomer')
    expect(error.cause).toEqual({
      status: 422,
      error: 'PolarRequestValidationError',
      issues: [{ loc: ['body', 'external_customer_id'], type: 'value_error' }],
    })
  })

  it('unknown customer id → customer_not_found 404 without echoing the id', async () => {
    const { error, text } = await fail(
      json(422, polarValidation(['body', 'customer_id'], 'Customer does not exist.', CUSTOMER_UUID)),
      { customerId: CUSTOMER_UUID },
    )
    expect(error).toMatchObject({ code: 'customer_not_found', status: 404 })
    expect(error.message).toContain('customer id')
    expect(text).not.toContain(CUSTOMER_UUID)
  })

  it.each([
    [['body', 'member_id'], { memberId: MEMBER_UUID }],
    [['body', 'external_member_id'], { externalMemberId: 'mem_secret_9' }],
  ])('unknown member at %j → member_not_found 404', async (loc, member) => {
    const { error, text } = await fail(
      json(422, polarValidation(loc, 'Member does not exist for this customer.', Object.values(member)[0])),
      { externalCustomerId: EXTERNAL_ID, ...member },
    )
    expect(error).toMatchObject({ code: 'member_not_found', status: 404 })
    expect(text).not.toContain(String(Object.values(member)[0]))
  })

  it('team customer without member → member_required 400 telling to pass memberId or externalMemberId', async () => {
    const { error } = await fail(
      json(422, polarValidation(['body', 'member_id'], 'member_id is required for team customers.', null)),
    )
    expect(error).toMatchObject({ code: 'member_required', status: 400, expose: true })
    expect(error.message).toContain('memberId or externalMemberId')
  })

  it('schema failure (RequestValidationError) → polar_rejected 500 naming loc and type, not input', async () => {
    const { error, text } = await fail(
      json(422, {
        error: 'RequestValidationError',
        detail: [
          {
            type: 'uuid_version',
            loc: ['body', 'CustomerSessionCustomerIDCreate', 'customer_id'],
            msg: 'UUID version 4 expected, got not-a-uuid-secret',
            input: 'not-a-uuid-secret',
          },
          {
            type: 'missing',
            loc: ['body', 'CustomerSessionCustomerExternalIDCreate', 'external_customer_id'],
            msg: 'Field required',
            input: { customer_id: 'not-a-uuid-secret' },
          },
        ],
      }),
      { customerId: 'not-a-uuid-secret' },
    )
    expect(error).toMatchObject({ code: 'polar_rejected', status: 500, expose: false })
    expect(error.message).toContain('422 RequestValidationError')
    expect(error.message).toContain('body.CustomerSessionCustomerIDCreate.customer_id (uuid_version)')
    expect(error.message).toContain('body.CustomerSessionCustomerExternalIDCreate.external_customer_id (missing)')
    expect(text).not.toContain('not-a-uuid-secret')
  })

  it('a 422 whose body is not JSON → polar_rejected', async () => {
    const { error } = await fail(empty(422))
    expect(error).toMatchObject({ code: 'polar_rejected', status: 500 })
  })
})

describe('other statuses', () => {
  it('409 → ambiguous_customer 409', async () => {
    const { error } = await fail(
      json(409, { error: 'AmbiguousExternalCustomerID', detail: `Several customers have external id ${EXTERNAL_ID}` }),
    )
    expect(error).toMatchObject({ code: 'ambiguous_customer', status: 409, expose: true })
    expect(error.message).toContain('several organizations')
  })

  it.each([
    ['production', 'https://api.polar.sh', "set server: 'sandbox'"],
    ['sandbox', 'https://sandbox-api.polar.sh', "set server: 'production'"],
  ] as const)('401 invalid_token in %s names the environment and the fix', async (environment, origin, fix) => {
    const { error } = await fail(
      json(401, INVALID_TOKEN, { 'www-authenticate': 'Bearer realm="polar", error="invalid_token"' }),
      undefined,
      // The real origin is in the message; the request still goes to the local server.
      {
        environment,
        fetch: (_url, init) => globalThis.fetch(`${server.url}/v1/customer-sessions/`, init),
        baseUrl: origin,
      },
    )
    expect(error).toMatchObject({ code: 'polar_unauthorized', status: 500, expose: false })
    expect(error.message).toContain('invalid, expired, revoked, or from the other environment')
    expect(error.message).toContain(`${environment} (${origin})`)
    expect(error.message).toContain(fix)
    expect(error.headers).not.toHaveProperty('WWW-Authenticate')
  })

  it('401 in a custom environment names the base URL origin (not its path)', async () => {
    const { error } = await fail(json(401, INVALID_TOKEN), undefined, { baseUrl: `${server.url}/some/proxy/path` })
    expect(error.code).toBe('polar_unauthorized')
    expect(error.message).toContain(`the custom base URL ${server.url}`)
    expect(error.message).not.toContain('/some/proxy/path')
    expect(error.message).toContain('sandbox-api.polar.sh')
  })

  it('401 Unauthorized (no token or a session token) says the token kind is wrong', async () => {
    const { error } = await fail(json(401, { error: 'Unauthorized', detail: 'Unauthorized' }))
    expect(error).toMatchObject({ code: 'polar_unauthorized', status: 500 })
    expect(error.message).toContain('customer session token is not')
  })

  it('403 → polar_forbidden 500 naming customer_sessions:write', async () => {
    const { error } = await fail(
      json(403, {
        error: 'insufficient_scope',
        error_description: 'The request requires higher privileges than provided by the access token.',
      }),
    )
    expect(error).toMatchObject({ code: 'polar_forbidden', status: 500 })
    expect(error.message).toContain('customer_sessions:write')
  })

  it.each([400, 404, 405, 413])('%i → polar_rejected, never retried', async (status) => {
    const { error } = await fail(json(status, { error: 'Whatever', detail: 'x' }))
    expect(error).toMatchObject({ code: 'polar_rejected', status: 500 })
    expect(error.message).toContain(`${status} Whatever`)
  })

  it.each([301, 307])('%i redirect → polar_unavailable 502, not followed', async (status) => {
    const { error } = await fail(empty(status, { location: 'https://elsewhere.example/v1/customer-sessions/' }))
    expect(error).toMatchObject({ code: 'polar_unavailable', status: 502 })
    expect(error.message).toContain('Redirects are not followed')
  })

  it.each([200, 204].map((s) => [s]))('%i is read as success and parsed strictly', async (status) => {
    const { error } = await fail(empty(status))
    expect(error).toMatchObject({ code: 'polar_unavailable', status: 502 })
    expect(error.message).toContain('not JSON')
  })

  it.each([501, 505, 599])('%i → polar_unavailable 502, not retried', async (status) => {
    const { error } = await fail(empty(status))
    expect(error).toMatchObject({ code: 'polar_unavailable', status: 502 })
    expect(error.message).toContain(`unexpected HTTP ${status}`)
  })
})
