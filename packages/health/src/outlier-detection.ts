/**
 * Passive health checking: Envoy outlier detection, exactly.
 *
 * Source: Envoy `source/common/upstream/outlier_detection_impl.cc` and
 * `envoy/config/cluster/v3/outlier_detection.proto` (defaults), with the gRPC A50 variants
 * (`maxEjectionPercentRule: 'current'`, `ejectionMultiplierDecay: 'every-interval'`) as options.
 *
 * - Consecutive 5xx / gateway-failure / local-origin detectors run inline on each outcome:
 *   ejection is attempted when a counter becomes exactly its threshold, then the counter resets.
 * - Success-rate and failure-percentage detectors run on each interval sweep over the previous
 *   interval's counts (double-buffered), with the population standard deviation.
 * - An ejection lasts `min(base × k, max) + jitter`, and un-ejection happens only on sweeps.
 *
 * The sweep is lazy: there is no timer. {@link advanceOutlierDetection} (called by
 * {@link observeOutcome} and by the wrapper's `eligible(now)`) runs every sweep that fell due
 * since the last call, each at its exact instant `start + n × interval`, so results are the
 * same as with Envoy's interval timer. A gateway that wants `unejected` events on time can arm
 * one timer at {@link OutlierState.nextSweepAt}.
 */
import { IssueCollector, chance, isLocalOrigin, randomInt, type Endpoint, type Outcome, type Rng } from '@switchyard/core';
import type { HealthEventSink, OutlierDetectorKind } from './events.js';
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

// Deliberately alike: gateway/src/internal/sample-configs.ts — the gateway's schema seed spells these keys out as config.
/**
 * Envoy's defaults (`outlier_detection.proto`), as data. `maxEjectionTimeMs` here is the value
 * for the default base (300 s); with a larger base it becomes the base.
 */
