import { createRequire } from 'node:module'
import type * as OtelApi from '@opentelemetry/api'
import { VERSION } from '../version.js'

/** The OpenTelemetry API, when the app has it installed. */
export type Api = typeof OtelApi

/** The name of the meter and the tracer: the package's own, as OpenTelemetry asks. */
export const INSTRUMENTATION_NAME = '@polar-session/core'

let loaded: Api | null | undefined

/**
 * `@opentelemetry/api` if it can be resolved, else null; tried once per process. A synchronous
 * require (the api ships CommonJS): an `await import()` would leave a gap after construction
 * in which counts and spans went nowhere. The api keeps its providers in a global shared by
 * every copy, so this copy sees the SDK the app registered from its own. Never throws.
 */
export function otelApi(): Api | null {
  if (loaded !== undefined) return loaded
  try {
    const api = createRequire(import.meta.url)('@opentelemetry/api') as Partial<Api>
    loaded =
      typeof api.metrics?.getMeter === 'function' && typeof api.trace?.getTracer === 'function' ? (api as Api) : null
  } catch {
    loaded = null
  }
  return loaded
}

/** What the gauges read off one instance. */
export interface GaugeSource {
  /** 1 while the circuit breaker is open or probing, else 0. */
  breakerOpen(): number
  /** Sessions held in this process (the memory store's, or the near cache's in front of a shared store). */
  cacheSize(): number
}

/** The instruments of one meter, shared by every instance created while it is the global one. */
export interface Instruments {
  readonly hits: OtelApi.Counter
  readonly misses: OtelApi.Counter
  readonly creations: OtelApi.Counter
  readonly errors: OtelApi.Counter
  readonly invalidations: OtelApi.Counter
  readonly budgetRefused: OtelApi.Counter
  readonly prefetches: OtelApi.Counter
  readonly upstreamDuration: OtelApi.Histogram
  readonly tracer: OtelApi.Tracer
  readonly api: Api
  /** Feeds the gauges from `source` until the returned function is called. */
  observeGauges(source: GaugeSource): () => void
}

/** Upstream latency buckets, in ms: Polar answers in tens of ms; timeouts are seconds. */
const DURATION_BUCKETS_MS = [5, 10, 25, 50, 75, 100, 250, 500, 750, 1_000, 2_500, 5_000, 10_000]

const byMeter = new WeakMap<OtelApi.Meter, Instruments>()

/**
 * The instruments on the global meter provider's meter, created once per meter. Every instance
 * adds to the same counters (the SDK sums them). Read when an instance is created: set the
 * OpenTelemetry SDK up before `createPolarSessions` (the metrics api has no proxy that would
 * pick up a provider registered later; the tracer does).
 */
export function instruments(api: Api): Instruments {
  const meter = api.metrics.getMeter(INSTRUMENTATION_NAME, VERSION)
  let found = byMeter.get(meter)
  if (found !== undefined) return found
  const counter = (name: string, description: string, unit: string) => meter.createCounter(name, { description, unit })
  found = {
    hits: counter('polar_session.cache.hits', 'Sessions handed out from the cache', '{hit}'),
    misses: counter('polar_session.cache.misses', 'Lookups the cache could not answer with a session', '{miss}'),
    creations: counter('polar_session.creations', 'Sessions Polar created', '{session}'),
    errors: counter(
      'polar_session.errors',
      'Errors getSession and resolve threw, and failed prefetches, by code',
      '{error}',
    ),
    invalidations: counter('polar_session.invalidations', 'Identities invalidated', '{invalidation}'),
    budgetRefused: counter(
      'polar_session.budget.refused',
      'Requests to Polar refused before sending, by reason',
      '{request}',
    ),
    prefetches: counter('polar_session.prefetches', 'prefetch() calls, by what came of them', '{prefetch}'),
    upstreamDuration: meter.createHistogram('polar_session.upstream.duration', {
      description: 'Duration of each HTTP request to Polar (every attempt, retries included)',
      unit: 'ms',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_MS },
    }),
    tracer: api.trace.getTracer(INSTRUMENTATION_NAME, VERSION),
    api,
    observeGauges: gauges(meter),
  }
  byMeter.set(meter, found)
  return found
}

/**
 * The two observable gauges of a meter, fed by every live instance: two instances observing
 * the same attribute set would overwrite each other, so one callback adds up the cache sizes
 * and reports the breaker open when any instance's is. Sources are held weakly, so an instance
 * nobody closed can still be collected.
 */
function gauges(meter: OtelApi.Meter): Instruments['observeGauges'] {
  const sources = new Set<WeakRef<GaugeSource>>()
  const breaker = meter.createObservableGauge('polar_session.breaker.open', {
    description: '1 while a circuit breaker in front of Polar is open (failing fast) or probing; 0 when closed',
  })
  const size = meter.createObservableGauge('polar_session.cache.size', {
    description: 'Sessions held in process: by the memory store, or by the near cache in front of a shared store',
    unit: '{session}',
  })
  meter.addBatchObservableCallback(
    (result) => {
      let open = 0
      let held: number | null = null // null: no live instance, nothing to observe
      for (const ref of sources) {
        const source = ref.deref()
        if (source === undefined) {
          sources.delete(ref)
          continue
        }
        open = Math.max(open, source.breakerOpen())
        held = (held ?? 0) + source.cacheSize()
      }
      result.observe(breaker, open)
      if (held !== null) result.observe(size, held)
    },
    [breaker, size],
  )
  return (source) => {
    // Sweep what was collected: a meter whose callback never runs (the no-op one) would keep them.
    for (const ref of sources) if (ref.deref() === undefined) sources.delete(ref)
    const ref = new WeakRef(source)
    sources.add(ref)
    return () => void sources.delete(ref)
  }
}
