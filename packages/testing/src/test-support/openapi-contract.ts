// The contract the fake keeps with Polar: every answer it writes must match what
// Polar's published OpenAPI document (its 2026-04 slice, polar-openapi-subset.json
// beside this file) says that route answers with that status, validated by a real
// JSON Schema validator (ajv in 2020-12 mode, the dialect of OpenAPI 3.1), with
// object schemas closed (no key the spec does not declare) so the fake cannot
// grow or lose a field unnoticed.
//
// Where Polar's runtime differs from its spec, this file says so explicitly:
// - 422 bodies carry a top-level `error` ("RequestValidationError" or
//   "PolarRequestValidationError", from request_validation_exception_handler)
//   that the spec's HTTPValidationError does not declare: it is checked apart,
//   and the rest must match the spec exactly;
// - answers the spec does not document at all (authlib's 401/403, Starlette's
//   404/405, the size check's 411/413, the rate limiter's empty 429, the plain
//   500, the proxy's HTML) are listed in RUNTIME_SHAPES, each with its source.
// Anything else fails.

import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import type { AnySchema, ErrorObject, ValidateFunction } from 'ajv'
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats'
import type { ObservedAnswer } from '../answer-observer.js'

export type Verdict =
  /** Validated against a schema of Polar's spec (`extraErrorKey`: a 422 with the runtime-only `error`). */
  | { ok: true; kind: 'spec'; schema: string; extraErrorKey: boolean }
  /** Validated against a runtime-only shape listed below. */
  | { ok: true; kind: 'runtime'; shape: string }
  /** An answer whose body is broken on purpose by an injected fault. */
  | { ok: true; kind: 'skipped'; why: string }
  | { ok: false; reason: string }

const SPEC_ID = 'polar-openapi'
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i
/** Faults whose answers are broken on purpose; the others (status faults, expired) still answer in shape. */
const BROKEN_ON_PURPOSE = new Set(['malformed-json', 'missing-fields'])
/** request_validation_exception_handler writes type(exc).__name__ there. */
const VALIDATION_ERROR_NAMES = ['RequestValidationError', 'PolarRequestValidationError']

interface RuntimeShape {
  name: string
  /** Where Polar (or what is in front of it) writes this answer. */
  source: string
  status: number[]
  /** A JSON schema for a JSON body, or the exact content-type and body of a non-JSON one. */
  json?: AnySchema
  text?: { contentType: RegExp; body?: string }
  routeKey?: RegExp
}

const detailOnly = (detail: string): AnySchema => ({
  type: 'object',
  properties: { detail: { const: detail } },
  required: ['detail'],
  additionalProperties: false,
})
const errorAndDetail = (error: string): AnySchema => ({
  type: 'object',
  properties: { error: { const: error }, detail: { type: 'string' } },
  required: ['error', 'detail'],
  additionalProperties: false,
})
const oauth2 = (error: string): AnySchema => ({
  type: 'object',
  properties: { error: { const: error }, error_description: { type: 'string' } },
  required: ['error', 'error_description'],
  additionalProperties: false,
})

