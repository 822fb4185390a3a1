/**
 * Outlier-detection settings and their compilation: the config type named after Envoy's
 * `OutlierDetection` fields, Envoy's defaults as data (`outlier_detection.proto`), and the
 * validated, frozen plan the detector in `outlier-detection.ts` runs on.
 */
import { IssueCollector } from '@switchyard/core';
import { bool, num, oneOf } from './internal/validate.js';

/**
 * Outlier-detection settings, named after Envoy's `OutlierDetection` fields (camelCase, `Ms`
 * for durations). Every field is optional; defaults are Envoy's.
 */
export interface OutlierDetectionConfig {
  /** Consecutive 5xx (and, unless split, local-origin errors mapped to 5xx) before ejection. Envoy default 5. */
  readonly consecutive5xx?: number;
  /** Consecutive 502/503/504 (and, unless split, connect errors and timeouts) before ejection. Envoy default 5. */
  readonly consecutiveGatewayFailure?: number;
  /** Consecutive local-origin failures before ejection; only used with `splitExternalLocalOriginErrors`. Envoy default 5. */
  readonly consecutiveLocalOriginFailure?: number;
  /** Sweep period: un-ejection, success-rate and failure-% analysis, multiplier decay. Envoy default 10 s. */
  readonly intervalMs?: number;
  /** Envoy default 30 s. */
  readonly baseEjectionTimeMs?: number;
  /** Envoy default `max(300 s, baseEjectionTimeMs)`; must be ≥ base. */
  readonly maxEjectionTimeMs?: number;
  /** A uniform integer in [0, jitter] ms added per ejection. Envoy default 0. */
  readonly maxEjectionTimeJitterMs?: number;
  /** Cap on ejected endpoints, percent of all endpoints. Envoy default 10. */
  readonly maxEjectionPercent?: number;
  /**
   * How the cap is applied:
   * - `'post-ejection'` (current Envoy, default): eject only if `100 × (ejected + 1) / hosts ≤ max`,
   *   so with 10 % and fewer than 10 endpoints nothing is ever ejected;
   * - `'current'` (gRPC A50, Envoy before #27909): stop only when `100 × ejected / hosts ≥ max`,
   *   so one ejection is always possible when the cap is above 0.
   */
  readonly maxEjectionPercentRule?: 'post-ejection' | 'current';
  /** Allow one ejection whatever the cap (Envoy `always_eject_one_host`). Default false. */
  readonly alwaysEjectOneHost?: boolean;
  /**
   * When the ejection multiplier decays: `'after-interval-since-unejection'` (Envoy, default:
   * once per sweep when the endpoint was un-ejected at least one interval ago) or
   * `'every-interval'` (gRPC A50: every sweep while not ejected).
   */
  readonly ejectionMultiplierDecay?: 'after-interval-since-unejection' | 'every-interval';
  /** % chance a consecutive-5xx detection ejects. Envoy default 100. */
  readonly enforcingConsecutive5xx?: number;
  /** % chance a consecutive-gateway-failure detection ejects. Envoy default **0** (detect only). */
  readonly enforcingConsecutiveGatewayFailure?: number;
  /** Envoy default 100. */
  readonly enforcingConsecutiveLocalOriginFailure?: number;
  /** Envoy default 100. */
  readonly enforcingSuccessRate?: number;
  /** Envoy default 100. */
  readonly enforcingLocalOriginSuccessRate?: number;
  /** Endpoints that must meet the volume for success-rate analysis to run. Envoy default 5. */
  readonly successRateMinimumHosts?: number;
  /** Requests an endpoint needs in the interval to be analysed. Envoy default 100. */
  readonly successRateRequestVolume?: number;
  /** Threshold = mean − (factor / 1000) × stdev. Envoy default 1900 (1.9 σ). */
  readonly successRateStdevFactor?: number;
  /** Eject when failure % ≥ this. Envoy default 85. */
  readonly failurePercentageThreshold?: number;
  /** Envoy default **0** (detect only). */
  readonly enforcingFailurePercentage?: number;
  /** Envoy default **0** (detect only). */
  readonly enforcingFailurePercentageLocalOrigin?: number;
  /** Envoy default 5. */
  readonly failurePercentageMinimumHosts?: number;
  /** Envoy default 50. */
  readonly failurePercentageRequestVolume?: number;
  /** Track local-origin errors (connect, timeout, reset) separately from HTTP statuses. Envoy default false. */
  readonly splitExternalLocalOriginErrors?: boolean;
  /** A passing active health check un-ejects the endpoint and clears its counters. Envoy default true. */
  readonly successfulActiveHealthCheckUnejectHost?: boolean;
}

