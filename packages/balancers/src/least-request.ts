/**
 * Least request (Envoy `LEAST_REQUEST`, `load_balancing/load_balancers.rst` and
 * `least_request.proto`; gRPC A48): the power of d choices (Mitzenmacher, "The Power of Two
 * Choices in Randomized Load Balancing", 2001) over in-flight requests.
 *
 * - All weights equal, `selectionMethod: 'n-choices'` (default): draw `choiceCount` (2)
 *   endpoints and take the one with the fewest in-flight requests. Draws are **with
 *   replacement** by default, as Envoy and gRPC (ties keep the earlier draw; with two
 *   endpoints the busier one is still chosen 25 % of the time); `sampling: 'distinct'` draws
 *   distinct endpoints as tower / Linkerd do.
 * - Weights not all equal (or slow start in progress): Envoy switches algorithm to an EDF
 *   schedule on `weight / (inFlight + 1) ^ activeRequestBias` (bias 1.0; 0 = plain weighted
 *   round robin).
 * - `selectionMethod: 'full-scan'`: the endpoint with the fewest in-flight requests over all
 *   eligible endpoints, ties broken at random (Envoy `FULL_SCAN`).
 */
import type { Endpoint, LoadBalancer, Outcome, PickInput, PickResult } from '@switchyard/core';
import { emptyFor, invalid } from './internal/common.js';
import { bestOf, type Sampling } from './internal/choices.js';
import { advance, edfEntry, heapify, peek, type EdfEntry } from './internal/edf.js';
import { baseSlot, createView, rekey, release, resolve, type EligibleView, type Slot } from './internal/slots.js';
import { checkSlowStart, slowStartWeight, type SlowStartConfig } from './slow-start.js';

/** Options of {@link leastRequest}, named as Envoy's `LeastRequest`. */
export interface LeastRequestOptions {
  /** Candidates per pick (Envoy `choice_count`, default 2, ≥ 2). */
  readonly choiceCount?: number;
  /** `with-replacement` (default, Envoy / gRPC) or `distinct` (Linkerd / tower). */
  readonly sampling?: Sampling;
  /** Exponent of the in-flight penalty when weights differ (Envoy `active_request_bias`, default 1.0, ≥ 0). */
  readonly activeRequestBias?: number;
  /** `n-choices` (default) or `full-scan` (Envoy `selection_method`). */
  readonly selectionMethod?: 'n-choices' | 'full-scan';
  /** Ramp up endpoints that join or recover (Envoy `slow_start_config`). */
  readonly slowStart?: SlowStartConfig;
}

/** Plain state of {@link leastRequest}. */
export interface LeastRequestState {
  readonly table: Map<string, Slot>;
  /** @internal Balancer bookkeeping, not part of the API. */
  readonly view: EligibleView<Slot>;
  epoch: number;
  weightsEqual: boolean;
  /** Until when some eligible endpoint is in slow start. */
  rampUntil: number;
  /** @internal Balancer bookkeeping, not part of the API. */
  heap: EdfEntry[];
}

/**
 * Creates a least-request balancer (P2C over in-flight counts).
 *
 * When to use: the default for request/response traffic where request cost varies; it needs
 * `begin`/`observe` to be called for every try. Gotcha: in-flight counts are per balancer
 * instance (per process), as in Envoy.
 *
 * @example
 * ```ts
 * import { createEndpoint, systemRng } from '@switchyard/core';
 * import { leastRequest } from '@switchyard/balancers';
 * const lb = leastRequest({ choiceCount: 2, sampling: 'distinct' });
 * const endpoints = [createEndpoint({ url: 'http://a:80' }), createEndpoint({ url: 'http://b:80' })];
 * const state = lb.create(endpoints, 0);
 * const r = lb.pick(state, { eligible: endpoints, now: 0, rng: systemRng });
 * if (r.kind === 'picked') lb.begin(state, r.endpoint, 0);
 * ```
 */
