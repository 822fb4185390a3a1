/**
 * Health events: what the detectors, checkers and breakers report instead of emitting.
 *
 * Every algorithm in this package takes an optional {@link HealthEventSink} and pushes plain
 * objects to it; nothing holds an `EventEmitter` or a listener list per endpoint. The gateway
 * turns these into metrics and logs.
 */

/** Which outlier detector flagged an endpoint (Envoy's `OutlierEjectionType`, kebab-cased). */
export type OutlierDetectorKind =
  | 'consecutive-5xx'
  | 'consecutive-gateway-failure'
  | 'consecutive-local-origin-failure'
  | 'success-rate'
  | 'success-rate-local-origin'
  | 'failure-percentage'
  | 'failure-percentage-local-origin';

/** Why an active health check failed. */
/** `local`: the transport refused to send the check itself (see core's `OutcomeErrorKind`). */
export type HealthCheckFailureKind = 'connect' | 'timeout' | 'reset' | 'local' | 'status' | 'body';

/** One health event. `at` is the monotonic time (`Clock.now()`) it happened. */
export type HealthEvent =
  | {
      readonly kind: 'ejected';
      readonly endpointId: string;
      readonly at: number;
      readonly detector: OutlierDetectorKind;
      /** `min(base × multiplier, max) + jitter`: the earliest time after which a sweep un-ejects. */
      readonly ejectionTimeMs: number;
      readonly multiplier: number;
    }
  | {
      /** A detector flagged the endpoint but `enforcing_*` (a percentage roll) said "log only". */
      readonly kind: 'ejection-not-enforced';
      readonly endpointId: string;
      readonly at: number;
      readonly detector: OutlierDetectorKind;
    }
  | {
      /** A detector flagged the endpoint but `maxEjectionPercent` forbade the ejection (Envoy `ejections_overflow`). */
      readonly kind: 'ejection-overflow';
      readonly endpointId: string;
      readonly at: number;
      readonly detector: OutlierDetectorKind;
    }
  | {
      readonly kind: 'unejected';
      readonly endpointId: string;
      readonly at: number;
      readonly ejectedForMs: number;
      readonly cause: 'ejection-time-elapsed' | 'active-health-check' | 'removed';
    }
  | { readonly kind: 'healthy'; readonly endpointId: string; readonly at: number; readonly firstCheck: boolean }
  | {
      readonly kind: 'unhealthy';
      readonly endpointId: string;
      readonly at: number;
      readonly reason: HealthCheckFailureKind;
      readonly firstCheck: boolean;
    }
  | {
      /** One active check finished (whatever the transition): the hook the outlier detector's un-eject rule needs. */
      readonly kind: 'health-check';
      readonly endpointId: string;
      readonly at: number;
      readonly passed: boolean;
      readonly status: 'pending' | 'healthy' | 'unhealthy';
    }
  | { readonly kind: 'breaker-opened'; readonly breaker: string; readonly at: number; readonly openForMs: number; readonly reason: 'consecutive-failures' | 'failure-ratio' | 'probe-failed' }
  | { readonly kind: 'breaker-half-open'; readonly breaker: string; readonly at: number }
  | { readonly kind: 'breaker-closed'; readonly breaker: string; readonly at: number };

/**
 * Receives {@link HealthEvent}s synchronously, in the order they happen. Keep it cheap (push to
 * an array, bump a counter); it runs on the request path.
 */
export type HealthEventSink = (event: HealthEvent) => void;
