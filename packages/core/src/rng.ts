/**
 * The `Rng` contract: the only source of randomness, with `randomInt` and `chance` drawn from it.
 */

/**
 * The only source of randomness in switchyard: `next()` returns a float in [0, 1).
 *
 * Production code uses {@link systemRng}; tests use `seededRng(seed)` from
 * `@switchyard/testing` so that every run makes the same choices. Sticky decisions
 * (splits, hashing balancers) never use the Rng: they hash a key.
 */
export interface Rng {
  next(): number;
}

/**
 * A uniform integer in [0, n) drawn from `rng`. `n` must be a positive integer.
 *
 * @example
 * ```ts
 * import { randomInt, systemRng } from '@switchyard/core';
 * const i = randomInt(systemRng, 10); // 0..9
 * ```
 */
export function randomInt(rng: Rng, n: number): number {
  const i = Math.floor(rng.next() * n);
  // Guards an Rng that returns exactly 1 (a contract violation) from indexing out of range.
  return i >= n ? n - 1 : i;
}

/** True with probability `percent / 100` (Envoy's fractional percent, strict `<`). */
export function chance(rng: Rng, percent: number): boolean {
  if (percent >= 100) return true;
  if (percent <= 0) return false;
  return rng.next() * 100 < percent;
}
