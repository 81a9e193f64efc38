import { rejectUnknownKeys } from './option-keys.js'
import { checkReturnUrlShape, toOriginSet } from './return-url.js'
import { sealKeysProblem } from './store/sealed.js'
import { isLoopbackHost, POLAR_PORTAL_ORIGINS } from './polar/portal-url.js'
import type { PortalUrlPolicy } from './polar/types.js'
import type { CircuitBreakerOptions } from './reuse/circuit-breaker.js'
import type { Identify, Logger, SessionStore } from './types.js'

/** Polar's API base URLs. */
export const POLAR_SERVERS = {
  production: 'https://api.polar.sh',
  sandbox: 'https://sandbox-api.polar.sh',
} as const

/** Polar's documented rate limit per organization, requests a minute. */
export const POLAR_RATE_LIMITS = { production: 500, sandbox: 100 } as const

/** Options of {@link createPolarSessions}. Validated once, at construction. */
export interface PolarSessionsOptions<Req = any> {
  /**
   * An organization access token (`polar_oat_…`) with the `customer_sessions:write` scope
   * (and `customers:write` for `createCustomer`). Required. Never logged.
   */
  accessToken: string
  /**
   * Which Polar environment the token belongs to. Tokens are not interchangeable between them.
   * @default 'production'
   */
  server?: 'production' | 'sandbox'
  /** Overrides `server`: a proxy, or the fake Polar in tests. An absolute http(s) URL. */
  baseUrl?: string | URL
  /**
   * Works out who a request belongs to; needed by `resolve()` and the adapters.
   * Return null for an anonymous request; throw a `PolarSessionError` for a bad credential.
   * See `fromJwt`, `fromUser`, `firstOf`.
   */
  identify?: Identify<Req>
  /**
   * Where sessions are kept. A store other than `memoryStore()` lives outside the process:
   * it needs `encryptionKey`, or `allowPlaintextStore: true`.
   * @default memoryStore({ max: 10_000 })
   */
  store?: SessionStore
  /**
   * Secret(s) that seal tokens and portal URLs at rest in an outside store (jose `dir` +
   * `A256GCM`, key derived with HKDF). A list rotates keys: newest first, older ones still read.
   * Each at least 32 characters.
   */
  encryptionKey?: string | readonly string[]
  /** Store sessions in an outside store unencrypted. Only for stores you fully trust. @default false */
  allowPlaintextStore?: boolean
  /**
   * A session is handed out only while it has more than this many milliseconds left, so the
   * user never gets a token that dies in their hands. Polar's sessions live one hour.
   * @default 900_000 (15 minutes)
   */
  refreshMarginMs?: number
  /**
   * The URL Polar's portal links back to: a string, or a function of the request (used by
   * `resolve()`). A string's origin is allowed automatically when `allowedReturnOrigins` is not
   * given; a function's results are checked against `allowedReturnOrigins`, which it requires.
   */
  returnUrl?: string | URL | ((request: Req) => string | URL | null | undefined)
  /**
   * Origins a return URL may point to, however it comes in: `getSession({ returnUrl })`,
   * `resolve(req, { returnUrl })`, a function `returnUrl`, or `?return_to=` in the adapters.
   * With none, only the static `returnUrl` is used and every other return URL is refused (400).
   * @default the origin of `returnUrl` when it is a string; otherwise none
   */
  allowedReturnOrigins?: readonly string[]
  /**
   * How many distinct per-request return URLs may each hold their own live session per
   * identity. Past it, the identity gets its session for the default return URL (created once
   * if needed) and a warning is logged, so one user varying `?return_to=` costs at most
   * `maxReturnUrlsPerCustomer + 1` creations per reuse window, and cannot evict other users'
   * sessions. 3 covers the usual "back to where I was" pages (account, pricing, a settings tab).
   * @default 3
   */
  maxReturnUrlsPerCustomer?: number
  /**
   * Cap on requests to Polar in any one minute (a sliding window, so that none of Polar's fixed
   * windows, which open with the first request, can hold more), across every process sharing the
   * store (per process with the memory store). Past it, callers without a still-valid session
   * get 503 `rate_limited` with `Retry-After` (the seconds until a slot frees) and Polar receives
   * nothing. Polar's limit belongs to the whole organization, whose
   * checkouts and other calls need their share. `Infinity` turns the cap off.
   * @default 80% of the server's documented limit: 400 for production (and a custom `baseUrl`), 80 for sandbox
   */
  maxCreationsPerMinute?: number
  /**
   * Share of `maxCreationsPerMinute` that attach mode may spend on its own (`polarSession()`
   * mounted in front of routes that may never use the session). Portal visits, redirects and
   * direct `getSession` calls may use the whole budget, so they are still served when attach
   * mode's share is spent. 0 to 1.
   * @default 0.5
   */
  attachBudgetShare?: number
  /**
   * Origins the `customer_portal_url` Polar returns may point to. Any other portal URL (a foreign
   * or look-alike host, a user name, http, control characters) is refused as a malformed answer
   * (502 `polar_unavailable`) and nothing is cached: users are never redirected off Polar.
   * @default `['https://polar.sh']` for production, `['https://sandbox.polar.sh']` for sandbox; with a `baseUrl`, both plus the `baseUrl`'s own origin
   */
  portalOrigins?: readonly string[]
  /**
   * With a store shared by several processes (redisStore): how long this process trusts its own
   * copy of a customer's invalidation generation before asking the store again. Invalidations
   * reach every process at once over pub/sub; this bounds how stale a copy can be when such a
   * message is lost (a dropped subscription). A warm hit within it makes no call to the store
   * and no decryption. 0 turns the near cache off (every request reads the store).
   * @default 5_000
   */
  nearCacheTtlMs?: number
  /**
   * Most sessions the near cache of a shared store keeps in this process (least recently used go
   * first); at least 1. To turn the near cache off, set `nearCacheTtlMs: 0`.
   * @default 10_000
   */
  nearCacheMax?: number
  /** Time limit of one request to Polar, in milliseconds. @default 5000 */
  timeoutMs?: number
  /** Overall time budget for one session creation, retries included. @default 10_000 */
  deadlineMs?: number
  /** A 429 asking to wait longer than this fails fast with `rate_limited`. @default 10_000 */
  maxRetryAfterMs?: number
  /**
   * How long an unknown customer (or member) is remembered, so a burst of requests from a
   * user without a Polar customer costs one call. 0 turns it off. @default 60_000
   */
  notFoundTtlMs?: number
  /**
   * Create a missing customer (`POST /v1/customers/`) when the identity has an
   * `externalCustomerId` and an `email`, then the session. Needs `customers:write`.
   * @default false
   */
  createCustomer?: boolean
  /**
   * Fail fast while Polar keeps failing: after `failureThreshold` failed creations in a row,
   * creations answer 503 with `Retry-After` at once (still-valid cached sessions are still
   * served) until a probe after `cooldownMs` succeeds.
   * @default { failureThreshold: 3, cooldownMs: 5_000, maxCooldownMs: 60_000 }
   */
  circuitBreaker?: CircuitBreakerOptions
  /** A pino-shaped logger. Nothing secret is ever logged. @default silent */
  logger?: Logger
  /** The fetch implementation to call Polar with. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch
}

/** Options after validation and defaults. */
export interface ResolvedOptions<Req> {
  accessToken: string
  environment: 'production' | 'sandbox' | 'custom'
  baseUrl: string
  identify: Identify<Req> | undefined
  encryptionKey: readonly string[] | undefined
  allowPlaintextStore: boolean
  refreshMarginMs: number
  returnUrl: string | ((request: Req) => string | URL | null | undefined) | undefined
  allowedReturnOrigins: ReadonlySet<string> | null
  maxReturnUrlsPerCustomer: number
  maxCreationsPerMinute: number
  attachBudgetShare: number
  portalUrls: PortalUrlPolicy
  nearCacheTtlMs: number
  nearCacheMax: number
  timeoutMs: number
  deadlineMs: number
  maxRetryAfterMs: number
  notFoundTtlMs: number
  createCustomer: boolean
  circuitBreaker: CircuitBreakerOptions
  logger: Logger
  fetch: typeof globalThis.fetch
}

const noop = (): void => {}
/** The default logger: says nothing. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop }

function fail(message: string): never {
  throw new TypeError(`createPolarSessions: ${message}`)
}

function duration(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(
      `${name} must be a number of milliseconds from ${min} to ${max}, got ${typeof value === 'number' ? value : typeof value}.`,
    )
  }
  return value
}

function count(name: string, value: unknown, fallback: number, max = 1_000, min = 0, hint = ''): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(
      `${name} must be a whole number from ${min} to ${max}, got ${typeof value === 'number' ? value : typeof value}.${hint}`,
    )
  }
  return value
}

function share(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    fail(`${name} must be a number from 0 to 1, got ${typeof value === 'number' ? value : typeof value}.`)
  }
  return value
}

/**
 * Where portal URLs may point: the given origins, or Polar's front end for the server; with a
 * custom base URL (a proxy, the fake) both of Polar's plus the base URL's own origin. http is
 * accepted only when the base URL is on this machine (the fake).
 */
function portalUrlPolicy(
  origins: readonly string[] | undefined,
  server: 'production' | 'sandbox',
  customBase: string | null,
): PortalUrlPolicy {
  const allowHttp = customBase !== null && isLoopbackHost(new URL(customBase).hostname)
  if (origins !== undefined) {
    if (!Array.isArray(origins) || origins.length === 0)
      fail('portalOrigins must be a non-empty list of origins such as https://polar.sh.')
    const set = new Set<string>()
    for (const origin of origins) {
      let url: URL
      try {
        url = new URL(String(origin))
      } catch {
        fail(`portalOrigins: "${String(origin)}" is not an absolute URL such as https://polar.sh.`)
      }
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowHttp)) {
        fail(`portalOrigins: "${String(origin)}" must use https (http only with a loopback baseUrl).`)
      }
      set.add(url.origin)
    }
    return { origins: set, allowHttp }
  }
  if (customBase === null) return { origins: new Set([POLAR_PORTAL_ORIGINS[server]]), allowHttp }
  return {
    origins: new Set([POLAR_PORTAL_ORIGINS.production, POLAR_PORTAL_ORIGINS.sandbox, new URL(customBase).origin]),
    allowHttp,
  }
}

