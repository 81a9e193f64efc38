import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakePolar } from './server.js'
import type { FakeCustomer, FakePolar } from './types.js'
import { TIMESTAMP, UUID4, call, createSession, micros, rawRequest } from './test-support/http.js'

type Json = Record<string, any>

const SESSION_KEYS = [
  'created_at',
  'modified_at',
  'id',
  'token',
  'expires_at',
  'return_url',
  'customer_portal_url',
  'customer_id',
  'customer',
]
const CUSTOMER_KEYS = [
  'id',
  'created_at',
  'modified_at',
  'metadata',
  'external_id',
  'email',
  'email_verified',
  'type',
  'name',
  'billing_name',
  'billing_address',
  'tax_id',
  'locale',
  'organization_id',
  'default_payment_method_id',
  'deleted_at',
  'first_user_event_at',
  'avatar_url',
]

let fake: FakePolar
let jane: FakeCustomer
let team: FakeCustomer

beforeAll(async () => {
  fake = await startFakePolar({
    organizationSlug: 'acme',
    seed: [
      { externalId: 'usr_1337', email: 'jane+billing@example.com', name: 'Jane Doe' },
      {
        externalId: 'team_1',
        email: 'team@example.com',
        name: 'Team',
        type: 'team',
        members: [
          { externalId: 'alice', email: 'alice@example.com', name: 'Alice' },
          { externalId: 'bob', email: 'bob@example.com', name: 'Bob' },
        ],
      },
    ],
  })
  jane = fake.customers().find((c) => c.externalId === 'usr_1337') as FakeCustomer
  team = fake.customers().find((c) => c.externalId === 'team_1') as FakeCustomer
})
afterAll(() => fake.close())

describe('POST /v1/customer-sessions/ → 201', () => {
  it('answers all nine fields, in order, with the right types', async () => {
    const r = await createSession(fake, { external_customer_id: 'usr_1337', return_url: 'https://example.com/account' })
    expect(r.status).toBe(201)
    expect(r.headers.get('content-type')).toBe('application/json')
    const s = r.json as Json
    expect(Object.keys(s)).toEqual(SESSION_KEYS)
    expect(s.modified_at).toBeNull()
    expect(s.id).toMatch(UUID4)
    expect(s.created_at).toMatch(TIMESTAMP)
    expect(s.expires_at).toMatch(TIMESTAMP)
    expect(micros(s.expires_at) - micros(s.created_at)).toBe(3_600_000_000)
    expect(s.return_url).toBe('https://example.com/account')
    expect(s.customer_id).toBe(jane.id)
    expect(s.customer_portal_url).toBe(
      `${fake.url}/acme/portal?customer_session_token=${s.token}&email=jane%2Bbilling%40example.com`,
    )
  })

  it('embeds the full customer, avatar_url a string and type present', async () => {
    const r = await createSession(fake, { customer_id: jane.id })
    const c = (r.json as Json).customer
    expect(Object.keys(c)).toEqual(CUSTOMER_KEYS)
    expect(c).toMatchObject({
      id: jane.id,
      modified_at: null,
      metadata: {},
      external_id: 'usr_1337',
      email: 'jane+billing@example.com',
      email_verified: false,
      type: 'individual',
      name: 'Jane Doe',
      organization_id: fake.organizationId,
      deleted_at: null,
    })
    expect(typeof c.avatar_url).toBe('string')
    expect(c.created_at).toMatch(TIMESTAMP)
  })

  it('accepts the customer id in any form uuid parsing accepts and reports it canonically', async () => {
    for (const form of [jane.id.toUpperCase(), jane.id.replace(/-/g, ''), `{${jane.id}}`, `urn:uuid:${jane.id}`]) {
      const r = await createSession(fake, { customer_id: form })
      expect(r.status, form).toBe(201)
      expect((r.json as Json).customer_id).toBe(jane.id)
    }
  })

  it('lets the external id win when both ids are sent, and accepts the legacy alias', async () => {
    const both = await createSession(fake, { customer_id: team.id, external_customer_id: 'usr_1337' })
    expect(both.status).toBe(201)
    expect((both.json as Json).customer_id).toBe(jane.id)
    const legacy = await createSession(fake, { customer_external_id: 'usr_1337' })
    expect(legacy.status).toBe(201)
    expect((legacy.json as Json).customer_id).toBe(jane.id)
  })

  it('ignores unknown fields', async () => {
    const r = await createSession(fake, { external_customer_id: 'usr_1337', colour: 'blue', nested: { a: [1] } })
    expect(r.status).toBe(201)
  })

  it('normalises return_url as Polar does (WHATWG href)', async () => {
    const cases: Array<[unknown, string | null]> = [
      ['https://example.com', 'https://example.com/'],
      ['HTTPS://Example.COM:443/a/../b?x=1#top', 'https://example.com/b?x=1#top'],
      ['http://example.com:8080', 'http://example.com:8080/'],
      ['https://exämple.com/ä', 'https://xn--exmple-cua.com/%C3%A4'],
      [null, null],
    ]
    for (const [input, expected] of cases) {
      const r = await createSession(fake, { external_customer_id: 'usr_1337', return_url: input })
      expect(r.status, String(input)).toBe(201)
      expect((r.json as Json).return_url).toBe(expected)
    }
    const absent = await createSession(fake, { external_customer_id: 'usr_1337' })
    expect((absent.json as Json).return_url).toBeNull()
  })
})

