// Heap cost of cached sessions in the memory store, in a process of its own (--expose-gc).
// Argv JSON: { sessions, max, every }: creates `sessions` sessions for distinct customers
// through a canned fetch (lib/canned.js: realistic 201 bodies, no network), and every `every`
// creations runs a full GC and records heapUsed and the store's entry count.

import { createPolarSessions, memoryStore } from '@polar-session/core'
import { cannedFetch, fetchTemplate } from '../lib/canned.js'
import { ready, serveParent } from '../lib/child.js'

const o = JSON.parse(process.argv[2])
const template = await fetchTemplate()
const canned = cannedFetch(template)
const store = memoryStore({ max: o.max })
const polar = createPolarSessions({
  accessToken: template.accessToken,
  baseUrl: 'http://127.0.0.1:9',
  // The canned portal URLs are on the (closed) fake's origin, not the base URL's.
  portalOrigins: [template.portalOrigin],
  fetch: canned.fetch,
  store,
  // This run creates sessions as fast as it can to fill the store: the creation budget, which
  // would refuse all but the first minute's few hundred, is not what it measures.
  maxCreationsPerMinute: Infinity,
})

const settle = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc()
    await new Promise((r) => setImmediate(r))
  }
  return process.memoryUsage().heapUsed
}

// Warm the code paths with sessions that are then evicted from the count: the base line is
// taken after them, with the store emptied again.
for (let i = 0; i < 200; i++) await polar.getSession({ externalCustomerId: `warm_${i}` })
store.cache.clear()
const base = await settle()
const baseEntries = store.size

const series = []
const width = 200
const t0 = performance.now()
for (let done = 0; done < o.sessions; ) {
  const batch = []
  for (let k = 0; k < width && done < o.sessions; k++, done++)
    batch.push(polar.getSession({ externalCustomerId: `usr_${done}` }))
  await Promise.all(batch)
  if (done % o.every === 0 || done === o.sessions) {
    const heap = await settle()
    series.push({ sessions: done, heapBytes: heap - base, entries: store.size })
  }
}
const seconds = (performance.now() - t0) / 1000
const last = series[series.length - 1]
// Sessions still answered from the cache: ask again for the last few hundred customers.
const before = canned.calls()
for (let i = o.sessions - 100; i < o.sessions; i++) await polar.getSession({ externalCustomerId: `usr_${i}` })
const hitsOfLast100 = 100 - (canned.calls() - before)

// What the LRU holds: decoded sessions (objects) and customer generations (strings).
let sessionEntries = 0
let otherEntries = 0
for (const value of store.cache.values()) {
  if (typeof value === 'object') sessionEntries++
  else otherEntries++
}

serveParent({})
ready({
  result: {
    sessions: o.sessions,
    max: o.max,
    baseEntries,
    upstreamCalls: canned.calls(),
    seconds,
    series,
    bytesPerSession: last.heapBytes / sessionEntries,
    sessionEntries,
    otherEntries,
    hitsOfLast100,
  },
})
