// A seam for the OpenAPI contract check of this repository's test runs: when a
// function is installed under this well-known symbol on globalThis, the fake
// reports every answer it writes to it. A symbol on globalThis rather than an
// option, so that one observer sees every fake of a test run, whichever copy of
// the package (source or build) started it. Without an observer this costs one
// property read per answer.

export const ANSWER_OBSERVER = Symbol.for('@polar-session/testing:answer-observer')

export interface ObservedAnswer {
  method: string
  /** As stats count it: 'POST /v1/customer-sessions/', 'GET /v1/customers/{id}', 'GET /{slug}/portal', … */
  routeKey: string
  status: number
  headers: Readonly<Record<string, string>>
  body: string
  /** The fault this request took, if any: its answer may be broken on purpose. */
  fault: string | undefined
}

export function observeAnswer(answer: ObservedAnswer): void {
  const observer = (globalThis as Record<symbol, unknown>)[ANSWER_OBSERVER]
  if (typeof observer !== 'function') return
  try {
    observer(answer)
  } catch {
    // An observer's bug must not break the fake.
  }
}
