/**
 * A {@link LimiterStore} in Redis: one round trip per decision (EVALSHA of a script loaded
 * once, reloaded on NOSCRIPT), keys namespaced `<prefix>:<limiter>:<policy>:<key>`, TTLs so
 * idle buckets disappear, and an explicit answer when Redis is slow or down. `<key>` follows
 * the limiter's size rule (`storageKey`: a key over 64 characters, or starting with `#`, is
 * `#` + 27 base64url characters of its SHA-256), so a client's key never makes a Redis key
 * larger than about 64 characters plus the prefix, and the plaintext of a long key (an API
 * key) is not what Redis stores.
 */
import { SwitchyardError, systemClock, type Clock } from '@switchyard/core';
import { createMemoryStore, storageKey, type LimitDecision, type RatePolicy, type LimiterStore, type MemoryStore, type StoreFailure, type StoreTake } from '@switchyard/limiter';
import type { RedisLike } from './client.js';
import { TOKEN_BUCKET_LUA, TOKEN_BUCKET_SHA1 } from './script.js';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  readonly client: RedisLike;
  /**
   * What to answer when Redis fails or exceeds `timeoutMs` — required, because every choice
   * hurts someone: `allow` (fail open), `deny` (fail closed: every request is refused, which
   * the gateway answers 503 `SY_STORE_UNAVAILABLE` with `Retry-After`), or `local`
   * (an in-process bucket with the same policy decides; per instance, so a fleet of N admits
   * up to N× the limit while Redis is down).
   */
  readonly onStoreError: 'allow' | 'deny' | 'local';
  /**
   * Longest wait for Redis per decision, in ms (default 50). It covers the wait for a client
   * whose first connection is not ready yet (see `RedisLike.whenReady`): at start-up, decisions
   * wait for the connection within this time instead of failing over to `onStoreError`.
   */
  readonly timeoutMs?: number;
  /**
   * After a failure, skip Redis for this long (default 1 000 ms) and then let one probe
   * through; the others keep using the fallback until it succeeds. This is what keeps the
   * service answering at full speed while Redis is down (rate-limiter-flexible #184).
   */
  readonly retryAfterFailureMs?: number;
  /** Key prefix (default `sy:rl`). */
  readonly prefix?: string;
  /**
   * Whose clock the buckets use. `redis` (default): the script reads Redis' `TIME`, so every
   * instance agrees whatever its own clock says; monotonic `Clock.now()` readings are per
   * process and could not be compared across instances anyway. `client`: the caller's
   * `clock.wallNow()` is sent (use it for deterministic tests, or with a Redis that forbids
   * `TIME` in scripts); instances' wall clocks must then agree.
   */
  readonly time?: 'redis' | 'client';
  /** Timers for the store timeout and the failure back-off; `wallNow` when `time: 'client'`. */
  readonly clock?: Clock;
  /** The fallback for `onStoreError: 'local'` (default a fresh memory store). */
  readonly localStore?: MemoryStore;
}

/** A Redis-backed store; `stats` counts what happened. */
export interface RedisStore extends LimiterStore {
  readonly scope: 'shared';
  readonly stats: { readonly decisions: number; readonly failures: number; readonly scriptLoads: number };
}

const TIMEOUT = Symbol('timeout');

