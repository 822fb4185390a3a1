/**
 * Canary analysis: compares a canary's window of outcomes with the baseline's, with tests
 * that do not react to noise.
 * - Error rate: the two-proportion z-test (pooled, one-sided, with Yates' continuity
 *   correction), as in Kayenta-style canary judges (Netflix/Google, "Automated canary analysis
 *   at Netflix with Kayenta", 2018), plus a minimum practical margin.
 * - Latency shift: the Mann–Whitney U rank test (Mann & Whitney, Ann. Math. Stat. 1947; normal
 *   approximation with tie correction), Kayenta's default judge, plus a quantile margin.
 * - Tail latency: the canary's p99 (or the configured quantile) against the baseline's, with a
 *   minimum sample size and a test on the share of latencies above the limit, so a regression
 *   in only the slowest 2 % of requests is caught.
 *
 * Latencies live in fixed log-scale buckets (`latency-histogram.ts`, DDSketch's mapping, 1 %
 * relative error), so windows from many replicas and time buckets merge by addition.
 *
 * A check fails only when a difference is both statistically significant (p < `alpha`) and
 * larger than its margin: a significant but tiny difference passes; a large but not
 * significant one is inconclusive.
 *
 * @packageDocumentation
 */
import { isFailure, isLocalOrigin, type Outcome } from '@switchyard/core';
import { normalUpperTail } from './internal/math.js';
import { countAbove, createLatencyHistogram, mergeLatency, recordLatency, latencyQuantile, type LatencyHistogram } from './latency-histogram.js';

/** Outcomes of one side (canary or baseline) over one analysis window. Plain, mutable data. */
export interface SideWindow {
  requests: number;
  failures: number;
  /** Latencies of responses (not of errors), in fixed log-scale buckets: merges by addition. */
  latency: LatencyHistogram;
}

/**
 * An empty {@link SideWindow}.
 *
 * @example
 * ```ts
 * import { createSideWindow } from '@switchyard/splitter';
 * createSideWindow(); // { requests: 0, failures: 0, latency: { count: 0, buckets: {} } }
 * ```
 */
export function createSideWindow(): SideWindow {
  return { requests: 0, failures: 0, latency: createLatencyHistogram() };
}

/**
 * Records one outcome into a window: a 5xx or an error counts as a failure (core's
 * `isFailure`), `canceled` tries are ignored (not the endpoint's fault), and response latencies
 * go to the window's log-scale histogram. Mutates `w`. Used by {@link observeRollout}.
 */
export function observeSide(w: SideWindow, outcome: Outcome): void {
  if (outcome.kind === 'error' && isLocalOrigin(outcome.error)) return;
  w.requests++;
  if (isFailure(outcome)) w.failures++;
  if (outcome.kind === 'response') recordLatency(w.latency, outcome.latencyMs);
}

/**
 * Adds `from` into `into` (counters and histogram buckets add: replicas and time buckets merge
 * exactly). Mutates `into`.
 */
export function mergeSideWindow(into: SideWindow, from: Readonly<SideWindow>): void {
  into.requests += from.requests;
  into.failures += from.failures;
  mergeLatency(into.latency, from.latency);
}

/** Thresholds of the analysis. */
export interface AnalysisThresholds {
  /** Requests each side needs before the success-rate check is judged (default 100). */
  readonly minRequests?: number;
  /**
   * Response latencies each side needs before the quantile check is judged (default
   * `max(minRequests, ceil(5 / (1 − latencyQuantile)))`: 500 for p99, so about five samples lie
   * above the quantile).
   */
  readonly minLatencySamples?: number;
  /** The latency quantile compared, in (0, 1) (default 0.99: p99). */
  readonly latencyQuantile?: number;
  /** Significance level of every test (default 0.01). */
  readonly alpha?: number;
  /** Error-rate increase (canary − baseline, in percentage points) tolerated (default 1). */
  readonly maxErrorRateIncreasePercent?: number;
  /** Increase of the latency quantile (p99 by default) over the baseline's tolerated, in percent (default 20). */
  readonly maxP99IncreasePercent?: number;
  /** Absolute ceiling for the canary's latency quantile, ms (default none; Flagger's `request-duration` `thresholdRange.max`). */
  readonly maxP99LatencyMs?: number;
}

/** The verdict of one check: Argo Rollouts' measurement phases, plus `accumulating` (below the minimum sample size). */
export type CheckVerdict = 'pass' | 'fail' | 'inconclusive' | 'accumulating';

