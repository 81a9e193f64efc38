/**
 * Test helper (not part of the public API): Redis servers of a test's own, started from the
 * machine's `redis-server` on spare ports and stopped by PID, for what must not touch the shared
 * Redis at 127.0.0.1:6379: pausing it, stopping it, or running a Cluster.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Whether `redis-server` and `redis-cli` can be run here. */
export async function redisBinariesAvailable(): Promise<boolean> {
  try {
    await run('redis-server', ['--version'])
    await run('redis-cli', ['--version'])
    return true
  } catch {
    return false
  }
}

/** A free TCP port on 127.0.0.1 (the kernel's pick, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Sends one command with redis-cli; resolves to its output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args])
  return stdout.trim()
}

export interface PrivateRedis {
  readonly port: number
  readonly url: string
  readonly pid: number | undefined
  /** `CLIENT PAUSE ms ALL`: every client's commands wait (the server is up, and silent). */
  pause(ms: number): Promise<void>
  unpause(): Promise<void>
  /** Stops the server (SIGKILL: no goodbye to the clients). */
  stop(): Promise<void>
  /** Starts it again on the same port. */
  start(): Promise<void>
}

async function waitForPing(port: number, ms = 5_000): Promise<void> {
  const end = Date.now() + ms
  for (;;) {
    try {
      if ((await redisCli(port, 'PING')) === 'PONG') return
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`redis-server on ${port} did not answer PING`)
    await sleep(50)
  }
}

function spawnServer(port: number, extra: string[] = []): ChildProcess {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra],
    {
      stdio: 'ignore',
    },
  )
  child.on('error', () => {})
  return child
}

async function kill(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

/** A redis-server of the test's own, on a spare port. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort()
  let child: ChildProcess | undefined = spawnServer(port)
  await waitForPing(port)
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid
    },
    async pause(ms) {
      await redisCli(port, 'CLIENT', 'PAUSE', String(ms), 'ALL')
    },
    async unpause() {
      await redisCli(port, 'CLIENT', 'UNPAUSE')
    },
    async stop() {
      await kill(child)
      child = undefined
    },
    async start() {
      child = spawnServer(port)
      await waitForPing(port)
    },
  }
}

export interface RedisCluster {
  /** The masters' ports, the first being a good seed for clients. */
  readonly ports: readonly number[]
  stop(): Promise<void>
}

/**
 * Three masters (`--cluster-enabled yes`) on spare ports, joined with
 * `redis-cli --cluster create … --cluster-replicas 0 --cluster-yes`, ready when every node says
 * `cluster_state:ok`. `stop()` kills them by PID and removes their node files.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'polar-session-cluster-'))
  const ports = [await freePort(), await freePort(), await freePort()]
  const children = ports.map((port) =>
    spawnServer(port, [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, `nodes-${port}.conf`),
      '--dir',
      dir,
    ]),
  )
  const stop = async () => {
    await Promise.all(children.map((child) => kill(child)))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await Promise.all(ports.map((port) => waitForPing(port)))
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ])
    const end = Date.now() + 10_000
    for (;;) {
      const states = await Promise.all(ports.map((port) => redisCli(port, 'CLUSTER', 'INFO')))
      if (states.every((info) => info.includes('cluster_state:ok'))) break
      if (Date.now() > end) throw new Error('the Redis Cluster did not reach cluster_state:ok')
      await sleep(100)
    }
  } catch (error) {
    await stop()
    throw error
  }
  return { ports, stop }
}
