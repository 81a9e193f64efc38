// Micro-benchmark of getSession() on a hit, memory store, in one process (no HTTP).
// Argv JSON: { mode: 'ops' | 'alloc' | 'serve', runs, runMs, warmMs, users, store?, redisUrl?, redisPrefix? }.
//   ops:   awaited calls one after another (one caller), and 100 concurrent callers, in ops/s
//   alloc: heap bytes allocated per call, from heapUsed deltas over a stretch with no GC
//          (run with --expose-gc and a large young generation so no scavenge interrupts it)
//   serve: warms up, then measures one run of both (ops/s) each time the parent sends `run`,
//          so that two variants in two processes can be measured in alternation. Reports
//          whether the core loaded @opentelemetry/api (run.js hides it from one variant).
// store: 'memory' (default) or 'redis': redisStore, sealed, with the near cache trusting its
// copies for longer than the run (so a hit is the near cache's alone, as in a warm process).
// Sessions are created through a canned fetch (see lib/canned.js) before anything is timed.

import { createRequire } from 'node:module'
import { PerformanceObserver } from 'node:perf_hooks'
import { createPolarSessions, memoryStore } from '@polar-session/core'
import { cannedFetch, fetchTemplate } from '../lib/canned.js'
import { ready, serveParent } from '../lib/child.js'

const o = JSON.parse(process.argv[2] ?? '{}')
const template = await fetchTemplate()
const canned = cannedFetch(template)
let redis = null
let store = memoryStore()
let shared = {}
if (o.store === 'redis') {
  const { createClient } = await import('redis')
  const { redisStore } = await import('@polar-session/core/redis')
  redis = await createClient({ url: o.redisUrl }).connect()
  store = redisStore({ client: redis, prefix: o.redisPrefix })
  shared = { encryptionKey: 'bench-only-key-'.repeat(3), nearCacheTtlMs: 3_600_000 }
}
const polar = createPolarSessions({
  accessToken: template.accessToken,
  baseUrl: 'http://127.0.0.1:9',
  // The canned portal URLs are on the (closed) fake's origin, not the base URL's.
  portalOrigins: [template.portalOrigin],
  fetch: canned.fetch,
  store,
  ...shared,
})
const closeAll = async () => {
  await polar.close()
  if (redis !== null) {
    for await (const batch of redis.scanIterator({ MATCH: `${o.redisPrefix}*`, COUNT: 500 })) {
      const keys = Array.isArray(batch) ? batch : [batch]
      if (keys.length > 0) await redis.del(keys)
    }
    await redis.quit()
  }
}
const ids = Array.from({ length: o.users ?? 100 }, (_, i) => ({ externalCustomerId: `usr_${i}` }))
await Promise.all(ids.map((id) => polar.getSession(id)))
const created = canned.calls()

async function sequential(ms) {
  let n = 0
  const end = performance.now() + ms
  const len = ids.length
  for (;;) {
    for (let k = 0; k < 1024; k++) {
      await polar.getSession(ids[n % len])
      n++
    }
    if (performance.now() >= end) break
  }
  return n
}

async function concurrent(ms, width = 100) {
  let n = 0
  const end = performance.now() + ms
  const len = ids.length
  const batch = new Array(width)
  for (;;) {
    for (let k = 0; k < width; k++) batch[k] = polar.getSession(ids[(n + k) % len])
    await Promise.all(batch)
    n += width
    if (performance.now() >= end) break
  }
  return n
}

let gcs = 0
new PerformanceObserver((list) => {
  gcs += list.getEntries().length
}).observe({ entryTypes: ['gc'] })

if (o.mode === 'serve') {
  await sequential(o.warmMs)
  await concurrent(o.warmMs / 2)
  const { cache } = createRequire(import.meta.url)
  const otelApiLoaded = Object.keys(cache).some((path) => path.includes('@opentelemetry/api'))
  serveParent({
    async run({ runMs }) {
      const t0 = performance.now()
      const cpu0 = process.cpuUsage()
      const n = await sequential(runMs)
      const sequentialOpsPerSec = n / ((performance.now() - t0) / 1000)
      // CPU time of this process per call: less swayed than ops/s by other load on the machine.
      const cpu = process.cpuUsage(cpu0)
      const sequentialCpuNsPerOp = ((cpu.user + cpu.system) * 1000) / n
      const t1 = performance.now()
      const m = await concurrent(runMs)
      return {
        sequentialOpsPerSec,
        sequentialCpuNsPerOp,
        concurrentOpsPerSec: m / ((performance.now() - t1) / 1000),
        upstreamCalls: canned.calls() - created,
      }
    },
    close: closeAll,
  })
  ready({ otelApiLoaded, sessionsCreated: created })
} else {
  const result = { mode: o.mode, sessionsCreated: created }
  if (o.mode === 'alloc') {
    const perOp = []
    let attempts = 0
    while (perOp.length < o.runs && attempts < o.runs * 4) {
      attempts++
      const n = 20_000
      await sequential(0) // one pass of 1,024 to settle inline caches
      globalThis.gc()
      // Let the observer deliver the entry of that forced GC before counting.
      await new Promise((r) => setTimeout(r, 20))
      const before = gcs
      const h0 = process.memoryUsage().heapUsed
      for (let i = 0; i < n; i++) await polar.getSession(ids[i % ids.length])
      const h1 = process.memoryUsage().heapUsed
      await new Promise((r) => setTimeout(r, 20)) // let the observer report a GC in that stretch
      if (gcs === before && h1 > h0) perOp.push((h1 - h0) / n)
    }
    result.bytesPerOp = perOp
    result.discarded = attempts - perOp.length
  } else {
    await sequential(o.warmMs)
    await concurrent(o.warmMs / 2)
    const seq = []
    const conc = []
    for (let r = 0; r < o.runs; r++) {
      const t0 = performance.now()
      const n = await sequential(o.runMs)
      seq.push(n / ((performance.now() - t0) / 1000))
      const t1 = performance.now()
      const m = await concurrent(o.runMs)
      conc.push(m / ((performance.now() - t1) / 1000))
    }
    result.sequentialOpsPerSec = seq
    result.concurrentOpsPerSec = conc
  }
  result.upstreamCallsDuringTiming = canned.calls() - created
  await polar.close()

  serveParent({})
  ready({ result })
}
