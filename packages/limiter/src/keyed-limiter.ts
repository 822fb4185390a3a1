/**
 * Many keys under one policy, with bounded memory and no timers.
 *
 * Storage is columnar: a `Map<string, slot>` and one `Float64Array` of three numbers per slot,
 * so a key costs a map entry, its string, 24 bytes and one pointer (no object per key). Memory
 * is reclaimed lazily: every call advances a cursor over the slots by a couple of entries (a
 * sequential scan of the typed array, no map lookup) and drops those that are full again (a
 * full bucket is what a fresh key gets anyway, so dropping it changes no decision). At
 * `maxKeys`, a new key first reuses a full slot; failing that, the oldest key is evicted (its
 * next request starts from a full bucket: that is the bounded-memory trade-off, counted in
 * `evictions`).
 */
import type { Decision } from './decision.js';
import { initSlots, isIdle, stepFor, WIDTH } from './internal/steps.js';
import type { RatePolicy } from './policy.js';

/** Options of {@link createKeyedLimiter}. */
export interface KeyedLimiterOptions {
  readonly policy: RatePolicy;
  /** Most keys kept at once (default 100 000). */
  readonly maxKeys?: number;
  /** Entries examined for reclamation per call (default 2). */
  readonly sweepPerCall?: number;
}

/** A limiter over string keys. Synchronous; one clock reading is passed in per call. */
export interface KeyedLimiter {
  readonly policy: RatePolicy;
  /** Takes `cost` (default 1) tokens for `key` at `now` (monotonic ms). */
  take(key: string, now: number, cost?: number): Decision;
  /** Forgets `key` (its next request sees a full bucket). */
  delete(key: string): boolean;
  /** Keys currently held. */
  readonly size: number;
  /** Keys evicted while still holding state because `maxKeys` was reached. */
  readonly evictions: number;
  clear(): void;
}

/**
 * Creates a keyed limiter.
 *
 * When to use: per-client limits in one process (or as the `local` fallback of a Redis
 * store). Gotcha: the state is per process / per isolate; on edge runtimes every isolate has
 * its own, so use a shared store for a fleet-wide limit.
 *
 * @example
 * ```ts
 * import { createKeyedLimiter, tokenBucket } from '@switchyard/limiter';
 * import { systemClock } from '@switchyard/core';
 * const perIp = createKeyedLimiter({ policy: tokenBucket({ maxTokens: 20, tokensPerFill: 10, fillIntervalMs: 1000 }), maxKeys: 50_000 });
 * const d = perIp.take('203.0.113.7', systemClock.now());
 * if (d.kind === 'limited') console.log(`retry in ${d.retryAfterMs} ms`);
 * ```
 */
export function createKeyedLimiter(options: KeyedLimiterOptions): KeyedLimiter {
  const policy = options.policy;
  const maxKeys = Math.max(1, Math.floor(options.maxKeys ?? 100_000));
  const sweepPerCall = Math.max(0, Math.floor(options.sweepPerCall ?? 2));
  const step = stepFor(policy);
  const slots = new Map<string, number>();
  let capacity = Math.min(maxKeys, 1024);
  let data = new Float64Array(capacity * WIDTH);
  // The key held by each slot (undefined = free), so the sweep walks slots in order without a
  // second map lookup per step.
  let keyOf: Array<string | undefined> = [];
  let free: number[] = [];
  let nextSlot = 0;
  let evictions = 0;
  let cursor = 0;

  function release(key: string, slot: number): void {
    slots.delete(key);
    keyOf[slot] = undefined;
    free.push(slot);
  }

  // Steps to wait before restarting a finished sweep, so small maps don't rescan every call.
  let cooldown = 0;

  function sweepSome(now: number, n: number): void {
    if (cooldown > 0) {
      cooldown -= n;
      return;
    }
    for (let i = 0; i < n; i++) {
      if (cursor >= nextSlot) {
        cursor = 0;
        cooldown = Math.max(64, slots.size >> 4);
        return;
      }
      const slot = cursor++;
      const key = keyOf[slot];
      if (key !== undefined && isIdle(data, slot * WIDTH, now, policy)) release(key, slot);
    }
  }

  function allocate(now: number): number {
    const reused = free.pop();
    if (reused !== undefined) return reused;
    if (nextSlot < capacity) return nextSlot++;
    if (capacity < maxKeys) {
      capacity = Math.min(maxKeys, capacity * 2);
      const grown = new Float64Array(capacity * WIDTH);
      grown.set(data);
      data = grown;
      return nextSlot++;
    }
    // Full: look for full buckets a little further, else evict the oldest key.
    cooldown = 0;
    sweepSome(now, 8);
    const found = free.pop();
    if (found !== undefined) return found;
    const oldest = slots.keys().next();
    if (oldest.done === true) return nextSlot++;
    const key = oldest.value;
    const slot = slots.get(key) as number;
    slots.delete(key);
    keyOf[slot] = undefined;
    evictions++;
    return slot;
  }

  return {
    policy,
    take(key: string, now: number, cost = 1): Decision {
      let slot = slots.get(key);
      if (slot === undefined) {
        slot = allocate(now);
        initSlots(data, slot * WIDTH, now, policy);
        slots.set(key, slot);
        keyOf[slot] = key;
      }
      const decision = step(data, slot * WIDTH, cost, now, policy);
      if (sweepPerCall > 0) sweepSome(now, sweepPerCall);
      return decision;
    },
    delete(key: string): boolean {
      const slot = slots.get(key);
      if (slot === undefined) return false;
      release(key, slot);
      return true;
    },
    get size() {
      return slots.size;
    },
    get evictions() {
      return evictions;
    },
    clear() {
      slots.clear();
      keyOf = [];
      free = [];
      nextSlot = 0;
      cursor = 0;
    },
  };
}
