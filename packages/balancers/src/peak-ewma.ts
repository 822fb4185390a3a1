/**
 * Peak EWMA with the power of two choices: Finagle's `PeakEwma` balancer as Linkerd runs it
 * (tower `tower/src/load/peak_ewma.rs`, linkerd2-proxy `linkerd/pool/p2c`; semantics.md §4.1).
 *
 *     cost = rttEstimate(now) × (inFlight + 1)
 *
 * The estimate is peak-sensitive: a response slower than the current estimate replaces it at
 * once; otherwise the estimate decays toward 0 with `exp(−Δt / decayTimeMs)`, so an endpoint
 * that went quiet (because it was slow) becomes cheap again and is probed. New endpoints
 * start at `defaultRttMs`.
 *
 * A pick compares `ln cost` keys maintained by `begin`/`observe` (the shared `−now/τ` term
 * cancels), so it costs two draws and one comparison, flat in N.
 *
 * Reads never mutate (tower and Finagle decay the stored value on every read): the value
 * read at `now` is `rtt·exp(−(now − stamp)/τ)`, and an observation at `now` keeps
 * `max(sample, that value)`. This is exactly tower's result when a load read precedes each
 * completion, which is the case under traffic. Two draws are **distinct** by default (tower,
 * Linkerd `gen_pair`; ties keep the first draw); `sampling: 'with-replacement'` is available.
 */
import type { Endpoint, LoadBalancer, Outcome, PickInput, PickResult } from '@switchyard/core';
import { isFailure } from '@switchyard/core';
import { emptyFor, invalid, neverReached } from './internal/common.js';
import { bestOf, type Sampling } from './internal/choices.js';
import { createView, rekey, resolve, type EligibleView, type Slot } from './internal/slots.js';

/** Options of {@link peakEwma}. */
export interface PeakEwmaOptions {
  /** Decay time constant τ in ms (Linkerd / Finagle / Envoy contrib `decay_time`, default 10 000). */
  readonly decayTimeMs?: number;
  /** Estimate for an endpoint with no sample yet (default 30 ms as Linkerd; Envoy contrib uses 10, tower 1 000). */
  readonly defaultRttMs?: number;
  /** Candidates per pick (default 2). */
  readonly choiceCount?: number;
  /** `distinct` (default, Linkerd) or `with-replacement` (Envoy / gRPC style). */
  readonly sampling?: Sampling;
  /**
   * Latency recorded for a failed try (5xx or connection error), if larger than the one
   * observed (Linkerd's opt-in load biaser, 5 000 ms there): a fast-failing endpoint would
   * otherwise attract traffic. Unset = failures count with their real latency.
   */
  readonly failurePenaltyMs?: number;
}

/** Per-endpoint Peak-EWMA state. */
export interface PeakEwmaSlot extends Slot {
  // Deliberately alike: client-side-weighted-round-robin.ts (WeightedSlot, its state) — per-policy slot and state types: alike in shape (a Slot with fields, a table and an eligible view), different fields
  /** Estimate in ms as of `stamp`. */
  rtt: number;
  stamp: number;
  /**
   * `ln(rtt) + stamp/τ + ln(inFlight + 1)`: the log of the cost at any `now`, up to the term
   * `−now/τ` that every endpoint shares. Comparing keys compares costs, so a pick is two draws
   * and one comparison; `begin`/`observe` (once per request) pay for the logarithms.
   */
  key: number;
  /** Index of this slot in the current eligible view (−1: not in it). */
  index: number;
}

/** Plain state of {@link peakEwma}. */
export interface PeakEwmaState {
  readonly table: Map<string, PeakEwmaSlot>;
  /** @internal Balancer bookkeeping, not part of the API. */
  readonly view: EligibleView<PeakEwmaSlot>;
  /** The eligible slots' keys, contiguous (a pick reads two numbers, not two objects). */
  keys: Float64Array;
  epoch: number;
}

/**
 * Creates a Peak-EWMA P2C balancer.
 *
 * When to use: latency-sensitive traffic over endpoints whose speed varies (noisy
 * neighbours, GC pauses, a degraded zone): it routes around a slow endpoint within a few
 * requests. Gotcha: needs `begin` and `observe` with real latencies for every try; pass the
 * same `now` you timestamp outcomes with.
 *
 * @example
 * ```ts
 * import { createEndpoint, systemClock, systemRng } from '@switchyard/core';
 * import { peakEwma } from '@switchyard/balancers';
 * const lb = peakEwma({ decayTimeMs: 10_000, defaultRttMs: 30 });
 * const endpoints = [createEndpoint({ url: 'http://a:80' }), createEndpoint({ url: 'http://b:80' })];
 * const state = lb.create(endpoints, systemClock.now());
 * const now = systemClock.now();
 * const r = lb.pick(state, { eligible: endpoints, now, rng: systemRng });
 * if (r.kind === 'picked') {
 *   lb.begin(state, r.endpoint, now);
 *   // … later, when the response headers arrive:
 *   lb.observe(state, { kind: 'response', endpoint: r.endpoint, status: 200, latencyMs: 12, at: now + 12 });
 * }
 * ```
 */
