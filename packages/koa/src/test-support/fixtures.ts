// Shared set-up of this package's tests: both Koa majors, the fake Polar, a fresh
// polar-session instance per test, and a guard against unhandled rejections (the fixture the
// adapter suites in test/support/adapter-suites share).
import { createRequire } from 'node:module'
import Koa3, { type Context } from 'koa'
import { type Fixture, useAdapterFixture } from '../../../../test/support/adapter-suites/fixture.js'

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

export { APP_HOST, APP_ORIGIN, HOSTILE_RETURN_URLS } from '../../../../test/support/adapter-suites/fixture.js'

/** Starts the fake Polar for the file; fresh instances whose `identify` reads the `x-user` header. */
export const useFixture = (): Fixture<Context> => useAdapterFixture<Context>((ctx, name) => ctx.get(name))
