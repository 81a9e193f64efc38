// Capacity simulation (issue 16): how many customers a day one Polar organization can serve
// with eager attach (app.use(polarSession(polar))), lazy attach and a portal route alone, run
// through the real core with a canned Polar and a virtual clock. See bench/README.md.
//
//   node bench/simulate.js                 the whole table; rewrites bench/README.md's block and bench/capacity.svg
//   node bench/simulate.js run --style eager --customers 20000 --billing 0.05 --json
//   node bench/simulate.js capacity --style clicks --billing 0.05 --json
//
// Flags: --help.

import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { writeFile } from 'node:fs/promises'
import { POLAR_RATE_LIMITS } from '@polar-session/core'
import { fetchTemplate } from './lib/canned.js'
import { findCapacity, gridFloor, refusalFree } from './lib/sim-capacity.js'
import { realMs } from './lib/sim-clock.js'
import { createPool } from './lib/sim-pool.js'
import { renderSvg, renderTable, updateReadme } from './lib/sim-report.js'
import { DEFAULT_TRAFFIC } from './lib/sim-traffic.js'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const cpuSeconds = ({ user, system }) => (user + system) / 1e6

/** createPolarSessions' defaults for production: 80% of Polar's 500 a minute, half of it for attach. */
const DEFAULT_MAX_PER_MINUTE = Math.floor(POLAR_RATE_LIMITS.production * 0.8)
const ATTACH_BUDGET_SHARE = 0.5
/**
 * The first run of a search with nothing to start from: small, cheap, far below the limit
 * (eager attach: about 1.6 creations per customer, a fifth of a day's in the busiest minute
 * ×1,000; clicks: one creation each). At the defaults, 15,000 customers and 40,000 clicking ones.
 */
const probeSize = (style, limit) => gridFloor(style === 'eager' ? 75 * limit : 100 * limit)

const HELP = `usage: node bench/simulate.js [run | capacity] [flags]

  (no command)   the whole table: every style at every billing rate, at --customers and at capacity
  run            one simulated day: --style, --customers or --billing-customers, --billing
  capacity       one capacity search: --style, --billing

  --style eager|clicks       clicks = lazy attach and portal-only (both send Polar billing clicks only)
  --customers N              customers a day (default 1000000)
  --billing LIST             share(s) of customers who open billing once (default 0.01,0.05,0.2)
  --billing-customers M      run: clicking customers, for --style clicks
  --seed N                   seed of the traffic (default 1)
  --workers N                worker threads (default 2, or the CPUs if fewer; 0 = this thread)
  --max-per-minute N         the core's maxCreationsPerMinute (default ${DEFAULT_MAX_PER_MINUTE})
  --polar-limit N            Polar's limit per 60 s window (default 500)
  --no-replay                send every page view to the core (slow; for checking the replay)
  --no-write                 do not rewrite bench/README.md and bench/capacity.svg
  --json                     print the results as JSON
  traffic: --visits-mean ${DEFAULT_TRAFFIC.visitsMean} --visit-median-min ${DEFAULT_TRAFFIC.visitMedianMin} --visit-sigma ${DEFAULT_TRAFFIC.visitSigma} --visit-max-min ${DEFAULT_TRAFFIC.visitMaxMin}
           --pageview-every-min ${DEFAULT_TRAFFIC.pageViewEveryMin} --peak-share ${DEFAULT_TRAFFIC.peakShare} --peak-hour ${DEFAULT_TRAFFIC.peakHour} --peak-width-h ${DEFAULT_TRAFFIC.peakWidthH}`

const TRAFFIC_FLAGS = {
  'visits-mean': 'visitsMean',
  'visit-median-min': 'visitMedianMin',
  'visit-sigma': 'visitSigma',
  'visit-max-min': 'visitMaxMin',
  'pageview-every-min': 'pageViewEveryMin',
  'peak-share': 'peakShare',
  'peak-hour': 'peakHour',
  'peak-width-h': 'peakWidthH',
}

