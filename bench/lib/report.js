// The printed table, the SVG chart and the README's results block. No dependencies.

import { readFile, writeFile } from 'node:fs/promises'
import { esc, svgPage } from './svg.js'

const n0 = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : String(v))
const n1 = (v) => (Number.isFinite(v) ? v.toFixed(1) : String(v))
const n2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : String(v))
const pct = (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : String(v))
const signed = (v, f = n2) => (v >= 0 ? `+${f(v)}` : f(v))

/** "median (min–max)" */
const fig = (s, f = n0) => (s ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : '–')

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)))
  const line = (cells) =>
    cells
      .map((c, i) => String(c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** The frameworks of the warm-cache sections, in report order, with the versions measured. */
export const FRAMEWORK_NAMES = {
  express: 'Express 5',
  koa: 'Koa 3',
  fastify: 'Fastify 5',
  hono: 'Hono 4 (@hono/node-server)',
}

const noopName = (fw) => (fw === 'fastify' ? 'no-op preHandler hook (reference)' : 'no-op middleware (reference)')

/** Server CPU per request of every framework's bare app, no-op and polarSession (memory), side by side. */
function cpuSideBySide(s) {
  const rows = []
  for (const [fw, name] of Object.entries(FRAMEWORK_NAMES)) {
    const v = s.overhead?.[fw]?.variants
    if (!v?.bare || !v.memory) continue
    const cpu = (r) => (r?.cpuUsPerRequest ? fig(r.cpuUsPerRequest, n1) : '')
    const over = v.noop ? signed(v.memory.cpuUsPerRequest.median - v.noop.cpuUsPerRequest.median, n1) : ''
    rows.push([name, cpu(v.bare), cpu(v.noop), cpu(v.memory), over])
  }
  if (rows.length === 0) return []
  return [
    '## Warm cache, server CPU µs per request, side by side (medians, min–max)',
    table(
      ['framework', 'bare app', 'no-op hook/middleware', 'polarSession, memoryStore', 'polarSession − no-op'],
      rows,
    ),
    '',
  ]
}

export function renderReport(results) {
  const { machine: m, config: c, sections: s } = results
  const out = []
  out.push(
    `polar-session benchmarks — ${m.date}${c.quick ? ' — QUICK (smoke) run, not for publishing' : ''}`,
    `${m.cpuCount} × ${m.cpuModel}, ${(m.totalMemBytes / 2 ** 30).toFixed(0)} GiB, ${m.os}, Node ${m.node}`,
    `load average at start ${m.loadAvgAtStart.join(' ')}, at end ${m.loadAvgAtEnd?.join(' ')}; total ${m.totalSeconds} s`,
    `figures: median (min–max) over ${c.runs} alternating runs of ${c.durationS} s after a ${c.warmS} s warm-up (order rotated each round), unless said otherwise`,
    '',
  )
  for (const [fw, title] of Object.entries(FRAMEWORK_NAMES)) {
    const o = s.overhead?.[fw]
    if (!o) continue
    out.push(
      `## Warm-cache overhead: ${title}, ${c.connections} connections, ${c.users} users (GET /, x-user-id header)`,
    )
    const name = {
      bare: 'bare app',
      noop: noopName(fw),
      memory: 'polarSession, memoryStore',
      redis: 'polarSession, redisStore (sealed), near cache',
      redisdirect: 'polarSession, redisStore (sealed), near cache off',
    }
    const rows = Object.entries(o.variants).map(([v, r]) => [
      name[v] ?? v,
      fig(r.rps),
      fig(r.p99Ms, n2),
      v === 'bare' ? '' : fig(o.ratios[v].rpsWithOverBare, pct),
      v === 'bare' ? '' : fig(o.ratios[v].p99MinusBareMs, (x) => signed(x)),
      r.cpuUsPerRequest ? fig(r.cpuUsPerRequest, n1) : '',
      v === 'bare' || !o.ratios[v].cpuUsMinusBare ? '' : fig(o.ratios[v].cpuUsMinusBare, (x) => signed(x, n1)),
      r.badResponses,
    ])
    out.push(
      table(
        [
          'variant',
          'req/s',
          'p99 ms',
          'req/s with/bare',
          'p99 − bare (ms)',
          'server CPU µs/req',
          'CPU − bare (µs)',
          'errors',
        ],
        rows,
      ),
    )
    out.push(
      `sessions created: ${o.sessionsCreatedInWarmup} while warming (100 per cached variant), ${o.sessionsCreatedAfterWarmup} during the timed runs`,
    )
    if (o.redisCommandsDuringTimedRuns) {
      const r = o.redisCommandsDuringTimedRuns
      out.push(
        `Redis commands during the timed runs (INFO commandstats): near cache ${r.redis}, near cache off ${r.redisdirect}`,
      )
      if (o.ratios.redis?.cpuUsMinusBare && o.ratios.memory?.cpuUsMinusBare) {
        const gap = o.ratios.redis.cpuUsMinusBare.median - o.ratios.memory.cpuUsMinusBare.median
        out.push(`near cache vs memory store: ${signed(gap, n1)} µs of server CPU per request (goal: within 5)`)
      }
    }
    for (const note of o.notes ?? []) out.push(`note: ${note}`)
    out.push('')
  }
  out.push(...cpuSideBySide(s))
  if (s.portal) {
    const p = s.portal
    out.push(
      `## Portal route vs @polar-sh/express CustomerPortal: fake Polar at ${p.fakeLatencyMs} ms, ${p.connections} connections, ${p.users} users (Express 5)`,
    )
    const label = {
      bare: 'bare app: plain 303, no Polar call',
      ours: 'polarPortal (memory store)',
      theirs: 'CustomerPortal (@polar-sh/express 0.3.0)',
    }
    const rows = Object.entries(p.variants).map(([v, r]) => [
      label[v],
      fig(r.rps),
      fig(r.p99Ms, n1),
      v === 'bare' ? '1' : fig(v === 'ours' ? p.ratios.oursOverBare : p.ratios.theirsOverBare, pct),
      v === 'bare'
        ? '0'
        : `${n1(p.cold[v].upstreamCallsPer1000Visits.median)} cold / ${n2(r.upstreamCallsPer1000Visits.median)} warm`,
      r.badResponses,
    ])
    out.push(table(['variant', 'req/s', 'p99 ms', 'req/s vs bare', 'upstream calls per 1,000 visits', 'errors'], rows))
    out.push(`ours / CustomerPortal throughput: ${fig(p.ratios.oursOverTheirs, (x) => `${n2(x)}×`)}`)
    out.push(
      `cold = 1,000 visits by ${p.users} users on a fresh process (median of ${c.coldRuns}); warm = during the timed runs`,
    )
    out.push(`routing: ${p.routing}`)
    out.push('')
  }
  if (s.stampede) {
    const st = s.stampede
    out.push(
      `## Stampede: ${st.requests.toLocaleString('en-US')} concurrent first requests over ${st.users} users, fake at ${st.fakeLatencyMs} ms, fresh process per run, ${c.burstRuns} runs (ms from burst start)`,
    )
    const rows = Object.entries(st.variants).map(([v, r]) => [
      v,
      fig(r.creations),
      fig(r.p50Ms, n1),
      fig(r.p99Ms, n1),
      fig(r.maxMs, n1),
      r.p99MinusBareMs ? fig(r.p99MinusBareMs, (x) => signed(x, n1)) : '',
      JSON.stringify(r.statuses),
    ])
    out.push(table(['variant', 'creations', 'p50', 'p99', 'max', 'p99 − bare', 'statuses'], rows))
    if (st.upstreamFloorMs) out.push(`upstream floor: ${fig(st.upstreamFloorMs, n1)} ms for ${st.upstreamFloorMethod}`)
    out.push(
      'warm rows: the process first served the same burst for 100 other users (JIT warm, connections to Polar open); fresh process rows did not',
    )
    for (const note of st.notes ?? []) out.push(`note: ${note}`)
    out.push('')
  }
  if (s.rateLimit) {
    const r = s.rateLimit
    const h = r.headroom
    out.push(
      `## Rate-limit headroom: fake enforcing ${r.limitPerMinute}/min per organization; ${r.visits.toLocaleString('en-US')} portal visits by ${r.customers} customers, 1 in ${r.floodEvery ?? '∞'} by one more user who varies return_to on every visit`,
    )
    const rows = ['ours', 'theirs'].map((v) => {
      const x = r.measured[v]
      const flood = x.creationsForTheUserVaryingReturnTo ? fig(x.creationsForTheUserVaryingReturnTo) : '–'
      return [
        v === 'ours' ? 'polarPortal' : 'CustomerPortal',
        fig(x.served),
        fig(x.failed),
        fig(x.upstreamCalls),
        fig(x.answered429),
        fig(x.callsPerVisit, (y) => y.toFixed(3)),
        flood,
      ]
    })
    out.push(
      table(
        [
          'approach',
          'visits served',
          'visits failed',
          'upstream calls',
          '429s',
          'calls/visit',
          'sessions for the return_to user',
        ],
        rows,
      ),
    )
    out.push(`ours:   ${h.ours.formula}`)
    out.push(
      `        = ${h.budgetPerHour.toLocaleString('en-US')} / (${h.ours.creationsPerCustomerPerWindow} × 60/${h.ours.reuseWindowMin}) = ${n0(h.ours.customersPerHourActiveAllHour)} customers/hour active all hour; ${n0(h.ours.customersPerHourOneWindowEach)} if each visits within one ${h.ours.reuseWindowMin}-min window; any number of visits each`,
    )
    out.push(`theirs: ${h.theirs.formula}`)
    out.push(
      `        = ${h.budgetPerHour.toLocaleString('en-US')} / ${h.theirs.callsPerVisit} = ${n0(h.theirs.visitsPerHour)} visits/hour → ${Object.entries(
        h.theirs.customersPerHour,
      )
        .map(([k, v]) => `${n0(v)} customers at ${k}`)
        .join(', ')}`,
    )
    out.push('')
  }
  if (s.micro) {
    const mi = s.micro
    out.push('## getSession on a hit (memory store, in-process)')
    out.push(
      table(
        ['figure', 'median (min–max)'],
        [
          ['ops/s, awaited one after another', fig(mi.sequentialOpsPerSec)],
          ['ops/s, 100 calls in flight', fig(mi.concurrent100OpsPerSec)],
          ['bytes allocated per call', mi.allocatedBytesPerOp ? fig(mi.allocatedBytesPerOp) : 'not measured'],
        ],
      ),
    )
    out.push(`upstream calls during timing: ${mi.upstreamCallsDuringTiming}; allocation: ${mi.allocationMethod}`)
    out.push('')
  }
  if (s.microNear) {
    const mn = s.microNear
    out.push('## getSession on a hit: memoryStore vs redisStore with the near cache (alternating processes)')
    out.push(
      alternatingTable(['memoryStore', 'redisStore (sealed), near cache', 'per round'], mn.memory, mn.nearCache, mn),
    )
    out.push(`upstream calls during timing: ${mn.nearCache.upstreamCallsDuringTiming}`)
    out.push('')
  }
  if (s.microOtel) {
    const mo = s.microOtel
    out.push('## getSession on a hit, with and without OpenTelemetry (alternating processes)')
    out.push(
      alternatingTable(
        ['without @opentelemetry/api', 'installed, no-op provider', 'ratio per round'],
        mo.withoutOtel,
        mo.withOtelNoop,
        mo,
      ),
    )
    out.push('')
  }
  if (s.memory) {
    const me = s.memory
    out.push('## Memory store')
    out.push(
      table(
        ['figure', 'median (min–max)'],
        [
          [
            `heap per cached session (${me.unbounded.sessions.toLocaleString('en-US')} sessions, max ${me.unbounded.storeMax.toLocaleString('en-US')})`,
            `${fig(me.unbounded.bytesPerSession)} bytes`,
          ],
          [
            `LRU entries per session`,
            `${me.unbounded.sessionEntries + me.unbounded.otherEntries} entries for ${me.unbounded.sessionEntries} sessions`,
          ],
          [
            `max ${me.bounded.storeMax.toLocaleString('en-US')}, ${me.bounded.creations.toLocaleString('en-US')} creations: entries at end`,
            fig(me.bounded.entriesAtEnd),
          ],
          ['  of which sessions', fig(me.bounded.sessionEntriesAtEnd)],
          ['  heap when first full (MB)', fig(me.bounded.heapAtFullBytes, (x) => n1(x / 1e6))],
          ['  heap at end (MB)', fig(me.bounded.heapAtEndBytes, (x) => n1(x / 1e6))],
          ['  heap growth after full', fig(me.bounded.growthAfterFull, pct)],
          [
            '  heap spread over the second half of the creations',
            me.bounded.spreadOverSecondHalf ? fig(me.bounded.spreadOverSecondHalf, pct) : '–',
          ],
        ],
      ),
    )
    out.push(
      `bounded series (creations → heap MB, entries): ${me.bounded.series.map((p) => `${p.sessions / 1000}k→${n1(p.heapBytes / 1e6)}/${p.entries}`).join(', ')}`,
    )
    out.push(`method: ${me.method}`)
    out.push('')
  }
  for (const [k, v] of Object.entries(s)) if (k.endsWith('Error')) out.push(`!! ${k}: ${String(v).split('\n')[0]}`)
  if (results.goals?.length) {
    out.push("## Goals (the issues' performance targets)")
    out.push(
      table(
        ['', 'goal', 'measured'],
        results.goals.map((g) => [
          g.met === true ? 'MET' : g.met === false ? 'NOT MET' : 'info',
          g.goal,
          g.figure + (g.note ? ` (${g.note})` : ''),
        ]),
      ),
    )
  }
  return out.join('\n')
}

// --- SVG ------------------------------------------------------------------------------------

/** Horizontal bars: median, with a min–max whisker. */
function barPanel({ x, y, width, title, unit, bars }) {
  const labelW = 300
  const barH = 18
  const gap = 8
  const plotW = width - x - labelW - 110
  const maxV = Math.max(...bars.map((b) => b.max), 1)
  const sx = (v) => (v / maxV) * plotW
  const parts = [`<text x="${x}" y="${y}" class="t">${esc(title)}</text>`]
  bars.forEach((b, i) => {
    const by = y + 14 + i * (barH + gap)
    parts.push(
      `<text x="${x + labelW - 8}" y="${by + 13}" class="l" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${x + labelW}" y="${by}" width="${sx(b.median).toFixed(1)}" height="${barH}" fill="${b.color}"/>`,
      `<line x1="${x + labelW + sx(b.min)}" x2="${x + labelW + sx(b.max)}" y1="${by + barH / 2}" y2="${by + barH / 2}" stroke="#222" stroke-width="1.5"/>`,
      `<line x1="${x + labelW + sx(b.min)}" x2="${x + labelW + sx(b.min)}" y1="${by + 4}" y2="${by + barH - 4}" stroke="#222"/>`,
      `<line x1="${x + labelW + sx(b.max)}" x2="${x + labelW + sx(b.max)}" y1="${by + 4}" y2="${by + barH - 4}" stroke="#222"/>`,
      `<text x="${x + labelW + sx(b.max) + 6}" y="${by + 13}" class="v">${esc(n0(b.median))} ${esc(unit)}</text>`,
    )
  })
  return { svg: parts.join('\n'), height: 14 + bars.length * (barH + gap) + 24 }
}

/** Line chart of heap against creations, with a dashed mark where the store became full. */
function linePanel({ x, y, width, title, points, fullAt, reference }) {
  const h = 150
  const left = 60
  const plotW = width - x - left - 60
  const all = [...points, ...(reference?.points ?? [])]
  const maxX = Math.max(...all.map((p) => p.x))
  const maxY = Math.max(...all.map((p) => p.y)) * 1.15 || 1
  const sx = (v) => x + left + (v / maxX) * plotW
  const sy = (v) => y + 20 + h - (v / maxY) * h
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')
  const parts = [
    `<text x="${x}" y="${y}" class="t">${esc(title)}</text>`,
    `<line x1="${x + left}" x2="${x + left + plotW}" y1="${y + 20 + h}" y2="${y + 20 + h}" stroke="#888"/>`,
    `<line x1="${x + left}" x2="${x + left}" y1="${y + 20}" y2="${y + 20 + h}" stroke="#888"/>`,
    `<text x="${x + left - 6}" y="${sy(maxY / 1.15) + 4}" class="l" text-anchor="end">${n1(maxY / 1.15 / 1e6)} MB</text>`,
    `<text x="${x + left - 6}" y="${y + 24 + h}" class="l" text-anchor="end">0</text>`,
    `<text x="${x + left + plotW}" y="${y + 36 + h}" class="l" text-anchor="end">${n0(maxX)} creations</text>`,
    `<path d="${path}" fill="none" stroke="#2a6fdb" stroke-width="2"/>`,
    `<text x="${sx(points.at(-1).x) + 4}" y="${sy(points.at(-1).y) - 6}" class="l" text-anchor="end">with max: ${n1(points.at(-1).y / 1e6)} MB</text>`,
    ...points.map((p) => `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="#2a6fdb"/>`),
  ]
  if (reference) {
    const rp = reference.points
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`)
      .join(' ')
    const last = reference.points.at(-1)
    parts.push(
      `<path d="${rp}" fill="none" stroke="#9aa5b1" stroke-width="2" stroke-dasharray="6 3"/>`,
      `<text x="${sx(last.x) - 4}" y="${sy(last.y) + 14}" class="l" text-anchor="end">${esc(reference.label)}: ${n1(last.y / 1e6)} MB</text>`,
    )
  }
  if (fullAt !== undefined) {
    parts.push(
      `<line x1="${sx(fullAt)}" x2="${sx(fullAt)}" y1="${y + 20}" y2="${y + 20 + h}" stroke="#c33" stroke-dasharray="4 3"/>`,
      `<text x="${sx(fullAt) + 4}" y="${y + 32}" class="l">store full (max entries)</text>`,
    )
  }
  return { svg: parts.join('\n'), height: h + 60 }
}

export function renderSvg(results) {
  const s = results.sections
  const width = 760
  let y = 50
  const parts = []
  const colors = {
    bare: '#9aa5b1',
    memory: '#2a6fdb',
    redis: '#d9822b',
    redisdirect: '#8a5a2b',
    ours: '#2a6fdb',
    theirs: '#c33',
  }
  for (const [fw, name] of Object.entries(FRAMEWORK_NAMES)) {
    const o = s.overhead?.[fw]
    if (!o) continue
    const panel = barPanel({
      x: 20,
      y,
      width,
      title: `Warm cache, ${name}: requests/s (median, min–max)`,
      unit: 'req/s',
      bars: Object.entries(o.variants).map(([v, r]) => ({
        label: v === 'bare' ? 'bare app' : v === 'noop' ? 'no-op middleware' : `polarSession (${v})`,
        color: colors[v] ?? '#c5ccd3',
        ...r.rps,
      })),
    })
    parts.push(panel.svg)
    y += panel.height
  }
  if (s.portal?.variants) {
    const label = { bare: 'bare 303 (no Polar call)', ours: 'polarPortal', theirs: '@polar-sh/express CustomerPortal' }
    const panel = barPanel({
      x: 20,
      y,
      width,
      title: `Portal route, fake Polar at ${s.portal.fakeLatencyMs} ms: requests/s`,
      unit: 'req/s',
      bars: Object.entries(s.portal.variants).map(([v, r]) => ({ label: label[v], color: colors[v], ...r.rps })),
    })
    parts.push(panel.svg)
    y += panel.height
  }
  if (s.stampede?.variants) {
    const panel = barPanel({
      x: 20,
      y,
      width,
      title: `Stampede, ${s.stampede.requests} first requests / ${s.stampede.users} users: p99 ms`,
      unit: 'ms',
      bars: Object.entries(s.stampede.variants).map(([v, r]) => ({
        label: `${v} (${r.creations.median} creations)`,
        color: colors[v.split('-')[1].split(',')[0]] ?? '#666',
        ...r.p99Ms,
      })),
    })
    parts.push(panel.svg)
    y += panel.height
  }
  if (s.memory?.bounded) {
    const b = s.memory.bounded
    const full = b.series.find((p) => p.entries >= b.storeMax)
    const panel = linePanel({
      x: 20,
      y: y + 6,
      width,
      title: `Memory store: heap vs sessions created, max ${b.storeMax.toLocaleString('en-US')} entries vs a max that never binds`,
      points: [{ x: 0, y: 0 }, ...b.series.map((p) => ({ x: p.sessions, y: p.heapBytes }))],
      fullAt: full?.sessions,
      reference: {
        label: `max ${s.memory.unbounded.storeMax.toLocaleString('en-US')}`,
        points: [{ x: 0, y: 0 }, ...s.memory.unbounded.series.map((p) => ({ x: p.sessions, y: p.heapBytes }))],
      },
    })
    parts.push(panel.svg)
    y += panel.height
  }
  const m = results.machine
  const header = `polar-session benchmarks, ${m.date.slice(0, 10)}: ${m.cpuCount} × ${m.cpuModel}, Node ${m.node}${results.config.quick ? ' (QUICK run)' : ''}`
  return svgPage({ width, height: y + 10, header, parts })
}

// --- README -------------------------------------------------------------------------------

const START = '<!-- bench:results:start -->'
const END = '<!-- bench:results:end -->'

/** Replaces the block between the markers of README.md with the latest printed report. */
export async function updateReadme(path, text, results) {
  let readme
  try {
    readme = await readFile(path, 'utf8')
  } catch {
    return
  }
  const a = readme.indexOf(START)
  const b = readme.indexOf(END)
  if (a === -1 || b === -1 || b < a) return
  const block = `${START}\nLatest full run (${results.machine.date}, written by \`pnpm bench\`):\n\n\`\`\`text\n${text}\n\`\`\`\n${END}`
  await writeFile(path, readme.slice(0, a) + block + readme.slice(b + END.length))
}

/**
 * An in-process micro-benchmark of two variants run in alternating processes: ops/s one after
 * another and 100 in flight, CPU ns per call, and the per-round comparison (`versus`).
 */
function alternatingTable([nameA, nameB, perRound], a, b, versus) {
  return table(
    ['figure', nameA, nameB, perRound],
    [
      [
        'ops/s, awaited one after another',
        fig(a.sequentialOpsPerSec),
        fig(b.sequentialOpsPerSec),
        fig(versus.ratioSequential, pct),
      ],
      [
        'ops/s, 100 calls in flight',
        fig(a.concurrent100OpsPerSec),
        fig(b.concurrent100OpsPerSec),
        fig(versus.ratioConcurrent100, pct),
      ],
      [
        'CPU ns per call, awaited one after another',
        fig(a.sequentialCpuNsPerOp),
        fig(b.sequentialCpuNsPerOp),
        `${fig(versus.cpuNsPerOpDifference)} ns (difference)`,
      ],
    ],
  )
}