/** A validated, frozen {@link OutlierDetectionConfig} with every default filled in. */
export type OutlierDetectionPlan = { readonly [K in keyof OutlierDetectionConfig]-?: Exclude<OutlierDetectionConfig[K], undefined> };

/**
 * Envoy's defaults (`outlier_detection.proto`), as data. `maxEjectionTimeMs` here is the value
 * for the default base (300 s); with a larger base it becomes the base.
 */
export const OUTLIER_DETECTION_DEFAULTS: OutlierDetectionPlan = Object.freeze({
  // Deliberately alike: gateway/src/internal/sample-configs.ts — that sample config sets every key (to these values); it is test data, not a second source of the defaults.
  consecutive5xx: 5,
  consecutiveGatewayFailure: 5,
  consecutiveLocalOriginFailure: 5,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionTimeJitterMs: 0,
  maxEjectionPercent: 10,
  maxEjectionPercentRule: 'post-ejection',
  alwaysEjectOneHost: false,
  ejectionMultiplierDecay: 'after-interval-since-unejection',
  enforcingConsecutive5xx: 100,
  enforcingConsecutiveGatewayFailure: 0,
  enforcingConsecutiveLocalOriginFailure: 100,
  enforcingSuccessRate: 100,
  enforcingLocalOriginSuccessRate: 100,
  successRateMinimumHosts: 5,
  successRateRequestVolume: 100,
  successRateStdevFactor: 1900,
  failurePercentageThreshold: 85,
  enforcingFailurePercentage: 0,
  enforcingFailurePercentageLocalOrigin: 0,
  failurePercentageMinimumHosts: 5,
  failurePercentageRequestVolume: 50,
  splitExternalLocalOriginErrors: false,
  successfulActiveHealthCheckUnejectHost: true,
});

/**
 * Validates `config` and returns a frozen plan with Envoy's defaults filled in. Throws a
 * `ConfigError` listing every problem (paths under `path`).
 *
 * @example
 * ```ts
 * import { compileOutlierDetection } from '@switchyard/health';
 * const plan = compileOutlierDetection({ consecutive5xx: 3, maxEjectionPercent: 50 });
 * plan.baseEjectionTimeMs; // 30000
 * ```
 */
