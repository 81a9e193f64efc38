import { CreationBudget } from './budget/creation-budget.js'
import { isPolarSessionError, PolarSessionError } from './errors.js'
import { createAttachErrorLog } from './adapter/attach-error-log.js'
import { registerInternals } from './adapter/internals.js'
import { resolveOptions, type PolarSessionsOptions, type ResolvedOptions } from './options.js'
import {
  createPolarClient,
  type CallOptions,
  type PolarClient,
  type PolarErrorDetails,
  type ReceivedSession,
} from './polar/index.js'
import { CircuitBreaker } from './reuse/circuit-breaker.js'
import { toEntryStore } from './reuse/to-entry-store.js'
import { KeyDeriver } from './reuse/keys.js'
import { SessionCache, type SessionRequest } from './reuse/session-cache.js'
import type { PolarSessionsStats } from './observe/stats.js'
import { Telemetry } from './observe/telemetry.js'
import { upstreamObserver } from './observe/upstream.js'
import { createPrefetchErrorLog, PREFETCH_MAX_QUEUED, PrefetchQueue } from './prefetch.js'
import { checkReturnUrl } from './return-url.js'
import { memoryStore, MemoryStore } from './store/memory.js'
import { sealedStore } from './store/sealed.js'
import type { PolarIdentity, PolarSession, SessionStore } from './types.js'
import { validateIdentity, type CheckedIdentity } from './validate-identity.js'
import { USER_AGENT } from './version.js'
import type { GetSessionOptions, PrefetchOptions, ResolveOptions } from './call-options.js'

/** What {@link createPolarSessions} returns. */
export interface PolarSessions<Req = any> {
  /** With `cachedOnly: true`: the cached session, or null; Polar is never called. */
  getSession(
    identity: PolarIdentity,
    options: GetSessionOptions & { cachedOnly: boolean },
  ): Promise<PolarSession | null>
  /** A session for the identity: reused while it has more than the margin left, else created. */
  getSession(identity: PolarIdentity, options?: GetSessionOptions & { cachedOnly?: false }): Promise<PolarSession>
  /** `identify(request)`, then `getSession`. Resolves to null for an anonymous request. */
  resolve(request: Req, options?: ResolveOptions): Promise<PolarSession | null>
  /** Drops every cached session of the identity (with a member: that member's only), in every process sharing the store. */
  invalidate(identity: PolarIdentity): Promise<void>
  /**
   * Starts getting the identity's session in the background, so the user's first portal visit
   * is a cache hit: call it right after sign-in, without awaiting it. Never throws and never
   * rejects: failures, bad input included, are logged and counted in `stats().errors`. The
   * promise resolves once the prefetch is over, whatever came of it (for a job that wants to
   * wait). A prefetch of a session already cached, or already being prefetched, does nothing
   * more; concurrent ones share the creation (the single-flight); at most 8 run at once and 64
   * wait, the rest are dropped (the first portal visit then creates the session). It spends
   * attach mode's share of the creation budget (`attachBudgetShare`), never the part kept for
   * people waiting on a portal visit, and fails fast while the circuit breaker is open.
   */
  prefetch(identity: PolarIdentity, options?: PrefetchOptions): Promise<void>
  /**
   * The instance's counters and gauges since it was created, as a plain object: cache hits
   * and misses, creations, errors by code, budget refusals, requests to Polar, the breaker's
   * state. The same numbers OpenTelemetry gets (see docs/observability.md); no secret in it.
   */
  stats(): PolarSessionsStats
  /**
   * Checks a return URL that came with a request against `allowedReturnOrigins` and returns
   * it normalised; relative paths resolve against `base` (the app's own origin). Throws
   * `invalid_return_url` (400), always when no allowed origins are configured. The same check
   * every return URL goes through (`getSession`, `resolve`, a function `returnUrl`).
   */
  checkReturnUrl(url: string, base?: string): string
  /** Which Polar the instance talks to: 'production', 'sandbox' or 'custom' (a `baseUrl`). */
  readonly environment: 'production' | 'sandbox' | 'custom'
  /**
   * Waits for calls under way (those still in `identify()` included) and their creations, then
   * releases what the instance opened. Later calls fail. Every call of `close()` returns the
   * same promise.
   */
  close(): Promise<void>
}

/**
 * Creates the session service: identity → cached session → Polar.
 *
 * @example
 * const polar = createPolarSessions({
 *   accessToken: process.env.POLAR_ACCESS_TOKEN!,
 *   identify: (req) => (req.user ? { externalCustomerId: req.user.id } : null),
 * })
 * const session = await polar.getSession({ externalCustomerId: 'usr_1337' })
 */
