// Shared set-up of this package's tests: both Express majors, the fake Polar, a fresh
// polar-session instance per test, and a guard against unhandled rejections (the fixture the
// adapter suites in test/support/adapter-suites share).
import { createRequire } from 'node:module'
import express5, { type Request } from 'express'
import { type Fixture, useAdapterFixture } from '../../../../test/support/adapter-suites/fixture.js'

/**
 * `express4` is an npm alias of express@4 (CommonJS, no types of its own): required directly,
 * typed as the express 5 factory, whose app/request/response surface the tests share.
 */
const express4 = createRequire(import.meta.url)('express4') as typeof express5

/** The majors every suite runs against. */
export const MAJORS = [
  {
    major: 'express 5',
    express: express5,
    version: (createRequire(import.meta.url)('express/package.json') as { version: string }).version,
  },
  {
    major: 'express 4',
    express: express4,
    version: (createRequire(import.meta.url)('express4/package.json') as { version: string }).version,
  },
] as const

export { APP_HOST, APP_ORIGIN, HOSTILE_RETURN_URLS } from '../../../../test/support/adapter-suites/fixture.js'

/** Starts the fake Polar for the file; fresh instances whose `identify` reads the `x-user` header. */
export const useFixture = (): Fixture<Request> => useAdapterFixture<Request>((req, name) => req.get(name))
