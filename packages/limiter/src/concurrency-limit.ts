/**
 * Adaptive concurrency limits, after Netflix's concurrency-limits library
 * (github.com/Netflix/concurrency-limits): the limit on requests in flight is learnt from
 * latency and drops instead of configured.
 *
 * - {@link aimdLimit}: `AIMDLimit` — +1 when a sample succeeds while the limit is in use,
 *   × `backoffRatio` on a drop or a timeout (TCP Reno's additive increase, multiplicative decrease).
 * - {@link gradientLimit}: `Gradient2Limit` — compares a short-term RTT with a long-term
 *   exponential average: `gradient = clamp(tolerance × longRtt / shortRtt, 0.5, 1)`,
 *   `newLimit = limit × gradient + queueSize`, smoothed.
 * - {@link vegasLimit}: `VegasLimit` (TCP Vegas, Brakmo & Peterson 1994) — estimates the
 *   queue as `limit × (1 − rttNoLoad / rtt)` and grows or shrinks by log10(limit) around
 *   thresholds α = 3·log10(limit) and β = 6·log10(limit).
 *
 * {@link createConcurrencyLimiter} enforces the learnt limit with priority classes: each
 * class may fill the limit up to its own share, so `sheddable` is refused first and
 * `critical` last.
 */

/** One observation of a finished request. */
export interface LimitSample {
  readonly rttMs: number;
  /** Requests in flight when it started (itself included). */
  readonly inflight: number;
  /** True for an overload signal: a drop, a 503/429 from upstream, a timeout. */
  readonly dropped: boolean;
}

/** A limit algorithm: holds its state and updates on each sample. */
export interface LimitAlgorithm {
  readonly limit: number;
  onSample(sample: LimitSample): void;
}

/** Options of {@link aimdLimit} (Netflix `AIMDLimit` defaults). */
export interface AimdOptions {
  readonly initialLimit?: number;
  readonly minLimit?: number;
  readonly maxLimit?: number;
  /** Multiplier on a drop (default 0.9, in [0.5, 1)). */
  readonly backoffRatio?: number;
  /** A sample slower than this counts as a drop (default Infinity). */
  readonly timeoutMs?: number;
}

/** Additive increase, multiplicative decrease. @example `aimdLimit({ initialLimit: 20, maxLimit: 200 })` */
export function aimdLimit(o: AimdOptions = {}): LimitAlgorithm {
  const min = o.minLimit ?? 1;
  const max = o.maxLimit ?? 200;
  const ratio = Math.min(0.99, Math.max(0.5, o.backoffRatio ?? 0.9));
  const timeout = o.timeoutMs ?? Infinity;
  let limit = clamp(o.initialLimit ?? 20, min, max);
  return {
    get limit() {
      return limit;
    },
    onSample(s) {
      if (s.dropped || s.rttMs > timeout) limit = clamp(Math.floor(limit * ratio), min, max);
      // Grow only when the limit is actually being used (Netflix: inflight × 2 ≥ limit).
      else if (s.inflight * 2 >= limit) limit = clamp(limit + 1, min, max);
    },
  };
}

/** Options of {@link gradientLimit} (Netflix `Gradient2Limit` defaults). */
export interface GradientOptions {
  readonly initialLimit?: number;
  readonly minLimit?: number;
  readonly maxLimit?: number;
  /** Extra requests allowed to queue (default 4). */
  readonly queueSize?: number;
  /** How much slower than the long-term RTT is tolerated before shrinking (default 1.5). */
  readonly rttTolerance?: number;
  /** Weight of each new limit (default 0.2). */
  readonly smoothing?: number;
  /** Samples in the long-term RTT average (default 600). */
  readonly longWindow?: number;
}

/** A gradient limit: shrinks as latency rises above its long-term average. */
export function gradientLimit(o: GradientOptions = {}): LimitAlgorithm {
  // Deliberately alike: vegasLimit below — two Netflix concurrency-limits algorithms (Gradient2, Vegas) with their own defaults and state; only the options' shape and the clamp setup are alike, and clamp is shared
  const min = o.minLimit ?? 20;
  const max = o.maxLimit ?? 200;
  const queue = o.queueSize ?? 4;
  const tolerance = Math.max(1, o.rttTolerance ?? 1.5);
  const smoothing = o.smoothing ?? 0.2;
  const alpha = 2 / ((o.longWindow ?? 600) + 1);
  let limit = clamp(o.initialLimit ?? 20, min, max);
  let longRtt = 0;
  let samples = 0;
  return {
    get limit() {
      return limit;
    },
    onSample(s) {
      const shortRtt = s.rttMs;
      samples++;
      // Warm-up: a plain mean for the first samples, then an EWMA.
      longRtt = samples <= 10 ? longRtt + (shortRtt - longRtt) / samples : longRtt + alpha * (shortRtt - longRtt);
      // Recover quickly after a latency step down (Gradient2's drift correction).
      if (longRtt / shortRtt > 2) longRtt *= 0.95;
      // App-limited: not enough load to learn anything.
      if (s.inflight < limit / 2 && !s.dropped) return;
      const gradient = Math.max(0.5, Math.min(1, (tolerance * longRtt) / Math.max(shortRtt, 1e-9)));
      let next = limit * gradient + queue;
      if (s.dropped) next = limit * 0.5 + queue;
      next = limit * (1 - smoothing) + next * smoothing;
      limit = clamp(next, min, max);
    },
  };
}