function parse(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      style: { type: 'string', default: 'eager' },
      customers: { type: 'string', default: '1000000' },
      billing: { type: 'string', default: '0.01,0.05,0.2' },
      'billing-customers': { type: 'string' },
      seed: { type: 'string', default: '1' },
      workers: { type: 'string' },
      'max-per-minute': { type: 'string' },
      'polar-limit': { type: 'string', default: '500' },
      'no-replay': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      ...Object.fromEntries(Object.keys(TRAFFIC_FLAGS).map((flag) => [flag, { type: 'string' }])),
    },
  })
  const number = (flag, value) => {
    const n = Number(value)
    if (!Number.isFinite(n) || n < 0) throw new TypeError(`--${flag} must be a number, got ${value}`)
    return n
  }
  const traffic = { ...DEFAULT_TRAFFIC }
  for (const [flag, key] of Object.entries(TRAFFIC_FLAGS))
    if (values[flag] !== undefined) traffic[key] = number(flag, values[flag])
  const style = values.style === 'lazy' || values.style === 'portal' ? 'clicks' : values.style
  if (style !== 'eager' && style !== 'clicks') throw new TypeError('--style must be eager or clicks (lazy, portal)')
  const maxPerMinute =
    values['max-per-minute'] === undefined ? DEFAULT_MAX_PER_MINUTE : number('max-per-minute', values['max-per-minute'])
  return {
    command: positionals[0] ?? 'table',
    help: values.help,
    style,
    customers: Math.round(number('customers', values.customers)),
    rates: values.billing.split(',').map((r) => number('billing', r)),
    billingCustomers:
      values['billing-customers'] === undefined
        ? undefined
        : Math.round(number('billing-customers', values['billing-customers'])),
    workers:
      values.workers === undefined
        ? Math.min(2, os.availableParallelism())
        : Math.round(number('workers', values.workers)),
    maxPerMinute,
    json: values.json,
    write: !values['no-write'],
    shared: {
      traffic,
      seed: Math.round(number('seed', values.seed)),
      polarLimit: number('polar-limit', values['polar-limit']),
      replay: !values['no-replay'],
      // Passed only when set, so the core's own default is what normally runs.
      ...(values['max-per-minute'] === undefined ? {} : { maxCreationsPerMinute: maxPerMinute }),
    },
  }
}

/** The creations per minute that bind: attach mode's share for eager, the whole budget for clicks. */
const bindingLimit = (style, maxPerMinute) =>
  style === 'eager' ? Math.floor(maxPerMinute * ATTACH_BUDGET_SHARE) : maxPerMinute

/**
 * Eager attach's capacity at one billing rate, in customers a day: from a small probe's
 * estimate, or from `start` (another rate's capacity: billing clicks barely move it).
 */
async function eagerCapacity(run, opts, rate, { start } = {}) {
  const runAt = (n) => run({ style: 'eager', customers: n, billingShare: rate })
  const limit = bindingLimit('eager', opts.maxPerMinute)
  if (start !== undefined) return findCapacity({ runAt, start, limit })
  const probe = probeSize('eager', limit)
  return findCapacity({ runAt, known: [[probe, await runAt(probe)]], limit })
}

/**
 * Capacity of lazy attach and portal-only, in clicking customers: their Polar traffic depends
 * on that number alone, so one search answers for every billing rate (customers = clicking / rate).
 */
async function clicksCapacity(run, opts, known = []) {
  const runAt = (m) => run({ style: 'clicks', billingCustomers: m })
  const limit = bindingLimit('clicks', opts.maxPerMinute)
  if (!known.some(([, r]) => refusalFree(r))) {
    const probe = probeSize('clicks', limit)
    known = [...known, [probe, await runAt(probe)]]
  }
  return findCapacity({ runAt, known, limit })
}

/**
 * Every style at every rate: the headline days and the capacity searches, on the pool. The
 * jobs are very unequal (a million customers of eager attach is 300,000 to 400,000 creations,
 * a probe 24,000), so the biggest starts first, the searches' steps (each waits for the one
 * before) next, and the other big days last, to keep both workers busy to the end.
 */
