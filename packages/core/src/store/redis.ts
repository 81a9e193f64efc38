import { randomBytes } from 'node:crypto'
import { rejectUnknownKeys } from '../option-keys.js'
import type { SessionStore, StoreLock } from '../types.js'

/**
 * The part of a node-redis client (v5 or later, `createClient()` from `redis` or
 * `@redis/client`) that {@link redisStore} uses. The store never connects, closes or
 * configures the client: the app owns it.
 */
export interface NodeRedisLikeClient {
  get(key: string): Promise<unknown>
  set(
    key: string,
    value: string,
    options: { expiration: { type: 'PX'; value: number }; condition?: 'NX' },
  ): Promise<unknown>
  del(key: string): Promise<unknown>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
}

/**
 * The part of an ioredis client (`new Redis()`) that {@link redisStore} uses. Told apart
 * from a node-redis client by shape: ioredis clients have a string `status` and a `call`
 * method.
 */
export interface IORedisLikeClient {
  readonly status: string
  call(...args: never[]): unknown
  get(key: string): Promise<unknown>
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<unknown>
  del(key: string): Promise<unknown>
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>
}

/** A node-redis client (first-class) or an ioredis client. */
export type RedisLikeClient = NodeRedisLikeClient | IORedisLikeClient

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * A connected node-redis (v5+) client, or an ioredis client. The store does not connect
   * or close it: the app owns its lifecycle. Do not set ioredis's `keyPrefix` on it unless
   * you mean to; it is applied on top of {@link RedisStoreOptions.prefix}.
   */
  client: RedisLikeClient
  /**
   * Prepended to every key, so several apps (or environments) can share one Redis.
   * Session values live at `prefix + key`, locks at `prefix + 'lock:' + key`.
   *
   * @default 'polar-session:'
   */
  prefix?: string
  /**
   * Upper bound, in milliseconds, on every Redis call but a lock `acquire` (see
   * {@link RedisStoreOptions.lockTimeoutMs}). A `get` that takes longer resolves `undefined`
   * (a cache miss); a `set` or `delete` that takes longer rejects (the core logs it and carries
   * on). The command itself is not cancelled: a timed-out `set` may still land once Redis
   * answers. A reply that arrived while the process was busy still counts: the timeout gives it
   * one more turn of the event loop.
   *
   * @default 100
   */
  opTimeoutMs?: number
  /**
   * How long a lock `acquire` (and the other calls whose failure costs Polar budget: the
   * creation count of `incrementBelow` and the generation's `setIfAbsent`) waits for Redis's
   * answer. Longer than {@link RedisStoreOptions.opTimeoutMs} by default: a wrongly "acquired"
   * lock costs a duplicate session at Polar, and a count that times out is counted in this
   * process alone, while a slow read only costs a miss. A busy or CPU-starved process sees
   * replies late; this keeps it from spending what other processes already spent.
   *
   * @default Math.max(opTimeoutMs, 1000)
   */
  lockTimeoutMs?: number
}

/** A {@link SessionStore} backed by Redis, with a cluster-wide {@link StoreLock}. */
export interface RedisStore extends SessionStore {
  get(key: string): Promise<string | null | undefined>
  set(key: string, value: string, ttlMs: number): Promise<void>
  delete(key: string): Promise<void>
  readonly lock: StoreLock
  /** `SET … NX PX`: true when stored, false when the key already held a value. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>
  /** Counts for the creation budget: `INCR` and `PEXPIRE` in one script, refused at the limit. */
  incrementBelow(key: string, limit: number, ttlMs: number): Promise<boolean>
  /**
   * The bound on each call ({@link RedisStoreOptions.opTimeoutMs}). The core reads it to know
   * the store bounds itself, and does not race it with a shorter timer of its own.
   */
  readonly opTimeoutMs: number
  /** A no-op: the client belongs to the app, which closes it. */
  close(): Promise<void>
}

/**
 * Adds one to a counter unless it already holds the limit; the first increment sets its expiry.
 * One script, so that a refused request is never counted (a plain INCR would have to be undone).
 */
const INCREMENT_BELOW_SCRIPT =
  "local n = tonumber(redis.call('get', KEYS[1]) or '0') " +
  "if n >= tonumber(ARGV[1]) then return 0 end " +
  "redis.call('incr', KEYS[1]) " +
  "if n == 0 then redis.call('pexpire', KEYS[1], ARGV[2]) end " +
  'return 1'

/** Deletes the lock only while it still holds this owner's token (compare-and-delete). */
const RELEASE_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

class TimeoutError extends Error {
  override readonly name = 'TimeoutError'
}