export function createPolarSessions<Req = any>(options: PolarSessionsOptions<Req>): PolarSessions<Req> {
  const resolved = resolveOptions(options)
  const ownsStore = options.store === undefined
  const store = prepareStore(options.store ?? memoryStore(), resolved)
  const breaker = new CircuitBreaker(resolved.circuitBreaker, resolved.logger)
  const keys = new KeyDeriver(resolved.environment, resolved.baseUrl, resolved.accessToken)
  const entries = toEntryStore(store, {
    logger: resolved.logger,
    opTimeoutMs: 250,
    nearCacheTtlMs: resolved.nearCacheTtlMs,
    nearCacheMax: resolved.nearCacheMax,
  })
  // Sessions held in this process: the memory store's, or the near cache's in front of Redis.
  const telemetry = new Telemetry({ breakerState: () => breaker.state, cacheSize: () => entries.size })
  const budget = new CreationBudget({
    maxPerMinute: resolved.maxCreationsPerMinute,
    attachShare: resolved.attachBudgetShare,
    shared: entries.budget,
    scope: keys.budgetScope,
    logger: resolved.logger,
    warmupWaitMs: resolved.timeoutMs,
    onRefused: (reason) => telemetry.refused(reason),
  })
  const client = createPolarClient({
    baseUrl: resolved.baseUrl,
    accessToken: resolved.accessToken,
    environment: resolved.environment,
    timeoutMs: resolved.timeoutMs,
    deadlineMs: resolved.deadlineMs,
    maxRetryAfterMs: resolved.maxRetryAfterMs,
    fetch: resolved.fetch,
    logger: resolved.logger,
    userAgent: USER_AGENT,
    onRateLimited: (retryAfterSec) => budget.rateLimited(retryAfterSec),
    onAnswer: (status) => budget.answered(status),
    portalUrls: resolved.portalUrls,
    observer: upstreamObserver(telemetry, resolved.baseUrl),
  })
  const cache = new SessionCache({
    store: entries,
    logger: resolved.logger,
    notFoundTtlMs: resolved.notFoundTtlMs,
    deadlineMs: resolved.deadlineMs,
    maxReturnUrls: resolved.maxReturnUrlsPerCustomer,
    reuseWindowMs: Math.max(60_000, 3_600_000 - resolved.refreshMarginMs),
    create: async (identity, returnUrl, purpose, call) => {
      const received = await breaker.run(() =>
        createAtPolar(client, resolved, identity, returnUrl, { admit: () => budget.admit(purpose, call) }),
      )
      telemetry.created()
      return received
    },
    knownRefusal: (purpose) => budget.knownRefusal(purpose),
  })
  const prefetches = new PrefetchQueue()
  const logPrefetchError = createPrefetchErrorLog(resolved.logger)
  const defaultReturnUrl = typeof resolved.returnUrl === 'string' ? resolved.returnUrl : null
  let closed = false
  let closing: Promise<void> | null = null
  // Calls under way, identify() included, so close() can wait for them (even those not yet at Polar).
  let active = 0
  let onIdle: (() => void) | null = null

  const assertOpen = (): void => {
    if (closed) throw new Error('polar-session: this instance is closed.')
  }

  // Made once, not per call: the hit path allocates nothing for counting.
  const failed = (error: unknown): never => {
    telemetry.error(error)
    throw error
  }
  const countLookup = (session: PolarSession | null): PolarSession | null => {
    if (session === null) telemetry.miss()
    else telemetry.hit()
    return session
  }
  const prefetchFailed = (error: unknown): void => {
    telemetry.error(error)
    logPrefetchError(error)
  }

  /**
   * Runs a call counted as under way until it settles, so close() waits for it. Callers check
   * assertOpen() first: a call admitted before close() (say, still in identify()) may finish.
   */
  const track = async <T>(call: () => Promise<T>): Promise<T> => {
    active++
    try {
      return await call()
    } finally {
      if (--active === 0 && onIdle !== null) onIdle()
    }
  }

  /** The one return-URL policy: every URL but the configured default is checked here. */
  const normaliseReturnUrl = (value: string | URL | null | undefined): string | null => {
    if (value === undefined) return defaultReturnUrl
    if (value === null) return null
    const href = String(value)
    return href === defaultReturnUrl ? href : checkReturnUrl(href, resolved.allowedReturnOrigins)
  }

  /**
   * The session for an identity: a ready hit from a synchronous store is returned as is (no
   * promise, no bookkeeping: this is the hot path); anything else is a tracked async call.
   * Throws synchronously for bad input.
   */
  const sessionFor = (
    identity: PolarIdentity,
    callOptions: GetSessionOptions,
    requestedReturnUrl: string | URL | null | undefined = callOptions.returnUrl,
  ): PolarSession | null | Promise<PolarSession | null> => {
    const checked = validateIdentity(identity)
    const returnUrl = normaliseReturnUrl(requestedReturnUrl)
    const minRemainingMs = callOptions.minRemainingMs ?? resolved.refreshMarginMs
    if (typeof minRemainingMs !== 'number' || !(minRemainingMs >= 0)) {
      throw new TypeError('polar-session: minRemainingMs must be a number of milliseconds, 0 or more.')
    }
    const purpose = callOptions.purpose ?? 'interactive'
    if (purpose !== 'interactive' && purpose !== 'attach')
      throw new TypeError("polar-session: purpose must be 'interactive' or 'attach'.")
    const sessionKeys = keys.keys(checked, returnUrl)
    const hit = cache.peek(sessionKeys, minRemainingMs)
    if (hit !== undefined) {
      telemetry.hit()
      return hit
    }
    if (callOptions.cachedOnly === true) {
      if (cache.shared) return track(() => cache.lookup(sessionKeys, minRemainingMs).then(countLookup))
      telemetry.miss()
      return null
    }
    const fallback =
      returnUrl === defaultReturnUrl
        ? null
        : { returnUrl: defaultReturnUrl, keys: keys.keys(checked, defaultReturnUrl) }
    return track(() =>
      cache.get({
        identity: checked,
        returnUrl,
        keys: sessionKeys,
        minRemainingMs,
        purpose,
        fallback,
        counts: telemetry,
      }),
    )
  }

  /** See {@link PolarSessions.prefetch}: never throws, never rejects. */
  const prefetch = (identity: PolarIdentity, prefetchOptions: PrefetchOptions = {}): Promise<void> => {
    try {
      if (closed) {
        telemetry.prefetched('dropped')
        return Promise.resolve()
      }
      const checked = validateIdentity(identity)
      const returnUrl = normaliseReturnUrl(prefetchOptions?.returnUrl)
      const sessionKeys = keys.keys(checked, returnUrl)
      const minRemainingMs = resolved.refreshMarginMs
      if (cache.peek(sessionKeys, minRemainingMs) !== undefined) {
        telemetry.prefetched('skipped')
        return Promise.resolve()
      }
      const fallback =
        returnUrl === defaultReturnUrl
          ? null
          : { returnUrl: defaultReturnUrl, keys: keys.keys(checked, defaultReturnUrl) }
      // Speculative, like attach mode: it spends attach mode's share of the budget. Not counted
      // as a hit or a miss: those measure what users asked for.
      const request: SessionRequest = {
        identity: checked,
        returnUrl,
        keys: sessionKeys,
        minRemainingMs,
        purpose: 'attach',
        fallback,
      }
      const { result, done } = prefetches.submit(sessionKeys.session, () =>
        track(() => cache.get(request)).then(() => {}, prefetchFailed),
      )
      telemetry.prefetched(result)
      if (result === 'dropped')
        resolved.logger.debug({ maxQueued: PREFETCH_MAX_QUEUED }, 'polar-session: prefetch dropped; too many waiting')
      return done
    } catch (error) {
      prefetchFailed(error)
      return Promise.resolve()
    }
  }

  /** What `resolve` does once the request is identified. */
  const sessionOfIdentity = (
    request: Req,
    identity: PolarIdentity | null | undefined,
    callOptions: ResolveOptions,
  ): PolarSession | null | Promise<PolarSession | null> => {
    if (identity === null || identity === undefined) return null
    let returnUrl = callOptions.returnUrl
    if (returnUrl === undefined && typeof resolved.returnUrl === 'function') {
      returnUrl = resolved.returnUrl(request) ?? null
    }
    return sessionFor(identity, callOptions, returnUrl)
  }

  /**
   * `resolve` without the promise when none is needed: a synchronous `identify` and a ready hit
   * give the session (or null) as is, which spares the adapters' hot path a chain of promises.
   * Anything else is the tracked async call; failures are always a rejected promise.
   */
  const resolveNow = (
    request: Req,
    callOptions: ResolveOptions = {},
  ): PolarSession | null | Promise<PolarSession | null> => {
    try {
      assertOpen()
      const { identify } = resolved
      if (identify === undefined) {
        throw new TypeError(
          'polar-session: resolve() needs the identify option, a function from a request to an identity.',
        )
      }
      const identity = identify(request)
      const result = isPromiseLike(identity)
        ? track(async () => sessionOfIdentity(request, await identity, callOptions))
        : sessionOfIdentity(request, identity, callOptions)
      return result instanceof Promise ? result.then(undefined, failed) : result
    } catch (error) {
      telemetry.error(error)
      return Promise.reject(error)
    }
  }

  const instance: PolarSessions<Req> = {
    environment: resolved.environment,
    getSession: ((identity: PolarIdentity, callOptions: GetSessionOptions = {}) => {
      try {
        assertOpen()
        const result = sessionFor(identity, callOptions)
        return result instanceof Promise ? result.then(undefined, failed) : Promise.resolve(result)
      } catch (error) {
        telemetry.error(error)
        return Promise.reject(error)
      }
    }) as PolarSessions<Req>['getSession'],
    resolve: (request, callOptions = {}) => {
      const result = resolveNow(request, callOptions)
      return result instanceof Promise ? result : Promise.resolve(result)
    },
    async invalidate(identity) {
      const checked = validateIdentity(identity)
      await cache.invalidate(keys.keys(checked, null))
      telemetry.invalidated()
      resolved.logger.debug({}, 'polar-session: identity invalidated')
    },
    prefetch,
    stats: () => telemetry.snapshot(),
    checkReturnUrl(url, base) {
      return checkReturnUrl(url, resolved.allowedReturnOrigins, base)
    },
    close() {
      // Every caller of close() waits for the same shutdown.
      closing ??= (async () => {
        closed = true
        prefetches.close()
        if (active > 0) await new Promise<void>((resolve) => (onIdle = resolve))
        await cache.drain()
        await cache.close()
        telemetry.close()
        if (ownsStore) await store.close?.()
      })()
      return closing
    },
  }
  registerInternals(instance, { reportAttachError: createAttachErrorLog(resolved.logger), resolveNow })
  return instance
}

