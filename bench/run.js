// pnpm bench: every figure of issue 7 in one run. Servers (and the fake Polar) run in child
// processes of their own; load comes from this process (autocannon driven from code, or the
// burst client for the stampede). Variants of one comparison are measured in alternation
// (A B C A B C …), after a warm-up, and each figure keeps min / median / max over the runs.
//
//   node bench/run.js              full run (about 8 minutes)
//   BENCH_QUICK=1 node bench/run.js  smoke run (about 1.5 minutes), fewer and shorter runs
//   REDIS_URL=redis://host:port      Redis for the redisStore rows (default 127.0.0.1:6379)
//
// Writes bench/results.json and bench/results.svg; a full run also refreshes the results block
// of bench/README.md.

import { writeFile } from 'node:fs/promises'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { startChild } from './lib/child.js'
import { runLoad } from './lib/load.js'
import { fireBurst } from './lib/burst.js'
import { summarize, summarizeField, pairedRatio, pairedDiff, median } from './lib/stats.js'
import { machine } from './lib/machine.js'
import { FRAMEWORK_NAMES, renderReport, renderSvg, updateReadme } from './lib/report.js'

const QUICK = process.env.BENCH_QUICK === '1'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
// The load's shape is the same in both; a quick run makes fewer and shorter runs.
const LOAD = { connections: 50, users: 100, portalUsers: 10, burst: 1000, burstUsers: 100, latencyMs: 50 }
const CFG = QUICK
  ? {
      ...LOAD,
      quick: true,
      runs: 2,
      durationS: 1,
      warmS: 0.5,
      rateVisits: 1000,
      rateRuns: 1,
      burstRuns: 2,
      coldRuns: 2,
      micro: { runs: 2, runMs: 300, warmMs: 300 },
      microOtel: { rounds: 4, runMs: 300, warmMs: 300 },
      memory: {
        sessions: 20_000,
        max: 40_000,
        every: 5_000,
        runs: 1,
        boundedMax: 10_000,
        boundedSessions: 30_000,
        boundedEvery: 5_000,
      },
    }
  : {
      ...LOAD,
      quick: false,
      runs: 7,
      durationS: 3,
      warmS: 3,
      rateVisits: 2000,
      rateRuns: 3,
      burstRuns: 5,
      coldRuns: 5,
      micro: { runs: 5, runMs: 1000, warmMs: 1000 },
      microOtel: { rounds: 9, runMs: 1000, warmMs: 1000 },
      memory: {
        sessions: 100_000,
        max: 200_000,
        every: 25_000,
        runs: 2,
        boundedMax: 10_000,
        boundedSessions: 100_000,
        boundedEvery: 10_000,
      },
    }
// Polar's session lifetime (CUSTOMER_SESSION_TTL) and the library's default refresh margin.
const SESSION_LIFETIME_MS = 3_600_000
const REFRESH_MARGIN_MS = 15 * 60_000
const RATE_LIMIT_PER_MIN = 500
const SESSIONS_ROUTE = 'POST /v1/customer-sessions/'
/** "A few µs" of server CPU per request, the bar of the adapters over their no-op (issue 14). */
const FEW_US = 5

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a)
const userIds = (n) => Array.from({ length: n }, (_, i) => `usr_${String(i).padStart(4, '0')}`)
const children = new Set()

async function child(script, opts) {
  const c = await startChild(script, opts)
  children.add(c)
  const stop = c.stop
  c.stop = async () => {
    children.delete(c)
    await stop()
  }
  return c
}

function startFake({ latencyMs = 0, rateLimit = false, users = [] }) {
  return child('fake.js', { args: [JSON.stringify({ latencyMs, rateLimit, users })] })
}

async function startServer(variant, fake) {
  const config = {
    variant,
    fakeUrl: fake.info.url,
    accessToken: fake.info.accessToken,
    customers: fake.info.customers,
    redisUrl: REDIS_URL,
    // A fresh prefix per process: a cold cache every time, and only our own keys to clean up.
    redisPrefix: `polar-session-bench:${randomBytes(6).toString('hex')}:`,
  }
  const c = await child('server.js', { args: [JSON.stringify(config)] })
  c.url = `http://127.0.0.1:${c.info.port}`
  c.port = c.info.port
  return c
}

/** One request per user, ten at a time, so every session is created and cached. */
async function warmUsers(url, path, users) {
  for (let i = 0; i < users.length; i += 10) {
    await Promise.all(
      users.slice(i, i + 10).map(async (u) => {
        const res = await fetch(url + path, { headers: { 'x-user-id': u }, redirect: 'manual' })
        await res.arrayBuffer()
        if (res.status >= 400) throw new Error(`warm-up ${path} for ${u}: ${res.status}`)
      }),
    )
  }
}

/** The variants in round r's order: rotated each round (A B C, B C A, C A B, …), so no variant
 * always runs first or right after another; pairs are still taken within a round. */
const rotate = (list, r) => list.map((_, i) => list[(i + r) % list.length])

const sessionsCalls = (stats) => stats.requests[SESSIONS_ROUTE] ?? 0

