import { describe, expect, it } from 'vitest';
import { createEndpoint } from '@switchyard/core';
import { analyseWindow, createSideWindow, mannWhitneyU, observeSide, percentile, twoProportionZTest } from './analysis.js';

describe('statistics', () => {
  it('two-proportion z-test: a real difference is significant, noise is not', () => {
    expect(twoProportionZTest(30, 500, 10, 500).pValue).toBeLessThan(0.01);
    expect(twoProportionZTest(2, 200, 19, 3800).pValue).toBeGreaterThan(0.05);
    // Reference: 30/500 vs 10/500, pooled, continuity-corrected z = 3.068.
    expect(twoProportionZTest(30, 500, 10, 500).z).toBeCloseTo(3.068, 2);
    expect(twoProportionZTest(0, 100, 0, 100).pValue).toBe(1);
    expect(twoProportionZTest(1, 0, 0, 10).pValue).toBe(1);
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

  it('percentile is nearest-rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 0.99)).toBe(99);
    expect(percentile(xs, 0.5)).toBe(50);
    expect(percentile([], 0.99)).toBeNaN();
  });
});

describe('analyseWindow', () => {
  const side = (requests: number, failures: number, latencies: number[] = []) => ({ ...createSideWindow(), requests, failures, latencies, latencySeen: latencies.length });

  it('is inconclusive below the minimum request count', () => {
    const r = analyseWindow(side(50, 50), side(1000, 0), {});
    expect(r.verdict).toBe('inconclusive');
    expect(r.reasons[0]).toBe('canary has 50 requests (< 100 needed)');
  });

  it('fails only when significant and beyond the margin', () => {
    expect(analyseWindow(side(400, 40), side(4000, 20), {}).verdict).toBe('fail');
    // Significant (huge n) but within the 1-point margin: passes.
    expect(analyseWindow(side(100_000, 700), side(100_000, 500), {}).verdict).toBe('pass');
  });

  it('fails on a latency regression, and on an absolute p99 ceiling', () => {
    const fast = Array.from({ length: 200 }, (_, i) => 20 + (i % 20));
    const slow = fast.map((x) => x * 3);
    const r = analyseWindow(side(200, 0, slow), side(200, 0, fast), {});
    expect(r.verdict).toBe('fail');
    expect(r.reasons[0]).toMatch(/^p99 117ms vs baseline 39ms \(rank test p<0\.0001/);
    expect(analyseWindow(side(200, 0, fast), side(200, 0, fast), { maxP99LatencyMs: 30 }).reasons).toEqual(['p99 39ms above the 30ms ceiling']);
  });
});

describe('observeSide', () => {
  it('ignores canceled tries and keeps a ring of the latest latencies', () => {
    const endpoint = createEndpoint({ id: 'e', url: 'http://127.0.0.1:1' });
    const w = createSideWindow();
    observeSide(w, { kind: 'error', endpoint, error: 'canceled', latencyMs: 1, at: 0 }, 2);
    observeSide(w, { kind: 'error', endpoint, error: 'connect', latencyMs: 1, at: 0 }, 2);
    for (const l of [10, 20, 30]) observeSide(w, { kind: 'response', endpoint, status: 200, latencyMs: l, at: 0 }, 2);
    expect(w).toEqual({ requests: 4, failures: 1, latencies: [30, 20], latencySeen: 3 });
  });
});
