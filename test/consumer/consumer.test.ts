// What a new user gets from npm: the four packages are packed (pnpm pack, as publish would), installed
// with plain npm into scratch apps in a temp dir outside the workspace, compiled and run, each serving
// real HTTP requests against the fake Polar of @polar-session/testing, itself from its tarball.
//
//   Express 5 + TypeScript, strict, skipLibCheck: false, built twice: "module": "nodenext" and
//     "moduleResolution": "bundler"; uses the typed error handler of packages/express/README.md.
//   node10 ("module": "commonjs"): the types of every entry point, @polar-session/core/redis included.
//   Koa 3 in plain ESM JavaScript; uses the error middleware of packages/koa/README.md.
//   A .cjs file that require()s core and core/redis (require(esm)), under --enable-source-maps: stack
//     traces from inside the core name its TypeScript sources, which must exist in the install.
//   Every `import { … } from '@polar-session/…'` in the READMEs and docs/ names a real export.
//
// Packing skips prepack: `pnpm test` has just built dist/, and rebuilding it here would rewrite files
// other test files are importing. One npm install serves all the apps, and one `tsc -b` builds the three
// TypeScript configurations (it parses the shared .d.ts files once); skipDefaultLibCheck only spares
// checking TypeScript's own lib.*.d.ts. Set KEEP_CONSUMER_APP=1 to keep the scratch directory.
import { spawn } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const repo = fileURLToPath(new URL('../../', import.meta.url))
const fixtures = fileURLToPath(new URL('./app/', import.meta.url))
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc')
const PACKAGES = ['core', 'express', 'fastify', 'hono', 'koa', 'testing'] as const
const ENTRY_POINTS = [
  '@polar-session/core',
  '@polar-session/core/redis',
  '@polar-session/express',
  '@polar-session/fastify',
  '@polar-session/hono',
  '@polar-session/koa',
  '@polar-session/testing',
]
const MARKER = '<!-- checked by test/consumer/consumer.test.ts -->'

interface Run {
  code: number | null
  stdout: string
  stderr: string
  ms: number
}

/** Runs a command to completion; never rejects (a failure is in `code` and `stderr`). */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const started = performance.now()
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', (error) => resolve({ code: -1, stdout, stderr: `${stderr}${error.message}`, ms: 0 }))
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) }))
  })
}

/** The environment for npm: without what pnpm sets for its own scripts (npm would warn about it). */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { npm_config_update_notifier: 'false' }
  for (const [key, value] of Object.entries(process.env)) {
    if (
      /^npm_/i.test(key) &&
      !/^npm_config_(registry|cache|userconfig|(https?_)?proxy|noproxy|cafile|strict_ssl)$/i.test(key)
    ) {
      continue
    }
    env[key] = value
  }
  return env
}

/** The code block that follows the marker in a README, as a module that installs it on `app`. */
async function readmeSnippet(pkg: 'express' | 'koa', appType: string): Promise<string> {
  const readme = await readFile(join(repo, 'packages', pkg, 'README.md'), 'utf8')
  const at = readme.indexOf(MARKER)
  if (at === -1) throw new Error(`packages/${pkg}/README.md has no ${MARKER} before its error-handler snippet`)
  const block = /```(?:ts|js)\n([\s\S]*?)```/.exec(readme.slice(at))
  if (block?.[1] === undefined) throw new Error(`no code block after the marker in packages/${pkg}/README.md`)
  const lines = block[1].split('\n')
  const imports = lines.filter((line) => line.startsWith('import '))
  const body = lines.filter((line) => !line.startsWith('import '))
  return [
    `// Generated from packages/${pkg}/README.md by test/consumer/consumer.test.ts.`,
    ...imports,
    `export function useReadmeErrorHandler(app${appType}) {`,
    ...body,
    '}',
    '',
  ].join('\n')
}

