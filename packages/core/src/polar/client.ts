import { PolarSessionError } from '../errors.js'
import type { Logger, PolarCustomer } from '../types.js'
import { sendAttempt, type AttemptRequest } from './attempt.js'
import type { RequestContext } from './context.js'
import {
  bodyTooLargeError,
  classifyResponse,
  networkErrorCode,
  rateLimitedError,
  unavailableError,
} from './map-error.js'
import { parseCustomer } from './parse-customer.js'
import { parseSessionBody } from './parse-session.js'
import { MAX_BODY_BYTES } from './read-body.js'
import { backoffDelay, defaultSleep } from './retry.js'
import type { UpstreamOutcome } from '../observe/stats.js'
import type {
  CallOptions,
  CreateCustomerInput,
  CreateSessionInput,
  PolarClient,
  PolarClientOptions,
  ReceivedSession,
  RetryableFailure,
  UpstreamCallObserver,
  UpstreamObserver,
} from './types.js'
import { sanitizeUserAgent } from './user-agent.js'

export const DEFAULT_MAX_ATTEMPTS = 4

const SESSION_ROUTE = {
  path: '/v1/customer-sessions/',
  operation: 'createCustomerSession',
  scope: 'customer_sessions:write',
} as const
const CUSTOMER_ROUTE = { path: '/v1/customers/', operation: 'createCustomer', scope: 'customers:write' } as const
type Route = typeof SESSION_ROUTE | typeof CUSTOMER_ROUTE

interface ResolvedConfig {
  /** Base URL without trailing slashes: origin plus any path prefix. */
  base: string
  origin: string
  headers: Record<string, string>
  environment: PolarClientOptions['environment']
  timeoutMs: number
  deadlineMs: number
  maxRetryAfterMs: number
  maxAttempts: number
  tokenKind: RequestContext['tokenKind']
  fetch: typeof globalThis.fetch
  logger: Logger
  random: () => number
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  onRateLimited: (retryAfterSec: number | undefined) => void
  onAnswer: (status: number | null) => void
  portalUrls: PolarClientOptions['portalUrls']
  observer: UpstreamObserver
}

const IGNORED_CALL: UpstreamCallObserver = { attempt: () => {}, retry: () => {} }
const UNOBSERVED: UpstreamObserver = { call: (_path, run) => run(IGNORED_CALL) }

/**
 * The client's settings, derived once. The options were validated by `createPolarSessions`
 * (options.ts), the one place each option is checked; the client trusts them.
 */
function resolveConfig(options: PolarClientOptions): ResolvedConfig {
  const url = new URL(options.baseUrl)
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
  return {
    base: url.origin + url.pathname.replace(/\/+$/, ''),
    origin: url.origin,
    headers: {
      Authorization: `Bearer ${options.accessToken}`,
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'User-Agent': sanitizeUserAgent(options.userAgent),
    },
    environment: options.environment,
    timeoutMs: options.timeoutMs,
    deadlineMs: options.deadlineMs,
    maxRetryAfterMs: options.maxRetryAfterMs,
    maxAttempts,
    tokenKind: options.accessToken.startsWith('polar_pat_') ? 'personal' : 'other',
    fetch: options.fetch,
    logger: options.logger,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? defaultSleep,
    onRateLimited: options.onRateLimited ?? (() => {}),
    onAnswer: options.onAnswer ?? (() => {}),
    portalUrls: options.portalUrls,
    observer: options.observer ?? UNOBSERVED,
  }
}

function invalidIdentity(message: string): PolarSessionError {
  return new PolarSessionError('invalid_identity', message, { status: 400 })
}

/** The snake_case body of `POST /v1/customer-sessions/`. Optional fields only when given. */
export function sessionRequestBody(input: CreateSessionInput): Record<string, string> {
  const body: Record<string, string> = {}
  const hasExternal = input.externalCustomerId !== undefined
  const hasId = input.customerId !== undefined
  if (hasExternal === hasId) {
    throw invalidIdentity('Exactly one of customerId and externalCustomerId is required.')
  }
  if (input.externalCustomerId !== undefined) body['external_customer_id'] = input.externalCustomerId
  if (input.customerId !== undefined) body['customer_id'] = input.customerId
  if (input.memberId !== undefined && input.externalMemberId !== undefined) {
    throw invalidIdentity('Pass memberId or externalMemberId, not both.')
  }
  if (input.memberId !== undefined) body['member_id'] = input.memberId
  if (input.externalMemberId !== undefined) body['external_member_id'] = input.externalMemberId
  if (typeof input.returnUrl === 'string') body['return_url'] = input.returnUrl
  return body
}

