import { afterEach, describe, expect, it } from 'vitest'
import { startFakePolar } from './server.js'
import { FakeInputError } from './state.js'
import type { FakePolar } from './types.js'
import { INVALID_TOKEN_BODY, TIMESTAMP, UNAUTHORIZED_BODY, call, createSession, micros } from './test-support/http.js'

type Json = Record<string, any>

const open: FakePolar[] = []
async function start(...args: Parameters<typeof startFakePolar>): Promise<FakePolar> {
  const fake = await startFakePolar(...args)
  open.push(fake)
  return fake
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()))
})

async function newToken(fake: FakePolar, body: Json): Promise<string> {
  const r = await createSession(fake, body)
  expect(r.status).toBe(201)
  return (r.json as Json).token
}

const introspect = (fake: FakePolar, token: string) =>
  call(fake, 'GET', '/v1/customer-portal/customer-session/introspect', { token })

describe('clock', () => {
  it('stamps with the real clock by default, microseconds and Z', async () => {
    const fake = await start({ seed: [{ externalId: 'u', email: 'u@example.com' }] })
    const before = Date.now()
    const body = (await createSession(fake, { external_customer_id: 'u' })).json as Json
    const after = Date.now()
    expect(body.created_at).toMatch(TIMESTAMP)
    expect(Date.parse(body.created_at)).toBeGreaterThanOrEqual(before - 1)
    expect(Date.parse(body.created_at)).toBeLessThanOrEqual(after + 1)
  })

  it('clockOffsetMs shifts every timestamp the fake reports; lifetime stays the TTL', async () => {
    const offset = -2 * 3_600_000
    const fake = await start({ clockOffsetMs: offset, seed: [{ externalId: 'u', email: 'u@example.com' }] })
    const body = (await createSession(fake, { external_customer_id: 'u' })).json as Json
    expect(Math.abs(Date.parse(body.created_at) - (Date.now() + offset))).toBeLessThan(2_000)
    expect(micros(body.expires_at) - micros(body.created_at)).toBe(3_600_000_000)
    // A server two hours behind hands out a session whose expires_at is already past on our clock.
    expect(Date.parse(body.expires_at)).toBeLessThan(Date.now())
    // ...which is still valid on the server's own clock.
    expect((await introspect(fake, body.token)).status).toBe(200)
  })

  it('setClockOffset moves the server clock at runtime, expiring sessions on its clock', async () => {
    const fake = await start({ seed: [{ externalId: 'u', email: 'u@example.com' }] })
    const token = await newToken(fake, { external_customer_id: 'u' })
    fake.setClockOffset(3_600_000 + 1_000)
    expect((await introspect(fake, token)).text).toBe(INVALID_TOKEN_BODY)
    const later = (await createSession(fake, { external_customer_id: 'u' })).json as Json
    expect(Date.parse(later.created_at) - Date.now()).toBeGreaterThan(3_600_000 - 2_000)
  })
})

describe('session expiry', () => {
  it('a short sessionTtlMs: introspect answers until expires_at, then 401 invalid_token', async () => {
    const fake = await start({ sessionTtlMs: 300, seed: [{ externalId: 'u', email: 'u@example.com' }] })
    const body = (await createSession(fake, { external_customer_id: 'u', return_url: 'https://app.example.com' }))
      .json as Json
    expect(micros(body.expires_at) - micros(body.created_at)).toBe(300_000)
    const ok = await introspect(fake, body.token)
    expect(ok.status).toBe(200)
    expect(ok.text).toBe(`{"expires_at":"${body.expires_at}","return_url":"https://app.example.com/"}`)
    await new Promise((r) => setTimeout(r, 350))
    const late = await introspect(fake, body.token)
    expect(late.status).toBe(401)
    expect(late.text).toBe(INVALID_TOKEN_BODY)
  })

  it('earlier sessions stay valid when a new one is created', async () => {
    const fake = await start({ seed: [{ externalId: 'u', email: 'u@example.com' }] })
    const a = await newToken(fake, { external_customer_id: 'u' })
    const b = await newToken(fake, { external_customer_id: 'u' })
    expect((await introspect(fake, a)).status).toBe(200)
    expect((await introspect(fake, b)).status).toBe(200)
  })
})

