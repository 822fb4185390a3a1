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
 */
import { murmur3, type LoadBalancer } from '@switchyard/core';
import { invalid } from './internal/common.js';
import { hashingBalancer, type BoundedLoadOptions, type HashingState } from './internal/hashing.js';

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

/** Plain state of {@link ringHash}: `built` is the ring over `slots` (the eligible endpoints). */
export type RingHashState = HashingState<Ring>;

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
  let minNorm = Infinity;
  for (const w of weights) minNorm = Math.min(minNorm, w / sum);
  const scale = Math.min(Math.ceil(minNorm * minimumRingSize) / minNorm, maximumRingSize);
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
  return hashingBalancer<Ring>(
    {
      name: 'ring-hash',
      empty: { hashes: new Uint32Array(0), owners: new Int32Array(0) },
      sortByKey: false,
      build: (keys, weights) => buildRing(keys, weights, minSize, maxSize),
      owner: ringLookup,
    },
    options,
  );
}
