/**
 * The store interface: where limit state lives. Keyed by limiter namespace + policy id + key,
 * so one store can serve many limiters and tiers (per-tier windows need no new store API) and
 * two limiters never share counters by accident.
 */
import type { LimitDecision } from './decision.js';
import { createKeyedLimiter, type KeyedLimiter } from './keyed-limiter.js';
import type { RatePolicy } from './policy.js';

/** One decision asked of a store. */
export interface StoreTake {
  /** The limiter's namespace (its id): keys of two limiters never collide. */
  readonly namespace: string;
  readonly policy: RatePolicy;
  /** The client key (descriptor value), e.g. a masked client IP or an API key. */
  readonly key: string;
  readonly cost: number;
  /** The caller's monotonic clock reading; a shared store may use its own time instead. */
  readonly now: number;
}

/**
 * Where buckets live. Implementations: {@link createMemoryStore} (per process) and
 * `createRedisStore` in `@switchyard/redis` (shared by a fleet). A store must never reject for
 * a failure of its own: it resolves a {@link LimitDecision} carrying `storeError` instead.
 */
export interface LimiterStore {
  /** `local` (per process or isolate) or `shared` (the whole fleet sees one count). */
  readonly scope: 'local' | 'shared';
  take(request: StoreTake): Promise<LimitDecision>;
  /**
   * Optional synchronous fast path: the same decision as {@link LimiterStore.take}, without a
   * promise, when the store can decide without I/O; `undefined` means "call `take`". Callers
   * that check many requests (createRateLimiter, hence the gateway) try it first, so an
   * in-memory store costs no promise per decision. Never call both for one decision: each
   * consumes tokens.
   */
  takeSync?(request: StoreTake): LimitDecision | undefined;
}

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Most keys per namespace and policy (default 100 000). */
  readonly maxKeysPerPolicy?: number;
}

/** An in-memory {@link LimiterStore} that always answers synchronously. */
export interface MemoryStore extends LimiterStore {
  readonly scope: 'local';
  /** The decision, synchronously (never `undefined`); `take` is this wrapped in a promise. */
  takeSync(request: StoreTake): LimitDecision;
  /** Keys held across all namespaces and policies. */
  readonly size: number;
}

/**
 * Creates an in-memory store: one {@link createKeyedLimiter} per (namespace, policy).
 * Gotcha: per process (per isolate on edge runtimes); label it as such to your users.
 *
 * @example
 * ```ts
 * import { createMemoryStore, tokenBucket } from '@switchyard/limiter';
 * const store = createMemoryStore();
 * const d = await store.take({ namespace: 'api', policy: tokenBucket({ maxTokens: 5, fillIntervalMs: 1000 }), key: 'k', cost: 1, now: 0 });
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  // namespace → policy id → limiter: no string built per decision, and the last pair asked
  // for is remembered (a limiter with one rule asks for the same pair every time).
  const limiters = new Map<string, Map<string, KeyedLimiter>>();
  const maxKeys = options.maxKeysPerPolicy ?? 100_000;
  let lastNamespace = '';
  let lastPolicy: RatePolicy | undefined;
  let last: KeyedLimiter | undefined;
  function limiterFor(namespace: string, policy: RatePolicy): KeyedLimiter {
    let byPolicy = limiters.get(namespace);
    if (byPolicy === undefined) {
      byPolicy = new Map();
      limiters.set(namespace, byPolicy);
    }
    let l = byPolicy.get(policy.id);
    if (l === undefined || !samePolicy(l.policy, policy)) {
      // A policy object with the same id but new numbers (a config reload) starts afresh.
      l = createKeyedLimiter({ policy, maxKeys });
      byPolicy.set(policy.id, l);
    }
    lastNamespace = namespace;
    lastPolicy = policy;
    last = l;
    return l;
  }
  function takeSync(r: StoreTake): LimitDecision {
    const l = r.policy === lastPolicy && r.namespace === lastNamespace ? (last as KeyedLimiter) : limiterFor(r.namespace, r.policy);
    return l.take(r.key, r.now, r.cost);
  }
  return {
    scope: 'local',
    takeSync,
    take(r: StoreTake): Promise<LimitDecision> {
      return Promise.resolve(takeSync(r));
    },
    get size() {
      let n = 0;
      for (const byPolicy of limiters.values()) for (const l of byPolicy.values()) n += l.size;
      return n;
    },
  };
}

function samePolicy(a: RatePolicy, b: RatePolicy): boolean {
  return a === b || (a.algorithm === b.algorithm && a.maxTokens === b.maxTokens && a.tokensPerFill === b.tokensPerFill && a.fillIntervalMs === b.fillIntervalMs);
}
