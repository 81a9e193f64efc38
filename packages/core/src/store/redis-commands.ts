/**
 * The Redis commands `redisStore` sends, on either client library, single node or Cluster:
 * node-redis (`createClient`, `createCluster`) and ioredis (`new Redis`, `new Redis.Cluster`).
 * Every command touches one key (a Cluster routes it by that key); scripts name theirs in KEYS.
 */

/**
 * The part of a node-redis client (v5 or later: `createClient()` or `createCluster()` from
 * `redis` or `@redis/client`) that `redisStore` uses.
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
  publish(channel: string, message: string): Promise<unknown>
  /** A new client with the same options, for the subscription (a subscribed connection can do nothing else). */
  duplicate(): NodeRedisLikeSubscriber
}

/** The subscriber `redisStore` makes with a node-redis client's `duplicate()`. */
export interface NodeRedisLikeSubscriber {
  on(event: 'error', listener: (error: unknown) => void): unknown
  connect(): Promise<unknown>
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>
  /** node-redis 5: closes at once, whatever state the connection is in. */
  destroy?(): unknown
  /** node-redis 4: the same. */
  disconnect?(): Promise<unknown>
}

/**
 * The part of an ioredis client (`new Redis()` or `new Redis.Cluster()`) that `redisStore`
 * uses. Told apart from a node-redis client by shape: ioredis clients have a string `status`
 * and a `call` method.
 */
export interface IORedisLikeClient {
  readonly status: string
  call(...args: never[]): unknown
  get(key: string): Promise<unknown>
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<unknown>
  del(key: string): Promise<unknown>
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>
  publish(channel: string, message: string): Promise<unknown>
  /** A new connection with the same options (it connects by itself), for the subscription. */
  duplicate(): IORedisLikeSubscriber
}

/** The subscriber `redisStore` makes with an ioredis client's `duplicate()`. */
export interface IORedisLikeSubscriber {
  on(event: 'error', listener: (error: unknown) => void): unknown
  on(event: 'message', listener: (channel: string, message: string) => void): unknown
  subscribe(channel: string): Promise<unknown>
  disconnect(): void
}

/** A node-redis client (first-class) or an ioredis client, single node or Cluster. */
export type RedisLikeClient = NodeRedisLikeClient | IORedisLikeClient

/** The calls `redisStore` makes, the same on both libraries. */
export interface RedisCommands {
  get(key: string): Promise<unknown>
  setPx(key: string, value: string, ms: number): Promise<unknown>
  /** SET NX PX: null when the key was there. */
  setNxPx(key: string, value: string, ms: number): Promise<unknown>
  del(key: string): Promise<unknown>
  eval(script: string, key: string, args: string[]): Promise<unknown>
  publish(channel: string, message: string): Promise<unknown>
  /**
   * Subscribes on a connection of its own, connecting in the background (a Redis that is down
   * delays nothing); returns what closes that connection, in whatever state it is.
   */
  subscribe(channel: string, onMessage: (message: string) => void): () => Promise<void>
}

const ignore = (): void => {}

function isIORedis(client: RedisLikeClient): client is IORedisLikeClient {
  const c = client as Partial<IORedisLikeClient>
  return typeof c.status === 'string' && typeof c.call === 'function'
}

/** The commands for `client`, whichever library it comes from. */
export function redisCommands(client: RedisLikeClient): RedisCommands {
  if (client === null || typeof client !== 'object' || typeof client.get !== 'function') {
    throw new TypeError('redisStore: `client` must be a node-redis or ioredis client')
  }
  if (isIORedis(client)) {
    return {
      get: (key) => client.get(key),
      setPx: (key, value, ms) => client.set(key, value, 'PX', ms),
      setNxPx: (key, value, ms) => client.set(key, value, 'PX', ms, 'NX'),
      del: (key) => client.del(key),
      eval: (script, key, args) => client.eval(script, 1, key, ...args),
      publish: (channel, message) => client.publish(channel, message),
      subscribe(channel, onMessage) {
        const subscriber = client.duplicate()
        subscriber.on('error', ignore) // it reconnects and resubscribes by itself
        subscriber.on('message', (from, message) => {
          if (from === channel) onMessage(message)
        })
        subscriber.subscribe(channel).catch(ignore)
        return async () => subscriber.disconnect()
      },
    }
  }
  return {
    get: (key) => client.get(key),
    setPx: (key, value, ms) => client.set(key, value, { expiration: { type: 'PX', value: ms } }),
    setNxPx: (key, value, ms) => client.set(key, value, { expiration: { type: 'PX', value: ms }, condition: 'NX' }),
    del: (key) => client.del(key),
    eval: (script, key, args) => client.eval(script, { keys: [key], arguments: args }),
    publish: (channel, message) => client.publish(channel, message),
    subscribe(channel, onMessage) {
      const subscriber = client.duplicate()
      subscriber.on('error', ignore) // it reconnects and resubscribes by itself
      subscriber
        .connect()
        .then(() => subscriber.subscribe(channel, onMessage))
        .catch(ignore)
      return async () => {
        if (subscriber.destroy !== undefined) subscriber.destroy()
        else await subscriber.disconnect?.().catch(ignore)
      }
    },
  }
}
