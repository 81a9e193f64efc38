import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakePolar } from './server.js'
import type { FakePolar } from './types.js'
import { INSUFFICIENT_SCOPE_BODY, NOT_FOUND_BODY, UUID4, call, createSession } from './test-support/http.js'

type Json = Record<string, any>

let fake: FakePolar
beforeAll(async () => {
  fake = await startFakePolar({ seed: [{ externalId: 'existing', email: 'existing@acme.dev', name: 'Existing' }] })
})
afterAll(() => fake.close())

const create = (body: unknown, token?: string) => call(fake, 'POST', '/v1/customers/', { body, token })

describe('POST /v1/customers/', () => {
  it('creates a customer on first use; a session can follow at once', async () => {
    const before = fake.stats.customersCreated
    const r = await create({
      email: 'new@acme.dev',
      external_id: 'usr_new',
      name: 'New',
      metadata: { plan: 'pro', seats: 3 },
    })
    expect(r.status).toBe(201)
    const c = r.json as Json
    expect(c).toMatchObject({
      email: 'new@acme.dev',
      external_id: 'usr_new',
      name: 'New',
      type: 'individual',
      metadata: { plan: 'pro', seats: 3 },
      organization_id: fake.organizationId,
      deleted_at: null,
    })
    expect(c.id).toMatch(UUID4)
    expect(typeof c.avatar_url).toBe('string')
    expect(fake.stats.customersCreated).toBe(before + 1)
    expect((await createSession(fake, { external_customer_id: 'usr_new' })).status).toBe(201)
    const stored = fake.customers().find((x) => x.id === c.id)
    expect(stored?.members).toHaveLength(1)
  })

  it('rejects a duplicate external id and email, naming the field (both listed)', async () => {
    const r = await create({ email: 'EXISTING@acme.dev', external_id: 'existing' })
    expect(r.status).toBe(422)
    expect(r.text).toBe(
      '{"error":"PolarRequestValidationError","detail":[' +
        '{"type":"value_error","loc":["body","email"],"msg":"A customer with this email address already exists.","input":"EXISTING@acme.dev"},' +
        '{"type":"value_error","loc":["body","external_id"],"msg":"A customer with this external ID already exists.","input":"existing"}]}',
    )
    const onlyExternal = await create({ email: 'fresh@acme.dev', external_id: 'existing' })
    expect((onlyExternal.json as Json).detail).toEqual([
      {
        type: 'value_error',
        loc: ['body', 'external_id'],
        msg: 'A customer with this external ID already exists.',
        input: 'existing',
      },
    ])
  })

  it('validates the body: email required for individual customers, tagged loc', async () => {
    const r = await create({ external_id: 'x' })
    expect(r.status).toBe(422)
    expect((r.json as Json).detail).toEqual([
      { type: 'missing', loc: ['body', 'individual', 'email'], msg: 'Field required', input: { external_id: 'x' } },
    ])
    const bad = await create({ email: 'not-an-email' })
    expect((bad.json as Json).detail[0]).toMatchObject({ type: 'value_error', loc: ['body', 'individual', 'email'] })
    const tag = await create({ email: 'a@example.com', type: 'company' })
    expect((tag.json as Json).detail[0]).toMatchObject({ type: 'union_tag_invalid', loc: ['body'] })
  })

  it("names the union's discriminator function in union_tag_invalid, with Python's str() of the tag", async () => {
    const r = await create({ email: 'a@acme.dev', type: null })
    expect((r.json as Json).detail).toEqual([
      {
        type: 'union_tag_invalid',
        loc: ['body'],
        msg: "Input tag 'None' found using _customer_create_type() does not match any of the expected tags: 'individual', 'team'",
        input: { email: 'a@acme.dev', type: null },
        ctx: { discriminator: '_customer_create_type()', tag: 'None', expected_tags: "'individual', 'team'" },
      },
    ])
  })

  it('creates team customers with an owner member', async () => {
    const r = await create({
      type: 'team',
      email: 'team@acme.dev',
      external_id: 'team_x',
      owner: { email: 'boss@acme.dev', external_id: 'boss' },
    })
    expect(r.status).toBe(201)
    expect((r.json as Json).type).toBe('team')
    const members = fake.customers().find((c) => c.externalId === 'team_x')?.members
    expect(members).toEqual([expect.objectContaining({ email: 'boss@acme.dev', externalId: 'boss' })])
    expect((await createSession(fake, { external_customer_id: 'team_x', external_member_id: 'boss' })).status).toBe(201)
  })

  it('needs customers:write', async () => {
    const token = fake.addAccessToken({ scopes: ['customer_sessions:write', 'customers:read'] })
    const r = await create({ email: 'denied@example.com' }, token)
    expect(r.status).toBe(403)
    expect(r.text).toBe(INSUFFICIENT_SCOPE_BODY)
  })
})

