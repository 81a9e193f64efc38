import { beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest'
import { PolarSessionError } from '../errors.js'
import type { IdentifyResult } from '../types.js'
import { firstOf } from './first-of.js'
import { fromUser } from './from-user.js'
import { fromJwt } from './jwt.js'
import type { HttpRequestLike } from './read-header.js'
import type { IdentityResolver } from './resolver.js'
import { hmacSecret, nowSec, sign } from '../test-support/jwt.js'

const anonymous = (): IdentifyResult => null

describe('firstOf', () => {
  it('returns the first identity, in order, without calling the rest', async () => {
    const third = vi.fn(() => ({ externalCustomerId: 'third' }))
    const identify = firstOf(
      anonymous,
      () => undefined,
      async () => ({ externalCustomerId: 'second' }),
      third,
    )
    await expect(identify({})).resolves.toEqual({ externalCustomerId: 'second' })
    expect(third).not.toHaveBeenCalled()
  })

  it('awaits each resolver before starting the next', async () => {
    const log: string[] = []
    const slow = async (): Promise<IdentifyResult> => {
      log.push('slow:start')
      await new Promise((resolve) => setTimeout(resolve, 20))
      log.push('slow:end')
      return null
    }
    const fast = (): IdentifyResult => {
      log.push('fast')
      return { externalCustomerId: 'f' }
    }
    await expect(firstOf(slow, fast)({})).resolves.toEqual({ externalCustomerId: 'f' })
    expect(log).toEqual(['slow:start', 'slow:end', 'fast'])
  })

  it('passes the same request to every resolver', async () => {
    const request = { marker: 1 }
    const a = vi.fn(anonymous)
    const b = vi.fn(anonymous)
    await expect(firstOf(a, b)(request)).resolves.toBeNull()
    expect(a).toHaveBeenCalledWith(request)
    expect(b).toHaveBeenCalledWith(request)
  })

  it('is anonymous (null, not undefined) when every resolver is', async () => {
    await expect(firstOf(anonymous, () => undefined)({})).resolves.toBeNull()
  })

  it('stops at the first resolver that throws, sync or async', async () => {
    const error = new PolarSessionError('unauthenticated', 'The bearer token has expired.', { status: 401 })
    const after = vi.fn(() => ({ externalCustomerId: 'fallback' }))
    await expect(
      firstOf(
        anonymous,
        () => {
          throw error
        },
        after,
      )({}),
    ).rejects.toBe(error)
    await expect(firstOf(() => Promise.reject(error), after)({})).rejects.toBe(error)
    expect(after).not.toHaveBeenCalled()
  })

  it.each([
    ['nothing', () => firstOf(), /at least one resolver/],
    ['a non-function', () => firstOf(anonymous, 'fromUser' as never), /resolver 2 is a string, not a function/],
    ['null', () => firstOf(null as never), /resolver 1 is null/],
  ])('refuses %s at construction', (_name, build, message) => {
    expect(build).toThrow(TypeError)
    expect(build).toThrow(message)
  })
})

describe('firstOf(fromJwt, fromUser)', () => {
  let secret: Uint8Array
  let identify: IdentityResolver<HttpRequestLike & { user?: { id: string } }>
  beforeAll(async () => {
    secret = await hmacSecret()
    identify = firstOf(fromJwt({ secret, algorithms: ['HS256'] }), fromUser('user.id'))
  })

  it('infers the narrower request type', () => {
    const combined = firstOf(fromJwt({ secret: 'x'.repeat(32), algorithms: ['HS256'] }), fromUser())
    expectTypeOf(combined).toEqualTypeOf<IdentityResolver<HttpRequestLike>>()
    interface AppRequest {
      headers: Record<string, string | undefined>
      user?: { id: string }
    }
    const typed = firstOf(
      fromJwt({ secret: 'x'.repeat(32), algorithms: ['HS256'] }),
      fromUser((req: AppRequest) => req.user?.id),
    )
    expectTypeOf(typed).toEqualTypeOf<IdentityResolver<AppRequest>>()
  })

  it('prefers a valid bearer token, falls back to the session user without one', async () => {
    const token = await sign({ sub: 'usr_api' }, secret, 'HS256')
    await expect(
      identify({ headers: { authorization: `Bearer ${token}` }, user: { id: 'usr_session' } }),
    ).resolves.toEqual({
      externalCustomerId: 'usr_api',
    })
    await expect(identify({ headers: {}, user: { id: 'usr_session' } })).resolves.toEqual({
      externalCustomerId: 'usr_session',
    })
    await expect(identify({ headers: {} })).resolves.toBeNull()
  })

  it('a forged or expired token is a 401, never a fall-through to the session user', async () => {
    const expired = await sign({ sub: 'usr_api' }, secret, 'HS256', { exp: nowSec() - 600 })
    const forged = await sign({ sub: 'usr_admin' }, await hmacSecret(), 'HS256')
    for (const token of [expired, forged]) {
      await expect(
        identify({ headers: { authorization: `Bearer ${token}` }, user: { id: 'usr_session' } }),
      ).rejects.toMatchObject({
        code: 'unauthenticated',
        status: 401,
      })
    }
  })
})
