import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { PolarSessionError } from '../errors.js'
import { createPolarClient, type PolarClientOptions } from './index.js'
import { defaultSleep } from './retry.js'
import {
  empty,
  errorText,
  EXTERNAL_ID,
  hang,
  hangBody,
  hangUp,
  json,
  rejection,
  reset,
  SECRETS,
  sessionJson,
  startServer,
  testOptions,
  type ScriptedServer,
} from '../test-support/polar-test-server.js'

let server: ScriptedServer
beforeEach(async () => {
  server = await startServer()
})
afterEach(async () => {
  vi.restoreAllMocks()
  await server.close()
})

const INPUT = { externalCustomerId: EXTERNAL_ID }
const ROUTE = 'POST /v1/customer-sessions/'

function noSecrets(error: unknown, options: { logger: { records: unknown[] } }): void {
  const text = errorText(error) + JSON.stringify(options.logger.records)
  for (const secret of SECRETS) expect(text).not.toContain(secret)
}

function sequence(...values: number[]): () => number {
  let i = 0
  return () => values[i++] ?? 0
}

describe('429', () => {
  it('waits retry-after, then succeeds; logs the retry at warn without secrets', async () => {
    server.enqueue(empty(429, { 'retry-after': '2' }), json(201, sessionJson()))
    const options = testOptions(server)
    const session = await createPolarClient(options).createCustomerSession(INPUT)
    expect(session.customerId).toBeTruthy()
    expect(server.requests).toHaveLength(2)
    expect(options.sleeps).toEqual([2000])
    const warns = options.logger.records.filter((r) => r.level === 'warn')
    expect(warns).toHaveLength(1)
    expect(warns[0]?.obj).toMatchObject({ route: ROUTE, attempt: 1, status: 429, delayMs: 2000 })
    noSecrets(undefined, options)
  })

  it('fails fast when retry-after exceeds maxRetryAfterMs: rate_limited 503 with Retry-After', async () => {
    server.enqueue(empty(429, { 'retry-after': '30' }))
    const options = testOptions(server)
    const error = await rejection(createPolarClient(options).createCustomerSession(INPUT))
    expect(error).toBeInstanceOf(PolarSessionError)
    expect(error).toMatchObject({ code: 'rate_limited', status: 503, retryAfter: 30, headers: { 'Retry-After': '30' } })
    expect((error as Error).message).toContain('500 a minute')
    expect(server.requests).toHaveLength(1)
    expect(options.sleeps).toEqual([])
    noSecrets(error, options)
  })

  it('fails fast when retry-after is within maxRetryAfterMs but beyond the deadline', async () => {
    server.enqueue(empty(429, { 'retry-after': '5' }))
    const options = testOptions(server, { deadlineMs: 3_000, maxRetryAfterMs: 10_000 })
    const error = await rejection(createPolarClient(options).createCustomerSession(INPUT))
    expect(error).toMatchObject({ code: 'rate_limited', retryAfter: 5 })
    expect(server.requests).toHaveLength(1)
    expect(options.sleeps).toEqual([])
  })

  it('gives up after maxAttempts with rate_limited and the last retry-after', async () => {
    server.fallback = empty(429, { 'retry-after': '1' })
    const options = testOptions(server, { maxAttempts: 3 })
    const error = await rejection(createPolarClient(options).createCustomerSession(INPUT))
    expect(error).toMatchObject({ code: 'rate_limited', status: 503, retryAfter: 1, headers: { 'Retry-After': '1' } })
    expect((error as Error).message).toContain('3 attempts')
    expect(server.requests).toHaveLength(3)
    expect(options.sleeps).toEqual([1000, 1000])
  })

  it('without retry-after, backs off with jitter and reports retryAfter 1 at the end', async () => {
    server.fallback = empty(429)
    const options = testOptions(server, { maxAttempts: 2, random: () => 0.5 })
    const error = await rejection(createPolarClient(options).createCustomerSession(INPUT))
    expect(error).toMatchObject({ code: 'rate_limited', retryAfter: 1 })
    expect(options.sleeps).toEqual([50])
  })

  it('tells the client to wait at least 1 s, even after 429s with retry-after: 0', async () => {
    server.fallback = empty(429, { 'retry-after': '0' })
    const options = testOptions(server, { maxAttempts: 2 })
    const error = await rejection(createPolarClient(options).createCustomerSession(INPUT))
    expect(error).toMatchObject({ code: 'rate_limited', retryAfter: 1, headers: { 'Retry-After': '1' } })
    expect(server.requests).toHaveLength(2)
  })

  it('reads an HTTP-date retry-after', async () => {
    const at = new Date(Date.now() + 3_000).toUTCString()
    server.enqueue(empty(429, { 'retry-after': at }), json(201, sessionJson()))
    const options = testOptions(server)
    await createPolarClient(options).createCustomerSession(INPUT)
    expect(options.sleeps).toHaveLength(1)
    expect(options.sleeps[0]).toBeGreaterThanOrEqual(2_000)
    expect(options.sleeps[0]).toBeLessThanOrEqual(3_000)
  })
})

