/**
 * Weighted round robin from observed load: gRPC `weighted_round_robin` (gRFC A58, A114) and
 * Envoy `ClientSideWeightedRoundRobin` (semantics.md §5.1).
 *
 * Each endpoint's weight is `qps / utilization` with errors penalised:
 *
 *     utilization += (eps / qps) × errorUtilizationPenalty     (when utilization > 0 and qps > 0)
 *     weight = utilization == 0 ? (report ignored) : qps / utilization
 *
 * Load comes either from reports (`loadSource: 'reports'`: call {@link observeLoadReport} with
 * the ORCA-style figures an endpoint sends back), or, by default, from the outcomes the balancer
 * observes (`loadSource: 'latency'`): over each `weightUpdatePeriodMs` window, qps and eps
 * are counted and utilization is the endpoint's mean concurrency by Little's law
 * (qps × mean latency), so the weight is ≈ 1 / (mean latency × (1 + penalty × error rate)).
 *
 * A weight only counts after `blackoutPeriodMs` of non-empty reports (an endpoint's first
 * figures are noisy) and is dropped `weightExpirationPeriodMs` after the last one. The EDF
 * schedule is rebuilt lazily every `weightUpdatePeriodMs` (≥ 100 ms), with random initial
 * deadlines in [0, 1/weight]; endpoints without a usable weight get the mean weight; with
 * fewer than two usable weights every endpoint gets the same weight (plain round robin).
 */
import type { Endpoint, LoadBalancer, Outcome, PickInput, PickResult } from '@switchyard/core';
import { isFailure } from '@switchyard/core';
import { emptyFor, invalid, neverReached } from './internal/common.js';
import { advance, heapify, peek, type EdfEntry } from './internal/edf.js';
import { baseSlot, createView, rekey, resolve, type EligibleView, type Slot } from './internal/slots.js';

/** Options of {@link clientSideWeightedRoundRobin}, named as gRPC A58 / Envoy. */
export interface ClientSideWeightedRoundRobinOptions {
  /** Where load figures come from: observed outcomes (default) or {@link observeLoadReport}. */
  readonly loadSource?: 'latency' | 'reports';
  /** Default 10 000 ms. */
  readonly blackoutPeriodMs?: number;
  /** Default 180 000 ms (3 min). */
  readonly weightExpirationPeriodMs?: number;
  /** Default 1 000 ms; values below 100 ms become 100 ms. */
  readonly weightUpdatePeriodMs?: number;
  /** Default 1.0, ≥ 0. */
  readonly errorUtilizationPenalty?: number;
}

/** One load report, as ORCA carries it. */
export interface LoadReport {
  /** Requests per second the endpoint served. */
  readonly qps: number;
  /** Errors per second. */
  readonly eps?: number;
  /** `application_utilization` if set, else `cpu_utilization` (A114). */
  readonly utilization: number;
}

/** Per-endpoint state of {@link clientSideWeightedRoundRobin}. */
export interface WeightedSlot extends Slot {
  // Deliberately alike: peak-ewma.ts (PeakEwmaSlot, PeakEwmaState) — per-policy slot and state types: alike in shape (a Slot with fields, a table and an eligible view), different fields
  weight: number;
  lastUpdated: number;
  nonEmptySince: number;
  windowCount: number;
  windowErrors: number;
  windowLatencyMs: number;
}

/** Plain state of {@link clientSideWeightedRoundRobin}. */
export interface ClientSideWeightedRoundRobinState {
  readonly table: Map<string, WeightedSlot>;
  /** @internal Balancer bookkeeping, not part of the API. */
  readonly view: EligibleView<WeightedSlot>;
  /** @internal Balancer bookkeeping, not part of the API. */
  heap: EdfEntry[];
  epoch: number;
  windowStart: number;
  nextUpdateAt: number;
  errorUtilizationPenalty: number;
}

