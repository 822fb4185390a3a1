/**
 * A {@link RolloutStore} on one Redis: the fleet's shared rollout (splitter `rollout-store.ts`
 * states the rules). Every call is one `EVALSHA` (loaded once, reloaded on `NOSCRIPT`):
 *
 * - metrics: one hash per time bucket, `sy:ro:{<name>}:m:<bucketStart>`, fields `c:n`, `c:f`,
 *   `c:l:<bucket index>` (canary requests, failures, log-bucket latency counts) and the same with
 *   `b:` for the baseline, added with `HINCRBY` (merging is addition) and expiring after
 *   `metricsTtlMs`. A replica's flush is applied exactly once: it carries `<owner>:<seq>`, and a
 *   retry of a flush whose reply was lost adds nothing;
 * - the lease: `sy:ro:{<name>}:lease` `{owner, token, exp}` plus the fence counter
 *   `sy:ro:{<name>}:fence` (`INCR` on every acquisition: the fencing token);
 * - the state: `sy:ro:{<name>}:state` `{rev, token, json}`, written only by the fenced
 *   compare-and-set script, which then `PUBLISH`es the revision on `sy:ro:{<name>}:ev`.
 *   Pub/sub is at most once, so the driver also polls.
 *
 * Not guaranteed (a single Redis cannot): safety across a failover of an asynchronously
 * replicated Redis, and exactly-once external side effects.
 */
import type { Clock } from '@switchyard/core';
import { createSideWindow, type LeaseResult, type MetricsBucket, type RolloutState, type RolloutStore, type SideWindow, type StoredRollout, type Writer, type WriteResult } from '@switchyard/splitter';
import type { RedisLike } from './client.js';
import { sha1Hex } from './sha1.js';
import { ACQUIRE_LUA, ADD_METRICS_LUA, READ_METRICS_LUA, READ_STATE_LUA, RELEASE_LUA, RENEW_LUA, WRITE_STATE_LUA } from './rollout-scripts.js';

/** Subscribes to a channel on a dedicated connection; returns an unsubscribe function. */
export type RedisSubscribe = (channel: string, onMessage: (message: string) => void) => () => void;

/** Options of {@link createRedisRolloutStore}. */
export interface RedisRolloutStoreOptions {
  readonly client: RedisLike;
  /** Pushes new revisions (pub/sub on a dedicated connection): {@link subscribeWithIoredis} / {@link subscribeWithNodeRedis}. Optional: replicas poll anyway. */
  readonly subscribe?: RedisSubscribe;
  /** Key prefix (default `sy:ro`). */
  readonly prefix?: string;
  /** Metric buckets expire after this, ms (default 2 h). */
  readonly metricsTtlMs?: number;
  /**
   * Whose clock judges lease expiry: `redis` (default, Redis' `TIME`: replicas' clocks need not
   * agree) or `client` (the `now` each call passes: deterministic tests; replicas' wall clocks
   * must agree).
   */
  readonly time?: 'redis' | 'client';
  /** Longest wait for one call, ms (default 1 000): a slow Redis is an unreachable one. */
  readonly timeoutMs?: number;
  /** Timers for `timeoutMs` (default: none, no timeout). */
  readonly clock?: Clock;
}

interface Script {
  readonly text: string;
  readonly sha: string;
}
const script = (text: string): Script => ({ text, sha: sha1Hex(text) });

const S = {
  add: script(ADD_METRICS_LUA),
  read: script(READ_METRICS_LUA),
  acquire: script(ACQUIRE_LUA),
  renew: script(RENEW_LUA),
  release: script(RELEASE_LUA),
  readState: script(READ_STATE_LUA),
  write: script(WRITE_STATE_LUA),
};

/** The Redis rollout store, with the number of script calls made (one per operation). */
export interface RedisRolloutStore extends RolloutStore {
  readonly stats: { readonly calls: number; readonly scriptLoads: number };
}