describe('deleting customers and members', () => {
  it('deleteCustomer kills its sessions, frees its external id, and lookups fail', async () => {
    const fake = await start({
      seed: [
        { externalId: 'gone', email: 'gone@example.com' },
        { externalId: 'stays', email: 'stays@example.com' },
      ],
    })
    const doomed = await newToken(fake, { external_customer_id: 'gone' })
    const survivor = await newToken(fake, { external_customer_id: 'stays' })
    const id = fake.customers()[0]?.id as string
    expect(fake.deleteCustomer({ externalId: 'gone' })).toBe(true)
    expect(fake.deleteCustomer({ externalId: 'gone' })).toBe(false)
    expect(fake.deleteCustomer({ id })).toBe(false)

    expect((await introspect(fake, doomed)).text).toBe(INVALID_TOKEN_BODY)
    expect((await call(fake, 'GET', '/v1/customer-portal/customers/me', { token: doomed })).status).toBe(401)
    expect((await introspect(fake, survivor)).status).toBe(200)
    const byId = await createSession(fake, { customer_id: id })
    expect((byId.json as Json).detail[0]).toMatchObject({
      loc: ['body', 'customer_id'],
      msg: 'Customer does not exist.',
      input: id,
    })
    const byExternal = await createSession(fake, { external_customer_id: 'gone' })
    expect((byExternal.json as Json).detail[0].loc).toEqual(['body', 'external_customer_id'])
    expect((await call(fake, 'GET', '/v1/customers/external/gone')).status).toBe(404)

    const snapshot = fake.customers().find((c) => c.id === id)
    expect(snapshot).toMatchObject({ deleted: true, externalId: 'gone' })
    // The external id and email are free for a new customer.
    const reborn = fake.addCustomer({ externalId: 'gone', email: 'gone@example.com' })
    expect(reborn.id).not.toBe(id)
    expect((await createSession(fake, { external_customer_id: 'gone' })).status).toBe(201)
  })

  it("deleteMember kills that member's sessions only", async () => {
    const fake = await start({
      seed: [
        { externalId: 't', email: 't@example.com', type: 'team', members: [{ externalId: 'a' }, { externalId: 'b' }] },
      ],
    })
    const team = fake.customers()[0]
    const [a, b] = team?.members ?? []
    const ta = await newToken(fake, { external_customer_id: 't', external_member_id: 'a' })
    const tb = await newToken(fake, { external_customer_id: 't', external_member_id: 'b' })
    expect(fake.deleteMember(team?.id as string, a?.id as string)).toBe(true)
    expect(fake.deleteMember(team?.id as string, a?.id as string)).toBe(false)
    expect((await introspect(fake, ta)).status).toBe(401)
    expect((await introspect(fake, tb)).status).toBe(200)
    const again = await createSession(fake, { external_customer_id: 't', member_id: a?.id })
    expect((again.json as Json).detail[0].msg).toBe('Member does not exist for this customer.')
    expect(fake.customers()[0]?.members.map((m) => m.id)).toEqual([b?.id])
  })

  it('addMember lets a team customer get member sessions', async () => {
    const fake = await start({
      seed: [{ id: '11111111-1111-4111-8111-111111111111', email: 't@example.com', type: 'team' }],
    })
    const member = fake.addMember('11111111-1111-4111-8111-111111111111', {
      externalId: 'm1',
      email: 'm1@example.com',
      name: 'M',
    })
    expect(member).toMatchObject({ externalId: 'm1', email: 'm1@example.com', name: 'M' })
    const body = (
      await createSession(fake, { customer_id: '11111111-1111-4111-8111-111111111111', member_id: member.id })
    ).json as Json
    expect(body.token).toMatch(/^polar_mst_/)
    const user = await call(fake, 'GET', '/v1/customer-portal/customer-session/user', { token: body.token })
    expect(user.json).toEqual({
      type: 'member',
      name: 'M',
      email: 'm1@example.com',
      customer_id: '11111111-1111-4111-8111-111111111111',
      member_id: member.id,
      role: 'member',
    })
  })

  it('the programmatic API refuses bad input synchronously', async () => {
    const fake = await start({ seed: [{ externalId: 'x', email: 'x@example.com' }] })
    expect(() => fake.addCustomer({ externalId: 'x', email: 'other@example.com' })).toThrow(FakeInputError)
    expect(() => fake.addCustomer({ email: 'X@example.com' })).toThrow(FakeInputError)
    expect(() => fake.addCustomer({ id: 'not-a-uuid', email: 'y@example.com' })).toThrow(FakeInputError)
    expect(() => fake.addMember('3b8a7c6e-1f2d-4e5a-9b8c-7d6e5f4a3b2c', {})).toThrow(FakeInputError)
    expect(fake.customers()).toHaveLength(1)
    await expect(startFakePolar({ seed: [{ email: 'a@example.com' }, { email: 'a@example.com' }] })).rejects.toThrow(
      FakeInputError,
    )
    await expect(startFakePolar({ organizationId: 'nope' })).rejects.toThrow(TypeError)
  })
})

