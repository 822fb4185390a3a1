/**
 * Per-endpoint slots keyed by endpoint id, so in-flight counts and preallocated pick results
 * survive `update()`.
 */

import type { Endpoint, PickResult } from '@switchyard/core';

/**
 * Per-endpoint state every policy keeps, keyed by endpoint id so that it survives
 * `update()`: the in-flight count, a preallocated pick result (no allocation per pick) and
 * the bookkeeping slow start and eligibility tracking need.
 */
export interface Slot {
  endpoint: Endpoint;
  picked: PickResult;
  inFlight: number;
  /** Monotonic time this endpoint entered slow start (joined or became eligible again). */
  slowStartAt: number;
  /** Epoch of the last eligible view this endpoint was part of (−1: never). */
  seenEpoch: number;
}

/** Creates the base slot for `endpoint`. */
export function baseSlot(endpoint: Endpoint, slowStartAt: number): Slot {
  return { endpoint, picked: Object.freeze({ kind: 'picked', endpoint }), inFlight: 0, slowStartAt, seenEpoch: -1 };
}

/**
 * Builds the id → slot table for `endpoints`, reusing the slots of endpoints that stay (their
 * `endpoint` is refreshed to the new object, so a weight change takes effect) and creating
 * the others with `make`.
 */
export function rekey<S extends Slot>(old: ReadonlyMap<string, S> | undefined, endpoints: readonly Endpoint[], make: (e: Endpoint) => S): Map<string, S> {
  const next = new Map<string, S>();
  for (const e of endpoints) {
    const kept = old?.get(e.id);
    if (kept === undefined) {
      next.set(e.id, make(e));
    } else {
      if (kept.endpoint !== e) {
        kept.endpoint = e;
        kept.picked = Object.freeze({ kind: 'picked', endpoint: e });
      }
      next.set(e.id, kept);
    }
  }
  return next;
}

/**
 * The eligible endpoints of the last pick resolved to their slots. Resolving is O(1) when the
 * caller passes the same array again (the gateway recomputes eligibility only when health
 * changes), O(n) when it passes an equal new array, and a rebuild (new `epoch`) otherwise:
 * policies rebuild what they derive from the eligible set (schedules, tables) on a new epoch.
 */
export interface EligibleView<S extends Slot> {
  ref: readonly Endpoint[] | undefined;
  slots: S[];
  epoch: number;
}

export function createView<S extends Slot>(): EligibleView<S> {
  return { ref: undefined, slots: [], epoch: 0 };
}

/** Resolves `eligible` against `table` (see {@link EligibleView}); returns true when the set changed. */
export function resolve<S extends Slot>(view: EligibleView<S>, eligible: readonly Endpoint[], table: Map<string, S>, make: (e: Endpoint) => S, now: number, slowStart: boolean): boolean {
  if (view.ref === eligible) return false;
  const n = eligible.length;
  if (view.ref !== undefined && view.slots.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if ((view.slots[i] as S).endpoint !== eligible[i]) {
        same = false;
        break;
      }
    }
    if (same) {
      view.ref = eligible;
      return false;
    }
  }
  const first = view.ref === undefined && view.epoch === 0;
  const previous = view.epoch;
  const slots: S[] = new Array<S>(n);
  for (let i = 0; i < n; i++) {
    const e = eligible[i] as Endpoint;
    let s = table.get(e.id);
    if (s === undefined) {
      // Not part of the configured set (a contract violation by the caller): track it anyway.
      s = make(e);
      table.set(e.id, s);
    } else if (s.endpoint !== e) {
      s.endpoint = e;
      s.picked = Object.freeze({ kind: 'picked', endpoint: e });
    }
    // An endpoint that was not eligible in the previous view and is now recovered: slow start
    // (Envoy: an unhealthy→healthy transition).
    if (slowStart && !first && s.seenEpoch !== previous && s.seenEpoch !== -1) s.slowStartAt = now;
    s.seenEpoch = previous + 1;
    slots[i] = s;
  }
  view.slots = slots;
  view.ref = eligible;
  view.epoch = previous + 1;
  return true;
}

/** Releases one in-flight request of the endpoint with `id`, if still tracked. */
export function release<S extends Slot>(table: ReadonlyMap<string, S>, id: string): S | undefined {
  const s = table.get(id);
  if (s !== undefined && s.inFlight > 0) s.inFlight--;
  return s;
}
