// The traffic model of the capacity simulation: who comes when, for how long, and who opens
// billing. Events are whole virtual seconds from midnight, packed in typed arrays and bucketed
// by second (a counting sort, no heap): a million customers make about ten million page views,
// far too many for objects.
//
// An event is one Uint32: customer index × 2, plus 1 for a billing click (0 for a page view).
//
// The day wraps round: a visit still going at midnight goes on at 00:00 of the same simulated
// day, standing for yesterday's late visits, so every run is one steady-state day of exactly
// 1,440 minutes, not a day plus an evening's tail into the next.

import { createRandom } from './sim-random.js'

export const DAY_S = 86_400

/** The defaults of the model; every one is a CLI flag of simulate.js. */
export const DEFAULT_TRAFFIC = Object.freeze({
  /** Visits per customer a day: 1 + Poisson(visitsMean − 1). */
  visitsMean: 1.5,
  /** Visit length: lognormal with this median (minutes) and log-sd, capped. */
  visitMedianMin: 10,
  visitSigma: 1,
  visitMaxMin: 480,
  /** A page view at the start of a visit, then one every this many minutes while it lasts. */
  pageViewEveryMin: 3,
  /** Share of the day's visits that start in the busiest clock hour. */
  peakShare: 0.11,
  /** The busiest clock hour (UTC): 14 is 14:00–15:00. */
  peakHour: 14,
  /** Standard deviation of the working-day bell, hours. */
  peakWidthH: 3,
})

/** erf, Abramowitz & Stegun 7.1.26 (error below 1.5e-7): enough to place the bell. */
function erf(x) {
  const sign = Math.sign(x)
  const z = Math.abs(x)
  const t = 1 / (1 + 0.3275911 * z)
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
  return sign * (1 - poly * Math.exp(-z * z))
}

/**
 * When visits start: a flat background (night, other time zones) plus a bell over the working
 * day. The background's weight is solved so that the busiest clock hour carries `peakShare` of
 * the day's visits, which is the figure capacity depends on.
 */
export function dailyCurve({ peakShare, peakHour, peakWidthH }) {
  const bellInPeakHour = erf(0.5 / (peakWidthH * Math.SQRT2))
  const flatHour = 1 / 24
  if (!(peakShare > flatHour && peakShare <= bellInPeakHour)) {
    throw new RangeError(
      `peakShare must be above 1/24 (a flat day) and at most ${bellInPeakHour.toFixed(3)} (the whole day in a ` +
        `bell of ${peakWidthH} h); got ${peakShare}`,
    )
  }
  const background = (bellInPeakHour - peakShare) / (bellInPeakHour - flatHour)
  const centre = (peakHour + 0.5) * 3_600
  const sigma = peakWidthH * 3_600
  return {
    background,
    /** A start time in [0, DAY_S) seconds; the bell's far tails wrap round midnight. */
    sample(rand) {
      if (rand.uniform() < background) return rand.uniform() * DAY_S
      const t = (centre + sigma * rand.normal()) % DAY_S
      return t < 0 ? t + DAY_S : t
    },
  }
}

/** Appends (second, event) pairs to typed arrays that grow by doubling. */
function eventBuffer(initial) {
  let sec = new Uint32Array(Math.max(1_024, initial))
  let ev = new Uint32Array(sec.length)
  let n = 0
  return {
    push(s, e) {
      if (n === sec.length) {
        const grownSec = new Uint32Array(sec.length * 2)
        grownSec.set(sec)
        sec = grownSec
        const grownEv = new Uint32Array(ev.length * 2)
        grownEv.set(ev)
        ev = grownEv
      }
      sec[n] = s
      ev[n++] = e
    },
    /** Counting sort by second: `offsets[s]..offsets[s + 1]` are the events of second `s`. */
    bucket() {
      const horizon = DAY_S
      const offsets = new Uint32Array(horizon + 1)
      for (let i = 0; i < n; i++) offsets[sec[i] + 1]++
      for (let s = 0; s < horizon; s++) offsets[s + 1] += offsets[s]
      const next = offsets.slice(0, horizon)
      const events = new Uint32Array(n)
      for (let i = 0; i < n; i++) events[next[sec[i]]++] = ev[i]
      return { horizon, offsets, events }
    },
  }
}

