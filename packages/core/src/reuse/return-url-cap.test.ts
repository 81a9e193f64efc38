// maxReturnUrlsPerCustomer, through createPolarSessions against the fake over real HTTP.
import { startFakePolar, type FakePolar } from '@polar-session/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { captureLogs } from '../test-support/log-capture.js'
import { instancesOn } from '../test-support/instances.js'

const APP = 'https://app.example.com'
const DEFAULT_RETURN_URL = `${APP}/account`
let fake: FakePolar
const logs = captureLogs()
const { sessions, closeAll } = instancesOn(() => fake, logs, { returnUrl: DEFAULT_RETURN_URL })

const creations = (): number => fake.stats.sessionsCreated

beforeAll(async () => {
  fake = await startFakePolar()
  for (let i = 0; i < 3; i++) fake.addCustomer({ externalId: `cap_user_${i}`, email: `cap${i}@example.com` })
})

afterEach(async () => {
  fake.clearFaults()
  fake.stats.reset()
  logs.lines.length = 0
  await closeAll()
})

afterAll(async () => {
  await fake.close()
})

describe('maxReturnUrlsPerCustomer', () => {
  it('past the cap, the identity gets its session for the default return URL: 3 + 1 creations for 50 URLs', async () => {
    const polar = sessions()
    const identity = { externalCustomerId: 'cap_user_0' }
    const got = []
    for (let i = 0; i < 50; i++) got.push(await polar.getSession(identity, { returnUrl: `${APP}/account?i=${i}` }))
    expect(creations()).toBe(4)
    expect(got.slice(0, 3).map((s) => s.returnUrl)).toEqual([0, 1, 2].map((i) => `${APP}/account?i=${i}`))
    for (const session of got.slice(3)) {
      expect(session.returnUrl).toBe(DEFAULT_RETURN_URL)
      expect(session).toBe(got[3])
    }
    // The first three keep their own sessions; the default one is shared by everything past the cap.
    expect((await polar.getSession(identity, { returnUrl: `${APP}/account?i=1` })).returnUrl).toBe(`${APP}/account?i=1`)
    expect(await polar.getSession(identity)).toBe(got[3])
    expect(creations()).toBe(4)
    expect(logs.lines.filter((line) => line.includes('maxReturnUrlsPerCustomer'))).toHaveLength(1)
  })

  it('is per identity: another user still gets their own return URLs', async () => {
    const polar = sessions({ maxReturnUrlsPerCustomer: 1 })
    await polar.getSession({ externalCustomerId: 'cap_user_0' }, { returnUrl: `${APP}/a` })
    await polar.getSession({ externalCustomerId: 'cap_user_0' }, { returnUrl: `${APP}/b` })
    const other = await polar.getSession({ externalCustomerId: 'cap_user_1' }, { returnUrl: `${APP}/b` })
    expect(other.returnUrl).toBe(`${APP}/b`)
    expect(creations()).toBe(3) // user 0: /a and the default; user 1: /b
  })

  it('concurrent distinct URLs cannot race past the cap', async () => {
    const polar = sessions()
    const identity = { externalCustomerId: 'cap_user_2' }
    await Promise.all(Array.from({ length: 200 }, (_, i) => polar.getSession(identity, { returnUrl: `${APP}/x?${i}` })))
    expect(creations()).toBe(4)
  })

  it('a failed creation gives its slot back', async () => {
    const polar = sessions({ maxReturnUrlsPerCustomer: 1, deadlineMs: 1_000 })
    const identity = { externalCustomerId: 'cap_user_0' }
    fake.fail({ kind: 'status', status: 500 }, { rate: 1 })
    await expect(polar.getSession(identity, { returnUrl: `${APP}/a` })).rejects.toMatchObject({
      code: 'polar_unavailable',
    })
    fake.clearFaults()
    expect((await polar.getSession(identity, { returnUrl: `${APP}/b` })).returnUrl).toBe(`${APP}/b`)
  })

  it('0 means no per-request return URL ever gets its own session', async () => {
    const polar = sessions({ maxReturnUrlsPerCustomer: 0 })
    const session = await polar.getSession({ externalCustomerId: 'cap_user_1' }, { returnUrl: `${APP}/a` })
    expect(session.returnUrl).toBe(DEFAULT_RETURN_URL)
    expect(() => sessions({ maxReturnUrlsPerCustomer: -1 })).toThrow(/maxReturnUrlsPerCustomer/)
  })
})
