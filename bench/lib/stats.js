// Summaries: every figure in results.json is { min, median, max, runs: [...] }.

/** Percentile (nearest rank) of an ascending-sorted array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** { min, median, max, runs } of a list of per-run values. */
export function summarize(values, digits = 3) {
  const round = (v) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : v)
  return {
    min: round(Math.min(...values)),
    median: round(median(values)),
    max: round(Math.max(...values)),
    runs: values.map(round),
  }
}

/** `summarize` of one field of every run, e.g. `summarizeField(runs, 'p99', 2)`. */
export function summarizeField(runs, field, digits = 3) {
  return summarize(
    runs.map((run) => run[field]),
    digits,
  )
}

/** Ratio per run pair (A[i] / B[i]), summarised: pairs are the alternating runs. */
export function pairedRatio(a, b, digits = 4) {
  return summarize(
    a.map((v, i) => v / b[i]),
    digits,
  )
}

/** Difference per run pair (A[i] - B[i]), summarised. */
export function pairedDiff(a, b, digits = 3) {
  return summarize(
    a.map((v, i) => v - b[i]),
    digits,
  )
}
