/**
 * Test helper (not part of the public API): run a suite against the real Redis at
 * 127.0.0.1:6379, or skip it loudly when Redis is not there, or fail it when `CI` is set.
 */
import { connect } from 'node:net'
import { describe, it } from 'vitest'

/** Where the Redis tests expect their server. */
export const REDIS_HOST = '127.0.0.1'
export const REDIS_PORT = 6379
export const REDIS_URL = `redis://${REDIS_HOST}:${REDIS_PORT}`

/**
 * `true` when a Redis at {@link REDIS_HOST}:{@link REDIS_PORT} answers `PING` with `PONG`
 * within `timeoutMs` (default 1000). Never rejects.
 */
export function redisAvailable(timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: REDIS_HOST, port: REDIS_PORT })
    let reply = ''
    const done = (ok: boolean): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    socket.setEncoding('utf8')
    socket.on('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'))
    socket.on('data', (chunk: string) => {
      reply += chunk
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
    socket.on('error', () => done(false))
    socket.on('close', () => done(false))
  })
}

/** `true` when the `CI` environment variable is set to anything but '', '0' or 'false'. */
export function isCI(): boolean {
  const ci = process.env.CI
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false'
}

let probe: Promise<boolean> | undefined

/**
 * `describe`, but only when Redis answers. Without Redis it warns
 * (`Redis not reachable at 127.0.0.1:6379: skipping …`) and registers one skipped test, so
 * the skip shows in the report; when `CI` is set it registers a failing test instead: CI
 * must not go green by skipping the Redis suites.
 */
export function describeRedis(name: string, fn: () => void): void {
  describe(name, async () => {
    probe ??= redisAvailable()
    if (await probe) {
      fn()
      return
    }
    const where = `${REDIS_HOST}:${REDIS_PORT}`
    if (isCI()) {
      it(`needs Redis at ${where} (CI is set, so this fails instead of skipping)`, () => {
        throw new Error(`Redis not reachable at ${where}, and CI is set: start Redis for these tests`)
      })
      return
    }
    console.warn(`Redis not reachable at ${where}: skipping "${name}"`)
    it.skip(`needs Redis at ${where}`, () => {})
  })
}
