// The largest number of customers a day served with zero refusals, without brute force: scale
// from a run's creations per minute to an estimate, then confirm it with simulated days at the
// estimate (zero refusals) and one step above (some), bisecting when the estimate was off.
// Candidates sit on a grid of two significant figures (54,000, 55,000 … 190,000, 200,000), so
// the confirmed value is already rounded down.
//
// Zero refusals means the core never refused a creation: no page went without a session, no
// billing click got an error, and no still-valid session was handed out for want of a new one.

/** `n` rounded down to two significant figures. */
export function gridFloor(n) {
  if (n < 10) return Math.max(1, Math.floor(n))
  const step = 10 ** (Math.floor(Math.log10(n)) - 1)
  return Math.floor(n / step) * step
}

/** The next grid value above `n` (a grid value). */
export const gridUp = (n) => (n < 10 ? n + 1 : n + 10 ** (Math.floor(Math.log10(n)) - 1))

/** The grid value below `n` (a grid value). */
export const gridDown = (n) => gridFloor(n - 1)

export const refusalFree = (result) => result.refusedCreations === 0

/**
 * Where creations per minute would reach `limit`, from a run without refusals at `n`. The busiest
 * minute is the busiest hour's mean plus a Poisson-like excess that grows with the square root
 * of the mean: peak = λ + c·√λ, with c read off this run. Solving λ* + c·√λ* = limit and
 * scaling n by the ratio of λ* to λ is sharper than scaling by limit/peak, which underestimates from a small
 * run (its excess is relatively larger).
 */
export function estimateCapacity(result, n, limit) {
  const peak = result.polar.peakPerMinute
  const mean = result.polar.busiestHourPerMinute
  if (!(mean > 0)) return n * 10
  const c = Math.max(0, (peak - mean) / Math.sqrt(mean))
  const root = (-c + Math.sqrt(c * c + 4 * limit)) / 2
  return (n * root * root) / mean
}

/**
 * The next estimate from a refusal-free run at `n`. From far below the limit it errs by a few
 * percent either way; aiming 3% low makes the first run near the limit refusal-free, and
 * such a run is the best base for the next estimate (a refused run only bounds the answer).
 */
function nextGuess(result, n, limit) {
  const estimate = estimateCapacity(result, n, limit)
  return n < 0.8 * estimate ? 0.97 * estimate : estimate
}

/**
 * Finds the capacity. `runAt(n)` simulates a day at `n` (customers, or clicking customers);
 * `known` are runs already made ([n, result] pairs on the grid); `limit` is the creations per
 * minute that binds; `start` an estimate to try first. Returns { capacity, above, runs, confirmed }:
 * `capacity` ran with zero refusals, `above` (the next grid value) with some.
 */
export async function findCapacity({ runAt, known = [], limit, start, maxRuns = 8 }) {
  const runs = new Map(known)
  const bounds = () => {
    let hi = Number.POSITIVE_INFINITY
    for (const [n, r] of runs) if (!refusalFree(r) && n < hi) hi = n
    let lo = 0
    for (const [n, r] of runs) if (refusalFree(r) && n < hi && n > lo) lo = n
    return { lo, hi }
  }
  const first = bounds().lo
  let guess = start ?? (first > 0 ? nextGuess(runs.get(first), first, limit) : undefined)
  // Refusal-free runs in a row whose estimate did not reach past them: step up faster each time.
  let stalls = 0
  for (let made = 0; ; made++) {
    const { lo, hi } = bounds()
    if (lo > 0 && gridUp(lo) >= hi) return { capacity: lo, above: hi, runs: [...runs], confirmed: true }
    if (made >= maxRuns) return { capacity: lo, above: hi, runs: [...runs], confirmed: false }
    let n
    if (guess !== undefined) {
      n = gridFloor(guess)
      if (n <= lo) n = Math.max(gridUp(lo), gridFloor(lo * (1 + 0.02 * 2 ** stalls++)))
      if (n >= hi) n = gridDown(hi)
    }
    // No estimate inside the bracket: bisect it on the grid, or step down from a refused run.
    if (n === undefined || n <= lo || n >= hi)
      n = lo > 0 ? Math.max(gridUp(lo), gridFloor((lo + hi) / 2)) : gridDown(hi)
    const result = await runAt(n)
    runs.set(n, result)
    // Refused within 6% of a run that held: the estimate that chose it errs by a few percent, so
    // the answer is most often the step just below it; further off, bisect. A `start` that held
    // is another rate's capacity, which this one barely differs from: try the step above it.
    if (!refusalFree(result)) {
      const { lo: below } = bounds()
      guess = below > 0 && n - below <= 0.06 * n && gridDown(n) > below ? gridDown(n) : undefined
    } else guess = made === 0 && start !== undefined && n === gridFloor(start) ? gridUp(n) : nextGuess(result, n, limit)
    if (guess === undefined) stalls = 0
  }
}
