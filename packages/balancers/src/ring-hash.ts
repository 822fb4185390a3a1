/**
 * Ring hash: Ketama-style consistent hashing (Karger et al., "Consistent Hashing and Random
 * Trees", STOC 1997; libketama; Envoy `RingHash`, gRPC A42; semantics.md §1.1, §5.2).
 *
 * Each endpoint is hashed onto a 32-bit ring a number of times proportional to its weight
 * (`murmur3("<key>_<i>")`); a request's hash maps to the nearest entry clockwise. The ring
 * size is Envoy's: the smallest scale at which the lightest endpoint gets
 * ⌈minimumRingSize × its weight share⌉ entries, clamped to `maximumRingSize`. When one of N
 * endpoints leaves, only the keys it owned (≈ 1/N) move.
 *
 * The ring is built over the eligible endpoints (as Envoy builds it over healthy hosts) and
 * rebuilt only when that set changes. With `hashBalanceFactor`, loads are bounded (see
 * {@link BoundedLoadOptions}).
 *
 * With `compatibility: 'envoy'` the ring is Envoy's own ({@link buildEnvoyRing}: 64-bit XXH64
 * entries of `"<ip:port>_<i>"`, looked up with the request's XXH64 hash), so the picks agree
 * with an Envoy `RING_HASH` cluster configured alike (`hash_function: XX_HASH`).
 */
import { murmur3, type LoadBalancer } from '@switchyard/core';
import { invalid } from './internal/common.js';
import { envoyHashingBalancer, hashingBalancer, isEnvoy, type BoundedLoadOptions, type HashingState } from './internal/hashing.js';
import { XXH64_OUT, xxh64String } from './xxhash64.js';

export type { BoundedLoadOptions } from './internal/hashing.js';

/** Options of {@link ringHash}. */
export interface RingHashOptions extends BoundedLoadOptions {
  /** Default 1 024. */
  readonly minimumRingSize?: number;
  /** Default 8 388 608 (Envoy; gRPC caps at 4 096). */
  readonly maximumRingSize?: number;
}

/** A built ring: sorted entry hashes and the index of the endpoint owning each. */
export interface Ring {
  readonly hashes: Uint32Array;
  readonly owners: Int32Array;
}

/**
 * Plain state of {@link ringHash}: `built` is the ring over `slots` (the eligible endpoints), a
 * {@link Ring} or, with `compatibility: 'envoy'`, an {@link EnvoyRing}.
 */
export type RingHashState = HashingState<Ring | EnvoyRing>;

/**
 * Envoy's ring size (`RingHashLoadBalancer::Ring::Ring`): scaled so that the lightest endpoint
 * (normalized weight `minNorm`) gets at least `minimumRingSize × minNorm` entries, capped at
 * `maximumRingSize`. Shared by both ring builds. (Weights are non-negative, so every `w / sum` is
 * at most 1: starting `minNorm` at 1, as Envoy does, gives the same scale as starting at ∞.)
 */
function ringScale(weights: readonly number[], sum: number, minimumRingSize: number, maximumRingSize: number): number {
  let minNorm = 1;
  for (const w of weights) minNorm = Math.min(minNorm, w / sum);
  return Math.min(Math.ceil(minNorm * minimumRingSize) / minNorm, maximumRingSize);
}

/**
 * Builds a Ketama ring for `keys` with `weights` (Envoy's sizing; see the file comment).
 *
 * @example
 * ```ts
 * import { buildRing, ringLookup } from '@switchyard/balancers';
 * const ring = buildRing(['a', 'b', 'c'], [1, 1, 1], 1024, 8_388_608);
 * ringLookup(ring, 123456789); // owner index, 0..2
 * ```
 */
