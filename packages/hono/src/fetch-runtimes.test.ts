// The package runs on any Fetch runtime Hono supports (Bun, Deno, Workers): its own modules use
// Web APIs only. Core is reached through its Fetch-API pieces; this guards the adapter's path.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const here = fileURLToPath(new URL('.', import.meta.url))
/** A module's code without its comments (their examples mention process.env). */
const code = (file: string) =>
  readFileSync(join(here, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
const sources = (readdirSync(here, { recursive: true }) as string[]).filter(
  // What ships: tests and their helpers (test-support/) run on Node and are not published.
  (file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.startsWith('test-support'),
)

it('imports nothing from node: and uses no Node global (Buffer, process)', () => {
  expect(sources.length).toBeGreaterThanOrEqual(6)
  const offending = sources.filter((file) => /from ['"]node:|\bBuffer\b|\bprocess\.|\brequire\(/.test(code(file)))
  expect(offending).toEqual([])
})

it('takes from core only the main entry and the adapter kit', () => {
  const imports = sources.flatMap((file) =>
    [...code(file).matchAll(/from '(@polar-session\/[^']+)'/g)].map((m) => m[1]),
  )
  expect(new Set(imports)).toEqual(new Set(['@polar-session/core', '@polar-session/core/adapter']))
})