export function compileOutlierDetection(config: OutlierDetectionConfig = {}, path = 'outlierDetection'): OutlierDetectionPlan {
  const issues = new IssueCollector();
  const c = config as Record<string, unknown>;
  const d = OUTLIER_DETECTION_DEFAULTS;
  const count = (k: keyof OutlierDetectionConfig & string, fb: number): number => num(issues, `${path}.${k}`, c[k], fb, { min: 0, integer: true });
  const pct = (k: keyof OutlierDetectionConfig & string, fb: number): number => num(issues, `${path}.${k}`, c[k], fb, { min: 0, max: 100 });
  const ms = (k: keyof OutlierDetectionConfig & string, fb: number, positive: boolean): number =>
    num(issues, `${path}.${k}`, c[k], fb, { min: 0, exclusiveMin: positive });
  const baseEjectionTimeMs = ms('baseEjectionTimeMs', d.baseEjectionTimeMs, true);
  const maxEjectionTimeMs = ms('maxEjectionTimeMs', Math.max(300_000, baseEjectionTimeMs), true);
  if (maxEjectionTimeMs < baseEjectionTimeMs) issues.add(`${path}.maxEjectionTimeMs`, `must be >= baseEjectionTimeMs (${baseEjectionTimeMs}), got ${maxEjectionTimeMs}`);
  const plan: OutlierDetectionPlan = {
    consecutive5xx: count('consecutive5xx', d.consecutive5xx),
    consecutiveGatewayFailure: count('consecutiveGatewayFailure', d.consecutiveGatewayFailure),
    consecutiveLocalOriginFailure: count('consecutiveLocalOriginFailure', d.consecutiveLocalOriginFailure),
    intervalMs: ms('intervalMs', d.intervalMs, true),
    baseEjectionTimeMs,
    maxEjectionTimeMs,
    maxEjectionTimeJitterMs: num(issues, `${path}.maxEjectionTimeJitterMs`, c['maxEjectionTimeJitterMs'], 0, { min: 0, integer: true }),
    maxEjectionPercent: pct('maxEjectionPercent', d.maxEjectionPercent),
    maxEjectionPercentRule: oneOf(issues, `${path}.maxEjectionPercentRule`, c['maxEjectionPercentRule'], ['post-ejection', 'current'], d.maxEjectionPercentRule),
    alwaysEjectOneHost: bool(issues, `${path}.alwaysEjectOneHost`, c['alwaysEjectOneHost'], d.alwaysEjectOneHost),
    ejectionMultiplierDecay: oneOf(
      issues,
      `${path}.ejectionMultiplierDecay`,
      c['ejectionMultiplierDecay'],
      ['after-interval-since-unejection', 'every-interval'],
      d.ejectionMultiplierDecay,
    ),
    enforcingConsecutive5xx: pct('enforcingConsecutive5xx', d.enforcingConsecutive5xx),
    enforcingConsecutiveGatewayFailure: pct('enforcingConsecutiveGatewayFailure', d.enforcingConsecutiveGatewayFailure),
    enforcingConsecutiveLocalOriginFailure: pct('enforcingConsecutiveLocalOriginFailure', d.enforcingConsecutiveLocalOriginFailure),
    enforcingSuccessRate: pct('enforcingSuccessRate', d.enforcingSuccessRate),
    enforcingLocalOriginSuccessRate: pct('enforcingLocalOriginSuccessRate', d.enforcingLocalOriginSuccessRate),
    successRateMinimumHosts: count('successRateMinimumHosts', d.successRateMinimumHosts),
    successRateRequestVolume: count('successRateRequestVolume', d.successRateRequestVolume),
    successRateStdevFactor: num(issues, `${path}.successRateStdevFactor`, c['successRateStdevFactor'], d.successRateStdevFactor, { min: 0 }),
    failurePercentageThreshold: pct('failurePercentageThreshold', d.failurePercentageThreshold),
    enforcingFailurePercentage: pct('enforcingFailurePercentage', d.enforcingFailurePercentage),
    enforcingFailurePercentageLocalOrigin: pct('enforcingFailurePercentageLocalOrigin', d.enforcingFailurePercentageLocalOrigin),
    failurePercentageMinimumHosts: count('failurePercentageMinimumHosts', d.failurePercentageMinimumHosts),
    failurePercentageRequestVolume: count('failurePercentageRequestVolume', d.failurePercentageRequestVolume),
    splitExternalLocalOriginErrors: bool(issues, `${path}.splitExternalLocalOriginErrors`, c['splitExternalLocalOriginErrors'], d.splitExternalLocalOriginErrors),
    successfulActiveHealthCheckUnejectHost: bool(
      issues,
      `${path}.successfulActiveHealthCheckUnejectHost`,
      c['successfulActiveHealthCheckUnejectHost'],
      d.successfulActiveHealthCheckUnejectHost,
    ),
  };
  for (const k of Object.keys(c)) if (!(k in d)) issues.add(`${path}.${k}`, 'unknown field');
  issues.throwIfAny();
  return Object.freeze(plan);
}
