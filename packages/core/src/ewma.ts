/**
 * The time-weighted exponentially weighted moving average (Finagle and Linkerd `PeakEwma` style).
 */

/**
 * An exponentially weighted moving average whose weight depends on elapsed time, not on
 * the number of samples (Finagle / Linkerd `PeakEwma` style):
 *
 *     w = exp(-Δt / τ);  value = value·w + sample·(1 − w)
 *
 * The timestamp is an argument and reads never mutate (tower's rule), so decay is computed
 * lazily and a test clock drives it. Two samples at the same instant keep the first (Δt = 0
 * gives w = 1), as in Linkerd. The result always lies between the smallest and largest
 * sample observed.
 *
 * @example
 * ```ts
 * import { createEwma, observeEwma } from '@switchyard/core';
 * const e = createEwma();
 * observeEwma(e, 20, 0, 10_000);      // first sample primes it: 20
 * observeEwma(e, 100, 10_000, 10_000); // one τ later: 20·e⁻¹ + 100·(1 − e⁻¹) ≈ 70.6
 * ```
 */
export interface EwmaState {
  value: number;
  /** Monotonic time of the last sample. */
  updatedAt: number;
  /** False until the first sample. */
  primed: boolean;
}

/** A new, unprimed EWMA (reads return `initial` until the first sample). */
export function createEwma(initial = 0, now = 0): EwmaState {
  return { value: initial, updatedAt: now, primed: false };
}

/** Folds `sample` observed at `now` into `state` (mutates `state`). `tauMs` must be > 0. */
export function observeEwma(state: EwmaState, sample: number, now: number, tauMs: number): void {
  if (!state.primed) {
    state.value = sample;
    state.updatedAt = now;
    state.primed = true;
    return;
  }
  const dt = now - state.updatedAt;
  if (dt <= 0) return;
  const w = Math.exp(-dt / tauMs);
  state.value = state.value * w + sample * (1 - w);
  state.updatedAt = now;
}

/**
 * The value as of `now` if it had decayed toward `target` since the last sample (Linkerd's
 * idle decay toward 0 uses target 0). Does not mutate.
 */
export function decayedEwma(state: EwmaState, now: number, tauMs: number, target: number): number {
  const dt = now - state.updatedAt;
  if (dt <= 0) return state.value;
  const w = Math.exp(-dt / tauMs);
  return state.value * w + target * (1 - w);
}
