// Vitest setup file (vitest.config.ts: setupFiles) for the OpenAPI contract check: every
// answer any fake writes during a test file is recorded, and after the file they are all
// checked against Polar's OpenAPI schemas (openapi-contract.ts). A mismatch fails the file,
// naming the route, the status and what is wrong, never a body's values. Counts go to the
// directory the global setup provides, which prints the total at the end of the run.
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, inject } from 'vitest'
import { ANSWER_OBSERVER, type ObservedAnswer } from '../answer-observer.js'

declare module 'vitest' {
  export interface ProvidedContext {
    polarContractDir: string
  }
}

const answers: ObservedAnswer[] = []
;(globalThis as Record<symbol, unknown>)[ANSWER_OBSERVER] = (answer: ObservedAnswer) => {
  answers.push(answer)
}

afterAll(async () => {
  if (answers.length === 0) return
  // Loaded only by files that started a fake: the others pay nothing for ajv and the spec.
  const { checkAnswers } = await import('./openapi-contract.js')
  const summary = checkAnswers(answers.splice(0))
  const dir = inject('polarContractDir')
  if (dir)
    writeFileSync(join(dir, `${randomUUID()}.json`), JSON.stringify({ ...summary, failures: summary.failures.length }))
  if (summary.failures.length > 0) {
    const unique = [...new Set(summary.failures)]
    throw new Error(
      `contract: ${summary.failures.length} answer(s) of the fake do not match Polar's OpenAPI schemas:\n  ` +
        unique.slice(0, 10).join('\n  ') +
        (unique.length > 10 ? `\n  … and ${unique.length - 10} more kinds` : ''),
    )
  }
})