describe('POST /v1/customer-sessions/ → 422 RequestValidationError', () => {
  it('lists both variants missing when no customer id is sent (byte-exact)', async () => {
    const r = await createSession(fake, { return_url: 'https://example.com' })
    expect(r.status).toBe(422)
    expect(r.text).toBe(
      '{"error":"RequestValidationError","detail":[' +
        '{"type":"missing","loc":["body","CustomerSessionCustomerIDCreate","customer_id"],"msg":"Field required","input":{"return_url":"https://example.com"}},' +
        '{"type":"missing","loc":["body","CustomerSessionCustomerExternalIDCreate","external_customer_id"],"msg":"Field required","input":{"return_url":"https://example.com"}}]}',
    )
  })

  it('reports a malformed customer id as uuid_parsing, with the uuid crate 1.23 wording (pydantic-core 2.46)', async () => {
    const cases: Array<[string, string]> = [
      ['abc', 'invalid length: expected length 32 for simple format, found 3'],
      ['not-a-uuid', 'invalid character: found `n` at 1'],
      ['{0d6c1f0e-8a63-4d55-9a0b-2b4f7c1e9a1é}', 'invalid character: found `é` at 37'],
      ['0d6c1f0e-8a63-4d55-9a0b', 'invalid group count: expected 5, found 4'],
      ['0d6c1f0e8-a63-4d55-9a0b-2b4f7c1e9a11', 'invalid group length in group 0: expected 8, found 9'],
    ]
    for (const [input, error] of cases) {
      const r = await createSession(fake, { customer_id: input })
      const detail = (r.json as Json).detail
      expect(r.status).toBe(422)
      expect(detail[0]).toEqual({
        type: 'uuid_parsing',
        loc: ['body', 'CustomerSessionCustomerIDCreate', 'customer_id'],
        msg: `Input should be a valid UUID, ${error}`,
        input,
        ctx: { error },
      })
      expect(detail[1].loc).toEqual(['body', 'CustomerSessionCustomerExternalIDCreate', 'external_customer_id'])
    }
  })

  it('requires a version 4 uuid (uuid_version) and a string (uuid_type)', async () => {
    const v1 = 'c232ab00-9414-11ec-b3c8-9f6bdeced846'
    const r = await createSession(fake, { customer_id: v1 })
    expect((r.json as Json).detail[0]).toEqual({
      type: 'uuid_version',
      loc: ['body', 'CustomerSessionCustomerIDCreate', 'customer_id'],
      msg: 'UUID version 4 expected',
      input: v1,
      ctx: { expected_version: 4 },
    })
    const n = await createSession(fake, { customer_id: 42 })
    expect((n.json as Json).detail[0]).toMatchObject({
      type: 'uuid_type',
      msg: 'UUID input should be a string, bytes or UUID object',
      input: 42,
    })
    const s = await createSession(fake, { external_customer_id: 42 })
    expect((s.json as Json).detail[1]).toEqual({
      type: 'string_type',
      loc: ['body', 'CustomerSessionCustomerExternalIDCreate', 'external_customer_id'],
      msg: 'Input should be a valid string',
      input: 42,
    })
  })

  it('validates return_url: http/https only, 1..2083 characters, parseable', async () => {
    const cases: Array<[unknown, string, string]> = [
      ['ftp://example.com/', 'url_scheme', "URL scheme should be 'http' or 'https'"],
      ['javascript:alert(1)', 'url_scheme', "URL scheme should be 'http' or 'https'"],
      ['not a url', 'url_parsing', 'Input should be a valid URL, relative URL without a base'],
      ['/relative/path', 'url_parsing', 'Input should be a valid URL, relative URL without a base'],
      ['', 'url_parsing', 'Input should be a valid URL, input is empty'],
      ['http://', 'url_parsing', 'Input should be a valid URL, empty host'],
      ['https://example.com:99999/', 'url_parsing', 'Input should be a valid URL, invalid port number'],
      [`https://example.com/${'a'.repeat(2064)}`, 'url_too_long', 'URL should have at most 2083 characters'],
      // 2083 characters, but more bytes: pydantic-core counts bytes.
      [`https://example.com/${'é'.repeat(2063)}`, 'url_too_long', 'URL should have at most 2083 characters'],
      ['https://exa mple.com/', 'url_parsing', 'Input should be a valid URL, invalid international domain name'],
      ['https://exa<mple.com/', 'url_parsing', 'Input should be a valid URL, invalid international domain name'],
      [7, 'url_type', 'URL input should be a string or URL'],
    ]
    for (const [input, type, msg] of cases) {
      const r = await createSession(fake, { external_customer_id: 'usr_1337', return_url: input })
      expect(r.status, String(input)).toBe(422)
      const detail = (r.json as Json).detail as Json[]
      // Both variants share return_url, so both report it.
      expect(detail.map((d) => d.loc)).toEqual([
        ['body', 'CustomerSessionCustomerIDCreate', 'return_url'],
        ['body', 'CustomerSessionCustomerIDCreate', 'customer_id'],
        ['body', 'CustomerSessionCustomerExternalIDCreate', 'return_url'],
      ])
      expect(detail[0]).toMatchObject({ type, msg, input })
    }
    const exact = await createSession(fake, {
      external_customer_id: 'usr_1337',
      return_url: `https://example.com/${'a'.repeat(2063)}`,
    })
    expect(exact.status).toBe(201)
  })

  it('answers json_invalid with Python positions and messages', async () => {
    const cases: Array<[string, number, string]> = [
      ['{"external_customer_id": "usr_1337",}', 36, 'Expecting property name enclosed in double quotes'],
      ['{"external_customer_id" "usr_1337"}', 24, "Expecting ':' delimiter"],
      ['{"a": 1 "b": 2}', 8, "Expecting ',' delimiter"],
      ['{"a": }', 6, 'Expecting value'],
      ['{"a": "x"} trailing', 11, 'Extra data'],
      ['{"a": "unterminated', 6, 'Unterminated string starting at'],
      ['{"a": "bad \\q escape"}', 11, 'Invalid \\escape'],
      ['{"é": "😀", "b": }', 16, 'Expecting value'],
      ['[1, 2,]', 6, 'Expecting value'],
      ['   ', 3, 'Expecting value'],
    ]
    for (const [body, pos, error] of cases) {
      const r = await createSession(fake, body)
      expect(r.status, body).toBe(422)
      expect(r.text, body).toBe(
        `{"error":"RequestValidationError","detail":[{"type":"json_invalid","loc":["body",${pos}],"msg":"JSON decode error","input":{},"ctx":{"error":${JSON.stringify(error)}}}]}`,
      )
    }
  })

  it('treats an empty or null body as a missing body', async () => {
    for (const body of ['', 'null']) {
      const r = await call(fake, 'POST', '/v1/customer-sessions/', {
        body,
        headers: { 'content-type': 'application/json' },
      })
      expect(r.status).toBe(422)
      expect(r.text).toBe(
        '{"error":"RequestValidationError","detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]}',
      )
    }
  })

  it('does not parse a body sent with a non-JSON content type, nor a non-object body', async () => {
    const text = await call(fake, 'POST', '/v1/customer-sessions/', {
      body: '{"external_customer_id":"usr_1337"}',
      headers: { 'content-type': 'text/plain' },
    })
    expect(text.status).toBe(422)
    expect((text.json as Json).detail).toEqual([
      {
        type: 'model_attributes_type',
        loc: ['body', 'CustomerSessionCustomerIDCreate'],
        msg: 'Input should be a valid dictionary or object to extract fields from',
        input: '{"external_customer_id":"usr_1337"}',
      },
      {
        type: 'model_attributes_type',
        loc: ['body', 'CustomerSessionCustomerExternalIDCreate'],
        msg: 'Input should be a valid dictionary or object to extract fields from',
        input: '{"external_customer_id":"usr_1337"}',
      },
    ])
    const array = await createSession(fake, ['usr_1337'])
    expect((array.json as Json).detail[0]).toMatchObject({ type: 'model_attributes_type', input: ['usr_1337'] })
    const vendorJson = await call(fake, 'POST', '/v1/customer-sessions/', {
      body: '{"external_customer_id":"usr_1337"}',
      headers: { 'content-type': 'application/vnd.api+json; charset=utf-8' },
    })
    expect(vendorJson.status).toBe(201)
  })

  it('does not parse a body sent without Content-Type (FastAPI 0.136 is strict): 422, no session', async () => {
    const body = '{"external_customer_id":"usr_1337"}'
    const r = await rawRequest(fake, {
      method: 'POST',
      path: '/v1/customer-sessions/',
      headers: { authorization: `Bearer ${fake.accessToken}` },
      body,
    })
    expect(r.status).toBe(422)
    const detail = (JSON.parse(r.body) as Json).detail
    expect(detail.map((d: Json) => [d.type, d.loc, d.input])).toEqual([
      ['model_attributes_type', ['body', 'CustomerSessionCustomerIDCreate'], body],
      ['model_attributes_type', ['body', 'CustomerSessionCustomerExternalIDCreate'], body],
    ])
    const customer = await rawRequest(fake, {
      method: 'POST',
      path: '/v1/customers/',
      headers: { authorization: `Bearer ${fake.accessToken}` },
      body: '{"email":"new@acme.dev"}',
    })
    expect(customer.status).toBe(422)
    expect(JSON.parse(customer.body)).toEqual({
      error: 'RequestValidationError',
      detail: [
        {
          type: 'model_attributes_type',
          loc: ['body', 'individual'],
          msg: 'Input should be a valid dictionary or object to extract fields from',
          input: '{"email":"new@acme.dev"}',
        },
      ],
    })
  })

  it('a non-JSON body that is not UTF-8 cannot be put into the 422: 500 (after the auth checks)', async () => {
    const bytes = Buffer.from([0x7b, 0xff, 0x7d])
    const r = await rawRequest(fake, {
      method: 'POST',
      path: '/v1/customer-sessions/',
      headers: { authorization: `Bearer ${fake.accessToken}` },
      body: bytes,
    })
    expect(r.status).toBe(500)
    expect(r.body).toBe('Internal Server Error')
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(r.headers['polar-version']).toBeUndefined()
    expect(r.headers['cache-control']).toBeUndefined()
    const anonymous = await rawRequest(fake, { method: 'POST', path: '/v1/customer-sessions/', body: bytes })
    expect(anonymous.status).toBe(401)
  })

  it('answers 400 for a body that is not UTF-8 (FastAPI cannot decode it)', async () => {
    const r = await fetch(`${fake.url}/v1/customer-sessions/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.accessToken}`, 'content-type': 'application/json' },
      body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    })
    expect(r.status).toBe(400)
    expect(await r.text()).toBe('{"detail":"There was an error parsing the body"}')
  })
})

