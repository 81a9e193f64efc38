import { describe, expect, it } from 'vitest'
import { backoffDelay, BACKOFF_CAP_MS, defaultSleep, parseRetryAfter } from './retry.js'

describe('backoffDelay', () => {
  it('is full jitter over an exponential ceiling capped at 2 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, () => 0.5))).toEqual([50, 100, 200, 400, 800, 1000, 1000])
    expect(backoffDelay(50, () => 0.999999)).toBeLessThan(BACKOFF_CAP_MS)
    expect(backoffDelay(3, () => 0)).toBe(0)
  })

  it('tolerates a random source outside [0, 1)', () => {
    expect(backoffDelay(1, () => -3)).toBe(0)
    expect(backoffDelay(1, () => Number.NaN)).toBe(0)
    expect(backoffDelay(1, () => 7)).toBe(100)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-08-22T10:00:00Z')
  it.each([
    [null, undefined],
    ['2', 2],
    [' 10 ', 10],
    ['0', 0],
    ['1.5', 1.5],
    ['-1', undefined],
    ['soon', undefined],
    ['', undefined],
    ['Sat, 22 Aug 2026 10:00:30 GMT', 30],
    ['Sat, 22 Aug 2026 09:00:00 GMT', 0],
    ['Sat, 99 Foo 2026 10:00:30 GMT', undefined],
  ])('%j → %j', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected)
  })
})

describe('defaultSleep', () => {
  it('waits', async () => {
    const start = performance.now()
    await defaultSleep(30)
    expect(performance.now() - start).toBeGreaterThanOrEqual(25)
  })

  it('rejects with the reason at once when aborted, before or during the wait', async () => {
    // A ten-minute sleep: settling within the test at all shows the abort cut it short.
    const reason = new Error('stop')
    await expect(defaultSleep(600_000, AbortSignal.abort(reason))).rejects.toBe(reason)
    const controller = new AbortController()
    const pending = defaultSleep(600_000, controller.signal)
    controller.abort(reason)
    await expect(pending).rejects.toBe(reason)
  })
})