function visitLength(rand, traffic) {
  const seconds = traffic.visitMedianMin * 60 * Math.exp(traffic.visitSigma * rand.normal())
  return Math.min(traffic.visitMaxMin * 60, seconds)
}

/**
 * Every page view and billing click of `customers` customers (eager attach needs them all).
 * Each customer draws the same numbers whatever `billingShare` is, so the three billing rates
 * see the same page views, and `billingShare` only decides who also clicks.
 */
export function generateVisits({ customers, billingShare, traffic = DEFAULT_TRAFFIC, seed = 1 }) {
  const rand = createRandom(seed, 'visits')
  const curve = dailyCurve(traffic)
  const gap = Math.max(1, Math.round(traffic.pageViewEveryMin * 60))
  const meanLength = traffic.visitMedianMin * 60 * Math.exp(traffic.visitSigma ** 2 / 2)
  const buffer = eventBuffer(Math.ceil(customers * traffic.visitsMean * (1.2 + meanLength / gap)))
  const starts = new Float64Array(64)
  const lengths = new Float64Array(64)
  let visits = 0
  let pageViews = 0
  let clicks = 0
  for (let c = 0; c < customers; c++) {
    const billing = rand.uniform() < billingShare
    const k = Math.min(starts.length, 1 + rand.poisson(traffic.visitsMean - 1))
    for (let v = 0; v < k; v++) {
      const start = Math.floor(curve.sample(rand))
      const length = visitLength(rand, traffic)
      starts[v] = start
      lengths[v] = length
      for (let t = 0; t <= length; t += gap) buffer.push((start + t) % DAY_S, c * 2)
      pageViews += 1 + Math.floor(length / gap)
    }
    visits += k
    // Drawn for everyone, used for billing customers only: see the function comment.
    const pick = rand.below(k)
    const at = rand.uniform()
    if (billing) {
      buffer.push(Math.floor(starts[pick] + at * lengths[pick]) % DAY_S, c * 2 + 1)
      clicks++
    }
  }
  const bucketed = buffer.bucket()
  shuffleWithinSeconds(bucketed, createRandom(seed, 'order'))
  return { ...bucketed, customers, visits, pageViews, clicks }
}

/**
 * Only the billing clicks, of `billingCustomers` customers: all that lazy attach and a portal
 * route send to Polar. They depend on the number of clicking customers alone, so one run
 * answers for every (customers, billing share) pair with the same product.
 */
export function generateClicks({ billingCustomers, traffic = DEFAULT_TRAFFIC, seed = 1 }) {
  const rand = createRandom(seed, 'clicks')
  const curve = dailyCurve(traffic)
  const buffer = eventBuffer(billingCustomers)
  for (let j = 0; j < billingCustomers; j++) {
    const start = curve.sample(rand)
    const length = visitLength(rand, traffic)
    buffer.push(Math.floor(start + rand.uniform() * length) % DAY_S, j * 2 + 1)
  }
  return {
    ...buffer.bucket(),
    customers: billingCustomers,
    visits: billingCustomers,
    pageViews: 0,
    clicks: billingCustomers,
  }
}

/**
 * Events of one second come in random order, not customer order: in a second where the
 * budget runs out, low customer numbers would otherwise always be served first.
 */
function shuffleWithinSeconds({ horizon, offsets, events }, rand) {
  for (let s = 0; s < horizon; s++) {
    const a = offsets[s]
    for (let i = offsets[s + 1] - 1; i > a; i--) {
      const j = a + rand.below(i - a + 1)
      const e = events[i]
      events[i] = events[j]
      events[j] = e
    }
  }
}