/** Answers Polar sends that its OpenAPI document does not describe. */
export const RUNTIME_SHAPES: RuntimeShape[] = [
  {
    name: 'invalid_token',
    source: "authlib's InvalidTokenError via AuthSubjectMiddleware",
    status: [401],
    json: oauth2('invalid_token'),
  },
  {
    name: 'insufficient_scope',
    source: "Polar's InsufficientScopeError (authlib)",
    status: [403],
    json: oauth2('insufficient_scope'),
  },
  {
    name: 'route not found',
    source: "Starlette's 404 (no route, or APIVersionMiddleware)",
    status: [404],
    json: detailOnly('Not Found'),
  },
  { name: 'method not allowed', source: "Starlette's 405", status: [405], json: detailOnly('Method Not Allowed') },
  {
    name: 'body parse error',
    source: "FastAPI's 400 for a body it cannot decode",
    status: [400],
    json: detailOnly('There was an error parsing the body'),
  },
  { name: 'LengthRequired', source: 'MaxBodySizeMiddleware', status: [411], json: errorAndDetail('LengthRequired') },
  {
    name: 'RequestBodyTooLarge',
    source: 'MaxBodySizeMiddleware',
    status: [413],
    json: errorAndDetail('RequestBodyTooLarge'),
  },
  {
    name: 'rate limited',
    source: "asgi-ratelimit's 429: no body",
    status: [429],
    text: { contentType: /^$/, body: '' },
  },
  {
    name: 'redirect_slashes',
    source: "Starlette's 307 to the other spelling of the path",
    status: [307],
    text: { contentType: /^$/, body: '' },
  },
  {
    name: 'unhandled error',
    source: "Starlette's ServerErrorMiddleware",
    status: [500],
    text: { contentType: /^text\/plain; charset=utf-8$/, body: 'Internal Server Error' },
  },
  {
    name: 'proxy error page',
    source: 'the proxy in front of Polar',
    status: [502, 503, 504],
    text: { contentType: /^text\/html/ },
  },
  {
    name: 'portal page',
    source: "Polar's frontend (another host), not the API",
    status: [200, 401, 404],
    text: { contentType: /^text\/html/ },
    routeKey: / \/\{slug\}\/portal$/,
  },
]

// ---------------------------------------------------------------- the validator

interface Contract {
  doc: { paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, unknown> }> }>> }
  validate(ref: string): ValidateFunction
  runtime: Map<RuntimeShape, ValidateFunction>
}

let contract: Contract | undefined

