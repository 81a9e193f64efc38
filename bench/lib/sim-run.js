// One simulated day through the real core: createPolarSessions with its defaults, a memory
// store that evicts nothing, the canned Polar (sim-polar.js) as `fetch`, and the virtual clock
// (sim-clock.js). Events are played in time order, one at a time, each awaited to the end:
// Polar answers at once, so nothing in the core is still in flight when the clock moves.
//
// Styles:
//   eager   every page view calls getSession(identity, { purpose: 'attach' }), a billing click
//           getSession(identity): app.use(polarSession(polar)) plus a portal route
//   clicks  only billing clicks, getSession(identity): a portal route alone, and lazy attach,
//           whose page views only read the cache and so cost Polar nothing

import { createPolarSessions, isPolarSessionError, memoryStore } from '@polar-session/core'
import { installClock, realMs, realTick } from './sim-clock.js'
import { cannedPolar } from './sim-polar.js'
import { DEFAULT_TRAFFIC, generateClicks, generateVisits } from './sim-traffic.js'

/** Midnight UTC of a Monday: the virtual day starts on a minute boundary, like the budget's windows. */
export const DAY0 = Date.UTC(2026, 0, 5)
/**
 * createPolarSessions' default refreshMarginMs. Only the replay below uses it, to tell a
 * cached session's fate without asking the core; the test runs the replay against the core.
 */
const REFRESH_MARGIN_MS = 15 * 60_000
const ACCESS_TOKEN = 'polar_oat_capacitySimulationNotARealToken0000000'
const ATTACH = Object.freeze({ purpose: 'attach' })
const PURGE_EVERY_S = 3_600

const tally = () => ({
  calls: 0,
  hits: 0,
  created: 0,
  stale: 0,
  refused: 0,
  budget: 0,
  blocked: 0,
  polar429: 0,
  other: 0,
})

/** Why the core refused: our budget, our block after a Polar 429, or that 429 itself. */
function refusalCause(error) {
  if (!isPolarSessionError(error) || error.code !== 'rate_limited') return 'other'
  if (error.cause?.status === 429) return 'polar429'
  return /budget/.test(error.message) ? 'budget' : 'blocked'
}

/**
 * Runs one day. `params`: style ('eager' | 'clicks'), customers and billingShare (eager) or
 * billingCustomers (clicks), traffic, seed, template (a 201 body of the fake Polar),
 * maxCreationsPerMinute (undefined: the core's default), polarLimit (500), replay (true),
 * series (also return creations per 10 minutes, for the chart).
 */