/**
 * Creates the Redis {@link RolloutStore} (see the module doc).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRedisRolloutStore, fromIoredis, subscribeWithIoredis } from '@switchyard/redis';
 * const store = createRedisRolloutStore({
 *   client: fromIoredis(new Redis({ enableOfflineQueue: false })),
 *   subscribe: subscribeWithIoredis(new Redis()),
 * });
 * // createGateway(config, { transport, rollouts: { store, owner: process.env.HOSTNAME ?? 'replica' } })
 * ```
 */
export function createRedisRolloutStore(options: RedisRolloutStoreOptions): RedisRolloutStore {
  const client = options.client;
  const prefix = options.prefix ?? 'sy:ro';
  const metricsTtl = options.metricsTtlMs ?? 7_200_000;
  const clientTime = options.time === 'client';
  const timeoutMs = options.timeoutMs ?? 1000;
  const clock = options.clock;
  const stats = { calls: 0, scriptLoads: 0 };
  // Flush ids: this store's random id and a sequence number.
  const instanceId = randomId();
  let seq = 0;
  const k = (name: string, suffix: string): string => `${prefix}:{${name}}:${suffix}`;
  const nowArg = (now: number): string => (clientTime ? String(Math.round(now)) : '');
  // With client time the key TTL is only garbage collection: expiry is judged on `exp`.
  const gcTtl = (ttl: number): string => String(clientTime ? ttl + 3_600_000 : ttl);

  async function run(s: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    stats.calls++;
    const call = async (): Promise<unknown> => {
      try {
        return await client.evalsha(s.sha, keys, args);
      } catch (e) {
        if (!/NOSCRIPT/.test(e instanceof Error ? e.message : String(e))) throw e;
        stats.scriptLoads++;
        if (client.eval !== undefined) return client.eval(s.text, keys, args);
        await client.scriptLoad(s.text);
        return client.evalsha(s.sha, keys, args);
      }
    };
    if (clock === undefined) return call();
    let cancel: (() => void) | undefined;
    const timeout = new Promise<never>((_, reject) => {
      cancel = clock.setTimer(timeoutMs, () => reject(new Error(`rollout store: no reply within ${timeoutMs} ms`)));
    });
    try {
      return await Promise.race([call(), timeout]);
    } finally {
      cancel?.();
    }
  }

  function encodeSide(tag: string, w: SideWindow, out: string[]): void {
    if (w.requests !== 0) out.push(`${tag}:n`, String(w.requests));
    if (w.failures !== 0) out.push(`${tag}:f`, String(w.failures));
    for (const b in w.latency.buckets) out.push(`${tag}:l:${b}`, String(w.latency.buckets[b]));
  }

  return {
    stats,
    async addMetrics(name, buckets: readonly MetricsBucket[]) {
      if (buckets.length === 0) return;
      const keys = [k(name, `f:${instanceId}:${++seq}`)];
      const args = [String(metricsTtl)];
      for (const b of buckets) {
        const fields: string[] = [];
        encodeSide('c', b.canary, fields);
        encodeSide('b', b.baseline, fields);
        keys.push(k(name, `m:${b.start}`));
        args.push(String(fields.length / 2), ...fields);
      }
      await run(S.add, keys, args);
    },
    async readMetrics(name, from, to, bucketMs) {
      const keys: string[] = [];
      for (let t = from; t < to; t += bucketMs) keys.push(k(name, `m:${t}`));
      const out = { canary: createSideWindow(), baseline: createSideWindow() };
      if (keys.length === 0) return out;
      const flat = (await run(S.read, keys, [])) as unknown[];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const field = String(flat[i]);
        const n = Number(flat[i + 1]);
        const side = field.startsWith('c:') ? out.canary : out.baseline;
        const rest = field.slice(2);
        if (rest === 'n') side.requests += n;
        else if (rest === 'f') side.failures += n;
        else if (rest.startsWith('l:')) {
          const b = rest.slice(2);
          side.latency.buckets[b] = (side.latency.buckets[b] ?? 0) + n;
          side.latency.count += n;
        }
      }
      return out;
    },
    async acquireLease(name, owner, ttlMs, now): Promise<LeaseResult> {
      const r = (await run(S.acquire, [k(name, 'lease'), k(name, 'fence')], [owner, String(ttlMs), nowArg(now), gcTtl(ttlMs)])) as [string, string];
      return r[0] === 'ok' ? { kind: 'acquired', token: Number(r[1]) } : { kind: 'held', owner: String(r[1]) };
    },
    async renewLease(name, owner, token, ttlMs, now) {
      return Number(await run(S.renew, [k(name, 'lease')], [owner, String(token), String(ttlMs), nowArg(now), gcTtl(ttlMs)])) === 1;
    },
    async releaseLease(name, owner, token) {
      await run(S.release, [k(name, 'lease')], [owner, String(token)]);
    },
    async readState(name): Promise<StoredRollout | undefined> {
      const r = (await run(S.readState, [k(name, 'state')], [])) as unknown[];
      if (r.length < 3 || r[0] === null) return undefined;
      return { revision: Number(r[0]), token: Number(r[1]), state: JSON.parse(String(r[2])) as RolloutState };
    },
    async writeState(name, state, expectedRevision, writer: Writer, now): Promise<WriteResult> {
      const json = JSON.stringify({ ...state, window: { canary: createSideWindow(), baseline: createSideWindow() }, events: state.events.slice(-50), revision: expectedRevision + 1 });
      const leader = writer.kind === 'leader';
      const r = (await run(S.write, [k(name, 'state'), k(name, 'lease')], [json, String(expectedRevision), writer.kind, leader ? writer.owner : '', leader ? String(writer.token) : '', nowArg(now), k(name, 'ev')])) as [string, string];
      if (r[0] === 'written') return { kind: 'written', revision: Number(r[1]) };
      if (r[0] === 'conflict') return { kind: 'conflict', revision: Number(r[1]) };
      return { kind: 'fenced', reason: String(r[1]) };
    },
    ...(options.subscribe !== undefined
      ? {
          subscribe: (name: string, onRevision: (revision: number) => void) => (options.subscribe as RedisSubscribe)(k(name, 'ev'), (m) => onRevision(Number(m))),
        }
      : {}),
  };
}

