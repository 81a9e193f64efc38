import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { CustomerSession } from './session.js'

const token = 'polar_mst_abcdefghijklmnopqrstuvwxyzABCDEFGHIJK0123456'
const portal = `https://polar.sh/acme/portal?customer_session_token=${token}&email=jane%40example.com`

const session = new CustomerSession({
  id: 'ses_1',
  token,
  expiresAt: new Date('2026-12-01T11:00:00Z'),
  createdAt: new Date('2026-12-01T10:00:00Z'),
  customerPortalUrl: portal,
  returnUrl: 'https://app.example.com/',
  customerId: 'cus',
  customer: {
    id: 'cus',
    type: 'individual',
    email: 'jane@example.com',
    emailVerified: true,
    name: 'Jane',
    externalId: 'usr_1',
    organizationId: 'org',
    metadata: {},
    createdAt: new Date(0),
  },
})

describe('CustomerSession printing', () => {
  it('exposes the real secrets as properties', () => {
    expect(session.token).toBe(token)
    expect(session.customerPortalUrl).toBe(portal)
  })

  it.each([
    ['util.inspect', () => inspect(session, { depth: 10 })],
    ['JSON.stringify', () => JSON.stringify(session)],
    ['JSON.stringify nested', () => JSON.stringify({ session })],
    ['template string', () => `${session}`],
    ['String()', () => String(session)],
    ['spread', () => inspect({ ...session }, { depth: 10 })],
  ])('%s hides the token, portal URL and email', (_name, print) => {
    const text = print()
    expect(text).not.toContain(token)
    expect(text).not.toContain('abcdefghij')
    expect(text).not.toContain('customer_session_token')
    expect(text).not.toContain('jane@example.com')
    expect(text).not.toContain('jane%40example.com')
  })

  it.each([
    ['util.inspect', () => inspect(session.customer, { depth: 10 })],
    ['JSON.stringify', () => JSON.stringify(session.customer)],
    ['JSON.stringify nested', () => JSON.stringify({ customer: session.customer })],
  ])('session.customer alone: %s hides the email, keeps the rest', (_name, print) => {
    const text = print()
    expect(text).not.toContain('jane@example.com')
    expect(text).toContain('j…@example.com')
    expect(text).toContain('cus')
  })

  it('session.customer reads as the customer, and is frozen', () => {
    expect(session.customer.email).toBe('jane@example.com')
    // Its own keys are the customer's fields; the printed forms are not among them.
    expect(Object.keys(session.customer)).toEqual([
      'id',
      'type',
      'email',
      'emailVerified',
      'name',
      'externalId',
      'organizationId',
      'metadata',
      'createdAt',
    ])
    expect({ ...session.customer }).toMatchObject({ id: 'cus', email: 'jane@example.com' })
    expect(Object.isFrozen(session.customer)).toBe(true)
    expect(() => {
      ;(session.customer as { email: string }).email = 'x'
    }).toThrow(TypeError)
  })

  it('keeps what helps debugging', () => {
    expect(JSON.parse(JSON.stringify(session))).toMatchObject({
      id: 'ses_1',
      token: 'polar_mst_[redacted]',
      customerPortalUrl: 'https://polar.sh/acme/portal?[redacted]',
      customer: { email: 'j…@example.com' },
    })
  })
})
