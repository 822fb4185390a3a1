/**
 * Latency distributions for the simulated fleet, drawn from an injected {@link Rng}.
 *
 * Normal deviates come from the Box–Muller transform (G. E. P. Box and M. E. Muller, "A Note
 * on the Generation of Random Normal Deviates", 1958); log-normal is `exp` of a normal;
 * bimodal is a two-component mixture (the "most requests are fast, some hit a slow path"
 * shape that tail-latency balancers such as Finagle's PeakEWMA are built for).
 */
import type { Rng } from '@switchyard/core';

/**
 * How long an endpoint takes to answer, in ms. A bare number is a constant.
 *
 * - `constant`: always `ms`.
 * - `normal`: mean `meanMs`, standard deviation `stdDevMs`, clamped below at `minMs` (default 0).
 * - `lognormal`: median `medianMs`, shape `sigma` (the standard deviation of `ln(latency)`:
 *   0.25 is tight, 1 is heavy-tailed; p99 ≈ median·e^(2.326·sigma)).
 * - `bimodal`: `slow` with probability `slowFraction`, else `fast`.
 * - `empirical`: one of `samplesMs` drawn uniformly (the empirical distribution of measured
 *   latencies, e.g. from an access log: a bootstrap resample).
 *
 * @example
 * ```ts
 * import type { LatencySpec } from '@switchyard/testing';
 * const tail: LatencySpec = { kind: 'bimodal', fast: { kind: 'lognormal', medianMs: 8, sigma: 0.3 }, slow: 250, slowFraction: 0.02 };
 * ```
 */
export type LatencySpec =
  | number
  | { readonly kind: 'constant'; readonly ms: number }
  | { readonly kind: 'normal'; readonly meanMs: number; readonly stdDevMs: number; readonly minMs?: number }
  | { readonly kind: 'lognormal'; readonly medianMs: number; readonly sigma: number }
  | { readonly kind: 'bimodal'; readonly fast: LatencySpec; readonly slow: LatencySpec; readonly slowFraction: number }
  | { readonly kind: 'empirical'; readonly samplesMs: readonly number[] };

/**
 * A standard normal deviate (mean 0, sd 1) by Box–Muller, consuming two draws of `rng`.
 *
 * @example
 * ```ts
 * import { seededRng, standardNormal } from '@switchyard/testing';
 * const z = standardNormal(seededRng(1));
 * ```
 */
export function standardNormal(rng: Rng): number {
  // 1 − u keeps the argument of log in (0, 1]: rng.next() may return 0, never 1.
  const u1 = 1 - rng.next();
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * Draws one latency in ms (never negative) from `spec`.
 *
 * @example
 * ```ts
 * import { sampleLatency, seededRng } from '@switchyard/testing';
 * sampleLatency({ kind: 'lognormal', medianMs: 20, sigma: 0.5 }, seededRng(7)); // ~20, right-skewed
 * ```
 */
export function sampleLatency(spec: LatencySpec, rng: Rng): number {
  if (typeof spec === 'number') return Math.max(0, spec);
  switch (spec.kind) {
    case 'constant':
      return Math.max(0, spec.ms);
    case 'normal':
      return Math.max(spec.minMs ?? 0, spec.meanMs + spec.stdDevMs * standardNormal(rng), 0);
    case 'lognormal':
      return spec.medianMs * Math.exp(spec.sigma * standardNormal(rng));
    case 'bimodal':
      return sampleLatency(rng.next() < spec.slowFraction ? spec.slow : spec.fast, rng);
    case 'empirical':
      return Math.max(0, spec.samplesMs[Math.floor(rng.next() * spec.samplesMs.length)] ?? 0);
  }
}

/** Appends a message per problem in `spec` to `out`, under `path`. */
export function validateLatency(spec: unknown, path: string, out: Array<{ path: string; message: string }>): void {
  const nonNeg = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (typeof spec === 'number') {
    if (!nonNeg(spec)) out.push({ path, message: 'must be a finite number >= 0' });
    return;
  }
  if (typeof spec !== 'object' || spec === null) {
    out.push({ path, message: 'must be a number or { kind: constant | normal | lognormal | bimodal | empirical, … }' });
    return;
  }
  const s = spec as Record<string, unknown>;
  switch (s['kind']) {
    case 'constant':
      if (!nonNeg(s['ms'])) out.push({ path: `${path}.ms`, message: 'must be a finite number >= 0' });
      return;
    case 'normal':
      if (!nonNeg(s['meanMs'])) out.push({ path: `${path}.meanMs`, message: 'must be a finite number >= 0' });
      if (!nonNeg(s['stdDevMs'])) out.push({ path: `${path}.stdDevMs`, message: 'must be a finite number >= 0' });
      if (s['minMs'] !== undefined && !nonNeg(s['minMs'])) out.push({ path: `${path}.minMs`, message: 'must be a finite number >= 0' });
      return;
    case 'lognormal':
      if (!nonNeg(s['medianMs'])) out.push({ path: `${path}.medianMs`, message: 'must be a finite number >= 0' });
      if (!nonNeg(s['sigma'])) out.push({ path: `${path}.sigma`, message: 'must be a finite number >= 0' });
      return;
    case 'bimodal': {
      const f = s['slowFraction'];
      if (typeof f !== 'number' || !(f >= 0 && f <= 1)) out.push({ path: `${path}.slowFraction`, message: 'must be a number in [0, 1]' });
      validateLatency(s['fast'], `${path}.fast`, out);
      validateLatency(s['slow'], `${path}.slow`, out);
      return;
    }
    case 'empirical': {
      const xs = s['samplesMs'];
      if (!Array.isArray(xs) || xs.length === 0) out.push({ path: `${path}.samplesMs`, message: 'must be a non-empty array of numbers >= 0' });
      else {
        const bad = xs.findIndex((x) => !nonNeg(x));
        if (bad >= 0) out.push({ path: `${path}.samplesMs[${bad}]`, message: 'must be a finite number >= 0' });
      }
      return;
    }
    default:
      out.push({ path: `${path}.kind`, message: `must be constant, normal, lognormal, bimodal or empirical, got ${JSON.stringify(s['kind'])}` });
  }
}
