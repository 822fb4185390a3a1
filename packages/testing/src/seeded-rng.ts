/**
 * A seeded, forkable `Rng` (a reproducible generator), so every test run makes the same choices.
 */

import { fmix32, type Rng } from '@switchyard/core';

/** A reproducible {@link Rng}; `fork()` derives an independent stream (for a second actor). */
export interface SeededRng extends Rng {
  /** An integer in [0, n). */
  int(n: number): number;
  fork(): SeededRng;
}

/**
 * A seeded random source: sfc32 (Chris Doty-Humphrey's Small Fast Chaotic PRNG, PractRand-clean)
 * seeded through splitmix32. Same seed, same sequence, on every runtime.
 *
 * @example
 * ```ts
 * import { seededRng } from '@switchyard/testing';
 * const a = seededRng(42), b = seededRng(42);
 * a.next() === b.next(); // true
 * ```
 */
export function seededRng(seed: number | string = 1): SeededRng {
  let s = typeof seed === 'number' ? seed | 0 : stringSeed(seed);
  const split = (): number => {
    s = (s + 0x9e3779b9) | 0;
    return fmix32(s) >>> 0;
  };
  return fromState(split(), split(), split(), split());
}

function fromState(a0: number, b0: number, c0: number, d0: number): SeededRng {
  let a = a0 | 0;
  let b = b0 | 0;
  let c = c0 | 0;
  let d = d0 | 0;
  const nextU32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Discard the first outputs: sfc32's first draws are correlated with the seed.
  for (let i = 0; i < 12; i++) nextU32();
  const rng: SeededRng = {
    next: () => nextU32() / 4294967296,
    int: (n: number) => Math.floor((nextU32() / 4294967296) * n),
    fork: () => fromState(nextU32(), nextU32(), nextU32(), nextU32()),
  };
  return rng;
}

function stringSeed(seed: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  return h | 0;
}
