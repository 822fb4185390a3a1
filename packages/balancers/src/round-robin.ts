/**
 * Round robin (Envoy `ROUND_ROBIN` with equal weights, gRPC `round_robin`): a rotation over
 * the eligible endpoints. As in Envoy, the rotation starts at a random index (drawn from the
 * injected `rng` on the first pick) so that a fleet of clients does not hit the same
 * endpoint in lockstep. Weights are ignored: use {@link weightedRoundRobin} for them.
 */
import type { Endpoint, LoadBalancer, Outcome, PickInput, PickResult } from '@switchyard/core';
import { randomInt } from '@switchyard/core';
import { emptyFor } from './internal/common.js';
import { baseSlot, createView, rekey, release, resolve, type EligibleView, type Slot } from './internal/slots.js';

/** Plain state of {@link roundRobin}. */
export interface RoundRobinState {
  readonly table: Map<string, Slot>;
  /** @internal Balancer bookkeeping, not part of the API. */
  readonly view: EligibleView<Slot>;
  /** Next rotation index; −1 until the first pick draws a random start. */
  next: number;
}

/**
 * Creates a round-robin balancer.
 *
 * When to use: identical endpoints and uniform requests. Gotcha: it is blind to latency
 * and load; one slow endpoint still gets 1/N of the requests (see the guide's simulation).
 *
 * @example
 * ```ts
 * import { createEndpoint, systemRng } from '@switchyard/core';
 * import { roundRobin } from '@switchyard/balancers';
 * const lb = roundRobin();
 * const endpoints = [createEndpoint({ url: 'http://10.0.0.1:80' }), createEndpoint({ url: 'http://10.0.0.2:80' })];
 * const state = lb.create(endpoints, 0);
 * const r = lb.pick(state, { eligible: endpoints, now: 0, rng: systemRng });
 * ```
 */
export function roundRobin(): LoadBalancer<RoundRobinState> {
  const make = (e: Endpoint): Slot => baseSlot(e, -Infinity);
  return {
    name: 'round-robin',
    create(endpoints) {
      return { table: rekey(undefined, endpoints, make), view: createView(), next: -1 };
    },
    update(state, endpoints) {
      return { table: rekey(state.table, endpoints, make), view: createView(), next: state.next };
    },
    pick(state: RoundRobinState, input: PickInput): PickResult {
      const n = input.eligible.length;
      if (n === 0) return emptyFor(state.table.size);
      resolve(state.view, input.eligible, state.table, make, input.now, false);
      if (state.next < 0) state.next = randomInt(input.rng, n);
      const i = state.next % n;
      state.next = i + 1;
      return (state.view.slots[i] as Slot).picked;
    },
    begin(state, endpoint) {
      const s = state.table.get(endpoint.id);
      if (s !== undefined) s.inFlight++;
    },
    observe(state, outcome: Outcome) {
      release(state.table, outcome.endpoint.id);
    },
  };
}
