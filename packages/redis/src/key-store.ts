/**
 * An API-key {@link KeyStore} in Redis, for `@switchyard/policies`' `api-key` policy across a
 * fleet: one hash per key digest (`<prefix>:k:<sha256 hex>` → `id`, `tier`, `metadata` as JSON),
 * so a lookup is ONE round trip (EVALSHA of a one-line `HMGET` script, loaded once and reloaded
 * on NOSCRIPT, through the same {@link RedisLike} client interface as the limiter store); and a
 * set per consumer (`<prefix>:c:<id>` → its digests) so the admin helpers can replace or remove
 * a consumer's keys atomically. Only digests reach Redis: a dump of it holds no usable key
 * (`policies.md` §5.3).
 *
 * Caching is the policy's (`cacheTtlMs`): a revoked key is refused once the policy's cache entry
 * for it expires. A lookup that fails or exceeds `timeoutMs` rejects; the policy answers 503
 * `SY_STORE_UNAVAILABLE` and caches nothing.
 *
 * Cluster note: the admin scripts touch the digest keys of a consumer, which are not all
 * declared in `KEYS`: run them on a single node or a hash-tagged prefix (`{sy:apikey}`); the
 * lookup declares its one key and works anywhere.
 */
import { systemClock, type Clock } from '@switchyard/core';
import { digestApiKey, type Consumer, type ConsumerInput, type KeyStore } from '@switchyard/policies';
import type { RedisLike } from './client.js';

/** `HMGET` of the consumer fields: one round trip. KEYS[1] = the digest's hash. */
export const KEY_LOOKUP_LUA = `return redis.call('HMGET', KEYS[1], 'id', 'tier', 'metadata')`;

/**
 * Replaces a consumer and its keys atomically. KEYS[1] = the consumer's set; ARGV = prefix, id,
 * tier ('' = none), metadata JSON ('' = none), then the digests. Refuses (error reply) a digest
 * another consumer holds.
 */
export const PUT_CONSUMER_LUA = `
local prefix, id, tier, meta = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
for i = 5, #ARGV do
  local owner = redis.call('HGET', prefix .. ':k:' .. ARGV[i], 'id')
  if owner and owner ~= id then return redis.error_reply('SY_KEY_TAKEN ' .. owner) end
end
for _, d in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('DEL', prefix .. ':k:' .. d) end
redis.call('DEL', KEYS[1])
for i = 5, #ARGV do
  local k = prefix .. ':k:' .. ARGV[i]
  redis.call('HSET', k, 'id', id)
  if tier ~= '' then redis.call('HSET', k, 'tier', tier) end
  if meta ~= '' then redis.call('HSET', k, 'metadata', meta) end
  redis.call('SADD', KEYS[1], ARGV[i])
end
return #ARGV - 4
`;

/** Revokes one digest. KEYS[1] = its hash; ARGV = prefix, digest. Replies 1 if it existed. */
export const REVOKE_KEY_LUA = `
local id = redis.call('HGET', KEYS[1], 'id')
if not id then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[1] .. ':c:' .. id, ARGV[2])
return 1
`;

/** Removes a consumer and its keys. KEYS[1] = its set; ARGV = prefix. Replies the keys removed. */
export const REMOVE_CONSUMER_LUA = `
local ds = redis.call('SMEMBERS', KEYS[1])
for _, d in ipairs(ds) do redis.call('DEL', ARGV[1] .. ':k:' .. d) end
redis.call('DEL', KEYS[1])
return #ds
`;

/**
 * The scripts' SHA1s (the names `EVALSHA` uses), as constants so the package needs no
 * `node:crypto` (it bundles for workers); `key-store.test.ts` recomputes them, so editing a
 * script without updating its SHA1 fails there.
 */
export const KEY_SCRIPT_SHA1 = Object.freeze({
  lookup: '217081e025dda044a19bb45b0fdc9687aabd7036',
  putConsumer: 'f48d6dd601df169d58175ade7f3fe5c38b46bb7e',
  revokeKey: '2450cdf15f4b7b66e02dc6e1eb1f2ce766be78e0',
  removeConsumer: '8dbf092dcc2eaf93a2c7b60d86907335bef2dde0',
});

const LOOKUP = [KEY_LOOKUP_LUA, KEY_SCRIPT_SHA1.lookup] as const;
const PUT = [PUT_CONSUMER_LUA, KEY_SCRIPT_SHA1.putConsumer] as const;
const REVOKE = [REVOKE_KEY_LUA, KEY_SCRIPT_SHA1.revokeKey] as const;
const REMOVE = [REMOVE_CONSUMER_LUA, KEY_SCRIPT_SHA1.removeConsumer] as const;

