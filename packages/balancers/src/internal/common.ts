/** The frozen `empty` pick results and the config-error helper every balancer shares. */

import { ConfigError, type EmptyReason, type OutcomeErrorKind, type PickResult } from '@switchyard/core';

const EMPTY_NO_ENDPOINTS: PickResult = Object.freeze({ kind: 'empty', reason: 'no-endpoints' });
const EMPTY_NO_ELIGIBLE: PickResult = Object.freeze({ kind: 'empty', reason: 'no-eligible-endpoints' });
const EMPTY_OVERLOADED: PickResult = Object.freeze({ kind: 'empty', reason: 'overloaded' });

/** The frozen `empty` result for `reason` (no allocation). */
export function empty(reason: EmptyReason): PickResult {
  return reason === 'no-endpoints' ? EMPTY_NO_ENDPOINTS : reason === 'overloaded' ? EMPTY_OVERLOADED : EMPTY_NO_ELIGIBLE;
}

/** `empty` for a pick with no eligible endpoint: `no-endpoints` if none is configured at all. */
export function emptyFor(configured: number): PickResult {
  return configured === 0 ? EMPTY_NO_ENDPOINTS : EMPTY_NO_ELIGIBLE;
}

/** Throws a {@link ConfigError} for one invalid option. */
export function invalid(path: string, message: string): never {
  throw new ConfigError([{ path, message }]);
}

/**
 * Error kinds of a try that never reached the endpoint (the client's unsendable request, the
 * gateway's own fault): latency-aware balancers take no sample from them, only release the
 * in-flight count. `canceled` and `timeout` tries did reach it and are sampled.
 */
export function neverReached(error: OutcomeErrorKind): boolean {
  return error === 'invalid-request' || error === 'local';
}
