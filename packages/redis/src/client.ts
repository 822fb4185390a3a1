/**
 * The minimal client interface the store needs (the pattern of rate-limit-redis and
 * hono-rate-limiter): run a script by SHA and load it. Adapters for ioredis and node-redis
 * are a few lines each; anything else (Upstash, a cluster client) can implement it directly.
 */

/** What {@link createRedisStore} needs from a Redis client. */
export interface RedisLike {
  /** `EVALSHA sha numkeys ...keys ...args`. Must reject with an error whose message starts `NOSCRIPT` when the script is unknown. */
  evalsha(sha: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /** `SCRIPT LOAD script`, resolving to the SHA1. */
  scriptLoad(script: string): Promise<string>;
}

/** The part of an ioredis `Redis` / `Cluster` the adapter uses. */
export interface IoredisClientLike {
  evalsha(sha: string, numKeys: number, ...args: string[]): Promise<unknown>;
  script(subcommand: 'LOAD', script: string): Promise<unknown>;
}

/** The part of a node-redis (`redis` ≥ 4) client the adapter uses. */
export interface NodeRedisClientLike {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  scriptLoad(script: string): Promise<string>;
}

/**
 * Adapts an ioredis client.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { fromIoredis } from '@switchyard/redis';
 * const client = fromIoredis(new Redis({ enableOfflineQueue: false }));
 * ```
 */
export function fromIoredis(client: IoredisClientLike): RedisLike {
  return {
    evalsha: (sha, keys, args) => client.evalsha(sha, keys.length, ...keys, ...args),
    scriptLoad: async (script) => String(await client.script('LOAD', script)),
  };
}

/**
 * Adapts a node-redis client (`createClient()` from `redis`).
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { fromNodeRedis } from '@switchyard/redis';
 * const raw = await createClient({ url: 'redis://127.0.0.1:6379' }).connect();
 * const client = fromNodeRedis(raw);
 * ```
 */
export function fromNodeRedis(client: NodeRedisClientLike): RedisLike {
  return {
    evalsha: (sha, keys, args) => client.evalSha(sha, { keys: [...keys], arguments: [...args] }),
    scriptLoad: (script) => client.scriptLoad(script),
  };
}