async function table(opts) {
  const pool = createPool({ size: opts.workers, shared: opts.shared })
  const made = []
  const run = (params, priority = 1) =>
    pool.run(params, priority).then((result) => {
      made.push(result)
      return result
    })
  try {
    const { customers, rates } = opts
    const byRate = [...rates].sort((a, b) => b - a)
    const clickingAt = (rate) => Math.round(customers * rate)
    const eagerDays = new Map(
      byRate.map((rate, i) => [
        rate,
        run({ style: 'eager', customers, billingShare: rate, series: true }, i === 0 ? 0 : 2),
      ]),
    )
    const clickDays = rates.map((rate) => run({ style: 'clicks', billingCustomers: clickingAt(rate), series: true }))
    const firstEager = eagerCapacity(run, opts, rates[0])
    const eagerSearches = rates.map((rate, i) =>
      i === 0 ? firstEager : firstEager.then((found) => eagerCapacity(run, opts, rate, { start: found.capacity })),
    )
    const clickSearch = Promise.all(clickDays).then((days) =>
      clicksCapacity(
        run,
        opts,
        days.map((day, i) => [clickingAt(rates[i]), day]).filter(([m]) => gridFloor(m) === m),
      ),
    )
    const rows = []
    for (const [i, rate] of rates.entries())
      rows.push({ style: 'eager', rate, day: await eagerDays.get(rate), capacity: await eagerSearches[i] })
    const clicks = await clickSearch
    for (const [i, rate] of rates.entries()) {
      const day = await clickDays[i]
      // In clicking customers; divided by the rate, in customers.
      const capacity = {
        ...clicks,
        capacity: Math.round(clicks.capacity / rate),
        above: Math.round(clicks.above / rate),
        clicking: clicks.capacity,
      }
      rows.push({ style: 'lazy', rate, day, capacity }, { style: 'portal', rate, day, capacity })
    }
    const sessions = made.reduce((sum, r) => sum + r.polar.created, 0)
    return { rows, days: made.length, sessions }
  } finally {
    await pool.close()
  }
}

async function main() {
  const opts = parse(process.argv.slice(2))
  if (opts.help) {
    console.log(HELP)
    return
  }
  const started = realMs()
  const cpuAtStart = process.cpuUsage()
  const { body: template } = await fetchTemplate()
  opts.shared.template = template
  const log = (line) => opts.json || console.log(line)

  if (opts.command === 'run') {
    const pool = createPool({ size: 0, shared: opts.shared })
    const params =
      opts.style === 'eager'
        ? { style: 'eager', customers: opts.customers, billingShare: opts.rates[0] }
        : { style: 'clicks', billingCustomers: opts.billingCustomers ?? Math.round(opts.customers * opts.rates[0]) }
    const result = await pool.run(params)
    console.log(opts.json ? JSON.stringify(result) : result)
    return
  }
  if (opts.command === 'capacity') {
    const pool = createPool({ size: 0, shared: opts.shared })
    const rate = opts.rates[0]
    const found =
      opts.style === 'eager' ? await eagerCapacity(pool.run, opts, rate) : await clicksCapacity(pool.run, opts)
    const summary = {
      ...found,
      runs: found.runs.map(([n, r]) => ({
        n,
        refusedCreations: r.refusedCreations,
        peakPerMinute: r.polar.peakPerMinute,
      })),
    }
    console.log(opts.json ? JSON.stringify(summary) : summary)
    return
  }
  if (opts.command !== 'table') throw new TypeError(`unknown command ${opts.command}; see --help`)

  log(
    `simulating a day of ${opts.customers.toLocaleString('en-US')} customers at ${opts.rates.map((r) => `${r * 100}%`).join(', ')} billing use, and the capacity of each style, on ${opts.workers || 'no'} worker thread(s)…`,
  )
  const { rows, days, sessions } = await table(opts)
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    loadAverage: os.loadavg().map((v) => Number(v.toFixed(2))),
    wallSeconds: Number(((realMs() - started) / 1000).toFixed(1)),
    // Of every thread: on a shared machine the wall time depends on the others, this much less.
    cpuSeconds: Math.round(cpuSeconds(process.cpuUsage(cpuAtStart))),
    days,
    sessions,
    config: {
      customers: opts.customers,
      rates: opts.rates,
      maxPerMinute: opts.maxPerMinute,
      attachShare: ATTACH_BUDGET_SHARE,
      ...opts.shared,
      template: undefined,
    },
    rows,
  }
  const text = renderTable(results)
  if (opts.json) console.log(JSON.stringify(results))
  else console.log(`\n${text}`)
  if (opts.write) {
    await writeFile(here('./results-capacity.json'), `${JSON.stringify(results, null, 1)}\n`)
    await writeFile(here('./capacity.svg'), renderSvg(results))
    await updateReadme(here('./README.md'), text, results)
    log('wrote bench/results-capacity.json, bench/capacity.svg and the simulation block of bench/README.md')
  }
}

await main()
