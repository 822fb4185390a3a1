/**
 * `Outcome`: how one try went (a response or an error kind with its latency), the feedback every
 * `observe` takes.
 */

import type { Endpoint } from './endpoint.js';

/**
 * Why a try produced no HTTP response:
 * - `connect`: the connection could not be made (refused, DNS, TLS);
 * - `timeout`: the per-try timeout or deadline expired before response headers;
 * - `reset`: the connection broke after it was made;
 * - `canceled`: switchyard or the client gave up (hedge loser, client abort). Not the
 *   endpoint's fault: detectors ignore it.
 * - `invalid-request`: the request could not be sent as it is (a method, target, Host or header
 *   the HTTP client refuses); the client's fault, never sent: answered 400, never retried, and
 *   balancers, detectors, breakers and rollouts ignore it (balancers only release in-flight).
 * - `local`: the gateway or the transport failed on its own side (a bug, a refused dispatch);
 *   answered 500 (`SY_INTERNAL`), never retried, and ignored by the same consumers.
 */
export type OutcomeErrorKind = 'connect' | 'timeout' | 'reset' | 'canceled' | 'invalid-request' | 'local';

/** True for error kinds that say nothing about the endpoint (detectors and balancers' latency ignore them). */
export function isLocalOrigin(error: OutcomeErrorKind): boolean {
  return error === 'canceled' || error === 'invalid-request' || error === 'local';
}

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
  return outcome.kind === 'response' ? outcome.status >= 500 : !isLocalOrigin(outcome.error);
}
