// The OpenTelemetry instruments and spans, read back through the real SDKs: an in-memory metric
// reader and an in-memory span exporter registered as the global providers, as an app would.
import { metrics, trace } from '@opentelemetry/api'
import { MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { startFakePolar, type FakePolar } from '@polar-session/testing'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { PolarSessionError } from '../errors.js'
import { json, SECRETS, sessionJson, startServer, type ScriptedServer } from '../test-support/polar-test-server.js'
import { captureLogs, findLeak } from '../test-support/log-capture.js'
import { instancesOn } from '../test-support/instances.js'

/** A pull reader: `collect()` on demand. */
class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

let fake: FakePolar
let reader: TestReader
let spans: InMemorySpanExporter
const logs = captureLogs()
const { sessions, closeAll } = instancesOn(() => fake, logs)
/** Everything the SDKs received in this file, for the secret check after the last test. */
const exported: string[] = []

beforeAll(async () => {
  fake = await startFakePolar()
  for (let i = 0; i < 10; i++) fake.addCustomer({ externalId: `otel_user_${i}`, email: `otel${i}@example.com` })
})

beforeEach(() => {
  // Fresh global providers per test, as an app registers them once at start.
  metrics.disable()
  trace.disable()
  reader = new TestReader()
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))
  spans = new InMemorySpanExporter()
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }))
})

afterEach(async () => {
  fake.clearFaults()
  await closeAll()
})

afterAll(async () => {
  // No token, portal URL or email in any metric, span or log line of this file; in metrics and
  // spans no identity either (external ids, Polar's customer ids).
  const secrets = [
    ...SECRETS,
    fake.accessToken,
    ...fake.sessions().map((s) => s.token),
    ...fake.customers().map((c) => c.email),
  ]
  const identities = fake.customers().flatMap((c) => [c.externalId ?? '', c.id])
  expect(exported.length).toBeGreaterThan(5)
  expect(findLeak(exported.join('\n'), [...secrets, ...identities, 'usr_scripted'])).toBeUndefined()
  expect(findLeak(logs.text(), secrets)).toBeUndefined()
  metrics.disable()
  trace.disable()
  await fake.close()
})

/** Our scope's metrics by name, after a collection. */
async function collect(): Promise<Map<string, MetricData>> {
  const { resourceMetrics, errors } = await reader.collect()
  expect(errors).toEqual([])
  const found = resourceMetrics.scopeMetrics
    .filter((s) => s.scope.name === '@polar-session/core')
    .flatMap((s) => s.metrics)
  exported.push(JSON.stringify(found))
  return new Map(found.map((m) => [m.descriptor.name, m]))
}

/** The sum of a counter's points (those matching `attributes`), or a gauge's value. */
function value(
  data: Map<string, MetricData>,
  name: string,
  attributes: Record<string, unknown> = {},
): number | undefined {
  const metric = data.get(name)
  if (metric === undefined) return undefined
  const points = metric.dataPoints.filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))
  return points.reduce((sum, p) => sum + (p.value as number), 0)
}

function finishedSpans() {
  const finished = spans.getFinishedSpans()
  exported.push(
    JSON.stringify(
      finished.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
    ),
  )
  return finished
}

async function rejection(promise: Promise<unknown>): Promise<PolarSessionError> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PolarSessionError)
  return error as PolarSessionError
}

