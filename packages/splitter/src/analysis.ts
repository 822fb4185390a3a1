/**
 * Canary analysis: compares a canary's window of outcomes with the baseline's, with tests
 * that do not react to noise.
 * - Error rate: the two-proportion z-test (pooled, one-sided, with Yates' continuity
 *   correction), as in Kayenta-style canary judges (Netflix/Google, "Automated canary analysis
 *   at Netflix with Kayenta", 2018), plus a minimum practical margin.
 * - Latency: the Mann–Whitney U rank test (Mann & Whitney, Ann. Math. Stat. 1947; normal
 *   approximation with tie correction), Kayenta's default judge, plus a p99 margin.
 *
 * A window fails only when a difference is both statistically significant (p < `alpha`) and
 * larger than the margin: a significant but tiny difference, or a large but noisy one, passes.
 *
 * @packageDocumentation
 */
import { isFailure, isLocalOrigin, type Outcome } from '@switchyard/core';
import { normalUpperTail } from './internal/math.js';

/** Outcomes of one side (canary or baseline) over one analysis window. Plain, mutable data. */
export interface SideWindow {
  requests: number;
  failures: number;
  /** Latencies of responses (not of errors), the most recent `maxSamples` kept (a ring). */
  latencies: number[];
  /** Latencies seen in the window (≥ `latencies.length`). */
  latencySeen: number;
}

/**
 * An empty {@link SideWindow}.
 *
 * @example
 * ```ts
 * import { createSideWindow } from '@switchyard/splitter';
 * createSideWindow(); // { requests: 0, failures: 0, latencies: [], latencySeen: 0 }
 * ```
 */
export function createSideWindow(): SideWindow {
  return { requests: 0, failures: 0, latencies: [], latencySeen: 0 };
}

/**
 * Records one outcome into a window: a 5xx or an error counts as a failure (core's
 * `isFailure`), `canceled` tries are ignored (not the endpoint's fault), and response latencies
 * are kept in a ring of `maxSamples`. Mutates `w`. Used by {@link observeRollout}.
 */
export function observeSide(w: SideWindow, outcome: Outcome, maxSamples: number): void {
  if (outcome.kind === 'error' && isLocalOrigin(outcome.error)) return;
  w.requests++;
  if (isFailure(outcome)) w.failures++;
  if (outcome.kind === 'response') {
    if (w.latencies.length < maxSamples) w.latencies.push(outcome.latencyMs);
    else w.latencies[w.latencySeen % maxSamples] = outcome.latencyMs;
    w.latencySeen++;
  }
}

/** Thresholds of the analysis. */
export interface AnalysisThresholds {
  /** Requests each side needs in a window before it is judged (default 100). */
  readonly minRequests?: number;
  /** Significance level of both tests (default 0.01). */
  readonly alpha?: number;
  /** Error-rate increase (canary − baseline, in percentage points) tolerated (default 1). */
  readonly maxErrorRateIncreasePercent?: number;
  /** p99 latency increase over the baseline's tolerated, in percent (default 20). */
  readonly maxP99IncreasePercent?: number;
  /** Absolute p99 ceiling for the canary, ms (default none). */
  readonly maxP99LatencyMs?: number;
}

/** The figures and verdict of one window. */
export interface WindowAnalysis {
  readonly verdict: 'pass' | 'fail' | 'inconclusive';
  /** Why, in words: every failed check, or what is missing. */
  readonly reasons: readonly string[];
  readonly canary: SideSummary;
  readonly baseline: SideSummary;
  /** One-sided p-value of "canary error rate > baseline's". */
  readonly errorRatePValue: number;
  /** One-sided p-value of "canary latencies > baseline's" (Mann–Whitney). */
  readonly latencyPValue: number;
}

/** Summary of one side. */
export interface SideSummary {
  readonly requests: number;
  readonly failures: number;
  readonly errorRate: number;
  /** Nearest-rank p99 of response latencies (NaN without samples). */
  readonly p99Ms: number;
}

/**
 * One-sided two-proportion z-test of H1: `f1/n1 > f0/n0` (pooled variance, Yates' continuity
 * correction). Returns z and the p-value; p = 1 when there is no evidence at all.
 *
 * @example
 * ```ts
 * import { twoProportionZTest } from '@switchyard/splitter';
 * twoProportionZTest(30, 500, 10, 500).pValue < 0.01; // true: 6 % vs 2 %
 * twoProportionZTest(2, 200, 19, 3800).pValue > 0.05; // true: 1 % vs 0.5 % on few requests is noise
 * ```
 */
export function twoProportionZTest(f1: number, n1: number, f0: number, n0: number): { z: number; pValue: number } {
  if (n1 <= 0 || n0 <= 0) return { z: 0, pValue: 1 };
  const p1 = f1 / n1;
  const p0 = f0 / n0;
  const p = (f1 + f0) / (n1 + n0);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n0));
  if (se === 0) return { z: 0, pValue: 1 };
  const diff = p1 - p0 - 0.5 * (1 / n1 + 1 / n0);
  const z = diff / se;
  return { z, pValue: normalUpperTail(z) };
}