const KNOWN_OPTIONS: readonly (keyof PolarSessionsOptions)[] = [
  'accessToken',
  'server',
  'baseUrl',
  'identify',
  'store',
  'encryptionKey',
  'allowPlaintextStore',
  'refreshMarginMs',
  'returnUrl',
  'allowedReturnOrigins',
  'maxReturnUrlsPerCustomer',
  'maxCreationsPerMinute',
  'attachBudgetShare',
  'portalOrigins',
  'nearCacheTtlMs',
  'nearCacheMax',
  'timeoutMs',
  'deadlineMs',
  'maxRetryAfterMs',
  'notFoundTtlMs',
  'createCustomer',
  'circuitBreaker',
  'logger',
  'fetch',
]
/** What Polar's SDK and adapters (and other libraries) call these options. */
const RENAMED_OPTIONS: Readonly<Record<string, string>> = {
  environment: 'server',
  env: 'server',
  serverURL: 'baseUrl',
  serverUrl: 'baseUrl',
  baseURL: 'baseUrl',
  apiKey: 'accessToken',
  token: 'accessToken',
  getCustomerId: 'identify',
  getCustomer: 'identify',
  returnURL: 'returnUrl',
  timeout: 'timeoutMs (in milliseconds)',
  cache: 'store',
}