/** `import { a, b as c } from '@polar-session/…'` in the Markdown files: [file, specifier, name]. */
async function documentedImports(): Promise<[string, string, string][]> {
  const files = ['README.md', ...PACKAGES.map((name) => `packages/${name}/README.md`)]
  for (const file of await readdir(join(repo, 'docs'))) if (file.endsWith('.md')) files.push(`docs/${file}`)
  const found: [string, string, string][] = []
  for (const file of files) {
    const text = await readFile(join(repo, file), 'utf8')
    for (const match of text.matchAll(/^import\s+\{([^}]*)\}\s+from\s+'(@polar-session\/[^']+)'/gm)) {
      for (const part of match[1]!.split(',')) {
        const name = part.trim().split(/\s+as\s+/)[0]!
        if (name !== '' && !name.startsWith('type ')) found.push([file, match[2]!, name])
      }
    }
  }
  return found
}

/** The one JSON line an app prints, or a failure that shows what it said. */
function report(result: Run): Record<string, any> {
  expect(result.code, `exit ${result.code}\n${result.stdout}\n${result.stderr}`).toBe(0)
  const line = result.stdout.trim().split('\n').at(-1) ?? ''
  return JSON.parse(line)
}

let work = ''
let app = ''
let install: Run | undefined
let tarballs: string[] = []
const CONFIGS = ['nodenext', 'bundler', 'node10'] as const
let build: Promise<Run> | undefined
const started = performance.now()

beforeAll(async () => {
  work = await realpath(await mkdtemp(join(tmpdir(), 'polar-session-consumer-')))
  if (!relative(repo, work).startsWith('..')) throw new Error(`the scratch directory ${work} is inside the workspace`)
  app = join(work, 'app')

  const packDir = join(work, 'tarballs')
  const pack = await run(
    'pnpm',
    ['-r', '--filter', './packages/*', '--config.ignore-scripts=true', 'pack', '--pack-destination', packDir],
    repo,
  )
  expect(pack.code, pack.stderr).toBe(0)
  tarballs = (await readdir(packDir)).filter((file) => file.endsWith('.tgz')).sort()

  await mkdir(app)
  await cp(fixtures, app, { recursive: true })
  await writeFile(
    join(app, 'src', 'readme-error-handler.ts'),
    await readmeSnippet('express', ': import("express").Express'),
  )
  await writeFile(join(app, 'src', 'readme-error-handler-koa.js'), await readmeSnippet('koa', ''))

  const workspace = async (path: string) => JSON.parse(await readFile(join(repo, path), 'utf8'))
  const [root, express, koa, fastify, hono] = await Promise.all([
    workspace('package.json'),
    workspace('packages/express/package.json'),
    workspace('packages/koa/package.json'),
    workspace('packages/fastify/package.json'),
    workspace('packages/hono/package.json'),
  ])
  const dependencies: Record<string, string> = {
    express: express.devDependencies.express,
    '@types/express': express.devDependencies['@types/express'],
    koa: koa.devDependencies.koa,
    // The peers of the Fastify and Hono adapters, so their entry points load.
    fastify: fastify.devDependencies.fastify,
    hono: hono.devDependencies.hono,
    '@types/node': root.devDependencies['@types/node'],
  }
  for (const name of PACKAGES) {
    const tarball = tarballs.find((file) => file.startsWith(`polar-session-${name}-`))
    if (tarball !== undefined) dependencies[`@polar-session/${name}`] = `file:${join(packDir, tarball)}`
  }
  await writeFile(
    join(app, 'package.json'),
    `${JSON.stringify({ name: 'polar-session-consumer', private: true, type: 'module', dependencies }, null, 2)}\n`,
  )

  install = await run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      '--ignore-scripts',
      '--loglevel=error',
    ],
    app,
    npmEnv(),
  )
  expect(install.code, install.stderr).toBe(0)

  build = run(process.execPath, [tsc, '-b', '--verbose', ...CONFIGS.map((config) => `tsconfig.${config}.json`)], app)
}, 300_000)

afterAll(async () => {
  await build
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  console.log(`consumer: ${seconds} s in all (npm install ${((install?.ms ?? 0) / 1000).toFixed(1)} s) in ${work}`)
  if (work !== '' && process.env['KEEP_CONSUMER_APP'] !== '1') await rm(work, { recursive: true, force: true })
})

