// The fake's clock. Polar stamps objects with microsecond precision and
// serialises them as UTC ISO-8601 with a `Z`; clients that compute lifetimes
// from created_at/expires_at must cope with that format and with a server
// clock that is not theirs, hence the adjustable offset.

export class FakeClock {
  offsetMs: number
  private lastRealMicros = 0

  constructor(offsetMs = 0) {
    this.offsetMs = offsetMs
  }

  /** Microseconds since the epoch on the fake server's clock (real clock + offset). */
  nowMicros(): number {
    // Wall clock for the milliseconds (a monotonic clock drifts from it in long
    // runs), the monotonic clock's fraction for realistic microseconds, and
    // never backwards, so successive objects are ordered as they were created.
    const sample = Date.now() * 1000 + Math.floor((performance.now() % 1) * 1000)
    // A step back of more than a millisecond is the wall clock itself moving (NTP, or a test
    // faking Date.now): follow it rather than stay ahead forever.
    const behind = this.lastRealMicros - sample
    this.lastRealMicros = behind >= 0 && behind < 1000 ? this.lastRealMicros + 1 : sample
    return this.lastRealMicros + Math.round(this.offsetMs * 1000)
  }
}

/** Whole milliseconds since the epoch on the fake server's clock, for windows and TTLs. */
export function clockMs(clock: FakeClock): number {
  return Math.floor(clock.nowMicros() / 1000)
}

/** `2026-08-22T10:00:00.123456Z`: always six fractional digits. */
export function formatMicros(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000)
  const fraction = micros - seconds * 1_000_000
  const iso = new Date(seconds * 1000).toISOString() // YYYY-MM-DDTHH:MM:SS.000Z
  return `${iso.slice(0, 19)}.${String(fraction).padStart(6, '0')}Z`
}