/** One check of a window. */
export interface CheckResult {
  // Deliberately alike: import/src/types.ts (ImportOrigin, ImportResult) — a data type's list of readonly fields: alike in shape only, different fields and meanings
  readonly name: 'no-data' | 'request-success-rate' | 'latency-shift' | 'latency-quantile' | 'latency-ceiling';
  readonly verdict: CheckVerdict;
  readonly reason: string;
}

/** The figures and verdict of one window. */
export interface WindowAnalysis {
  // Deliberately alike: gateway/src/retry-policy.ts (RetryPolicy), import/src/types.ts (ImportResult) — a data type's list of readonly fields: alike in shape only, different fields and meanings
  /**
   * `fail` when a check failed, or when a side has no data at all (Flagger: no values found is
   * a failed check); `inconclusive` when a difference beyond its margin is not significant
   * (Argo: pause for a human once over `inconclusiveLimit`); `accumulating` while a side is
   * below its minimum sample size (the data is kept and judged at the next interval); `pass`.
   */
  readonly verdict: CheckVerdict;
  /** Why, in words: every failed check, or what is missing. */
  readonly reasons: readonly string[];
  readonly checks: readonly CheckResult[];
  readonly canary: SideSummary;
  readonly baseline: SideSummary;
  /** One-sided p-value of "canary error rate > baseline's". */
  readonly errorRatePValue: number;
  /** One-sided p-value of "canary latencies > baseline's" (Mann–Whitney). */
  readonly latencyPValue: number;
  /** One-sided p-value of "more canary latencies exceed the baseline's quantile × (1 + margin)". */
  readonly tailPValue: number;
}

