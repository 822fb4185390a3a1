/**
 * Many keys under one policy, with bounded memory and no timers.
 *
 * Storage is one open-addressing hash table (linear probing, Knuth TAOCP vol. 3 §6.4 Algorithm
 * L, with backward-shift deletion, Algorithm R) in a single `ArrayBuffer` of fixed-size rows:
 * row `i` holds the key's non-zero 32-bit hash (0 = empty), the key itself packed into seven
 * int32 words (keys of up to 28 Latin-1 characters: client IPs, most ids; see
 * `internal/hash.ts`), then the algorithm's state as float64s (GCRA 1 number, token bucket 2,
 * sliding window 3). A decision on such a key hashes the string it was given (in the CPU cache:
 * the caller just built it), then reads and writes ONE row of 40 to 56 bytes: at a million keys
 * that is one cache miss, where a `Map<string, slot>` plus a state array costs three dependent
 * ones (bucket, entry, then the stored key string and the state). Longer keys keep their string
 * in a parallel array, allocated only when the first one arrives. No object per key.
 *
 * The table is sized to its key limit at load 3/4 (the home row is a multiply-shift range
 * reduction, so any row count works): about 64 bytes per token-bucket key at capacity.
 *
 * Key size: a key longer than 64 characters, or one that starts with `#`, is stored as its
 * 28-character SHA-256 digest (the rule of `storageKey`), which fits inline in its row; so a
 * stored key is never more than 64 characters whatever the client sends (what the rule saves is
 * measured in `docs/guides/rate-limiting.md`).
 *
 * Crafted collisions: no key is ever placed more than {@link MAX_PROBE} rows from its home
 * row; a key that would be is kept in a small overflow `Map` (V8's seeded hash) instead, so a
 * probe is bounded whatever keys a client chooses.
 *
 * Memory is reclaimed lazily: every 16th call advances a cursor over the rows by 16 calls' worth
 * of entries (2 per call by default, a sequential scan) and drops those that are full again (a full bucket is what a
 * fresh key gets anyway, so dropping it changes no decision). At `maxKeys`, a new key first
 * looks a little further for a full bucket; failing that, of the next 8 keys under the cursor
 * the one closest to full is evicted (its next request starts from a full bucket: that is the
 * bounded-memory trade-off, counted in `evictions`).
 */
import type { LimitDecision } from './decision.js';
import { homeRow, KEY_WORDS, packKey } from './internal/hash.js';
import { initSlots, isIdle, msUntilIdle, stepFor, widthOf } from './internal/steps.js';
import type { RatePolicy } from './policy.js';
import { digestKey, MAX_KEY_LENGTH } from './storage-key.js';

/** Options of {@link createKeyedLimiter}. */
export interface KeyedLimiterOptions {
  readonly policy: RatePolicy;
  /** Most keys kept at once (default 100 000). */
  readonly maxKeys?: number;
  /** Entries examined for reclamation per call, on average (default 2; examined in batches every 16 calls). */
  readonly sweepPerCall?: number;
}

/** A limiter over string keys. Synchronous; one clock reading is passed in per call. */
export interface KeyedLimiter {
  readonly policy: RatePolicy;
  /**
   * Takes `cost` (default 1) tokens for `key` at `now` (monotonic ms). A key longer than 64
   * characters (or starting with `#`) is counted under its digest (`storageKey`).
   */
  take(key: string, now: number, cost?: number): LimitDecision;
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
/** Calls per sweep batch: the sweep runs every {@link SWEEP_EVERY} calls over that many calls' rows, one loop instead of one per call. */
const SWEEP_EVERY = 16;
/** Keys examined when a full limiter needs room. */
const EVICTION_SAMPLE = 8;
const INITIAL_ROWS = 64;
/** Int32 slots before a row's state: the hash, then the packed key (an even count, so the state is 8-byte aligned). */
const HEAD = 1 + KEY_WORDS + ((1 + KEY_WORDS) & 1);

/**
 * Creates a keyed limiter.
 *
 * When to use: per-client limits in one process (or as the `local` fallback of a Redis
 * store). Gotcha: the state is per process / per isolate; on edge runtimes every isolate has
 * its own, so use a shared store for a fleet-wide limit. Memory: one fixed-size table row per
 * key, no object per key (heap bytes per key at 1 000 000 keys: `pnpm bench limiter`,
 * docs/guides/performance.md), key strings not included.
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
  // A row: HEAD int32s (hash, packed key, padding to 8 bytes), then stateWidth float64s.
  const RI = HEAD + 2 * stateWidth;
  const RF = RI >> 1;
  const SF = HEAD >> 1;
  // The table never gets fuller than 3/4, so probes stay short.
  const maxRows = Math.max(2, Math.ceil((maxKeys * 4) / 3));
  let cap = 0;
  let ints = new Int32Array(0);
  let nums = new Float64Array(0);
  // Strings of long keys (see internal/hash.ts), by row; allocated with the first one.
  let keyAt: string[] | undefined;
  let count = 0;
  const overflow = new Map<string, Float64Array>();
  let evictions = 0;
  let cursor = 0;
  // The packed words of the key being decided (filled by packKey).
  const words = new Int32Array(KEY_WORDS);
  // A hot key (a global limit's single key, one client's burst) skips hashing: `lastKey`, when
  // set, lives at state offset `lastOffset`. Rows only move on removal, growth and clear, which
  // unset it. The string is kept only once a key comes twice in a row (same offset): storing
  // every decision's freshly built key into this long-lived closure would cost a write barrier
  // (a remembered-set insertion) on every call.
  let lastKey: string | undefined;
  let lastOffset = -1;
  // Calls to wait before restarting a finished sweep, so small maps don't rescan every call.
  let cooldown = 0;
  let sweepIn = SWEEP_EVERY;

  function reset(rowCount: number): void {
    lastKey = undefined;
    cap = rowCount;
    const buffer = new ArrayBuffer(cap * RI * 4);
    ints = new Int32Array(buffer);
    nums = new Float64Array(buffer);
    keyAt = undefined;
    count = 0;
    cursor = 0;
  }
  reset(Math.min(maxRows, INITIAL_ROWS));

  /** The row holding the key packed in `words`, else `-1 - (free row to insert at)`, else {@link NO_ROOM}. */
  function lookup(key: string, tag: number): number {
    // Locals: the closure's table fields are reloaded after every store otherwise.
    const t32 = ints;
    const rowCount = cap;
    const w0 = words[0] as number;
    let i = homeRow(tag, rowCount);
    for (let d = 0; d <= MAX_PROBE; d++) {
      const b = i * RI;
      const t = t32[b] as number;
      if (t === 0) return -1 - i;
      if (t === tag && t32[b + 1] === w0 && sameKey(t32, b, i, key)) return i;
      if (++i === rowCount) i = 0;
    }
    return NO_ROOM;
  }