/** The part of an ioredis client used for pub/sub (a dedicated connection: a subscribed RESP2 connection runs no other command). */
export interface IoredisSubscriberLike {
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  off(event: 'message', listener: (channel: string, message: string) => void): unknown;
}

/** {@link RedisSubscribe} over a dedicated ioredis connection. */
export function subscribeWithIoredis(sub: IoredisSubscriberLike): RedisSubscribe {
  return (channel, onMessage) => {
    const listener = (c: string, m: string): void => {
      if (c === channel) onMessage(m);
    };
    sub.on('message', listener);
    sub.subscribe(channel).catch(() => {});
    return () => {
      sub.off('message', listener);
      sub.unsubscribe(channel).catch(() => {});
    };
  };
}

/** The part of a node-redis client used for pub/sub (`client.duplicate()`, connected). */
export interface NodeRedisSubscriberLike {
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  unsubscribe(channel: string, listener?: (message: string) => void): Promise<unknown>;
}

/** {@link RedisSubscribe} over a dedicated node-redis connection. */
export function subscribeWithNodeRedis(sub: NodeRedisSubscriberLike): RedisSubscribe {
  return (channel, onMessage) => {
    const listener = (m: string): void => onMessage(m);
    sub.subscribe(channel, listener).catch(() => {});
    return () => {
      sub.unsubscribe(channel, listener).catch(() => {});
    };
  };
}

/** 48 random bits, hex, from Web Crypto (Node ≥ 19, workers, Deno, Bun): no `node:` import. */
function randomId(): string {
  const bytes = new Uint8Array(6);
  (globalThis as unknown as { crypto: { getRandomValues(a: Uint8Array): Uint8Array } }).crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