function makeSlot(e: Endpoint): WeightedSlot {
  return { ...baseSlot(e, -Infinity), weight: 0, lastUpdated: -Infinity, nonEmptySince: NaN, windowCount: 0, windowErrors: 0, windowLatencyMs: 0 };
}

/**
 * Observes a load report for `endpoint` at `now` (A58: zero utilization or qps ⇒ ignored).
 * Use with `loadSource: 'reports'`, from ORCA trailers or an `endpoint-load-metrics` header.
 *
 * @example
 * ```ts
 * import { clientSideWeightedRoundRobin, observeLoadReport } from '@switchyard/balancers';
 * // qps 100, eps 10, utilization 0.5, penalty 1 → utilization 0.6 → weight ≈ 166.7
 * observeLoadReport(state, endpoint, { qps: 100, eps: 10, utilization: 0.5 }, now);
 * ```
 */
export function observeLoadReport(state: ClientSideWeightedRoundRobinState, endpoint: Endpoint, report: LoadReport, now: number): void {
  const s = state.table.get(endpoint.id);
  if (s === undefined) return;
  const w = loadWeight(report, state.errorUtilizationPenalty);
  if (w === 0) return;
  if (Number.isNaN(s.nonEmptySince)) s.nonEmptySince = now;
  s.lastUpdated = now;
  s.weight = w;
}

/**
 * @deprecated Use {@link observeLoadReport} (the same function): feedback is `observe*` across
 * switchyard.
 */
export const reportLoad: typeof observeLoadReport = observeLoadReport;

/** A58's weight for one report: `qps / (utilization + eps/qps × penalty)`, 0 if unusable. */
export function loadWeight(report: LoadReport, errorUtilizationPenalty = 1): number {
  let u = report.utilization;
  const qps = report.qps;
  if (!(u > 0) || !(qps > 0)) return 0;
  u += ((report.eps ?? 0) / qps) * errorUtilizationPenalty;
  return qps / u;
}

/** A58 `GetWeight()`: 0 when expired (and the blackout restarts) or still in blackout. */
function currentWeight(s: WeightedSlot, now: number, blackout: number, expiry: number): number {
  if (now - s.lastUpdated >= expiry) {
    s.nonEmptySince = NaN;
    return 0;
  }
  if (Number.isNaN(s.nonEmptySince) || now - s.nonEmptySince < blackout) return 0;
  return s.weight;
}

/**
 * Creates a client-side weighted round-robin balancer whose weights follow live load.
 *
 * When to use: endpoints whose capacity differs or changes (mixed instance types, noisy
 * neighbours) and traffic high enough to measure (≥ a few requests per endpoint per update
 * period). Gotcha: weights only apply after the blackout period (10 s by default).
 *
 * @example
 * ```ts
 * import { createEndpoint, systemRng } from '@switchyard/core';
 * import { clientSideWeightedRoundRobin } from '@switchyard/balancers';
 * const lb = clientSideWeightedRoundRobin({ blackoutPeriodMs: 5_000 });
 * const endpoints = [createEndpoint({ url: 'http://a:80' }), createEndpoint({ url: 'http://b:80' })];
 * const state = lb.create(endpoints, 0);
 * lb.pick(state, { eligible: endpoints, now: 0, rng: systemRng });
 * ```
 */
