import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakePolar } from './server.js'
import type { FakePolar } from './types.js'
import { call, createSession } from './test-support/http.js'

// Schema-level 422s (RequestValidationError) as Polar's pydantic models produce them, for the
// checks that go beyond a field's type: NUL characters, email deliverability, team owners.

type Json = Record<string, unknown> & { detail: Array<Record<string, unknown>> }

let fake: FakePolar
beforeAll(async () => {
  fake = await startFakePolar({ seed: [{ externalId: 'usr_1', email: 'one@example.com' }] })
})
afterAll(() => fake.close())

const createCustomer = (body: unknown) => call(fake, 'POST', '/v1/customers/', { body })
const NUL_ERROR = {
  type: 'value_error',
  msg: 'Value error, This value contains invalid characters',
  ctx: { error: {} },
}

describe('NUL characters (kit/schemas.py rejects them in every string field)', () => {
  it('in external_customer_id: a schema error, not "Customer does not exist."', async () => {
    const id = 'usr_\u00001'
    const r = await createSession(fake, { external_customer_id: id })
    expect(r.status).toBe(422)
    expect(r.json).toEqual({
      error: 'RequestValidationError',
      detail: [
        {
          type: 'missing',
          loc: ['body', 'CustomerSessionCustomerIDCreate', 'customer_id'],
          msg: 'Field required',
          input: { external_customer_id: id },
        },
        { ...NUL_ERROR, loc: ['body', 'CustomerSessionCustomerExternalIDCreate', 'external_customer_id'], input: id },
      ],
    })
    expect(r.text).toContain('"input":"usr_\\u00001"')
    expect(fake.stats.sessionsCreated).toBe(0)
  })

  it('in external_member_id: reported in both variants', async () => {
    const r = await createSession(fake, { external_customer_id: 'usr_1', external_member_id: '\u0000' })
    expect(r.status).toBe(422)
    expect((r.json as Json).detail.map((d) => [d.type, d.loc])).toEqual([
      ['value_error', ['body', 'CustomerSessionCustomerIDCreate', 'external_member_id']],
      ['missing', ['body', 'CustomerSessionCustomerIDCreate', 'customer_id']],
      ['value_error', ['body', 'CustomerSessionCustomerExternalIDCreate', 'external_member_id']],
    ])
  })

  it('in a customer: external_id, name and metadata keys or values', async () => {
    const r = await createCustomer({
      email: 'n@acme.dev',
      external_id: 'a\u0000',
      name: 'N\u0000',
      metadata: { 'k\u0000': 'v' },
    })
    expect(r.status).toBe(422)
    expect((r.json as Json).detail).toEqual([
      { ...NUL_ERROR, loc: ['body', 'individual', 'metadata'], input: { 'k\u0000': 'v' } },
      { ...NUL_ERROR, loc: ['body', 'individual', 'external_id'], input: 'a\u0000' },
      { ...NUL_ERROR, loc: ['body', 'individual', 'name'], input: 'N\u0000' },
    ])
    expect(fake.stats.customersCreated).toBe(0)
  })

  it('in an email, the email check speaks first', async () => {
    const r = await createCustomer({ email: 'a\u0000b@acme.dev' })
    expect((r.json as Json).detail).toEqual([
      {
        type: 'value_error',
        loc: ['body', 'individual', 'email'],
        msg: 'value is not a valid email address: The email address contains invalid characters before the @-sign: U+0000.',
        input: 'a\u0000b@acme.dev',
        ctx: { reason: 'The email address contains invalid characters before the @-sign: U+0000.' },
      },
    ])
  })
})

describe('email deliverability (EmailStrDNS: check_deliverability=True)', () => {
  it('example.com and friends publish a null MX: refused with 422, not created', async () => {
    const r = await createCustomer({ email: 'new@Example.COM', external_id: 'dns_1' })
    expect(r.status).toBe(422)
    expect(r.json).toEqual({
      error: 'RequestValidationError',
      detail: [
        {
          type: 'value_error',
          loc: ['body', 'individual', 'email'],
          msg: 'new@example.com is not a valid email address: The domain name example.com does not accept email.',
          input: 'new@Example.COM',
          ctx: { email: 'new@example.com', reason: 'The domain name example.com does not accept email.' },
        },
      ],
    })
    for (const email of ['a@example.net', 'a@example.org']) {
      expect(((await createCustomer({ email })).json as Json).detail[0]?.msg).toMatch(/does not accept email\.$/)
    }
    expect(fake.stats.customersCreated).toBe(0)
  })

  it('a domain that does not exist in DNS: their subdomains and the .example TLD', async () => {
    for (const [email, domain] of [
      ['a@mail.example.com', 'mail.example.com'],
      ['a@shop.example', 'shop.example'],
    ]) {
      const detail = ((await createCustomer({ email })).json as Json).detail[0]
      expect(detail?.msg).toBe(`${email} is not a valid email address: The domain name ${domain} does not exist.`)
    }
  })

  it('special-use names fail the syntax check already: .test, .invalid, .localhost, .local', async () => {
    for (const email of ['a@shop.test', 'a@x.invalid', 'a@app.localhost', 'a@printer.local']) {
      const r = await createCustomer({ email })
      expect(r.status, email).toBe(422)
      expect((r.json as Json).detail[0]).toMatchObject({
        type: 'value_error',
        msg: 'value is not a valid email address: The part after the @-sign is a special-use or reserved name that cannot be used with email.',
      })
    }
  })

  it("also a team owner's email; any other domain is taken as deliverable (the fake asks no DNS)", async () => {
    const r = await createCustomer({ type: 'team', name: 'T', owner: { email: 'boss@example.org' } })
    expect((r.json as Json).detail[0]?.loc).toEqual(['body', 'team', 'owner', 'email'])
    expect((await createCustomer({ email: 'real@acme.dev', external_id: 'dns_ok' })).status).toBe(201)
  })
})

describe('team customers', () => {
  it('without an email and without an owner: the schema refuses it (RequestValidationError at ["body","team"])', async () => {
    const created = fake.stats.customersCreated
    const body = { type: 'team', name: 'Team', external_id: 'team_no_email' }
    const r = await createCustomer(body)
    expect(r.status).toBe(422)
    expect(r.text).toBe(
      '{"error":"RequestValidationError","detail":[{"type":"value_error","loc":["body","team"],' +
        '"msg":"Value error, An owner with an email address is required when creating a team customer without an email.",' +
        '"input":{"type":"team","name":"Team","external_id":"team_no_email"},"ctx":{"error":{}}}]}',
    )
    expect(fake.stats.customersCreated).toBe(created)
  })

  it('field errors come first: the model check runs only once every field passed', async () => {
    const r = await createCustomer({ type: 'team', name: 7 })
    expect((r.json as Json).detail.map((d) => d.loc)).toEqual([['body', 'team', 'name']])
  })

  it('with an owner and no email of its own, it is created', async () => {
    const r = await createCustomer({ type: 'team', name: 'Team', owner: { email: 'owner@acme.dev' } })
    expect(r.status).toBe(201)
    expect(r.json).toMatchObject({ type: 'team', email: null })
  })
})
