import { describe, expect, expectTypeOf, it } from 'vitest'
import type { Identify } from '../types.js'
import type { IdentityResolver } from './resolver.js'
import { fromUser } from './from-user.js'

describe('fromUser() defaults', () => {
  const identify = fromUser()

  it('reads req.user.id (Express + Passport)', async () => {
    await expect(identify({ user: { id: 'usr_1' } })).resolves.toEqual({ externalCustomerId: 'usr_1' })
  })

  it('reads ctx.state.user.id (Koa)', async () => {
    await expect(identify({ state: { user: { id: 'usr_koa' } } })).resolves.toEqual({ externalCustomerId: 'usr_koa' })
  })

  it('converts numeric and bigint ids to strings', async () => {
    await expect(identify({ user: { id: 42 } })).resolves.toEqual({ externalCustomerId: '42' })
    await expect(identify({ user: { id: 9007199254740993n } })).resolves.toEqual({
      externalCustomerId: '9007199254740993',
    })
    await expect(identify({ user: { id: 0 } })).resolves.toEqual({ externalCustomerId: '0' })
  })

  it('reads ids from getters on a prototype (ORM models)', async () => {
    class User {
      constructor(private readonly raw: number) {}
      get id(): string {
        return `u${this.raw}`
      }
    }
    await expect(identify({ user: new User(5) })).resolves.toEqual({ externalCustomerId: 'u5' })
  })

  it('is anonymous when there is no user or no id', async () => {
    for (const request of [
      {},
      { user: null },
      { user: {} },
      { user: { id: null } },
      { state: {} },
      { state: { user: undefined } },
      null,
      undefined,
      'text',
    ]) {
      await expect(identify(request)).resolves.toBeNull()
    }
  })

  it('does not validate the id format (the core does)', async () => {
    await expect(identify({ user: { id: '' } })).resolves.toEqual({ externalCustomerId: '' })
    await expect(identify({ user: { id: 'x'.repeat(5000) } })).resolves.toEqual({
      externalCustomerId: 'x'.repeat(5000),
    })
  })

  it('throws a TypeError naming the path for an id of the wrong type', async () => {
    await expect(identify({ user: { id: { $oid: 'abc' } } })).rejects.toThrow(TypeError)
    await expect(identify({ user: { id: { $oid: 'abc' } } })).rejects.toThrow(
      /"user.id" or "state.user.id" is an object; expected a string, number or bigint/,
    )
    await expect(identify({ user: { id: ['a'] } })).rejects.toThrow(/is an array/)
    await expect(identify({ user: { id: true } })).rejects.toThrow(/is a boolean/)
    await expect(identify({ user: { id: Number.NaN } })).rejects.toThrow(/not a finite number/)
  })
})

describe('fromUser(path)', () => {
  it('follows a dotted path', async () => {
    const identify = fromUser('user.sub')
    await expect(identify({ user: { sub: 'auth0|abc', id: 'other' } })).resolves.toEqual({
      externalCustomerId: 'auth0|abc',
    })
    await expect(identify({ user: {} })).resolves.toBeNull()
  })

  it('follows an array path, whose keys may contain dots', async () => {
    await expect(fromUser(['state', 'user', 'id'])({ state: { user: { id: 7 } } })).resolves.toEqual({
      externalCustomerId: '7',
    })
    const namespaced = fromUser(['auth', 'https://example.com/user_id'])
    await expect(namespaced({ auth: { 'https://example.com/user_id': 'u1' } })).resolves.toEqual({
      externalCustomerId: 'u1',
    })
  })

  it('reads express-session and koa-session style sessions', async () => {
    await expect(fromUser('session.userId')({ session: { userId: 'sess_user' } })).resolves.toEqual({
      externalCustomerId: 'sess_user',
    })
    await expect(fromUser('session.userId')({ session: null })).resolves.toBeNull()
  })

  it.each([
    ['__proto__.polluted', /may not go through "__proto__"/],
    ['user.constructor.name', /may not go through "constructor"/],
    [['user', 'prototype'], /may not go through "prototype"/],
    [['__proto__'], /__proto__/],
    ['user..id', /empty path segment/],
    ['', /empty path segment/],
    ['.user', /empty path segment/],
    [[], /non-empty path/],
    [['user', 3], /empty path segment/],
  ] as const)('refuses %j at construction', (path, message) => {
    expect(() => fromUser(path as never)).toThrow(TypeError)
    expect(() => fromUser(path as never)).toThrow(message)
  })

  it('cannot be used to read or write the prototype chain', async () => {
    const identify = fromUser('user.id')
    const hostile = JSON.parse('{"user": {"__proto__": {"id": "injected"}}}') as unknown
    // JSON.parse makes "__proto__" an own property; the path "user.id" does not reach it.
    await expect(identify(hostile)).resolves.toBeNull()
    expect(({} as Record<string, unknown>)['id']).toBeUndefined()
  })
})

