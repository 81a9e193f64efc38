// Request accounting. Keys are 'METHOD /route/template' so tests can assert
// "exactly one POST /v1/customer-sessions/" regardless of ids in paths. Paths
// that match no route are counted under their own path, up to a cap, so a
// hostile client cannot grow the map without bound.

import type { FakeStats } from './types.js'

const MAX_KEYS = 1_000

export class Stats implements FakeStats {
  private counts = new Map<string, number>()
  private totalCount = 0
  private sessions = 0
  private customers = 0
  private limited = 0

  /** @param openConnections reads the live connection count (a gauge: reset() leaves it). */
  constructor(private readonly openConnections: () => number = () => 0) {}

  get connections(): number {
    return this.openConnections()
  }

  get requests(): Readonly<Record<string, number>> {
    return Object.freeze(Object.fromEntries(this.counts))
  }

  get total(): number {
    return this.totalCount
  }

  get sessionsCreated(): number {
    return this.sessions
  }

  get customersCreated(): number {
    return this.customers
  }

  get rateLimited(): number {
    return this.limited
  }

  reset(): void {
    this.counts = new Map()
    this.totalCount = 0
    this.sessions = 0
    this.customers = 0
    this.limited = 0
  }

  countRequest(key: string, method: string): void {
    const k = this.counts.has(key) || this.counts.size < MAX_KEYS ? key : `${method} (other)`
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1)
    this.totalCount++
  }

  countSession(): void {
    this.sessions++
  }

  countCustomer(): void {
    this.customers++
  }

  countRateLimited(): void {
    this.limited++
  }
}
