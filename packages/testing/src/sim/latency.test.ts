import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../seeded-rng.js';
import { percentile } from './load.js';
import { sampleLatency, standardNormal, validateLatency, type LatencySpec } from './latency.js';

function draw(spec: LatencySpec, n: number, seed = 1): Float64Array {
  const rng = seededRng(seed);
  return Float64Array.from({ length: n }, () => sampleLatency(spec, rng)).sort();
}

const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;

describe('latency distributions', () => {
  it('standardNormal has mean 0 and variance 1 (Box–Muller)', () => {
    const rng = seededRng(9);
    const xs = Array.from({ length: 50_000 }, () => standardNormal(rng));
    const m = mean(xs);
    const v = mean(xs.map((x) => (x - m) ** 2));
    expect(Math.abs(m)).toBeLessThan(0.02);
    expect(Math.abs(v - 1)).toBeLessThan(0.03);
    // ~2.5% beyond 1.96 sd on each side.
    expect(xs.filter((x) => x > 1.96).length / xs.length).toBeCloseTo(0.025, 2);
  });

  it('constant and bare numbers always give the same latency', () => {
    expect(Array.from(draw(7, 10))).toEqual(new Array(10).fill(7));
    expect(Array.from(draw({ kind: 'constant', ms: 3 }, 10))).toEqual(new Array(10).fill(3));
  });

  it('normal has the requested mean and is clamped at minMs', () => {
    const xs = draw({ kind: 'normal', meanMs: 100, stdDevMs: 10 }, 20_000);
    expect(Math.abs(mean(xs) - 100)).toBeLessThan(0.5);
    const clamped = draw({ kind: 'normal', meanMs: 5, stdDevMs: 10, minMs: 2 }, 1000);
    expect(clamped[0]).toBe(2);
  });

  it('lognormal has the requested median and a right tail of median·e^(2.326σ) at p99', () => {
    const xs = draw({ kind: 'lognormal', medianMs: 20, sigma: 0.5 }, 40_000);
    expect(percentile(xs, 50) / 20).toBeCloseTo(1, 1);
    expect(percentile(xs, 99) / (20 * Math.exp(2.326 * 0.5))).toBeCloseTo(1, 1);
  });

  it('bimodal mixes its modes in the requested proportion', () => {
    const xs = draw({ kind: 'bimodal', fast: 5, slow: 500, slowFraction: 0.1 }, 20_000);
    const slow = Array.from(xs).filter((x) => x === 500).length / xs.length;
    expect(Math.abs(slow - 0.1)).toBeLessThan(0.01);
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 99)).toBe(500);
  });

  it('empirical draws only its samples, each about equally often', () => {
    const xs = draw({ kind: 'empirical', samplesMs: [3, 7, 50] }, 30_000);
    const counts = new Map<number, number>();
    for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([3, 7, 50]);
    for (const c of counts.values()) expect(Math.abs(c / xs.length - 1 / 3)).toBeLessThan(0.02);
  });

  it('validateLatency - reports an empty or invalid empirical sample set by path', () => {
    const issues: Array<{ path: string; message: string }> = [];
    validateLatency({ kind: 'empirical', samplesMs: [] }, 'a', issues);
    validateLatency({ kind: 'empirical', samplesMs: [1, -2] }, 'b', issues);
    expect(issues.map((i) => i.path)).toEqual(['a.samplesMs', 'b.samplesMs[1]']);
  });

  it('never draws a negative latency, whatever the spec', () => {
    const spec: fc.Arbitrary<LatencySpec> = fc.letrec<{ s: LatencySpec }>((tie) => ({
      s: fc.oneof(
        { depthSize: 'small' },
        fc.double({ min: 0, max: 1e4, noNaN: true }),
        fc.record({ kind: fc.constant('normal' as const), meanMs: fc.double({ min: 0, max: 1e3, noNaN: true }), stdDevMs: fc.double({ min: 0, max: 1e3, noNaN: true }) }),
        fc.record({ kind: fc.constant('lognormal' as const), medianMs: fc.double({ min: 0, max: 1e3, noNaN: true }), sigma: fc.double({ min: 0, max: 3, noNaN: true }) }),
        fc.record({ kind: fc.constant('bimodal' as const), fast: tie('s'), slow: tie('s'), slowFraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
      ),
    })).s;
    fc.assert(
      fc.property(spec, fc.integer(), (s, seed) => {
        const issues: Array<{ path: string; message: string }> = [];
        validateLatency(s, 'latency', issues);
        expect(issues).toEqual([]);
        const rng = seededRng(seed);
        for (let i = 0; i < 20; i++) expect(sampleLatency(s, rng)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 300 },
    );
  });
});
