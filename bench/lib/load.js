// autocannon driven from code. Latency percentiles are computed from every response's own
// time (autocannon's 'response' event gives it in fractional milliseconds), because
// autocannon's own histogram records whole milliseconds and only 2xx answers by default, too
// coarse for "p99 within 1 ms" and blind to 303s.

import autocannon from 'autocannon'
import { percentile } from './stats.js'

/**
 * One load run.
 * @param {object} o
 * @param {string} o.url       base URL, e.g. http://127.0.0.1:1234
 * @param {string} o.path      request path
 * @param {string[]} o.users   x-user-id values
 * @param {{ user: string, every: number, query: (n: number) => string }} [o.flood] with 'shared':
 *   every `every`-th request is `user`'s, with the query `query(n)` (one user varying return_to)
 * @param {'each'|'shared'} [o.spread] 'each' (default): every connection cycles through all
 *   users from the first, with prebuilt requests (cheapest for the client: used for timed
 *   throughput runs, long enough for every connection to reach every user); 'shared': one
 *   round robin across all connections, rebuilt per request (for runs of an exact `amount`,
 *   where every user must get its share)
 * @param {number} o.connections
 * @param {number} [o.duration] seconds (or use amount)
 * @param {number} [o.amount]  exact number of requests
 * @param {number} o.expectClass  2 or 3: the status class that counts as success
 */
export async function runLoad({
  url,
  path,
  users,
  connections,
  duration,
  amount,
  expectClass = 2,
  spread = 'each',
  flood,
}) {
  let next = 0
  let sent = 0
  // 'shared' only: every `flood.every`-th request is `flood.user`'s, each with a new query (`flood.query(n)`).
  const shared = (req) => {
    const n = sent++
    if (flood !== undefined && n % flood.every === flood.every - 1) {
      return { ...req, path: `${path}?${flood.query(n)}`, headers: { 'x-user-id': flood.user } }
    }
    return { ...req, headers: { 'x-user-id': users[next++ % users.length] } }
  }
  const requests =
    spread === 'shared'
      ? [{ method: 'GET', path, setupRequest: shared }]
      : users.map((u) => ({ method: 'GET', path, headers: { 'x-user-id': u } }))
  const times = []
  const statuses = {}
  const started = performance.now()
  const opts = { url, connections, requests, timeout: 30 }
  // autocannon rejects an explicit `duration: undefined`: give one of the two.
  if (amount === undefined) opts.duration = duration
  else opts.amount = amount
  // Sockets stay open between requests (autocannon's default: HTTP/1.1 keep-alive).
  const instance = autocannon(opts)
  instance.on('response', (client, statusCode, resBytes, responseTime) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1
    times.push(responseTime)
  })
  const result = await instance
  const wallS = (performance.now() - started) / 1000
  times.sort((a, b) => a - b)
  const good = Object.entries(statuses)
    .filter(([code]) => Math.floor(Number(code) / 100) === expectClass)
    .reduce((n, [, c]) => n + c, 0)
  const total = times.length
  const seconds = result.duration > 0 ? result.duration : wallS
  return {
    rps: good / seconds,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    max: times[times.length - 1] ?? NaN,
    total,
    good,
    bad: total - good,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
    seconds,
  }
}