/** Options of {@link vegasLimit}. */
export interface VegasOptions {
  readonly initialLimit?: number;
  readonly minLimit?: number;
  readonly maxLimit?: number;
  readonly smoothing?: number;
}

/** A Vegas-style limit: the no-load RTT is the minimum seen; queueing above it shrinks the limit. */
export function vegasLimit(o: VegasOptions = {}): LimitAlgorithm {
  // Deliberately alike: gradientLimit above — two Netflix concurrency-limits algorithms (Vegas, Gradient2) with their own defaults and state; only the options' shape and the clamp setup are alike, and clamp is shared
  const min = o.minLimit ?? 1;
  const max = o.maxLimit ?? 1000;
  const smoothing = o.smoothing ?? 1;
  let limit = clamp(o.initialLimit ?? 20, min, max);
  let rttNoLoad = Infinity;
  return {
    get limit() {
      return limit;
    },
    onSample(s) {
      rttNoLoad = Math.min(rttNoLoad, s.rttMs);
      const log = Math.max(1, Math.log10(limit));
      let next: number;
      if (s.dropped) next = limit - log;
      else {
        if (s.inflight * 2 < limit) return;
        const queueEstimate = Math.ceil(limit * (1 - rttNoLoad / Math.max(s.rttMs, 1e-9)));
        const alpha = 3 * log;
        const beta = 6 * log;
        if (queueEstimate <= log) next = limit + beta;
        else if (queueEstimate < alpha) next = limit + log;
        else if (queueEstimate > beta) next = limit - log;
        else return;
      }
      limit = clamp(limit * (1 - smoothing) + next * smoothing, min, max);
    },
  };
}

/** Priority classes, shed in this order: `sheddable`, then `default`, then `critical`. */
export type Priority = 'critical' | 'default' | 'sheddable';

/** Options of {@link createConcurrencyLimiter}. */
export interface ConcurrencyLimiterOptions {
  readonly limit: LimitAlgorithm;
  /**
   * Share of the limit each class may fill (defaults: critical 1, default 0.9, sheddable 0.5).
   * When in-flight requests reach `limit × share`, that class is refused.
   */
  readonly shares?: Partial<Readonly<Record<Priority, number>>>;
}

/** A granted slot: call `release` exactly once when the request ends. */
export interface ConcurrencyPermit {
  readonly kind: 'acquired';
  /** `dropped`: an overload signal; `ignore`: the outcome says nothing about load (cancelled). */
  release(now: number, outcome: 'success' | 'dropped' | 'ignore'): void;
}

/** The request was refused (answer 503 or shed it). */
export interface ConcurrencyRefused {
  readonly kind: 'limited';
  readonly inflight: number;
  readonly limit: number;
  readonly priority: Priority;
}

/** An adaptive concurrency limiter. */
export interface ConcurrencyLimiter {
  acquire(now: number, priority?: Priority): ConcurrencyPermit | ConcurrencyRefused;
  readonly inflight: number;
  readonly limit: number;
}

/**
 * Creates a concurrency limiter around a limit algorithm.
 *
 * Gotcha: the limit is per process; it protects this instance's upstream share, which is
 * the point (each instance learns its own latency).
 *
 * @example
 * ```ts
 * import { createConcurrencyLimiter, gradientLimit } from '@switchyard/limiter';
 * import { systemClock } from '@switchyard/core';
 * const limiter = createConcurrencyLimiter({ limit: gradientLimit({ maxLimit: 500 }) });
 * const permit = limiter.acquire(systemClock.now(), 'sheddable');
 * if (permit.kind === 'limited') return { status: 503, headers: {}, body: null };
 * try { return await handle(req); permit.release(systemClock.now(), 'success'); }
 * catch (e) { permit.release(systemClock.now(), 'dropped'); throw e; }
 * ```
 */
export function createConcurrencyLimiter(options: ConcurrencyLimiterOptions): ConcurrencyLimiter {
  const algorithm = options.limit;
  const shares: Record<Priority, number> = { critical: 1, default: 0.9, sheddable: 0.5, ...options.shares };
  let inflight = 0;
  return {
    acquire(now, priority = 'default') {
      const limit = algorithm.limit;
      // Every class may have at least one request in flight, so nothing starves completely.
      const cap = Math.max(1, Math.floor(limit * shares[priority]));
      if (inflight >= cap) return { kind: 'limited', inflight, limit, priority };
      inflight++;
      const startedAt = now;
      const startInflight = inflight;
      let released = false;
      return {
        kind: 'acquired',
        release(at, outcome) {
          if (released) return;
          released = true;
          inflight--;
          if (outcome !== 'ignore') algorithm.onSample({ rttMs: at - startedAt, inflight: startInflight, dropped: outcome === 'dropped' });
        },
      };
    },
    get inflight() {
      return inflight;
    },
    get limit() {
      return algorithm.limit;
    },
  };
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
