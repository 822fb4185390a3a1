/**
 * `@switchyard/redis`: a shared store for `@switchyard/limiter` buckets: one round trip per
 * decision, keys namespaced per limiter and policy, TTLs, and an explicit `onStoreError`.
 *
 * @packageDocumentation
 */
export type { RedisLike, IoredisClientLike, NodeRedisClientLike } from './client.js';
export { fromIoredis, fromNodeRedis } from './client.js';
export type { RedisStore, RedisStoreOptions } from './redis-store.js';
export { createRedisStore } from './redis-store.js';
export { TOKEN_BUCKET_LUA } from './script.js';
export type { RedisKeyStore, RedisKeyStoreOptions } from './key-store.js';
export { createRedisKeyStore, KEY_LOOKUP_LUA, PUT_CONSUMER_LUA, REVOKE_KEY_LUA, REMOVE_CONSUMER_LUA, KEY_SCRIPT_SHA1 } from './key-store.js';
export type { RedisRolloutStore, RedisRolloutStoreOptions, RedisSubscribe, IoredisSubscriberLike, NodeRedisSubscriberLike } from './rollout-store.js';
export { createRedisRolloutStore, subscribeWithIoredis, subscribeWithNodeRedis } from './rollout-store.js';
export type { FetchLike, HttpRedisOptions } from './http-client.js';
export { fromHttpRedis } from './http-client.js';