export const OUTLIER_DETECTION_DEFAULTS: OutlierDetectionPlan = Object.freeze({
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

/** Per-endpoint outlier state (Envoy's `DetectorHostMonitorImpl`). Plain data. */
export interface OutlierHostState {
  readonly endpoint: Endpoint;
  ejected: boolean;
  consecutive5xx: number;
  consecutiveGatewayFailure: number;
  consecutiveLocalOriginFailure: number;
  /** External-origin (HTTP status) counts: this interval, and the interval before the last sweep. */
  extTotal: number;
  extSuccess: number;
  extPrevTotal: number;
  extPrevSuccess: number;
  /** Local-origin counts (only kept in split mode). */
  localTotal: number;
  localSuccess: number;
  localPrevTotal: number;
  localPrevSuccess: number;
  /** Ejection-time multiplier `k` (Envoy `ejectTimeBackoff`). */
  multiplier: number;
  numEjections: number;
  lastEjectionAt: number | null;
  lastUnejectionAt: number | null;
  jitterMs: number;
}

/** Outlier state of one upstream group: plain data, mutated only by this module's functions. */
export interface OutlierState {
  /** By endpoint id, in endpoint order. */
  readonly hosts: Map<string, OutlierHostState>;
  activeEjections: number;
  /** Monotonic time of the next sweep. */
  nextSweepAt: number;
  /** Non-ejected endpoints in order; rebuilt lazily after an ejection change. */
  eligibleCache: readonly Endpoint[] | null;
}

function newHost(endpoint: Endpoint): OutlierHostState {
  return {
    endpoint,
    ejected: false,
    consecutive5xx: 0,
    consecutiveGatewayFailure: 0,
    consecutiveLocalOriginFailure: 0,
    extTotal: 0,
    extSuccess: 0,
    extPrevTotal: 0,
    extPrevSuccess: 0,
    localTotal: 0,
    localSuccess: 0,
    localPrevTotal: 0,
    localPrevSuccess: 0,
    multiplier: 0,
    numEjections: 0,
    lastEjectionAt: null,
    lastUnejectionAt: null,
    jitterMs: 0,
  };
}

/**
 * Creates outlier state for `endpoints`; the first sweep falls at `now + intervalMs`.
 *
 * @example
 * ```ts
 * import { createEndpoint } from '@switchyard/core';
 * import { compileOutlierDetection, createOutlierState } from '@switchyard/health';
 * const plan = compileOutlierDetection();
 * const state = createOutlierState(plan, [createEndpoint({ url: 'http://10.0.0.1:80' })], 0);
 * ```
 */
export function createOutlierState(plan: OutlierDetectionPlan, endpoints: readonly Endpoint[], now: number): OutlierState {
  const hosts = new Map<string, OutlierHostState>();
  for (const e of endpoints) if (!hosts.has(e.id)) hosts.set(e.id, newHost(e));
  return { hosts, activeEjections: 0, nextSweepAt: now + plan.intervalMs, eligibleCache: null };
}

/**
 * Replaces the endpoint set, keeping the state (counters, ejection, multiplier) of endpoints
 * that stay (by `id`). Removed endpoints that were ejected release their share of the cap.
 */
export function updateOutlierEndpoints(state: OutlierState, endpoints: readonly Endpoint[], now: number, sink?: HealthEventSink): void {
  const old = new Map(state.hosts);
  state.hosts.clear();
  for (const e of endpoints) {
    if (state.hosts.has(e.id)) continue;
    const kept = old.get(e.id);
    if (kept !== undefined) {
      old.delete(e.id);
      state.hosts.set(e.id, kept.endpoint === e ? kept : { ...kept, endpoint: e });
    } else state.hosts.set(e.id, newHost(e));
  }
  for (const gone of old.values()) {
    if (gone.ejected) {
      state.activeEjections--;
      sink?.({ kind: 'unejected', endpointId: gone.endpoint.id, at: now, ejectedForMs: now - (gone.lastEjectionAt ?? now), cause: 'removed' });
    }
  }
  state.eligibleCache = null;
}

/**
 * Records one outcome: runs any sweep that fell due before `outcome.at`, updates the counters
 * and runs the inline (consecutive) detectors. `canceled` errors are ignored, as Envoy ignores
 * requests it abandoned itself.
 *
 * Gotcha: outcomes must be fed in time order (`outcome.at` never decreasing).
 *
 * @example
 * ```ts
 * observeOutcome(plan, state, { kind: 'response', endpoint, status: 503, latencyMs: 4, at: clock.now() }, rng, (e) => log(e));
 * ```
 */
export function observeOutcome(plan: OutlierDetectionPlan, state: OutlierState, outcome: Outcome, rng: Rng, sink?: HealthEventSink): void {
  const now = outcome.at;
  if (now >= state.nextSweepAt) advanceOutlierDetection(plan, state, now, rng, sink);
  const host = state.hosts.get(outcome.endpoint.id);
  if (host === undefined) return;
  if (outcome.kind === 'response') {
    if (plan.splitExternalLocalOriginErrors) localOriginNoFailure(host);
    putHttpResponseCode(plan, state, host, outcome.status, now, rng, sink);
    return;
  }
  if (isLocalOrigin(outcome.error)) return;
  if (plan.splitExternalLocalOriginErrors) {
    host.localTotal++;
    if (++host.consecutiveLocalOriginFailure === plan.consecutiveLocalOriginFailure) {
      onConsecutiveError(plan, state, host, 'consecutive-local-origin-failure', now, rng, sink);
    }
    return;
  }
  // Non-split mode maps local-origin results to HTTP codes (Envoy `resultToHttpCode`):
  // timeout → 504; connect failure and reset (reported as LocalOriginConnectFailed) → 503.
  putHttpResponseCode(plan, state, host, outcome.error === 'timeout' ? 504 : 503, now, rng, sink);
}

function localOriginNoFailure(host: OutlierHostState): void {
  host.localTotal++;
  host.localSuccess++;
  host.consecutiveLocalOriginFailure = 0;
}

function putHttpResponseCode(
  plan: OutlierDetectionPlan,
  state: OutlierState,
  host: OutlierHostState,
  status: number,
  now: number,
  rng: Rng,
  sink: HealthEventSink | undefined,
): void {
  host.extTotal++;
  if (status >= 500 && status < 600) {
    if (status === 502 || status === 503 || status === 504) {
      if (++host.consecutiveGatewayFailure === plan.consecutiveGatewayFailure) {
        onConsecutiveError(plan, state, host, 'consecutive-gateway-failure', now, rng, sink);
      }
    } else {
      host.consecutiveGatewayFailure = 0;
    }
    if (++host.consecutive5xx === plan.consecutive5xx) onConsecutiveError(plan, state, host, 'consecutive-5xx', now, rng, sink);
  } else {
    host.extSuccess++;
    host.consecutive5xx = 0;
    host.consecutiveGatewayFailure = 0;
  }
}

function onConsecutiveError(
  plan: OutlierDetectionPlan,
  state: OutlierState,
  host: OutlierHostState,
  detector: OutlierDetectorKind,
  now: number,
  rng: Rng,
  sink: HealthEventSink | undefined,
): void {
  // Envoy `onConsecutiveErrorWorker`: an already-ejected host is left alone (its counter keeps
  // climbing past the threshold and is reset on un-ejection); otherwise reset, then try.
  if (host.ejected) return;
  if (detector === 'consecutive-5xx') host.consecutive5xx = 0;
  else if (detector === 'consecutive-gateway-failure') host.consecutiveGatewayFailure = 0;
  else host.consecutiveLocalOriginFailure = 0;
  ejectHost(plan, state, host, detector, now, rng, sink);
}

// Deliberately alike: gateway/src/error-format/templates.ts (valueOf) — a switch of one field per case; only the shape is shared.
function enforcingPercent(plan: OutlierDetectionPlan, detector: OutlierDetectorKind): number {
  switch (detector) {
    case 'consecutive-5xx':
      return plan.enforcingConsecutive5xx;
    case 'consecutive-gateway-failure':
      return plan.enforcingConsecutiveGatewayFailure;
    case 'consecutive-local-origin-failure':
      return plan.enforcingConsecutiveLocalOriginFailure;
    case 'success-rate':
      return plan.enforcingSuccessRate;
    case 'success-rate-local-origin':
      return plan.enforcingLocalOriginSuccessRate;
    case 'failure-percentage':
      return plan.enforcingFailurePercentage;
    case 'failure-percentage-local-origin':
      return plan.enforcingFailurePercentageLocalOrigin;
  }
}

/** Whether the cap allows one more ejection now (Envoy `ejectHost` step 1–2, or the gRPC rule). */
function capAllows(plan: OutlierDetectionPlan, state: OutlierState): boolean {
  const total = state.hosts.size;
  if (total === 0) return false;
  if (plan.alwaysEjectOneHost && state.activeEjections === 0) return true;
  if (plan.maxEjectionPercentRule === 'post-ejection') return (100 * (state.activeEjections + 1)) / total <= plan.maxEjectionPercent;
  return (100 * state.activeEjections) / total < plan.maxEjectionPercent;
}

/** The ejection time an endpoint with multiplier `k` serves, without jitter: `min(base × k, max)`. */
export function ejectionTimeMs(plan: OutlierDetectionPlan, multiplier: number): number {
  return Math.min(plan.baseEjectionTimeMs * multiplier, plan.maxEjectionTimeMs);
}

function ejectHost(
  plan: OutlierDetectionPlan,
  state: OutlierState,
  host: OutlierHostState,
  detector: OutlierDetectorKind,
  now: number,
  rng: Rng,
  sink: HealthEventSink | undefined,
): void {
  const endpointId = host.endpoint.id;
  if (!capAllows(plan, state)) {
    sink?.({ kind: 'ejection-overflow', endpointId, at: now, detector });
    return;
  }
  if (!chance(rng, enforcingPercent(plan, detector))) {
    sink?.({ kind: 'ejection-not-enforced', endpointId, at: now, detector });
    return;
  }
  state.activeEjections++;
  host.ejected = true;
  host.numEjections++;
  host.lastEjectionAt = now;
  host.jitterMs = plan.maxEjectionTimeJitterMs > 0 ? randomInt(rng, plan.maxEjectionTimeJitterMs + 1) : 0;
  // Envoy lets k grow while k × base < max + base, so k can exceed max/base by one; the
  // ejection time is capped at max anyway, and the extra step delays decay back to base.
  if (host.multiplier * plan.baseEjectionTimeMs < plan.maxEjectionTimeMs + plan.baseEjectionTimeMs) host.multiplier++;
  state.eligibleCache = null;
  sink?.({
    kind: 'ejected',
    endpointId,
    at: now,
    detector,
    ejectionTimeMs: ejectionTimeMs(plan, host.multiplier) + host.jitterMs,
    multiplier: host.multiplier,
  });
}

function unejectHost(state: OutlierState, host: OutlierHostState, now: number, cause: 'ejection-time-elapsed' | 'active-health-check', sink: HealthEventSink | undefined): void {
  state.activeEjections--;
  host.ejected = false;
  // Reset the counters so a few new errors do not re-eject at once (Envoy comment, same place).
  host.consecutive5xx = 0;
  host.consecutiveGatewayFailure = 0;
  host.consecutiveLocalOriginFailure = 0;
  host.lastUnejectionAt = now;
  state.eligibleCache = null;
  sink?.({ kind: 'unejected', endpointId: host.endpoint.id, at: now, ejectedForMs: now - (host.lastEjectionAt ?? now), cause });
}

/**
 * Runs every sweep due at or before `now`, each at its own instant. Cheap when none is due.
 * Call it before reading {@link eligibleEndpoints} (the wrapper does).
 */
export function advanceOutlierDetection(plan: OutlierDetectionPlan, state: OutlierState, now: number, rng: Rng, sink?: HealthEventSink): void {
  while (state.nextSweepAt <= now) {
    if (isQuiescent(state)) {
      // Nothing ejected, nothing to decay, no counts: every remaining due sweep is a no-op.
      const due = Math.floor((now - state.nextSweepAt) / plan.intervalMs);
      state.nextSweepAt += (due + 1) * plan.intervalMs;
      return;
    }
    sweep(plan, state, state.nextSweepAt, rng, sink);
    state.nextSweepAt += plan.intervalMs;
  }
}

function isQuiescent(state: OutlierState): boolean {
  if (state.activeEjections > 0) return false;
  for (const h of state.hosts.values()) {
    if (h.multiplier > 0 || h.extTotal > 0 || h.extPrevTotal > 0 || h.localTotal > 0 || h.localPrevTotal > 0) return false;
  }
  return true;
}

/** One interval sweep at time `now` (Envoy `onIntervalTimer`). Exposed for tests and for gateways that drive it from a timer. */
export function sweep(plan: OutlierDetectionPlan, state: OutlierState, now: number, rng: Rng, sink?: HealthEventSink): void {
  for (const host of state.hosts.values()) {
    if (!host.ejected) {
      if (host.multiplier > 0) {
        if (plan.ejectionMultiplierDecay === 'every-interval') host.multiplier--;
        else if (host.lastUnejectionAt !== null && now - host.lastUnejectionAt >= plan.intervalMs) host.multiplier--;
      }
    } else if (ejectionTimeMs(plan, host.multiplier) + host.jitterMs <= now - (host.lastEjectionAt ?? now)) {
      unejectHost(state, host, now, 'ejection-time-elapsed', sink);
    }
    host.extPrevTotal = host.extTotal;
    host.extPrevSuccess = host.extSuccess;
    host.extTotal = 0;
    host.extSuccess = 0;
    host.localPrevTotal = host.localTotal;
    host.localPrevSuccess = host.localSuccess;
    host.localTotal = 0;
    host.localSuccess = 0;
  }
  processSuccessRateEjections(plan, state, 'external', now, rng, sink);
  if (plan.splitExternalLocalOriginErrors) processSuccessRateEjections(plan, state, 'local', now, rng, sink);
}

/**
 * Envoy's success-rate threshold: `mean − factor × stdev` over the rates (percent), with the
 * population standard deviation. `{50, 100, 100, 100, 100}` with 1.9 → mean 90, stdev 20,
 * threshold 52.
 */
export function successRateEjectionThreshold(rates: readonly number[], stdevFactor: number): { mean: number; stdev: number; threshold: number } {
  let sum = 0;
  for (const r of rates) sum += r;
  const mean = sum / rates.length;
  let variance = 0;
  for (const r of rates) variance += (r - mean) * (r - mean);
  variance /= rates.length;
  const stdev = Math.sqrt(variance);
  return { mean, stdev, threshold: mean - stdevFactor * stdev };
}

function processSuccessRateEjections(
  plan: OutlierDetectionPlan,
  state: OutlierState,
  origin: 'external' | 'local',
  now: number,
  rng: Rng,
  sink: HealthEventSink | undefined,
): void {
  const size = state.hosts.size;
  if (size < plan.successRateMinimumHosts && size < plan.failurePercentageMinimumHosts) return;
  const srHosts: OutlierHostState[] = [];
  const srRates: number[] = [];
  const fpHosts: OutlierHostState[] = [];
  const fpRates: number[] = [];
  for (const host of state.hosts.values()) {
    if (host.ejected) continue;
    const total = origin === 'external' ? host.extPrevTotal : host.localPrevTotal;
    if (total === 0) continue;
    const rate = ((origin === 'external' ? host.extPrevSuccess : host.localPrevSuccess) * 100) / total;
    if (total >= plan.successRateRequestVolume) {
      srHosts.push(host);
      srRates.push(rate);
    }
    if (total >= plan.failurePercentageRequestVolume) {
      fpHosts.push(host);
      fpRates.push(rate);
    }
  }
  if (srHosts.length > 0 && srHosts.length >= plan.successRateMinimumHosts) {
    const { threshold } = successRateEjectionThreshold(srRates, plan.successRateStdevFactor / 1000);
    const detector = origin === 'external' ? 'success-rate' : 'success-rate-local-origin';
    for (let i = 0; i < srHosts.length; i++) {
      const host = srHosts[i] as OutlierHostState;
      if ((srRates[i] as number) < threshold && !host.ejected) ejectHost(plan, state, host, detector, now, rng, sink);
    }
  }
  if (fpHosts.length > 0 && fpHosts.length >= plan.failurePercentageMinimumHosts) {
    const detector = origin === 'external' ? 'failure-percentage' : 'failure-percentage-local-origin';
    for (let i = 0; i < fpHosts.length; i++) {
      const host = fpHosts[i] as OutlierHostState;
      if (100 - (fpRates[i] as number) >= plan.failurePercentageThreshold && !host.ejected) ejectHost(plan, state, host, detector, now, rng, sink);
    }
  }
}

/**
 * A successful active health check (the endpoint is healthy after it): un-ejects at once and
 * clears the counters, unless `successfulActiveHealthCheckUnejectHost` is false (Envoy wires
 * the same callback). Returns true if it un-ejected.
 */
export function onActiveHealthCheckHealthy(plan: OutlierDetectionPlan, state: OutlierState, endpointId: string, now: number, sink?: HealthEventSink): boolean {
  if (!plan.successfulActiveHealthCheckUnejectHost) return false;
  const host = state.hosts.get(endpointId);
  if (host === undefined || !host.ejected) return false;
  unejectHost(state, host, now, 'active-health-check', sink);
  return true;
}

/** Whether `endpointId` is currently ejected (as of the last sweep or outcome). */
export function isEjected(state: OutlierState, endpointId: string): boolean {
  return state.hosts.get(endpointId)?.ejected === true;
}

/**
 * The endpoints not ejected, in endpoint order: what the gateway hands the balancer (after
 * active health and panic, see {@link computeEligible}). The array is cached and shared until
 * the next ejection change: do not mutate it. Call {@link advanceOutlierDetection} first.
 */
export function eligibleEndpoints(state: OutlierState): readonly Endpoint[] {
  if (state.eligibleCache !== null) return state.eligibleCache;
  const out: Endpoint[] = [];
  for (const h of state.hosts.values()) if (!h.ejected) out.push(h.endpoint);
  state.eligibleCache = Object.freeze(out);
  return state.eligibleCache;
}

/** The stateful wrapper of {@link createOutlierDetector}: one per upstream group. */
export interface OutlierDetector {
  readonly plan: OutlierDetectionPlan;
  /** The plain state (inspect it in tests and dashboards; mutate it only through these methods). */
  readonly state: OutlierState;
  /** Records one outcome (see {@link observeOutcome}). */
  observe(outcome: Outcome): void;
  /** Runs due sweeps, then returns the non-ejected endpoints (a cached, frozen array). */
  eligible(now: number): readonly Endpoint[];
  isEjected(endpointId: string): boolean;
  updateEndpoints(endpoints: readonly Endpoint[], now: number): void;
  /** Feed it each active-health-check result: a pass on a healthy endpoint un-ejects it. */
  onHealthCheck(endpointId: string, healthy: boolean, now: number): void;
}

/**
 * Outlier detection for one upstream group: compiles `config` (Envoy defaults), keeps the state,
 * and pushes {@link HealthEvent}s to `sink`. No timers: sweeps run lazily from the `now`
 * passed in.
 *
 * Gotcha: with Envoy's defaults (`maxEjectionPercent: 10`, post-ejection rule) a group of fewer
 * than 10 endpoints never ejects anything; raise the cap or set `alwaysEjectOneHost`.
 *
 * @example
 * ```ts
 * import { createEndpoint, systemRng } from '@switchyard/core';
 * import { createOutlierDetector } from '@switchyard/health';
 * const endpoints = ['a', 'b', 'c'].map((h) => createEndpoint({ url: `http://${h}:80` }));
 * const od = createOutlierDetector({ endpoints, now: 0, rng: systemRng, config: { maxEjectionPercent: 50 }, sink: console.log });
 * for (let i = 0; i < 5; i++) od.observe({ kind: 'response', endpoint: endpoints[0]!, status: 503, latencyMs: 1, at: 100 + i });
 * od.eligible(200).map((e) => e.id); // ['http://b:80', 'http://c:80']
 * ```
 */
export function createOutlierDetector(options: {
  readonly endpoints: readonly Endpoint[];
  readonly now: number;
  readonly rng: Rng;
  readonly config?: OutlierDetectionConfig;
  readonly sink?: HealthEventSink;
}): OutlierDetector {
  const plan = compileOutlierDetection(options.config);
  const state = createOutlierState(plan, options.endpoints, options.now);
  const { rng, sink } = options;
  return {
    plan,
    state,
    observe: (outcome) => observeOutcome(plan, state, outcome, rng, sink),
    eligible(now) {
      if (now >= state.nextSweepAt) advanceOutlierDetection(plan, state, now, rng, sink);
      return eligibleEndpoints(state);
    },
    isEjected: (id) => isEjected(state, id),
    updateEndpoints: (endpoints, now) => updateOutlierEndpoints(state, endpoints, now, sink),
    onHealthCheck(id, healthy, now) {
      if (now >= state.nextSweepAt) advanceOutlierDetection(plan, state, now, rng, sink);
      if (healthy) onActiveHealthCheckHealthy(plan, state, id, now, sink);
    },
  };
}