/**
 * One-sided Mann–Whitney U test of H1: values of `a` tend to be larger than those of `b`
 * (normal approximation with tie and continuity corrections; fine from ~20 samples a side).
 *
 * @example
 * ```ts
 * import { mannWhitneyU } from '@switchyard/splitter';
 * mannWhitneyU([30, 31, 35, 40, 41, 45, 50, 52, 55, 60], [10, 11, 12, 14, 15, 16, 18, 19, 20, 21]).pValue < 0.01; // true
 * ```
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): { u: number; z: number; pValue: number } {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { u: 0, z: 0, pValue: 1 };
  const n = n1 + n2;
  // Sort (value, side) pairs; side 1 = a.
  const idx = new Array<number>(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const val = (i: number): number => (i < n1 ? (a[i] as number) : (b[i - n1] as number));
  idx.sort((x, y) => val(x) - val(y));
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    const v = val(idx[i] as number);
    while (j < n && val(idx[j] as number) === v) j++;
    const avgRank = (i + 1 + j) / 2; // ranks i+1 … j
    for (let k = i; k < j; k++) if ((idx[k] as number) < n1) rankSumA += avgRank;
    const t = j - i;
    tieTerm += t * t * t - t;
    i = j;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (!(variance > 0)) return { u, z: 0, pValue: 1 };
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { u, z, pValue: normalUpperTail(z) };
}

/**
 * Nearest-rank percentile (`q` in (0, 1]) of unsorted values; NaN when empty. Copies and sorts.
 *
 * @example
 * ```ts
 * import { percentile } from '@switchyard/splitter';
 * percentile([5, 1, 4, 2, 3], 0.99); // 5
 * ```
 */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] as number;
}

function summarise(w: SideWindow): SideSummary {
  return { requests: w.requests, failures: w.failures, errorRate: w.requests > 0 ? w.failures / w.requests : 0, p99Ms: percentile(w.latencies, 0.99) };
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
const ms = (x: number): string => (Number.isNaN(x) ? 'n/a' : `${Math.round(x * 10) / 10}ms`);
const pv = (p: number): string => (p < 0.0001 ? 'p<0.0001' : `p=${p.toFixed(4)}`);

/**
 * Judges one window: `inconclusive` below `minRequests` on either side, `fail` when a check
 * fails (significant and beyond its margin), `pass` otherwise.
 *
 * @example
 * ```ts
 * import { analyseWindow, createSideWindow } from '@switchyard/splitter';
 * const canary = { ...createSideWindow(), requests: 400, failures: 40 };
 * const baseline = { ...createSideWindow(), requests: 4000, failures: 20 };
 * analyseWindow(canary, baseline, {}).verdict; // 'fail': 10 % vs 0.5 %
 * ```
 */
export function analyseWindow(canary: SideWindow, baseline: SideWindow, thresholds: AnalysisThresholds): WindowAnalysis {
  const minRequests = thresholds.minRequests ?? 100;
  const alpha = thresholds.alpha ?? 0.01;
  const margin = (thresholds.maxErrorRateIncreasePercent ?? 1) / 100;
  const p99Margin = (thresholds.maxP99IncreasePercent ?? 20) / 100;
  const c = summarise(canary);
  const b = summarise(baseline);
  if (c.requests < minRequests || b.requests < minRequests) {
    const missing: string[] = [];
    if (c.requests < minRequests) missing.push(`canary has ${c.requests} requests`);
    if (b.requests < minRequests) missing.push(`baseline has ${b.requests} requests`);
    return { verdict: 'inconclusive', reasons: [`${missing.join(', ')} (< ${minRequests} needed)`], canary: c, baseline: b, errorRatePValue: 1, latencyPValue: 1 };
  }
  const reasons: string[] = [];
  const err = twoProportionZTest(canary.failures, canary.requests, baseline.failures, baseline.requests);
  if (err.pValue < alpha && c.errorRate - b.errorRate > margin) {
    reasons.push(`error rate ${pct(c.errorRate)} vs baseline ${pct(b.errorRate)} (${pv(err.pValue)}, margin ${pct(margin)})`);
  }
  const lat = mannWhitneyU(canary.latencies, baseline.latencies);
  if (lat.pValue < alpha && c.p99Ms > b.p99Ms * (1 + p99Margin)) {
    reasons.push(`p99 ${ms(c.p99Ms)} vs baseline ${ms(b.p99Ms)} (rank test ${pv(lat.pValue)}, margin +${Math.round(p99Margin * 100)}%)`);
  }
  const ceiling = thresholds.maxP99LatencyMs;
  if (ceiling !== undefined && c.p99Ms > ceiling) reasons.push(`p99 ${ms(c.p99Ms)} above the ${ms(ceiling)} ceiling`);
  if (reasons.length > 0) return { verdict: 'fail', reasons, canary: c, baseline: b, errorRatePValue: err.pValue, latencyPValue: lat.pValue };
  return {
    verdict: 'pass',
    reasons: [
      `error rate ${pct(c.errorRate)} (n=${c.requests}) vs ${pct(b.errorRate)} (n=${b.requests}), ${pv(err.pValue)}; p99 ${ms(c.p99Ms)} vs ${ms(b.p99Ms)}, ${pv(lat.pValue)}`,
    ],
    canary: c,
    baseline: b,
    errorRatePValue: err.pValue,
    latencyPValue: lat.pValue,
  };
}