/** Summaries of a list of runLoad results. */
function loadSummary(list) {
  return {
    rps: summarizeField(list, 'rps', 1),
    p50Ms: summarizeField(list, 'p50', 3),
    p99Ms: summarizeField(list, 'p99', 3),
    maxMs: summarizeField(list, 'max', 3),
    badResponses: list.reduce((n, r) => n + r.bad + r.errors + r.timeouts, 0),
    statuses: list.reduce((acc, r) => {
      for (const [k, v] of Object.entries(r.statuses)) acc[k] = (acc[k] ?? 0) + v
      return acc
    }, {}),
  }
}

// ---------------------------------------------------------------------------------------------
// Warm-cache overhead: bare app vs the same app with polarSession (memory, then Redis).

async function overhead(framework, variants = ['bare', 'noop', 'memory', 'redis', 'redisdirect']) {
  const users = userIds(CFG.users)
  const fake = await startFake({ latencyMs: 0, users })
  const servers = {}
  const notes = []
  const redisCommands = { redis: 0, redisdirect: 0 }
  let admin
  try {
    for (const v of variants) {
      try {
        servers[v] = await startServer(`${framework}-${v}`, fake)
      } catch (error) {
        if (!v.startsWith('redis')) throw error
        notes.push(`${v} rows skipped: ${error.message.split('\n')[0]}`)
      }
    }
    if (servers.redis !== undefined) admin = await redisAdmin()
    const active = variants.filter((v) => servers[v] !== undefined)
    for (const v of active) if (v !== 'bare' && v !== 'noop') await warmUsers(servers[v].url, '/', users)
    const createdAfterWarm = (await fake.call('stats')).sessionsCreated
    for (const v of active) {
      await runLoad({ url: servers[v].url, path: '/', users, connections: CFG.connections, duration: CFG.warmS })
    }
    const runs = Object.fromEntries(active.map((v) => [v, []]))
    for (let r = 0; r < CFG.runs; r++) {
      for (const v of rotate(active, r)) {
        const before = await servers[v].call('stats')
        const commandsBefore = v.startsWith('redis') ? await redisCommandCount(admin) : 0
        const res = await runLoad({
          url: servers[v].url,
          path: '/',
          users,
          connections: CFG.connections,
          duration: CFG.durationS,
        })
        const after = await servers[v].call('stats')
        // What Redis served during the timed run (INFO commandstats, minus the INFO calls themselves).
        if (v.startsWith('redis')) redisCommands[v] += (await redisCommandCount(admin)) - commandsBefore - 1
        // The server's own CPU time per request it received: less sensitive to the machine's
        // noise than throughput, and directly the cost of the middleware.
        res.cpuUs =
          (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) /
          Math.max(1, after.received - before.received)
        runs[v].push(res)
        log(
          `overhead ${framework} run ${r + 1}/${CFG.runs} ${v}: ${res.rps.toFixed(0)} req/s, p99 ${res.p99.toFixed(2)} ms`,
        )
      }
    }
    const created = (await fake.call('stats')).sessionsCreated
    const out = { framework, variants: {}, ratios: {}, notes }
    for (const v of active)
      out.variants[v] = {
        ...loadSummary(runs[v]),
        cpuUsPerRequest: summarize(
          runs[v].map((r) => r.cpuUs),
          1,
        ),
      }
    for (const v of active.filter((x) => x !== 'bare')) {
      out.ratios[v] = {
        rpsWithOverBare: pairedRatio(
          runs[v].map((r) => r.rps),
          runs.bare.map((r) => r.rps),
        ),
        p99MinusBareMs: pairedDiff(
          runs[v].map((r) => r.p99),
          runs.bare.map((r) => r.p99),
        ),
        cpuUsMinusBare: pairedDiff(
          runs[v].map((r) => r.cpuUs),
          runs.bare.map((r) => r.cpuUs),
          1,
        ),
      }
    }
    out.sessionsCreatedInWarmup = createdAfterWarm
    out.sessionsCreatedAfterWarmup = created - createdAfterWarm
    out.redisCommandsDuringTimedRuns = redisCommands
    return out
  } finally {
    await admin?.close()
    for (const s of Object.values(servers)) await s.stop()
    await fake.stop()
  }
}

async function redisAdmin() {
  const { createClient } = await import('redis')
  const client = createClient({ url: REDIS_URL })
  client.on('error', () => {})
  await client.connect()
  return client
}

/** Commands Redis has processed since it started, every kind. */
async function redisCommandCount(admin) {
  const info = await admin.sendCommand(['INFO', 'commandstats'])
  return [...info.matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0)
}

// ---------------------------------------------------------------------------------------------
// Stampede: 1,000 concurrent first requests over 100 users, the fake at 50 ms.
// Each run gets a fresh server process. Rows marked "warm" first serve the same burst shape for
// 100 *other* users (JIT warm, connections to Polar open), so the measured burst is the first
// for its users but not the process's first work; the "fresh process" row skips that.

