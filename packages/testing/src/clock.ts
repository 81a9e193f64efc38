// The fake's clock. Polar stamps objects with microsecond precision and
// serialises them as UTC ISO-8601 with a `Z`; clients that compute lifetimes
// from created_at/expires_at must cope with that format and with a server
// clock that is not theirs, hence the adjustable offset.

export class FakeClock {
  offsetMs: number

  constructor(offsetMs = 0) {
    this.offsetMs = offsetMs
  }

  /** Microseconds since the epoch on the fake server's clock (real clock + offset). */
  nowMicros(): number {
    // timeOrigin + now() has sub-millisecond resolution, unlike Date.now().
    return Math.floor((performance.timeOrigin + performance.now() + this.offsetMs) * 1000)
  }
}

/** `2026-08-22T10:00:00.123456Z`: always six fractional digits. */
export function formatMicros(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000)
  const fraction = micros - seconds * 1_000_000
  const iso = new Date(seconds * 1000).toISOString() // YYYY-MM-DDTHH:MM:SS.000Z
  return `${iso.slice(0, 19)}.${String(fraction).padStart(6, '0')}Z`
}
