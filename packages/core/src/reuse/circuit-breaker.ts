import { isPolarSessionError, PolarSessionError } from '../errors.js'
import { rejectUnknownKeys } from '../option-keys.js'
import type { Logger } from '../types.js'

/** Options of the circuit breaker in front of Polar. */
export interface CircuitBreakerOptions {
  /** Consecutive failed creations (after their retries) that open the circuit. @default 3 */
  failureThreshold?: number
  /** How long the circuit stays open before one probe is let through. @default 5_000 */
  cooldownMs?: number
  /** Longest cooldown after repeated failed probes (the cooldown doubles each time). @default 60_000 */
  maxCooldownMs?: number
}

type State = 'closed' | 'open' | 'half-open'

/**
 * While Polar keeps failing, requests should not each wait out the whole retry schedule.
 * After `failureThreshold` consecutive transient failures (5xx, timeouts, resets, malformed
 * answers) the circuit opens: creations fail at once with 503 and `Retry-After` until the
 * cooldown ends, then a single probe goes through; its success closes the circuit, its failure
 * reopens it for twice as long.
 *
 * A 429 is not a failure here: Polar is up and says exactly how long to wait, and the creation
 * budget stops every caller for that long. Counting it would keep the circuit open longer
 * than Polar asked (the cooldown doubles), or open it on refusals of our own budget.
 */
export class CircuitBreaker {
  readonly #threshold: number
  readonly #baseCooldownMs: number
  readonly #maxCooldownMs: number
  readonly #logger: Logger
  #state: State = 'closed'
  #failures = 0
  #cooldownMs: number
  #openUntil = 0

  constructor(options: CircuitBreakerOptions, logger: Logger) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError('createPolarSessions: circuitBreaker must be an object.')
    rejectUnknownKeys(
      'createPolarSessions: circuitBreaker',
      options,
      ['failureThreshold', 'cooldownMs', 'maxCooldownMs'],
      {
        threshold: 'failureThreshold',
        cooldown: 'cooldownMs',
        resetTimeout: 'cooldownMs',
      },
    )
    this.#threshold = positiveInteger('failureThreshold', options.failureThreshold ?? 3)
    this.#baseCooldownMs = positiveInteger('cooldownMs', options.cooldownMs ?? 5_000)
    this.#maxCooldownMs = Math.max(
      this.#baseCooldownMs,
      positiveInteger('maxCooldownMs', options.maxCooldownMs ?? 60_000),
    )
    this.#cooldownMs = this.#baseCooldownMs
    this.#logger = logger
  }

  get state(): State {
    return this.#state
  }

  /** Runs one creation through the breaker. */
  async run<T>(create: () => Promise<T>): Promise<T> {
    if (this.#state !== 'closed') {
      const waitMs = this.#openUntil - Date.now()
      if (this.#state === 'half-open' || waitMs > 0) throw this.#openError(Math.max(waitMs, 1_000))
      this.#state = 'half-open' // this caller is the probe
    }
    try {
      const result = await create()
      if (this.#state !== 'closed') this.#logger.info({}, 'polar-session: Polar answered again; circuit closed')
      this.#state = 'closed'
      this.#failures = 0
      this.#cooldownMs = this.#baseCooldownMs
      return result
    } catch (error) {
      if (isPolarSessionError(error, 'polar_unavailable')) {
        this.#onFailure(error)
      } else if (this.#state === 'half-open' && isPolarSessionError(error, 'rate_limited')) {
        // A probe stopped by the rate limit proved nothing either way: the next caller probes.
        this.#state = 'open'
        this.#openUntil = Date.now()
      } else if (this.#state === 'half-open') {
        // A probe that got a definite answer (404, 401…) shows Polar is up.
        this.#state = 'closed'
        this.#failures = 0
        this.#cooldownMs = this.#baseCooldownMs
      }
      throw error
    }
  }

  #onFailure(error: PolarSessionError): void {
    const probeFailed = this.#state === 'half-open'
    this.#failures++
    if (!probeFailed && this.#failures < this.#threshold) return
    if (probeFailed) this.#cooldownMs = Math.min(this.#cooldownMs * 2, this.#maxCooldownMs)
    const cooldown = this.#cooldownMs
    this.#state = 'open'
    this.#openUntil = Date.now() + cooldown
    this.#logger.warn(
      { code: error.code, failures: this.#failures, cooldownMs: cooldown },
      'polar-session: Polar keeps failing; circuit open, failing fast until the cooldown ends',
    )
  }

  #openError(waitMs: number): PolarSessionError {
    return new PolarSessionError('polar_unavailable', 'Polar is unavailable right now; try again shortly.', {
      status: 503,
      retryAfter: Math.ceil(waitMs / 1_000),
    })
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`createPolarSessions: circuitBreaker.${name} must be a positive integer, got ${String(value)}.`)
  }
  return value
}