export function buildRing(keys: readonly string[], weights: readonly number[], minimumRingSize: number, maximumRingSize: number): Ring {
  const n = keys.length;
  let sum = 0;
  for (const w of weights) sum += w;
  const scale = ringScale(weights, sum, minimumRingSize, maximumRingSize);
  // Deliberately alike: buildEnvoyRing below — the same placement loop (Envoy's ring sizing is one function, ringScale) filling different entries: a packed murmur3 hash and owner here, XXH64's two 32-bit halves and an owner array there; one function would take a callback per ring entry
  const packed: number[] = [];
  let target = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    target += scale * ((weights[i] as number) / sum);
    const key = keys[i] as string;
    for (let r = 0; count < target; r++, count++) {
      // hash × 2^21 + owner sorts by hash, then by owner: deterministic on collisions.
      packed.push(murmur3(`${key}_${r}`) * 2097152 + i);
    }
  }
  packed.sort((a, b) => a - b);
  const hashes = new Uint32Array(packed.length);
  const owners = new Int32Array(packed.length);
  for (let j = 0; j < packed.length; j++) {
    const p = packed[j] as number;
    const owner = p % 2097152;
    hashes[j] = (p - owner) / 2097152;
    owners[j] = owner;
  }
  return { hashes, owners };
}

/** The owner of the first ring entry whose hash is ≥ `hash` (wrapping to the first). */
export function ringLookup(ring: Ring, hash: number): number {
  const hashes = ring.hashes;
  let lo = 0;
  let hi = hashes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((hashes[mid] as number) < hash) lo = mid + 1;
    else hi = mid;
  }
  return ring.owners[lo === hashes.length ? 0 : lo] as number;
}

/**
 * A ring as Envoy builds it (`compatibility: 'envoy'`): 64-bit entry hashes as sorted
 * (`hi`, `lo`) halves and the index of the endpoint owning each.
 */
export interface EnvoyRing {
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  readonly owners: Int32Array;
}

/**
 * Builds a ring exactly as Envoy's `RingHashLoadBalancer::Ring` (`ring_hash_lb.cc`, default
 * `hash_function: XX_HASH`): normalized weights `w / Σw` (doubles), `scale = min(⌈min_w ×
 * minimumRingSize⌉ / min_w, maximumRingSize)`, and for each endpoint in the given order, entries
 * `XXH64("<key>_<i>")` (`i` = 0, 1, … in decimal) while the running count is below the running
 * target `Σ scale × w`. Entries are sorted by hash (Envoy's `std::sort` leaves equal hashes in an
 * unspecified order; here the lower endpoint index comes first: equal 64-bit hashes need equal
 * keys).
 *
 * @example
 * ```ts
 * import { buildEnvoyRing, envoyRingLookup } from '@switchyard/balancers';
 * const ring = buildEnvoyRing(['127.0.0.1:90', '127.0.0.1:91'], [1, 1], 1024, 8_388_608);
 * envoyRingLookup(ring, 0n); // owner index of the first entry
 * ```
 */
export function buildEnvoyRing(keys: readonly string[], weights: readonly number[], minimumRingSize: number, maximumRingSize: number): EnvoyRing {
  const n = keys.length;
  if (n === 0) return { hi: new Uint32Array(0), lo: new Uint32Array(0), owners: new Int32Array(0) };
  let sum = 0;
  for (const w of weights) sum += w;
  const scale = ringScale(weights, sum, minimumRingSize, maximumRingSize);
  // Deliberately alike: buildRing above — the same placement loop (ringScale is shared) filling different entries: XXH64's two halves and an owner array here, a packed murmur3 hash there; one function would take a callback per ring entry
  const his: number[] = [];
  const los: number[] = [];
  const owners: number[] = [];
  let target = 0;
  let current = 0;
  for (let i = 0; i < n; i++) {
    target += scale * ((weights[i] as number) / sum);
    const key = keys[i] as string;
    for (let r = 0; current < target; r++, current++) {
      xxh64String(`${key}_${r}`, 0, 0, false);
      his.push(XXH64_OUT[0] as number);
      los.push(XXH64_OUT[1] as number);
      owners.push(i);
    }
  }
  const m = his.length;
  const idx = Array.from({ length: m }, (_, j) => j);
  idx.sort((a, b) => (his[a] as number) - (his[b] as number) || (los[a] as number) - (los[b] as number) || (owners[a] as number) - (owners[b] as number));
  const ring = { hi: new Uint32Array(m), lo: new Uint32Array(m), owners: new Int32Array(m) };
  for (let j = 0; j < m; j++) {
    const k = idx[j] as number;
    ring.hi[j] = his[k] as number;
    ring.lo[j] = los[k] as number;
    ring.owners[j] = owners[k] as number;
  }
  return ring;
}

