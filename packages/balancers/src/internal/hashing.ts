/**
 * The skeleton both consistent-hashing balancers share (`ringHash`, `maglev`):
 * per-endpoint slots that survive updates, a structure built from the eligible set and rebuilt
 * only when that set changes, the pick hash (given, from the hash policies, else random), the
 * unbounded or bounded-load pick, and in-flight bookkeeping. Each algorithm supplies `build`
 * (keys and weights → its structure) and `owner` (structure, hash → index of the owning slot).
 */
import type { Endpoint, LoadBalancer, Outcome, PickInput, PickResult, SyRequest } from '@switchyard/core';
import { ENVOY_HASH, compileEnvoyRequestHash, compileRequestHash, createHashMemo, type HashPolicy } from '../hash-policy.js';
import { boundedPick } from './bounded-load.js';
import { emptyFor, invalid } from './common.js';
import { envoyBoundedPick, envoyHashKey } from './envoy.js';
import { baseSlot, createView, rekey, release, resolve, type EligibleView, type Slot } from './slots.js';

/** Options shared by the hashing balancers. */
export interface BoundedLoadOptions {
  /**
   * Bounded loads (Envoy `hash_balance_factor`, ≥ 100; unset = unbounded; typical 120–200).
   * Default mode: an endpoint takes a request only if afterwards it holds at most
   * ⌈factor/100 × (in flight + 1) × w / W⌉ (the paper's bound); overflow probes with random jumps
   * derived from the key. `compatibility: 'envoy'`: Envoy's rule, one looser — taken while
   * in flight ≤ max(⌈⌈(in flight + 1) × factor/100⌉ × w / W⌉, 1) — and Envoy's seeded shuffle.
   * Needs `begin`/`observe`.
   */
  readonly hashBalanceFactor?: number;
  /** Hash policies used when a pick has no precomputed `hash` but has a `request`. */
  readonly hashPolicy?: readonly HashPolicy[];
  /** The string an endpoint is placed by (default its `id`; Envoy: `envoy.lb` `hash_key`). */
  readonly hashKey?: (endpoint: Endpoint) => string;
  /**
   * How many recent hash-policy values to remember the hash of, per generation (default 0: off).
   * Hashing a value is murmur3 over its characters; a remembered value costs one `Map` probe
   * instead. Worth it only when the SAME string objects come back (keys read from a long-lived
   * session table or attribute), whose V8 hash is cached: then a pick costs fewer
   * instructions. A header value parsed from each request is a new string, and for those the
   * probe (V8 first hashes the new string, then compares it with the stored key) costs more
   * than murmur3 (the `hashCacheSize` rows of `pnpm bench balancers`, docs/guides/performance.md:
   * fresh strings, hot and cold keys, 10–32 characters), hence off by default. At most 2 × this many values of ≤ 128 characters are kept; when values
   * rarely repeat (below a 75 % hit rate) the memo drops them and steps aside for a while.
   * Picks are identical either way.
   */
  readonly hashCacheSize?: number;
  /**
   * Whose consistent hashing to reproduce (default `'switchyard'`: murmur3, 32-bit ring, the
   * bounded-load rule of the paper). `'envoy'` agrees with Envoy bit for bit so that Envoy
   * sidecars and switchyard services send a key to the same endpoint: XXH64 of the same request
   * bytes combined as Envoy's `HashPolicyImpl`, Envoy's 64-bit ring and Maglev table, endpoint keys
   * as Envoy's (`envoy.lb.hash_key` metadata, else `ip:port`), and Envoy's bounded-load rule and
   * shuffle. See the package README for the settings under which the picks agree.
   */
  readonly compatibility?: 'switchyard' | 'envoy';
}

/** True for `compatibility: 'envoy'` (validated: anything but the two values is a ConfigError). */
export function isEnvoy(options: BoundedLoadOptions): boolean {
  const c = options.compatibility;
  if (c !== undefined && c !== 'switchyard' && c !== 'envoy') invalid('compatibility', "must be 'switchyard' or 'envoy'");
  return c === 'envoy';
}