/** Options of {@link createRedisKeyStore}. */
export interface RedisKeyStoreOptions {
  readonly client: RedisLike;
  /** Key prefix (default `sy:apikey`): hashes at `<prefix>:k:<digest>`, consumer sets at `<prefix>:c:<id>`. */
  readonly prefix?: string;
  /** Longest wait for a lookup, in ms (default 200); then the lookup rejects (503 from the policy). */
  readonly timeoutMs?: number;
  /** Timer for the timeout (default the system clock). */
  readonly clock?: Clock;
}

/** A Redis key store with admin helpers. */
export interface RedisKeyStore extends KeyStore {
  lookup(digestHex: string): Promise<Consumer | undefined>;
  /** Adds or replaces a consumer and all its keys (plaintext keys are hashed here; `sha256:<hex>` digests taken as they are). */
  putConsumer(consumer: ConsumerInput): Promise<void>;
  /** Revokes one key (plaintext or `sha256:` digest); true if it was stored. Instances notice after their `cacheTtlMs`. */
  revokeKey(keyOrDigest: string): Promise<boolean>;
  /** Removes a consumer and all its keys; the number of keys removed. */
  removeConsumer(id: string): Promise<number>;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

function hexOf(keyOrDigest: string): string {
  if (keyOrDigest.startsWith('sha256:')) {
    const lower = keyOrDigest.toLowerCase();
    if (!DIGEST.test(lower)) throw new TypeError('a key written sha256:... must be sha256: followed by 64 hex characters');
    return lower.slice(7);
  }
  return digestApiKey(keyOrDigest).slice(7);
}

/**
 * Creates a Redis key store.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { apiKeyPolicy } from '@switchyard/policies';
 * import { createRedisKeyStore, fromIoredis } from '@switchyard/redis';
 * const keys = createRedisKeyStore({ client: fromIoredis(new Redis({ enableOfflineQueue: false })) });
 * await keys.putConsumer({ id: 'acme', tier: 'enterprise', keys: ['sha256:…'] });
 * const apiKeyRedis = apiKeyPolicy({ type: 'api-key-redis', store: keys });
 * ```
 */
export function createRedisKeyStore(options: RedisKeyStoreOptions): RedisKeyStore {
  const client = options.client;
  const prefix = options.prefix ?? 'sy:apikey';
  const timeoutMs = options.timeoutMs ?? 200;
  const clock = options.clock ?? systemClock;
  /** EVALSHA, loading the script once on NOSCRIPT. */
  async function run([script, sha]: readonly [string, string], keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      return await client.evalsha(sha, keys, args);
    } catch (e) {
      if (!/NOSCRIPT/.test(e instanceof Error ? e.message : String(e))) throw e;
      await client.scriptLoad(script);
      return client.evalsha(sha, keys, args);
    }
  }

  function withTimeout<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cancel = clock.setTimer(timeoutMs, () => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)));
      p.then(
        (v) => {
          cancel();
          resolve(v);
        },
        (e: unknown) => {
          cancel();
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  return {
    async lookup(digestHex) {
      const reply = await withTimeout(run(LOOKUP, [`${prefix}:k:${digestHex}`], []));
      if (!Array.isArray(reply)) throw new Error('unexpected reply to the key lookup');
      const [id, tier, metadata] = reply as unknown[];
      if (typeof id !== 'string' || id === '') return undefined;
      return Object.freeze({
        id,
        ...(typeof tier === 'string' ? { tier } : {}),
        ...(typeof metadata === 'string' ? { metadata: Object.freeze(JSON.parse(metadata) as Record<string, unknown>) } : {}),
      });
    },
    async putConsumer(consumer) {
      if (typeof consumer.id !== 'string' || consumer.id === '') throw new TypeError('a consumer needs a non-empty id');
      const digests = consumer.keys.map(hexOf);
      const meta = consumer.metadata === undefined ? '' : JSON.stringify(consumer.metadata);
      try {
        await run(PUT, [`${prefix}:c:${consumer.id}`], [prefix, consumer.id, consumer.tier ?? '', meta, ...digests]);
      } catch (e) {
        const m = e instanceof Error ? e.message : String(e);
        const taken = /SY_KEY_TAKEN (.*)$/.exec(m);
        if (taken !== null) throw new TypeError(`consumer ${JSON.stringify(consumer.id)} lists a key consumer ${JSON.stringify(taken[1])} already has`, { cause: e });
        throw e;
      }
    },
    async revokeKey(keyOrDigest) {
      const d = hexOf(keyOrDigest);
      return Number(await run(REVOKE, [`${prefix}:k:${d}`], [prefix, d])) === 1;
    },
    async removeConsumer(id) {
      return Number(await run(REMOVE, [`${prefix}:c:${id}`], [prefix]));
    },
  };
}
