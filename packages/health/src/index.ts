/**
 * `@switchyard/health`: active health checking, Envoy-exact outlier detection and circuit
 * breaking, as plain state over an injected clock. No timers or emitters per endpoint.
 *
 * @packageDocumentation
 */
export type { HealthEvent, HealthEventSink, OutlierDetectorKind, HealthCheckFailureKind } from './events.js';
export type { OutlierDetectionConfig, OutlierDetectionPlan, OutlierHostState, OutlierState, OutlierDetector } from './outlier-detection.js';
export {
  OUTLIER_DETECTION_DEFAULTS,
  compileOutlierDetection,
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