describe('5xx', () => {
  it('retries 503, 502, 500 with full-jitter exponential backoff, then succeeds', async () => {
    server.enqueue(empty(503), json(502, { error: 'bad gateway' }), empty(500), json(201, sessionJson()))
    const options = testOptions(server, { random: sequence(0.5, 0.25, 1) })
    await createPolarClient(options).createCustomerSession(INPUT)
    expect(server.requests).toHaveLength(4)
    // min(2000, 100·2^(n-1)) · random: 100·0.5, 200·0.25, 400·1
    expect(options.sleeps).toEqual([50, 50, 400])
    const warns = options.logger.records.filter((r) => r.level === 'warn').map((r) => r.obj)
    expect(warns).toEqual([
      expect.objectContaining({ route: ROUTE, attempt: 1, status: 503, delayMs: 50 }),
      expect.objectContaining({ route: ROUTE, attempt: 2, status: 502, delayMs: 50 }),
      expect.objectContaining({ route: ROUTE, attempt: 3, status: 500, delayMs: 400 }),
    ])
  })

  it('keeps every delay within [0, min(2000, 100·2^(n-1))]', async () => {
    server.fallback = empty(503)
    const high = testOptions(server, { maxAttempts: 8, random: () => 0.999999 })
    await rejection(createPolarClient(high).createCustomerSession(INPUT))
    expect(high.sleeps).toEqual([99, 199, 399, 799, 1599, 1999, 1999])
    const low = testOptions(server, { maxAttempts: 4, random: () => 0 })
    await rejection(createPolarClient(low).createCustomerSession(INPUT))
    expect(low.sleeps).toEqual([0, 0, 0])
  })

  it.each([
    [500, 502],
    [502, 502],
    [503, 503],
    [504, 503],
  ])('exhausted %i → polar_unavailable %i', async (status, expected) => {
    server.fallback = json(status, { error: 'upstream' })
    const options = testOptions(server, { maxAttempts: 2 })
    const error = await rejection(createPolarClient(options).createCustomerSession(INPUT))
    expect(error).toMatchObject({ code: 'polar_unavailable', status: expected })
    expect((error as Error).message).toContain(`HTTP ${status}`)
    expect((error as Error).message).toContain('2 attempts')
    expect(server.requests).toHaveLength(2)
    noSecrets(error, options)
  })

  it('a 503 retry-after is honoured and reported', async () => {
    server.enqueue(empty(503, { 'retry-after': '1' }))
    server.fallback = empty(503, { 'retry-after': '7' })
    const options = testOptions(server, { maxAttempts: 2 })
    const error = await rejection(createPolarClient(options).createCustomerSession(INPUT))
    expect(options.sleeps).toEqual([1000])
    expect(error).toMatchObject({
      code: 'polar_unavailable',
      status: 503,
      retryAfter: 7,
      headers: { 'Retry-After': '7' },
    })
  })

  it('a 503 retry-after beyond maxRetryAfterMs stops at once with retryAfter', async () => {
    server.fallback = empty(503, { 'retry-after': '60' })
    const options = testOptions(server)
    const error = await rejection(createPolarClient(options).createCustomerSession(INPUT))
    expect(error).toMatchObject({ code: 'polar_unavailable', status: 503, retryAfter: 60 })
    expect(server.requests).toHaveLength(1)
  })

  it('drains unused bodies so the keep-alive socket is reused', async () => {
    server.enqueue(json(503, { error: 'x'.repeat(50_000) }), json(201, sessionJson()))
    // undici hands a drained socket back to its pool a moment after the body ends.
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, 20 + ms))
    await createPolarClient(testOptions(server, { sleep })).createCustomerSession(INPUT)
    expect(server.requests).toHaveLength(2)
    expect(server.requests[1]?.remotePort).toBe(server.requests[0]?.remotePort)
  })
})

