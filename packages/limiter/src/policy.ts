/**
 * Rate policies: what a bucket or window allows, compiled once into frozen plain data.
 *
 * Token-bucket options use Envoy's names (`envoy/type/v3/token_bucket.proto`: `max_tokens`,
 * `tokens_per_fill`, `fill_interval`, with `fill_interval ≥ 50 ms` as Envoy's code enforces).
 * GCRA takes the same three numbers (Linkerd's `requestsPerSecond` with its fixed 1 s
 * tolerance is `gcra({ maxTokens: rps, tokensPerFill: rps, fillIntervalMs: 1000 })`).
 */
import { IssueCollector } from '@switchyard/core';

/** Which algorithm a policy runs. `token-bucket` and `gcra` make the same decisions. */
export type RateAlgorithm = 'token-bucket' | 'gcra' | 'sliding-window';

/**
 * A compiled, frozen rate policy. Build one with {@link tokenBucket}, {@link gcra} or
 * {@link slidingWindow}; never construct it by hand.
 */
export interface RatePolicy {
  /** Stable id: the store keys state by limiter namespace + policy id (+ client key). */
  readonly id: string;
  readonly algorithm: RateAlgorithm;
  /** Bucket capacity (also the initial content: buckets start full), or the window's limit. */
  readonly maxTokens: number;
  /** Tokens added per `fillIntervalMs` (continuous: fractional tokens accrue). */
  readonly tokensPerFill: number;
  readonly fillIntervalMs: number;
  /**
   * The quota window advertised in `RateLimit-Policy` (`w`): for a bucket, the time to refill
   * from empty; for a sliding window, the window.
   */
  readonly windowMs: number;
  /** Refill rate in tokens per millisecond (limits are consumed slowest first). */
  readonly ratePerMs: number;
}

/** Options of {@link tokenBucket} and {@link gcra} (Envoy's `TokenBucket`). */
export interface TokenBucketOptions {
  /** Defaults to a name derived from the numbers, e.g. `tb:100/10/1000`. */
  readonly id?: string;
  /** Capacity and initial content (Envoy `max_tokens`, > 0). */
  readonly maxTokens: number;
  /** Tokens per fill (Envoy `tokens_per_fill`, default 1). */
  readonly tokensPerFill?: number;
  /** Fill interval in ms (Envoy `fill_interval`, ≥ 50). */
  readonly fillIntervalMs: number;
}

/** Options of {@link slidingWindow}. */
export interface SlidingWindowOptions {
  readonly id?: string;
  /** Requests (cost units) allowed per window. */
  readonly limit: number;
  /** Window length in ms (e.g. 60 000 for "per minute"). */
  readonly windowMs: number;
}

/**
 * A token bucket with Envoy's continuous refill (the current `AtomicTokenBucketImpl`: tokens
 * accrue at `tokensPerFill / fillIntervalMs`, fractions included; a request needs whole tokens).
 *
 * @example
 * ```ts
 * import { tokenBucket } from '@switchyard/limiter';
 * // 100 requests per second, bursts of up to 200.
 * const policy = tokenBucket({ maxTokens: 200, tokensPerFill: 100, fillIntervalMs: 1000 });
 * ```
 * @throws ConfigError listing every invalid number.
 */
export function tokenBucket(options: TokenBucketOptions): RatePolicy {
  return bucketPolicy('token-bucket', 'tb', options);
}

/**
 * The Generic Cell Rate Algorithm (ATM Forum TM 4.0; Linkerd's local rate limit): one
 * timestamp per key (the theoretical arrival time) instead of a token count. Same options
 * and the same decisions as {@link tokenBucket}; pick it for the smaller state.
 *
 * @example
 * ```ts
 * import { gcra } from '@switchyard/limiter';
 * // Linkerd's `requestsPerSecond: 50` (tolerance 1 s).
 * const policy = gcra({ maxTokens: 50, tokensPerFill: 50, fillIntervalMs: 1000 });
 * ```
 */
export function gcra(options: TokenBucketOptions): RatePolicy {
  return bucketPolicy('gcra', 'gcra', options);
}

/**
 * A sliding-window counter (Cloudflare's approximation: the previous window's count weighted
 * by how much of it still overlaps, plus the current count). For users who think in
 * "N per minute"; unlike a fixed window it does not let 2×N through around a boundary.
 * Gotcha: it is an estimate, so a request can be refused slightly early; it assumes requests
 * in the previous window were spread evenly.
 *
 * @example
 * ```ts
 * import { slidingWindow } from '@switchyard/limiter';
 * const perMinute = slidingWindow({ limit: 100, windowMs: 60_000 });
 * ```
 */
export function slidingWindow(options: SlidingWindowOptions): RatePolicy {
  const issues = new IssueCollector();
  positive(issues, 'limit', options.limit);
  positive(issues, 'windowMs', options.windowMs);
  if (options.id !== undefined && options.id === '') issues.add('id', 'must not be empty');
  issues.throwIfAny();
  return Object.freeze({
    id: options.id ?? `sw:${options.limit}/${options.windowMs}`,
    algorithm: 'sliding-window',
    maxTokens: options.limit,
    tokensPerFill: options.limit,
    fillIntervalMs: options.windowMs,
    windowMs: options.windowMs,
    ratePerMs: options.limit / options.windowMs,
  });
}

function bucketPolicy(algorithm: 'token-bucket' | 'gcra', prefix: string, o: TokenBucketOptions): RatePolicy {
  const issues = new IssueCollector();
  const tokensPerFill = o.tokensPerFill ?? 1;
  positive(issues, 'maxTokens', o.maxTokens);
  positive(issues, 'tokensPerFill', tokensPerFill);
  if (!(Number.isFinite(o.fillIntervalMs) && o.fillIntervalMs >= 50)) issues.add('fillIntervalMs', 'must be a number >= 50 (Envoy enforces 50 ms)');
  if (o.id !== undefined && o.id === '') issues.add('id', 'must not be empty');
  issues.throwIfAny();
  return Object.freeze({
    id: o.id ?? `${prefix}:${o.maxTokens}/${tokensPerFill}/${o.fillIntervalMs}`,
    algorithm,
    maxTokens: o.maxTokens,
    tokensPerFill,
    fillIntervalMs: o.fillIntervalMs,
    windowMs: (o.maxTokens * o.fillIntervalMs) / tokensPerFill,
    ratePerMs: tokensPerFill / o.fillIntervalMs,
  });
}

function positive(issues: IssueCollector, path: string, n: number): void {
  if (!(Number.isFinite(n) && n > 0)) issues.add(path, 'must be a finite number > 0');
}
