import { describe, expect, it } from 'vitest'
import { PolarSessionError } from './errors.js'
import { validateIdentity } from './validate-identity.js'

const uuid = '3b8a7c6e-1f2d-4e5a-9b8c-7d6e5f4a3b2c'

describe('validateIdentity', () => {
  it('accepts both identity forms and builds canonical keys', () => {
    expect(validateIdentity({ customerId: uuid.toUpperCase() })).toMatchObject({
      customerId: uuid,
      customerKey: `c:${uuid}`,
      memberKey: '',
    })
    expect(validateIdentity({ externalCustomerId: 'usr_1', externalMemberId: 'm 1' })).toMatchObject({
      customerKey: 'x:usr_1',
      memberKey: 'y:m 1',
    })
    expect(validateIdentity({ externalCustomerId: 'ünïcødé ✓' }).externalCustomerId).toBe('ünïcødé ✓')
  })

  const bad: [string, unknown][] = [
    ['null', null],
    ['a string', 'usr_1'],
    ['an array', [{ externalCustomerId: 'x' }]],
    ['empty object', {}],
    ['both customer ids', { customerId: uuid, externalCustomerId: 'x' }],
    ['empty external id', { externalCustomerId: '' }],
    ['1 MB external id', { externalCustomerId: 'a'.repeat(1024 * 1024) }],
    ['1025 chars', { externalCustomerId: 'a'.repeat(1025) }],
    ['a control character', { externalCustomerId: 'usr\u0000' }],
    ['a newline', { externalCustomerId: 'usr\n1' }],
    ['C1 control', { externalCustomerId: 'usr\u0085' }],
    ['a lone surrogate', { externalCustomerId: 'usr\ud800' }],
    ['a number', { externalCustomerId: 42 }],
    ['an object', { externalCustomerId: { toString: () => 'x' } }],
    ['non-UUID customer id', { customerId: 'cus_123' }],
    ['UUID with junk', { customerId: `${uuid}x` }],
    ['both member ids', { externalCustomerId: 'x', memberId: uuid, externalMemberId: 'y' }],
    ['non-UUID member id', { externalCustomerId: 'x', memberId: 'mem_1' }],
    ['email without @', { externalCustomerId: 'x', email: 'nope' }],
    ['__proto__ only', JSON.parse('{"__proto__": {"externalCustomerId": "x"}}')],
    [
      'a __proto__ key beside a valid id',
      JSON.parse(`{"externalCustomerId": "x", "__proto__": {"customerId": "${uuid}"}}`),
    ],
  ]
  it.each(bad)('rejects %s with invalid_identity 400, without echoing the value', (_name, identity) => {
    let caught: unknown
    try {
      validateIdentity(identity)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(PolarSessionError)
    const error = caught as PolarSessionError
    expect(error.code).toBe('invalid_identity')
    expect(error.status).toBe(400)
    expect(error.expose).toBe(true)
    expect(error.message).not.toContain('usr')
    expect(error.message).not.toContain('cus_123')
  })

  it('ignores inherited properties', () => {
    const proto = { externalCustomerId: 'inherited' }
    const identity = Object.create(proto) as { customerId?: string }
    identity.customerId = uuid
    expect(validateIdentity(identity as never).externalCustomerId).toBeUndefined()
  })
})
