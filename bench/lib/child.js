// Child processes of the benchmark: every server (and the fake Polar) runs in its own process,
// forked with an IPC channel. The child says { type: 'ready', ...info } once it listens; the
// parent then sends { id, cmd, args } and gets { id, ok, result | error } back.

import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const procsDir = fileURLToPath(new URL('../procs/', import.meta.url))

/**
 * Forks `procs/<script>` and resolves once it reports ready.
 * @returns {Promise<{ info: any, call: (cmd: string, args?: any) => Promise<any>, stop: () => Promise<void>, pid: number }>}
 */
export function startChild(script, { args = [], env = {}, execArgv = [], readyTimeoutMs = 30_000 } = {}) {
  const child = fork(procsDir + script, args, {
    env: { ...process.env, ...env },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  })
  let nextId = 1
  const pending = new Map()
  let exited = false
  const exitPromise = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true
      for (const { reject } of pending.values()) reject(new Error(`${script} exited (${code ?? signal}) during a call`))
      pending.clear()
      resolve()
    }),
  )

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${script} ${args.join(' ')} did not report ready within ${readyTimeoutMs} ms`))
    }, readyTimeoutMs)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${script} ${args.join(' ')} exited before ready (${code ?? signal})`))
    })
    child.on('message', (msg) => {
      if (msg?.type === 'ready') {
        clearTimeout(timer)
        resolve({
          info: msg,
          pid: child.pid,
          call(cmd, callArgs) {
            if (exited) return Promise.reject(new Error(`${script} has exited`))
            const id = nextId++
            return new Promise((res, rej) => {
              pending.set(id, { resolve: res, reject: rej })
              child.send({ id, cmd, args: callArgs })
            })
          },
          async stop() {
            if (exited) return
            const graceful = new Promise((res) => {
              const id = nextId++
              pending.set(id, { resolve: res, reject: res })
              child.send({ id, cmd: 'close' })
            })
            const timeout = (ms) => new Promise((res) => setTimeout(res, ms).unref())
            // The child answers, then exits by itself (flushing e.g. a --cpu-prof profile).
            await Promise.race([graceful.then(() => Promise.race([exitPromise, timeout(10_000)])), timeout(15_000)])
            if (!exited) child.kill('SIGKILL')
            await exitPromise
          },
        })
      } else if (msg && typeof msg.id === 'number' && pending.has(msg.id)) {
        const { resolve: res, reject: rej } = pending.get(msg.id)
        pending.delete(msg.id)
        if (msg.ok) res(msg.result)
        else rej(new Error(msg.error))
      }
    })
  })
}

/**
 * The child side: answers the parent's commands with `handlers[cmd](args)`. `close` runs
 * `handlers.close` (if any), answers, then exits.
 */
export function serveParent(handlers) {
  process.on('message', async (msg) => {
    if (!msg || typeof msg.id !== 'number') return
    try {
      const handler = handlers[msg.cmd]
      if (handler === undefined && msg.cmd !== 'close') throw new Error(`unknown command ${msg.cmd}`)
      const result = handler === undefined ? undefined : await handler(msg.args)
      reply({ id: msg.id, ok: true, result }, msg.cmd === 'close')
    } catch (error) {
      reply(
        { id: msg.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) },
        msg.cmd === 'close',
      )
    }
  })
  const reply = (message, thenExit) => process.send(message, thenExit ? () => process.exit(0) : undefined)
  // An orphaned child (the parent died) ends itself.
  process.on('disconnect', () => process.exit(0))
}

export function ready(info) {
  process.send({ type: 'ready', ...info })
}
