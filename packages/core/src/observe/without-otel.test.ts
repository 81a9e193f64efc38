// @opentelemetry/api is an optional peer: an app that does not have it must be able to import
// and run the core. In this repository the api is installed (for the tests), so the built
// package is copied where it cannot be found: a scratch directory with a node_modules of
// @polar-session/core (package.json and dist/) and its two dependencies, nothing else.
import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startFakePolar, type FakePolar } from '@polar-session/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'

const coreDir = fileURLToPath(new URL('../../', import.meta.url))
let scratch: string
let fake: FakePolar

const SCRIPT = `
import { createRequire } from 'node:module'
const here = createRequire(import.meta.url)
const fromCore = createRequire(here.resolve('@polar-session/core/package.json'))
const resolvable = (require) => { try { require.resolve('@opentelemetry/api'); return true } catch { return false } }
const core = await import('@polar-session/core')
const polar = core.createPolarSessions({ accessToken: process.env.FAKE_TOKEN, baseUrl: process.env.FAKE_URL })
await polar.getSession({ externalCustomerId: 'usr_plain' })
await polar.getSession({ externalCustomerId: 'usr_plain' })
await polar.prefetch({ externalCustomerId: 'usr_prefetched' })
const stats = polar.stats()
await polar.close()
const loaded = Object.keys(here.cache).filter((path) => path.includes('opentelemetry'))
process.stdout.write(JSON.stringify({ resolvable: resolvable(here) || resolvable(fromCore), loaded, stats }))
`

beforeAll(async () => {
  fake = await startFakePolar()
  fake.addCustomer({ externalId: 'usr_plain', email: 'plain@example.com' })
  fake.addCustomer({ externalId: 'usr_prefetched', email: 'prefetched@example.com' })
  scratch = await mkdtemp(join(tmpdir(), 'polar-session-no-otel-'))
  const modules = join(scratch, 'node_modules')
  const core = join(modules, '@polar-session', 'core')
  await mkdir(core, { recursive: true })
  await cp(join(coreDir, 'package.json'), join(core, 'package.json'))
  await cp(join(coreDir, 'dist'), join(core, 'dist'), { recursive: true })
  // The dependencies themselves, linked: their real paths are outside the repository's reach of the api.
  for (const dependency of ['jose', 'lru-cache'])
    await symlink(await realpath(join(coreDir, 'node_modules', dependency)), join(modules, dependency), 'dir')
  await writeFile(join(scratch, 'run.mjs'), SCRIPT)
})

afterAll(async () => {
  await fake?.close()
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true })
})

it('@polar-session/core imports and runs without @opentelemetry/api installed', async () => {
  // Without NODE_PATH: the package managers' bin shims that start vitest point it into the repository.
  const { NODE_PATH: _, ...env } = process.env
  const { stdout } = await promisify(execFile)(process.execPath, ['run.mjs'], {
    cwd: scratch,
    env: { ...env, FAKE_TOKEN: fake.accessToken, FAKE_URL: fake.url },
  })
  const result = JSON.parse(stdout) as { resolvable: boolean; loaded: string[]; stats: Record<string, unknown> }
  expect(result.resolvable).toBe(false)
  expect(result.loaded).toEqual([])
  expect(result.stats).toMatchObject({
    cache: { hits: 1, misses: 1 },
    creations: 2,
    prefetch: { started: 1 },
    upstream: { requests: 2 },
  })
  expect(fake.stats.sessionsCreated).toBe(2)
})