describe('fromUser(function)', () => {
  it('uses the function result, sync or async', async () => {
    const sync = fromUser((req: { auth?: { userId?: string } }) => req.auth?.userId)
    await expect(sync({ auth: { userId: 'clerk_user' } })).resolves.toEqual({ externalCustomerId: 'clerk_user' })
    await expect(sync({})).resolves.toBeNull()
    const lookups: string[] = []
    const viaDb = fromUser(async (req: { sessionId: string }) => {
      lookups.push(req.sessionId)
      return 1234
    })
    await expect(viaDb({ sessionId: 's1' })).resolves.toEqual({ externalCustomerId: '1234' })
    expect(lookups).toEqual(['s1'])
  })

  it('lets the function throw', async () => {
    const error = new Error('db down')
    await expect(fromUser(() => Promise.reject(error))({})).rejects.toBe(error)
  })

  it('is typed by the function parameter', () => {
    const identify = fromUser((req: { auth?: { userId?: string } }) => req.auth?.userId)
    expectTypeOf(identify).toEqualTypeOf<IdentityResolver<{ auth?: { userId?: string } }>>()
    expectTypeOf(identify).toExtend<Identify<{ auth?: { userId?: string } }>>()
    // @ts-expect-error an id function must return an id-like value
    fromUser((req: { a: string }) => ({ id: req.a }))
  })
})

describe('fromUser options', () => {
  it('as: "customerId" fills Polar\'s customer id', async () => {
    const identify = fromUser('user.polarCustomerId', { as: 'customerId' })
    await expect(identify({ user: { polarCustomerId: '3f0e…uuid' } })).resolves.toEqual({ customerId: '3f0e…uuid' })
  })

  it('member fills externalMemberId, or memberId with memberAs', async () => {
    const team = fromUser({ id: 'user.orgId', member: 'user.id', email: 'user.email', name: 'user.name' })
    await expect(team({ user: { orgId: 'org_1', id: 77, email: 'ada@example.com', name: 'Ada' } })).resolves.toEqual({
      externalCustomerId: 'org_1',
      externalMemberId: '77',
      email: 'ada@example.com',
      name: 'Ada',
    })
    await expect(team({ user: { orgId: 'org_1' } })).resolves.toEqual({ externalCustomerId: 'org_1' })
    const polarIds = fromUser('user.customerId', {
      as: 'customerId',
      member: (req: { user: { customerId: string; memberId: string } }) => req.user.memberId,
      memberAs: 'memberId',
    })
    await expect(polarIds({ user: { customerId: 'c', memberId: 'm' } })).resolves.toEqual({
      customerId: 'c',
      memberId: 'm',
    })
  })

  it('keeps the default id source when only other options are given', async () => {
    const identify = fromUser({ email: 'user.email' })
    await expect(identify({ user: { id: 'u', email: 'u@example.com' } })).resolves.toEqual({
      externalCustomerId: 'u',
      email: 'u@example.com',
    })
    await expect(fromUser(undefined, { as: 'customerId' })({ state: { user: { id: 'c' } } })).resolves.toEqual({
      customerId: 'c',
    })
  })

  it('throws a TypeError for a non-string email or name', async () => {
    const identify = fromUser({ email: 'user.email' })
    await expect(identify({ user: { id: 'u', email: 5 } })).rejects.toThrow(
      /"user.email" is a number; expected a string/,
    )
  })

  it.each([
    ['unknown option', () => fromUser({ ids: 'user.id' } as never), /unknown option "ids"/],
    ['bad as', () => fromUser('user.id', { as: 'email' as never }), /"as" must be/],
    ['bad memberAs', () => fromUser('user.id', { member: 'm', memberAs: 'x' as never }), /"memberAs" must be/],
    ['memberAs alone', () => fromUser('user.id', { memberAs: 'memberId' }), /"memberAs" needs "member"/],
    ['id twice', () => fromUser('user.id', { id: 'user.sub' } as never), /"id" is given twice/],
    ['options twice', () => fromUser({ id: 'user.id' } as never, {} as never), /either as the only argument/],
    ['bad member source', () => fromUser('user.id', { member: 5 as never }), /"member" must be a path/],
    [
      'bad email path',
      () => fromUser('user.id', { email: 'user.__proto__' }),
      /"email" may not go through "__proto__"/,
    ],
  ])('%s → TypeError', (_name, build, message) => {
    expect(build).toThrow(TypeError)
    expect(build).toThrow(message)
  })
})