  /** Row `i` (at `b`), whose hash and first word match, holds the key packed in `words`. */
  function sameKey(t32: Int32Array, b: number, i: number, key: string): boolean {
    if (words[0] === 0) return (keyAt as string[])[i] === key;
    for (let k = 1; k < KEY_WORDS; k++) if (t32[b + 1 + k] !== words[k]) return false;
    return true;
  }

  /** Empties row `i`, shifting later rows of its cluster back toward their home rows. */
  function removeAt(i: number): void {
    lastKey = undefined;
    let hole = i;
    let j = i;
    for (;;) {
      if (++j === cap) j = 0;
      const t = ints[j * RI] as number;
      if (t === 0) break;
      // Row j may move into the hole unless its home lies cyclically in (hole, j].
      let fromHome = j - homeRow(t, cap);
      if (fromHome < 0) fromHome += cap;
      let fromHole = j - hole;
      if (fromHole < 0) fromHole += cap;
      if (fromHome >= fromHole) {
        ints.copyWithin(hole * RI, j * RI, j * RI + RI);
        if (keyAt !== undefined) keyAt[hole] = keyAt[j] as string;
        hole = j;
      }
    }
    ints[hole * RI] = 0;
    if (keyAt !== undefined) keyAt[hole] = '';
    count--;
  }

  /** Writes `key` (packed in `words`) into the free row `at`; returns its state offset. */
  function place(key: string, tag: number, at: number): number {
    const b = at * RI;
    ints[b] = tag;
    ints.set(words, b + 1);
    if (words[0] === 0) (keyAt ??= new Array<string>(cap).fill(''))[at] = key;
    count++;
    return at * RF + SF;
  }

