import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { USER_AGENT, VERSION } from './version.js'

it('VERSION matches package.json and the User-Agent names the package', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  expect(VERSION).toBe(pkg.version)
  expect(USER_AGENT).toMatch(/^@polar-session\/core\/\d+\.\d+\.\d+ node\/\d+/)
})