async function stampede() {
  const users = userIds(CFG.burstUsers)
  const warmUsers = users.map((u) => `warm_${u}`)
  const fake = await startFake({ latencyMs: CFG.latencyMs, users: [...users, ...warmUsers] })
  const variants = [
    { name: 'express-bare', server: 'express-bare', warm: true },
    { name: 'express-memory', server: 'express-memory', warm: true },
    { name: 'express-redis', server: 'express-redis', warm: true },
    { name: 'koa-memory', server: 'koa-memory', warm: true },
    { name: 'express-bare, fresh process', server: 'express-bare', warm: false },
    { name: 'express-memory, fresh process', server: 'express-memory', warm: false },
  ]
  const runs = Object.fromEntries(variants.map((v) => [v.name, []]))
  const floor = []
  const notes = []
  try {
    for (let r = 0; r < CFG.burstRuns; r++) {
      // The upstream floor: 100 creations fired at the fake at once, straight from this process.
      const t0 = performance.now()
      await Promise.all(
        users.map(async (u) => {
          const res = await fetch(`${fake.info.url}/v1/customer-sessions/`, {
            method: 'POST',
            headers: { authorization: `Bearer ${fake.info.accessToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ external_customer_id: u }),
          })
          await res.arrayBuffer()
        }),
      )
      floor.push(performance.now() - t0)
      for (const v of variants) {
        let server
        try {
          server = await startServer(v.server, fake)
        } catch (error) {
          if (!v.server.endsWith('redis')) throw error
          if (r === 0) notes.push(`${v.name} skipped: ${error.message.split('\n')[0]}`)
          continue
        }
        try {
          if (v.warm) await fireBurst({ port: server.port, path: '/', users: warmUsers, count: CFG.burst })
          await fake.call('reset')
          const b = await fireBurst({ port: server.port, path: '/', users, count: CFG.burst })
          const st = await fake.call('stats')
          runs[v.name].push({ ...b, creations: st.sessionsCreated, upstreamCalls: sessionsCalls(st) })
          log(
            `stampede run ${r + 1}/${CFG.burstRuns} ${v.name}: p50 ${b.p50.toFixed(1)} p99 ${b.p99.toFixed(1)} max ${b.max.toFixed(1)} ms, ${st.sessionsCreated} creations, sockets ${b.socketsOpen}`,
          )
        } finally {
          await server.stop()
        }
      }
    }
  } finally {
    await fake.stop()
  }
  const out = { requests: CFG.burst, users: CFG.burstUsers, fakeLatencyMs: CFG.latencyMs, variants: {}, notes }
  out.upstreamFloorMs = summarize(floor, 1)
  out.upstreamFloorMethod = `${CFG.burstUsers} POST /v1/customer-sessions/ fired at the fake at once with fetch from the bench process, no app in between: time until the last is answered`
  for (const v of variants) {
    const list = runs[v.name]
    if (list.length === 0) continue
    out.variants[v.name] = {
      p50Ms: summarizeField(list, 'p50', 2),
      p99Ms: summarizeField(list, 'p99', 2),
      maxMs: summarizeField(list, 'max', 2),
      creations: summarizeField(list, 'creations', 0),
      upstreamCalls: summarizeField(list, 'upstreamCalls', 0),
      socketsOpen: summarizeField(list, 'socketsOpen', 0),
      statuses: list.reduce((acc, x) => {
        for (const [k, c] of Object.entries(x.statuses)) acc[k] = (acc[k] ?? 0) + c
        return acc
      }, {}),
    }
  }
  for (const v of variants.filter((x) => !x.server.endsWith('bare'))) {
    const bare = runs[v.warm ? 'express-bare' : 'express-bare, fresh process']
    if (runs[v.name].length === bare.length && bare.length > 0) {
      out.variants[v.name].p99MinusBareMs = pairedDiff(
        runs[v.name].map((x) => x.p99),
        bare.map((x) => x.p99),
        2,
      )
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Against @polar-sh/express CustomerPortal, the fake at 50 ms, 50 connections, 10 users.

async function portal() {
  const users = userIds(CFG.portalUsers)
  const fake = await startFake({ latencyMs: CFG.latencyMs, users })
  const out = {
    fakeLatencyMs: CFG.latencyMs,
    connections: CFG.connections,
    users: users.length,
    cold: {},
    variants: {},
    ratios: {},
  }
  out.routing =
    "CustomerPortal (@polar-sh/express) has no base-URL option: in its own server process, globalThis.fetch is wrapped to rewrite only the origin https://api.polar.sh (or https://sandbox-api.polar.sh) to the fake's URL; method, path, headers and body are unchanged."
  try {
    // Cold: 1,000 visits by 10 users on a fresh process each time: upstream calls per 1,000 visits.
    const cold = { ours: [], theirs: [] }
    for (let r = 0; r < CFG.coldRuns; r++) {
      for (const v of ['ours', 'theirs']) {
        const server = await startServer(`portal-${v}`, fake)
        try {
          await fake.call('reset')
          const res = await runLoad({
            url: server.url,
            path: '/portal',
            users,
            connections: CFG.connections,
            amount: 1000,
            expectClass: 3,
            spread: 'shared',
          })
          const st = await fake.call('stats')
          cold[v].push({
            visits: res.good,
            calls: sessionsCalls(st),
            bad: res.bad + res.errors,
            rewritten: (await server.call('stats')).rewrittenCalls,
          })
        } finally {
          await server.stop()
        }
      }
      log(
        `portal cold run ${r + 1}/${CFG.coldRuns}: ours ${cold.ours.at(-1).calls} calls / ${cold.ours.at(-1).visits} visits, theirs ${cold.theirs.at(-1).calls} / ${cold.theirs.at(-1).visits}`,
      )
    }
    for (const v of ['ours', 'theirs']) {
      out.cold[v] = {
        visits: summarize(
          cold[v].map((x) => x.visits),
          0,
        ),
        upstreamCallsPer1000Visits: summarize(
          cold[v].map((x) => (x.calls / Math.max(1, x.visits)) * 1000),
          1,
        ),
        badResponses: cold[v].reduce((n, x) => n + x.bad, 0),
        ...(v === 'theirs'
          ? {
              fetchCallsRewritten: summarize(
                cold[v].map((x) => x.rewritten),
                0,
              ),
            }
          : {}),
      }
    }

    // Throughput, alternating bare / ours / theirs on warm processes.
    const variants = ['bare', 'ours', 'theirs']
    const servers = {}
    for (const v of variants) servers[v] = await startServer(`portal-${v}`, fake)
    try {
      await warmUsers(servers.ours.url, '/portal', users)
      for (const v of variants) {
        await runLoad({
          url: servers[v].url,
          path: '/portal',
          users,
          connections: CFG.connections,
          duration: CFG.warmS,
          expectClass: 3,
        })
      }
      await new Promise((resolve) => setTimeout(resolve, CFG.latencyMs * 4)) // the warm-up's calls in flight land
      const runs = Object.fromEntries(variants.map((v) => [v, []]))
      for (let r = 0; r < CFG.runs; r++) {
        for (const v of rotate(variants, r)) {
          const before = sessionsCalls(await fake.call('stats'))
          const visitsBefore = (await servers[v].call('stats')).received
          const res = await runLoad({
            url: servers[v].url,
            path: '/portal',
            users,
            connections: CFG.connections,
            duration: CFG.durationS,
            expectClass: 3,
          })
          await new Promise((resolve) => setTimeout(resolve, CFG.latencyMs * 4)) // let calls in flight land
          const calls = sessionsCalls(await fake.call('stats')) - before
          // Visits as the server saw them: those still in flight when autocannon stopped included.
          const visits = (await servers[v].call('stats')).received - visitsBefore
          runs[v].push({ ...res, callsPer1000: (calls / Math.max(1, visits)) * 1000 })
          log(
            `portal run ${r + 1}/${CFG.runs} ${v}: ${res.rps.toFixed(0)} req/s, p99 ${res.p99.toFixed(1)} ms, ${calls} upstream calls`,
          )
        }
      }
      for (const v of variants) {
        out.variants[v] = {
          ...loadSummary(runs[v]),
          upstreamCallsPer1000Visits: summarize(
            runs[v].map((x) => x.callsPer1000),
            2,
          ),
        }
      }
      const rps = (v) => runs[v].map((x) => x.rps)
      out.ratios = {
        oursOverBare: pairedRatio(rps('ours'), rps('bare')),
        theirsOverBare: pairedRatio(rps('theirs'), rps('bare')),
        oursOverTheirs: pairedRatio(rps('ours'), rps('theirs'), 2),
      }
      out.theirsFetchCallsRewritten = (await servers.theirs.call('stats')).rewrittenCalls
    } finally {
      for (const s of Object.values(servers)) await s.stop()
    }
  } finally {
    await fake.stop()
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Rate-limit headroom: the fake enforces 500 a minute; 2,000 visits by 100 customers each.

async function rateLimit() {
  const users = userIds(100)
  // One more user who sends a new ?return_to= on every visit (1 visit in 10): they must not cost
  // more than maxReturnUrlsPerCustomer + 1 creations, nor starve the other customers.
  const flood = {
    user: 'flooder',
    every: 10,
    query: (n) => new URLSearchParams({ return_to: `https://app.example.com/account?i=${n}` }),
  }
  const runs = { ours: [], theirs: [] }
  for (let r = 0; r < CFG.rateRuns; r++) {
    for (const v of ['ours', 'theirs']) {
      // A fresh fake (a fresh one-minute window) for every approach and run.
      const fake = await startFake({
        latencyMs: CFG.latencyMs,
        rateLimit: { limit: RATE_LIMIT_PER_MIN, windowMs: 60_000 },
        users: [...users, flood.user],
      })
      try {
        const server = await startServer(`portal-${v}`, fake)
        try {
          const res = await runLoad({
            url: server.url,
            path: '/portal',
            users,
            connections: CFG.connections,
            amount: CFG.rateVisits,
            expectClass: 3,
            spread: 'shared',
            flood,
          })
          const st = await fake.call('stats')
          const floodCreated = st.sessionsByUser[flood.user] ?? 0
          runs[v].push({
            visits: res.good + res.bad,
            served: res.good,
            failed: res.bad + res.errors,
            calls: sessionsCalls(st),
            created: st.sessionsCreated,
            limited: st.rateLimited,
            statuses: res.statuses,
            floodCreated,
          })
          log(
            `rate limit run ${r + 1}/${CFG.rateRuns} ${v}: ${res.good} served, ${st.sessionsCreated} created (${floodCreated} for the user varying return_to), ${st.rateLimited} × 429, statuses ${JSON.stringify(res.statuses)}`,
          )
        } finally {
          await server.stop()
        }
      } finally {
        await fake.stop()
      }
    }
  }
  const per = (v, f) => summarize(runs[v].map(f), 4)
  const out = {
    limitPerMinute: RATE_LIMIT_PER_MIN,
    visits: CFG.rateVisits,
    customers: users.length,
    floodEvery: flood.every,
    measured: {},
  }
  for (const v of ['ours', 'theirs']) {
    out.measured[v] = {
      served: per(v, (x) => x.served),
      failed: per(v, (x) => x.failed),
      upstreamCalls: per(v, (x) => x.calls),
      sessionsCreated: per(v, (x) => x.created),
      answered429: per(v, (x) => x.limited),
      callsPerVisit: per(v, (x) => x.calls / x.visits),
      creationsPerCustomer: per(v, (x) => (x.created - x.floodCreated) / users.length),
      creationsForTheUserVaryingReturnTo: per(v, (x) => x.floodCreated),
    }
  }
  const perHour = RATE_LIMIT_PER_MIN * 60
  const windowMin = (SESSION_LIFETIME_MS - REFRESH_MARGIN_MS) / 60_000
  const oursPerCustomerPerWindow = median(runs.ours.map((x) => (x.calls - x.floodCreated) / users.length))
  const oursPerCustomerHour = oursPerCustomerPerWindow * (60 / windowMin)
  const theirsPerVisit = median(runs.theirs.map((x) => x.calls / x.visits))
  out.headroom = {
    budgetPerHour: perHour,
    ours: {
      formula:
        'customers/hour = (500/min × 60) / (creations per customer per reuse window × 60 min / (lifetime − margin))',
      creationsPerCustomerPerWindow: Number(oursPerCustomerPerWindow.toFixed(4)),
      reuseWindowMin: windowMin,
      customersPerHourActiveAllHour: Math.floor(perHour / oursPerCustomerHour),
      customersPerHourOneWindowEach: Math.floor(perHour / oursPerCustomerPerWindow),
      note: 'independent of how often each customer visits; a customer active all hour needs 60/45 = 1.33 creations',
    },
    theirs: {
      formula:
        'visits/hour = (500/min × 60) / calls per visit; customers/hour = visits/hour / visits per customer per hour',
      callsPerVisit: Number(theirsPerVisit.toFixed(4)),
      visitsPerHour: Math.floor(perHour / theirsPerVisit),
      customersPerHour: Object.fromEntries(
        [1, 5, 20].map((v) => [
          `${v} visit${v > 1 ? 's' : ''}/customer/hour`,
          Math.floor(perHour / theirsPerVisit / v),
        ]),
      ),
    },
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// getSession micro-benchmark and memory.

async function micro() {
  const ops = await child('micro.js', {
    args: [JSON.stringify({ mode: 'ops', ...CFG.micro, users: 100 })],
    execArgv: ['--expose-gc'],
    readyTimeoutMs: 300_000,
  })
  await ops.stop()
  const alloc = await child('micro.js', {
    args: [JSON.stringify({ mode: 'alloc', runs: CFG.micro.runs, users: 100 })],
    // A large young generation, so 20,000 calls fit between two collections.
    execArgv: ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64'],
    readyTimeoutMs: 300_000,
  })
  await alloc.stop()
  const o = ops.info.result
  const a = alloc.info.result
  return {
    method:
      'getSession({ externalCustomerId }) on a hit, memory store, 100 customers, in one process; sessions made through a canned fetch (no network) before timing',
    sequentialOpsPerSec: summarize(o.sequentialOpsPerSec, 0),
    concurrent100OpsPerSec: summarize(o.concurrentOpsPerSec, 0),
    upstreamCallsDuringTiming: o.upstreamCallsDuringTiming,
    allocatedBytesPerOp: a.bytesPerOp.length > 0 ? summarize(a.bytesPerOp, 0) : null,
    allocationMethod:
      'heapUsed delta over 20,000 awaited calls with no GC in between (checked with a PerformanceObserver), --expose-gc, 64 MB semi-spaces',
    allocationSamplesDiscarded: a.discarded,
  }
}

/**
 * Two `micro.js` processes in 'serve' mode, measured in turn (the order swaps every round),
 * ratios and differences taken per round: the A/B comparisons of the hit path.
 */
async function alternateMicro({ rounds, runMs, warmMs }, a, b) {
  const start = (variant) =>
    child('micro.js', {
      args: [JSON.stringify({ mode: 'serve', users: 100, warmMs, ...variant.options })],
      execArgv: variant.execArgv ?? [],
      readyTimeoutMs: 300_000,
    })
  const procs = { a: await start(a), b: await start(b) }
  try {
    a.check?.(procs.a.info, procs.b.info)
    const runs = { a: [], b: [] }
    for (let r = 0; r < rounds; r++) {
      for (const name of r % 2 === 0 ? ['a', 'b'] : ['b', 'a'])
        runs[name].push(await procs[name].call('run', { runMs }))
    }
    const figures = (list) => ({
      sequentialOpsPerSec: summarizeField(list, 'sequentialOpsPerSec', 0),
      sequentialCpuNsPerOp: summarizeField(list, 'sequentialCpuNsPerOp', 0),
      concurrent100OpsPerSec: summarizeField(list, 'concurrentOpsPerSec', 0),
      upstreamCallsDuringTiming: Math.max(...list.map((x) => x.upstreamCalls)),
    })
    const ratio = (key) =>
      pairedRatio(
        runs.b.map((x) => x[key]),
        runs.a.map((x) => x[key]),
      )
    return {
      a: figures(runs.a),
      b: figures(runs.b),
      ratioSequential: ratio('sequentialOpsPerSec'),
      cpuNsPerOpDifference: pairedDiff(
        runs.b.map((x) => x.sequentialCpuNsPerOp),
        runs.a.map((x) => x.sequentialCpuNsPerOp),
        0,
      ),
      ratioConcurrent100: ratio('concurrentOpsPerSec'),
    }
  } finally {
    await procs.a.stop()
    await procs.b.stop()
  }
}

// The same hit path with @opentelemetry/api installed and the default (no-op) global providers,
// against a process where the api cannot be found.
async function microOtel() {
  const cfg = CFG.microOtel
  const { a, b, ...paired } = await alternateMicro(
    cfg,
    {
      execArgv: ['--require', here('lib/hide-otel.cjs')],
      check: (plain, otel) => {
        if (plain.otelApiLoaded || !otel.otelApiLoaded) {
          throw new Error(
            `expected the api hidden from one process and loaded in the other: ${plain.otelApiLoaded}, ${otel.otelApiLoaded}`,
          )
        }
      },
    },
    {},
  )
  return {
    method: `getSession on a hit as in "micro", ${cfg.rounds} alternating rounds of ${cfg.runMs} ms: @opentelemetry/api installed with the default no-op global providers, against a process where it cannot be found (bench/lib/hide-otel.cjs)`,
    withoutOtel: a,
    withOtelNoop: b,
    ...paired,
  }
}

// The same hit path through redisStore (sealed) with the near cache, against the memory store:
// what a warm hit costs in the process when Redis is the store.
async function microNear() {
  const cfg = CFG.microOtel
  const redisPrefix = `polar-session-bench:${randomBytes(6).toString('hex')}:`
  const { a, b, ...paired } = await alternateMicro(
    cfg,
    { options: { store: 'memory' } },
    {
      options: { store: 'redis', redisUrl: REDIS_URL, redisPrefix },
    },
  )
  return {
    method: `getSession on a hit as in "micro", ${cfg.rounds} alternating rounds of ${cfg.runMs} ms: redisStore (sealed) with the near cache, against memoryStore`,
    memory: a,
    nearCache: b,
    ...paired,
  }
}

async function memory() {
  const m = CFG.memory
  const runOne = async (sessions, max, every) => {
    const c = await child('memory.js', {
      args: [JSON.stringify({ sessions, max, every })],
      execArgv: ['--expose-gc'],
      readyTimeoutMs: 600_000,
    })
    await c.stop()
    return c.info.result
  }
  const unbounded = []
  for (let r = 0; r < m.runs; r++) {
    unbounded.push(await runOne(m.sessions, m.max, m.every))
    log(`memory run ${r + 1}/${m.runs}: ${unbounded.at(-1).bytesPerSession.toFixed(0)} bytes/session`)
  }
  const bounded = []
  for (let r = 0; r < m.runs; r++) {
    bounded.push(await runOne(m.boundedSessions, m.boundedMax, m.boundedEvery))
    const b = bounded.at(-1)
    log(
      `memory bounded run ${r + 1}/${m.runs}: entries ${b.series.at(-1).entries}, heap ${(b.series.at(-1).heapBytes / 1e6).toFixed(1)} MB`,
    )
  }
  // Flatness: heap after the store first holds `max` entries, vs at the end.
  const flat = bounded.map((b) => {
    const full = b.series.find((p) => p.entries >= m.boundedMax)
    const last = b.series.at(-1)
    // Plateau: spread of the heap over the second half of the creations.
    const tail = b.series.filter((p) => p.sessions >= m.boundedSessions / 2).map((p) => p.heapBytes)
    const plateau = (Math.max(...tail) - Math.min(...tail)) / Math.min(...tail)
    return {
      atFull: full,
      atEnd: last,
      growth: full ? (last.heapBytes - full.heapBytes) / full.heapBytes : NaN,
      plateau,
    }
  })
  return {
    method:
      'sessions created through createPolarSessions with a canned fetch (realistic 201 bodies copied from the fake, no network), heapUsed after 3 forced GCs, in a child process with --expose-gc',
    unbounded: {
      sessions: m.sessions,
      storeMax: m.max,
      bytesPerSession: summarizeField(unbounded, 'bytesPerSession', 0),
      sessionEntries: unbounded[0].sessionEntries,
      otherEntries: unbounded[0].otherEntries,
      series: unbounded[0].series,
      secondsToCreate: summarizeField(unbounded, 'seconds', 1),
    },
    bounded: {
      storeMax: m.boundedMax,
      creations: m.boundedSessions,
      entriesAtEnd: summarize(
        bounded.map((b) => b.series.at(-1).entries),
        0,
      ),
      sessionEntriesAtEnd: summarizeField(bounded, 'sessionEntries', 0),
      heapAtFullBytes: summarize(
        flat.map((f) => f.atFull?.heapBytes ?? NaN),
        0,
      ),
      heapAtEndBytes: summarize(
        flat.map((f) => f.atEnd.heapBytes),
        0,
      ),
      growthAfterFull: summarizeField(flat, 'growth', 4),
      spreadOverSecondHalf: summarizeField(flat, 'plateau', 4),
      series: bounded[0].series,
      lastHundredStillCached: summarizeField(bounded, 'hitsOfLast100', 0),
    },
  }
}

// ---------------------------------------------------------------------------------------------

function goals(r) {
  const g = []
  const add = (goal, figure, met, note) => g.push({ goal, figure, met, ...(note ? { note } : {}) })
  for (const [fw, name] of Object.entries(FRAMEWORK_NAMES)) {
    const o = r.overhead?.[fw]
    if (!o?.ratios?.memory) continue
    const ratio = o.ratios.memory.rpsWithOverBare.median
    const p99 = o.ratios.memory.p99MinusBareMs.median
    add(`${name} warm cache (memory): throughput ≥ 95% of bare`, `${(ratio * 100).toFixed(1)}%`, ratio >= 0.95)
    add(`${name} warm cache (memory): p99 within 1 ms of bare`, `${p99 >= 0 ? '+' : ''}${p99.toFixed(2)} ms`, p99 <= 1)
    if (o.variants.noop) {
      // Issue 14: the adapter costs a few µs of server CPU beyond what any middleware costs.
      const overNoop = o.variants.memory.cpuUsPerRequest.median - o.variants.noop.cpuUsPerRequest.median
      add(
        `${name} warm cache (memory): server CPU within ${FEW_US} µs of the no-op ${fw === 'fastify' ? 'hook' : 'middleware'}`,
        `${overNoop >= 0 ? '+' : ''}${overNoop.toFixed(1)} µs/req`,
        overNoop <= FEW_US,
      )
    }
    if (o.ratios.redis) {
      const rr = o.ratios.redis.rpsWithOverBare.median
      const rp = o.ratios.redis.p99MinusBareMs.median
      add(
        `${name} warm cache (Redis, sealed): same bar (no separate goal in the issue)`,
        `${(rr * 100).toFixed(1)}%, p99 ${rp >= 0 ? '+' : ''}${rp.toFixed(2)} ms`,
        rr >= 0.95 && rp <= 1,
        'informational',
      )
    }
  }
  const s = r.stampede?.variants
  if (s?.['express-memory']) {
    for (const v of Object.keys(s).filter((k) => !k.includes('bare'))) {
      add(
        `Stampede ${v}: exactly one creation per user (100)`,
        `${s[v].creations.min}–${s[v].creations.max} creations, ${s[v].upstreamCalls.max} calls max`,
        s[v].creations.min === 100 && s[v].creations.max === 100 && s[v].upstreamCalls.max === 100,
      )
    }
    for (const [v, bare] of [
      ['express-memory', 'express-bare'],
      ['express-memory, fresh process', 'express-bare, fresh process'],
    ]) {
      if (!s[v]) continue
      const p99 = s[v].p99Ms.median
      add(
        `Stampede ${v}: p99 of 1,000 first requests within ~2× fake latency (${2 * CFG.latencyMs} ms)`,
        `${p99.toFixed(1)} ms (bare app, same burst: ${s[bare].p99Ms.median.toFixed(1)} ms)`,
        p99 <= 2 * CFG.latencyMs,
      )
    }
  }
  const p = r.portal
  if (p?.ratios?.oursOverBare) {
    const ob = p.ratios.oursOverBare.median
    add('Portal: polarPortal within 5% of the bare 303', `${(ob * 100).toFixed(1)}% of bare`, ob >= 0.95)
    add(
      'Portal: ours/CustomerPortal throughput ratio near 8–9×',
      `${p.ratios.oursOverTheirs.median.toFixed(2)}×`,
      p.ratios.oursOverTheirs.median >= 8,
      'the anchor (5,600 vs 650 req/s) gives 8.6×',
    )
    add(
      'Portal: upstream calls per 1,000 visits by 10 users = 10 (ours)',
      `${p.cold.ours.upstreamCallsPer1000Visits.median}`,
      p.cold.ours.upstreamCallsPer1000Visits.max === 10,
    )
    add(
      'Portal: CustomerPortal anchor = 1,000 calls per 1,000 visits',
      `${p.cold.theirs.upstreamCallsPer1000Visits.median}`,
      null,
      'reference, not a goal',
    )
  }
  const m = r.micro
  if (m?.sequentialOpsPerSec) {
    add(
      'getSession hit ≥ 1,000,000 ops/s on one core',
      `${Math.round(m.sequentialOpsPerSec.median).toLocaleString('en-US')} ops/s awaited one by one; ${Math.round(m.concurrent100OpsPerSec.median).toLocaleString('en-US')} with 100 in flight`,
      m.sequentialOpsPerSec.median >= 1e6,
    )
  }
  const mo = r.microOtel
  if (mo?.ratioSequential) {
    add(
      'getSession hit with OpenTelemetry installed (no-op provider) within 10% of without',
      `${(mo.ratioSequential.median * 100).toFixed(1)}% awaited one by one (${Math.round(mo.withOtelNoop.sequentialOpsPerSec.median).toLocaleString('en-US')} vs ${Math.round(mo.withoutOtel.sequentialOpsPerSec.median).toLocaleString('en-US')} ops/s); ${(mo.ratioConcurrent100.median * 100).toFixed(1)}% with 100 in flight`,
      mo.ratioSequential.median >= 0.9 && mo.ratioConcurrent100.median >= 0.9,
    )
  }
  const mn = r.microNear
  if (mn?.cpuNsPerOpDifference) {
    add(
      'getSession hit through redisStore with the near cache within 5 µs of CPU of the memory store (in-process)',
      `${mn.cpuNsPerOpDifference.median >= 0 ? '+' : ''}${mn.cpuNsPerOpDifference.median} ns per call (${mn.memory.sequentialCpuNsPerOp.median} vs ${mn.nearCache.sequentialCpuNsPerOp.median} ns); ${(mn.ratioSequential.median * 100).toFixed(1)}% of the memory store's ops/s`,
      mn.cpuNsPerOpDifference.median <= 5_000,
    )
  }
  const mem = r.memory
  if (mem?.unbounded) {
    add(
      'Memory store ≤ 3 KB (3,072 bytes) per cached session',
      `${mem.unbounded.bytesPerSession.median} bytes`,
      mem.unbounded.bytesPerSession.median <= 3072,
    )
    const b = mem.bounded
    const growth = b.growthAfterFull.median
    const spread = b.spreadOverSecondHalf.median
    add(
      `Memory store bounded by max (${b.storeMax.toLocaleString('en-US')} entries) and flat once it is reached`,
      `entries ${b.entriesAtEnd.max.toLocaleString('en-US')} = max after ${b.creations.toLocaleString('en-US')} creations; heap ${(b.heapAtEndBytes.median / 1e6).toFixed(1)} MB at end, +${(growth * 100).toFixed(1)}% since the first full checkpoint, ${(spread * 100).toFixed(1)}% spread over the second half`,
      b.entriesAtEnd.max === b.storeMax && spread <= 0.02,
      growth > 0.05 ? 'a small drift settles within ~30k creations after the store fills, then flat' : undefined,
    )
  }
  return g
}

async function main() {
  const started = Date.now()
  const results = { machine: machine(), config: CFG, sections: {} }
  log(
    `${QUICK ? 'quick' : 'full'} run; load average ${results.machine.loadAvgAtStart.join(' ')}; ${results.machine.cpuCount} × ${results.machine.cpuModel}`,
  )
  const sections = [
    ['overhead.express', () => overhead('express')],
    ['overhead.koa', () => overhead('koa')],
    ['overhead.fastify', () => overhead('fastify', ['bare', 'noop', 'memory'])],
    ['overhead.hono', () => overhead('hono', ['bare', 'noop', 'memory'])],
    ['portal', portal],
    ['stampede', stampede],
    ['rateLimit', rateLimit],
    ['micro', micro],
    ['microOtel', microOtel],
    ['microNear', microNear],
    ['memory', memory],
  ]
  const only = process.env.BENCH_ONLY?.split(',')
  for (const [name, fn] of sections) {
    if (only && !only.some((o) => name.startsWith(o))) continue
    log(`— ${name}`)
    const t = Date.now()
    try {
      const value = await fn()
      value.seconds = Math.round((Date.now() - t) / 1000)
      const [a, b] = name.split('.')
      if (b) (results.sections[a] ??= {})[b] = value
      else results.sections[a] = value
    } catch (error) {
      log(`${name} failed:`, error)
      results.sections[`${name}Error`] = String(error?.stack ?? error)
    }
  }
  results.machine.loadAvgAtEnd = os.loadavg().map((v) => Number(v.toFixed(2)))
  results.machine.totalSeconds = Math.round((Date.now() - started) / 1000)
  results.goals = goals(results.sections)
  const text = renderReport(results)
  console.log(text)
  await writeFile(here('./results.json'), JSON.stringify(results, null, 2) + '\n')
  await writeFile(here('./results.svg'), renderSvg(results))
  if (!QUICK && !only) await updateReadme(here('./README.md'), text, results)
  log(`wrote bench/results.json and bench/results.svg in ${results.machine.totalSeconds} s`)
}

const stopAll = async () => {
  for (const c of [...children]) await c.stop().catch(() => {})
}
process.on('SIGINT', () => stopAll().finally(() => process.exit(130)))
try {
  await main()
} finally {
  await stopAll()
}
