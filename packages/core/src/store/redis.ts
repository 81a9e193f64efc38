import { randomBytes } from 'node:crypto'
import { rejectUnknownKeys } from '../option-keys.js'
import type { SessionStore, StoreLease, StoreLock } from '../types.js'
import { bounded } from './bounded.js'
import { redisCommands, type RedisLikeClient } from './redis-commands.js'

export type { IORedisLikeClient, NodeRedisLikeClient, RedisLikeClient } from './redis-commands.js'

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * A connected node-redis (v5+) or ioredis (v5+) client, single node or Cluster
   * (`createCluster()`, `new Redis.Cluster()`). The store never connects or closes it: the app
   * owns it. For invalidations it opens one more connection with the client's `duplicate()`,
   * and closes that one in `close()`. Do not set ioredis's `keyPrefix` unless you mean to: it is
   * applied on top of {@link RedisStoreOptions.prefix}.
   */
  client: RedisLikeClient
  /**
   * Prepended to every key and to the invalidation channel, so several apps (or environments)
   * can share one Redis. Session values live at `prefix + key`, locks at `prefix + 'lock:' + key`.
   *
   * @default 'polar-session:'
   */
  prefix?: string
  /**
   * Upper bound, in milliseconds, on every Redis call, lock acquisition included. A call that
   * takes longer rejects; the core counts it as a store failure, answers from what this process
   * holds, and stops calling a store that keeps failing for a few seconds. The command itself is
   * not cancelled: a timed-out `SET` may still land (a late lock is released at once). A reply
   * that arrived while the process was busy still counts: the timeout gives it one more turn of
   * the event loop.
   *
   * @default 250
   */
  opTimeoutMs?: number
}

/** A {@link SessionStore} backed by Redis, with a cluster-wide {@link StoreLock} and pub/sub. */
export interface RedisStore extends SessionStore {
  get(key: string): Promise<string | null>
  set(key: string, value: string, ttlMs: number): Promise<void>
  delete(key: string): Promise<void>
  readonly lock: StoreLock
  /** `SET … NX PX`: true when stored, false when the key already held a value. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>
  /** The creation budget's sliding-window count: a sorted set, one script (see `SessionStore`). */
  countInWindow(key: string, limit: number, windowMs: number): Promise<number>
  /** `PUBLISH` on `prefix + channel`. */
  publish(channel: string, message: string): Promise<void>
  /** `SUBSCRIBE` to `prefix + channel`, on a connection of its own (the client's `duplicate()`). */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>
  /**
   * The bound on each call ({@link RedisStoreOptions.opTimeoutMs}). The core reads it to know
   * the store bounds itself, and does not race it with a shorter timer of its own.
   */
  readonly opTimeoutMs: number
  /** Commands sent and commands that failed or timed out, since the store was made: what Redis cost. */
  readonly stats: { readonly commands: number; readonly failures: number }
  /** Closes the subscriptions' connections; the app's client stays open. */
  close(): Promise<void>
}

/** Deletes the lock only while it still holds this owner's token (compare-and-delete). */
const RELEASE_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
/** Extends the lock only while it still holds this owner's token (compare-and-extend). */
const EXTEND_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
/**
 * The creation budget's sliding-window count, in a sorted set scored with Redis's own clock (one
 * clock for every process): drop what left the window, refuse at the limit with the ms until
 * a slot frees, else add this creation. One script, so that a refused request is never counted.
 */
const COUNT_IN_WINDOW_SCRIPT = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
if limit <= 0 then return window end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local from = now - window
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', from)
local n = redis.call('ZCARD', KEYS[1])
if n >= limit then
  local at = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
  return math.max(1, tonumber(at[2]) - from)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0
