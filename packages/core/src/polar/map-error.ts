import { PolarSessionError } from '../errors.js'
import { describeTarget, type RequestContext } from './context.js'
import { isJsonObject } from './json-fields.js'
import { parseRetryAfter } from './retry.js'
import type { PolarErrorDetails, RetryableFailure } from './types.js'

/** What a non-2xx answer means: retry it, or fail with this error. */
export type ResponseVerdict = RetryableFailure | { kind: 'fatal'; error: PolarSessionError }

const CUSTOMER_LOCS = new Set(['customer_id', 'external_customer_id', 'customer_external_id'])
const MEMBER_LOCS = new Set(['member_id', 'external_member_id'])
const SAFE_WORD = /^[A-Za-z0-9_.:-]{1,100}$/

interface ParsedIssue {
  loc: string[]
  type?: string
  /** Polar's message, used for matching only: never copied into an error. */
  msg?: string
}

interface ParsedBody {
  error?: string
  issues: ParsedIssue[]
}

/** Reads Polar's error body (`{error, detail}`), keeping only what is safe to repeat. */
function parseErrorBody(body: string | null): ParsedBody | undefined {
  if (body === null || body === '') return undefined
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return undefined
  }
  if (!isJsonObject(json)) return undefined
  const parsed: ParsedBody = { issues: [] }
  const error = json['error'] ?? json['type']
  if (typeof error === 'string' && SAFE_WORD.test(error)) parsed.error = error
  const detail = json['detail']
  if (Array.isArray(detail)) {
    for (const item of detail) {
      if (!isJsonObject(item)) continue
      const rawLoc = item['loc']
      const loc = Array.isArray(rawLoc)
        ? rawLoc.map((part) =>
            typeof part === 'number' ? String(part) : typeof part === 'string' && SAFE_WORD.test(part) ? part : '?',
          )
        : []
      const issue: ParsedIssue = { loc }
      const type = item['type']
      if (typeof type === 'string' && SAFE_WORD.test(type)) issue.type = type
      const msg = item['msg']
      if (typeof msg === 'string') issue.msg = msg
      parsed.issues.push(issue)
    }
  }
  return parsed
}

function details(status: number, parsed: ParsedBody | undefined): PolarErrorDetails {
  const result: PolarErrorDetails = { status }
  if (parsed?.error !== undefined) result.error = parsed.error
  if (parsed !== undefined && parsed.issues.length > 0) {
    result.issues = parsed.issues.map((issue) =>
      issue.type === undefined ? { loc: issue.loc } : { loc: issue.loc, type: issue.type },
    )
  }
  return result
}

function describeIssues(issues: ParsedIssue[]): string {
  const shown = issues.slice(0, 5).map((issue) => {
    const loc = issue.loc.length > 0 ? issue.loc.join('.') : '(no loc)'
    return issue.type === undefined ? loc : `${loc} (${issue.type})`
  })
  if (issues.length > shown.length) shown.push(`and ${issues.length - shown.length} more`)
  return shown.join('; ')
}

function lastLoc(issue: ParsedIssue): string | undefined {
  return issue.loc[issue.loc.length - 1]
}

/**
 * Maps a non-2xx answer from Polar: a verdict to retry (429, 500, 502, 503, 504) or the
 * {@link PolarSessionError} to fail with. Messages name fields, never values.
 */
export function classifyResponse(
  ctx: RequestContext,
  status: number,
  headers: Headers,
  body: string | null,
  now: number = Date.now(),
): ResponseVerdict {
  if (status === 429) {
    const retryAfterSec = parseRetryAfter(headers.get('retry-after'), now)
    return retryAfterSec === undefined
      ? { kind: 'rate_limited', status }
      : { kind: 'rate_limited', status, retryAfterSec }
  }
  if (status === 500 || status === 502 || status === 503 || status === 504) {
    const retryAfterSec = parseRetryAfter(headers.get('retry-after'), now)
    return retryAfterSec === undefined
      ? { kind: 'server_error', status }
      : { kind: 'server_error', status, retryAfterSec }
  }
  const parsed = parseErrorBody(body)
  return { kind: 'fatal', error: fatalError(ctx, status, parsed) }
}

