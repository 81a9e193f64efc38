/**
 * `@polar-session/core/redis`: the Redis store. A separate entry so apps without Redis never
 * load it; `redis` (node-redis v5+) or `ioredis` is the app's own dependency.
 */
export { redisStore } from './store/redis.js'
export type {
  RedisStoreOptions,
  RedisStore,
  RedisLikeClient,
  NodeRedisLikeClient,
  IORedisLikeClient,
} from './store/redis.js'