`

class TimeoutError extends Error {
  override readonly name = 'TimeoutError'
}

/**
 * A session store over Redis (single node or Cluster, node-redis or ioredis): `GET`, `SET … PX`,
 * `DEL` under a prefix; a lease per key (`SET … NX PX` with a random owner token, extended and
 * released by compare-and-set Lua scripts) so that one process at a time creates a session;
 * a sliding-window count (a sorted set) for the creation budget; and pub/sub for invalidations.
 *
 * Every call is bounded by `opTimeoutMs` and rejects on failure, with a message that names the
 * command and never a key or a value. What the core does about it is in `docs/redis.md`: in
 * short, requests are answered from the process's near cache while Redis fails, and a store
 * that keeps failing is skipped for a few seconds.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * const client = await createClient({ url: process.env.REDIS_URL }).connect()
 * const store = redisStore({ client })
 * ```
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('redisStore: expected an options object with the Redis client')
  rejectUnknownKeys('redisStore', options, ['client', 'prefix', 'opTimeoutMs'], {
    redis: 'client',
    keyPrefix: 'prefix',
    timeout: 'opTimeoutMs',
    lockTimeoutMs: 'opTimeoutMs (the lock is bounded by it too)',
  })
  const prefix = options.prefix ?? 'polar-session:'
  const opTimeoutMs = options.opTimeoutMs ?? 250
  if (typeof prefix !== 'string') throw new TypeError('redisStore: `prefix` must be a string')
  if (typeof opTimeoutMs !== 'number' || !Number.isFinite(opTimeoutMs) || opTimeoutMs <= 0) {
    throw new TypeError('redisStore: `opTimeoutMs` must be a positive number of milliseconds')
  }
  const redis = redisCommands(options.client)
  const subscriptions = new Set<() => Promise<void>>()
  /** Tells this store's budget entries from other processes' (a sorted set needs distinct members). */
  const instance = randomBytes(9).toString('base64url')
  let counted = 0
  const stats = { commands: 0, failures: 0 }
  const timedOut = () => new TimeoutError(`timed out after ${opTimeoutMs}ms`)

  /** Races `run` against the timeout; rejects with an error that names only the command. */
  async function call<T>(command: string, run: () => Promise<T>): Promise<T> {
    stats.commands++
    try {
      return await bounded(run, opTimeoutMs, timedOut)
    } catch (error) {
      stats.failures++
      throw storeError(command, error)
    }
  }

  const lock: StoreLock = {
    async acquire(key, ttlMs) {
      const ms = positiveTtl(ttlMs, 'lock ttlMs')
      const lockKey = `${prefix}lock:${key}`
      const owner = randomBytes(18).toString('base64url')
      let pending: Promise<unknown> | undefined
      let reply: unknown
      try {
        reply = await call('SET NX', () => (pending = redis.setNxPx(lockKey, owner, ms)))
      } catch (error) {
        // Should the SET land after all, give it back at once rather than leave it for ttlMs.
        pending
          ?.then((late) =>
            late === null || late === undefined ? undefined : redis.eval(RELEASE_SCRIPT, lockKey, [owner]),
          )
          .catch(() => {})
        throw error
      }
      if (reply === null || reply === undefined) return null
      return ownedLease(lockKey, owner)
    },
  }

  function ownedLease(lockKey: string, owner: string): StoreLease {
    let released = false
    return {
      async extend(ttlMs) {
        if (released) return false
        return (
          Number(
            await call('EVAL', () =>
              redis.eval(EXTEND_SCRIPT, lockKey, [owner, String(positiveTtl(ttlMs, 'lease ttlMs'))]),
            ),
          ) === 1
        )
      },
      async release() {
        if (released) return
        released = true
        // The lease expires by itself after its TTL: a failed release only delays the next holder.
        await call('EVAL', () => redis.eval(RELEASE_SCRIPT, lockKey, [owner])).catch(() => {})
      },
    }
  }

  return {
    async get(key) {
      const value = await call('GET', () => redis.get(prefix + key))
      if (value === null || value === undefined) return null
      return typeof value === 'string' ? value : String(value)
    },
    async set(key, value, ttlMs) {
      const ms = positiveTtl(ttlMs, 'ttlMs')
      await call('SET', () => redis.setPx(prefix + key, value, ms))
    },
    async delete(key) {
      await call('DEL', () => redis.del(prefix + key))
    },
    async setIfAbsent(key, value, ttlMs) {
      const ms = positiveTtl(ttlMs, 'ttlMs')
      const reply = await call('SET NX', () => redis.setNxPx(prefix + key, value, ms))
      return reply !== null && reply !== undefined
    },
    async countInWindow(key, limit, windowMs) {
      const ms = positiveTtl(windowMs, 'windowMs')
      // Members must differ, or two creations in one millisecond would count once.
      const member = `${instance}:${++counted}`
      const args = [String(limit), String(ms), member]
      return Number(await call('EVAL', () => redis.eval(COUNT_IN_WINDOW_SCRIPT, prefix + key, args)))
    },
    async publish(channel, message) {
      await call('PUBLISH', () => redis.publish(prefix + channel, message))
    },
    async subscribe(channel, onMessage) {
      const close = redis.subscribe(prefix + channel, onMessage)
      subscriptions.add(close)
      return async () => {
        if (subscriptions.delete(close)) await close()
      }
    },
    lock,
    opTimeoutMs,
    stats,
    async close() {
      // The client is the app's; the subscriptions' connections are ours.
      await Promise.all([...subscriptions].map((close) => close()))
      subscriptions.clear()
    },
  }
}

/** Whole milliseconds, rounded up; throws for zero, negative or non-finite TTLs. */
function positiveTtl(ttlMs: number, name: string): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new RangeError(`redisStore: ${name} must be a positive number`)
  return Math.ceil(ttlMs)
}

/**
 * An error safe to log: our own message, and as `cause` only the original's name and
 * message (clients such as ioredis attach the command's arguments, i.e. keys and values,
 * to their errors).
 */
function storeError(command: string, error: unknown): Error {
  const original = error instanceof Error ? error : undefined
  const reason = original instanceof TimeoutError ? original.message : 'failed'
  const cause = original ? Object.assign(new Error(original.message), { name: original.name }) : undefined
  return new Error(`redisStore: ${command} ${reason}`, cause === undefined ? undefined : { cause })
}
