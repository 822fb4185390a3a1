/**
 * Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network
 * Load Balancer", NSDI 2016, §3.4; Envoy `Maglev`, semantics.md §1.1).
 *
 * Each endpoint gets a permutation of the `tableSize` slots from two hashes of its key
 * (`offset = murmur3(key, 0) mod M`, `skip = murmur3(key, 1) mod (M − 1) + 1`); endpoints
 * take turns claiming their next free slot until the table is full. Weighted as Envoy: an
 * endpoint of weight w claims a slot on the iterations where `iteration × w ≥ target`,
 * `target += maxWeight` (weights 1 and 2 over 65 537 slots → 21 846 and 43 691 entries).
 * Endpoints are ordered by key before building, so the table is the same in every process
 * whatever the input order. Lookup is `table[hash mod M]`: O(1), flat in N. On removal of
 * one of N endpoints, somewhat more than 1/N of keys move (≈ 2× ring hash, per Envoy).
 *
 * With `compatibility: 'envoy'` the table is Envoy's own ({@link buildEnvoyMaglevTable}: XXH64
 * offsets and skips, normalized weights) and is indexed with the request's 64-bit XXH64 hash, so
 * the picks agree with an Envoy `MAGLEV` cluster of the same `table_size`.
 */
import { murmur3, type LoadBalancer, type PickInput, type PickResult } from '@switchyard/core';
import { boundedPick } from './internal/bounded-load.js';
import { emptyFor, invalid } from './internal/common.js';
import { mod64 } from './internal/envoy.js';
import { envoyHashingBalancer, hashingParts, isEnvoy, type BoundedLoadOptions, type HashingState } from './internal/hashing.js';
import { XXH64_OUT, xxh64String } from './xxhash64.js';

/** Options of {@link maglev}. */
export interface MaglevOptions extends BoundedLoadOptions {
  /** Lookup table size: a prime ≤ 5 000 011 (default 65 537). */
  readonly tableSize?: number;
}

/** A compact Maglev table: the narrowest unsigned array that holds every endpoint index. */
export type MaglevTable = Uint8Array | Uint16Array | Uint32Array;

/**
 * Plain state of {@link maglev}: `built` is the lookup table (slot → index into `slots`, the
 * eligible endpoints ordered by key), a `Uint8Array` up to 256 endpoints (64 KiB for 65 537
 * slots) and a `Uint16Array` up to 65 536: a lookup is a random access into it, and the fewer
 * cache lines the table spans, the more of them stay in cache.
 */
export type MaglevState = HashingState<MaglevTable>;

/** True if `n` is prime (trial division; table sizes are ≤ 5 000 011). */
export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/**
 * Builds a Maglev lookup table: entry `j` holds the index (into `keys`) of the endpoint that
 * owns slot `j`. `keys` must be distinct; callers wanting order independence sort them first
 * (as {@link maglev} does).
 *
 * @example
 * ```ts
 * import { buildMaglevTable } from '@switchyard/balancers';
 * const table = buildMaglevTable(['a', 'b'], [1, 2], 65_537);
 * table.filter((i) => i === 1).length; // 43 691
 * ```
 */
