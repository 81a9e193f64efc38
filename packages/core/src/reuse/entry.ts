import { CustomerSession } from '../session.js'
import type { PolarCustomer } from '../types.js'

/**
 * A cached session: the session plus what reuse needs. `expiresAt` is on the local clock
 * (receive time + Polar's stated lifetime), so server clock skew cannot stretch it.
 */
export interface CachedEntry {
  readonly session: CustomerSession
  /** Local-clock expiry in ms since the epoch. */
  readonly expiresAt: number
  /** Generations the entry was created under; it is valid only while they are current. */
  readonly customerGeneration: string
  readonly memberGeneration: string | null
}

interface EncodedEntry {
  v: 1
  id: string
  token: string
  createdAt: number
  expiresAt: number
  portalUrl: string
  returnUrl: string | null
  customerId: string
  customer: Omit<PolarCustomer, 'createdAt'> & { createdAt: number }
  gc: string
  gm: string | null
}

/** Serialises an entry for a string store. */
export function encodeEntry(entry: CachedEntry): string {
  const { session } = entry
  const encoded: EncodedEntry = {
    v: 1,
    id: session.id,
    token: session.token,
    createdAt: session.createdAt.getTime(),
    expiresAt: entry.expiresAt,
    portalUrl: session.customerPortalUrl,
    returnUrl: session.returnUrl,
    customerId: session.customerId,
    customer: { ...session.customer, createdAt: session.customer.createdAt.getTime() },
    gc: entry.customerGeneration,
    gm: entry.memberGeneration,
  }
  return JSON.stringify(encoded)
}

const isString = (v: unknown): v is string => typeof v === 'string'
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/** Parses a stored entry; anything malformed (garbage, an old format) is `null`, a miss. */
export function decodeEntry(text: unknown): CachedEntry | null {
  if (typeof text !== 'string') return null
  let e: Partial<EncodedEntry>
  try {
    e = JSON.parse(text) as Partial<EncodedEntry>
  } catch {
    return null
  }
  if (typeof e !== 'object' || e === null || e.v !== 1) return null
  const c = e.customer
  if (
    !isString(e.id) ||
    !isString(e.token) ||
    !isNumber(e.createdAt) ||
    !isNumber(e.expiresAt) ||
    !isString(e.portalUrl) ||
    !(e.returnUrl === null || isString(e.returnUrl)) ||
    !isString(e.customerId) ||
    !isString(e.gc) ||
    !(e.gm === null || isString(e.gm)) ||
    typeof c !== 'object' ||
    c === null ||
    !isString(c.id) ||
    !isNumber(c.createdAt)
  ) {
    return null
  }
  const customer: PolarCustomer = { ...c, createdAt: new Date(c.createdAt) }
  return {
    session: new CustomerSession({
      id: e.id,
      token: e.token,
      createdAt: new Date(e.createdAt),
      expiresAt: new Date(e.expiresAt),
      customerPortalUrl: e.portalUrl,
      returnUrl: e.returnUrl,
      customerId: e.customerId,
      customer,
    }),
    expiresAt: e.expiresAt,
    customerGeneration: e.gc,
    memberGeneration: e.gm,
  }
}
