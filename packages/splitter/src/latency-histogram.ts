/**
 * Latency histograms in fixed log-scale buckets: the mapping of DDSketch (Masson, Rim & Lee,
 * "DDSketch: a fast and fully-mergeable quantile sketch with relative-error guarantees",
 * VLDB 2019; reference implementation `@datadog/sketches-js`).
 *
 * A latency `x > 0` ms falls in bucket `i = ceil(log_γ x)`, `γ = (1 + α) / (1 − α)`, and the
 * bucket is represented by `2γ^i / (γ + 1)`. Every value in `(γ^(i−1), γ^i]` is within a
 * relative error `α` of that representative, so any rank-based quantile read from the
 * histogram is within `α` (here **1 %**) of the exact sample quantile, however many histograms
 * were merged. Buckets are fixed (they depend on nothing but `α`), so histograms from many
 * replicas and many time buckets merge by adding counts: exact, order-free, and what Redis
 * `HINCRBY` does. Values below {@link LATENCY_MIN_MS} share the lowest bucket.
 *
 * Plain JSON data: `{ count, buckets: { "<index>": count } }` (sparse: a lognormal latency with a
 * 10× spread fills about 120 buckets).
 *
 * Gotcha: `Math.log` is implementation-approximated, so a value lying exactly on a bucket
 * boundary may land in either neighbour on different runtimes; the error bound still holds.
 *
 * @packageDocumentation
 */

/** The relative accuracy α of every quantile read from a {@link LatencyHistogram}: 1 %. */
export const LATENCY_RELATIVE_ACCURACY = 0.01;
/** Smallest latency told apart, ms (smaller values, zero included, share its bucket). */
export const LATENCY_MIN_MS = 0.001;

const GAMMA = (1 + LATENCY_RELATIVE_ACCURACY) / (1 - LATENCY_RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
const MIN_INDEX = Math.ceil(Math.log(LATENCY_MIN_MS) / LOG_GAMMA);

/** A mergeable latency histogram. Plain, mutable data. */
export interface LatencyHistogram {
  /** Values recorded. */
  count: number;
  /** Bucket index → count (sparse). */
  buckets: Record<string, number>;
}

/**
 * An empty histogram.
 *
 * @example
 * ```ts
 * import { createLatencyHistogram } from '@switchyard/splitter';
 * createLatencyHistogram(); // { count: 0, buckets: {} }
 * ```
 */
export function createLatencyHistogram(): LatencyHistogram {
  return { count: 0, buckets: {} };
}

/**
 * The bucket index of a latency in ms (see the module doc).
 *
 * @example
 * ```ts
 * import { latencyBucket, latencyBucketValue } from '@switchyard/splitter';
 * latencyBucketValue(latencyBucket(100)); // ≈ 100, within 1 %
 * ```
 */
export function latencyBucket(latencyMs: number): number {
  if (!(latencyMs > LATENCY_MIN_MS)) return MIN_INDEX;
  return Math.ceil(Math.log(latencyMs) / LOG_GAMMA);
}

/** The representative latency of bucket `index` (within α of every value in it). */
export function latencyBucketValue(index: number): number {
  return (2 * Math.pow(GAMMA, index)) / (GAMMA + 1);
}

/** Records one latency. Mutates `h`. */
export function recordLatency(h: LatencyHistogram, latencyMs: number, count = 1): void {
  const k = latencyBucket(latencyMs);
  h.buckets[k] = (h.buckets[k] ?? 0) + count;
  h.count += count;
}

/**
 * Adds `from` into `into` (counts add: the merge of DDSketch). Mutates `into`.
 *
 * @example
 * ```ts
 * import { createLatencyHistogram, mergeLatency, recordLatency } from '@switchyard/splitter';
 * const a = createLatencyHistogram(); recordLatency(a, 10);
 * const b = createLatencyHistogram(); recordLatency(b, 10);
 * mergeLatency(a, b); a.count; // 2
 * ```
 */
export function mergeLatency(into: LatencyHistogram, from: Readonly<LatencyHistogram>): void {
  for (const k in from.buckets) {
    const n = from.buckets[k] as number;
    into.buckets[k] = (into.buckets[k] ?? 0) + n;
  }
  into.count += from.count;
}

/** The bucket indices present, ascending, with their counts. */
export function sortedBuckets(h: Readonly<LatencyHistogram>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const k in h.buckets) {
    const n = h.buckets[k] as number;
    if (n > 0) out.push([Number(k), n]);
  }
  return out.sort((x, y) => x[0] - y[0]);
}

/**
 * Nearest-rank quantile (`q` in (0, 1]) read from the histogram: within
 * {@link LATENCY_RELATIVE_ACCURACY} of the exact sample quantile; NaN when empty.
 *
 * @example
 * ```ts
 * import { createLatencyHistogram, latencyQuantile, recordLatency } from '@switchyard/splitter';
 * const h = createLatencyHistogram();
 * for (let i = 1; i <= 100; i++) recordLatency(h, i);
 * latencyQuantile(h, 0.99); // ≈ 99 (± 1 %)
 * ```
 */
export function latencyQuantile(h: Readonly<LatencyHistogram>, q: number): number {
  if (h.count <= 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * h.count));
  let seen = 0;
  const sorted = sortedBuckets(h);
  for (const [i, n] of sorted) {
    seen += n;
    if (seen >= rank) return latencyBucketValue(i);
  }
  return latencyBucketValue((sorted[sorted.length - 1] as [number, number])[0]);
}

/** How many recorded latencies lie in buckets above `latencyMs`'s bucket (clearly above it). */
export function countAbove(h: Readonly<LatencyHistogram>, latencyMs: number): number {
  const limit = latencyBucket(latencyMs);
  let n = 0;
  for (const k in h.buckets) if (Number(k) > limit) n += h.buckets[k] as number;
  return n;
}