/** Compiles lazily: the spec is added once per process, each schema compiled on first use. */
function load(): Contract {
  if (contract) return contract
  const doc = JSON.parse(
    readFileSync(new URL('./polar-openapi-subset.json', import.meta.url), 'utf8'),
  ) as Contract['doc'] & {
    components: { schemas: Record<string, unknown> }
  }
  closeObjects(doc.components.schemas)
  // OpenAPI's `discriminator` and `example` are not JSON Schema keywords: strict mode off, formats checked.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true })
  // A CommonJS module: its function is the default export or that export's `default`, by loader.
  const addFormats =
    (addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
    (addFormatsModule as unknown as FormatsPlugin)
  addFormats(ajv, ['date-time', 'uri', 'email', 'uuid'])
  ajv.addFormat('uuid4', UUID4)
  ajv.addSchema(doc as AnySchema, SPEC_ID)
  const compiled = new Map<string, ValidateFunction>()
  const validate = (ref: string) => {
    let fn = compiled.get(ref)
    if (!fn) {
      fn = ajv.getSchema(`${SPEC_ID}#${ref}`)
      if (!fn) throw new Error(`contract: no schema at ${ref}`)
      compiled.set(ref, fn)
    }
    return fn
  }
  const runtime = new Map(
    RUNTIME_SHAPES.filter((s) => s.json).map((s) => [s, ajv.compile(s.json as AnySchema)] as const),
  )
  contract = { doc, validate, runtime }
  return contract
}

/** Object schemas that list their properties admit no other key, unless they say otherwise. */
function closeObjects(node: unknown): void {
  if (Array.isArray(node)) node.forEach(closeObjects)
  else if (typeof node === 'object' && node !== null) {
    const schema = node as Record<string, unknown>
    if (schema.properties !== undefined && schema.additionalProperties === undefined)
      schema.additionalProperties = false
    Object.values(schema).forEach(closeObjects)
  }
}

const pointer = (...parts: string[]) => parts.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  // Paths and messages only: never the values, which may hold the fake's tokens or emails.
  const named = (e: ErrorObject) =>
    typeof e.params.additionalProperty === 'string' ? ` (${e.params.additionalProperty})` : ''
  const lines = (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}${named(e)}`)
  return [...new Set(lines)].slice(0, 5).join('; ')
}

/** The verdict on one answer of the fake. */
export function checkAnswer(answer: ObservedAnswer): Verdict {
  if (answer.fault !== undefined && BROKEN_ON_PURPOSE.has(answer.fault) && answer.status < 300) {
    return { ok: true, kind: 'skipped', why: `the ${answer.fault} fault` }
  }
  const where = `${answer.routeKey} → ${answer.status}`
  if (answer.method === 'HEAD')
    return answer.body === ''
      ? { ok: true, kind: 'runtime', shape: 'HEAD: no body' }
      : { ok: false, reason: `${where}: a HEAD answer with a body` }
  const { doc, validate, runtime } = load()
  const contentType = answer.headers['content-type'] ?? ''
  const isJson = contentType === 'application/json'
  const space = answer.routeKey.indexOf(' ')
  const method = answer.routeKey.slice(0, space).toLowerCase()
  const path = answer.routeKey.slice(space + 1)
  const response = doc.paths[path]?.[method]?.responses?.[String(answer.status)]
  if (response) {
    const base = pointer('paths', path, method, 'responses', String(answer.status))
    if (response.content?.['application/json'] === undefined) {
      return answer.body === ''
        ? { ok: true, kind: 'spec', schema: `${base} (no content)`, extraErrorKey: false }
        : { ok: false, reason: `${where}: the spec has no body here` }
    }
    if (!isJson)
      return {
        ok: false,
        reason: `${where}: content-type ${JSON.stringify(contentType)}, the spec says application/json`,
      }
    let body: unknown
    try {
      body = JSON.parse(answer.body)
    } catch {
      return { ok: false, reason: `${where}: the body is not JSON` }
    }
    let extraErrorKey = false
    if (answer.status === 422 && typeof body === 'object' && body !== null) {
      // Runtime ≠ spec: the `error` key, checked here, then removed before the spec's schema.
      const { error, ...rest } = body as Record<string, unknown>
      if (!VALIDATION_ERROR_NAMES.includes(error as string))
        return { ok: false, reason: `${where}: 422 without Polar's runtime "error" key` }
      body = rest
      extraErrorKey = true
    }
    const ref = pointer(
      'paths',
      path,
      method,
      'responses',
      String(answer.status),
      'content',
      'application/json',
      'schema',
    )
    const fn = validate(ref)
    return fn(body)
      ? { ok: true, kind: 'spec', schema: ref, extraErrorKey }
      : { ok: false, reason: `${where}: ${describeErrors(fn.errors)}` }
  }
  // Not in this route's responses: spec components that apply to every route, then runtime-only shapes.
  if (isJson && (answer.status === 401 || answer.status === 404)) {
    const component = answer.status === 401 ? 'Unauthorized' : 'ResourceNotFound'
    const ref = pointer('components', 'schemas', component)
    const body = safeJson(answer.body)
    if (validate(ref)(body)) return { ok: true, kind: 'spec', schema: ref, extraErrorKey: false }
  }
  for (const shape of RUNTIME_SHAPES) {
    if (!shape.status.includes(answer.status)) continue
    if (shape.routeKey && !shape.routeKey.test(answer.routeKey)) continue
    if (shape.json) {
      if (isJson && runtime.get(shape)?.(safeJson(answer.body))) return { ok: true, kind: 'runtime', shape: shape.name }
    } else if (
      shape.text?.contentType.test(contentType) &&
      (shape.text.body === undefined || shape.text.body === answer.body)
    ) {
      return { ok: true, kind: 'runtime', shape: shape.name }
    }
  }
  return {
    ok: false,
    reason: `${where}: neither Polar's spec nor a documented runtime shape describes this answer (content-type ${JSON.stringify(contentType)})`,
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export interface ContractSummary {
  validated: number
  spec: number
  extraErrorKey: number
  runtime: number
  skipped: number
  failures: string[]
}

export function checkAnswers(answers: readonly ObservedAnswer[]): ContractSummary {
  const summary: ContractSummary = { validated: 0, spec: 0, extraErrorKey: 0, runtime: 0, skipped: 0, failures: [] }
  for (const answer of answers) {
    const verdict = checkAnswer(answer)
    if (!verdict.ok) summary.failures.push(verdict.reason)
    else if (verdict.kind === 'skipped') summary.skipped++
    else {
      summary.validated++
      if (verdict.kind === 'spec') {
        summary.spec++
        if (verdict.extraErrorKey) summary.extraErrorKey++
      } else summary.runtime++
    }
  }
  return summary
}