export function leastRequest(options: LeastRequestOptions = {}): LoadBalancer<LeastRequestState> {
  const choiceCount = options.choiceCount ?? 2;
  if (!Number.isInteger(choiceCount) || choiceCount < 2) invalid('choiceCount', 'must be an integer >= 2');
  const sampling = options.sampling ?? 'with-replacement';
  if (sampling !== 'with-replacement' && sampling !== 'distinct') invalid('sampling', "must be 'with-replacement' or 'distinct'");
  const bias = options.activeRequestBias ?? 1;
  if (!(bias >= 0)) invalid('activeRequestBias', 'must be >= 0');
  const fullScan = (options.selectionMethod ?? 'n-choices') === 'full-scan';
  const distinct = sampling === 'distinct';
  const slowStart = options.slowStart;
  checkSlowStart(slowStart);
  const createdSlot = (e: Endpoint): Slot => baseSlot(e, -Infinity);
  const dynamicWeight = (s: Slot, now: number): number => {
    const w = slowStart === undefined ? s.endpoint.weight : slowStartWeight(s.endpoint.weight, now - s.slowStartAt, slowStart);
    return bias === 0 ? w : bias === 1 ? w / (s.inFlight + 1) : w / Math.pow(s.inFlight + 1, bias);
  };
  return {
    name: 'least-request',
    create(endpoints) {
      return { table: rekey(undefined, endpoints, createdSlot), view: createView(), epoch: -1, weightsEqual: true, rampUntil: -Infinity, heap: [] };
    },
    update(state, endpoints, now) {
      return { table: rekey(state.table, endpoints, (e) => baseSlot(e, now)), view: createView(), epoch: -1, weightsEqual: true, rampUntil: -Infinity, heap: [] };
    },
    pick(state: LeastRequestState, input: PickInput): PickResult {
      const eligible = input.eligible;
      const n = eligible.length;
      if (n === 0) return emptyFor(state.table.size);
      const now = input.now;
      resolve(state.view, eligible, state.table, (e) => baseSlot(e, now), now, slowStart !== undefined);
      const slots = state.view.slots;
      if (fullScan) {
        let best = 0;
        let bestLoad = Infinity;
        let ties = 0;
        for (let i = 0; i < n; i++) {
          const load = (slots[i] as Slot).inFlight;
          if (load < bestLoad) {
            best = i;
            bestLoad = load;
            ties = 1;
          } else if (load === bestLoad && input.rng.next() * ++ties < 1) {
            best = i; // reservoir sampling: each tied endpoint is kept with probability 1/ties
          }
        }
        return (slots[best] as Slot).picked;
      }
      if (state.epoch !== state.view.epoch) {
        state.epoch = state.view.epoch;
        const w0 = (slots[0] as Slot).endpoint.weight;
        let equal = true;
        for (let i = 1; i < n; i++) if ((slots[i] as Slot).endpoint.weight !== w0) equal = false;
        state.weightsEqual = equal;
        let rampUntil = -Infinity;
        if (slowStart !== undefined) for (const s of slots) rampUntil = Math.max(rampUntil, s.slowStartAt + slowStart.slowStartWindowMs);
        state.rampUntil = rampUntil;
        state.heap = [];
      }
      const ramping = now < state.rampUntil;
      if (state.weightsEqual && !ramping) {
        // Deliberately alike: peak-ewma.ts (pick) — the two-choice draw is written out in each hot pick: a shared helper would return two indices (an allocation or a closure per pick) and compares different costs (in-flight counts vs Peak-EWMA keys); the general case is bestOf in internal/choices.ts
        if (choiceCount === 2 && n > 1) {
          // The common case, inlined: two draws and one comparison (ties keep the first draw).
          const rng = input.rng;
          let a = Math.floor(rng.next() * n);
          if (a >= n) a = n - 1;
          let b: number;
          if (distinct) {
            b = Math.floor(rng.next() * (n - 1));
            if (b >= n - 1) b = n - 2;
            if (b >= a) b++;
          } else {
            b = Math.floor(rng.next() * n);
            if (b >= n) b = n - 1;
          }
          const sa = slots[a] as Slot;
          const sb = slots[b] as Slot;
          return sb.inFlight < sa.inFlight ? sb.picked : sa.picked;
        }
        const i = bestOf(n, choiceCount, sampling, input.rng, (k) => (slots[k] as Slot).inFlight);
        return (slots[i] as Slot).picked;
      }
      // Unequal weights: EDF on weight / (inFlight + 1)^bias, weights re-read as each entry is rescheduled.
      if (state.heap.length !== n) {
        const heap: EdfEntry[] = new Array<EdfEntry>(n);
        for (let i = 0; i < n; i++) heap[i] = edfEntry(i, dynamicWeight(slots[i] as Slot, now), 0);
        heapify(heap);
        state.heap = heap;
      }
      const top = peek(state.heap);
      const slot = slots[top.order] as Slot;
      // As Envoy, the weight is read when the entry is rescheduled, before this pick's request starts.
      advance(state.heap, dynamicWeight(slot, now));
      return slot.picked;
    },
    // Deliberately alike: weighted-round-robin.ts (and the other balancers' begin/observe) — the LoadBalancer interface's in-flight bookkeeping, two lines per method; a shared acquire() measured +5 instructions per pick+begin+observe (callgrind), on every try
    begin(state, endpoint) {
      const s = state.table.get(endpoint.id);
      if (s !== undefined) s.inFlight++;
    },
    observe(state, outcome: Outcome) {
      release(state.table, outcome.endpoint.id);
    },
  };
}
