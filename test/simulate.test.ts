// The capacity simulation (bench/simulate.js) at a small scale: it must go through the real
// core, eager attach must cost Polar far more than lazy attach, the capacity it reports must
// hold, and its replay of known answers must agree with the core. Each case runs the CLI in a
// child process: a simulated day replaces Date.now and performance.now, which this process keeps.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const execFileAsync = promisify(execFile)
const SIMULATE = fileURLToPath(new URL('../bench/simulate.js', import.meta.url))
/** A budget a twentieth of production's, so that a small day reaches it. */
const TWENTIETH = ['--max-per-minute', '20', '--polar-limit', '25']

interface Tally {
  calls: number
  hits: number
  created: number
  stale: number
  refused: number
  budget: number
  blocked: number
  polar429: number
  other: number
}

interface Day {
  polar: { requests: number; created: number; answered429: number; malformed: number; peakPerMinute: number }
  attach: Tally & { pageViews: number; replayed: number }
  clicks: Tally & { total: number }
  refusals: number
  refusedCreations: number
  tokenMismatches: number
  coreCalls: number
}

interface Capacity {
  capacity: number
  above: number
  confirmed: boolean
  runs: { n: number; refusedCreations: number }[]
}

async function simulate<T = Day>(...args: string[]): Promise<T> {
  const { stdout } = await execFileAsync(process.execPath, [SIMULATE, ...args, '--json'], { maxBuffer: 1 << 24 })
  return JSON.parse(stdout) as T
}

const eagerDay = (...args: string[]) => simulate('run', '--style', 'eager', ...args)
const clicksDay = (...args: string[]) => simulate('run', '--style', 'clicks', ...args)

/** 4,000 customers a day, 5% open billing, the default budget: run once, read by two tests. */
let small: Promise<Day> | undefined
const smallEagerDay = () => (small ??= eagerDay('--customers', '4000', '--billing', '0.05'))

describe.concurrent('capacity simulation', { timeout: 60_000 }, () => {
  it('goes through the core: Polar saw every request the core sent, and the core handed out what Polar answered', async () => {
    const day = await smallEagerDay()
    expect(day.polar.malformed).toBe(0)
    expect(day.polar.requests).toBe(day.polar.created + day.polar.answered429)
    expect(day.attach.created + day.clicks.created).toBe(day.polar.created)
    expect(day.tokenMismatches).toBe(0)
    // At least one session per customer who came, and page views that found theirs cached.
    expect(day.polar.created).toBeGreaterThan(4000)
    expect(day.attach.hits).toBeGreaterThan(day.attach.created)
    expect(day.refusals).toBe(0)
  })

  it("at 5% billing use, eager attach's peak creations per minute is far above lazy attach's", async () => {
    const [eager, lazy] = await Promise.all([smallEagerDay(), clicksDay('--customers', '4000', '--billing', '0.05')])
    expect(lazy.clicks.total).toBe(200)
    expect(lazy.polar.created).toBe(200)
    expect(eager.polar.created).toBeGreaterThan(20 * lazy.polar.created)
    expect(eager.polar.peakPerMinute).toBeGreaterThanOrEqual(5 * lazy.polar.peakPerMinute)
  })

  it.each([
    ['lazy attach', ['--style', 'clicks', ...TWENTIETH]],
    ['eager attach', ['--style', 'eager', '--billing', '0.05', ...TWENTIETH]],
  ])('the capacity it reports holds at a small budget (%s): no refusal up to it, refusals above', async (_, args) => {
    const found = await simulate<Capacity>('capacity', ...args)
    expect(found.confirmed).toBe(true)
    expect(found.runs.length).toBeGreaterThanOrEqual(3)
    for (const run of found.runs) {
      if (run.n <= found.capacity) expect(run.refusedCreations, `${run.n}`).toBe(0)
      else expect(run.refusedCreations, `${run.n}`).toBeGreaterThan(0)
    }
    expect(found.runs.map((r) => r.n)).toContain(found.above)
  })

  it("answers page views it replays exactly as the core would, through budget refusals and Polar's 429s", async () => {
    // Our budget above Polar's limit: refusals of every cause, and still-valid sessions served.
    const args = ['--customers', '3000', '--billing', '0.2', '--max-per-minute', '20', '--polar-limit', '8']
    const [replayed, direct] = await Promise.all([eagerDay(...args), eagerDay(...args, '--no-replay')])
    expect(replayed.attach.replayed).toBeGreaterThan(replayed.attach.pageViews / 2)
    expect(direct.attach.replayed).toBe(0)
    expect(direct.attach.calls).toBe(direct.attach.pageViews)
    for (const cause of ['budget', 'blocked', 'polar429', 'stale'] as const)
      expect(direct.attach[cause]).toBeGreaterThan(0)
    // Everything but how many page views reached the core.
    const outcome = (day: Day) => {
      const { calls: _calls, replayed: _replayed, ...attach } = day.attach
      return {
        attach,
        clicks: day.clicks,
        polar: day.polar,
        refusals: day.refusals,
        refusedCreations: day.refusedCreations,
      }
    }
    expect(outcome(replayed)).toEqual(outcome(direct))
  })
})