describe('OpenTelemetry metrics', () => {
  it('a miss then a hit: creations 1, misses 1, hits 1, in the SDK and in stats()', async () => {
    const polar = sessions()
    const before = await collect()
    expect(value(before, 'polar_session.cache.hits')).toBeUndefined() // nothing counted yet
    await polar.getSession({ externalCustomerId: 'otel_user_0' })
    await polar.getSession({ externalCustomerId: 'otel_user_0' })
    const data = await collect()
    expect(value(data, 'polar_session.creations')).toBe(1)
    expect(value(data, 'polar_session.cache.misses')).toBe(1)
    expect(value(data, 'polar_session.cache.hits')).toBe(1)
    expect(value(data, 'polar_session.cache.size')).toBe(1)
    expect(value(data, 'polar_session.breaker.open')).toBe(0)
    const duration = data.get('polar_session.upstream.duration')!
    expect(duration.descriptor.unit).toBe('ms')
    expect(duration.dataPoints).toHaveLength(1)
    expect(duration.dataPoints[0]!.attributes).toEqual({
      'http.request.method': 'POST',
      'http.response.status_code': 201,
      outcome: 'ok',
    })
    expect(polar.stats()).toMatchObject({
      cache: { hits: 1, misses: 1, size: 1 },
      creations: 1,
      errors: {},
      upstream: { requests: 1, outcomes: { ok: 1 } },
    })
  })

  it('counts cachedOnly lookups, invalidations and errors by code', async () => {
    const polar = sessions()
    expect(await polar.getSession({ externalCustomerId: 'otel_user_1' }, { cachedOnly: true })).toBeNull()
    await polar.getSession({ externalCustomerId: 'otel_user_1' })
    expect(await polar.getSession({ externalCustomerId: 'otel_user_1' }, { cachedOnly: true })).not.toBeNull()
    await polar.invalidate({ externalCustomerId: 'otel_user_1' })
    expect((await rejection(polar.getSession({ externalCustomerId: 'nobody_here' }))).code).toBe('customer_not_found')
    expect((await rejection(polar.getSession({ customerId: 'not-a-uuid' }))).code).toBe('invalid_identity')
    const data = await collect()
    expect(value(data, 'polar_session.cache.hits')).toBe(1)
    expect(value(data, 'polar_session.cache.misses')).toBe(3) // cachedOnly empty, the creation, the unknown customer
    expect(value(data, 'polar_session.invalidations')).toBe(1)
    expect(value(data, 'polar_session.errors', { code: 'customer_not_found' })).toBe(1)
    expect(value(data, 'polar_session.errors', { code: 'invalid_identity' })).toBe(1)
    expect(
      data
        .get('polar_session.upstream.duration')!
        .dataPoints.find((p) => p.attributes['http.response.status_code'] === 422)?.attributes['outcome'],
    ).toBe('rejected')
    expect(polar.stats()).toMatchObject({ invalidations: 1, errors: { customer_not_found: 1, invalid_identity: 1 } })
  })

  it('counts budget refusals apart from Polar-429 blocks', async () => {
    const polar = sessions({ maxCreationsPerMinute: 1 })
    await polar.getSession({ externalCustomerId: 'otel_user_2' })
    expect((await rejection(polar.getSession({ externalCustomerId: 'otel_user_3' }))).code).toBe('rate_limited')
    const blocked = sessions()
    fake.fail({ kind: 'status', status: 429, retryAfter: 60 }, { times: 1 })
    expect((await rejection(blocked.getSession({ externalCustomerId: 'otel_user_4' }))).code).toBe('rate_limited')
    expect((await rejection(blocked.getSession({ externalCustomerId: 'otel_user_5' }))).code).toBe('rate_limited')
    const data = await collect()
    expect(value(data, 'polar_session.budget.refused', { reason: 'budget_spent' })).toBe(1)
    expect(value(data, 'polar_session.budget.refused', { reason: 'polar_rate_limited' })).toBe(1)
    expect(value(data, 'polar_session.errors', { code: 'rate_limited' })).toBe(3)
    expect(polar.stats().budget).toEqual({ refused: 1, blocked: 0 })
    expect(blocked.stats().budget).toEqual({ refused: 0, blocked: 1 })
  })

  it('reports the breaker open while it fails fast, across instances in one gauge', async () => {
    const polar = sessions({
      circuitBreaker: { failureThreshold: 1, cooldownMs: 60_000 },
      deadlineMs: 300,
      timeoutMs: 100,
    })
    const other = sessions()
    await other.getSession({ externalCustomerId: 'otel_user_6' })
    fake.fail({ kind: 'reset' }, { rate: 1 })
    expect((await rejection(polar.getSession({ externalCustomerId: 'otel_user_7' }))).code).toBe('polar_unavailable')
    const data = await collect()
    expect(value(data, 'polar_session.breaker.open')).toBe(1)
    expect(value(data, 'polar_session.cache.size')).toBe(1) // the other instance's session
    expect(polar.stats().breaker).toEqual({ open: true, state: 'open' })
    expect(polar.stats().upstream.outcomes.network_error).toBeGreaterThanOrEqual(1)
    await polar.close()
    expect(value(await collect(), 'polar_session.breaker.open')).toBe(0) // a closed instance no longer reports
  })
})