/**
 * The owner of the entry Envoy's `Ring::chooseHost` (a port of libketama's binary search) picks
 * for the 64-bit hash `hi:lo`: the first entry whose hash is ≥ the request's (an equal hash maps
 * to that entry), wrapping past the last entry to the first. Ketama's search with its signed
 * bounds returns exactly that entry; this is the same search written as a lower bound.
 */
export function envoyRingOwner(ring: EnvoyRing, hi: number, lo: number): number {
  const his = ring.hi;
  const los = ring.lo;
  let a = 0;
  let b = his.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    const mh = his[mid] as number;
    if (mh < hi || (mh === hi && (los[mid] as number) < lo)) a = mid + 1;
    else b = mid;
  }
  return ring.owners[a === his.length ? 0 : a] as number;
}

/**
 * The ring's owner lookup (`envoyRingOwner`, internal: it takes the hash as two 32-bit halves)
 * for a hash given as an unsigned 64-bit BigInt (what Envoy's tests and
 * `LoadBalancerContext::computeHashKey` hand the ring).
 *
 * @example
 * ```ts
 * envoyRingLookup(ring, 3551244743356806947n);
 * ```
 */
export function envoyRingLookup(ring: EnvoyRing, hash: bigint): number {
  const h = BigInt.asUintN(64, hash);
  return envoyRingOwner(ring, Number(h >> 32n), Number(h & 0xffffffffn));
}

/**
 * Creates a ring-hash balancer.
 *
 * When to use: cache affinity (the same key → the same endpoint) with minimal movement when
 * endpoints change. Gotcha: a hot key overloads its endpoint unless `hashBalanceFactor` is
 * set; with no hash (and no applicable policy) the pick is random.
 *
 * @example
 * ```ts
 * import { createEndpoint, systemRng, murmur3 } from '@switchyard/core';
 * import { ringHash } from '@switchyard/balancers';
 * const lb = ringHash({ minimumRingSize: 1024 });
 * const endpoints = [createEndpoint({ url: 'http://a:80' }), createEndpoint({ url: 'http://b:80' })];
 * const state = lb.create(endpoints, 0);
 * lb.pick(state, { eligible: endpoints, now: 0, rng: systemRng, hash: murmur3('user-42') });
 * ```
 */
export function ringHash(options: RingHashOptions = {}): LoadBalancer<RingHashState> {
  const minSize = options.minimumRingSize ?? 1024;
  const maxSize = options.maximumRingSize ?? 8_388_608;
  if (!Number.isInteger(minSize) || minSize < 1 || minSize > 8_388_608) invalid('minimumRingSize', 'must be an integer in [1, 8388608]');
  if (!Number.isInteger(maxSize) || maxSize < minSize || maxSize > 8_388_608) invalid('maximumRingSize', 'must be an integer in [minimumRingSize, 8388608]');
  if (isEnvoy(options)) {
    return envoyHashingBalancer<EnvoyRing>(
      {
        name: 'ring-hash',
        empty: { hi: new Uint32Array(0), lo: new Uint32Array(0), owners: new Int32Array(0) },
        build: (keys, weights) => buildEnvoyRing(keys, weights, minSize, maxSize),
        owner: envoyRingOwner,
      },
      options,
    ) as LoadBalancer<RingHashState>;
  }
  return hashingBalancer<Ring>(
    {
      name: 'ring-hash',
      empty: { hashes: new Uint32Array(0), owners: new Int32Array(0) },
      sortByKey: false,
      build: (keys, weights) => buildRing(keys, weights, minSize, maxSize),
      owner: ringLookup,
    },
    options,
  ) as LoadBalancer<RingHashState>;
}