/**
 * A session store over Redis: `GET`, `SET … PX ttl`, `DEL` under a prefix, plus a lock
 * (`SET … NX PX` with a random owner token, released by a compare-and-delete Lua script) so
 * that only one process at a time creates a session for a key.
 *
 * Redis trouble degrades, it never hangs a request:
 * - `get` resolves `undefined` (a miss) on any error or after `opTimeoutMs`.
 * - `set` and `delete` reject with an `Error` whose message names the command and the
 *   failure, never the key or the value; the core logs it.
 * - `lock.acquire` resolves a release on error or after `lockTimeoutMs` as if acquired: the
 *   caller then creates the session itself (should the lock land after all, that release
 *   frees it). Waiting for a lease nobody can grant would stall every request while Redis is
 *   down; the worst case instead is a few duplicate session creations, which the in-process
 *   single-flight already limits to one per process.
 *
 * `set` writes only with a positive TTL (rounded up to whole milliseconds); a TTL that is
 * zero, negative or not finite writes nothing, so every key this store writes expires.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * const client = await createClient({ url: process.env.REDIS_URL }).connect()
 * const store = redisStore({ client })
 * ```
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  if (typeof options !== 'object' || options === null) throw new TypeError('redisStore: expected an options object with the Redis client')
  rejectUnknownKeys('redisStore', options, ['client', 'prefix', 'opTimeoutMs', 'lockTimeoutMs'], { redis: 'client', keyPrefix: 'prefix', timeout: 'opTimeoutMs' })
  const { client } = options
  const prefix = options.prefix ?? 'polar-session:'
  const opTimeoutMs = options.opTimeoutMs ?? 100
  const lockTimeoutMs = options.lockTimeoutMs ?? Math.max(opTimeoutMs, 1000)
  if (typeof prefix !== 'string') throw new TypeError('redisStore: `prefix` must be a string')
  if (!Number.isFinite(opTimeoutMs) || opTimeoutMs <= 0) {
    throw new TypeError('redisStore: `opTimeoutMs` must be a positive number of milliseconds')
  }
  if (!Number.isFinite(lockTimeoutMs) || lockTimeoutMs <= 0) {
    throw new TypeError('redisStore: `lockTimeoutMs` must be a positive number of milliseconds')
  }
  const ops = adapt(client)

  /** Races `op` against the timeout. The loser's outcome is swallowed, never unhandled. */
  function bounded<T>(run: () => Promise<T>, timeoutMs = opTimeoutMs): Promise<T> {
    let promise: Promise<T>
    try {
      promise = Promise.resolve(run())
    } catch (error) {
      // A client that throws synchronously (wrong shape, closed) is a failed call too.
      return Promise.reject(error)
    }
    return new Promise<T>((resolve, reject) => {
      // Timers run before I/O in each turn of the event loop: after a busy stretch the reply
      // may already be in the socket, unread. One more turn (setImmediate runs after I/O) lets
      // it win, so a timeout means a slow Redis, not a busy process.
      const timer = setTimeout(() => {
        setImmediate(() => reject(new TimeoutError(`timed out after ${timeoutMs}ms`)))
      }, timeoutMs)
      timer.unref?.()
      promise.then(
        (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(error)
        },
      )
    })
  }

  async function write(command: string, run: () => Promise<unknown>): Promise<void> {
    try {
      await bounded(run)
    } catch (error) {
      throw storeError(command, error)
    }
  }

  const lock: StoreLock = {
    async acquire(key, ttlMs) {
      const ms = positiveTtl(ttlMs)
      if (ms === undefined) throw new RangeError('redisStore: lock ttlMs must be a positive number')
      const lockKey = `${prefix}lock:${key}`
      const owner = randomBytes(18).toString('base64url')
      const release = async (): Promise<void> => {
        try {
          await bounded(() => ops.releaseIfOwner(lockKey, owner))
        } catch {
          // The lease expires by itself after ttlMs; a failed release only delays the next holder.
        }
      }
      let pending: Promise<unknown>
      try {
        pending = Promise.resolve(ops.setNxPx(lockKey, owner, ms))
      } catch {
        return noopRelease
      }
      let reply: unknown
      try {
        reply = await bounded(() => pending, lockTimeoutMs)
      } catch {
        // Redis down or slow: behave as if acquired (see the TSDoc of redisStore). Should the
        // SET land after all, this release frees it instead of leaving it for ttlMs.
        let released = false
        return async () => {
          if (released) return
          released = true
          pending.then((late) => (late === null || late === undefined ? undefined : release())).catch(() => {})
        }
      }
      if (reply === null || reply === undefined) return null
      let released = false
      return async () => {
        if (released) return
        released = true
        await release()
      }
    },
  }

  return {
    async get(key) {
      try {
        const value = await bounded(() => ops.get(prefix + key))
        if (value === null || value === undefined) return null
        return typeof value === 'string' ? value : String(value)
      } catch {
        return undefined
      }
    },
    async set(key, value, ttlMs) {
      const ms = positiveTtl(ttlMs)
      if (ms === undefined) return
      await write('SET', () => ops.setPx(prefix + key, value, ms))
    },
    async delete(key) {
      await write('DEL', () => ops.del(prefix + key))
    },
    async setIfAbsent(key, value, ttlMs) {
      const ms = positiveTtl(ttlMs)
      if (ms === undefined) throw new RangeError('redisStore: setIfAbsent ttlMs must be a positive number')
      try {
        const reply = await bounded(() => ops.setNxPx(prefix + key, value, ms), lockTimeoutMs)
        return reply !== null && reply !== undefined
      } catch (error) {
        throw storeError('SET NX', error)
      }
    },
    async incrementBelow(key, limit, ttlMs) {
      const ms = positiveTtl(ttlMs)
      if (ms === undefined) throw new RangeError('redisStore: incrementBelow ttlMs must be a positive number')
      try {
        return Number(await bounded(() => ops.incrementBelow(prefix + key, limit, ms), lockTimeoutMs)) === 1
      } catch (error) {
        throw storeError('EVAL', error)
      }
    },
    lock,
    opTimeoutMs,
    async close() {
      // The client is the app's: it connects it and it closes it.
    },
  }
}

