// The canned Polar of the capacity simulation: a `fetch` that answers
// POST https://api.polar.sh/v1/customer-sessions/ at once, with no network, and enforces
// Polar's organization limit the way Polar's rate_limit.py does (asgi-ratelimit, fixed window):
// a window of 60 s opens with its first counted request, holds `limit` requests, and a request
// over it gets 429 with an empty body and `retry-after: 60` (the whole window) and is not counted.
//
// It answers with a Response-shaped object (status, a real Headers, a one-chunk body reader)
// rather than a WHATWG Response: the core reads only those, and a real Response's stream
// machinery costs more CPU than the core's own creation path, in a run of half a million
// creations. Every request is checked for what the core is meant to send; anything else is
// counted as malformed and answered 422, as Polar would.

import { crc32 } from 'node:zlib'

export const SESSION_URL = 'https://api.polar.sh/v1/customer-sessions/'
const PORTAL_ORIGIN = 'https://polar.sh'

const JSON_HEADERS = new Headers({ 'content-type': 'application/json' })
const RETRY_HEADERS = new Headers({ 'retry-after': '60' })
const VALIDATION_BODY = JSON.stringify({
  error: 'RequestValidationError',
  detail: [{ type: 'missing', loc: ['body', 'external_customer_id'], msg: 'Field required', input: null }],
})

function answer(status, headers, text) {
  const bytes = text === '' ? null : Buffer.from(text)
  let sent = false
  const reader = {
    async read() {
      if (sent || bytes === null) return { done: true, value: undefined }
      sent = true
      return { done: false, value: bytes }
    },
    cancel: async () => {},
    releaseLock() {},
  }
  return {
    status,
    ok: status >= 200 && status < 300,
    headers,
    body: bytes === null ? null : { getReader: () => reader, cancel: async () => {} },
  }
}

function header(headers, name) {
  if (typeof headers?.get === 'function') return headers.get(name)
  for (const key in headers) if (key.toLowerCase() === name) return headers[key]
  return null
}

/** Polar's timestamps: microseconds and Z. */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const base62 = (value, width) => {
  let n = value
  let out = ''
  while (n > 0) {
    out = BASE62[n % 62] + out
    n = Math.floor(n / 62)
  }
  return out.padStart(width, '0')
}
/**
 * A member session token in Polar's format (prefix, 37 letters and digits, base62 CRC32 of
 * them), numbered rather than random: randomBytes per token cost more than the rest of the
 * canned answer. The core only needs the format.
 */
const sessionToken = (n) => {
  const random = `sim${base62(n, 34)}`
  return `polar_mst_${random}${base62(crc32(random), 6)}`
}

const micros = (ms) => new Date(ms).toISOString().replace('Z', '000Z')
const uuid = (prefix, n) => `${prefix}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`

/**
 * Splits a real 201 body (from the fake Polar, see canned.js) into literal parts and slots,
 * so each answer is a string join, not an object build and a JSON.stringify.
 */
function bodyWriter(template) {
  const slots = ['created_at', 'id', 'token', 'expires_at', 'return_url', 'customer_portal_url', 'customer_id']
  const customerSlots = ['id', 'external_id', 'email', 'name', 'created_at']
  const marked = { ...template, customer: { ...template.customer } }
  slots.forEach((key, i) => (marked[key] = `@@SLOT${i}@@`))
  customerSlots.forEach((key, i) => (marked.customer[key] = `@@SLOT${slots.length + i}@@`))
  const parts = JSON.stringify(marked).split(/"@@SLOT\d+@@"/)
  const order = [...JSON.stringify(marked).matchAll(/"@@SLOT(\d+)@@"/g)].map((m) => Number(m[1]))
  return (values) => {
    let out = parts[0]
    for (let i = 0; i < order.length; i++) out += values[order[i]] + parts[i + 1]
    return out
  }
}

/**
 * Returns { fetch, stats }. `stats.perMinute[m]` counts the sessions created in virtual minute
 * `m` (minutes since `day0`), `stats.perSecond[s]` those in second `s` (the busiest 60 s, which
 * the sliding budget and Polar's windows see, are read from it); `stats.lastToken` is the token of the latest 201, which the
 * runner compares with what the core handed out.
 */
export function cannedPolar({
  template,
  accessToken,
  day0,
  minutes,
  limit = 500,
  windowMs = 60_000,
  lifetimeMs = 3_600_000,
}) {
  const write = bodyWriter(template)
  const stats = {
    requests: 0,
    created: 0,
    answered429: 0,
    malformed: 0,
    perMinute: new Uint32Array(minutes),
    perSecond: new Uint32Array(minutes * 60),
    lastToken: null,
  }
  let windowStart = Number.NEGATIVE_INFINITY
  let windowCount = 0
  let sessions = 0
  const values = new Array(12)

  const wellFormed = (url, init) => {
    if (url !== SESSION_URL || init?.method !== 'POST') return null
    if (header(init.headers, 'authorization') !== `Bearer ${accessToken}`) return null
    if (header(init.headers, 'content-type') !== 'application/json') return null
    let body
    try {
      body = JSON.parse(init.body)
    } catch {
      return null
    }
    const ext = body?.external_customer_id
    return typeof ext === 'string' && /^c\d+$/.test(ext) && body.customer_id === undefined ? body : null
  }

  async function fetch(url, init) {
    stats.requests++
    const body = wellFormed(String(url), init)
    if (body === null) {
      stats.malformed++
      return answer(422, JSON_HEADERS, VALIDATION_BODY)
    }
    const now = Date.now()
    if (now >= windowStart + windowMs) {
      windowStart = now
      windowCount = 0
    }
    if (windowCount >= limit) {
      stats.answered429++
      return answer(429, RETRY_HEADERS, '')
    }
    windowCount++
    stats.created++
    stats.perMinute[Math.floor((now - day0) / 60_000)]++
    stats.perSecond[Math.floor((now - day0) / 1_000)]++
    const ext = body.external_customer_id
    const email = `${ext}@example.com`
    const token = sessionToken(++sessions)
    const createdAt = `"${micros(now)}"`
    values[0] = createdAt
    values[1] = `"${uuid('5e551011', sessions)}"`
    values[2] = `"${token}"`
    values[3] = `"${micros(now + lifetimeMs)}"`
    values[4] = body.return_url === undefined ? 'null' : JSON.stringify(body.return_url)
    values[5] = `"${PORTAL_ORIGIN}/acme/portal?customer_session_token=${token}&email=${encodeURIComponent(email)}"`
    values[6] = `"${uuid('c0570e00', Number(ext.slice(1)))}"`
    values[7] = values[6]
    values[8] = `"${ext}"`
    values[9] = `"${email}"`
    values[10] = `"Customer ${ext}"`
    values[11] = createdAt
    stats.lastToken = token
    return answer(201, JSON_HEADERS, write(values))
  }
  return { fetch, stats }
}