/** Summary of one side. */
export interface SideSummary {
  readonly requests: number;
  readonly failures: number;
  readonly errorRate: number;
  /** The configured latency quantile (p99 by default) read from the histogram, ±1 % (NaN without samples). */
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
 * One-sided test of H1 "the canary's rate is higher" that stays calibrated on small counts:
 * `P(X ≥ f1)` for `X ~ Binomial(n1, p)`, `p` the pooled rate of both sides (the limit of
 * Fisher's exact test when the baseline is much larger than the canary, as it is at a 5 % step).
 * The z-test's normal approximation is too eager when the canary expects one or two failures
 * (5 of 295 at 0.45 %: z-test p ≈ 0.003, binomial p ≈ 0.014). Falls back to the z-test when the
 * canary is the larger side.
 *
 * @example
 * ```ts
 * import { binomialExcessTest } from '@switchyard/splitter';
 * binomialExcessTest(5, 295, 23, 5705).pValue > 0.01; // true: noise
 * binomialExcessTest(30, 500, 20, 9500).pValue < 0.0001; // true
 * ```
 */
export function binomialExcessTest(f1: number, n1: number, f0: number, n0: number): { pValue: number } {
  if (n1 <= 0 || n0 <= 0) return { pValue: 1 };
  if (n1 > n0) return { pValue: twoProportionZTest(f1, n1, f0, n0).pValue };
  const p = (f1 + f0) / (n1 + n0);
  if (p <= 0) return { pValue: 1 };
  if (p >= 1 || f1 <= 0) return { pValue: f1 <= 0 ? 1 : 0 };
  // log pmf(f1) = log C(n1, f1) + f1 log p + (n1 − f1) log(1 − p), then sum the upper tail.
  let logC = 0;
  for (let i = 0; i < f1; i++) logC += Math.log((n1 - i) / (i + 1));
  let pmf = Math.exp(logC + f1 * Math.log(p) + (n1 - f1) * Math.log(1 - p));
  let tail = 0;
  const ratio = p / (1 - p);
  for (let k = f1; k <= n1; k++) {
    tail += pmf;
    if (pmf < tail * 1e-12) break;
    pmf *= ((n1 - k) / (k + 1)) * ratio;
  }
  return { pValue: Math.min(1, tail) };
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
  return mannWhitneyTail(rankSumA, tieTerm, n1, n2);
}

/**
 * U, z and the one-sided p-value of a Mann–Whitney test from side A's rank sum and the tie term
 * Σ(t³ − t) over tie groups: the normal approximation with tie and continuity corrections that
 * {@link mannWhitneyU} and {@link mannWhitneyHistograms} share.
 */
function mannWhitneyTail(rankSumA: number, tieTerm: number, n1: number, n2: number): { u: number; z: number; pValue: number } {
  const n = n1 + n2;
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (!(variance > 0)) return { u, z: 0, pValue: 1 };
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { u, z, pValue: normalUpperTail(z) };
}

/**
 * Nearest-rank quantile (`q` in (0, 1]) of unsorted values; NaN when empty. Copies and sorts.
 * (A quantile, not a percentile: `@switchyard/testing`'s `percentile` takes `p` in [0, 100] over
 * sorted data.)
 *
 * @example
 * ```ts
 * import { quantile } from '@switchyard/splitter';
 * quantile([5, 1, 4, 2, 3], 0.99); // 5
 * ```
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] as number;
}

/**
 * @deprecated Renamed {@link quantile} (`q` is in (0, 1]; `@switchyard/testing`'s `percentile`
 * takes `p` in [0, 100]: the same name for both was silently wrong when mixed).
 */
export const percentile: (values: readonly number[], q: number) => number = quantile;

/**
 * One-sided Mann–Whitney U test of H1 "values of `a` tend to be larger than those of `b`" on
 * two log-bucket histograms: every bucket is one tie group (the bucket width, 2 %, is the
 * resolution), with the same normal approximation and tie correction as {@link mannWhitneyU}.
 *
 * @example
 * ```ts
 * import { createLatencyHistogram, mannWhitneyHistograms, recordLatency } from '@switchyard/splitter';
 * const a = createLatencyHistogram(); const b = createLatencyHistogram();
 * for (let i = 0; i < 50; i++) { recordLatency(a, 30 + i); recordLatency(b, 10 + i / 5); }
 * mannWhitneyHistograms(a, b).pValue < 0.01; // true
 * ```
 */
export function mannWhitneyHistograms(a: Readonly<LatencyHistogram>, b: Readonly<LatencyHistogram>): { u: number; z: number; pValue: number } {
  const n1 = a.count;
  const n2 = b.count;
  if (n1 <= 0 || n2 <= 0) return { u: 0, z: 0, pValue: 1 };
  const keys = new Set<number>();
  for (const k in a.buckets) keys.add(Number(k));
  for (const k in b.buckets) keys.add(Number(k));
  const sorted = [...keys].sort((x, y) => x - y);
  let below = 0;
  let rankSumA = 0;
  let tieTerm = 0;
  for (const k of sorted) {
    const ca = a.buckets[k] ?? 0;
    const t = ca + (b.buckets[k] ?? 0);
    if (t === 0) continue;
    const avgRank = below + (t + 1) / 2;
    rankSumA += ca * avgRank;
    tieTerm += t * t * t - t;
    below += t;
  }
  return mannWhitneyTail(rankSumA, tieTerm, n1, n2);
}

function summarise(w: SideWindow, q: number): SideSummary {
  return { requests: w.requests, failures: w.failures, errorRate: w.requests > 0 ? w.failures / w.requests : 0, p99Ms: latencyQuantile(w.latency, q) };
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
const ms = (x: number): string => (Number.isNaN(x) ? 'n/a' : `${Math.round(x * 10) / 10}ms`);
const pv = (p: number): string => (p < 0.0001 ? 'p<0.0001' : `p=${p.toFixed(4)}`);
const qName = (q: number): string => `p${Math.round(q * 1000) / 10}`;

/** The latency quantile and its minimum sample size, resolved from the thresholds. */
export function latencyCheckSettings(thresholds: AnalysisThresholds): { readonly quantile: number; readonly minSamples: number } {
  const quantile = thresholds.latencyQuantile ?? 0.99;
  const minRequests = thresholds.minRequests ?? 100;
  return { quantile, minSamples: thresholds.minLatencySamples ?? Math.max(minRequests, Math.ceil(5 / (1 - quantile))) };
}

/**
 * Judges a window of canary and baseline outcomes with four checks:
 * - **request-success-rate**: one-sided test of the error rates ({@link binomialExcessTest}:
 *   exact binomial tail at the pooled rate, calibrated on small counts); fails when
 *   significant (p < `alpha`) and beyond `maxErrorRateIncreasePercent`.
 * - **latency-shift**: one-sided Mann–Whitney U on the whole latency histograms (Kayenta's
 *   judge); fails when significant and the canary's quantile is beyond the margin.
 * - **latency-quantile** (the tail check): the canary's quantile (p99) against the baseline's
 *   × (1 + `maxP99IncreasePercent`), with the evidence of the same binomial test on the share of
 *   latencies above that limit. A regression in the slowest 2 % of requests barely moves a rank
 *   test but doubles that share: this check catches it.
 * - **latency-ceiling**: the canary's quantile above `maxP99LatencyMs` (absolute, like Flagger).
 *
 * A check below its minimum sample size is `accumulating`; a side with no request at all is a
 * failed check (`no-data`, Flagger's "no values found"). A difference beyond its margin that is
 * not significant is `inconclusive`. The window's verdict is the worst: fail > inconclusive >
 * accumulating > pass (Argo Rollouts' ordering of measurement phases).
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
  const qMargin = (thresholds.maxP99IncreasePercent ?? 20) / 100;
  const { quantile, minSamples } = latencyCheckSettings(thresholds);
  const qn = qName(quantile);
  const c = summarise(canary, quantile);
  const b = summarise(baseline, quantile);
  const checks: CheckResult[] = [];
  let errorRatePValue = 1;
  let latencyPValue = 1;
  let tailPValue = 1;
  if (c.requests === 0 || b.requests === 0) {
    const who = [c.requests === 0 ? 'canary' : '', b.requests === 0 ? 'baseline' : ''].filter((x) => x !== '').join(' and ');
    checks.push({ name: 'no-data', verdict: 'fail', reason: `no data: ${who} received no request` });
  } else {
    // Success rate.
    if (c.requests < minRequests || b.requests < minRequests) {
      checks.push({ name: 'request-success-rate', verdict: 'accumulating', reason: `success rate: ${[c.requests < minRequests ? `canary has ${c.requests} requests` : '', b.requests < minRequests ? `baseline has ${b.requests} requests` : ''].filter((x) => x !== '').join(', ')} (< ${minRequests} needed)` });
    } else {
      const err = binomialExcessTest(canary.failures, canary.requests, baseline.failures, baseline.requests);
      errorRatePValue = err.pValue;
      const text = `error rate ${pct(c.errorRate)} (n=${c.requests}) vs baseline ${pct(b.errorRate)} (n=${b.requests}), ${pv(err.pValue)}, margin ${pct(margin)}`;
      const beyond = c.errorRate - b.errorRate > margin;
      checks.push({ name: 'request-success-rate', verdict: beyond ? (err.pValue < alpha ? 'fail' : 'inconclusive') : 'pass', reason: text });
    }
    const limit = b.p99Ms * (1 + qMargin);
    const cl = canary.latency.count;
    const bl = baseline.latency.count;
    // Latency shift (whole distribution).
    if (cl >= minRequests && bl >= minRequests) {
      const lat = mannWhitneyHistograms(canary.latency, baseline.latency);
      latencyPValue = lat.pValue;
      const fail = lat.pValue < alpha && c.p99Ms > limit;
      checks.push({ name: 'latency-shift', verdict: fail ? 'fail' : 'pass', reason: `${qn} ${ms(c.p99Ms)} vs baseline ${ms(b.p99Ms)} (rank test ${pv(lat.pValue)}, margin +${Math.round(qMargin * 100)}%)` });
    }
    // Tail quantile.
    if (cl < minSamples || bl < minSamples) {
      checks.push({ name: 'latency-quantile', verdict: 'accumulating', reason: `${qn}: ${cl < minSamples ? `canary has ${cl}` : `baseline has ${bl}`} latency samples (< ${minSamples} needed)` });
    } else {
      const tail = binomialExcessTest(countAbove(canary.latency, limit), cl, countAbove(baseline.latency, limit), bl);
      tailPValue = tail.pValue;
      const beyond = c.p99Ms > limit;
      checks.push({
        name: 'latency-quantile',
        verdict: beyond ? (tail.pValue < alpha ? 'fail' : 'inconclusive') : 'pass',
        reason: `${qn} ${ms(c.p99Ms)} (n=${cl}) vs baseline ${ms(b.p99Ms)} (n=${bl}), limit ${ms(limit)}, tail test ${pv(tail.pValue)}`,
      });
    }
    const ceiling = thresholds.maxP99LatencyMs;
    if (ceiling !== undefined && cl > 0) {
      const over = c.p99Ms > ceiling;
      checks.push({ name: 'latency-ceiling', verdict: over ? (cl >= minSamples ? 'fail' : 'accumulating') : 'pass', reason: `${qn} ${ms(c.p99Ms)} ${over ? 'above' : 'within'} the ${ms(ceiling)} ceiling` });
    }
  }
  const order: readonly CheckVerdict[] = ['fail', 'inconclusive', 'accumulating', 'pass'];
  const verdict = order.find((v) => checks.some((k) => k.verdict === v)) ?? 'pass';
  const reasons = verdict === 'pass' ? checks.map((k) => k.reason) : checks.filter((k) => k.verdict === verdict).map((k) => k.reason);
  return { verdict, reasons, checks, canary: c, baseline: b, errorRatePValue, latencyPValue, tailPValue };
}
