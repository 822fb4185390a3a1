/**
 * Many keys under one policy, with bounded memory and no timers.
 *
 * Storage is one open-addressing hash table (linear probing, Knuth TAOCP vol. 3 §6.4 Algorithm
 * L, with backward-shift deletion, Algorithm R) in a single `Float64Array`: row `i` holds the
 * key's non-zero 32-bit hash (0 = empty) followed by the algorithm's state (GCRA 1 number, token
 * bucket 2, sliding window 3), and a parallel array holds the key strings. A decision costs one
 * string hash and, typically, two memory reads that miss the cache at a million keys (the row,
 * then the key pointer to confirm the match); a `Map<string, slot>` plus a state array costs
 * about twice that (bucket, entry chain, state). No object per key.
 *
 * Crafted collisions: no key is ever placed more than {@link MAX_PROBE} rows from its home
 * row; a key that would be is kept in a small overflow `Map` (V8's seeded hash) instead, so a
 * probe is bounded whatever keys a client chooses.
 *
 * Memory is reclaimed lazily: every call advances a cursor over the rows by a couple of
 * entries (a sequential scan) and drops those that are full again (a full bucket is what a
 * fresh key gets anyway, so dropping it changes no decision). At `maxKeys`, a new key first
 * looks a little further for a full bucket; failing that, of the next 8 keys under the cursor
 * the one closest to full is evicted (its next request starts from a full bucket: that is the
 * bounded-memory trade-off, counted in `evictions`).
 */
import type { Decision } from './decision.js';
import { hashKey } from './internal/hash.js';
import { initSlots, isIdle, msUntilIdle, stepFor, widthOf } from './internal/steps.js';
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

/** Longest distance of a key from its home row; farther keys go to the overflow map. */
const MAX_PROBE = 32;
/** `lookup` result: not found and no free row within {@link MAX_PROBE}. */
const NO_ROOM = -0x80000000;
/** Keys examined when a full limiter needs room. */
const EVICTION_SAMPLE = 8;
const INITIAL_ROWS = 64;

