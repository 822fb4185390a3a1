/**
 * Random and weighted random (Envoy `RANDOM`: "generally performs better than round robin if
 * no health checking policy is configured", because it has no bias toward the endpoint after
 * a failed one). Weighted random draws an endpoint with probability `weight / Σweight` by a
 * binary search over prefix sums, rebuilt only when the eligible set changes.
 */
import type { Endpoint, LoadBalancer, Outcome, PickInput, PickResult } from '@switchyard/core';
import { randomInt } from '@switchyard/core';
import { emptyFor } from './internal/common.js';
import { baseSlot, createView, rekey, release, resolve, type EligibleView, type Slot } from './internal/slots.js';

/** Plain state of {@link random} and {@link weightedRandom}. */
export interface RandomState {
  readonly table: Map<string, Slot>;
  /** @internal Balancer bookkeeping, not part of the API. */
  readonly view: EligibleView<Slot>;
  prefix: Float64Array;
  epoch: number;
}

function makeSlot(e: Endpoint): Slot {
  return baseSlot(e, -Infinity);
}

function policy(name: string, weighted: boolean): LoadBalancer<RandomState> {
  return {
    name,
    create(endpoints) {
      return { table: rekey(undefined, endpoints, makeSlot), view: createView(), prefix: new Float64Array(0), epoch: -1 };
    },
    update(state, endpoints) {
      return { table: rekey(state.table, endpoints, makeSlot), view: createView(), prefix: new Float64Array(0), epoch: -1 };
    },
    pick(state: RandomState, input: PickInput): PickResult {
      const n = input.eligible.length;
      if (n === 0) return emptyFor(state.table.size);
      resolve(state.view, input.eligible, state.table, makeSlot, input.now, false);
      const slots = state.view.slots;
      if (!weighted) return (slots[randomInt(input.rng, n)] as Slot).picked;
      if (state.epoch !== state.view.epoch) {
        state.epoch = state.view.epoch;
        const prefix = new Float64Array(n);
        let sum = 0;
        for (let i = 0; i < n; i++) prefix[i] = sum += (slots[i] as Slot).endpoint.weight;
        state.prefix = prefix;
      }
      const prefix = state.prefix;
      const x = input.rng.next() * (prefix[n - 1] as number);
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((prefix[mid] as number) > x) hi = mid;
        else lo = mid + 1;
      }
      return (slots[lo] as Slot).picked;
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

/**
 * Uniform random over the eligible endpoints (weights ignored).
 *
 * When to use: many clients, no health checking, identical endpoints.
 *
 * @example
 * ```ts
 * import { createEndpoint, systemRng } from '@switchyard/core';
 * import { random } from '@switchyard/balancers';
 * const lb = random();
 * const endpoints = [createEndpoint({ url: 'http://a:80' }), createEndpoint({ url: 'http://b:80' })];
 * lb.pick(lb.create(endpoints, 0), { eligible: endpoints, now: 0, rng: systemRng });
 * ```
 */
export function random(): LoadBalancer<RandomState> {
  return policy('random', false);
}

/**
 * Random with probability proportional to `weight`.
 *
 * When to use: heterogeneous capacity without the per-client ordering effects of round
 * robin. Gotcha: only proportional on average; use {@link weightedRoundRobin} for exact shares.
 *
 * @example
 * ```ts
 * import { createEndpoint, systemRng } from '@switchyard/core';
 * import { weightedRandom } from '@switchyard/balancers';
 * const lb = weightedRandom();
 * const endpoints = [createEndpoint({ url: 'http://a:80', weight: 3 }), createEndpoint({ url: 'http://b:80' })];
 * lb.pick(lb.create(endpoints, 0), { eligible: endpoints, now: 0, rng: systemRng }); // a 75 %
 * ```
 */
export function weightedRandom(): LoadBalancer<RandomState> {
  return policy('weighted-random', true);
}
