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
  /**
   * Optional `EVAL script numkeys ...keys ...args`: when present, a `NOSCRIPT` is answered with
   * one `EVAL` (one round trip, and the script is cached) instead of `SCRIPT LOAD` + `EVALSHA`.
   * {@link fromHttpRedis} implements it: on HTTP every round trip counts.
   */
  eval?(script: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /**
   * Optional readiness: `undefined` when commands can be sent now (or when waiting would not
   * help: the connection was ready once and is now lost, or it was closed), else a promise that
   * settles when the client's first connection is ready. The store then waits for it within
   * its `timeoutMs` instead of counting a connection that is still being set up as an outage.
   * {@link fromIoredis} and {@link fromNodeRedis} implement it.
   */
  whenReady?(): Promise<void> | undefined;
}

/** A client's readiness events (ioredis and node-redis are both EventEmitters). */
interface ReadyEvents {
  once(event: 'ready', listener: () => void): unknown;
}

/** The part of an ioredis `Redis` / `Cluster` the adapter uses. */
export interface IoredisClientLike extends Partial<ReadyEvents> {
  evalsha(sha: string, numKeys: number, ...args: string[]): Promise<unknown>;
  script(subcommand: 'LOAD', script: string): Promise<unknown>;
  /** ioredis' connection status (`wait`, `connecting`, `connect`, `ready`, `reconnecting`, `close`, `end`). */
  readonly status?: string;
  /** Connects a `lazyConnect` client (status `wait`). */
  connect?(): Promise<unknown>;
}

/** The part of a node-redis (`redis` ≥ 4) client the adapter uses. */
export interface NodeRedisClientLike extends Partial<ReadyEvents> {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  scriptLoad(script: string): Promise<string>;
  /** `connect()` was called and `close()`/`destroy()` was not. */
  readonly isOpen?: boolean;
  /** The socket is connected and the handshake done. */
  readonly isReady?: boolean;
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
  // ioredis: `wait` (lazyConnect, not connected yet), `connecting`/`connect` (setting up),
  // `ready`; after a loss `close`/`reconnecting`; `end` after quit() or when it gave up.
  return {
    evalsha: (sha, keys, args) => client.evalsha(sha, keys.length, ...keys, ...args),
    scriptLoad: async (script) => String(await client.script('LOAD', script)),
    whenReady: firstReady(client, () => {
      const status = client.status;
      if (status === undefined || status === 'ready' || status === 'end') return 'now';
      if (status === 'wait') client.connect?.().catch(() => {}); // as ioredis' first command would
      return 'wait';
    }),
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
    // Not open: connect() was never called, or the client was closed; a command fails at once.
    whenReady: firstReady(client, () => (client.isReady !== false || client.isOpen !== true ? 'now' : 'wait')),
  };
}

/**
 * `whenReady` for a client with a `ready` event: waits only until the first time the client is
 * seen ready. After that a connection that is not ready is a lost one, an outage the store's
 * `onStoreError` answers at once (commands fail fast with ioredis' `enableOfflineQueue: false`).
 * One shared promise (and one listener) per wait, however many decisions are waiting.
 */
function firstReady(client: Partial<ReadyEvents>, state: () => 'now' | 'wait'): () => Promise<void> | undefined {
  // A client without events cannot say when it is ready: never wait for it.
  let seenReady = client.once === undefined;
  let pending: Promise<void> | undefined;
  return () => {
    if (seenReady) return undefined;
    if (state() === 'now') {
      seenReady = true;
      return undefined;
    }
    pending ??= new Promise<void>((resolve) =>
      client.once?.('ready', () => {
        seenReady = true;
        pending = undefined;
        resolve();
      }),
    );
    return pending;
  };
}
