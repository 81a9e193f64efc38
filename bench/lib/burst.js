// The stampede client: N requests fired at once, each on its own already-open keep-alive
// socket, so the figure measures the server and Polar, not TCP handshakes or the listen
// backlog. Runs in the orchestrator process, never in the server's.

import http from 'node:http'
import { percentile } from './stats.js'

function get(agent, port, path, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', agent, headers }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/**
 * Opens `count` sockets (with a burst of GET /health), then fires `count` GET `path`, user
 * `users[i % users.length]`, all at once. Times are from the moment the burst starts, so
 * they include the client's own time to write 1,000 requests (a conservative figure).
 */
export async function fireBurst({ port, path, users, count }) {
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: count,
    maxFreeSockets: count,
    keepAliveMsecs: 60_000,
    scheduling: 'fifo',
  })
  try {
    await Promise.all(Array.from({ length: count }, () => get(agent, port, '/health', {})))
    const open = Object.values(agent.freeSockets).reduce((n, list) => n + list.length, 0)
    const t0 = performance.now()
    const done = new Array(count)
    const statuses = {}
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        get(agent, port, path, { 'x-user-id': users[i % users.length] }).then((status) => {
          done[i] = performance.now() - t0
          statuses[status] = (statuses[status] ?? 0) + 1
        }),
      ),
    )
    const sorted = [...done].sort((a, b) => a - b)
    return {
      socketsOpen: open,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1],
      statuses,
    }
  } finally {
    agent.destroy()
  }
}