describe('the packed packages, installed with npm outside the workspace', () => {
  it('packs the six packages, and npm installs them with Express 5, Koa 3, Fastify 5 and Hono 4', async () => {
    expect(tarballs.map((file) => file.replace(/-\d+\.\d+\.\d+.*$/, ''))).toEqual(
      PACKAGES.map((name) => `polar-session-${name}`),
    )
    const installed = await readdir(join(app, 'node_modules', '@polar-session'))
    expect(installed.sort()).toEqual([...PACKAGES])
    // The adapters' dependency on core is the one tarball, not a second copy (or one from the registry).
    for (const adapter of ['express', 'koa', 'fastify', 'hono']) {
      const nested = await readdir(join(app, 'node_modules', '@polar-session', adapter, 'node_modules')).catch(() => [])
      expect(nested).toEqual([])
    }
  })

  it('every import from @polar-session/* in the READMEs and docs names a real export', async () => {
    const listing = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const out = {}
        for (const s of ${JSON.stringify(ENTRY_POINTS)}) out[s] = Object.keys(await import(s))
        console.log(JSON.stringify(out))`,
      ],
      app,
    )
    const exports: Record<string, string[]> = report(listing)
    const imports = await documentedImports()
    expect(imports.length).toBeGreaterThan(10)
    const wrong = imports
      .filter(([, specifier, name]) => !exports[specifier]?.includes(name))
      .map(([file, specifier, name]) => `${file}: ${name} from ${specifier}`)
    expect(wrong).toEqual([])
  })

  it('compiles under nodenext, bundler and node10 ("module": "commonjs"), strict, skipLibCheck: false', async () => {
    const result = await build!
    const output = `${result.stdout}${result.stderr}`
    expect(output).toMatch(/Building project .*tsconfig\.node10\.json/)
    expect(output.match(/error TS\d+.*/g) ?? [], output).toEqual([])
    expect(result.code, output).toBe(0)
  }, 180_000)

  it.each(['nodenext', 'bundler'] as const)(
    'Express 5 (%s build) sends a signed-in user to the portal, once, and answers JSON errors',
    async (config) => {
      expect((await build!).code).toBe(0)
      const seen = report(await run(process.execPath, [`dist-${config}/server.js`], app))
      expect(seen.portal.status).toBe(303)
      expect(seen.portal.location).toMatch(
        new RegExp(`^${seen.fakeUrl}/acme/portal\\?customer_session_token=polar_mst_\\w+&email=jane%40example\\.com$`),
      )
      expect(seen.account).toEqual({ status: 200, body: { customerId: seen.customerId, error: null } })
      expect(seen.anonymous).toEqual({
        status: 401,
        body: { error: 'unauthenticated', message: 'Sign in to manage your billing.', status: 401 },
      })
      expect(seen.sessionsCreated).toBe(1)
    },
    180_000,
  )

  it('Koa 3 in plain ESM sends a signed-in user to the portal, once, and answers JSON errors', async () => {
    const seen = report(await run(process.execPath, ['src/koa-app.js'], app))
    expect(seen.portal.status).toBe(303)
    expect(seen.portal.location).toMatch(
      new RegExp(`^${seen.fakeUrl}/acme/portal\\?customer_session_token=polar_mst_\\w+&email=omar%40example\\.com$`),
    )
    expect(seen.account).toEqual({ status: 200, body: { customerId: seen.customerId, error: null } })
    expect(seen.anonymous).toEqual({
      status: 401,
      body: { error: 'unauthenticated', message: 'Sign in to manage your billing.', status: 401 },
    })
    expect(seen.sessionsCreated).toBe(1)
  }, 60_000)

  it('CommonJS require()s core and core/redis; source-mapped stack traces name files that exist', async () => {
    const seen = report(await run(process.execPath, ['--enable-source-maps', 'src/require.cjs'], app))
    expect(seen.exports).toEqual({
      createPolarSessions: 'function',
      isPolarSessionError: 'function',
      redisStore: 'function',
    })
    expect(seen.tokenPrefix).toBe('polar_mst_')
    expect(seen.portalOnFake).toBe(true)
    expect(seen.stackFiles.length).toBeGreaterThan(0)
    for (const frame of seen.stackFiles) {
      expect(frame.file).toMatch(/\/node_modules\/@polar-session\/core\/src\/.+\.ts$/)
      expect(frame.exists, frame.file).toBe(true)
    }
  }, 60_000)
})