/** The four calls the store makes, on either client. */
interface RedisOps {
  get(key: string): Promise<unknown>
  setPx(key: string, value: string, ms: number): Promise<unknown>
  setNxPx(key: string, value: string, ms: number): Promise<unknown>
  del(key: string): Promise<unknown>
  releaseIfOwner(key: string, owner: string): Promise<unknown>
  incrementBelow(key: string, limit: number, ms: number): Promise<unknown>
}

function isIORedis(client: RedisLikeClient): client is IORedisLikeClient {
  const c = client as Partial<IORedisLikeClient>
  return typeof c.status === 'string' && typeof c.call === 'function'
}

function adapt(client: RedisLikeClient): RedisOps {
  if (client === null || typeof client !== 'object' || typeof client.get !== 'function') {
    throw new TypeError('redisStore: `client` must be a node-redis or ioredis client')
  }
  if (isIORedis(client)) {
    return {
      get: (key) => client.get(key),
      setPx: (key, value, ms) => client.set(key, value, 'PX', ms),
      setNxPx: (key, value, ms) => client.set(key, value, 'PX', ms, 'NX'),
      del: (key) => client.del(key),
      releaseIfOwner: (key, owner) => client.eval(RELEASE_SCRIPT, 1, key, owner),
      incrementBelow: (key, limit, ms) => client.eval(INCREMENT_BELOW_SCRIPT, 1, key, String(limit), String(ms)),
    }
  }
  return {
    get: (key) => client.get(key),
    setPx: (key, value, ms) => client.set(key, value, { expiration: { type: 'PX', value: ms } }),
    setNxPx: (key, value, ms) =>
      client.set(key, value, { expiration: { type: 'PX', value: ms }, condition: 'NX' }),
    del: (key) => client.del(key),
    releaseIfOwner: (key, owner) =>
      client.eval(RELEASE_SCRIPT, { keys: [key], arguments: [owner] }),
    incrementBelow: (key, limit, ms) =>
      client.eval(INCREMENT_BELOW_SCRIPT, { keys: [key], arguments: [String(limit), String(ms)] }),
  }
}

/** Whole milliseconds, rounded up; `undefined` for zero, negative or non-finite TTLs. */
function positiveTtl(ttlMs: number): number | undefined {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) return undefined
  return Math.ceil(ttlMs)
}

const noopRelease = async (): Promise<void> => {}

/**
 * An error safe to log: our own message, and as `cause` only the original's name and
 * message (clients such as ioredis attach the command's arguments, i.e. keys and values,
 * to their errors).
 */
function storeError(command: string, error: unknown): Error {
  const original = error instanceof Error ? error : undefined
  const reason = original instanceof TimeoutError ? original.message : 'failed'
  const cause = original
    ? Object.assign(new Error(original.message), { name: original.name })
    : undefined
  return new Error(
    `redisStore: ${command} ${reason}`,
    cause === undefined ? undefined : { cause },
  )
}