describe('timeouts and network errors', () => {
  it('aborts a hanging attempt after timeoutMs, retries, then fails polar_unavailable 503', async () => {
    server.fallback = hang()
    const options = testOptions(server, { timeoutMs: 50, maxAttempts: 2 })
    const error = await rejection(createPolarClient(options).createCustomerSession(INPUT))
    expect(error).toMatchObject({ code: 'polar_unavailable', status: 503 })
    expect((error as Error).message).toContain('within the 50 ms per-attempt timeout')
    expect(server.requests).toHaveLength(2)
    // The in-flight fetches were really aborted: the server saw both connections close.
    await vi.waitFor(() => expect(server.aborted).toBe(2))
    const warn = options.logger.records.find((r) => r.level === 'warn')
    expect(warn?.obj).toMatchObject({ route: ROUTE, attempt: 1, reason: 'timeout' })
    noSecrets(error, options)
  })

  it('the timeout covers the body: a stalled body is aborted and retried', async () => {
    server.enqueue(hangBody(), json(201, sessionJson()))
    const options = testOptions(server, { timeoutMs: 80 })
    const session = await createPolarClient(options).createCustomerSession(INPUT)
    expect(session.token).toMatch(/^polar_cst_/)
    expect(server.requests).toHaveLength(2)
    await vi.waitFor(() => expect(server.aborted).toBe(1))
  })

  it('a fetch that ignores its signal still times out', async () => {
    let calls = 0
    const options = testOptions(server, {
      timeoutMs: 30,
      maxAttempts: 2,
      fetch: () => {
        calls += 1
        return new Promise<Response>(() => {})
      },
    })
    const error = await rejection(createPolarClient(options).createCustomerSession(INPUT))
    expect(error).toMatchObject({ code: 'polar_unavailable', status: 503 })
    expect(calls).toBe(2)
  })

  it('retries a connection reset (ECONNRESET), then succeeds', async () => {
    server.enqueue(reset(), json(201, sessionJson()))
    const options = testOptions(server)
    await createPolarClient(options).createCustomerSession(INPUT)
    expect(server.requests).toHaveLength(2)
    expect(options.sleeps).toEqual([50])
    expect(options.logger.records.find((r) => r.level === 'warn')?.obj).toMatchObject({
      route: ROUTE,
      attempt: 1,
      reason: 'network',
      code: 'ECONNRESET',
      delayMs: 50,
    })
  })

  it('keeps failing on resets → polar_unavailable 503 naming ECONNRESET', async () => {
    server.fallback = reset()
    const options = testOptions(server, { maxAttempts: 3 })
    const error = await rejection(createPolarClient(options).createCustomerSession(INPUT))
    expect(error).toMatchObject({ code: 'polar_unavailable', status: 503 })
    expect((error as Error).message).toContain('ECONNRESET')
    expect(server.requests).toHaveLength(3)
    noSecrets(error, options)
  })

  it('retries a socket hang-up', async () => {
    server.enqueue(hangUp(), json(201, sessionJson()))
    await createPolarClient(testOptions(server)).createCustomerSession(INPUT)
    expect(server.requests).toHaveLength(2)
  })

  it('retries a fetch TypeError and a refused connection', async () => {
    let calls = 0
    const options = testOptions(server, {
      maxAttempts: 2,
      fetch: async () => {
        calls += 1
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) })
      },
    })
    const error = await rejection(createPolarClient(options).createCustomerSession(INPUT))
    expect(calls).toBe(2)
    expect((error as Error).message).toContain('ECONNREFUSED')

    const closed = await startServer()
    const url = closed.url
    await closed.close()
    const refused = await rejection(
      createPolarClient(testOptions({ url }, { maxAttempts: 2 })).createCustomerSession(INPUT),
    )
    expect(refused).toMatchObject({ code: 'polar_unavailable', status: 503 })
    expect((refused as Error).message).toContain('ECONNREFUSED')
  })
})

describe('deadline', () => {
  it('stops retrying when the next backoff would pass the deadline (real sleep)', async () => {
    server.fallback = empty(503)
    const options = testOptions(server, { deadlineMs: 250, maxAttempts: 10, random: () => 1, sleep: defaultSleep })
    const error = await rejection(createPolarClient(options).createCustomerSession(INPUT))
    // attempt 1, wait 100 ms, attempt 2, then a 200 ms wait would not fit in what is left.
    expect(server.requests).toHaveLength(2)
    expect(error).toMatchObject({ code: 'polar_unavailable', status: 503 })
    expect((error as Error).message).toContain('the 250 ms deadline left no time for another')
  })

  it('clamps attempt timeouts to the deadline against a hanging server', async () => {
    server.fallback = hang()
    const options = testOptions(server, {
      timeoutMs: 50,
      deadlineMs: 120,
      maxAttempts: 10,
      random: () => 0,
      sleep: defaultSleep,
    })
    const error = await rejection(createPolarClient(options).createCustomerSession(INPUT))
    expect(server.requests.length).toBeGreaterThanOrEqual(2)
    expect(server.requests.length).toBeLessThanOrEqual(3)
    expect(error).toMatchObject({ code: 'polar_unavailable', status: 503 })
  })
})

