import { startFakePolar, type FakePolar } from '@polar-session/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPolarSessions, type PolarSessions } from '../create-polar-sessions.js'
import type { PolarIdentity } from '../types.js'
import { sessionMiddleware, type SessionTarget } from './session-middleware.js'

// The hot path of every adapter: a cache hit with a synchronous identify gives its answer at
// once, with no promise; everything else is a promise, and a failure is never a throw.

interface FakeRequest {
  user: string | null
}

let fake: FakePolar
beforeAll(async () => {
  fake = await startFakePolar()
  for (const user of ['sync_1', 'sync_2', 'sync_3']) fake.addCustomer({ externalId: user, email: `${user}@acme.dev` })
})
afterAll(() => fake.close())

const byUser = (request: FakeRequest): PolarIdentity | null =>
  request.user === null ? null : { externalCustomerId: request.user }

function instance(identify: (request: FakeRequest) => PolarIdentity | null | Promise<PolarIdentity | null>) {
  return createPolarSessions<FakeRequest>({ accessToken: fake.accessToken, baseUrl: fake.url, identify })
}

const facts = { returnTo: undefined, origin: '' }

async function warm(polar: PolarSessions<FakeRequest>, user: string): Promise<void> {
  await polar.getSession({ externalCustomerId: user })
}

describe('sessionMiddleware().run: answered at once when the session is at hand', () => {
  it('eager attach: a miss is a promise (it creates), then a hit is the answer itself', async () => {
    const polar = instance(byUser)
    const middleware = sessionMiddleware('test', polar, { lazy: false })
    fake.stats.reset()
    const first: SessionTarget = {}
    const pending = middleware.run({ user: 'sync_1' }, facts, first)
    expect(pending).toBeInstanceOf(Promise)
    expect(await pending).toBeNull()
    expect(first.polarSession?.customer.externalId).toBe('sync_1')

    const second: SessionTarget = {}
    const now = middleware.run({ user: 'sync_1' }, facts, second)
    expect(now).toBeNull()
    expect(second.polarSession?.token).toBe(first.polarSession?.token)
    expect(second.polarSessionError).toBeNull()
    expect(fake.stats.requests['POST /v1/customer-sessions/']).toBe(1)
    await polar.close()
  })

  it('lazy attach on the memory store never waits: hit or not, and getPolarSession() creates', async () => {
    const polar = instance(byUser)
    const middleware = sessionMiddleware('test', polar)
    const empty: SessionTarget = {}
    expect(middleware.run({ user: 'sync_2' }, facts, empty)).toBeNull()
    expect(empty.polarSession).toBeNull()
    const created = await empty.getPolarSession?.()
    expect(created?.customer.externalId).toBe('sync_2')
    expect(empty.polarSession).toBe(created)

    const hit: SessionTarget = {}
    expect(middleware.run({ user: 'sync_2' }, facts, hit)).toBeNull()
    expect(hit.polarSession?.token).toBe(created?.token)
    expect(await hit.getPolarSession?.()).toBe(hit.polarSession)
    const anonymous: SessionTarget = {}
    expect(middleware.run({ user: null }, facts, anonymous)).toBeNull()
    expect(anonymous).toMatchObject({ polarSession: null, polarSessionError: null })
    await polar.close()
  })

  it('redirect mode: a hit is the portal URL itself', async () => {
    const polar = instance(byUser)
    await warm(polar, 'sync_3')
    const middleware = sessionMiddleware('test', polar, { redirect: true })
    const url = middleware.run({ user: 'sync_3' }, facts, {})
    expect(typeof url).toBe('string')
    expect(url).toBe((await polar.getSession({ externalCustomerId: 'sync_3' })).customerPortalUrl)
    await polar.close()
  })

  it('an async identify is always a promise, even on a hit', async () => {
    const polar = instance(async (request) => byUser(request))
    await warm(polar, 'sync_1')
    const target: SessionTarget = {}
    const result = sessionMiddleware('test', polar, { lazy: false }).run({ user: 'sync_1' }, facts, target)
    expect(result).toBeInstanceOf(Promise)
    expect(await result).toBeNull()
    expect(target.polarSession?.customer.externalId).toBe('sync_1')
    await polar.close()
  })
})

describe('sessionMiddleware().run: failures are promises, never throws', () => {
  const broken = (): PolarIdentity => {
    throw new Error('the app’s own auth broke')
  }

  it('attach mode: an identify that throws resolves to no session and the error, counted', async () => {
    const polar = instance(broken)
    const target: SessionTarget = {}
    const result = sessionMiddleware('test', polar, { lazy: false }).run({ user: 'x' }, facts, target)
    expect(result).toBeInstanceOf(Promise)
    expect(await result).toBeNull()
    expect(target.polarSession).toBeNull()
    expect(target.polarSessionError?.code).toBe('internal_error')
    expect(polar.stats().errors.internal_error).toBe(1)
    await polar.close()
  })

  it('required: the same throw is a rejection with the app’s own error', async () => {
    const polar = instance(broken)
    let result: unknown
    expect(() => {
      result = sessionMiddleware('test', polar, { required: true }).run({ user: 'x' }, facts, {})
    }).not.toThrow()
    expect(result).toBeInstanceOf(Promise)
    await expect(result).rejects.toThrow('the app’s own auth broke')
    await polar.close()
  })

  it('required: an anonymous request is a rejected 401, and a closed instance rejects', async () => {
    const polar = instance(byUser)
    const middleware = sessionMiddleware('test', polar, { required: true })
    await expect(middleware.run({ user: null }, facts, {})).rejects.toMatchObject({
      code: 'unauthenticated',
      status: 401,
    })
    await polar.close()
    const afterClose = middleware.run({ user: 'sync_1' }, facts, {})
    expect(afterClose).toBeInstanceOf(Promise)
    await expect(afterClose).rejects.toThrow('closed')
  })
})