/**
 * Creates a keyed limiter.
 *
 * When to use: per-client limits in one process (or as the `local` fallback of a Redis
 * store). Gotcha: the state is per process / per isolate; on edge runtimes every isolate has
 * its own, so use a shared store for a fleet-wide limit. Memory: about 68 bytes per key for a
 * token bucket at 1 000 000 keys (about 50 for GCRA), key strings not included.
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
  const stateWidth = widthOf(policy);
  // Row: [hash (non-zero int32), ...state]. The table never gets fuller than 3/4, so probes stay short.
  const W = stateWidth + 1;
  let maxRows = 2;
  while (maxRows * 3 < maxKeys * 4) maxRows *= 2;
  let cap = 0;
  let mask = 0;
  let rows = new Float64Array(0);
  let keyAt: string[] = [];
  let count = 0;
  const overflow = new Map<string, Float64Array>();
  let evictions = 0;
  let cursor = 0;
  // The last key decided and its row offset: a hot key (a global limit's single key, one
  // client's burst) skips hashing. Rows only move on removal, growth and clear, which reset it.
  let lastKey: string | undefined;
  let lastOffset = 0;
  // Calls to wait before restarting a finished sweep, so small maps don't rescan every call.
  let cooldown = 0;

  function reset(rowCount: number): void {
    lastKey = undefined;
    cap = rowCount;
    mask = cap - 1;
    rows = new Float64Array(cap * W);
    keyAt = new Array<string>(cap).fill('');
    count = 0;
    cursor = 0;
  }
  reset(Math.min(maxRows, INITIAL_ROWS));

  /** The row holding `key`, else `-1 - (free row to insert at)`, else {@link NO_ROOM}. */
  function lookup(key: string, tag: number): number {
    let i = tag & mask;
    for (let d = 0; d <= MAX_PROBE; d++) {
      const t = rows[i * W] as number;
      if (t === 0) return -1 - i;
      if (t === tag && keyAt[i] === key) return i;
      i = (i + 1) & mask;
    }
    return NO_ROOM;
  }

  /** Empties row `i`, shifting later rows of its cluster back toward their home rows. */
  function removeAt(i: number): void {
    lastKey = undefined;
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const t = rows[j * W] as number;
      if (t === 0) break;
      // Row j may move into the hole unless its home lies cyclically in (hole, j].
      if (((j - (t & mask)) & mask) >= ((j - hole) & mask)) {
        rows.copyWithin(hole * W, j * W, j * W + W);
        keyAt[hole] = keyAt[j] as string;
        hole = j;
      }
    }
    rows[hole * W] = 0;
    keyAt[hole] = '';
    count--;
  }

  function place(key: string, tag: number, at: number): number {
    rows[at * W] = tag;
    keyAt[at] = key;
    count++;
    return at * W + 1;
  }

  function grow(): void {
    const old = rows;
    const oldKeys = keyAt;
    const oldCap = cap;
    reset(cap * 2);
    for (let i = 0; i < oldCap; i++) {
      const tag = old[i * W] as number;
      if (tag === 0) continue;
      const key = oldKeys[i] as string;
      const at = lookup(key, tag);
      if (at === NO_ROOM) overflow.set(key, old.slice(i * W + 1, i * W + W));
      else rows.set(old.subarray(i * W + 1, i * W + W), place(key, tag, -1 - at));
    }
  }

  function sweepOverflow(now: number): void {
    for (const [key, s] of overflow) if (isIdle(s, 0, now, policy)) overflow.delete(key);
  }

  function sweepSome(now: number, n: number): void {
    if (cooldown > 0) {
      cooldown -= n;
      return;
    }
    // n occupied rows per call; empty rows are skipped (up to 4 per occupied one).
    for (let k = 0, budget = 5 * n; k < n && budget > 0; budget--) {
      if (cursor >= cap) {
        cursor = 0;
        if (overflow.size > 0) sweepOverflow(now);
        cooldown = Math.max(64, (count + overflow.size) >> 4);
        return;
      }
      if (rows[cursor * W] === 0) {
        cursor++;
        continue;
      }
      k++;
      // After a removal the cursor stays: backward shift may have moved a row into it.
      if (isIdle(rows, cursor * W + 1, now, policy)) removeAt(cursor);
      else cursor++;
    }
  }

  /** At `maxKeys`: drop a full bucket if one is near the cursor, else evict the key closest to full. */
  function makeRoom(now: number): void {
    let best = -1;
    let bestWait = Infinity;
    for (let seen = 0, steps = 0; seen < EVICTION_SAMPLE && steps < cap; steps++) {
      if (cursor >= cap) cursor = 0;
      if (rows[cursor * W] !== 0) {
        const wait = msUntilIdle(rows, cursor * W + 1, now, policy);
        if (wait === 0) {
          removeAt(cursor);
          return;
        }
        if (wait < bestWait) {
          bestWait = wait;
          best = cursor;
        }
        seen++;
      }
      cursor++;
    }
    evictions++;
    if (best >= 0) removeAt(best);
    else overflow.delete(overflow.keys().next().value as string);
  }

  /** Adds `key` with a fresh state: its offset in `rows`, or -1 when it lives in `overflow`. */
  function insert(key: string, tag: number, now: number): number {
    const held = overflow.size > 0 ? overflow.get(key) : undefined;
    if (held !== undefined) return -1;
    if (count + overflow.size >= maxKeys) makeRoom(now);
    else if (count * 4 >= cap * 3 && cap < maxRows) grow();
    const at = lookup(key, tag);
    if (at !== NO_ROOM) {
      const o = place(key, tag, -1 - at);
      initSlots(rows, o, now, policy);
      return o;
    }
    const s = new Float64Array(stateWidth);
    initSlots(s, 0, now, policy);
    overflow.set(key, s);
    return -1;
  }

  return {
    policy,
    take(key: string, now: number, cost = 1): Decision {
      let decision: Decision;
      if (key === lastKey) decision = step(rows, lastOffset, cost, now, policy);
      else {
        const tag = hashKey(key);
        const at = lookup(key, tag);
        const o = at >= 0 ? at * W + 1 : insert(key, tag, now);
        if (o >= 0) {
          decision = step(rows, o, cost, now, policy);
          lastKey = key;
          lastOffset = o;
        } else decision = step(overflow.get(key) as Float64Array, 0, cost, now, policy);
      }
      if (sweepPerCall > 0) sweepSome(now, sweepPerCall);
      return decision;
    },
    delete(key: string): boolean {
      const at = lookup(key, hashKey(key));
      if (at >= 0) {
        removeAt(at);
        return true;
      }
      return overflow.delete(key);
    },
    get size() {
      return count + overflow.size;
    },
    get evictions() {
      return evictions;
    },
    clear() {
      overflow.clear();
      reset(Math.min(maxRows, INITIAL_ROWS));
      cooldown = 0;
    },
  };
}
