/**
 * `@switchyard/health`: active health checking, Envoy-exact outlier detection and circuit
 * breaking, as plain state over an injected clock. No timers or emitters per endpoint.
 *
 * @packageDocumentation
 */
export type { HealthEvent, HealthEventSink, OutlierDetectorKind, HealthCheckFailureKind } from './events.js';
export type { OutlierDetectionConfig, OutlierDetectionPlan } from './outlier-detection-config.js';
export { OUTLIER_DETECTION_DEFAULTS, compileOutlierDetection } from './outlier-detection-config.js';
export type { OutlierHostState, OutlierState, OutlierDetector } from './outlier-detection.js';
export {
  createOutlierState,
  updateOutlierEndpoints,
  observeOutcome,
  advanceOutlierDetection,
  sweep,
  ejectionTimeMs,
  successRateEjectionThreshold,
  onActiveHealthCheckHealthy,
  isEjected,
  eligibleEndpoints,
  createOutlierDetector,
} from './outlier-detection.js';
export type { BreakerPolicy, CircuitBreakerConfig, CircuitBreakerPlan, CircuitBreakerState, BreakerDecision, CircuitBreaker } from './circuit-breaker.js';
export {
  compileCircuitBreaker,
  createBreakerState,
  breakerOpenMs,
  breakerStatus,
  tryAcquireBreaker,
  releaseBreakerPermit,
  observeBreakerResult,
  recordBreakerResult,
  createCircuitBreaker,
} from './circuit-breaker.js';
export type { ResourceKind, ResourceLimitsConfig, ResourceLimitsPlan, ResourceCounters } from './resource-limits.js';
export { compileResourceLimits, createResourceCounters, resourceLimit, tryAcquireResource, releaseResource } from './resource-limits.js';
export type { StatusRange, HealthCheckConfig, HealthCheckPlan, ActiveHealthState, HealthCheckResult, HealthTransition, HealthCheckRunner } from './active-health-check.js';
export {
  compileHealthCheck,
  createActiveHealthState,
  statusInRanges,
  classifyHealthCheck,
  observeHealthCheckResult,
  recordHealthCheckResult,
  nextHealthCheckDelayMs,
  createHealthCheckRunner,
} from './active-health-check.js';
export type { EligibleSet } from './eligible.js';
export { computeEligible } from './eligible.js';
