// Shared set-up of the fault, hostile and isolation suites: one fake Polar per file, fresh
// polar-session instances and apps per test (closed after it), the secret watch over
// everything, and a guard that fails a test leaving a rejection unhandled.
import { createPolarSessions, type PolarSessions, type PolarSessionsOptions } from '@polar-session/core'
import { startFakePolar, type FakeCustomerInput, type FakePolar, type FakePolarOptions } from '@polar-session/testing'
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest'
import { APP_ORIGIN, identify, startApp, type Framework, type TestApp } from './apps.js'
import { useSecretWatch, type LogLine, type SecretWatch } from './secret-watch.js'

export const SESSION_ROUTE = 'POST /v1/customer-sessions/'

/** Customers most suites use. Every email is a secret the watch looks for. */
export const CUSTOMERS: FakeCustomerInput[] = [
  { externalId: 'usr_1', email: 'jane@example.com', name: 'Jane' },
  { externalId: 'usr_2', email: 'joe+billing@example.com', name: 'Joe' },
  { externalId: 'usr_3', email: 'ann@example.org', name: 'Ann' },
]

export interface E2E {
  readonly fake: FakePolar
  readonly watch: SecretWatch
  /** Unhandled rejections seen during the current test. */
  readonly unhandled: unknown[]
  /** Log lines of the current test, optionally at one pino level (20 debug, 30 info, 40 warn, 50 error). */
  logs(level?: number): LogLine[]
  /** `POST /v1/customer-sessions/` requests the fake received during the current test. */
  posts(): number
  /** A fresh instance (empty cache) against the fake, logging to the watch; closed after the test. */
  polar(overrides?: Partial<PolarSessionsOptions<any>>): PolarSessions<any>
  /** A framework app over `polar` (default: a fresh instance), listening; closed after the test. */
  app(framework: Framework, polar?: PolarSessions<any>): Promise<TestApp>
}

export function useE2E(options: { seed?: FakeCustomerInput[]; fake?: FakePolarOptions } = {}): E2E {
  const watch = useSecretWatch()
  const instances: PolarSessions<any>[] = []
  const apps: TestApp[] = []
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
  let fake: FakePolar | undefined
  let logStart = 0
  let responseStart = 0

  const e2e: E2E = {
    get fake() {
      if (fake === undefined) throw new Error('the fake Polar is not started yet')
      return fake
    },
    watch,
    unhandled,
    logs: (level) => watch.logs(level, logStart),
    posts: () => e2e.fake.stats.requests[SESSION_ROUTE] ?? 0,
    polar(overrides = {}) {
      const instance = createPolarSessions<any>({
        accessToken: e2e.fake.accessToken,
        baseUrl: e2e.fake.url,
        identify,
        allowedReturnOrigins: [APP_ORIGIN],
        logger: watch.logger,
        ...overrides,
      })
      instances.push(instance)
      return instance
    },
    async app(framework, polar) {
      const app = await startApp(framework, polar ?? e2e.polar(), watch)
      apps.push(app)
      return app
    },
  }

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled)
    fake = await startFakePolar(options.fake)
    for (const customer of options.seed ?? CUSTOMERS) fake.addCustomer(customer)
    watch.fake(fake)
  })
  beforeEach(() => {
    e2e.fake.clearFaults()
    e2e.fake.setLatency(0)
    e2e.fake.stats.reset()
    unhandled.length = 0
    logStart = watch.logLines.length
    responseStart = watch.responses.length
  })
  afterEach(async () => {
    vi.restoreAllMocks()
    await Promise.all(apps.splice(0).map((app) => app.close()))
    await Promise.all(instances.splice(0).map((instance) => instance.close()))
    await new Promise((resolve) => setImmediate(resolve))
    expect(unhandled, 'unhandled rejections').toEqual([])
    // Every 503 tells the client when to come back, the first failures of an outage included.
    const bare503s = watch.responses
      .slice(responseStart)
      .filter((r) => r.status === 503 && !(Number(r.retryAfter) >= 1))
    expect(bare503s, '503 answers without Retry-After').toEqual([])
  })
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled)
    await fake?.close()
  })
  return e2e
}

const realNow = Date.now.bind(Date)

/** Sets the local clock (Date.now) `ms` ahead of the real one until the test ends (or the next call). */
export function advanceClock(ms: number): void {
  vi.spyOn(Date, 'now').mockImplementation(() => realNow() + ms)
}
