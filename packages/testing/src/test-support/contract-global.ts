// Vitest global setup (vitest.config.ts: globalSetup) for the OpenAPI contract check: a
// directory where each test file's setup reports its counts, and at the end of the run one
// line with the total, so a run shows how many of the fake's answers were validated.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'

interface Counts {
  validated: number
  spec: number
  extraErrorKey: number
  runtime: number
  skipped: number
  failures: number
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'polar-contract-'))
  project.provide('polarContractDir', dir)
  return () => {
    const total: Counts = { validated: 0, spec: 0, extraErrorKey: 0, runtime: 0, skipped: 0, failures: 0 }
    const files = readdirSync(dir)
    for (const file of files) {
      const counts = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Counts
      for (const key of Object.keys(total) as Array<keyof Counts>) total[key] += counts[key]
    }
    rmSync(dir, { recursive: true, force: true })
    if (files.length === 0) return
    console.log(
      `contract: ${total.validated} bodies validated (${total.spec} against Polar's OpenAPI schemas, ${total.extraErrorKey} of them ` +
        `422s with the runtime-only "error" key; ${total.runtime} against documented runtime-only shapes), ` +
        `${total.skipped} broken on purpose by faults, ${total.failures} mismatches, in ${files.length} test files`,
    )
  }
}
