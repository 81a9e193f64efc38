// Shared set-up of this package's tests: both Koa majors, the fake Polar, a fresh
// polar-session instance per test, and a guard against unhandled rejections.
import { createRequire } from 'node:module'
import { createPolarSessions, type PolarSessions, type PolarSessionsOptions } from '@polar-session/core'
import { startFakePolar, type FakePolar, type FakeSession } from '@polar-session/testing'
import Koa3, { type Context } from 'koa'
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest'

const require = createRequire(import.meta.url)
/**
 * `koa2` is an npm alias of koa@2 (CommonJS; @types/koa describes the `koa` name only):
 * required directly, typed as the Koa 3 class, whose surface the tests share.
 */
const Koa2 = require('koa2') as typeof Koa3

/** The majors every suite runs against. */
export const MAJORS = [
  { major: 'koa 3', Koa: Koa3, version: (require('koa/package.json') as { version: string }).version },
  { major: 'koa 2', Koa: Koa2, version: (require('koa2/package.json') as { version: string }).version },
] as const

/** The app's own origin in the tests: requests carry `Host: app.example.com`. */
export const APP_HOST = 'app.example.com'
export const APP_ORIGIN = `http://${APP_HOST}`

/** Identifies a request by its `x-user` header: `identify(ctx)`. */
export const identifyByHeader = (ctx: Context) => {
  const user = ctx.get('x-user')
  return user ? { externalCustomerId: user } : null
}

export interface Fixture {
  fake: FakePolar
  /** Sessions the fake issued during the current test, oldest first. */
  newSessions(): FakeSession[]
  /** A fresh instance (empty cache) per call, closed after the test. */
  polar(overrides?: Partial<PolarSessionsOptions<Context>>): PolarSessions<Context>
}

/** Starts the fake Polar for the file and checks that no test leaves a rejection unhandled. */
export function useFixture(): Fixture {
  const opened: PolarSessions<Context>[] = []
  const unhandled: unknown[] = []
  let sessionsBefore = new Set<string>()
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason)
  }
  const fixture = {
    fake: undefined as unknown as FakePolar,
    newSessions: () => fixture.fake.sessions().filter((session) => !sessionsBefore.has(session.id)),
    polar(overrides: Partial<PolarSessionsOptions<Context>> = {}) {
      const instance = createPolarSessions<Context>({
        accessToken: fixture.fake.accessToken,
        baseUrl: fixture.fake.url,
        identify: identifyByHeader,
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
    await new Promise((resolve) => setImmediate(resolve))
    expect(unhandled, 'unhandled rejections').toEqual([])
  })
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled)
    await fixture.fake?.close()
  })
  return fixture
}

/** The refused return URLs: off-site, protocol-relative, scheme tricks, backslash, userinfo. */
export const HOSTILE_RETURN_URLS = [
  'https://evil.example/',
  '//evil.example',
  'https:evil.example',
  'javascript:alert(1)',
  '/\\evil.example',
  'https://app.example.com@evil.example',
] as const
