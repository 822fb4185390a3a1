/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, 2018; Envoy
 * `hash_balance_factor`): the probe sequence and the load bound shared by ring hash and Maglev.
 */

import { fmix32 } from '@switchyard/core';
import type { Slot } from './slots.js';

/** The next probe of a random jump, derived from the key's hash: murmur3's 32-bit finalizer of the hash plus a golden-ratio step. */
export function nextProbe(h: number, attempt: number): number {
  return fmix32((h + Math.imul(attempt + 1, 0x9e3779b9)) | 0) >>> 0;
}

/**
 * Consistent hashing with bounded loads, the default mode's rule: the bound of Mirrokni, Thorup,
 * Zadimoghaddam ("Consistent Hashing with Bounded Loads", SODA 2018), weighted. An endpoint takes
 * the request only if `in_flight + 1 ≤ ⌈c × (T + 1) × w / W⌉` (T = in flight over the eligible
 * set, W = Σ weights, c = hashBalanceFactor/100): after placing it, no endpoint holds more than
 * ⌈c × the average⌉ counting this request. This is one request stricter than Envoy's
 * `hash_balance_factor` code, which admits while `in_flight ≤ slots` (`compatibility: 'envoy'`
 * uses that rule: `envoyBoundedPick` in `./envoy.ts`). When the hashed endpoint is full, probe
 * with random jumps derived from the key (after arXiv 1908.08762, as Envoy) so that a hot key
 * spills to the same few endpoints; after N probes, scan for the first endpoint under its cap,
 * which always exists because Σ caps ≥ c·(T+1) > T. `owner(built, hash)` is the algorithm's
 * lookup (an index into `slots`), passed with its structure so that a pick allocates no closure.
 */
export function boundedPick<S extends Slot, T>(slots: readonly S[], totalWeight: number, factorPercent: number, h: number, owner: (built: T, hash: number) => number, built: T): S {
  const n = slots.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += (slots[i] as S).inFlight;
  // Integer arithmetic: cap = ⌈factor·(T+1)·w / (100·W)⌉ exactly.
  const num = factorPercent * (total + 1);
  const den = 100 * totalWeight;
  const fits = (s: S): boolean => s.inFlight + 1 <= boundedLoadCap(num * s.endpoint.weight, den);
  let i = owner(built, h);
  if (fits(slots[i] as S)) return slots[i] as S;
  let probe = h;
  for (let attempt = 0; attempt < n; attempt++) {
    probe = nextProbe(probe, attempt);
    i = owner(built, probe);
    if (fits(slots[i] as S)) return slots[i] as S;
  }
  for (let k = 0; k < n; k++) {
    const s = slots[(i + k) % n] as S;
    if (fits(s)) return s;
  }
  return slots[i] as S;
}

/** ⌈num / den⌉ for non-negative integers. */
export function boundedLoadCap(num: number, den: number): number {
  return Math.floor((num + den - 1) / den);
}
