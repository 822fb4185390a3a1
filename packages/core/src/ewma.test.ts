import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEwma, decayedEwma, observeEwma } from './ewma.js';

const sample = fc.double({ min: -1e6, max: 1e6, noNaN: true });
const step = fc.record({ sample, dtMs: fc.double({ min: 0, max: 1e5, noNaN: true }) });

describe('EWMA with time decay', () => {
  it('stays between the smallest and largest sample observed', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.double({ min: 1e-3, max: 1e5, noNaN: true }), (steps, tauMs) => {
        const e = createEwma();
        let now = 0;
        let lo = Infinity;
        let hi = -Infinity;
        for (const { sample: s, dtMs } of steps) {
          now += dtMs;
          observeEwma(e, s, now, tauMs);
          lo = Math.min(lo, s);
          hi = Math.max(hi, s);
          // A relative epsilon: the convex combination is exact up to one rounding per step.
          const eps = 1e-9 * Math.max(1, Math.abs(lo), Math.abs(hi));
          expect(e.value).toBeGreaterThanOrEqual(lo - eps);
          expect(e.value).toBeLessThanOrEqual(hi + eps);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('the first sample primes it, whatever the initial value', () => {
    const e = createEwma(500, 0);
    expect(e.primed).toBe(false);
    observeEwma(e, 20, 7, 10_000);
    expect(e).toEqual({ value: 20, updatedAt: 7, primed: true });
  });

  it('weights a sample by exp(-Δt/τ): one τ later it moves 1 − 1/e of the way', () => {
    const e = createEwma();
    observeEwma(e, 20, 0, 10_000);
    observeEwma(e, 100, 10_000, 10_000);
    expect(e.value).toBeCloseTo(20 * Math.exp(-1) + 100 * (1 - Math.exp(-1)), 10);
  });

  it('keeps the first of two samples at the same instant (Δt = 0), and ignores samples from the past', () => {
    const e = createEwma();
    observeEwma(e, 10, 5, 100);
    observeEwma(e, 1000, 5, 100);
    observeEwma(e, 1000, 4, 100);
    expect(e).toEqual({ value: 10, updatedAt: 5, primed: true });
  });

  it('decayedEwma moves toward the target without mutating the state', () => {
    fc.assert(
      fc.property(sample, sample, fc.double({ min: 0, max: 1e6, noNaN: true }), (v, target, dt) => {
        const e = createEwma();
        observeEwma(e, v, 0, 1000);
        const before = { ...e };
        const d = decayedEwma(e, dt, 1000, target);
        expect(e).toEqual(before);
        const eps = 1e-9 * Math.max(1, Math.abs(v), Math.abs(target));
        expect(d).toBeGreaterThanOrEqual(Math.min(v, target) - eps);
        expect(d).toBeLessThanOrEqual(Math.max(v, target) + eps);
      }),
      { numRuns: 500 },
    );
    const e = createEwma();
    observeEwma(e, 80, 0, 1000);
    expect(decayedEwma(e, 0, 1000, 0)).toBe(80);
    expect(decayedEwma(e, 1000, 1000, 0)).toBeCloseTo(80 / Math.E, 10);
    expect(decayedEwma(e, 1e9, 1000, 0)).toBeCloseTo(0, 10);
  });
});
