import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LATENCY_RELATIVE_ACCURACY, countAbove, createLatencyHistogram, latencyBucket, latencyBucketValue, latencyQuantile, mergeLatency, recordLatency } from './latency-histogram.js';
import { percentile } from './analysis.js';

describe('log-scale latency histogram', () => {
  it('every bucket represents its values within the relative accuracy (1 %)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.002, max: 1e7, noNaN: true }), (x) => {
        const v = latencyBucketValue(latencyBucket(x));
        expect(Math.abs(v - x) / x).toBeLessThanOrEqual(LATENCY_RELATIVE_ACCURACY + 1e-12);
      }),
    );
  });

  it('quantiles of merged histograms are within 1 % of the exact quantile of all the values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: 0.01, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom(0.5, 0.9, 0.99, 0.999),
        (replicas, q) => {
          const merged = createLatencyHistogram();
          for (const values of replicas) {
            const h = createLatencyHistogram();
            for (const v of values) recordLatency(h, v);
            mergeLatency(merged, h);
          }
          const exact = percentile(replicas.flat(), q);
          expect(merged.count).toBe(replicas.flat().length);
          expect(Math.abs(latencyQuantile(merged, q) - exact) / exact).toBeLessThanOrEqual(LATENCY_RELATIVE_ACCURACY + 1e-12);
        },
      ),
    );
  });

  it('merging is order-free (addition) and round-trips through JSON', () => {
    const a = createLatencyHistogram();
    const b = createLatencyHistogram();
    for (const v of [1, 5, 5, 300]) recordLatency(a, v);
    for (const v of [5, 7000]) recordLatency(b, v);
    const ab = createLatencyHistogram();
    mergeLatency(ab, a);
    mergeLatency(ab, b);
    const ba = JSON.parse(JSON.stringify(b)) as typeof b;
    mergeLatency(ba, JSON.parse(JSON.stringify(a)) as typeof a);
    expect(ba).toEqual(ab);
    expect(ab.count).toBe(6);
    expect(countAbove(ab, 100)).toBe(2);
    expect(latencyQuantile(createLatencyHistogram(), 0.99)).toBeNaN();
    // Zero and sub-microsecond latencies share the lowest bucket.
    expect(latencyBucket(0)).toBe(latencyBucket(0.0001));
  });
});
