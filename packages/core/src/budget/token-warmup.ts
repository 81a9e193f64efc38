/**
 * Polar rate-limits a token it has not authenticated in the last 5 minutes under a rule of its
 * own, 60 requests a minute (`rate_limit.py`: the limiter runs before authentication and knows a
 * token's organization only from a cache that authentication fills). A burst of new sessions
 * after a quiet spell would all count there, and past 60 get 429 with `retry-after: 60`, which
 * then stops every creation for a minute. So after a quiet spell one request goes first, and
 * the others wait for its answer (at most `maxWaitMs`): then Polar knows the token, and they
 * count against the organization's budget as they should.
 */
export class TokenWarmup {
  /** Polar's identity cache lives 5 minutes from the last authenticated request; keep a margin. */
  static readonly WARM_MS = 4 * 60_000
  readonly #maxWaitMs: number
  #warmUntil = 0
  #firstAnswer: Promise<void> | null = null
  #release: (() => void) | null = null

  constructor(maxWaitMs: number) {
    this.#maxWaitMs = maxWaitMs
  }

  /** Resolves when a request may be sent: at once while Polar knows the token. */
  async ready(): Promise<void> {
    if (Date.now() < this.#warmUntil) return
    if (this.#firstAnswer === null) {
      // This caller goes first; the next ones wait for its answer.
      this.#firstAnswer = new Promise((resolve) => (this.#release = resolve))
      return
    }
    let timer: NodeJS.Timeout | undefined
    const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#maxWaitMs)))
    await Promise.race([this.#firstAnswer, gaveUp])
    clearTimeout(timer)
  }

  /**
   * A request to Polar came back: with any answer but 401 or 429 Polar authenticated the token
   * (and renewed its cache); with none (a timeout, a reset) the next caller goes first instead.
   */
  answered(status: number | null): void {
    if (status !== null && status !== 401 && status !== 429) this.#warmUntil = Date.now() + TokenWarmup.WARM_MS
    this.#release?.()
    this.#firstAnswer = null
    this.#release = null
  }
}