function fatalError(ctx: RequestContext, status: number, parsed: ParsedBody | undefined): PolarSessionError {
  const cause = details(status, parsed)
  const target = describeTarget(ctx)
  const what = parsed?.error === undefined ? `HTTP ${status}` : `${status} ${parsed.error}`

  if (status === 422 && parsed !== undefined && ctx.operation === 'createCustomerSession') {
    const mapped = mapSessionValidation(parsed, cause)
    if (mapped !== undefined) return mapped
  }
  if (status === 422) {
    const issues = parsed === undefined ? 'the body was not Polar JSON' : describeIssues(parsed.issues)
    const hint =
      ctx.operation === 'createCustomer'
        ? ' A customer with this external id or email may already exist in the organization.'
        : ' This is a bug in polar-session or an invalid option (e.g. a memberId that is not a UUID v4, or a return URL that is not http(s)).'
    return new PolarSessionError('polar_rejected', `Polar rejected ${ctx.route} (${what}): ${issues}.${hint}`, {
      status: 500,
      cause,
    })
  }
  if (status === 401) {
    const kind =
      parsed?.error === 'invalid_token'
        ? 'the access token is invalid, expired, revoked, or from the other environment'
        : 'the access token is missing or is not an access token Polar accepts here (organization or personal access token; a customer session token is not)'
    return new PolarSessionError(
      'polar_unauthorized',
      `Polar rejected the access token (${what}) at ${target}: ${kind}. ${environmentHint(ctx)}`,
      { status: 500, cause },
    )
  }
  if (status === 403) {
    return new PolarSessionError(
      'polar_forbidden',
      `Polar refused ${ctx.route} (${what}) at ${target}: the access token lacks the \`${ctx.scope}\` scope. ` +
        `Create an organization access token with \`${ctx.scope}\`` +
        (ctx.scope === 'customers:write'
          ? ' (needed for createCustomer).'
          : ' (and `customers:write` if createCustomer is on).'),
      { status: 500, cause },
    )
  }
  // Older Polar documentation described a 409 here; the current server answers a plain 500 (see
  // ambiguousPersonalTokenError). Kept for servers or proxies that still send it.
  if (status === 409 && ctx.operation === 'createCustomerSession') {
    return new PolarSessionError(
      'ambiguous_customer',
      'The external customer id matches customers in several organizations: the access token (personal or OAuth2) ' +
        'sees more than one. Use an organization access token, or pass the Polar customer id.',
      { status: 409, cause },
    )
  }
  if (status >= 400 && status < 500) {
    const hint =
      status === 404 ? ` Check the base URL (${target}): it must be the API root, e.g. https://api.polar.sh.` : ''
    return new PolarSessionError('polar_rejected', `Polar rejected ${ctx.route} (${what}).${hint}`, {
      status: 500,
      cause,
    })
  }
  const hint =
    status >= 300 && status < 400 ? ' Redirects are not followed: check the base URL (https, host, path).' : ''
  return new PolarSessionError(
    'polar_unavailable',
    `Polar answered ${ctx.route} with an unexpected HTTP ${status} at ${target}.${hint}`,
    { status: 502, cause },
  )
}

function mapSessionValidation(parsed: ParsedBody, cause: PolarErrorDetails): PolarSessionError | undefined {
  for (const issue of parsed.issues) {
    const field = lastLoc(issue)
    const msg = issue.msg ?? ''
    // customer_session/service.py: the customer exists, but the member model found no owner to
    // carry a session for the customer itself. Not a bug of ours, nor an unknown customer.
    if (field === 'customer_id' && /no owner member/i.test(msg)) {
      return new PolarSessionError(
        'member_not_found',
        'Polar found no owner member for this customer, so it cannot create a session for the customer itself ' +
          '(the organization uses the member model). Pass memberId or externalMemberId for one of its members, ' +
          'or give the customer an owner in Polar.',
        { status: 404, cause },
      )
    }
    if (field !== undefined && CUSTOMER_LOCS.has(field) && /does not exist/i.test(msg)) {
      const byExternal = field !== 'customer_id'
      return new PolarSessionError(
        'customer_not_found',
        byExternal
          ? 'Polar has no customer with this external id in the organization of the access token. ' +
              'Create the customer first, or set the createCustomer option to create missing customers on first use.'
          : 'Polar has no customer with this customer id in the organization of the access token ' +
              '(it may have been deleted, or belong to another organization or environment).',
        { status: 404, cause },
      )
    }
    if (field !== undefined && MEMBER_LOCS.has(field)) {
      if (/does not exist/i.test(msg)) {
        return new PolarSessionError(
          'member_not_found',
          `Polar has no member with this ${field === 'member_id' ? 'member id' : 'external member id'} for this customer.`,
          { status: 404, cause },
        )
      }
      if (/required/i.test(msg)) {
        return new PolarSessionError(
          'member_required',
          'This Polar customer is a team: pass memberId or externalMemberId to create a session for one of its members.',
          { status: 400, cause },
        )
      }
    }
  }
  return undefined
}

function environmentHint(ctx: RequestContext): string {
  switch (ctx.environment) {
    case 'production':
      return "Production and sandbox tokens are not interchangeable: a sandbox token sent to production gets 401; if this is a sandbox token, set server: 'sandbox'."
    case 'sandbox':
      return "Production and sandbox tokens are not interchangeable: a production token sent to sandbox gets 401; if this is a production token, set server: 'production' (or leave server unset)."
    case 'custom':
      return 'Check that the token belongs to the environment behind this base URL: production tokens work only against api.polar.sh, sandbox tokens only against sandbox-api.polar.sh.'
  }
}

