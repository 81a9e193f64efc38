#!/usr/bin/env node
// After `changeset version`: writes @polar-session/core's new version into packages/core/src/version.ts,
// whose VERSION names the package in the User-Agent sent to Polar (a test keeps the two equal).
import { readFileSync, writeFileSync } from 'node:fs'

const pkgUrl = new URL('../packages/core/package.json', import.meta.url)
const fileUrl = new URL('../packages/core/src/version.ts', import.meta.url)
const { version } = JSON.parse(readFileSync(pkgUrl, 'utf8'))
const source = readFileSync(fileUrl, 'utf8')
const updated = source.replace(/export const VERSION = '[^']*'/, `export const VERSION = '${version}'`)
if (!updated.includes(`export const VERSION = '${version}'`)) {
  console.error('sync-version: no `export const VERSION = …` line in packages/core/src/version.ts')
  process.exit(1)
}
if (updated !== source) writeFileSync(fileUrl, updated)
console.log(`sync-version: @polar-session/core ${version}`)
