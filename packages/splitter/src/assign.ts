/**
 * The sticky assignment: weighted rendezvous hashing (Thaler & Ravishankar, "Using name-based
 * mappings to increase hit rates", IEEE/ACM ToN 1998; the weighted form of Schindelhauer &
 * Schomaker, "Weighted distributed hash tables", SPAA 2005) over core's UTF-8 `murmur3`.
 *
 * Why not contiguous ranges of 10 000 buckets (`[0, 9000) → v1, [9000, 10000) → v2`)? With
 * two backends they are fine, but with two stable backends and a canary, raising the canary
 * shifts every boundary: `a:50 b:50` → `a:45 b:45 canary:10` moves the keys in
 * `[4500, 5000)` from `a` to `b`, two stable backends exchanging users. Rendezvous hashing
 * gives each (key, backend) pair its own draw; the key goes to the backend with the lowest
 * `Exp(1) / weight` score. Raising one weight lowers only that backend's scores, so a key can
 * only move *into* it; lowering one only moves keys *out of* it; adding a backend only takes
 * keys, removing one only gives its keys away. The share of backend `i` is exactly
 * `w_i / Σw` in expectation, whatever the declared order, and weight 0 never wins.
 *
 * Algorithm {@link SPLIT_ALGORITHM}, for a key `k`, a salt `s` and backends `(name_i, w_i)`:
 * ```
 * h      = murmur3(utf8(k), seed = murmur3(utf8(s)))           // one pass over the key
 * h_i    = murmur3(le32(h), seed = murmur3(utf8(name_i), murmur3(utf8(s))))
 * score_i = -ln((h_i + 0.5) / 2^32) / w_i                       // deterministic ln, see internal/math.ts
 * pick   = argmin score_i over w_i > 0 (ties: first declared)
 * ```
 * The published vectors are in `assign.test.ts` and the README.
 *
 * @packageDocumentation
 */
import { HASH_VERSION, murmur3 } from '@switchyard/core';
import { murmur3Int, negLnUnit } from './internal/math.js';

/**
 * Version tag of the assignment function. It changes only with a documented migration: a
 * new version reassigns users.
 */
export const SPLIT_ALGORITHM = `weighted-rendezvous+${HASH_VERSION}+v1`;

/** Number of buckets {@link bucketOf} maps a key into (0.01 % granularity). */
export const BUCKETS = 10_000;

/**
 * The 32-bit seed a salt stands for: `murmur3(salt)`.
 *
 * @example
 * ```ts
 * import { saltSeed } from '@switchyard/splitter';
 * saltSeed('checkout') === saltSeed('checkout'); // true, in every process
 * ```
 */
export function saltSeed(salt: string): number {
  return murmur3(salt);
}

/**
 * The key's 32-bit hash under a salt: `murmur3(key, murmur3(salt))`. Different salts give
 * independent hashes (different seeds, not concatenated strings, so `("a:b", "c")` and
 * `("a", "b:c")` never collide by construction).
 *
 * @example
 * ```ts
 * import { keyHash } from '@switchyard/splitter';
 * keyHash('user-42', 'checkout'); // 4235001192 (a published vector)
 * ```
 */
export function keyHash(key: string, salt: string): number {
  return murmur3(key, murmur3(salt));
}

/**
 * The key's bucket in `[0, 10 000)` under a salt: `floor(keyHash · 10 000 / 2^32)`. Used for
 * percentage gates (experiment coverage): a key is inside `p` percent iff
 * `bucket < p · 100`, so raising `p` only adds keys.
 *
 * @example
 * ```ts
 * import { bucketOf } from '@switchyard/splitter';
 * bucketOf('user-42', 'checkout'); // same number on every runtime and release of this algorithm
 * ```
 */
export function bucketOf(key: string, salt: string): number {
  return Math.floor((keyHash(key, salt) * BUCKETS) / 4294967296);
}

/**
 * The per-backend seed: `murmur3(backendName, murmur3(salt))`. It depends on the backend's
 * name, not its position, so reordering, adding or removing backends never disturbs the
 * draws of the others. Renaming a backend reassigns its users.
 *
 * @example
 * ```ts
 * import { backendSeed } from '@switchyard/splitter';
 * backendSeed('checkout', 'v2'); // an unsigned 32-bit integer
 * ```
 */
export function backendSeed(salt: string, backendName: string): number {
  return murmur3(backendName, murmur3(salt));
}

/** One weighted choice. */
export interface WeightedChoice {
  readonly name: string;
  readonly weight: number;
}

/**
 * The index of the backend a key is assigned to, or -1 when every weight is 0 (or the list
 * is empty). The reference implementation of {@link SPLIT_ALGORITHM}: compiled splits give the
 * same answer without recomputing seeds.
 *
 * @example
 * ```ts
 * import { assignWeighted } from '@switchyard/splitter';
 * assignWeighted('user-42', 'checkout', [{ name: 'v1', weight: 95 }, { name: 'v2', weight: 5 }]); // 0 or 1
 * ```
 */
export function assignWeighted(key: string, salt: string, choices: readonly WeightedChoice[]): number {
  const seed = murmur3(salt);
  const seeds = choices.map((c) => murmur3(c.name, seed));
  return pickByHash(murmur3(key, seed), seeds, choices.map((c) => c.weight));
}

/**
 * The rendezvous pick for a key hash `h` over precomputed per-backend seeds (the hot path of
 * compiled splits and experiments): -1 when no weight is positive.
 *
 * @example
 * ```ts
 * import { backendSeed, keyHash, pickByHash } from '@switchyard/splitter';
 * const seeds = ['v1', 'v2'].map((b) => backendSeed('checkout', b));
 * pickByHash(keyHash('user-7', 'checkout'), seeds, [95, 5]); // 1: user-7 is in the 5 %
 * ```
 */
export function pickByHash(h: number, seeds: readonly number[], weights: readonly number[]): number {
  let best = -1;
  let bestScore = Number.POSITIVE_INFINITY;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    if (!(w > 0)) continue;
    const score = negLnUnit(murmur3Int(h, seeds[i] as number)) / w;
    if (score < bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}

/**
 * Envoy's interval pick (`v = random · Σw`, the interval containing `v` in declared order):
 * the choice for requests without a key. Returns -1 when `total` is 0.
 *
 * @example
 * ```ts
 * import { pickByUnit } from '@switchyard/splitter';
 * pickByUnit(0.97, [95, 5], 100); // 1
 * ```
 */
export function pickByUnit(unit: number, weights: readonly number[], total: number): number {
  if (!(total > 0)) return -1;
  let v = unit * total;
  let last = -1;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    if (!(w > 0)) continue;
    last = i;
    if (v < w) return i;
    v -= w;
  }
  return last; // rounding at the top edge
}