/** Validates {@link PolarSessionsOptions} once and fills in the defaults. */
export function resolveOptions<Req>(options: PolarSessionsOptions<Req>): ResolvedOptions<Req> {
  if (typeof options !== 'object' || options === null) fail('expected an options object.')
  rejectUnknownKeys('createPolarSessions', options, KNOWN_OPTIONS, RENAMED_OPTIONS)
  const { accessToken } = options
  if (typeof accessToken !== 'string' || accessToken.trim() === '') {
    fail(
      'accessToken is required: an organization access token (polar_oat_…) from your Polar organization settings, with the customer_sessions:write scope.',
    )
  }
  if (/\s/.test(accessToken)) fail('accessToken contains whitespace; check how it is loaded (a trailing newline?).')
  // A header value with control characters would make fetch throw an error that may quote it.
  if (/[^\x21-\x7e]/.test(accessToken)) fail('accessToken contains characters not allowed in an HTTP header.')

  const server = options.server ?? 'production'
  if (server !== 'production' && server !== 'sandbox') fail(`server must be 'production' or 'sandbox'.`)
  let baseUrl: string = POLAR_SERVERS[server]
  let environment: ResolvedOptions<Req>['environment'] = server
  if (options.baseUrl !== undefined) {
    let url: URL
    try {
      url = new URL(String(options.baseUrl))
    } catch {
      fail('baseUrl must be an absolute URL such as https://api.polar.sh.')
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('baseUrl must use http or https.')
    if (url.username !== '' || url.password !== '') fail('baseUrl must not contain a user name or password.')
    if (url.search !== '' || url.hash !== '') fail('baseUrl must not have a query string or fragment.')
    baseUrl = url.href.replace(/\/+$/, '')
    environment = 'custom'
  }

  if (options.identify !== undefined && typeof options.identify !== 'function')
    fail('identify must be a function of the request.')
  if (
    options.logger !== undefined &&
    (typeof options.logger !== 'object' || typeof options.logger.warn !== 'function')
  ) {
    fail('logger must be pino-shaped: an object with debug, info, warn and error methods.')
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') fail('fetch must be a function.')

  let encryptionKey: readonly string[] | undefined
  if (options.encryptionKey !== undefined) {
    const problem = sealKeysProblem(options.encryptionKey)
    if (problem !== null) fail(`encryptionKey${problem}.`)
    encryptionKey = typeof options.encryptionKey === 'string' ? [options.encryptionKey] : [...options.encryptionKey]
  }

  let allowed: ReadonlySet<string> | null = options.allowedReturnOrigins
    ? toOriginSet(options.allowedReturnOrigins)
    : null
  let returnUrl: ResolvedOptions<Req>['returnUrl']
  if (typeof options.returnUrl === 'function') {
    if (allowed === null) fail('a function returnUrl needs allowedReturnOrigins: the origins its results may point to.')
    returnUrl = options.returnUrl
  } else if (options.returnUrl !== undefined) {
    const href = String(options.returnUrl)
    try {
      returnUrl = checkReturnUrlShape(href)
    } catch {
      fail('returnUrl must be an absolute http(s) URL without user name or password, at most 2083 characters.')
    }
    allowed ??= new Set([new URL(returnUrl).origin])
    if (!allowed.has(new URL(returnUrl).origin)) fail("returnUrl's origin must be in allowedReturnOrigins.")
  }

  const limit = environment === 'sandbox' ? POLAR_RATE_LIMITS.sandbox : POLAR_RATE_LIMITS.production
  const maxCreationsPerMinute = options.maxCreationsPerMinute ?? Math.floor(limit * 0.8)
  if (maxCreationsPerMinute !== Infinity && !(Number.isInteger(maxCreationsPerMinute) && maxCreationsPerMinute >= 1)) {
    fail(
      `maxCreationsPerMinute must be a whole number of at least 1, or Infinity, got ${String(maxCreationsPerMinute)}.`,
    )
  }

  return {
    accessToken,
    environment,
    baseUrl,
    identify: options.identify,
    encryptionKey,
    allowPlaintextStore: options.allowPlaintextStore === true,
    refreshMarginMs: duration('refreshMarginMs', options.refreshMarginMs, 15 * 60_000, 0, 24 * 3_600_000),
    returnUrl,
    allowedReturnOrigins: allowed,
    maxReturnUrlsPerCustomer: count('maxReturnUrlsPerCustomer', options.maxReturnUrlsPerCustomer, 3),
    maxCreationsPerMinute,
    attachBudgetShare: share('attachBudgetShare', options.attachBudgetShare, 0.5),
    portalUrls: portalUrlPolicy(options.portalOrigins, server, options.baseUrl === undefined ? null : baseUrl),
    nearCacheTtlMs: duration('nearCacheTtlMs', options.nearCacheTtlMs, 5_000, 0, 3_600_000),
    nearCacheMax: count(
      'nearCacheMax',
      options.nearCacheMax,
      10_000,
      1_000_000,
      1,
      ' To turn the near cache off, set nearCacheTtlMs: 0.',
    ),
    timeoutMs: duration('timeoutMs', options.timeoutMs, 5_000, 1, 120_000),
    deadlineMs: duration('deadlineMs', options.deadlineMs, 10_000, 1, 600_000),
    maxRetryAfterMs: duration('maxRetryAfterMs', options.maxRetryAfterMs, 10_000, 0, 3_600_000),
    notFoundTtlMs: duration('notFoundTtlMs', options.notFoundTtlMs, 60_000, 0, 3_600_000),
    createCustomer: options.createCustomer === true,
    circuitBreaker: options.circuitBreaker ?? {},
    logger: options.logger ?? silentLogger,
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
  }
}