describe('customer portal API with a session token', () => {
  it('customers/me answers the CustomerPortalCustomer shape', async () => {
    const fake = await start({ seed: [{ externalId: 'u', email: 'u@example.com', name: 'U' }] })
    const token = await newToken(fake, { external_customer_id: 'u' })
    const me = await call(fake, 'GET', '/v1/customer-portal/customers/me', { token })
    expect(me.status).toBe(200)
    const body = me.json as Json
    expect(Object.keys(body)).toEqual([
      'created_at',
      'modified_at',
      'id',
      'email',
      'email_verified',
      'name',
      'billing_name',
      'billing_address',
      'tax_id',
      'oauth_accounts',
      'default_payment_method_id',
      'type',
      'locale',
    ])
    expect(body).toMatchObject({
      id: fake.customers()[0]?.id,
      email: 'u@example.com',
      name: 'U',
      type: 'individual',
      oauth_accounts: {},
    })
  })

  it('organization tokens and no token get 401 Unauthorized on portal endpoints', async () => {
    const fake = await start()
    for (const token of [fake.accessToken, null]) {
      const r = await call(fake, 'GET', '/v1/customer-portal/customers/me', { token })
      expect(r.status).toBe(401)
      expect(r.text).toBe(UNAUTHORIZED_BODY)
    }
  })
})

describe('portal page', () => {
  it('serves the portal URL of a session: name, email, id and a Back link', async () => {
    const fake = await start({
      organizationSlug: 'shop',
      seed: [{ externalId: 'u', email: 'u+1@example.com', name: 'Ann <b>' }],
    })
    const body = (
      await createSession(fake, { external_customer_id: 'u', return_url: 'https://app.example.com/account?a=1&b=2' })
    ).json as Json
    expect(body.customer_portal_url.startsWith(`${fake.url}/shop/portal?customer_session_token=`)).toBe(true)
    const page = await fetch(body.customer_portal_url)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(page.headers.get('cache-control')).toBe('no-store')
    const html = await page.text()
    expect(html).toContain('<h1>Customer portal</h1>')
    expect(html).toContain('<p id="customer-email">u+1@example.com</p>')
    expect(html).toContain(`<p id="customer-id">${body.customer_id}</p>`)
    expect(html).toContain('Ann &#60;b&#62;')
    expect(html).toContain('<a id="return-link" href="https://app.example.com/account?a=1&#38;b=2">Back</a>')
  })

  it('answers 401 HTML for an unknown or expired token and 404 for another slug', async () => {
    const fake = await start({ sessionTtlMs: 100, seed: [{ externalId: 'u', email: 'u@example.com' }] })
    const body = (await createSession(fake, { external_customer_id: 'u' })).json as Json
    const bogus = await fetch(`${fake.url}/acme/portal?customer_session_token=polar_mst_nope&email=u%40example.com`)
    expect(bogus.status).toBe(401)
    expect(bogus.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect((await fetch(body.customer_portal_url.replace('/acme/', '/other/'))).status).toBe(404)
    await new Promise((r) => setTimeout(r, 150))
    expect((await fetch(body.customer_portal_url)).status).toBe(401)
  })

  it('portalBaseUrl changes the URL Polar would hand out, not where the fake serves it', async () => {
    const fake = await start({
      portalBaseUrl: 'https://sandbox.polar.sh/',
      seed: [{ externalId: 'u', email: 'u@example.com' }],
    })
    const body = (await createSession(fake, { external_customer_id: 'u' })).json as Json
    expect(body.customer_portal_url).toBe(
      `https://sandbox.polar.sh/acme/portal?customer_session_token=${body.token}&email=u%40example.com`,
    )
    const local = body.customer_portal_url.replace('https://sandbox.polar.sh', fake.url)
    expect((await fetch(local)).status).toBe(200)
  })
})
