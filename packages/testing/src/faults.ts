// Fault injection. Rules are kept in the order fail() added them; each request
// takes the first rule that matches its route and fires:
// - a `times` rule fires for the next N matching requests, then is gone;
// - a `rate` rule fires for that fraction of matching requests until
//   clearFaults() (when it does not fire, later rules get their chance).
// Transport faults (status, hang, reset) hit any route unless filtered: they
// stand for the proxy or network in front of Polar, so they come before auth.
// Payload faults (malformed-json, missing-fields, expired) default to the
// session creation route; they are taken when the request arrives and change
// the answer only if the request earns a 2xx (an invalid request still gets
// its normal error, and the fault is spent). malformed-json truncates any 2xx
// JSON body, so a route filter can aim it elsewhere; missing-fields, expired
// and no-owner-member only mean something for session creation.

import type { FakeFault } from './types.js'

export const SESSION_ROUTE = 'POST /v1/customer-sessions/'

interface Rule {
  fault: FakeFault
  route: string | undefined
  remaining: number // Infinity for rate rules
  rate: number // 1 for times rules
}

const PAYLOAD_KINDS = new Set(['malformed-json', 'missing-fields', 'expired', 'no-owner-member'])

export function isPayloadFault(fault: FakeFault): boolean {
  return PAYLOAD_KINDS.has(fault.kind)
}

export class FaultQueue {
  private rules: Rule[] = []

  add(fault: FakeFault, opts: { times?: number; rate?: number; route?: string } = {}): void {
    validateFault(fault)
    const { times, rate, route } = opts
    if (times !== undefined && rate !== undefined) throw new TypeError('fail(): pass either times or rate, not both')
    if (times !== undefined && (!Number.isInteger(times) || times < 1)) {
      throw new TypeError('fail(): times must be a positive integer')
    }
    if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1)) {
      throw new TypeError('fail(): rate must be a number from 0 to 1')
    }
    if (route !== undefined && (typeof route !== 'string' || route.trim() === '')) {
      throw new TypeError("fail(): route must be a string such as 'POST /v1/customer-sessions/'")
    }
    this.rules.push({
      fault: { ...fault },
      route: route?.trim() ?? (isPayloadFault(fault) ? SESSION_ROUTE : undefined),
      remaining: rate !== undefined ? Infinity : (times ?? 1),
      rate: rate ?? 1,
    })
  }

  clear(): void {
    this.rules = []
  }

  get size(): number {
    return this.rules.length
  }

  /** The fault for a request with this route key ('POST /v1/customer-sessions/'), if any fires. */
  take(routeKey: string): FakeFault | undefined {
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i] as Rule
      if (!routeMatches(rule.route, routeKey)) continue
      if (rule.rate < 1 && Math.random() >= rule.rate) continue
      rule.remaining--
      if (rule.remaining <= 0) this.rules.splice(i, 1)
      return rule.fault
    }
    return undefined
  }
}

/** 'POST /v1/x/' matches that method and path; '/v1/x/' matches any method. */
function routeMatches(filter: string | undefined, routeKey: string): boolean {
  if (filter === undefined) return true
  if (filter.includes(' ')) {
    const [method = '', path = ''] = filter.split(/\s+/, 2)
    return routeKey === `${method.toUpperCase()} ${path}`
  }
  return routeKey.slice(routeKey.indexOf(' ') + 1) === filter
}

function validateFault(fault: FakeFault): void {
  if (typeof fault !== 'object' || fault === null) throw new TypeError('fail(): fault must be an object')
  switch (fault.kind) {
    case 'status':
      if (![429, 500, 502, 503, 504].includes(fault.status)) {
        throw new TypeError('fail(): status must be 429, 500, 502, 503 or 504')
      }
      if (fault.status === 429 && fault.retryAfter !== undefined) {
        if (!Number.isInteger(fault.retryAfter) || fault.retryAfter < 0) {
          throw new TypeError('fail(): retryAfter must be a whole number of seconds')
        }
      }
      return
    case 'hang':
    case 'reset':
    case 'malformed-json':
    case 'missing-fields':
    case 'expired':
    case 'no-owner-member':
      return
    default:
      throw new TypeError(`fail(): unknown fault kind ${JSON.stringify((fault as { kind?: unknown }).kind)}`)
  }
}