/**
 * Creates a Redis store. Works with ioredis and node-redis through {@link fromIoredis} /
 * {@link fromNodeRedis}. Supports `token-bucket` and `gcra` policies (same decisions; Redis
 * keeps the token-bucket form).
 *
 * Gotchas: a decision that times out may still have consumed a token in Redis (the reply
 * is discarded); with ioredis, set `enableOfflineQueue: false` so commands fail at once while
 * disconnected instead of waiting for the timeout.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRateLimiter, keys, tokenBucket } from '@switchyard/limiter';
 * import { createRedisStore, fromIoredis } from '@switchyard/redis';
 * const store = createRedisStore({ client: fromIoredis(new Redis({ enableOfflineQueue: false })), onStoreError: 'local', timeoutMs: 50 });
 * const limiter = createRateLimiter({ id: 'api', store, rules: [
 *   { name: 'per-key', key: keys.apiKey(), policy: tokenBucket({ maxTokens: 100, tokensPerFill: 100, fillIntervalMs: 60_000 }) },
 * ] });
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const client = options.client;
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? 50;
  const backoffMs = options.retryAfterFailureMs ?? 1000;
  const prefix = options.prefix ?? 'sy:rl';
  const useClientTime = options.time === 'client';
  const onError = options.onStoreError;
  if (!['allow', 'deny', 'local'].includes(onError)) throw new SwitchyardError('SY_CONFIG_INVALID', `onStoreError must be 'allow', 'deny' or 'local', got ${JSON.stringify(onError)}`);
  const local = options.localStore ?? createMemoryStore();
  const sha = TOKEN_BUCKET_SHA1;
  let openUntil = -Infinity;
  let probing = false;
  const stats = { decisions: 0, failures: 0, scriptLoads: 0 };

  // The store timeout without a timer per call: every decision waits the same `timeoutMs`, so
  // pending decisions expire in arrival order. They sit in a FIFO queue with their deadline and
  // ONE timer is armed for the oldest; when it fires it expires every overdue head and re-arms
  // for the next. A settled decision just marks its entry done (no clearTimeout).
  interface Pending {
    readonly deadline: number;
    settle: ((v: unknown) => void) | null;
  }
  let queue: Pending[] = [];
  let head = 0;
  let armed = false;
  function arm(): void {
    while (head < queue.length && (queue[head] as Pending).settle === null) head++;
    if (head === queue.length) {
      queue = [];
      head = 0;
      armed = false;
      return;
    }
    armed = true;
    clock.setTimer(Math.max(0, (queue[head] as Pending).deadline - clock.now()), expire);
  }
  function expire(): void {
    const t = clock.now();
    while (head < queue.length) {
      const p = queue[head] as Pending;
      if (p.settle !== null) {
        if (p.deadline > t) break;
        const settle = p.settle;
        p.settle = null;
        settle(TIMEOUT);
      }
      head++;
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    arm();
  }
  // Per (policy, namespace): the key prefix and, for cost 1 on Redis' clock, the whole argument
  // list, so a decision builds one string (the key) and no arrays beyond `[key]`.
  interface Compiled {
    readonly prefix: string;
    readonly args: readonly string[];
    readonly fiUs: number;
  }
  const compiledFor = new WeakMap<RatePolicy, Map<string, Compiled>>();
  function compile(namespace: string, p: RatePolicy): Compiled {
    let byNamespace = compiledFor.get(p);
    if (byNamespace === undefined) {
      byNamespace = new Map();
      compiledFor.set(p, byNamespace);
    }
    let c = byNamespace.get(namespace);
    if (c === undefined) {
      const fiUs = p.fillIntervalMs * 1000;
      c = { prefix: `${prefix}:${namespace}:${p.id}:`, args: [String(fiUs), String(p.tokensPerFill), String(p.maxTokens), '1'], fiUs };
      byNamespace.set(namespace, c);
    }
    return c;
  }

  function fallback(r: StoreTake, reason: StoreFailure['reason'], message: string): LimitDecision {
    const storeError: StoreFailure = { reason, message, fallback: onError };
    const p = r.policy;
    if (onError === 'local') return { ...local.takeSync(r), storeError };
    if (onError === 'allow') return { kind: 'allowed', limit: p.maxTokens, remaining: p.maxTokens, resetAfterMs: 0, storeError };
    return { kind: 'limited', limit: p.maxTokens, remaining: 0, resetAfterMs: p.windowMs, retryAfterMs: Math.min(p.windowMs, backoffMs), storeError };
  }

  return {
    scope: 'shared',
    stats,
    take(r: StoreTake): Promise<LimitDecision> {
      const p = r.policy;
      if (p.algorithm === 'sliding-window') return Promise.reject(new SwitchyardError('SY_INVALID_ARGUMENT', `the Redis store supports token-bucket and gcra policies, not ${p.algorithm} (policy ${p.id})`));
      const started = clock.now();
      if (started < openUntil || (probing && openUntil !== -Infinity)) return Promise.resolve(fallback(r, 'unavailable', 'Redis failed recently; waiting before the next probe'));
      const isProbe = openUntil !== -Infinity;
      if (isProbe) probing = true;
      const c = compile(r.namespace, p);
      const keys = [c.prefix + storageKey(r.key)];
      let args = c.args;
      if (useClientTime || r.cost !== 1) {
        const a = args.slice();
        a[3] = String(r.cost);
        if (useClientTime) a.push(String(Math.round(clock.wallNow() * 1000)));
        args = a;
      }
      // One promise per decision: the client's reply, the timeout (see `expire`) and a failure
      // all settle it directly; whichever comes first wins (`settle` is cleared).
      return new Promise<LimitDecision>((resolve) => {
        const entry: Pending = { deadline: started + timeoutMs, settle: null };
        const finish = (d: LimitDecision): void => {
          if (isProbe) probing = false;
          resolve(d);
        };
        const fail = (reason: StoreFailure['reason'], message: string): void => {
          stats.failures++;
          openUntil = clock.now() + backoffMs;
          finish(fallback(r, reason, message));
        };
        const onError = (e: unknown): void => {
          if (entry.settle === null) return;
          const message = errorMessage(e);
          if (!/NOSCRIPT/.test(message) || reloaded) {
            entry.settle = null;
            fail('error', message);
            return;
          }
          reloaded = true;
          stats.scriptLoads++;
          (client.eval !== undefined ? client.eval(TOKEN_BUCKET_LUA, keys, args) : client.scriptLoad(TOKEN_BUCKET_LUA).then(() => client.evalsha(sha, keys, args))).then(onReply, onError);
        };
        const onReply = (reply: unknown): void => {
          if (entry.settle === null) return;
          entry.settle = null;
          let d: LimitDecision;
          try {
            d = decode(reply, r.cost, p.maxTokens, p.tokensPerFill, c.fiUs);
          } catch (e) {
            fail('error', errorMessage(e));
            return;
          }
          openUntil = -Infinity;
          stats.decisions++;
          finish(d);
        };
        let reloaded = false;
        entry.settle = () => fail('timeout', `Redis did not answer within ${timeoutMs} ms`);
        queue.push(entry);
        if (!armed) arm();
        const send = (): void => {
          if (entry.settle === null) return; // the timeout ran out while the connection was being set up
          try {
            client.evalsha(sha, keys, args).then(onReply, onError);
          } catch (e) {
            onError(e);
          }
        };
        // A first connection still being set up is waited for (within the same deadline), not
        // an outage: otherwise `deny` refuses and `local` over-admits for a while at every start.
        const ready = client.whenReady?.();
        if (ready === undefined) send();
        else ready.then(send, onError);
      });
    },
  };
}

/**
 * The script's reply: an integer level (admitted, integral), or `a<level>` / `l<level>` (admitted /
 * limited) with the exact level as text.
 */
function decode(reply: unknown, cost: number, maxTokens: number, tpf: number, fiUs: number): LimitDecision {
  let allowed = true;
  let level = NaN;
  if (typeof reply === 'number') level = reply;
  else if (typeof reply === 'string' && (reply.startsWith('a') || reply.startsWith('l'))) {
    allowed = reply.startsWith('a');
    level = Number(reply.slice(1));
  }
  if (Number.isNaN(level)) throw new Error(`unexpected script reply ${JSON.stringify(reply)}`);
  const max = maxTokens * fiUs;
  const remaining = Math.floor(level / fiUs);
  const resetAfterMs = (max - level) / tpf / 1000;
  if (allowed) return { kind: 'allowed', limit: maxTokens, remaining, resetAfterMs };
  const need = cost * fiUs;
  return { kind: 'limited', limit: maxTokens, remaining, resetAfterMs, retryAfterMs: need > max ? Infinity : (need - level) / tpf / 1000 };
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
