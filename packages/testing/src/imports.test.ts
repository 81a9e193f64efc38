import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// Import cycles make module order matter (a value read before its module ran is undefined)
// and tangle files that should be read alone. Type-only imports count too: they tie the
// files together for a reader just the same.
const dir = fileURLToPath(new URL('.', import.meta.url))
const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.includes('.test'))

function localImports(file: string): string[] {
  const text = readFileSync(`${dir}/${file}`, 'utf8')
  return [...text.matchAll(/\bfrom\s+'\.\/([\w.-]+)\.js'/g)].map((m) => `${m[1]}.ts`)
}

/** Every cycle, each as the path that closes it (a → b → a). */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const walk = (node: string, path: string[]) => {
    state.set(node, 'open')
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open')
        found.push([...path.slice(path.indexOf(next)), node, next].filter((n, i, a) => i === 0 || n !== a[i - 1]))
      else if (!state.has(next)) walk(next, [...path, node])
    }
    state.set(node, 'done')
  }
  for (const node of graph.keys()) if (!state.has(node)) walk(node, [])
  return found
}

describe('module structure', () => {
  it('the cycle finder finds a cycle', () => {
    expect(
      cycles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', ['a.ts']],
        ]),
      ),
    ).toEqual([['a.ts', 'b.ts', 'a.ts']])
  })

  it('the package has no import cycle (router, routes and handlers share types through request.ts)', () => {
    const graph = new Map(sources.map((file) => [file, localImports(file)]))
    expect(graph.get('handlers.ts')).toContain('request.ts')
    expect(cycles(graph)).toEqual([])
  })
})
