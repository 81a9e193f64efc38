import { describe, expect, it } from 'vitest'
import { PolarSessionError } from '../errors.js'
import { parseCustomer } from './index.js'
import { CUSTOMER_UUID, customerJson, EMAIL, errorText, ORG_UUID } from '../test-support/polar-test-server.js'

function fails(value: unknown): PolarSessionError {
  try {
    parseCustomer(value)
  } catch (error) {
    expect(error).toBeInstanceOf(PolarSessionError)
    return error as PolarSessionError
  }
  throw new Error('expected parseCustomer to throw')
}

describe('parseCustomer', () => {
  it('camelCases an individual customer', () => {
    expect(parseCustomer(customerJson())).toEqual({
      id: CUSTOMER_UUID,
      type: 'individual',
      email: EMAIL,
      emailVerified: true,
      name: 'Jane Doe',
      externalId: 'usr_secret_1337',
      organizationId: ORG_UUID,
      metadata: { plan: 'pro', seats: 3, beta: true },
      createdAt: new Date('2026-01-05T09:30:00Z'),
    })
  })

  it('accepts a team without email, and a missing external_id as null', () => {
    const team = customerJson({ type: 'team' })
    delete team['email']
    delete team['external_id']
    expect(parseCustomer(team)).toMatchObject({ type: 'team', email: null, externalId: null })
  })

  it('keeps a __proto__ metadata key as an ordinary key', () => {
    const customer = parseCustomer(JSON.parse(JSON.stringify(customerJson()).replace('"plan"', '"__proto__"')))
    expect(Object.getPrototypeOf(customer.metadata)).toBe(Object.prototype)
    expect(Object.keys(customer.metadata)).toContain('__proto__')
  })

  it.each([
    ['not an object', 'jane', '`(root)` is not an object'],
    ['null', null, '`(root)` is not an object'],
    ['type missing', { ...customerJson(), type: undefined }, '`type` is missing'],
    ['type unknown', customerJson({ type: 'org' }), "`type` is not 'individual' or 'team'"],
    ['individual without email', customerJson({ email: null }), '`email` is not a string'],
    ['team email a number', customerJson({ type: 'team', email: 5 }), '`email` is not a string or null'],
    ['email_verified missing', { ...customerJson(), email_verified: undefined }, '`email_verified` is missing'],
    ['metadata NaN-ish', customerJson({ metadata: { a: null } }), '`metadata` has a value'],
    ['organization_id number', customerJson({ organization_id: 1 }), '`organization_id` is not a string'],
    ['created_at date only', customerJson({ created_at: '2026-01-05' }), '`created_at` is not a valid'],
  ])('%s → polar_unavailable naming the field', (_name, value, expected) => {
    const error = fails(JSON.parse(JSON.stringify(value ?? null)))
    expect(error.code).toBe('polar_unavailable')
    expect(error.status).toBe(502)
    expect(error.message).toContain(expected)
    expect(errorText(error)).not.toContain(EMAIL)
  })
})
