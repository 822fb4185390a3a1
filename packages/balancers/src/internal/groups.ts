/**
 * Groups of endpoints (priority levels, localities), each with its inner policy's state, rebuilt
 * only when membership changes.
 */

import type { Endpoint, LoadBalancer } from '@switchyard/core';

/** One group of endpoints (a priority level, a locality) with its inner policy's state. */
export interface Group<S> {
  readonly key: string;
  readonly endpoints: readonly Endpoint[];
  readonly inner: S;
}

/** Groups `endpoints` by `keyOf`, creating or updating each group's inner state (kept by key). */
export function regroup<S>(inner: LoadBalancer<S>, previous: ReadonlyMap<string, Group<S>> | undefined, endpoints: readonly Endpoint[], keyOf: (e: Endpoint) => string, now: number): Map<string, Group<S>> {
  const lists = splitEligible(endpoints, keyOf);
  const groups = new Map<string, Group<S>>();
  for (const [key, list] of lists) {
    const old = previous?.get(key);
    groups.set(key, { key, endpoints: list, inner: old === undefined ? inner.create(list, now) : inner.update(old.inner, list, now) });
  }
  return groups;
}

/** Splits `eligible` by group key, keeping the order of `eligible`. */
export function splitEligible(eligible: readonly Endpoint[], keyOf: (e: Endpoint) => string): Map<string, Endpoint[]> {
  const out = new Map<string, Endpoint[]>();
  for (const e of eligible) {
    const k = keyOf(e);
    const list = out.get(k);
    if (list === undefined) out.set(k, [e]);
    else list.push(e);
  }
  return out;
}
