// What a stalled or stopped Redis costs requests, with the defaults (opTimeoutMs 250, near cache
// on): `node bench/redis-outage.js` (after `pnpm build`). A redis-server of its own on a spare
// port, the fake Polar (50 ms) in this process, node-redis and ioredis with default options.
// Prints one table; docs/redis.md quotes it.
import { createPolarSessions } from '@polar-session/core'
import { redisStore } from '@polar-session/core/redis'
import { startFakePolar } from '@polar-session/testing'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { execFileSync, spawn } from 'node:child_process'
import { createServer } from 'node:net'

const fake = await startFakePolar({ latencyMs: 50 })
for (let i = 0; i < 200; i++) fake.addCustomer({ externalId: `u${i}`, email: `u${i}@example.com` })
const redis = await privateRedis()
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
let next = 0

async function measure(kind, outage) {
  const client =
    kind === 'node-redis'
      ? await createClient({ url: redis.url })
          .on('error', () => {})
          .connect()
      : await new Promise((resolve) => {
          const c = new Redis(redis.url)
          c.on('error', () => {})
          c.once('ready', () => resolve(c))
        })
  const store = redisStore({ client, prefix: `${kind}:${outage}:` })
  const polar = createPolarSessions({
    accessToken: fake.accessToken,
    baseUrl: fake.url,
    store,
    encryptionKey: 'k'.repeat(32),
  })
  const timed = async (user) => {
    const start = performance.now()
    await polar.getSession({ externalCustomerId: user })
    return performance.now() - start
  }
  const cached = Array.from({ length: 10 }, () => `u${next++}`)
  const fresh = Array.from({ length: 10 }, () => `u${next++}`)
  for (const user of cached) await timed(user)
  if (outage === 'paused') await redis.pause(60_000)
  else await redis.stop()
  const failures = store.stats.failures
  const created = fake.stats.sessionsCreated
  const cachedMs = []
  for (const user of cached) cachedMs.push(await timed(user))
  const firstNew = await timed(fresh[0])
  const laterNew = []
  for (const user of fresh.slice(1)) laterNew.push(await timed(user))
  const againMs = []
  for (const user of fresh) againMs.push(await timed(user))
  const row = {
    client: `${kind} (defaults)`,
    redis: outage,
    cachedUserMs: median(cachedMs),
    firstNewUserMs: firstNew,
    laterNewUserMs: median(laterNew),
    newUserAgainMs: median(againMs),
    creationsPerNewUser: (fake.stats.sessionsCreated - created) / fresh.length,
    redisFailures: store.stats.failures - failures,
  }
  if (outage === 'paused') await redis.unpause()
  else await redis.start()
  await polar.close()
  await store.close()
  if (kind === 'node-redis') client.destroy()
  else client.disconnect()
  return row
}

const rows = []
for (const kind of ['node-redis', 'ioredis'])
  for (const outage of ['paused', 'stopped']) rows.push(await measure(kind, outage))
await redis.stop()
await fake.close()
const f = (x) => (typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toFixed(1)) : x)
const header = Object.keys(rows[0])
console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`)
for (const row of rows) console.log(`| ${header.map((h) => f(row[h])).join(' | ')} |`)

/** A redis-server of this script's own on a spare port: pause/unpause, stop/start. */
async function privateRedis() {
  const port = await new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
  const cli = (...args) =>
    execFileSync('redis-cli', ['-p', String(port), ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  let child
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    })
    for (let i = 0; i < 100; i++) {
      try {
        if (cli('PING') === 'PONG') return
      } catch {}
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error('redis-server did not start')
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    pause: async (ms) => void cli('CLIENT', 'PAUSE', String(ms), 'ALL'),
    unpause: async () => void cli('CLIENT', 'UNPAUSE'),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    },
    start,
  }
}