/** The snake_case body of `POST /v1/customers/`. */
export function customerRequestBody(input: CreateCustomerInput): Record<string, string | null> {
  const body: Record<string, string | null> = { external_id: input.externalId, email: input.email }
  if (input.name !== undefined) body['name'] = input.name
  return body
}

/**
 * The HTTP client for Polar's API: one call is up to `maxAttempts` attempts within `deadlineMs`,
 * each limited to `timeoutMs`. 429s are retried after `retry-after` when it fits; 500, 502, 503,
 * 504, timeouts and network errors with exponential backoff and full jitter; nothing else.
 * Every attempt is first admitted by `call.admit` (the creation budget), and every 429 is
 * reported to `onRateLimited`, so no caller sends anything while Polar asks to wait.
 *
 * When the caller's `signal` aborts, the in-flight request is aborted, no more attempts are made,
 * and the call rejects with `signal.reason` (not a `PolarSessionError`: the caller cancelled, so it
 * already knows why).
 */
export function createPolarClient(options: PolarClientOptions): PolarClient {
  const config = resolveConfig(options)

  return {
    async createCustomerSession(input: CreateSessionInput, call: CallOptions = {}): Promise<ReceivedSession> {
      const body = JSON.stringify(sessionRequestBody(input))
      const parse = (text: string, sentAt: number) => parseSessionBody(text, sentAt, config.portalUrls)
      return execute(config, SESSION_ROUTE, body, parse, call, input.externalCustomerId !== undefined)
    },
    async createCustomer(input: CreateCustomerInput, call: CallOptions = {}): Promise<PolarCustomer> {
      const body = JSON.stringify(customerRequestBody(input))
      return execute(config, CUSTOMER_ROUTE, body, (text) => parseCustomerBody(text), call, false)
    },
  }
}

function parseCustomerBody(text: string): PolarCustomer {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new PolarSessionError(
      'polar_unavailable',
      'Polar answered POST /v1/customers/ with a body that is not JSON.',
      {
        status: 502,
      },
    )
  }
  return parseCustomer(json)
}

/** The outcome of an answer whose status is not 2xx. */
function answerOutcome(status: number): UpstreamOutcome {
  if (status === 429) return 'rate_limited'
  return status >= 500 ? 'server_error' : 'rejected'
}

function safeLog(logger: Logger, level: 'debug' | 'warn', obj: object, msg: string): void {
  try {
    logger[level](obj, msg)
  } catch {
    // A broken logger must not break the request.
  }
}

function failureLogFields(failure: RetryableFailure): Record<string, unknown> {
  switch (failure.kind) {
    case 'rate_limited':
    case 'server_error':
      return failure.retryAfterSec === undefined
        ? { status: failure.status }
        : { status: failure.status, retryAfterSec: failure.retryAfterSec }
    case 'timeout':
      return { reason: 'timeout', timeoutMs: failure.timeoutMs }
    case 'network':
      return { reason: 'network', code: failure.code ?? 'unknown' }
  }
}

function execute<T>(
  config: ResolvedConfig,
  route: Route,
  body: string,
  parse: (text: string, sentAt: number) => T,
  call: CallOptions,
  byExternalId: boolean,
): Promise<T> {
  return config.observer.call(route.path, (observed) =>
    attempts(config, route, body, parse, call, byExternalId, observed),
  )
}

