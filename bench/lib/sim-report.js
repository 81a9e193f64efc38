// The capacity simulation's printed table, its SVG chart and bench/README.md's block. No
// dependencies, like report.js.

import { readFile, writeFile } from 'node:fs/promises'
import { esc, svgPage } from './svg.js'

const STYLE = { eager: 'eager attach', lazy: 'lazy attach', portal: 'portal-only' }
const n0 = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : String(v))
const pct = (v) => `${+(v * 100).toFixed(1)}%`
/** 1M, 250k, or the number in full. */
const short = (v) => (v % 1e6 === 0 ? `${v / 1e6}M` : v % 1e3 === 0 ? `${v / 1e3}k` : n0(v))

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)))
  const line = (cells) =>
    cells
      .map((c, i) => String(c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

const refusedBy = (d) => ({
  budget: d.attach.budget + d.clicks.budget,
  blocked: d.attach.blocked + d.clicks.blocked,
  polar429: d.attach.polar429 + d.clicks.polar429,
})

export function renderTable(results) {
  const { config: c, rows } = results
  const t = c.traffic
  const headline = short(c.customers)
  const out = [
    `polar-session capacity simulation — ${results.date}, ${results.cpus}, Node ${results.node}, load average ${results.loadAverage.join(' ')}`,
    `${results.wallSeconds} s wall, ${results.cpuSeconds} s CPU: ${results.days} simulated days, ${n0(results.sessions)} sessions created through the core (see bench/README.md for the model)`,
    `budget: maxCreationsPerMinute ${c.maxPerMinute} (attach share ${c.attachShare}), Polar ${c.polarLimit} per 60 s window; ` +
      `traffic: ${t.visitsMean} visits/customer, median visit ${t.visitMedianMin} min (σ ${t.visitSigma}), ` +
      `a page view every ${t.pageViewEveryMin} min, ${pct(t.peakShare)} of visits in the peak hour (${t.peakHour}:00 UTC), seed ${c.seed}`,
    '',
  ]
  const body = rows.map((r) => {
    const d = r.day
    const causes = refusedBy(d)
    const cap = r.capacity
    return [
      STYLE[r.style],
      pct(r.rate),
      n0(d.polar.peakPerMinute),
      n0(d.polar.created),
      n0(d.clicks.refused),
      r.style === 'eager' ? n0(d.attach.refused) : '–',
      `${n0(causes.budget)} / ${n0(causes.blocked)} / ${n0(causes.polar429)}`,
      `${n0(cap.capacity)}${cap.confirmed ? '' : ' (unconfirmed)'}`,
      n0(cap.above),
    ]
  })
  out.push(
    table(
      [
        'style',
        'billing use',
        `peak/min @ ${headline}`,
        `created @ ${headline}`,
        `clicks refused @ ${headline}`,
        `pages w/o session @ ${headline}`,
        'refused by: budget / block / 429',
        'capacity/day',
        'refusals at',
      ],
      body,
    ),
  )
  // Anything here means the simulation itself went wrong, not the budget.
  const days = rows.flatMap((r) => [r.day, ...r.capacity.runs.map(([, run]) => run)])
  const faults = [
    ['requests the core sent that the canned Polar did not expect', days.reduce((n, d) => n + d.polar.malformed, 0)],
    ['sessions handed out that Polar did not send', days.reduce((n, d) => n + d.tokenMismatches, 0)],
    ['errors other than rate_limited', days.reduce((n, d) => n + d.attach.other + d.clicks.other, 0)],
    ['capacities not confirmed by a refused run one step above', rows.filter((r) => !r.capacity.confirmed).length],
  ]
  for (const [what, count] of faults) if (count > 0) out.push(`!! ${count} ${what}`)
  out.push(
    '',
    `@ ${headline}: one day of ${n0(c.customers)} customers. peak/min: sessions created in the busiest 60 s (wherever they start: the sliding budget's view, and the worst a window of Polar's can hold).`,
    'clicks refused: billing clicks answered with an error; pages w/o session: page views whose attach creation was refused',
    `(one page view per ${t.pageViewEveryMin} min of a visit is simulated). refused by: our budget / our block after a Polar 429 / Polar's 429.`,
    'capacity/day: the most customers a day with zero refusals (two significant figures); refusals at: the next step up, which had some.',
    'lazy attach and portal-only send Polar the same requests (lazy page views only read the cache), so they share their days;',
    'their capacity is one search over clicking customers, divided by the billing rate.',
  )
  return out.join('\n')
}

// --- SVG ------------------------------------------------------------------------------------

const COLORS = { eager: '#c33', lazy: '#2a6fdb', portal: '#7fa7e8' }

/** Grouped horizontal bars on a log scale: capacity per style, one group per billing rate. */
function capacityPanel({ x, y, width, rows }) {
  const labelW = 170
  const barH = 14
  const plotW = width - x - labelW - 120
  const values = rows.map((r) => r.capacity.capacity).filter((v) => v > 0)
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)))
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)))
  const sx = (v) => ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW
  const parts = [`<text x="${x}" y="${y}" class="t">Customers a day served with zero refusals (log scale)</text>`]
  let by = y + 14
  const rates = [...new Set(rows.map((r) => r.rate))]
  for (const rate of rates) {
    parts.push(`<text x="${x}" y="${by + 11}" class="g">${esc(pct(rate))} open billing</text>`)
    by += 16
    for (const r of rows.filter((row) => row.rate === rate)) {
      const v = r.capacity.capacity
      parts.push(
        `<text x="${x + labelW - 8}" y="${by + 11}" class="l" text-anchor="end">${esc(STYLE[r.style])}</text>`,
        `<rect x="${x + labelW}" y="${by}" width="${sx(v).toFixed(1)}" height="${barH}" fill="${COLORS[r.style]}"/>`,
        `<text x="${x + labelW + sx(v) + 6}" y="${by + 11}" class="v">${esc(n0(v))}</text>`,
      )
      by += barH + 4
    }
    by += 6
  }
  for (let d = lo; d <= hi; d *= 10) {
    const gx = x + labelW + sx(d)
    parts.push(
      `<line x1="${gx}" x2="${gx}" y1="${y + 8}" y2="${by}" stroke="#ddd"/>`,
      `<text x="${gx}" y="${by + 12}" class="l" text-anchor="middle">${esc(d >= 1e6 ? `${d / 1e6}M` : `${d / 1e3}k`)}</text>`,
    )
  }
  return { svg: parts.join('\n'), height: by - y + 36 }
}

