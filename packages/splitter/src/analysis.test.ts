import { describe, expect, it } from 'vitest';
import { createEndpoint } from '@switchyard/core';
import { analyseWindow, binomialExcessTest, createSideWindow, mannWhitneyU, observeSide, percentile, quantile, twoProportionZTest } from './analysis.js';
import { latencyBucket, recordLatency } from './latency-histogram.js';

describe('statistics', () => {
  it('two-proportion z-test: a real difference is significant, noise is not', () => {
    expect(twoProportionZTest(30, 500, 10, 500).pValue).toBeLessThan(0.01);
    expect(twoProportionZTest(2, 200, 19, 3800).pValue).toBeGreaterThan(0.05);
    // Reference: 30/500 vs 10/500, pooled, continuity-corrected z = 3.068.
    expect(twoProportionZTest(30, 500, 10, 500).z).toBeCloseTo(3.068, 2);
    expect(twoProportionZTest(0, 100, 0, 100).pValue).toBe(1);
    expect(twoProportionZTest(1, 0, 0, 10).pValue).toBe(1);
  });

  it('binomialExcessTest: calibrated where the z-test is too eager (few expected failures), decisive on real differences', () => {
    // 5 of 295 at a pooled 0.47 %: the z-test says p ≈ 0.003, the exact tail ≈ 0.013.
    expect(twoProportionZTest(5, 295, 23, 5705).pValue).toBeLessThan(0.01);
    expect(binomialExcessTest(5, 295, 23, 5705).pValue).toBeGreaterThan(0.01);
    expect(binomialExcessTest(30, 500, 20, 9500).pValue).toBeLessThan(1e-10);
    expect(binomialExcessTest(0, 100, 5, 1000).pValue).toBe(1);
    // P(X ≥ 1) for Binomial(2, 0.5) = 0.75 (pooled rate 1/2).
    expect(binomialExcessTest(1, 2, 1, 2).pValue).toBeCloseTo(0.75, 12);
  });

  it('Mann–Whitney U: shifted samples are significant; identical ones are not', () => {
    const a = [30, 31, 35, 40, 41, 45, 50, 52, 55, 60];
    const b = [10, 11, 12, 14, 15, 16, 18, 19, 20, 21];
    const r = mannWhitneyU(a, b);
    expect(r.u).toBe(100);
    expect(r.pValue).toBeLessThan(0.001);
    expect(mannWhitneyU(b, a).pValue).toBeGreaterThan(0.99);
    expect(mannWhitneyU([5, 5, 5], [5, 5, 5]).pValue).toBe(1);
    // With ties: pairs (a > b) count 1, ties 0.5: [1,2,3] vs [2,3,4] gives 0 + 0.5 + 1.5 = 2.
    expect(mannWhitneyU([1, 2, 3], [2, 3, 4]).u).toBe(2);
  });

  it('quantile is nearest-rank; percentile is its deprecated alias', () => {
    expect(percentile).toBe(quantile);
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantile(xs, 0.99)).toBe(99);
    expect(percentile(xs, 0.5)).toBe(50);
    expect(percentile([], 0.99)).toBeNaN();
  });
});

describe('analyseWindow', () => {
  const side = (requests: number, failures: number, latencies: number[] = []) => {
    const w = { ...createSideWindow(), requests, failures };
    for (const l of latencies) recordLatency(w.latency, l);
    return w;
  };

  it('is accumulating below the minimum request count, and fails a side with no data at all', () => {
    const r = analyseWindow(side(50, 50), side(1000, 0), {});
    expect(r.verdict).toBe('accumulating');
    expect(r.reasons[0]).toBe('success rate: canary has 50 requests (< 100 needed)');
    const none = analyseWindow(side(0, 0), side(1000, 0), {});
    expect(none.verdict).toBe('fail');
    expect(none.reasons).toEqual(['no data: canary received no request']);
  });

  it('is inconclusive when a difference beyond its margin is not significant', () => {
    // 3 % vs 1 % on 100 requests: beyond the 1-point margin, p ≈ 0.07 > 0.01.
    const r = analyseWindow(side(100, 3), side(4000, 40), { minLatencySamples: 1 });
    expect(r.verdict).toBe('inconclusive');
    expect(r.checks.find((c) => c.name === 'request-success-rate')?.verdict).toBe('inconclusive');
  });

  it('fails only when significant and beyond the margin', () => {
    expect(analyseWindow(side(400, 40), side(4000, 20), {}).verdict).toBe('fail');
    // Significant (huge n) but within the 1-point margin: passes (no latency samples: those checks wait).
    const r = analyseWindow(side(100_000, 700), side(100_000, 500), {});
    expect(r.checks.find((c) => c.name === 'request-success-rate')?.verdict).toBe('pass');
  });

  it('fails on a latency regression, and on an absolute p99 ceiling', () => {
    const fast = Array.from({ length: 200 }, (_, i) => 20 + (i % 20));
    const slow = fast.map((x) => x * 3);
    const r = analyseWindow(side(200, 0, slow), side(200, 0, fast), { minLatencySamples: 200 });
    expect(r.verdict).toBe('fail');
    // Histogram quantiles: within 1 % of the exact 117 ms and 39 ms.
    expect(r.reasons[0]).toMatch(/^p99 11[6-8](\.\d)?ms vs baseline 3[89](\.\d)?ms \(rank test p<0\.0001/);
    expect(analyseWindow(side(200, 0, fast), side(200, 0, fast), { maxP99LatencyMs: 30, minLatencySamples: 200 }).reasons).toEqual(['p99 39.3ms above the 30ms ceiling']);
  });
});

describe('observeSide', () => {
  it('ignores canceled tries and records response latencies in the histogram', () => {
    const endpoint = createEndpoint({ id: 'e', url: 'http://127.0.0.1:1' });
    const w = createSideWindow();
    observeSide(w, { kind: 'error', endpoint, error: 'canceled', latencyMs: 1, at: 0 });
    observeSide(w, { kind: 'error', endpoint, error: 'connect', latencyMs: 1, at: 0 });
    for (const l of [10, 20, 30]) observeSide(w, { kind: 'response', endpoint, status: 200, latencyMs: l, at: 0 });
    expect([w.requests, w.failures, w.latency.count]).toEqual([4, 1, 3]);
    expect(w.latency.buckets).toEqual({ [latencyBucket(10)]: 1, [latencyBucket(20)]: 1, [latencyBucket(30)]: 1 });
  });
});