/** One call: its attempts, each reported to `observed`. */
async function attempts<T>(
  config: ResolvedConfig,
  route: Route,
  body: string,
  parse: (text: string, sentAt: number) => T,
  { signal, admit }: CallOptions,
  byExternalId: boolean,
  observed: UpstreamCallObserver,
): Promise<T> {
  signal?.throwIfAborted()
  const ctx: RequestContext = {
    route: `POST ${route.path}`,
    operation: route.operation,
    scope: route.scope,
    environment: config.environment,
    origin: config.origin,
    tokenKind: config.tokenKind,
    byExternalId,
  }
  const request: AttemptRequest = { url: config.base + route.path, method: 'POST', headers: config.headers, body }
  const started = performance.now()
  const deadlineAt = started + config.deadlineMs
  const info = (attempts: number, stop: 'attempts' | 'deadline') => ({
    attempts,
    elapsedMs: performance.now() - started,
    stop,
    deadlineMs: config.deadlineMs,
  })

  for (let attempt = 1; ; attempt++) {
    const remaining = deadlineAt - performance.now()
    const clampedByDeadline = remaining < config.timeoutMs
    const timeoutMs = Math.max(1, Math.ceil(Math.min(config.timeoutMs, remaining)))
    await admit?.()
    const attemptStarted = performance.now()
    const outcome = await sendAttempt(config.fetch, request, timeoutMs, MAX_BODY_BYTES, signal)
    const exactMs = performance.now() - attemptStarted
    const durationMs = Math.round(exactMs)
    config.onAnswer(outcome.kind === 'response' ? outcome.status : null)

    let failure: RetryableFailure
    if (outcome.kind === 'response') {
      safeLog(
        config.logger,
        'debug',
        { route: ctx.route, attempt, status: outcome.status, durationMs },
        'polar answered',
      )
      if (outcome.status >= 200 && outcome.status < 300) {
        // A malformed success is not retried: Polar (or whatever answers) would say the same again.
        let parsed: T
        try {
          if (outcome.body === null) throw bodyTooLargeError(ctx, MAX_BODY_BYTES)
          parsed = parse(outcome.body, outcome.sentAt)
        } catch (error) {
          observed.attempt(exactMs, outcome.status, 'invalid_response')
          throw error
        }
        observed.attempt(exactMs, outcome.status, 'ok')
        return parsed
      }
      observed.attempt(exactMs, outcome.status, answerOutcome(outcome.status))
      const verdict = classifyResponse(ctx, outcome.status, outcome.headers, outcome.body)
      if (verdict.kind === 'fatal') throw verdict.error
      if (verdict.kind === 'rate_limited') config.onRateLimited(verdict.retryAfterSec)
      failure = verdict
    } else if (outcome.kind === 'timeout') {
      observed.attempt(exactMs, null, 'timeout')
      failure = { kind: 'timeout', timeoutMs, clampedByDeadline }
    } else {
      observed.attempt(exactMs, null, 'network_error')
      const code = networkErrorCode(outcome.error)
      failure =
        code === undefined ? { kind: 'network', error: outcome.error } : { kind: 'network', error: outcome.error, code }
    }

    if (attempt >= config.maxAttempts) throw unavailableError(ctx, failure, info(attempt, 'attempts'))

    const left = deadlineAt - performance.now()
    let delayMs: number
    if (failure.kind === 'rate_limited' && failure.retryAfterSec !== undefined) {
      delayMs = Math.ceil(failure.retryAfterSec * 1000)
      if (delayMs > config.maxRetryAfterMs || delayMs >= left) {
        throw rateLimitedError(ctx, failure.retryAfterSec, 'too_long')
      }
    } else if (failure.kind === 'server_error' && failure.retryAfterSec !== undefined) {
      const askedMs = Math.ceil(failure.retryAfterSec * 1000)
      if (askedMs > config.maxRetryAfterMs || askedMs >= left) {
        throw unavailableError(ctx, failure, info(attempt, 'deadline'))
      }
      delayMs = Math.max(askedMs, backoffDelay(attempt, config.random))
    } else {
      delayMs = backoffDelay(attempt, config.random)
    }
    if (delayMs >= left) throw unavailableError(ctx, failure, info(attempt, 'deadline'))

    observed.retry(attempt, delayMs, failure)
    safeLog(
      config.logger,
      'warn',
      { route: ctx.route, attempt, ...failureLogFields(failure), delayMs, durationMs },
      'polar request failed; retrying',
    )
    await config.sleep(delayMs, signal)
    signal?.throwIfAborted()
    if (deadlineAt - performance.now() <= 0) throw unavailableError(ctx, failure, info(attempt, 'deadline'))
  }
}