describe('POST /v1/customer-sessions/ → 422 PolarRequestValidationError', () => {
  it('unknown customer id: loc customer_id, input the id (byte-exact)', async () => {
    const id = '3b8a7c6e-1f2d-4e5a-9b8c-7d6e5f4a3b2c'
    const r = await createSession(fake, { customer_id: id })
    expect(r.status).toBe(422)
    expect(r.text).toBe(
      `{"error":"PolarRequestValidationError","detail":[{"type":"value_error","loc":["body","customer_id"],"msg":"Customer does not exist.","input":"${id}"}]}`,
    )
  })

  it('unknown external id: loc external_customer_id (also for the legacy alias)', async () => {
    for (const field of ['external_customer_id', 'customer_external_id']) {
      const r = await createSession(fake, { [field]: 'nobody' })
      expect(r.text).toBe(
        '{"error":"PolarRequestValidationError","detail":[{"type":"value_error","loc":["body","external_customer_id"],"msg":"Customer does not exist.","input":"nobody"}]}',
      )
    }
  })

  it('team customer without a member: member_id is required (input null)', async () => {
    const r = await createSession(fake, { external_customer_id: 'team_1' })
    expect(r.status).toBe(422)
    expect(r.text).toBe(
      '{"error":"PolarRequestValidationError","detail":[{"type":"value_error","loc":["body","member_id"],"msg":"member_id is required for team customers.","input":null}]}',
    )
  })

  it("a member session's portal URL carries the member's email, not the customer's", async () => {
    const alice = team.members.find((m) => m.externalId === 'alice')
    const r = await createSession(fake, { customer_id: team.id, member_id: alice?.id })
    const url = new URL((r.json as Json).customer_portal_url as string)
    expect(url.searchParams.get('email')).toBe('alice@example.com')
    expect(url.search).toBe(`?customer_session_token=${(r.json as Json).token}&email=alice%40example.com`)
    const owner = await startFakePolar({
      seed: [{ externalId: 'solo', email: 'billing@example.com', members: [{ email: 'me@example.com' }] }],
    })
    try {
      const solo = (await createSession(owner, { external_customer_id: 'solo' })).json as Json
      expect(new URL(solo.customer_portal_url as string).searchParams.get('email')).toBe('me@example.com')
    } finally {
      await owner.close()
    }
  })

  it('team customer with a member id or external member id gets a member session', async () => {
    const alice = team.members.find((m) => m.externalId === 'alice')
    const byId = await createSession(fake, { customer_id: team.id, member_id: alice?.id })
    expect(byId.status).toBe(201)
    expect((byId.json as Json).token).toMatch(/^polar_mst_/)
    const byExternal = await createSession(fake, { external_customer_id: 'team_1', external_member_id: 'bob' })
    expect(byExternal.status).toBe(201)
    const sessions = fake.sessions()
    const bob = team.members.find((m) => m.externalId === 'bob')
    expect(sessions.find((s) => s.token === (byExternal.json as Json).token)?.memberId).toBe(bob?.id)
    expect(sessions.find((s) => s.token === (byId.json as Json).token)?.memberId).toBe(alice?.id)
  })

  it('unknown member: Member does not exist for this customer.', async () => {
    const stranger = '5f1d6c3e-0a2b-4c4d-8e9f-0a1b2c3d4e5f'
    const r = await createSession(fake, { external_customer_id: 'team_1', member_id: stranger })
    expect(r.text).toBe(
      `{"error":"PolarRequestValidationError","detail":[{"type":"value_error","loc":["body","member_id"],"msg":"Member does not exist for this customer.","input":"${stranger}"}]}`,
    )
    const ext = await createSession(fake, { external_customer_id: 'team_1', external_member_id: 'carol' })
    expect(ext.text).toBe(
      '{"error":"PolarRequestValidationError","detail":[{"type":"value_error","loc":["body","external_member_id"],"msg":"Member does not exist for this customer.","input":"carol"}]}',
    )
    // A member of another customer is not a member of this one.
    const janeOwner = jane.members[0]?.id
    const other = await createSession(fake, { external_customer_id: 'team_1', member_id: janeOwner })
    expect(other.status).toBe(422)
  })

  it('individual customer: the implicit owner member carries the session', async () => {
    const r = await createSession(fake, { external_customer_id: 'usr_1337' })
    const session = fake.sessions().find((s) => s.token === (r.json as Json).token)
    expect(session?.kind).toBe('member')
    expect(session?.memberId).toBe(jane.members[0]?.id)
  })

  it('validates member_id as a uuid before looking anything up', async () => {
    const r = await createSession(fake, { external_customer_id: 'team_1', member_id: 'alice' })
    expect(r.status).toBe(422)
    expect((r.json as Json).error).toBe('RequestValidationError')
    expect((r.json as Json).detail.map((d: Json) => d.loc)).toEqual([
      ['body', 'CustomerSessionCustomerIDCreate', 'member_id'],
      ['body', 'CustomerSessionCustomerIDCreate', 'customer_id'],
      ['body', 'CustomerSessionCustomerExternalIDCreate', 'member_id'],
    ])
  })
})

describe('member model off (older organizations)', () => {
  it('ignores member ids and never requires one for team customers', async () => {
    const legacy = await startFakePolar({
      memberModel: false,
      seed: [{ externalId: 't', email: 't@example.com', type: 'team' }],
    })
    try {
      const r = await createSession(legacy, { external_customer_id: 't', external_member_id: 'whoever' })
      expect(r.status).toBe(201)
      expect((r.json as Json).token).toMatch(/^polar_cst_/)
      expect(legacy.sessions()[0]?.memberId).toBeNull()
    } finally {
      await legacy.close()
    }
  })
})
