// Polar's organization rate limit: a sliding window shared by every token of
// the organization (500 a minute in production, 100 in sandbox). A refused
// request does not use up the budget. The answer's retry-after is the whole
// number of seconds until the oldest counted request leaves the window.
// Runs on the real monotonic clock: the clock offset only changes what the
// fake reports, not how fast time passes.

export class SlidingWindowLimiter {
  private readonly stamps: number[] = []
  private head = 0

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** null when the request may pass (and is counted), else retry-after seconds. */
  hit(now = performance.now()): number | null {
    const floor = now - this.windowMs
    while (this.head < this.stamps.length && (this.stamps[this.head] as number) <= floor) this.head++
    if (this.head > 1024 && this.head * 2 > this.stamps.length) {
      this.stamps.splice(0, this.head)
      this.head = 0
    }
    if (this.stamps.length - this.head >= this.limit) {
      // limit 0: nothing is ever counted, so a whole window is the honest answer.
      const oldest = this.stamps[this.head] ?? now
      return Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000))
    }
    this.stamps.push(now)
    return null
  }
}
