import type { Endpoint } from './endpoint.js';

/**
 * Why a try produced no HTTP response:
 * - `connect`: the connection could not be made (refused, DNS, TLS);
 * - `timeout`: the per-try timeout or deadline expired before response headers;
 * - `reset`: the connection broke after it was made;
 * - `canceled`: switchyard or the client gave up (hedge loser, client abort). Not the
 *   endpoint's fault: detectors ignore it.
 */
export type OutcomeErrorKind = 'connect' | 'timeout' | 'reset' | 'canceled';

/**
 * What happened when one try was sent to one endpoint: fed to balancers (latency, in-flight),
 * outlier detection and breakers, and rollout analysis.
 * `latencyMs` runs from sending to response headers (or failure); `at` is the
 * monotonic time it was observed.
 */
export type Outcome =
  | {
      readonly kind: 'response';
      readonly endpoint: Endpoint;
      readonly status: number;
      readonly latencyMs: number;
      readonly at: number;
    }
  | {
      readonly kind: 'error';
      readonly endpoint: Endpoint;
      readonly error: OutcomeErrorKind;
      readonly latencyMs: number;
      readonly at: number;
    };

/** True for a 5xx response or an error the endpoint is to blame for (not `canceled`). */
export function isFailure(outcome: Outcome): boolean {
  return outcome.kind === 'response' ? outcome.status >= 500 : outcome.error !== 'canceled';
}
