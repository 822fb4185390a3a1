/**
 * The parts of Envoy's consistent hashing that `compatibility: 'envoy'` reproduces bit for bit
 * besides XXH64 itself (`../xxhash64.ts`): 64-bit hash arithmetic on 32-bit halves, the host
 * key, and the bounded-load rule with its seeded shuffle
 * (`source/extensions/load_balancing_policies/common/thread_aware_lb_impl.cc`,
 * `BoundedLoadHashingLoadBalancer`).
 */
import type { Endpoint } from '@switchyard/core';
import type { Slot } from './slots.js';

/**
 * `(hi × 2^32 + lo) mod m` for an unsigned 64-bit value (halves as uint32 or int32) and
 * 1 < m ≤ 94 906 265, `r32` being `2^32 mod m` (pass it precomputed on a hot path). The first
 * reduction is an integer one; the second works on `x < m² + 2^32 < 2^53` with a floating-point
 * quotient corrected by at most one step (no `%` on doubles, which V8 compiles to a call).
 */
export function mod64(hi: number, lo: number, m: number, r32: number = 4294967296 % m): number {
  const x = ((hi >>> 0) % m) * r32 + (lo >>> 0);
  const r = x - Math.floor(x / m) * m;
  return r < 0 ? r + m : r >= m ? r - m : r;
}

/**
 * Envoy's key for a host (`ThreadAwareLoadBalancerBase::hashKey`): the endpoint's
 * `envoy.lb.hash_key` metadata when set (Envoy: the `hash_key` string in the `envoy.lb` filter
 * metadata of the endpoint — which is also how to mirror `use_hostname_for_hashing`: put the
 * hostname there), else its address as Envoy prints it, `ip:port` (`[ipv6]:port`), the port
 * defaulting to the scheme's.
 *
 * @example
 * ```ts
 * import { createEndpoint } from '@switchyard/core';
 * import { envoyHashKey } from '@switchyard/balancers';
 * envoyHashKey(createEndpoint({ url: 'http://127.0.0.1:90' }));   // '127.0.0.1:90'
 * envoyHashKey(createEndpoint({ url: 'https://[::1]' }));         // '[::1]:443'
 * ```
 */
export function envoyHashKey(endpoint: Endpoint): string {
  const key = endpoint.metadata['envoy.lb.hash_key'];
  if (key !== undefined && key !== '') return key;
  const url = endpoint.url;
  const sep = url.indexOf('://');
  const authority = url.slice(sep + 3).replace(/\/$/, '');
  // `]` ends an IPv6 literal; a port follows the last `:` after it.
  const close = authority.lastIndexOf(']');
  const colon = authority.lastIndexOf(':');
  if (colon > close) return authority;
  return `${authority}:${url.startsWith('https') ? 443 : 80}`;
}

// --- std::mt19937 (C++ [rand.eng.mers], the engine Envoy seeds with the request hash) --------

const MT = new Uint32Array(624);
let mtIndex = 0;

/** Seeds the shared engine as `std::mt19937 random(seed)` (`seed` mod 2^32, as the standard says). */
export function mtSeed(seed: number): void {
  let x = seed >>> 0;
  MT[0] = x;
  for (let i = 1; i < 624; i++) {
    x = (Math.imul(1812433253, x ^ (x >>> 30)) + i) >>> 0;
    MT[i] = x;
  }
  mtIndex = 0;
}

/**
 * The next output of the shared engine. The twist is done one word at a time right before its
 * word is tempered, in the same in-place order as the reference's batch twist, so the outputs
 * are identical while a pick that needs a few draws does not twist all 624 words.
 */
export function mtNext(): number {
  const i = mtIndex;
  const y = ((MT[i] as number) & 0x80000000) | ((MT[i === 623 ? 0 : i + 1] as number) & 0x7fffffff);
  const j = i + 397;
  let v = ((MT[j >= 624 ? j - 624 : j] as number) ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
  MT[i] = v;
  mtIndex = i === 623 ? 0 : i + 1;
  v ^= v >>> 11;
  v ^= (v << 7) & 0x9d2c5680;
  v ^= (v << 15) & 0xefc60000;
  v ^= v >>> 18;
  return v >>> 0;
}

/** Envoy's `uniform_int(random, k)`: a uniform integer in [0, k) by rejection. */
export function mtUniform(k: number): number {
  const bucket = Math.floor(4294967296 / k);
  let x = k;
  while (x >= k) x = Math.floor(mtNext() / bucket);
  return x;
}

let order = new Int32Array(64);

/**
 * The order in which Envoy's bounded load visits host indices `0..n-1` for a hash whose low 32
 * bits are `seed` (a Fisher–Yates shuffle driven by `std::mt19937(hash)`), for tests and docs.
 *
 * @example
 * ```ts
 * envoyProbeOrder(2, 5); // [2, 1, 0, 4, 3] (Envoy's bounded_load_hlb_test.cc)
 * ```
 */
export function envoyProbeOrder(seed: number, n: number): number[] {
  mtSeed(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = mtUniform(n - i);
    const t = idx[i] as number;
    idx[i] = idx[i + j] as number;
    idx[i + j] = t;
  }
  return idx;
}

/**
 * Envoy's bounded-load pick (`BoundedLoadHashingLoadBalancer::chooseHost`, after Mirrokni et
 * al. and the random jumps of arXiv 1908.08762), exactly:
 *
 *     total_slots = ⌊((T + 1) × factor + 99) / 100⌋        T = in flight over the slots
 *     slots(h)    = max(⌈total_slots × w_h / W⌉, 1)
 *     overload(h) = in_flight(h) / slots(h)                 admitted while ≤ 1, i.e. in_flight ≤ slots
 *
 * The hashed host is taken if not overloaded; otherwise hosts are visited in the order of a
 * Fisher–Yates shuffle seeded with the hash (`std::mt19937`, low 32 bits), skipping the hashed
 * host, and the first one not overloaded is taken; if all are, the least overloaded (the first
 * of equals, starting from the hashed host). `slots` is in the order Envoy's host set has them
 * (the eligible order); `owner` maps the 64-bit hash to an index into them.
 */
export function envoyBoundedPick<S extends Slot, T>(slots: readonly S[], totalWeight: number, factorPercent: number, hi: number, lo: number, owner: (built: T, hi: number, lo: number) => number, built: T): S {
  const n = slots.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += (slots[i] as S).inFlight;
  const totalSlots = Math.floor(((total + 1) * factorPercent + 99) / 100);
  const host = slots[owner(built, hi, lo)] as S;
  let factor = overload(host, totalSlots, totalWeight);
  if (factor <= 1) return host;
  if (order.length < n) order = new Int32Array(Math.max(n, 2 * order.length));
  const idx = order;
  for (let i = 0; i < n; i++) idx[i] = i;
  mtSeed(lo);
  let least = host;
  let leastFactor = factor;
  for (let i = 0; i < n; i++) {
    const j = mtUniform(n - i);
    const k = idx[i + j] as number;
    idx[i + j] = idx[i] as number;
    idx[i] = k;
    const alt = slots[k] as S;
    if (alt === host) continue;
    factor = overload(alt, totalSlots, totalWeight);
    if (factor <= 1) return alt;
    if (leastFactor > factor) {
      least = alt;
      leastFactor = factor;
    }
  }
  return least;
}

/** Envoy's `hostOverloadFactor`: in flight ÷ the host's slots. */
function overload(s: Slot, totalSlots: number, totalWeight: number): number {
  const slots = Math.max(Math.ceil(totalSlots * (s.endpoint.weight / totalWeight)), 1);
  return s.inFlight / slots;
}