describe('external abort', () => {
  it('aborts the in-flight request and rejects with the reason, without retrying', async () => {
    server.fallback = hang()
    const options = testOptions(server, { timeoutMs: 5_000 })
    const controller = new AbortController()
    const reason = new Error('client went away')
    const pending = rejection(createPolarClient(options).createCustomerSession(INPUT, { signal: controller.signal }))
    // Abort once the request is really in flight at the server.
    await vi.waitFor(() => expect(server.requests).toHaveLength(1))
    controller.abort(reason)
    const error = await pending
    expect(error).toBe(reason)
    expect(server.requests).toHaveLength(1)
    await vi.waitFor(() => expect(server.aborted).toBe(1))
  })

  it('interrupts the wait between attempts', async () => {
    server.fallback = empty(429, { 'retry-after': '3' })
    const options = testOptions(server, { sleep: defaultSleep })
    const controller = new AbortController()
    const client = createPolarClient(options)
    const pending = rejection(client.createCustomerSession(INPUT, { signal: controller.signal }))
    await vi.waitFor(() => expect(server.requests).toHaveLength(1))
    await new Promise((resolve) => setTimeout(resolve, 20))
    controller.abort()
    const error = await pending
    expect(error).toBeInstanceOf(DOMException)
    expect((error as DOMException).name).toBe('AbortError')
    expect(server.requests).toHaveLength(1)
  })

  it('an already-aborted signal sends nothing', async () => {
    const reason = new Error('already')
    const error = await rejection(
      createPolarClient(testOptions(server)).createCustomerSession(INPUT, { signal: AbortSignal.abort(reason) }),
    )
    expect(error).toBe(reason)
    expect(server.requests).toHaveLength(0)
  })
})

describe('timers', () => {
  function trackTimers(...delays: number[]) {
    const created = new Set<unknown>()
    const cleared = new Set<unknown>()
    const realSet = globalThis.setTimeout
    const realClear = globalThis.clearTimeout
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number, ...args: unknown[]) => {
      const handle = realSet(fn, ms, ...args)
      // Only the timers this client creates (undici keeps its own keep-alive timers).
      const fromClient = /src[\\/]polar[\\/](attempt|retry)\.ts/.test(new Error().stack ?? '')
      if (ms !== undefined && delays.includes(ms) && fromClient) created.add(handle)
      return handle
    }) as typeof setTimeout)
    vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((handle?: Parameters<typeof clearTimeout>[0]) => {
      if (created.has(handle)) cleared.add(handle)
      realClear(handle)
    }) as typeof clearTimeout)
    return { created, cleared }
  }

  it('clears the per-attempt timer when a call settles (success and error)', async () => {
    server.enqueue(json(201, sessionJson()), json(401, { error: 'invalid_token' }))
    const timers = trackTimers(4321)
    const client = createPolarClient(testOptions(server, { timeoutMs: 4321, deadlineMs: 60_000 }))
    await client.createCustomerSession(INPUT)
    await rejection(client.createCustomerSession(INPUT))
    expect(timers.created.size).toBe(2)
    expect(timers.cleared).toEqual(timers.created)
  })

  it('clears the sleep timer when the wait is aborted', async () => {
    server.fallback = empty(429, { 'retry-after': '3' })
    const timers = trackTimers(3000)
    const controller = new AbortController()
    const pending = rejection(
      createPolarClient(testOptions(server, { sleep: defaultSleep })).createCustomerSession(INPUT, {
        signal: controller.signal,
      }),
    )
    await vi.waitFor(() => expect(timers.created.size).toBe(1))
    controller.abort()
    await pending
    expect(timers.cleared).toEqual(timers.created)
  })
})

describe('options', () => {
  it('maxAttempts 1 never retries', async () => {
    server.fallback = empty(503)
    const options: PolarClientOptions & { sleeps: number[] } = testOptions(server, { maxAttempts: 1 })
    const error = await rejection(createPolarClient(options).createCustomerSession(INPUT))
    expect(error).toMatchObject({ code: 'polar_unavailable' })
    expect(server.requests).toHaveLength(1)
    expect(options.sleeps).toEqual([])
  })
})
