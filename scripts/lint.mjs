#!/usr/bin/env node
// `pnpm lint`: Biome (lint + format check) over the repository, then the published packages as npm
// would get them: `pnpm pack` each one (its prepack builds it), then publint and attw on the tarballs,
// and checks of what the tarballs hold, then the API reference (typedoc, no warnings). Runs every
// step and fails if any failed.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)
const REPOSITORY = 'git+https://github.com/polar-session/polar-session.git'
const failures = []

/** Runs one check; with `quiet`, its output is shown only when it fails. */
function step(name, command, args, { quiet = false } = {}) {
  console.log(`\nlint: ${name}`)
  const result = spawnSync(command, args, { cwd: root, stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8' })
  if (result.status === 0) return true
  if (quiet) process.stdout.write(`${result.stdout ?? ''}${result.stderr ?? ''}`)
  failures.push(`${name} (exit ${result.status ?? result.signal})`)
  return false
}

/** Markdown link targets that only work inside the repository (relative paths). */
function relativeLinks(markdown) {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '')
  const targets = [
    ...[...withoutCode.matchAll(/\]\(\s*<?([^)\s>]+)/g)].map((m) => m[1]),
    ...[...withoutCode.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]),
  ]
  return targets.filter((target) => !/^(https?:|mailto:|#)/.test(target))
}

/** What a tarball must hold beyond what publint and attw check. */
function checkTarball(dir, folder) {
  const problems = []
  const has = (file) => existsSync(join(dir, file))
  for (const file of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
    if (!has(file)) problems.push(`${file} is missing`)
  }
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  if (pkg.repository?.url !== REPOSITORY) problems.push(`repository.url is not ${REPOSITORY}`)
  if (pkg.repository?.directory !== `packages/${folder}`)
    problems.push(`repository.directory is not packages/${folder}`)
  if (typeof pkg.homepage !== 'string' || !pkg.homepage.startsWith('https://')) problems.push('homepage is missing')
  if (typeof pkg.bugs?.url !== 'string') problems.push('bugs.url is missing')
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [name, range] of Object.entries(pkg[field] ?? {})) {
      if (String(range).startsWith('workspace:')) problems.push(`${field}.${name} is still ${range}`)
    }
  }
  if (has('LICENSE') && readFileSync(join(dir, 'LICENSE'), 'utf8') !== readFileSync(join(root, 'LICENSE'), 'utf8')) {
    problems.push('LICENSE differs from the repository root LICENSE')
  }
  if (has('README.md')) {
    for (const link of relativeLinks(readFileSync(join(dir, 'README.md'), 'utf8'))) {
      problems.push(`README.md links to "${link}", which does not exist outside the repository: use an absolute URL`)
    }
  }
  // Every source map (JS and declaration) must point at files the tarball holds.
  const walk = (sub) =>
    readdirSync(join(dir, sub), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(posix.join(sub, entry.name)) : [posix.join(sub, entry.name)],
    )
  const maps = has('dist') ? walk('dist').filter((file) => file.endsWith('.map')) : []
  if (maps.length === 0) problems.push('dist/ holds no source maps (was the package built?)')
  for (const map of maps) {
    const { sources = [] } = JSON.parse(readFileSync(join(dir, map), 'utf8'))
    for (const source of sources) {
      const target = posix.join(posix.dirname(map), source)
      if (!has(target)) problems.push(`${map} points at ${target}, which is not in the tarball`)
    }
  }
  return problems
}

// 1. Biome: lint rules and formatting (`pnpm format` rewrites).
step('biome check', bin('biome'), ['check', '.'])

// 2. Pack every published package as `pnpm publish` would (workspace: ranges rewritten, prepack run).
const work = mkdtempSync(join(tmpdir(), 'polar-session-lint-'))
try {
  const packed = step(
    'pnpm pack (prepack builds each package)',
    'pnpm',
    ['-r', '--filter', './packages/*', 'pack', '--pack-destination', work],
    { quiet: true },
  )
  const tarballs = packed ? readdirSync(work).filter((file) => file.endsWith('.tgz')) : []
  if (packed && tarballs.length === 0) failures.push('pnpm pack wrote no tarball')
  for (const tarball of tarballs) {
    const file = join(work, tarball)
    const folder = tarball.replace(/^polar-session-/, '').replace(/-\d+\.\d+\.\d+.*\.tgz$/, '')
    step(`publint ${tarball}`, bin('publint'), ['run', '--strict', file])
    // ESM-only on purpose: require(esm) works on Node >= 20.19, which every package requires, so
    // "CJS resolves to ESM" is expected. node10, node16 and bundler resolution are all still checked.
    step(`attw ${tarball}`, bin('attw'), [file, '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'table-flipped'])
    console.log(`\nlint: contents of ${tarball}`)
    const dir = join(work, folder)
    execFileSync('tar', ['-xzf', file, '-C', work])
    rmSync(dir, { recursive: true, force: true })
    renameSync(join(work, 'package'), dir)
    const problems = checkTarball(dir, folder)
    for (const problem of problems) console.log(`  ✗ ${problem}`)
    if (problems.length > 0) failures.push(`contents of ${tarball} (${problems.length} problems)`)
    else console.log('  ok: README, LICENSE, CHANGELOG, repository fields, no workspace: ranges, source maps resolve')
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}

// 3. The API reference (`pnpm run docs`) builds from the TSDoc with no warning: broken links and
// types it cannot show fail here, not on the day someone publishes the docs. Runs after the packs,
// which built every package's dist/ (the adapters' types import core's).
step('typedoc (API reference, no warnings)', bin('typedoc'), ['--emit', 'none', '--treatWarningsAsErrors'])

if (failures.length > 0) {
  console.log(`\nlint: FAILED: ${failures.join('; ')}`)
  process.exit(1)
}
console.log('\nlint: ok')
