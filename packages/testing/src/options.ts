// startFakePolar()'s options, checked once: a wrong value or an unknown key is a
// TypeError at start, naming the option (and, for a misspelt key, the closest
// valid one), instead of an option silently ignored and a test that passes for
// the wrong reason.

import { randomUUID } from 'node:crypto'
import type { RateLimitRules } from './rate-limit.js'
import type { FakeCustomerInput, FakePolarOptions, RateLimitOption } from './types.js'
import { parseUuid } from './validation.js'

export interface ResolvedOptions {
  port: number
  accessToken: string | undefined
  organizationSlug: string
  organizationId: string
  portalBaseUrl: string | undefined
  sessionTtlMs: number
  memberModel: boolean
  latencyMs: number
  clockOffsetMs: number
  rateLimit: RateLimitRules | null
  seed: FakeCustomerInput[]
}

// Records keyed by every option name, so adding an option to the types without listing it here fails to compile.
const OPTION_KEYS: Record<keyof FakePolarOptions, true> = {
  port: true,
  accessToken: true,
  organizationSlug: true,
  organizationId: true,
  portalBaseUrl: true,
  sessionTtlMs: true,
  memberModel: true,
  latencyMs: true,
  clockOffsetMs: true,
  rateLimit: true,
  seed: true,
}
const RATE_LIMIT_KEYS: Record<keyof RateLimitOption, true> = { limit: true, windowMs: true, pendingAuthLimit: true }

export function resolveOptions(options: unknown): ResolvedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError('startFakePolar(): options must be an object')
  }
  checkKeys(options, Object.keys(OPTION_KEYS), 'startFakePolar(): unknown option')
  const o = options as FakePolarOptions
  const port = o.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TypeError('startFakePolar(): port must be 0..65535')
  const organizationSlug = o.organizationSlug ?? 'acme'
  if (typeof organizationSlug !== 'string' || !/^[A-Za-z0-9._~-]+$/.test(organizationSlug)) {
    throw new TypeError('startFakePolar(): organizationSlug must be a non-empty URL path segment')
  }
  const organizationId = o.organizationId === undefined ? randomUUID() : parseUuid(String(o.organizationId))
  if (typeof organizationId !== 'string') throw new TypeError('startFakePolar(): organizationId must be a uuid')
  let portalBaseUrl: string | undefined
  if (o.portalBaseUrl !== undefined) {
    try {
      new URL(o.portalBaseUrl)
    } catch {
      throw new TypeError('startFakePolar(): portalBaseUrl must be an absolute URL')
    }
    portalBaseUrl = o.portalBaseUrl.replace(/\/+$/, '')
  }
  const sessionTtlMs = o.sessionTtlMs ?? 3_600_000
  if (!(typeof sessionTtlMs === 'number' && Number.isFinite(sessionTtlMs) && sessionTtlMs > 0)) {
    throw new TypeError('startFakePolar(): sessionTtlMs must be a positive number')
  }
  const token = o.accessToken
  if (token !== undefined && (typeof token !== 'string' || token.trim() === '' || /\s/.test(token))) {
    throw new TypeError('startFakePolar(): accessToken must be a non-empty string without spaces')
  }
  if (o.memberModel !== undefined && typeof o.memberModel !== 'boolean')
    throw new TypeError('startFakePolar(): memberModel must be a boolean')
  if (o.seed !== undefined && !Array.isArray(o.seed)) throw new TypeError('startFakePolar(): seed must be an array')
  return {
    port,
    accessToken: token,
    organizationSlug,
    organizationId,
    portalBaseUrl,
    sessionTtlMs,
    memberModel: o.memberModel ?? true,
    latencyMs: checkMs(o.latencyMs ?? 0, 'startFakePolar(): latencyMs', 0),
    clockOffsetMs: checkMs(o.clockOffsetMs ?? 0, 'startFakePolar(): clockOffsetMs'),
    rateLimit: rateLimitRules(o.rateLimit),
    seed: o.seed ?? [],
  }
}

function rateLimitRules(option: FakePolarOptions['rateLimit']): RateLimitRules | null {
  if (option === undefined || option === false) return null
  if (typeof option !== 'object' || option === null) {
    throw new TypeError('startFakePolar(): rateLimit must be false or { limit, windowMs?, pendingAuthLimit? }')
  }
  checkKeys(option, Object.keys(RATE_LIMIT_KEYS), 'startFakePolar(): unknown rateLimit option')
  if (!Number.isInteger(option.limit) || option.limit < 0)
    throw new TypeError('startFakePolar(): rateLimit.limit must be an integer >= 0')
  const windowMs = option.windowMs ?? 60_000
  if (!(typeof windowMs === 'number' && Number.isFinite(windowMs) && windowMs > 0)) {
    throw new TypeError('startFakePolar(): rateLimit.windowMs must be a positive number')
  }
  const pending = option.pendingAuthLimit ?? 60
  if (pending !== false && (!Number.isInteger(pending) || pending < 0)) {
    throw new TypeError('startFakePolar(): rateLimit.pendingAuthLimit must be an integer >= 0, or false')
  }
  return { limit: option.limit, windowMs, pendingAuthLimit: pending === false ? null : pending }
}

export function checkMs(value: unknown, what: string, min = -Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`${what} must be a finite number${min > -Infinity ? ` >= ${min}` : ''}`)
  }
  return value
}

/** Throws on the first key not in `valid`, suggesting the closest valid name when one is close. */
function checkKeys(object: object, valid: string[], what: string): void {
  for (const key of Object.keys(object)) {
    if (valid.includes(key)) continue
    const closest = closestName(key, valid)
    throw new TypeError(
      closest === undefined
        ? `${what} ${JSON.stringify(key)}; valid options: ${valid.join(', ')}`
        : `${what} ${JSON.stringify(key)} (did you mean ${closest}?)`,
    )
  }
}

/** The valid name nearest to `key` (case-insensitive edit distance), if near enough to be a typo. */
export function closestName(key: string, valid: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined
  for (const name of valid) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase())
    if (best === undefined || distance < best.distance) best = { name, distance }
  }
  // A third of the name, at least 2: 'rateLimt' → rateLimit, 'ttl' → nothing.
  return best !== undefined && best.distance <= Math.max(2, Math.floor(best.name.length / 3)) ? best.name : undefined
}

/** Damerau–Levenshtein distance (optimal string alignment): a swap of two neighbours costs 1. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      const row = d[i] as number[]
      const prev = d[i - 1] as number[]
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j]!, (d[i - 2] as number[])[j - 2]! + 1)
    }
  }
  return (d[a.length] as number[])[b.length] as number
}