/** Plain state of a hashing balancer; `T` is what the algorithm builds (ring, table). */
export interface HashingState<T> {
  readonly table: Map<string, Slot>;
  /** @internal Balancer bookkeeping, not part of the API. */
  readonly view: EligibleView<Slot>;
  /** The structure built over `slots` (empty until the first pick). */
  built: T;
  /** The eligible slots in the order `built` indexes them. */
  slots: Slot[];
  /** `slots[i].picked`: an unbounded pick is a lookup and one array load. */
  picks: PickResult[];
  /**
   * The eligible array `built` was last built or checked for. A pick given this same array
   * takes the fast path (no resolve, no epoch check): the identity check is the whole cost.
   */
  ready: readonly Endpoint[] | undefined;
  epoch: number;
  totalWeight: number;
}

/** What one consistent-hashing algorithm supplies to {@link hashingBalancer}. */
export interface HashingAlgorithm<T> {
  readonly name: string;
  /** The structure before anything is eligible. */
  readonly empty: T;
  /** Order the eligible endpoints by key before building (Maglev: same table in every process). */
  readonly sortByKey: boolean;
  build(keys: readonly string[], weights: readonly number[]): T;
  /** Index (into the slots `build` was given) of the owner of `hash`, an unsigned 32-bit integer. */
  owner(built: T, hash: number): number;
}

/** Validates `hashBalanceFactor` (≥ 100, Envoy). */
export function checkFactor(factor: number | undefined): number | undefined {
  if (factor === undefined) return undefined;
  if (!Number.isInteger(factor) || factor < 100) invalid('hashBalanceFactor', 'must be an integer >= 100');
  return factor;
}

/**
 * Everything of a hashing balancer but its `pick`, for algorithms that write their own pick
 * (Maglev): a pick written in the algorithm's file has call sites of its own, so V8's inline
 * caches there see one table type and one hash function even when a process also runs ring
 * hash or other Maglev configurations.
 */
export interface HashingParts<T> {
  readonly factor: number | undefined;
  /** The request's hash under the configured policies, or undefined (no policy applied). */
  readonly requestHash: ((request: SyRequest) => number | undefined) | undefined;
  /** Rebuilds what derives from the eligible set, when it changed; marks `eligible` ready. */
  prepare(state: HashingState<T>, eligible: readonly Endpoint[], now: number): void;
  readonly create: LoadBalancer<HashingState<T>>['create'];
  readonly update: LoadBalancer<HashingState<T>>['update'];
  readonly begin: LoadBalancer<HashingState<T>>['begin'];
  readonly observe: LoadBalancer<HashingState<T>>['observe'];
}

/** The shared parts of a consistent-hashing balancer over `algorithm` (see the file comment). */
export function hashingParts<T>(algorithm: HashingAlgorithm<T>, options: BoundedLoadOptions): HashingParts<T> {
  const factor = checkFactor(options.hashBalanceFactor);
  const envoy = isEnvoy(options);
  const cacheSize = options.hashCacheSize ?? 0;
  if (!Number.isInteger(cacheSize) || cacheSize < 0) invalid('hashCacheSize', 'must be a non-negative integer');
  if (envoy && cacheSize > 0) invalid('hashCacheSize', "remembers murmur3 hashes: not available with compatibility: 'envoy'");
  const keyOf = options.hashKey ?? (envoy ? envoyHashKey : (e: Endpoint) => e.id);
  const requestHash = envoy ? undefined : compileRequestHash(options.hashPolicy, cacheSize === 0 ? undefined : createHashMemo(cacheSize));
  const { build, sortByKey } = algorithm;
  const make = (e: Endpoint): Slot => baseSlot(e, -Infinity);
  const fresh = (table: Map<string, Slot>): HashingState<T> => ({ table, view: createView(), built: algorithm.empty, slots: [], picks: [], ready: undefined, epoch: -1, totalWeight: 0 });
  return {
    factor,
    requestHash,
    prepare(state, eligible, now) {
      resolve(state.view, eligible, state.table, make, now, false);
      if (state.epoch !== state.view.epoch) {
        state.epoch = state.view.epoch;
        const keyed = state.view.slots.map((s) => ({ s, key: keyOf(s.endpoint) }));
        if (sortByKey) keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        const slots = keyed.map((k) => k.s);
        const weights = slots.map((s) => s.endpoint.weight);
        state.built = build(
          keyed.map((k) => k.key),
          weights,
        );
        state.slots = slots;
        state.picks = slots.map((s) => s.picked);
        state.totalWeight = weights.reduce((a, b) => a + b, 0);
      }
      state.ready = eligible;
    },
    create(endpoints) {
      return fresh(rekey(undefined, endpoints, make));
    },
    update(state, endpoints) {
      return fresh(rekey(state.table, endpoints, make));
    },
    begin(state, endpoint) {
      const s = state.table.get(endpoint.id);
      if (s !== undefined) s.inFlight++;
    },
    observe(state, outcome: Outcome) {
      release(state.table, outcome.endpoint.id);
    },
  };
}