/** `after 3 attempts in 1234 ms` plus why retrying stopped. */
function gaveUp(attempts: number, elapsedMs: number, stop: 'attempts' | 'deadline', deadlineMs: number): string {
  const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`
  return stop === 'deadline'
    ? `gave up after ${tries} in ${Math.round(elapsedMs)} ms: the ${deadlineMs} ms deadline left no time for another`
    : `gave up after ${tries} in ${Math.round(elapsedMs)} ms`
}

/** Network error code (`ECONNRESET`, `UND_ERR_SOCKET`, …) from an error or its causes. */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && SAFE_WORD.test(code)) return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

export interface GiveUpInfo {
  attempts: number
  elapsedMs: number
  stop: 'attempts' | 'deadline'
  deadlineMs: number
}

/**
 * The error for a 429 that is not (or no longer) retried. `retryAfterSec` defaults to 1, and is
 * at least 1: a client told to retry at once after Polar kept rate-limiting would only add load.
 */
export function rateLimitedError(
  ctx: RequestContext,
  retryAfterSec: number | undefined,
  reason: 'too_long' | GiveUpInfo,
): PolarSessionError {
  const after = Math.max(1, retryAfterSec ?? 1)
  const why =
    reason === 'too_long'
      ? `Polar asked to wait ${after} s, longer than maxRetryAfterMs or the time left before the deadline`
      : gaveUp(reason.attempts, reason.elapsedMs, reason.stop, reason.deadlineMs)
  return new PolarSessionError(
    'rate_limited',
    `Polar's rate limit was hit on ${ctx.route} at ${describeTarget(ctx)} (429; ${why}). ` +
      "Session creation counts against the organization's limit (500 a minute in production, 100 in sandbox): reuse sessions.",
    { status: 503, retryAfter: after, cause: { status: 429 } satisfies PolarErrorDetails },
  )
}

/**
 * A personal token sees every organization of its user. When the external id matches customers
 * in several, Polar's lookup (get_one_or_none) raises and Polar answers a plain 500, every time:
 * nothing in the answer says why. A session request by external id with a personal token that
 * got 500 on every attempt is that case far more often than an outage, so say so, and name the fix.
 */
function ambiguousPersonalTokenError(
  ctx: RequestContext,
  failure: RetryableFailure,
  info: GiveUpInfo,
): PolarSessionError | undefined {
  if (failure.kind !== 'server_error' || failure.status !== 500) return undefined
  if (ctx.operation !== 'createCustomerSession' || ctx.tokenKind !== 'personal' || !ctx.byExternalId) return undefined
  return new PolarSessionError(
    'ambiguous_customer',
    `Polar answered ${ctx.route} with HTTP 500 (${gaveUp(info.attempts, info.elapsedMs, info.stop, info.deadlineMs)}) for a ` +
      'session by external customer id, made with a personal access token. Polar fails this way when the external id ' +
      "matches customers in more than one of the token owner's organizations. Use an organization access token " +
      '(polar_oat_…), which sees a single organization, or pass the Polar customer id.',
    { status: 409, cause: { status: 500 } satisfies PolarErrorDetails },
  )
}

/** The error once retrying a 5xx, timeout or network failure stopped. */
export function unavailableError(ctx: RequestContext, failure: RetryableFailure, info: GiveUpInfo): PolarSessionError {
  if (failure.kind === 'rate_limited') return rateLimitedError(ctx, failure.retryAfterSec, info)
  const ambiguous = ambiguousPersonalTokenError(ctx, failure, info)
  if (ambiguous) return ambiguous
  const target = describeTarget(ctx)
  const stopped = gaveUp(info.attempts, info.elapsedMs, info.stop, info.deadlineMs)
  if (failure.kind === 'server_error') {
    const options: ConstructorParameters<typeof PolarSessionError>[2] = {
      status: failure.status === 503 || failure.status === 504 ? 503 : 502,
      cause: { status: failure.status } satisfies PolarErrorDetails,
    }
    if (failure.retryAfterSec !== undefined) options.retryAfter = failure.retryAfterSec
    return new PolarSessionError(
      'polar_unavailable',
      `Polar answered ${ctx.route} with HTTP ${failure.status} at ${target}; ${stopped}.`,
      options,
    )
  }
  if (failure.kind === 'timeout') {
    const limit = failure.clampedByDeadline
      ? `the ${failure.timeoutMs} ms left of the ${info.deadlineMs} ms deadline`
      : `the ${failure.timeoutMs} ms per-attempt timeout`
    return new PolarSessionError(
      'polar_unavailable',
      `Polar did not answer ${ctx.route} at ${target} within ${limit}; ${stopped}.`,
      { status: 503 },
    )
  }
  const code = failure.code ?? (failure.error instanceof Error ? failure.error.name : 'unknown error')
  return new PolarSessionError(
    'polar_unavailable',
    `Could not reach Polar at ${target} for ${ctx.route}: network error (${code}); ${stopped}.`,
    { status: 503, cause: failure.error },
  )
}

/** The error for a 2xx whose body was larger than the cap. */
export function bodyTooLargeError(ctx: RequestContext, maxBytes: number): PolarSessionError {
  return new PolarSessionError(
    'polar_unavailable',
    `Polar answered ${ctx.route} at ${describeTarget(ctx)} with a body larger than ${maxBytes} bytes.`,
    { status: 502 },
  )
}