export function peakEwma(options: PeakEwmaOptions = {}): LoadBalancer<PeakEwmaState> {
  const tau = options.decayTimeMs ?? 10_000;
  if (!(tau > 0)) invalid('decayTimeMs', 'must be > 0');
  const defaultRtt = options.defaultRttMs ?? 30;
  if (!(defaultRtt >= 0)) invalid('defaultRttMs', 'must be >= 0');
  const choiceCount = options.choiceCount ?? 2;
  if (!Number.isInteger(choiceCount) || choiceCount < 2) invalid('choiceCount', 'must be an integer >= 2');
  const sampling = options.sampling ?? 'distinct';
  if (sampling !== 'with-replacement' && sampling !== 'distinct') invalid('sampling', "must be 'with-replacement' or 'distinct'");
  const distinct = sampling === 'distinct';
  const penalty = options.failurePenaltyMs;
  if (penalty !== undefined && !(penalty >= 0)) invalid('failurePenaltyMs', 'must be >= 0');
  const invTau = 1 / tau;
  const rekeyed = (s: PeakEwmaSlot, state?: PeakEwmaState): void => {
    s.key = Math.log(s.rtt) + s.stamp * invTau + Math.log(s.inFlight + 1);
    if (state !== undefined && s.index >= 0 && state.view.slots[s.index] === s) state.keys[s.index] = s.key;
  };
  const make =
    (now: number) =>
    (e: Endpoint): PeakEwmaSlot => {
      // One literal, so every slot shares a hidden class (a spread would not guarantee it).
      const s: PeakEwmaSlot = {
        endpoint: e,
        picked: Object.freeze({ kind: 'picked', endpoint: e }),
        inFlight: 0,
        slowStartAt: -Infinity,
        seenEpoch: -1,
        rtt: defaultRtt,
        stamp: now,
        key: 0,
        index: -1,
      };
      rekeyed(s);
      return s;
    };
  return {
    name: 'peak-ewma',
    create(endpoints, now) {
      return { table: rekey(undefined, endpoints, make(now)), view: createView(), keys: new Float64Array(0), epoch: -1 };
    },
    update(state, endpoints, now) {
      return { table: rekey(state.table, endpoints, make(now)), view: createView(), keys: new Float64Array(0), epoch: -1 };
    },
    pick(state: PeakEwmaState, input: PickInput): PickResult {
      const n = input.eligible.length;
      if (n === 0) return emptyFor(state.table.size);
      const now = input.now;
      resolve(state.view, input.eligible, state.table, make(now), now, false);
      const slots = state.view.slots;
      if (state.epoch !== state.view.epoch) {
        state.epoch = state.view.epoch;
        for (const old of state.table.values()) old.index = -1;
        const keys = new Float64Array(n);
        for (let k = 0; k < n; k++) {
          const s = slots[k] as PeakEwmaSlot;
          s.index = k;
          keys[k] = s.key;
        }
        state.keys = keys;
      }
      const keys = state.keys;
      // Deliberately alike: least-request.ts (pick) — the two-choice draw is written out in each hot pick: a shared helper would return two indices (an allocation or a closure per pick) and compares different costs (Peak-EWMA keys vs in-flight counts); the general case is bestOf in internal/choices.ts
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
        return ((keys[b] as number) < (keys[a] as number) ? (slots[b] as PeakEwmaSlot) : (slots[a] as PeakEwmaSlot)).picked;
      }
      const i = bestOf(n, choiceCount, sampling, input.rng, (k) => keys[k] as number);
      return (slots[i] as PeakEwmaSlot).picked;
    },
    begin(state, endpoint) {
      const s = state.table.get(endpoint.id);
      if (s === undefined) return;
      s.inFlight++;
      rekeyed(s, state);
    },
    observe(state, outcome: Outcome) {
      const s = state.table.get(outcome.endpoint.id);
      if (s === undefined) return;
      if (s.inFlight > 0) s.inFlight--;
      // A try that never reached the endpoint (the client's unsendable request, the gateway's own
      // fault) says nothing about it. A try that did reach it and was canceled (per-try timeout,
      // route deadline, hedge loser, client abort) still took the time it took: that elapsed time
      // is a sample, as tower's `PeakEwma` handle records it on drop
      // (tower/src/load/peak_ewma.rs `impl Drop for Handle`) and Finagle's PeakEwma on every
      // completion, failures and interrupts included. Skipping it would make an endpoint slower
      // than the timeout look as cheap as a fresh one, exactly when timeouts are on.
      if (outcome.kind === 'error' && neverReached(outcome.error)) {
        rekeyed(s, state);
        return;
      }
      let sample = outcome.latencyMs;
      if (penalty !== undefined && isFailure(outcome) && sample < penalty) sample = penalty;
      const dt = outcome.at - s.stamp;
      const decayed = dt > 0 ? s.rtt * Math.exp(-dt * invTau) : s.rtt;
      s.rtt = sample > decayed ? sample : decayed;
      if (dt > 0) s.stamp = outcome.at;
      rekeyed(s, state);
    },
  };
}