export async function simulate(params) {
  const {
    style,
    traffic = DEFAULT_TRAFFIC,
    seed = 1,
    template,
    maxCreationsPerMinute,
    polarLimit = 500,
    replay = true,
  } = params
  const started = realMs()
  const events =
    style === 'eager'
      ? generateVisits({ customers: params.customers, billingShare: params.billingShare, traffic, seed })
      : generateClicks({ billingCustomers: params.billingCustomers, traffic, seed })
  const generated = realMs()

  const minutes = Math.ceil(events.horizon / 60)
  const api = cannedPolar({ template, accessToken: ACCESS_TOKEN, day0: DAY0, minutes, limit: polarLimit })
  // One session per customer at most (no return URLs): nothing live is ever evicted.
  const store = memoryStore({ max: Math.max(1, events.customers) })
  const clock = installClock(DAY0)
  const polar = createPolarSessions({
    accessToken: ACCESS_TOKEN,
    server: 'production',
    store,
    fetch: api.fetch,
    ...(maxCreationsPerMinute === undefined ? {} : { maxCreationsPerMinute }),
  })

  const attach = { ...tally(), pageViews: 0, replayed: 0 }
  const clicks = { ...tally(), total: 0 }
  // Latest expiry of a session the core handed each customer: what its store holds.
  const expiry = style === 'eager' ? new Float64Array(events.customers) : null
  let tokenMismatches = 0
  // Until when the core said attach creations are refused, and why (see replayAttach).
  let refusedUntil = 0
  let refusedCause = 'budget'
  let now = DAY0

  const ask = async (c, counts, options) => {
    counts.calls++
    const before = api.stats.created
    let session
    try {
      session = await polar.getSession({ externalCustomerId: `c${c}` }, options)
    } catch (error) {
      const cause = refusalCause(error)
      counts.refused++
      counts[cause]++
      if (cause !== 'other') {
        refusedUntil = Math.max(refusedUntil, now + error.retryAfter * 1_000)
        refusedCause = cause === 'polar429' ? 'blocked' : cause
      }
      return
    }
    const expiresAt = session.expiresAt.getTime()
    if (expiry !== null && expiresAt > expiry[c]) expiry[c] = expiresAt
    if (api.stats.created > before) {
      counts.created++
      if (session.token !== api.stats.lastToken) tokenMismatches++
    } else if (expiresAt - now > REFRESH_MARGIN_MS) {
      counts.hits++
    } else {
      // A creation was refused, and the core served the cached session with less than the margin
      // left instead: the page still has a working session, so it is not counted as refused.
      counts.stale++
    }
  }

  /**
   * A page view whose answer is already known from what the core said before, answered
   * without asking it again (the test checks these answers against the core's):
   * - the customer holds a session with more than the margin left: the core's cache hit, which
   *   changes nothing in the core (the store never evicts, nothing is invalidated);
   * - the core refused an attach creation, or any creation, with a Retry-After that has not
   *   passed: within the budget's window the count only grows and a 429 block lasts exactly its
   *   retry-after, so the core would serve a still-valid session, else refuse, and change no
   *   state that matters.
   * Every other page view, each one that might create a session, goes to the core. At a
   * million customers a day this skips millions of calls that would end in a hit or in the
   * same refusal.
   */
  const replayAttach = (c) => {
    const left = expiry[c] - now
    if (left > REFRESH_MARGIN_MS) {
      attach.replayed++
      attach.hits++
      return true
    }
    if (now >= refusedUntil) return false
    attach.replayed++
    if (left > 0) attach.stale++
    else {
      attach.refused++
      attach[refusedCause]++
    }
    return true
  }

  const { offsets, events: list, horizon } = events
  let nextPurge = PURGE_EVERY_S
  // Refusals are errors, and capturing their stacks costs more than the rest of a refusal.
  const stackTraceLimit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    for (let s = 0; s < horizon; s++) {
      const first = offsets[s]
      const end = offsets[s + 1]
      if (first === end) continue
      if (s >= nextPurge) {
        // Drop sessions past their expiry (they are useless to the core too), to bound the heap.
        await realTick()
        store.cache.purgeStale()
        nextPurge += PURGE_EVERY_S
      }
      now = DAY0 + s * 1_000
      clock.set(now)
      for (let i = first; i < end; i++) {
        const e = list[i]
        const c = e >>> 1
        if (e & 1) {
          clicks.total++
          await ask(c, clicks, undefined)
        } else {
          attach.pageViews++
          if (!replay || !replayAttach(c)) await ask(c, attach, ATTACH)
        }
      }
    }
    await polar.close()
  } finally {
    clock.uninstall()
    Error.stackTraceLimit = stackTraceLimit
  }
  const finished = realMs()
  return summarize({ params, events, api, attach, clicks, tokenMismatches, started, generated, finished })
}

function summarize({ params, events, api, attach, clicks, tokenMismatches, started, generated, finished }) {
  const { perMinute, perSecond } = api.stats
  // The busiest 60 s wherever they start: what the sliding budget counts, and what a window of
  // Polar's (opening with whichever request comes first) can hold at worst.
  let peak = 0
  let peakMinute = 0
  let last60 = 0
  for (let s = 0; s < perSecond.length; s++) {
    last60 += perSecond[s] - (s >= 60 ? perSecond[s - 60] : 0)
    if (last60 > peak) {
      peak = last60
      peakMinute = Math.floor(s / 60)
    }
  }
  let hour = 0
  let busiestHour = 0
  for (let m = 0; m < perMinute.length; m++) {
    hour += perMinute[m] - (m >= 60 ? perMinute[m - 60] : 0)
    if (hour > busiestHour) busiestHour = hour
  }
  const result = {
    style: params.style,
    customers: params.style === 'eager' ? params.customers : params.billingCustomers,
    billingShare: params.style === 'eager' ? params.billingShare : null,
    traffic: { visits: events.visits, pageViews: events.pageViews, clicks: events.clicks },
    polar: {
      requests: api.stats.requests,
      created: api.stats.created,
      answered429: api.stats.answered429,
      malformed: api.stats.malformed,
      peakPerMinute: peak,
      peakMinute,
      busiestHourPerMinute: busiestHour / 60,
    },
    attach,
    clicks,
    // People turned away: pages served without a session, billing clicks answered with an error.
    refusals: attach.refused + clicks.refused,
    // Creations the core did not make, whether or not a still-valid session covered them.
    refusedCreations: attach.refused + attach.stale + clicks.refused + clicks.stale,
    tokenMismatches,
    coreCalls: attach.calls + clicks.calls,
    generateMs: Math.round(generated - started),
    simulateMs: Math.round(finished - generated),
  }
  if (params.series) {
    // Creations per 10 virtual minutes (the busiest minute of each), for the chart.
    result.series = []
    for (let m = 0; m < perMinute.length; m += 10) result.series.push(Math.max(...perMinute.subarray(m, m + 10)))
  }
  return result
}