/** A consistent-hashing balancer over `algorithm` with the generic pick (see the file comment). */
export function hashingBalancer<T>(algorithm: HashingAlgorithm<T>, options: BoundedLoadOptions): LoadBalancer<HashingState<T>> {
  const parts = hashingParts(algorithm, options);
  const { factor, requestHash, prepare } = parts;
  const owner = algorithm.owner;
  return {
    name: algorithm.name,
    create: parts.create,
    update: parts.update,
    pick(state: HashingState<T>, input: PickInput): PickResult {
      // Deliberately alike: maglev.ts (pick) and envoyHashingBalancer below — each hashing pick is written out so that its request-hash and lookup call sites stay monomorphic (one algorithm each); the envoy pick reads a 64-bit hash
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
      h >>>= 0;
      if (factor === undefined) return state.picks[owner(state.built, h)] as PickResult;
      return boundedPick(state.slots, state.totalWeight, factor, h, owner, state.built).picked;
    },
    begin: parts.begin,
    observe: parts.observe,
  };
}

/** What one consistent-hashing algorithm supplies to {@link envoyHashingBalancer}: 64-bit lookups. */
export interface EnvoyHashingAlgorithm<T> {
  readonly name: string;
  readonly empty: T;
  /** Builds over the endpoints in the eligible order (an algorithm that sorts does it inside). */
  build(keys: readonly string[], weights: readonly number[]): T;
  /** Index (into the slots `build` was given) of the owner of the 64-bit hash `hi:lo`. */
  owner(built: T, hi: number, lo: number): number;
}

/**
 * A consistent-hashing balancer in `compatibility: 'envoy'` mode: the request's 64-bit hash
 * (Envoy's hash policies over XXH64), the algorithm's 64-bit lookup, Envoy's bounded load. A
 * precomputed `hash` (core's 32-bit affinity hash) is taken as the high half of a 64-bit hash, so
 * that it keeps its place on the ring (`h / 2^32` of the way round); with no hash, 64 random bits
 * (Envoy: `random_.random()`).
 */
export function envoyHashingBalancer<T>(algorithm: EnvoyHashingAlgorithm<T>, options: BoundedLoadOptions): LoadBalancer<HashingState<T>> {
  const parts = hashingParts<T>({ name: algorithm.name, empty: algorithm.empty, sortByKey: false, build: algorithm.build, owner: () => 0 }, options);
  const { factor, prepare } = parts;
  const requestHash = compileEnvoyRequestHash(options.hashPolicy);
  const owner = algorithm.owner;
  return {
    name: algorithm.name,
    create: parts.create,
    update: parts.update,
    pick(state: HashingState<T>, input: PickInput): PickResult {
      // Deliberately alike: hashingBalancer above — the same pick head over a 64-bit hash (hi, lo) and Envoy's bounded load; one function would make the hash and lookup call sites polymorphic
      const eligible = input.eligible;
      if (eligible !== state.ready) {
        if (eligible.length === 0) return emptyFor(state.table.size);
        prepare(state, eligible, input.now);
      }
      let hi: number;
      let lo: number;
      const given = input.hash;
      const request = input.request;
      if (given !== undefined) {
        hi = given >>> 0;
        lo = 0;
      } else if (requestHash !== undefined && request !== undefined && requestHash(request)) {
        hi = ENVOY_HASH[0] as number;
        lo = ENVOY_HASH[1] as number;
      } else {
        hi = Math.floor(input.rng.next() * 4294967296);
        lo = Math.floor(input.rng.next() * 4294967296);
      }
      if (factor === undefined) return state.picks[owner(state.built, hi, lo)] as PickResult;
      return envoyBoundedPick(state.slots, state.totalWeight, factor, hi, lo, owner, state.built).picked;
    },
    begin: parts.begin,
    observe: parts.observe,
  };
}
