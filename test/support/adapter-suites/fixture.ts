// What the adapter suites share: the fake Polar per file, a fresh polar-session instance per test
// (closed after it), a guard against unhandled rejections, and the hostile inputs.
import { createPolarSessions, type PolarSessions, type PolarSessionsOptions } from '@polar-session/core'
import { startFakePolar, type FakePolar, type FakeSession } from '@polar-session/testing'
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest'

/** The app's own origin in the suites: requests carry `Host: app.example.com`. */
export const APP_HOST = 'app.example.com'
export const APP_ORIGIN = `http://${APP_HOST}`

/** The refused return URLs: off-site, protocol-relative, scheme tricks, backslash, userinfo. */
export const HOSTILE_RETURN_URLS = [
  'https://evil.example/',
  '//evil.example',
  'https:evil.example',
  'javascript:alert(1)',
  '/\\evil.example',
  'https://app.example.com@evil.example',
] as const

export interface Fixture<Req> {
  fake: FakePolar
  /** Sessions the fake issued during the current test, oldest first. */
  newSessions(): FakeSession[]
  /** `POST /v1/customer-sessions/` requests the fake received during the current test. */
  posts(): number
  /** A fresh instance (empty cache) per call, closed after the test; `x-user` names the customer. */
  polar(overrides?: Partial<PolarSessionsOptions<Req>>): PolarSessions<Req>
  /** Unhandled rejections seen during the current test. */
  unhandled: unknown[]
}

/**
 * Starts the fake Polar for the file (with customer `usr_1`) and checks that no test leaves a
 * rejection unhandled. `header(request, name)` reads a header off the framework's request.
 */
export function useAdapterFixture<Req>(
  header: (request: Req, name: string) => string | null | undefined,
): Fixture<Req> {
  const opened: PolarSessions<Req>[] = []
  const unhandled: unknown[] = []
  let sessionsBefore = new Set<string>()
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
  const fixture: Fixture<Req> = {
    fake: undefined as unknown as FakePolar,
    newSessions: () => fixture.fake.sessions().filter((session) => !sessionsBefore.has(session.id)),
    posts: () => fixture.fake.stats.requests['POST /v1/customer-sessions/'] ?? 0,
    unhandled,
    polar(overrides = {}) {
      const instance = createPolarSessions<Req>({
        accessToken: fixture.fake.accessToken,
        baseUrl: fixture.fake.url,
        identify: (request) => {
          const user = header(request, 'x-user')
          return user ? { externalCustomerId: user } : null
        },
        allowedReturnOrigins: [APP_ORIGIN],
        ...overrides,
      })
      opened.push(instance)
      return instance
    },
  }
  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled)
    fixture.fake = await startFakePolar()
    fixture.fake.addCustomer({ externalId: 'usr_1', email: 'jane@example.com', name: 'Jane' })
  })
  beforeEach(() => {
    fixture.fake.clearFaults()
    fixture.fake.stats.reset()
    sessionsBefore = new Set(fixture.fake.sessions().map((session) => session.id))
    unhandled.length = 0
  })
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((instance) => instance.close()))
    // Let any stray promise settle before looking.
    await new Promise((resolve) => setImmediate(resolve))
    expect(unhandled, 'unhandled rejections').toEqual([])
  })
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled)
    await fixture.fake?.close()
  })
  return fixture
}