describe('a 503 then a success', () => {
  let server: ScriptedServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server.close())

  it('gives errors{code} and two upstream durations', async () => {
    // A 503 asking for more than maxRetryAfterMs fails after one request.
    server.enqueue(json(503, { detail: 'down' }, { 'retry-after': '60' }), json(201, sessionJson()))
    const polar = sessions({ accessToken: 'polar_oat_' + 'a'.repeat(43), baseUrl: server.url })
    const error = await rejection(polar.getSession({ externalCustomerId: 'usr_scripted' }))
    expect([error.code, error.status]).toEqual(['polar_unavailable', 503])
    await polar.getSession({ externalCustomerId: 'usr_scripted' })
    const data = await collect()
    expect(value(data, 'polar_session.errors', { code: 'polar_unavailable' })).toBe(1)
    const points = data.get('polar_session.upstream.duration')!.dataPoints
    expect(points.map((p) => [p.attributes, (p.value as { count: number }).count])).toEqual(
      expect.arrayContaining([
        [{ 'http.request.method': 'POST', 'http.response.status_code': 503, outcome: 'server_error' }, 1],
        [{ 'http.request.method': 'POST', 'http.response.status_code': 201, outcome: 'ok' }, 1],
      ]),
    )
    expect(points).toHaveLength(2)
    expect(polar.stats()).toMatchObject({ errors: { polar_unavailable: 1 }, creations: 1, upstream: { requests: 2 } })
    const [failed, succeeded] = finishedSpans()
    expect(failed!.status.code).toBe(2) // SpanStatusCode.ERROR
    expect(failed!.attributes).toMatchObject({
      'error.type': '503',
      'polar_session.error_code': 'polar_unavailable',
      'http.response.status_code': 503,
    })
    expect(succeeded!.status.code).toBe(0)
  })
})

describe('client spans', () => {
  it('one span per call, with HTTP attributes and retries as events', async () => {
    const polar = sessions()
    fake.fail({ kind: 'status', status: 503 }, { times: 1 })
    await polar.getSession({ externalCustomerId: 'otel_user_8' })
    const [span, ...more] = finishedSpans()
    expect(more).toHaveLength(0)
    expect(span!.name).toBe('POST /v1/customer-sessions/')
    expect(span!.kind).toBe(2) // SpanKind.CLIENT
    expect(span!.instrumentationScope.name).toBe('@polar-session/core')
    const { port } = new URL(fake.url)
    expect(span!.attributes).toEqual({
      'http.request.method': 'POST',
      'server.address': '127.0.0.1',
      'server.port': Number(port),
      'url.path': '/v1/customer-sessions/',
      'http.response.status_code': 201,
      'http.request.resend_count': 1,
    })
    expect(
      span!.events.map((e) => [
        e.name,
        e.attributes?.['http.response.status_code'],
        e.attributes?.['polar_session.attempt'],
      ]),
    ).toEqual([['retry', 503, 1]])
    const points = (await collect()).get('polar_session.upstream.duration')!.dataPoints
    expect(points.reduce((n, p) => n + (p.value as { count: number }).count, 0)).toBe(2)
  })

  it('a call the creation budget refuses is a span without a request: error.type rate_limited', async () => {
    const polar = sessions({ maxCreationsPerMinute: 1 })
    await polar.getSession({ externalCustomerId: 'otel_user_9' })
    await rejection(polar.getSession({ externalCustomerId: 'otel_user_0' }))
    const refused = finishedSpans()[1]!
    expect(refused.attributes['error.type']).toBe('rate_limited')
    expect(refused.attributes['http.response.status_code']).toBeUndefined()
  })
})
