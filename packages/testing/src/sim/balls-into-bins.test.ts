import { describe, expect, it } from 'vitest';
import { seededRng } from '../seeded-rng.js';
import { ballsIntoBins } from './balls-into-bins.js';

// Azar, Broder, Karlin, Upfal, "Balanced Allocations" (1994/1999): n balls into n bins.
// One uniform choice: max load ≈ Γ⁻¹(n) ≈ ln n / ln ln n (≈ 8 for n = 100 000 in practice).
// Best of two choices: ln ln n / ln 2 + O(1) (≈ 3.5, so 3 or 4).
describe('balls into bins (Azar et al., Balanced Allocations)', () => {
  const n = 100_000;

  it('one random choice gives a maximum load of about 7-9', () => {
    for (const seed of [1, 2, 3]) {
      const { maxLoad, loads } = ballsIntoBins({ balls: n, bins: n, choices: 1, rng: seededRng(seed) });
      expect(maxLoad).toBeGreaterThanOrEqual(7);
      expect(maxLoad).toBeLessThanOrEqual(9);
      expect(loads.reduce((a, b) => a + b, 0)).toBe(n);
    }
  });

  it('the better of two random choices gives a maximum load of about 3-4', () => {
    for (const seed of [1, 2, 3]) {
      const { maxLoad, loads } = ballsIntoBins({ balls: n, bins: n, choices: 2, rng: seededRng(seed) });
      expect(maxLoad).toBeGreaterThanOrEqual(3);
      expect(maxLoad).toBeLessThanOrEqual(4);
      expect(loads.reduce((a, b) => a + b, 0)).toBe(n);
    }
  });

  it('is deterministic for a seed', () => {
    const a = ballsIntoBins({ balls: 10_000, bins: 1000, choices: 2, rng: seededRng(42) });
    const b = ballsIntoBins({ balls: 10_000, bins: 1000, choices: 2, rng: seededRng(42) });
    expect(a.loads).toEqual(b.loads);
  });

  it('rejects nonsensical sizes', () => {
    expect(() => ballsIntoBins({ balls: 1, bins: 0, choices: 1, rng: seededRng(1) })).toThrow(RangeError);
    expect(() => ballsIntoBins({ balls: 1, bins: 1, choices: 0, rng: seededRng(1) })).toThrow(RangeError);
  });
});