  /** The key held in row `i` (rebuilt from its packed words when inline). */
  function keyOf(from: Int32Array, fromKeys: string[] | undefined, i: number): string {
    const b = i * RI;
    if (from[b + 1] === 0) return (fromKeys as string[])[i] as string;
    let s = '';
    for (let k = 0; k < KEY_WORDS * 4; k++) {
      const c = ((from[b + 1 + (k >> 2)] as number) >>> ((k & 3) << 3)) & 255;
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  }

  function grow(): void {
    const old = ints;
    const oldKeys = keyAt;
    const oldCap = cap;
    reset(Math.min(maxRows, cap * 2));
    if (oldKeys !== undefined) keyAt = new Array<string>(cap).fill('');
    for (let i = 0; i < oldCap; i++) {
      const tag = old[i * RI] as number;
      if (tag === 0) continue;
      // Keys are distinct: the first free row within reach is the key's row.
      let at = homeRow(tag, cap);
      let d = 0;
      while (d <= MAX_PROBE && ints[at * RI] !== 0) {
        if (++at === cap) at = 0;
        d++;
      }
      if (d > MAX_PROBE) {
        overflow.set(keyOf(old, oldKeys, i), new Float64Array(old.buffer, (i * RI + HEAD) * 4, stateWidth).slice());
        continue;
      }
      ints.set(old.subarray(i * RI, i * RI + RI), at * RI);
      if (old[i * RI + 1] === 0) (keyAt as string[])[at] = (oldKeys as string[])[i] as string;
      count++;
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
    // Locals: removals shift rows in place, never reallocate.
    const t32 = ints;
    const f64 = nums;
    const rowCount = cap;
    let c = cursor;
    // The token bucket's idle test (isIdle's), inlined: the sweep's per-row cost.
    const bucket = policy.algorithm === 'token-bucket';
    const tokensPerFill = policy.tokensPerFill;
    const fullLevel = policy.maxTokens * policy.fillIntervalMs;
    // n occupied rows per batch; empty rows are skipped (up to 4 per occupied one).
    for (let k = 0, budget = 5 * n; k < n && budget > 0; budget--) {
      if (c >= rowCount) {
        cursor = 0;
        if (overflow.size > 0) sweepOverflow(now);
        cooldown = Math.max(64, (count + overflow.size) >> 4);
        return;
      }
      if (t32[c * RI] === 0) {
        c++;
        continue;
      }
      k++;
      const o = c * RF + SF;
      // After a removal the cursor stays: backward shift may have moved a row into it.
      if (bucket ? (f64[o] as number) + (now - (f64[o + 1] as number)) * tokensPerFill >= fullLevel : isIdle(f64, o, now, policy)) removeAt(c);
      else c++;
    }
    cursor = c;
  }

  /** At `maxKeys`: drop a full bucket if one is near the cursor, else evict the key closest to full. */
  function makeRoom(now: number): void {
    let best = -1;
    let bestWait = Infinity;
    for (let seen = 0, steps = 0; seen < EVICTION_SAMPLE && steps < cap; steps++) {
      if (cursor >= cap) cursor = 0;
      if (ints[cursor * RI] !== 0) {
        const wait = msUntilIdle(nums, cursor * RF + SF, now, policy);
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

  /** Adds `key` (packed in `words`) with a fresh state: its offset in `nums`, or -1 when it lives in `overflow`. */
  function insert(key: string, tag: number, now: number): number {
    const held = overflow.size > 0 ? overflow.get(key) : undefined;
    if (held !== undefined) return -1;
    if (count + overflow.size >= maxKeys) makeRoom(now);
    else if (count * 4 >= cap * 3 && cap < maxRows) grow();
    const at = lookup(key, tag);
    if (at !== NO_ROOM) {
      const o = place(key, tag, -1 - at);
      initSlots(nums, o, now, policy);
      return o;
    }
    const s = new Float64Array(stateWidth);
    initSlots(s, 0, now, policy);
    overflow.set(key, s);
    return -1;
  }

  return {
    policy,
    take(given: string, now: number, cost = 1): LimitDecision {
      let o = lastOffset;
      let key = given;
      if (key !== lastKey) {
        // The size rule (storage-key.ts, MAX_KEY_LENGTH = 64 and '#'): two comparisons on the
        // common path. Literals, as in packKey: a bundled top-level const is reloaded per use.
        if (key.length > 64 || key.charCodeAt(0) === 35) key = digestKey(key);
        // The probe of `lookup`, inlined with the table in locals and the word comparison
        // unrolled (words 1..6 of KEY_WORDS = 7): this is the whole per-decision path besides
        // hashing and the step.
        const tag = packKey(key, words);
        const t32 = ints;
        const rowCount = cap;
        const w0 = words[0] as number;
        let i = homeRow(tag, rowCount);
        o = -1;
        for (let d = 0; d <= MAX_PROBE; d++) {
          const b = i * RI;
          const t = t32[b] as number;
          if (t === 0) break;
          if (
            t === tag &&
            t32[b + 1] === w0 &&
            (w0 === 0
              ? (keyAt as string[])[i] === key
              : t32[b + 2] === words[1] && t32[b + 3] === words[2] && t32[b + 4] === words[3] && t32[b + 5] === words[4] && t32[b + 6] === words[5] && t32[b + 7] === words[6])
          ) {
            o = i * RF + SF;
            break;
          }
          if (++i === rowCount) i = 0;
        }
        if (o < 0) o = insert(key, tag, now);
        if (o >= 0) {
          if (o === lastOffset) lastKey = given;
          else {
            if (lastKey !== undefined) lastKey = undefined;
            lastOffset = o;
          }
        }
      }
      // o < 0: the key lives in the overflow map (crafted collisions), its state at offset 0.
      const decision = o >= 0 ? step(nums, o, cost, now, policy) : step(overflow.get(key) as Float64Array, 0, cost, now, policy);
      if (--sweepIn === 0) {
        sweepIn = SWEEP_EVERY;
        if (sweepPerCall > 0) sweepSome(now, SWEEP_EVERY * sweepPerCall);
      }
      return decision;
    },
    delete(given: string): boolean {
      const key = given.length > MAX_KEY_LENGTH || given.charCodeAt(0) === 35 ? digestKey(given) : given;
      const at = lookup(key, packKey(key, words));
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