/** Creations per minute over the day (busiest minute of each 10), with the limits as dashed lines. */
function dayPanel({ x, y, width, series, limits, title }) {
  const h = 170
  const left = 44
  const plotW = width - x - left - 150
  const maxY = Math.max(...limits.map((l) => l.value), ...series.flatMap((s) => s.points)) * 1.08
  const count = Math.max(...series.map((s) => s.points.length))
  const sx = (i) => x + left + (i / (count - 1)) * plotW
  const sy = (v) => y + 16 + h - (v / maxY) * h
  const parts = [
    `<text x="${x}" y="${y}" class="t">${esc(title)}</text>`,
    `<line x1="${x + left}" x2="${x + left + plotW}" y1="${sy(0)}" y2="${sy(0)}" stroke="#888"/>`,
    `<line x1="${x + left}" x2="${x + left}" y1="${sy(maxY)}" y2="${sy(0)}" stroke="#888"/>`,
    `<text x="${x + left - 6}" y="${sy(0) + 4}" class="l" text-anchor="end">0</text>`,
  ]
  for (let hour = 0; hour <= 24; hour += 6) {
    parts.push(
      `<text x="${sx((hour * 6 * (count - 1)) / 144)}" y="${sy(0) + 16}" class="l" text-anchor="middle">${hour}:00</text>`,
    )
  }
  for (const l of limits) {
    parts.push(
      `<line x1="${x + left}" x2="${x + left + plotW}" y1="${sy(l.value)}" y2="${sy(l.value)}" stroke="#999" stroke-dasharray="5 3"/>`,
      `<text x="${x + left + plotW + 6}" y="${sy(l.value) + 4}" class="l">${esc(`${l.value}: ${l.label}`)}</text>`,
    )
  }
  for (const s of series) {
    const path = s.points.map((v, i) => `${i === 0 ? 'M' : 'L'}${sx(i).toFixed(1)},${sy(v).toFixed(1)}`).join(' ')
    parts.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="1.8"/>`)
  }
  let ly = y + 16 + h + 34
  for (const s of series) {
    parts.push(
      `<line x1="${x + left}" x2="${x + left + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`,
      `<text x="${x + left + 30}" y="${ly}" class="l">${esc(s.label)}</text>`,
    )
    ly += 16
  }
  return { svg: parts.join('\n'), height: ly - y + 10 }
}

export function renderSvg(results) {
  const width = 760
  const { rows, config: c } = results
  const parts = []
  let y = 50
  const cap = capacityPanel({ x: 20, y, width, rows })
  parts.push(cap.svg)
  y += cap.height
  const rate = c.rates.includes(0.05) ? 0.05 : c.rates[0]
  const eager = rows.find((r) => r.style === 'eager' && r.rate === rate)
  const lazy = rows.find((r) => r.style === 'lazy' && r.rate === rate)
  const day = dayPanel({
    x: 20,
    y,
    width,
    title: `Sessions created a minute, ${short(c.customers)} customers a day, ${pct(rate)} open billing (busiest of each 10 min)`,
    series: [
      {
        label: `eager attach (peak ${eager.day.polar.peakPerMinute}/min)`,
        color: COLORS.eager,
        points: eager.day.series,
      },
      {
        label: `lazy attach / portal-only (peak ${lazy.day.polar.peakPerMinute}/min)`,
        color: COLORS.lazy,
        points: lazy.day.series,
      },
    ],
    limits: [
      { value: c.polarLimit, label: "Polar's limit" },
      { value: c.maxPerMinute, label: 'our budget' },
      { value: Math.floor(c.maxPerMinute * c.attachShare), label: "attach's share" },
    ],
  })
  parts.push(day.svg)
  y += day.height
  const header = `polar-session capacity simulation, ${results.date.slice(0, 10)}: one Polar organization`
  return svgPage({ width, height: y, header, parts, style: '.g{font-size:12px;font-weight:600;fill:#333}' })
}

// --- README ---------------------------------------------------------------------------------

const START = '<!-- simulate:start -->'
const END = '<!-- simulate:end -->'

/** Replaces the block between the markers of README.md with the latest table. */
export async function updateReadme(path, text, results) {
  const readme = await readFile(path, 'utf8')
  const a = readme.indexOf(START)
  const b = readme.indexOf(END)
  if (a === -1 || b === -1 || b < a) throw new Error(`${path} has no ${START} … ${END} block`)
  const block = `${START}\nLatest run (${results.date}, written by \`pnpm simulate\`):\n\n\`\`\`text\n${text}\n\`\`\`\n${END}`
  await writeFile(path, readme.slice(0, a) + block + readme.slice(b + END.length))
}
