/**
 * The load-balancer contract every policy in `@switchyard/balancers` implements: `create`,
 * `update`, `pick`, `observe`.
 */

import type { Endpoint } from './endpoint.js';
import type { SyRequest } from './http.js';
import type { Outcome } from './outcome.js';
import type { Rng } from './rng.js';

/** Why a pick found nothing. */
export type EmptyReason = 'no-endpoints' | 'no-eligible-endpoints' | 'overloaded';

/** A balancer's decision: an endpoint, or `empty` with the reason (the gateway answers 503). */
export type PickResult =
  | { readonly kind: 'picked'; readonly endpoint: Endpoint }
  | { readonly kind: 'empty'; readonly reason: EmptyReason };

/** Everything one pick may look at. Reading the clock or random source happens outside. */
export interface PickInput {
  /**
   * The endpoints that may take this request, as health (outlier ejection, active checks) and
   * the splitter (subset) computed them. A subset of the endpoints the state was created or
   * updated with; never picked outside of. Who applies the panic threshold: for a single
   * priority level, health (`computeEligible` hands over every endpoint when too few are
   * healthy); with priority levels, the `withPriority` balancer, which needs the healthy set to
   * compute Envoy's per-priority load and panics per level.
   */
  readonly eligible: readonly Endpoint[];
  readonly now: number;
  readonly rng: Rng;
  /** The request, for policies that key on it (hashing). */
  readonly request?: SyRequest | undefined;
  /** A precomputed 32-bit affinity hash; hashing policies use it, or pick at random without it. */
  readonly hash?: number | undefined;
}

/**
 * A load-balancing policy: plain state plus functions over it, deterministic given `now`
 * and the injected `rng` (CONVENTIONS: tower's `Balance::from_rng`).
 *
 * Lifecycle, per upstream group: `create` once; `update` when the endpoint set changes
 * (state of endpoints that stay is kept); for each try `pick`, then `begin` when it is sent
 * and `observe` when it ends. `@switchyard/testing/vitest`'s `describeBalancerContract` checks every
 * implementation against this contract.
 */
export interface LoadBalancer<State = unknown> {
  /** Policy name as users configure it: `round-robin`, `least-request`, `peak-ewma`, `maglev`, … */
  readonly name: string;
  create(endpoints: readonly Endpoint[], now: number): State;
  /** Returns state for the new endpoint set, keeping per-endpoint state of endpoints that stay (by `id`). */
  update(state: State, endpoints: readonly Endpoint[], now: number): State;
  pick(state: State, input: PickInput): PickResult;
  /** A try was sent to `endpoint` (in-flight + 1). */
  begin(state: State, endpoint: Endpoint, now: number): void;
  /** A try to `outcome.endpoint` ended (in-flight − 1; latency and status recorded). */
  observe(state: State, outcome: Outcome): void;
}
