/**
 * Statistics helpers of the report: nearest-rank percentiles over typed arrays, rounding for
 * stable, readable JSON, and CDF points.
 */
import { percentile } from '@switchyard/testing';
import type { LatencyStats, RequestSummary } from '../report.js';

/** Rounds to 1 µs (3 decimals in ms): the report's bytes stay short and identical across runs. */
export const round3 = (x: number): number => Math.round(x * 1000) / 1000;
/** Rounds a ratio to 6 decimals. */
export const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** Ascending copy of `values`. */
export function sorted(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

/** {@link LatencyStats} of ascending `s`. */
export function latencyStats(s: Float64Array): LatencyStats {
  if (s.length === 0) return { count: 0, minMs: null, meanMs: null, p50Ms: null, p90Ms: null, p99Ms: null, p999Ms: null, maxMs: null };
  let sum = 0;
  for (const v of s) sum += v;
  return {
    count: s.length,
    minMs: round3(s[0] as number),
    meanMs: round3(sum / s.length),
    p50Ms: round3(percentile(s, 50)),
    p90Ms: round3(percentile(s, 90)),
    p99Ms: round3(percentile(s, 99)),
    p999Ms: round3(percentile(s, 99.9)),
    maxMs: round3(s[s.length - 1] as number),
  };
}

/** The nearest-rank percentile of ascending `s`, rounded, or null when empty. */
export function pct(s: Float64Array, p: number): number | null {
  return s.length === 0 ? null : round3(percentile(s, p));
}

/** Sorts an object's keys (numeric strings numerically), for stable JSON. */
export function sortedRecord(r: ReadonlyMap<string, number>): Record<string, number> {
  const keys = [...r.keys()].sort((a, b) => {
    const na = Number(a);
    const nb = Number(b);
    if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = r.get(k) as number;
  return out;
}

/** Accumulates requests into a {@link RequestSummary}. */
export class SummaryBuilder {
  requests = 0;
  successes = 0;
  rateLimited = 0;
  readonly statuses = new Map<string, number>();
  readonly codes = new Map<string, number>();
  readonly latencies: number[] = [];

  add(status: number, latencyMs: number, code: string | undefined): void {
    this.requests++;
    if (status < 500) this.successes++;
    if (status === 429) this.rateLimited++;
    const k = String(status);
    this.statuses.set(k, (this.statuses.get(k) ?? 0) + 1);
    if (code !== undefined) this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
    this.latencies.push(latencyMs);
  }

  build(): RequestSummary {
    return {
      requests: this.requests,
      successes: this.successes,
      successRate: this.requests === 0 ? null : round6(this.successes / this.requests),
      rateLimited: this.rateLimited,
      statusCounts: sortedRecord(this.statuses),
      errorCodes: sortedRecord(this.codes),
      latency: latencyStats(sorted(this.latencies)),
    };
  }
}

/** Fractions at which CDF points are taken: every percent, then the tail in finer steps. */
const CDF_FRACTIONS: readonly number[] = (() => {
  const out: number[] = [];
  for (let k = 1; k <= 99; k++) out.push(k / 100);
  for (let k = 991; k <= 999; k++) out.push(k / 1000);
  out.push(0.9995, 0.9999, 1);
  return out;
})();

/** CDF points of ascending `s`: latency at each fraction (nearest rank), consecutive duplicates merged. */
export function cdfPoints(s: Float64Array): { latencyMs: number[]; fraction: number[] } {
  const latencyMs: number[] = [];
  const fraction: number[] = [];
  if (s.length === 0) return { latencyMs, fraction };
  for (const f of CDF_FRACTIONS) {
    const v = round3(percentile(s, f * 100));
    // The same latency at a higher fraction: keep only the highest (a CDF is a step function).
    if (latencyMs.length > 0 && latencyMs[latencyMs.length - 1] === v) fraction[fraction.length - 1] = f;
    else {
      latencyMs.push(v);
      fraction.push(f);
    }
  }
  return { latencyMs, fraction };
}

/** `a < b` ordering of strings, for sorts. */
export const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