export function buildMaglevTable(keys: readonly string[], weights: readonly number[], tableSize = 65_537): Int32Array {
  // Deliberately alike: buildEnvoyMaglevTable below — two table fills with different outputs: ours (murmur3 offsets and skips, raw weights, the caller's key order) and Envoy's exact one (XXH64, sorted keys, normalized weights), each pinned by its own vectors
  const n = keys.length;
  const M = tableSize;
  const table = new Int32Array(M).fill(-1);
  if (n === 0) return table;
  // pos[i] is the endpoint's current place in its permutation (offset + j·skip) mod M, kept
  // by addition so that no product can exceed 2^31.
  const pos = new Int32Array(n);
  const skip = new Int32Array(n);
  const target = new Float64Array(n);
  let maxWeight = 0;
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    pos[i] = murmur3(key, 0) % M;
    skip[i] = (murmur3(key, 1) % (M - 1)) + 1;
    maxWeight = Math.max(maxWeight, weights[i] as number);
  }
  let filled = 0;
  for (let iteration = 1; filled < M; iteration++) {
    for (let i = 0; i < n && filled < M; i++) {
      const w = weights[i] as number;
      if (iteration * w < (target[i] as number)) continue;
      target[i] = (target[i] as number) + maxWeight;
      const s = skip[i] as number;
      let c = pos[i] as number;
      while ((table[c] as number) >= 0) {
        c += s;
        if (c >= M) c -= M;
      }
      table[c] = i;
      c += s;
      pos[i] = c >= M ? c - M : c;
      filled++;
    }
  }
  return table;
}

/**
 * Builds a Maglev table exactly as Envoy's `MaglevTable` (`maglev_lb.cc`): endpoints sorted by
 * key (Envoy sorts by the key's bytes; keys here compare by UTF-16 code units, the same order for
 * the ASCII addresses and host names used as keys); `offset = XXH64(key) mod M`,
 * `skip = XXH64(key, seed 1) mod (M − 1) + 1`; normalized weights `w / Σw` as doubles, and an
 * endpoint claims its next free slot on the iterations where `iteration × w ≥ target`,
 * `target += max w`, until the table is full. Entry `j` holds the index **into `keys` as given**
 * (the build sorts a copy), so the caller's order (Envoy's host-set order, which its bounded load
 * probes in) is kept.
 *
 * @example
 * ```ts
 * import { buildEnvoyMaglevTable } from '@switchyard/balancers';
 * const keys = ['127.0.0.1:90', '127.0.0.1:91', '127.0.0.1:92', '127.0.0.1:93', '127.0.0.1:94', '127.0.0.1:95'];
 * Array.from(buildEnvoyMaglevTable(keys, [1, 1, 1, 1, 1, 1], 7)); // [2, 4, 0, 1, 5, 0, 3] (Envoy's test)
 * ```
 */
export function buildEnvoyMaglevTable(keys: readonly string[], weights: readonly number[], tableSize = 65_537): Int32Array {
  // Deliberately alike: buildMaglevTable above — Envoy's exact maglev_lb.cc fill (XXH64, sorted keys, normalized weights) beside ours (murmur3, raw weights, given order): same loop shape, different outputs by design
  const n = keys.length;
  const M = tableSize;
  const table = new Int32Array(M).fill(-1);
  if (n === 0) return table;
  const sorted = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const ka = keys[a] as string;
    const kb = keys[b] as string;
    return ka < kb ? -1 : ka > kb ? 1 : a - b;
  });
  let sum = 0;
  for (const w of weights) sum += w;
  const pos = new Int32Array(n);
  const skip = new Int32Array(n);
  const weight = new Float64Array(n);
  const target = new Float64Array(n);
  let maxWeight = 0;
  for (let e = 0; e < n; e++) {
    const i = sorted[e] as number;
    const key = keys[i] as string;
    xxh64String(key, 0, 0, false);
    pos[e] = mod64(XXH64_OUT[0] as number, XXH64_OUT[1] as number, M);
    xxh64String(key, 0, 1, false);
    skip[e] = mod64(XXH64_OUT[0] as number, XXH64_OUT[1] as number, M - 1) + 1;
    weight[e] = (weights[i] as number) / sum;
    maxWeight = Math.max(maxWeight, weight[e] as number);
  }
  let filled = 0;
  for (let iteration = 1; filled < M; iteration++) {
    for (let e = 0; e < n && filled < M; e++) {
      if (iteration * (weight[e] as number) < (target[e] as number)) continue;
      target[e] = (target[e] as number) + maxWeight;
      const s = skip[e] as number;
      let c = pos[e] as number;
      while ((table[c] as number) >= 0) {
        c += s;
        if (c >= M) c -= M;
      }
      table[c] = sorted[e] as number;
      c += s;
      pos[e] = c >= M ? c - M : c;
      filled++;
    }
  }
  return table;
}

