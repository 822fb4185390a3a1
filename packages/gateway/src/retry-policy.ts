/** Envoy's retry conditions (`retry_on`), retriable status codes and the backoff between tries. */

import { isLocalOrigin, parseRetryAfter, type OutcomeErrorKind, type ResponseHeaders, type Rng, type TransportResult } from '@switchyard/core';

/**
 * Envoy's `retry_on` conditions (router filter, `x-envoy-retry-on`), the ones that apply to
 * an HTTP/1.1 + HTTP/2 proxy:
 * - `5xx`: any 5xx response, or no response at all (connect failure, reset, per-try timeout);
 * - `gateway-error`: 502, 503, 504, or a per-try timeout (which Envoy reports as 504);
 * - `reset`: the connection broke after it was made (or the per-try timeout fired);
 * - `connect-failure`: the connection could not be made;
 * - `retriable-4xx`: 409 only;
 * - `retriable-status-codes`: any status in `retriableStatusCodes`.
 */
export type RetryOn = '5xx' | 'gateway-error' | 'reset' | 'connect-failure' | 'retriable-4xx' | 'retriable-status-codes';

export const RETRY_ON: readonly RetryOn[] = ['5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-4xx', 'retriable-status-codes'];

/** A route's retry policy, in Envoy's terms. */
export interface RetryPolicy {
  // Deliberately alike: splitter/src/analysis.ts (WindowAnalysis) — a data type's list of readonly fields: alike in shape only, different fields and meanings
  /** Retries, not tries (Envoy `num_retries`, Gateway API / Istio `attempts`). Default 1. */
  readonly numRetries: number;
  readonly retryOn: readonly RetryOn[];
  readonly retriableStatusCodes: readonly number[];
  /** Full-jitter exponential back-off base (Envoy `base_interval`, default 25 ms). */
  readonly baseIntervalMs: number;
  /** Back-off cap (Envoy `max_interval`, default 10 × base = 250 ms). */
  readonly maxIntervalMs: number;
  /**
   * Honour `Retry-After` (delta-seconds or HTTP-date) on a retried response, as Envoy's
   * `rate_limited_retry_back_off`: values above `maxRetryAfterMs` (default 300 s) are ignored
   * and exponential back-off applies; the wait is jittered in [v, 1.5 v).
   */
  readonly honorRetryAfter: boolean;
  readonly maxRetryAfterMs: number;
  /** Retry POST/PATCH and other non-idempotent methods too (default false). */
  readonly retryNonIdempotent: boolean;
}

/** Envoy's defaults for a route that has a retry policy. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  numRetries: 1,
  retryOn: Object.freeze(['connect-failure', 'reset', 'gateway-error'] as RetryOn[]),
  retriableStatusCodes: Object.freeze([] as number[]),
  baseIntervalMs: 25,
  maxIntervalMs: 250,
  honorRetryAfter: true,
  maxRetryAfterMs: 300_000,
  retryNonIdempotent: false,
});

/** What one try produced, as far as retry decisions are concerned. */
export type TryResult =
  | { readonly kind: 'response'; readonly status: number; readonly headers: ResponseHeaders }
  | { readonly kind: 'error'; readonly error: OutcomeErrorKind };

/** Turns a transport result into a {@link TryResult}. */
export function tryResultOf(result: TransportResult): TryResult {
  return result.kind === 'response'
    ? { kind: 'response', status: result.response.status, headers: result.response.headers }
    : { kind: 'error', error: result.error };
}

/** True if `result` meets one of the policy's `retryOn` conditions. `canceled` never retries. */
export function isRetriable(policy: RetryPolicy, result: TryResult): boolean {
  for (const on of policy.retryOn) {
    if (result.kind === 'error') {
      if (isLocalOrigin(result.error)) return false;
      switch (on) {
        case '5xx':
          return true;
        case 'gateway-error':
          if (result.error === 'timeout' || result.error === 'connect' || result.error === 'reset') return true;
          break;
        case 'reset':
          if (result.error === 'reset' || result.error === 'timeout') return true;
          break;
        case 'connect-failure':
          if (result.error === 'connect') return true;
          break;
        default:
          break;
      }
      continue;
    }
    const s = result.status;
    switch (on) {
      case '5xx':
        if (s >= 500 && s <= 599) return true;
        break;
      case 'gateway-error':
        if (s === 502 || s === 503 || s === 504) return true;
        break;
      case 'retriable-4xx':
        if (s === 409) return true;
        break;
      case 'retriable-status-codes':
        if (policy.retriableStatusCodes.includes(s)) return true;
        break;
      default:
        break;
    }
  }
  return false;
}

/**
 * The wait before retry number `retry` (1-based). Envoy's fully jittered exponential back-off:
 * uniform in `[0, (2^retry − 1) × base)`, capped at `maxIntervalMs`; or, when the response
 * carries an acceptable `Retry-After`, uniform in `[v, 1.5 v)`.
 */
export function backoffMs(policy: RetryPolicy, retry: number, rng: Rng, result: TryResult | undefined, nowWallMs: number): number {
  if (policy.honorRetryAfter && result?.kind === 'response') {
    const header = result.headers['retry-after'];
    const v = parseRetryAfter(typeof header === 'string' ? header : undefined, nowWallMs);
    if (v !== undefined && v <= policy.maxRetryAfterMs) return v + rng.next() * 0.5 * v;
  }
  const ceiling = Math.min(policy.maxIntervalMs, (2 ** Math.min(retry, 30) - 1) * policy.baseIntervalMs);
  return Math.min(policy.maxIntervalMs, rng.next() * ceiling);
}
