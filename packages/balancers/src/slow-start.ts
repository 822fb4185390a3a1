/**
 * Slow start (Envoy `SlowStartConfig`): the weight ramp of an endpoint that joined or became
 * eligible again.
 */

import { invalid } from './internal/common.js';

/**
 * Slow start (Envoy `SlowStartConfig`, `load_balancing/slow_start.rst`): an endpoint that
 * joined, or became eligible again, ramps its weight up over a window instead of taking its
 * full share at once (cold caches, JIT warm-up).
 *
 *     new_weight  = weight × max(min_weight_percent / 100, time_factor ^ (1 / aggression))
 *     time_factor = max(time_since_start_s, 1) / slow_start_window_s
 *
 * Used by {@link weightedRoundRobin} and {@link leastRequest}, as in Envoy.
 */

/** Slow-start options, named as Envoy's. */
export interface SlowStartConfig {
  /** Ramp-up window in ms (Envoy `slow_start_window`). Required: no window, no slow start. */
  readonly slowStartWindowMs: number;
  /** Curve shape (Envoy `aggression`, default 1.0 = linear; > 1 ramps faster early). Must be > 0. */
  readonly aggression?: number;
  /** Floor of the scaled weight in percent (Envoy `min_weight_percent`, default 10). */
  readonly minWeightPercent?: number;
}

/**
 * The weight of an endpoint `elapsedMs` after it entered slow start: Envoy's formula above,
 * or `weight` once the window has elapsed.
 *
 * @example
 * ```ts
 * import { slowStartWeight } from '@switchyard/balancers';
 * slowStartWeight(10, 3_000, { slowStartWindowMs: 60_000 });  // 1   (max(0.1, 0.05) × 10)
 * slowStartWeight(10, 30_000, { slowStartWindowMs: 60_000 }); // 5
 * ```
 */
export function slowStartWeight(weight: number, elapsedMs: number, config: SlowStartConfig): number {
  const window = config.slowStartWindowMs;
  if (!(window > 0) || elapsedMs >= window) return weight;
  const aggression = config.aggression ?? 1;
  const min = (config.minWeightPercent ?? 10) / 100;
  const timeFactor = Math.max(elapsedMs / 1000, 1) / (window / 1000);
  return weight * Math.max(min, Math.pow(timeFactor, 1 / aggression));
}

/** Validates a slow-start config; throws `ConfigError` on nonsense. */
export function checkSlowStart(config: SlowStartConfig | undefined): void {
  if (config === undefined) return;
  if (!(config.slowStartWindowMs > 0)) invalid('slowStart.slowStartWindowMs', 'must be > 0');
  if (config.aggression !== undefined && !(config.aggression > 0)) invalid('slowStart.aggression', 'must be > 0');
  const m = config.minWeightPercent;
  if (m !== undefined && !(m >= 0 && m <= 100)) invalid('slowStart.minWeightPercent', 'must be in [0, 100]');
}