/** The table with its `-1`-free entries in the narrowest unsigned array that holds `n − 1`. */
function compactTable(table: Int32Array, n: number): MaglevTable {
  return n <= 256 ? Uint8Array.from(table) : n <= 65_536 ? Uint16Array.from(table) : Uint32Array.from(table);
}

/**
 * Creates a Maglev balancer.
 *
 * When to use: consistent hashing with the fastest lookup and an even spread; the table is
 * identical across processes, so a fleet of gateways agrees on key → endpoint. Gotcha:
 * building costs O(M) (milliseconds for 65 537) on every change of the eligible set; extreme
 * weight ratios are distorted because every endpoint gets at least one entry.
 *
 * @example
 * ```ts
 * import { createEndpoint, systemRng } from '@switchyard/core';
 * import { maglev, hashByHeader } from '@switchyard/balancers';
 * const lb = maglev({ hashPolicy: [hashByHeader('x-user-id')], hashBalanceFactor: 150 });
 * const endpoints = [createEndpoint({ url: 'http://a:80' }), createEndpoint({ url: 'http://b:80' })];
 * const state = lb.create(endpoints, 0);
 * lb.pick(state, { eligible: endpoints, now: 0, rng: systemRng, request: req });
 * ```
 */
export function maglev(options: MaglevOptions = {}): LoadBalancer<MaglevState> {
  const M = options.tableSize ?? 65_537;
  if (!isPrime(M) || M > 5_000_011) invalid('tableSize', 'must be a prime <= 5000011');
  if (isEnvoy(options)) {
    const r32 = 4294967296 % M;
    return envoyHashingBalancer<MaglevTable>(
      {
        name: 'maglev',
        empty: new Uint8Array(0),
        build: (keys, weights) => compactTable(buildEnvoyMaglevTable(keys, weights, M), keys.length),
        owner: (table, hi, lo) => table[mod64(hi, lo, M, r32)] as number,
      },
      options,
    );
  }
  const owner = (table: MaglevTable, hash: number): number => table[hash % M] as number;
  const parts = hashingParts<MaglevTable>(
    {
      name: 'maglev',
      empty: new Uint8Array(0),
      sortByKey: true,
      build: (keys, weights) => compactTable(buildMaglevTable(keys, weights, M), keys.length),
      owner,
    },
    options,
  );
  const { factor, requestHash, prepare } = parts;
  // Maglev's own pick (not the generic one ring hash uses): its table load and hash call
  // sites see Maglev only. Unbounded, a pick is: identity check of the eligible array, the
  // request hash, `table[hash mod M]`, and the endpoint's preallocated result.
  // Deliberately alike: internal/hashing.ts (hashingBalancer's pick) — Maglev's own pick keeps its table load and hash call sites monomorphic (see above): sharing the generic pick costs them
  const pick = (state: MaglevState, input: PickInput): PickResult => {
    const eligible = input.eligible;
    if (eligible !== state.ready) {
      if (eligible.length === 0) return emptyFor(state.table.size);
      prepare(state, eligible, input.now);
    }
    let h = input.hash;
    if (h === undefined) {
      const request = input.request;
      if (requestHash !== undefined && request !== undefined) h = requestHash(request);
      if (h === undefined) h = Math.floor(input.rng.next() * 4294967296);
    }
    if (factor === undefined) return state.picks[state.built[(h >>> 0) % M] as number] as PickResult;
    return boundedPick(state.slots, state.totalWeight, factor, h >>> 0, owner, state.built).picked;
  };
  return { name: 'maglev', create: parts.create, update: parts.update, pick, begin: parts.begin, observe: parts.observe };
}
