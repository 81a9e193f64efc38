/**
 * Strict readers for fields of Polar's JSON answers. A wrong field throws a
 * {@link MalformedFieldError} that names the field and what is wrong with it, never its value:
 * the bodies hold session tokens, portal URLs and emails.
 */

/** A field of a Polar answer is missing or has the wrong shape. */
export class MalformedFieldError extends Error {
  override readonly name = 'MalformedFieldError'
  constructor(
    /** Dotted path of the field, e.g. `customer.email_verified`. */
    readonly field: string,
    /** What is wrong, e.g. `is missing`, `is not a string`. Never the value. */
    readonly problem: string,
  ) {
    super(`field \`${field}\` ${problem}`)
  }
}

export type JsonObject = Record<string, unknown>

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function pathOf(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`
}

function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}

/** The value of `obj[key]`; throws `is missing` when the key is absent. */
function field(obj: JsonObject, key: string, prefix: string): unknown {
  if (!Object.hasOwn(obj, key)) throw new MalformedFieldError(pathOf(prefix, key), 'is missing')
  return obj[key]
}

export function readObject(obj: JsonObject, key: string, prefix: string): JsonObject {
  const value = field(obj, key, prefix)
  if (!isJsonObject(value)) {
    throw new MalformedFieldError(pathOf(prefix, key), `is not an object (got ${describeType(value)})`)
  }
  return value
}

/** A non-empty string. */
export function readString(obj: JsonObject, key: string, prefix: string): string {
  const value = field(obj, key, prefix)
  if (typeof value !== 'string') {
    throw new MalformedFieldError(pathOf(prefix, key), `is not a string (got ${describeType(value)})`)
  }
  if (value === '') throw new MalformedFieldError(pathOf(prefix, key), 'is an empty string')
  return value
}

/**
 * A string or null. With `optional`, a missing key reads as null (fields Polar's schema marks
 * as not required).
 */
export function readNullableString(obj: JsonObject, key: string, prefix: string, optional = false): string | null {
  if (optional && !Object.hasOwn(obj, key)) return null
  const value = field(obj, key, prefix)
  if (value === null || typeof value === 'string') return value
  throw new MalformedFieldError(pathOf(prefix, key), `is not a string or null (got ${describeType(value)})`)
}

export function readBoolean(obj: JsonObject, key: string, prefix: string): boolean {
  const value = field(obj, key, prefix)
  if (typeof value !== 'boolean') {
    throw new MalformedFieldError(pathOf(prefix, key), `is not a boolean (got ${describeType(value)})`)
  }
  return value
}

export function readDate(obj: JsonObject, key: string, prefix: string): Date {
  const value = field(obj, key, prefix)
  if (typeof value !== 'string') {
    throw new MalformedFieldError(
      pathOf(prefix, key),
      `is not an ISO-8601 date-time string (got ${describeType(value)})`,
    )
  }
  const date = parseIsoDateTime(value)
  if (date === null) throw new MalformedFieldError(pathOf(prefix, key), 'is not a valid ISO-8601 date-time')
  return date
}

export function readNullableDate(obj: JsonObject, key: string, prefix: string): Date | null {
  const value = field(obj, key, prefix)
  if (value === null) return null
  return readDate(obj, key, prefix)
}

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

/**
 * Parses an ISO-8601 / RFC 3339 date-time with an explicit offset, as Polar sends them
 * (`2026-08-22T10:00:00.123456Z`). Stricter than `Date.parse`, which accepts `2026-02-30` as
 * March 2nd and many non-ISO shapes. Fractions beyond milliseconds are truncated.
 */
export function parseIsoDateTime(value: string): Date | null {
  const match = ISO_DATE_TIME.exec(value)
  if (match === null) return null
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, offH, offM] = match
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = Number(s)
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null
  const ms = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'))
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms)
  const check = new Date(local)
  // Date.UTC rolls 30 February over into March: reject instead.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return null
  }
  let offsetMinutes = 0
  if (zulu === undefined) {
    const hours = Number(offH)
    const minutes = Number(offM)
    if (hours > 23 || minutes > 59) return null
    offsetMinutes = (sign === '-' ? -1 : 1) * (hours * 60 + minutes)
  }
  const time = local - offsetMinutes * 60_000
  return Number.isFinite(time) ? new Date(time) : null
}