export function clientSideWeightedRoundRobin(options: ClientSideWeightedRoundRobinOptions = {}): LoadBalancer<ClientSideWeightedRoundRobinState> {
  const source = options.loadSource ?? 'latency';
  if (source !== 'latency' && source !== 'reports') invalid('loadSource', "must be 'latency' or 'reports'");
  const blackout = options.blackoutPeriodMs ?? 10_000;
  const expiry = options.weightExpirationPeriodMs ?? 180_000;
  const period = Math.max(100, options.weightUpdatePeriodMs ?? 1_000);
  const penalty = options.errorUtilizationPenalty ?? 1;
  if (!(blackout >= 0)) invalid('blackoutPeriodMs', 'must be >= 0');
  if (!(expiry > 0)) invalid('weightExpirationPeriodMs', 'must be > 0');
  if (!(penalty >= 0)) invalid('errorUtilizationPenalty', 'must be >= 0');
  const fresh = (table: Map<string, WeightedSlot>, now: number): ClientSideWeightedRoundRobinState => ({
    table,
    view: createView(),
    heap: [],
    epoch: -1,
    windowStart: now,
    nextUpdateAt: now + period,
    errorUtilizationPenalty: penalty,
  });

  /** Folds the last window's observed outcomes into reports (latency mode). */
  const closeWindow = (state: ClientSideWeightedRoundRobinState, now: number): void => {
    const seconds = (now - state.windowStart) / 1000;
    if (seconds > 0) {
      for (const s of state.table.values()) {
        if (s.windowCount > 0) {
          const qps = s.windowCount / seconds;
          const meanLatencyS = s.windowLatencyMs / s.windowCount / 1000;
          observeLoadReport(state, s.endpoint, { qps, eps: s.windowErrors / seconds, utilization: qps * meanLatencyS }, now);
        }
        s.windowCount = 0;
        s.windowErrors = 0;
        s.windowLatencyMs = 0;
      }
    }
    state.windowStart = now;
  };

  return {
    name: 'client-side-weighted-round-robin',
    create(endpoints, now) {
      return fresh(rekey(undefined, endpoints, makeSlot), now);
    },
    update(state, endpoints) {
      const next = { ...state, table: rekey(state.table, endpoints, makeSlot), view: createView<WeightedSlot>(), heap: [], epoch: -1 };
      return next;
    },
    pick(state: ClientSideWeightedRoundRobinState, input: PickInput): PickResult {
      const n = input.eligible.length;
      if (n === 0) return emptyFor(state.table.size);
      const now = input.now;
      resolve(state.view, input.eligible, state.table, makeSlot, now, false);
      const slots = state.view.slots;
      if (now >= state.nextUpdateAt || state.epoch !== state.view.epoch) {
        if (now >= state.nextUpdateAt) {
          if (source === 'latency') closeWindow(state, now);
          state.nextUpdateAt = now + period;
        }
        state.epoch = state.view.epoch;
        const weights = new Float64Array(n);
        let usable = 0;
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const w = currentWeight(slots[i] as WeightedSlot, now, blackout, expiry);
          weights[i] = w;
          if (w > 0) {
            usable++;
            sum += w;
          }
        }
        const mean = usable > 0 ? sum / usable : 1;
        const heap: EdfEntry[] = new Array<EdfEntry>(n);
        for (let i = 0; i < n; i++) {
          const w = usable < 2 ? 1 : (weights[i] as number) > 0 ? (weights[i] as number) : mean;
          // A58: initial deadline random in [0, period]. Dynamic weights: base + k/w from there.
          const start = input.rng.next() / w;
          heap[i] = { deadline: start, weight: w, base: start, k: 0, order: i };
        }
        heapify(heap);
        state.heap = heap;
      }
      const heap = state.heap;
      const top = peek(heap);
      advance(heap, top.weight);
      return (slots[top.order] as WeightedSlot).picked;
    },
    begin(state, endpoint) {
      const s = state.table.get(endpoint.id);
      if (s !== undefined) s.inFlight++;
    },
    observe(state, outcome: Outcome) {
      const s = state.table.get(outcome.endpoint.id);
      if (s === undefined) return;
      if (s.inFlight > 0) s.inFlight--;
      // As Peak EWMA: a try canceled by a timeout, a hedge or the client still took its elapsed
      // time (a lower bound of the endpoint's latency); only tries that never reached it are skipped.
      if (source !== 'latency' || (outcome.kind === 'error' && neverReached(outcome.error))) return;
      s.windowCount++;
      s.windowLatencyMs += outcome.latencyMs;
      if (isFailure(outcome)) s.windowErrors++;
    },
  };
}