/** Seals an outside store, or refuses it unencrypted unless the user opted out by name. */
function prepareStore(store: SessionStore, options: ResolvedOptions<any>): SessionStore {
  if (store instanceof MemoryStore) return store
  if (
    typeof store !== 'object' ||
    store === null ||
    typeof store.get !== 'function' ||
    typeof store.set !== 'function' ||
    typeof store.delete !== 'function'
  ) {
    throw new TypeError(
      'createPolarSessions: store must have get(key), set(key, value, ttlMs) and delete(key) methods.',
    )
  }
  if (options.encryptionKey !== undefined) return sealedStore(store, { keys: options.encryptionKey })
  if (!options.allowPlaintextStore) {
    throw new TypeError(
      'createPolarSessions: this store lives outside the process, so session tokens and portal URLs would be stored in clear. ' +
        'Pass encryptionKey (a secret of at least 32 characters), or allowPlaintextStore: true if you accept that.',
    )
  }
  return store
}

/** One session creation at Polar, creating the customer first when allowed and needed. */
async function createAtPolar(
  client: PolarClient,
  options: ResolvedOptions<any>,
  identity: CheckedIdentity,
  returnUrl: string | null,
  call: CallOptions,
): Promise<ReceivedSession> {
  const input = {
    customerId: identity.customerId,
    externalCustomerId: identity.externalCustomerId,
    memberId: identity.memberId,
    externalMemberId: identity.externalMemberId,
    returnUrl,
  }
  try {
    return await client.createCustomerSession(input, call)
  } catch (error) {
    const canCreate =
      options.createCustomer && identity.externalCustomerId !== undefined && identity.email !== undefined
    if (!canCreate || !isPolarSessionError(error, 'customer_not_found')) throw error
  }
  try {
    await client.createCustomer(
      { externalId: identity.externalCustomerId!, email: identity.email!, name: identity.name ?? null },
      call,
    )
    options.logger.info({}, 'polar-session: created a missing Polar customer')
  } catch (error) {
    // Another request or process may have created it a moment ago (Polar's lookup 422: the
    // external id or email exists): the session retry below settles it. An email the schema
    // refuses (a domain that accepts no mail) is the identity's problem; anything else as is.
    if (!isPolarSessionError(error, 'polar_rejected')) throw error
    const details = error.cause as PolarErrorDetails | undefined
    const emailRefused =
      details?.error === 'RequestValidationError' && details.issues?.some((issue) => issue.loc.at(-1) === 'email')
    if (emailRefused) {
      throw new PolarSessionError(
        'invalid_identity',
        "Polar refused the identity's email for the new customer (it checks that the domain accepts mail).",
        { status: 400, cause: error },
      )
    }
  }
  return client.createCustomerSession(input, call)
}

/** Whether `identify` answered with a promise (or any thenable) rather than the identity itself. */
function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function'
}
