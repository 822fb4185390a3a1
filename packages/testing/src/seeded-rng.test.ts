import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRng } from './seeded-rng.js';

const take = (rng: { next(): number }, n: number) => Array.from({ length: n }, () => rng.next());

describe('seededRng', () => {
  it('gives the same sequence for the same seed, numbers or strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.string()), (seed) => {
        expect(take(seededRng(seed), 20)).toEqual(take(seededRng(seed), 20));
      }),
      { numRuns: 200 },
    );
  });

  it('gives different sequences for different seeds', () => {
    const seen = new Set<string>();
    for (let s = 0; s < 1000; s++) seen.add(take(seededRng(s), 3).join(','));
    expect(seen.size).toBe(1000);
    expect(take(seededRng('a'), 5)).not.toEqual(take(seededRng('b'), 5));
  });

  it('stays in [0, 1), and int(n) in 0..n-1', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 1e6 }), (seed, n) => {
        const rng = seededRng(seed);
        for (let i = 0; i < 50; i++) {
          const x = rng.next();
          expect(x >= 0 && x < 1).toBe(true);
          const k = rng.int(n);
          expect(Number.isInteger(k) && k >= 0 && k < n).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('is roughly uniform: chi-square over 20 buckets well under the 0.1% critical value', () => {
    for (const seed of [1, 2, 42]) {
      const rng = seededRng(seed);
      const n = 100_000;
      const buckets = new Array<number>(20).fill(0);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const x = rng.next();
        sum += x;
        buckets[Math.floor(x * 20)]! += 1;
      }
      const expected = n / 20;
      const chi2 = buckets.reduce((acc, o) => acc + (o - expected) ** 2 / expected, 0);
      expect(chi2).toBeLessThan(43.82); // χ²(19), p = 0.001
      expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005);
    }
  });

  it('successive draws are not correlated', () => {
    const rng = seededRng(7);
    const xs = take(rng, 50_000);
    let cov = 0;
    for (let i = 1; i < xs.length; i++) cov += ((xs[i - 1] as number) - 0.5) * ((xs[i] as number) - 0.5);
    // Var(U) = 1/12; lag-1 correlation of an independent stream is ~ N(0, 1/n).
    expect(Math.abs(cov / (xs.length - 1) / (1 / 12))).toBeLessThan(0.02);
  });

  it('fork derives an independent, reproducible stream', () => {
    const a = seededRng(5);
    const b = seededRng(5);
    const fa = a.fork();
    const fb = b.fork();
    expect(take(fa, 10)).toEqual(take(fb, 10));
    expect(take(a, 10)).toEqual(take(b, 10));
    expect(take(seededRng(5).fork(), 10)).not.toEqual(take(seededRng(5), 10));
  });
});