describe('GET /v1/customers/external/{external_id} and friends', () => {
  it('reads a customer by external id, 404 ResourceNotFound when absent', async () => {
    const ok = await call(fake, 'GET', '/v1/customers/external/existing')
    expect(ok.status).toBe(200)
    expect((ok.json as Json).email).toBe('existing@acme.dev')
    const missing = await call(fake, 'GET', '/v1/customers/external/nobody')
    expect(missing.status).toBe(404)
    expect(missing.text).toBe(NOT_FOUND_BODY)
  })

  it('decodes percent-encoded external ids', async () => {
    fake.addCustomer({ externalId: 'user@example.com|42 x', email: 'enc@example.com' })
    const r = await call(fake, 'GET', `/v1/customers/external/${encodeURIComponent('user@example.com|42 x')}`)
    expect(r.status).toBe(200)
  })

  it('needs customers:read or customers:write', async () => {
    const token = fake.addAccessToken({ scopes: ['customer_sessions:write'] })
    expect((await call(fake, 'GET', '/v1/customers/external/existing', { token })).status).toBe(403)
    const reader = fake.addAccessToken({ scopes: ['customers:read'] })
    expect((await call(fake, 'GET', '/v1/customers/external/existing', { token: reader })).status).toBe(200)
  })

  it('GET/DELETE /v1/customers/{id}: uuid path validation, 404, 204', async () => {
    const c = fake.addCustomer({ externalId: 'to-delete', email: 'del@example.com' })
    const bad = await call(fake, 'GET', '/v1/customers/not-a-uuid')
    expect(bad.status).toBe(422)
    expect((bad.json as Json).detail[0]).toMatchObject({ type: 'uuid_parsing', loc: ['path', 'id'] })
    expect((await call(fake, 'GET', `/v1/customers/${c.id}`)).status).toBe(200)
    const token = (await createSession(fake, { customer_id: c.id })).json as Json
    const del = await call(fake, 'DELETE', `/v1/customers/${c.id}`)
    expect(del.status).toBe(204)
    expect(del.text).toBe('')
    expect((await call(fake, 'GET', `/v1/customers/${c.id}`)).status).toBe(404)
    expect((await call(fake, 'DELETE', `/v1/customers/${c.id}`)).status).toBe(404)
    expect(
      (await call(fake, 'GET', '/v1/customer-portal/customer-session/introspect', { token: token.token })).status,
    ).toBe(401)
  })

  it('lists live customers with an email filter and pagination', async () => {
    const all = await call(fake, 'GET', '/v1/customers/?limit=100')
    const body = all.json as Json
    expect(body.pagination.total_count).toBe(fake.customers().filter((c) => !c.deleted).length)
    expect(body.items.length).toBe(body.pagination.total_count)
    const one = await call(fake, 'GET', '/v1/customers/?email=EXISTING%40acme.dev')
    expect((one.json as Json).items.map((c: Json) => c.external_id)).toEqual(['existing'])
    const bad = await call(fake, 'GET', '/v1/customers/?page=0')
    expect(bad.status).toBe(422)
  })
})
