/**
 * `pnpm bench balancers`: pick cost of every switchyard policy at 10 / 100 / 1 000 endpoints,
 * a floor (two random draws + one comparison over plain arrays) that P2C and Peak EWMA are
 * measured against, Maglev table build for 1 000 endpoints, and key → endpoint lookups side
 * by side with `hashring` and `consistent-hash`.
 *
 * Every comparison runs through the harness's `interleaved()`: candidates alternate round by
 * round (order flipped every round, a minor GC before each), so load swings on the shared
 * machine and GC phases hit them alike; a row is the median of the per-round means. Each
 * candidate's timed function runs a batch of operations in its own loop (its own call site,
 * no megamorphic dispatch in the hot loop); rows are divided back to ns per operation.
 *
 * Key lookups model a proxy: the hash key (a header value, a cookie, a client IP) is a NEW
 * string object on every request, flat and not internalized, whose V8 hash nobody has
 * computed yet. So before every round each candidate gets its own request objects, one per
 * lookup, built from the key bytes (`Buffer#toString('latin1')`, as a parser decodes a
 * header): no candidate ever sees a string object that another one, or an earlier round, has
 * hashed, internalized or cached (checked with V8's %IsInternalizedString and
 * %IsSameHeapObject). A round is one `interleaved()` call (rounds: 1), so the requests are
 * young and cache-warm like a request just parsed; this suite takes the median over rounds
 * and flips the order of the candidates every round, as the harness does. Two key universes:
 * 100 000 user ids drawn uniformly (hashring's 5 000-entry LRU mostly misses; our memo steps
 * aside), and 100 hot keys (hashring's LRU hits; our opt-in `hashCacheSize` memo hits).
 * Every candidate is checked first: equal keys in different string objects map to the same
 * server, always one of the fleet, and switchyard's Maglev paths agree with core's murmur3.
 *
 * undici `BalancedPool` is not measured: its selection (`kGetDispatcher`, a weighted round
 * robin whose weights move with each upstream Pool's errors and busy state) is a private,
 * symbol-keyed method over live `Pool` objects; calling it in isolation would time a
 * different thing than a user runs.
 */
import { setFlagsFromString } from 'node:v8';
import { createEndpoint, murmur3, type Endpoint, type LoadBalancer, type PickResult, type Rng, type SyRequest } from '@switchyard/core';
import {
  buildMaglevTable,
  clientSideWeightedRoundRobin,
  hashByHeader,
  leastRequest,
  maglev,
  peakEwma,
  random,
  ringHash,
  roundRobin,
  weightedRandom,
  weightedRoundRobin,
} from '@switchyard/balancers';
import ConsistentHash from 'consistent-hash';
import HashRing from 'hashring';
import { interleaved, interleavedRounds, round, writeResults, type CaseResult } from './harness.js';

const SIZES = [10, 100, 1000] as const;
/** Picks per timed call of a policy candidate (the harness's per-call overhead stays out). */
const PICK_BATCH = 256;
/** Key lookups per timed call. */
const LOOKUP_BATCH = 64;
const PICK_ROUNDS = 41;
const PICK_OPS = 40;
/** Timed rounds per lookup case (each with fresh requests), after untimed warm-up rounds. */
const LOOKUP_ROUNDS = 41;
const LOOKUP_WARM_ROUNDS = 8;
/** Timed calls per candidate and round: LOOKUP_OPS × LOOKUP_BATCH lookups. */
const LOOKUP_OPS = 32;

type Impl = readonly [string, () => unknown];

/** xorshift32: cheap, so the floor and the policies pay the same for randomness. */
function fastRng(seed = 0x9e3779b9): Rng {
  let s = seed | 0;
  return {
    next: () => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) / 4294967296;
    },
  };
}

function fleet(n: number, weighted: boolean): Endpoint[] {
  return Array.from({ length: n }, (_, i) => createEndpoint({ id: `10.0.${i >> 8}.${i & 255}:8080`, url: `http://10.0.${i >> 8}.${i & 255}:8080`, weight: weighted ? 1 + (i % 4) : 1 }));
}

/** Runs `impls` interleaved; each fn does `batch` operations, rows are per operation. */
async function perOp(c: string, impls: readonly Impl[], batch: number, options: { rounds: number; ops: number }): Promise<CaseResult[]> {
  const rows = await interleaved(c, impls, options);
  return rows.map((r) => ({ ...r, ns: round((r.ns ?? NaN) / batch, 3) }));
}

// ---------------------------------------------------------------------------------------------
// Picks: the floor, P2C, Peak EWMA (the targets) and every other policy.

function floorImpl(n: number): Impl {
  const loads = new Float64Array(n).map((_, i) => (i * 7919) % 13);
  const rng = fastRng(n);
  return [
    'floor (2 draws + 1 compare)',
    () => {
      let sum = 0;
      for (let i = 0; i < PICK_BATCH; i++) {
        const a = Math.floor(rng.next() * n);
        const b = Math.floor(rng.next() * n);
        sum += (loads[a] as number) <= (loads[b] as number) ? a : b;
      }
      return sum;
    },
  ];
}

/** Least-request P2C with one reused input object whose `now` moves as a gateway passes it. */
function leastRequestImpl(n: number, sampling: 'with-replacement' | 'distinct'): Impl {
  const lb = leastRequest({ sampling });
  const eps = fleet(n, false);
  const state = lb.create(eps, 0);
  const rng = fastRng(n);
  for (let i = 0; i < n * 2; i++) lb.begin(state, eps[(i * 7) % n] as Endpoint, 0);
  const input = { eligible: eps, now: 0, rng };
  const ids = new Set(eps.map((e) => e.id));
  for (let i = 0; i < 100; i++) {
    const r = lb.pick(state, input);
    if (r.kind !== 'picked' || !ids.has(r.endpoint.id)) throw new Error('least-request picked wrongly');
  }
  const first = lb.pick(state, input);
  return [
    `switchyard least-request P2C${sampling === 'distinct' ? ' distinct' : ''}`,
    () => {
      let r: PickResult = first;
      for (let i = 0; i < PICK_BATCH; i++) {
        input.now++;
        r = lb.pick(state, input);
      }
      return r;
    },
  ];
}

function peakEwmaImpl(n: number): Impl {
  const lb = peakEwma();
  const eps = fleet(n, false);
  const state = lb.create(eps, 0);
  const rng = fastRng(n);
  for (let i = 0; i < n * 3; i++) {
    const e = eps[(i * 7) % n] as Endpoint;
    lb.begin(state, e, i);
    if (i % 3 !== 0) lb.observe(state, { kind: 'response', endpoint: e, status: 200, latencyMs: 5 + (i % 23), at: i });
  }
  const input = { eligible: eps, now: n * 3, rng };
  const ids = new Set(eps.map((e) => e.id));
  for (let i = 0; i < 100; i++) {
    const r = lb.pick(state, input);
    if (r.kind !== 'picked' || !ids.has(r.endpoint.id)) throw new Error('peak-ewma picked wrongly');
  }
  const first = lb.pick(state, input);
  return [
    'switchyard peak-ewma P2C',
    () => {
      let r: PickResult = first;
      for (let i = 0; i < PICK_BATCH; i++) {
        input.now++;
        r = lb.pick(state, input);
      }
      return r;
    },
  ];
}

/** Any other policy through the generic `pick` (one shared loop: these rows are not targets). */
function policyImpl<S>(name: string, lb: LoadBalancer<S>, n: number, opts: { weighted?: boolean; hashes?: Uint32Array; warm?: boolean } = {}): Impl {
  const eps = fleet(n, opts.weighted ?? false);
  const state = lb.create(eps, 0);
  const rng = fastRng(n);
  let now = 1;
  if (opts.warm === true) {
    // Give latency-aware policies real, varied estimates and some requests in flight.
    for (let i = 0; i < n * 4; i++) {
      const r = lb.pick(state, { eligible: eps, now, rng });
      if (r.kind !== 'picked') throw new Error('empty');
      lb.begin(state, r.endpoint, now);
      if (i % 3 !== 0) lb.observe(state, { kind: 'response', endpoint: r.endpoint, status: 200, latencyMs: 5 + (i % 23), at: now });
      now++;
    }
  }
  const hashes = opts.hashes;
  const ids = new Set(eps.map((e) => e.id));
  for (let i = 0; i < 100; i++) {
    const r = lb.pick(state, { eligible: eps, now: now++, rng, hash: hashes?.[i & 1023] });
    if (r.kind !== 'picked' || !ids.has(r.endpoint.id)) throw new Error(`${name} picked wrongly`);
  }
  const input: { eligible: Endpoint[]; now: number; rng: Rng; hash: number | undefined } = { eligible: eps, now, rng, hash: undefined };
  let k = 0;
  return [
    `switchyard ${name}`,
    () => {
      let r: PickResult | undefined;
      for (let i = 0; i < PICK_BATCH; i++) {
        input.now++;
        if (hashes !== undefined) input.hash = hashes[k++ & 1023];
        r = lb.pick(state, input);
      }
      return r;
    },
  ];
}

async function pickRows(n: number, hashes: Uint32Array): Promise<CaseResult[]> {
  return perOp(
    `pick N=${n}`,
    [
      floorImpl(n),
      leastRequestImpl(n, 'with-replacement'),
      leastRequestImpl(n, 'distinct'),
      peakEwmaImpl(n),
      policyImpl('round-robin', roundRobin(), n),
      policyImpl('weighted-round-robin', weightedRoundRobin(), n, { weighted: true }),
      policyImpl('random', random(), n),
      policyImpl('weighted-random', weightedRandom(), n, { weighted: true }),
      policyImpl('least-request weighted (EDF)', leastRequest(), n, { weighted: true, warm: true }),
      policyImpl('client-side-wrr', clientSideWeightedRoundRobin(), n, { warm: true }),
      policyImpl('ring-hash (hash given)', ringHash(), n, { hashes }),
      policyImpl('maglev (hash given)', maglev(), n, { hashes }),
      policyImpl('maglev bounded 150 (hash given)', maglev({ hashBalanceFactor: 150 }), n, { hashes, warm: true }),
      policyImpl('ring-hash envoy (hash given)', ringHash({ compatibility: 'envoy' }), n, { hashes }),
      policyImpl('maglev envoy (hash given)', maglev({ compatibility: 'envoy' }), n, { hashes }),
      policyImpl('maglev envoy bounded 150 (hash given)', maglev({ compatibility: 'envoy', hashBalanceFactor: 150 }), n, { hashes, warm: true }),
    ],
    PICK_BATCH,
    { rounds: PICK_ROUNDS, ops: PICK_OPS },
  );
}

// ---------------------------------------------------------------------------------------------
// Key lookups on fresh strings.

/** A key universe as bytes: key `i` is `bytes[offsets[i]] … bytes[offsets[i + 1] − 1]`. */
interface Universe {
  readonly name: string;
  readonly size: number;
  readonly bytes: Buffer;
  readonly offsets: Uint32Array;
}

function universe(name: string, keys: readonly string[]): Universe {
  const bytes = Buffer.from(keys.join(''), 'latin1');
  const offsets = new Uint32Array(keys.length + 1);
  for (let i = 0; i < keys.length; i++) offsets[i + 1] = (offsets[i] as number) + (keys[i] as string).length;
  return { name, size: keys.length, bytes, offsets };
}

/** A new, flat, non-internalized string for key `i` (as a parser decoding a header would make). */
function freshKey(u: Universe, i: number): string {
  return u.bytes.toString('latin1', u.offsets[i], u.offsets[i + 1]);
}

const HEADER = 'x-user-id';
const ATTRIBUTES = Object.freeze({});

function request(value: string): SyRequest {
  return { method: 'GET', scheme: 'http', authority: 'cache.internal', path: '/profile', query: '', headers: { host: 'cache.internal', [HEADER]: value }, attributes: ATTRIBUTES };
}

/** One request per lookup, for `draws` (key indices), every key a fresh string object. */
function requests(u: Universe, draws: Uint32Array): SyRequest[] {
  const out = new Array<SyRequest>(draws.length);
  for (let i = 0; i < draws.length; i++) out[i] = request(freshKey(u, draws[i] as number));
  return out;
}

/** V8 intrinsics, to prove the key strings are what the model says (compiled after the flag). */
function intrinsics(): { same: (a: string, b: string) => boolean; internalized: (s: string) => boolean } {
  setFlagsFromString('--allow-natives-syntax');
  return {
    same: new Function('a', 'b', 'return %IsSameHeapObject(a, b)') as (a: string, b: string) => boolean,
    internalized: new Function('s', 'return %IsInternalizedString(s)') as (s: string) => boolean,
  };
}

/** A candidate's fresh requests for the current round, and how far it has read them. */
interface Source {
  pool: SyRequest[];
  next: number;
}

/** A candidate: how it answers one request (for the check) and its timed batch over `pool`. */
interface LookupCandidate {
  readonly impl: string;
  readonly lookup: (req: SyRequest) => string;
  /** The timed batch: LOOKUP_BATCH lookups over `src.pool` from `src.next` on. */
  readonly timed: (src: Source) => () => unknown;
}

function lookupCandidates(n: number): LookupCandidate[] {
  const eps = fleet(n, false);
  const servers = eps.map((e) => e.id);
  const rng = fastRng(1);
  const id = (r: PickResult): string => (r.kind === 'picked' ? r.endpoint.id : '');
  const policy = [hashByHeader(HEADER)];
  const mg = maglev({ hashPolicy: policy });
  const mgState = mg.create(eps, 0);
  const memo = maglev({ hashPolicy: policy, hashCacheSize: 1024 });
  const memoState = memo.create(eps, 0);
  const plain = maglev();
  const plainState = plain.create(eps, 0);
  const rh = ringHash({ hashPolicy: policy });
  const rhState = rh.create(eps, 0);
  const emg = maglev({ hashPolicy: policy, compatibility: 'envoy' });
  const emgState = emg.create(eps, 0);
  const erh = ringHash({ hashPolicy: policy, compatibility: 'envoy' });
  const erhState = erh.create(eps, 0);
  const hr = new HashRing(servers);
  const ch = new ConsistentHash();
  for (const s of servers) ch.add(s);
  const key = (req: SyRequest): string => req.headers[HEADER] as string;
  // Each candidate writes out its own timed loop rather than calling a shared factory: closures
  // made from one function literal share V8's type feedback, so a shared loop's `pick` call site
  // would turn polymorphic across candidates and charge every one of them for the others.
  return [
    {
      impl: 'switchyard maglev (header policy)',
      lookup: (req) => id(mg.pick(mgState, { eligible: eps, now: 0, rng, request: req })),
      timed: (src) => {
        const input: { eligible: Endpoint[]; now: number; rng: Rng; request: SyRequest | undefined } = { eligible: eps, now: 0, rng, request: undefined };
        return () => {
          const pool = src.pool;
          let p = src.next;
          let r: PickResult | undefined;
          for (let i = 0; i < LOOKUP_BATCH; i++) {
            input.request = pool[p++];
            r = mg.pick(mgState, input);
          }
          src.next = p;
          return r;
        };
      },
    },
    {
      impl: 'switchyard maglev (header policy, hashCacheSize 1024)',
      lookup: (req) => id(memo.pick(memoState, { eligible: eps, now: 0, rng, request: req })),
      timed: (src) => {
        const input: { eligible: Endpoint[]; now: number; rng: Rng; request: SyRequest | undefined } = { eligible: eps, now: 0, rng, request: undefined };
        return () => {
          const pool = src.pool;
          let p = src.next;
          let r: PickResult | undefined;
          for (let i = 0; i < LOOKUP_BATCH; i++) {
            input.request = pool[p++];
            r = memo.pick(memoState, input);
          }
          src.next = p;
          return r;
        };
      },
    },
    {
      impl: 'switchyard maglev (caller murmur3 + hash)',
      lookup: (req) => id(plain.pick(plainState, { eligible: eps, now: 0, rng, hash: murmur3(key(req)) })),
      timed: (src) => {
        const input = { eligible: eps, now: 0, rng, hash: 0 };
        return () => {
          const pool = src.pool;
          let p = src.next;
          let r: PickResult | undefined;
          for (let i = 0; i < LOOKUP_BATCH; i++) {
            input.hash = murmur3((pool[p++] as SyRequest).headers[HEADER] as string);
            r = plain.pick(plainState, input);
          }
          src.next = p;
          return r;
        };
      },
    },
    {
      impl: 'switchyard ring-hash (header policy)',
      lookup: (req) => id(rh.pick(rhState, { eligible: eps, now: 0, rng, request: req })),
      timed: (src) => {
        const input: { eligible: Endpoint[]; now: number; rng: Rng; request: SyRequest | undefined } = { eligible: eps, now: 0, rng, request: undefined };
        return () => {
          const pool = src.pool;
          let p = src.next;
          let r: PickResult | undefined;
          for (let i = 0; i < LOOKUP_BATCH; i++) {
            input.request = pool[p++];
            r = rh.pick(rhState, input);
          }
          src.next = p;
          return r;
        };
      },
    },
    {
      impl: 'switchyard envoy maglev (header policy, XXH64)',
      lookup: (req) => id(emg.pick(emgState, { eligible: eps, now: 0, rng, request: req })),
      timed: (src) => {
        const input: { eligible: Endpoint[]; now: number; rng: Rng; request: SyRequest | undefined } = { eligible: eps, now: 0, rng, request: undefined };
        return () => {
          const pool = src.pool;
          let p = src.next;
          let r: PickResult | undefined;
          for (let i = 0; i < LOOKUP_BATCH; i++) {
            input.request = pool[p++];
            r = emg.pick(emgState, input);
          }
          src.next = p;
          return r;
        };
      },
    },
    {
      impl: 'switchyard envoy ring-hash (header policy, XXH64)',
      lookup: (req) => id(erh.pick(erhState, { eligible: eps, now: 0, rng, request: req })),
      timed: (src) => {
        const input: { eligible: Endpoint[]; now: number; rng: Rng; request: SyRequest | undefined } = { eligible: eps, now: 0, rng, request: undefined };
        return () => {
          const pool = src.pool;
          let p = src.next;
          let r: PickResult | undefined;
          for (let i = 0; i < LOOKUP_BATCH; i++) {
            input.request = pool[p++];
            r = erh.pick(erhState, input);
          }
          src.next = p;
          return r;
        };
      },
    },
    {
      impl: 'hashring (LRU 5000)',
      lookup: (req) => hr.get(key(req)),
      timed: (src) => {
        return () => {
          const pool = src.pool;
          let p = src.next;
          let r: string | undefined;
          for (let i = 0; i < LOOKUP_BATCH; i++) r = hr.get((pool[p++] as SyRequest).headers[HEADER] as string);
          src.next = p;
          return r;
        };
      },
    },
    {
      impl: 'consistent-hash',
      lookup: (req) => ch.get(key(req)) as string,
      timed: (src) => {
        return () => {
          const pool = src.pool;
          let p = src.next;
          let r: unknown;
          for (let i = 0; i < LOOKUP_BATCH; i++) r = ch.get((pool[p++] as SyRequest).headers[HEADER] as string);
          src.next = p;
          return r;
        };
      },
    },
  ];
}

function draws(u: Universe, count: number, seed: number): Uint32Array {
  const rng = fastRng(seed);
  return Uint32Array.from({ length: count }, () => Math.floor(rng.next() * u.size));
}

async function lookupRows(n: number, u: Universe, check: ReturnType<typeof intrinsics>): Promise<CaseResult[]> {
  const c = `key lookup, ${u.name}, N=${n}`;
  const candidates = lookupCandidates(n);
  const servers = new Set(fleet(n, false).map((e) => e.id));
  // Correctness before timing: equal keys in distinct string objects map to the same server of
  // the fleet, switchyard's three Maglev paths agree, and the keys spread over the fleet.
  const sample = draws(u, 2_000, 7);
  const reference = candidates.find((x) => x.impl === 'switchyard maglev (caller murmur3 + hash)') as LookupCandidate;
  for (const cand of candidates) {
    const seen = new Set<string>();
    for (const i of sample) {
      const a = cand.lookup(request(freshKey(u, i)));
      const b = cand.lookup(request(freshKey(u, i)));
      if (a !== b || !servers.has(a)) throw new Error(`${cand.impl}: key ${freshKey(u, i)} mapped to ${a} then ${b}`);
      if (cand.impl.startsWith('switchyard maglev') && a !== reference.lookup(request(freshKey(u, i)))) throw new Error(`${cand.impl}: disagrees with murmur3`);
      seen.add(a);
    }
    if (seen.size < Math.min(n, u.size) / 2) throw new Error(`${cand.impl}: ${seen.size} servers for ${u.size} keys`);
  }
  // Each round: one draw sequence for every candidate, each over its OWN fresh request objects
  // built just before the round (young and cache-warm, as a request just parsed is), one per
  // lookup (+1 batch for the harness's probe call). The harness runs the round; the order of
  // the candidates flips every round.
  const sources: Source[] = candidates.map(() => ({ pool: [], next: 0 }));
  const fns = candidates.map((cand, j) => [cand.impl, cand.timed(sources[j] as Source)] as const);
  const perRound = (1 + LOOKUP_OPS) * LOOKUP_BATCH;
  const rows = await interleavedRounds(c, fns, {
    rounds: LOOKUP_ROUNDS,
    warm: LOOKUP_WARM_ROUNDS,
    ops: LOOKUP_OPS,
    per: LOOKUP_BATCH,
    digits: 3,
    before: (r) => {
      const sequence = draws(u, perRound, 1_000 * n + r);
      for (const src of sources) {
        src.pool = requests(u, sequence);
        src.next = 0;
      }
      for (let i = 0; i < perRound; i += 211) {
        const keys = sources.map((src) => (src.pool[i] as SyRequest).headers[HEADER] as string);
        for (let j = 0; j < keys.length; j++) {
          if (check.internalized(keys[j] as string)) throw new Error('key string is internalized');
          for (let m = j + 1; m < keys.length; m++) if (check.same(keys[j] as string, keys[m] as string)) throw new Error('candidates share a key string');
        }
      }
    },
    after: () => {
      for (const src of sources) if (src.next !== perRound) throw new Error('a candidate read a different number of keys');
    },
  });
  for (const src of sources) src.pool = [];
  return rows;
}

export default async function run(): Promise<void> {
  const results: CaseResult[] = [];
  const hashKeys = Array.from({ length: 1024 }, (_, i) => `user-${i}`);
  const hashes = Uint32Array.from(hashKeys, (k) => murmur3(k));
  for (const n of SIZES) results.push(...(await pickRows(n, hashes)));

  const check = intrinsics();
  const users = universe('100 000 user ids', Array.from({ length: 100_000 }, (_, i) => `user-${(i * 7_919 + 104_729) % 1_000_000}`));
  const hot = universe('100 hot keys', Array.from({ length: 100 }, (_, i) => `user-${(i * 7_919 + 104_729) % 1_000_000}`));
  // Longer keys (a 32-hex-digit session id), where murmur3's per-character loop costs more
  // and a memo hit (V8's native string hash + one probe) saves more: N = 100 only.
  const sessionId = (i: number): string => murmur3(`s${i}`, 1).toString(16).padStart(8, '0') + murmur3(`s${i}`, 2).toString(16).padStart(8, '0') + murmur3(`s${i}`, 3).toString(16).padStart(8, '0') + murmur3(`s${i}`, 4).toString(16).padStart(8, '0');
  const sessions = universe('100 000 session ids', Array.from({ length: 100_000 }, (_, i) => sessionId(i)));
  const hotSessions = universe('100 hot session ids', Array.from({ length: 100 }, (_, i) => sessionId(i)));
  const universes = [users, hot, sessions, hotSessions];
  const sizesOf = (u: Universe): readonly number[] => (u === users || u === hot ? SIZES : [100]);
  for (const u of universes) for (const n of sizesOf(u)) results.push(...(await lookupRows(n, u, check)));

  const buildKeys = fleet(1000, false).map((e) => e.id);
  const buildWeights = buildKeys.map(() => 1);
  if (buildMaglevTable(buildKeys, buildWeights, 65_537).some((x) => x < 0)) throw new Error('maglev table not full');
  results.push(...(await interleaved('maglev table build N=1000 M=65537', [['switchyard buildMaglevTable', () => buildMaglevTable(buildKeys, buildWeights, 65_537)]], { rounds: 15, ops: 1 })));

  const ns = (c: string, impl: string): number => results.find((r) => r.case === c && r.impl === impl)?.ns ?? NaN;
  const ratios: CaseResult[] = [];
  const notes: string[] = [];
  for (const n of SIZES) {
    const floor = ns(`pick N=${n}`, 'floor (2 draws + 1 compare)');
    for (const impl of ['switchyard least-request P2C', 'switchyard least-request P2C distinct', 'switchyard peak-ewma P2C']) {
      const ratio = round(ns(`pick N=${n}`, impl) / floor);
      ratios.push({ case: `ratio to floor N=${n}`, impl, ratio });
      notes.push(`N=${n}: ${impl} = ${ratio}x floor`);
    }
  }
  // The Maglev target: a key lookup faster than every ring-based npm package, per key universe.
  for (const u of universes) {
    for (const n of sizesOf(u)) {
      const c = `key lookup, ${u.name}, N=${n}`;
      for (const own of ['switchyard maglev (header policy)', 'switchyard maglev (header policy, hashCacheSize 1024)']) {
        for (const peer of ['hashring (LRU 5000)', 'consistent-hash']) {
          const ratio = round(ns(c, own) / ns(c, peer));
          ratios.push({ case: `ratio to peer: ${c}`, impl: `${own} / ${peer}`, ratio });
          notes.push(`${c}: ${own} = ${ratio}x ${peer}`);
        }
      }
    }
  }
  // compatibility: 'envoy' (XXH64 on 32-bit halves, 64-bit ring / table lookups) ÷ the default (murmur3).
  for (const u of universes) {
    for (const n of sizesOf(u)) {
      const c = `key lookup, ${u.name}, N=${n}`;
      for (const [envoy, own] of [
        ['switchyard envoy maglev (header policy, XXH64)', 'switchyard maglev (header policy)'],
        ['switchyard envoy ring-hash (header policy, XXH64)', 'switchyard ring-hash (header policy)'],
      ] as const) {
        const ratio = round(ns(c, envoy) / ns(c, own));
        ratios.push({ case: `ratio envoy to default: ${c}`, impl: `${envoy} / ${own}`, ratio });
        notes.push(`${c}: ${envoy} = ${ns(c, envoy)} ns, ${own} = ${ns(c, own)} ns (${ratio}x)`);
      }
    }
  }
  writeResults('balancers', [...results, ...ratios], [
    ...notes,
    `Every case runs its candidates interleaved (harness interleaved(): alternating rounds, order flipped each round, a minor GC before each round; ns = median of per-round means, rme = half the IQR in %). Each timed call runs ${PICK_BATCH} picks or ${LOOKUP_BATCH} lookups in the candidate's own loop; ns are per operation.`,
    'floor = two xorshift draws + one comparison over a Float64Array; every policy uses the same xorshift Rng and a reused input object whose `now` moves.',
    `Key model: in a proxy the hash key (header value, cookie, client IP) is a NEW string on every request, so V8 has not cached its hash nor internalized it. Before every round each candidate gets its own request objects ({ headers: { "x-user-id": key } }, one per lookup) built with Buffer#toString("latin1") (flat, non-internalized; checked with %IsInternalizedString / %IsSameHeapObject), never shared across candidates or rounds; every candidate reads the key from the request headers. A round = one interleaved() call with rounds: 1 (${LOOKUP_OPS} calls x ${LOOKUP_BATCH} lookups per candidate, minor GC before each), order flipped every round, ${LOOKUP_WARM_ROUNDS} untimed warm-up rounds, then the median of ${LOOKUP_ROUNDS} rounds.`,
    'Key universes: "100 000 user ids" = `user-<n>` (6-11 chars), drawn uniformly (hashring\'s 5 000-entry LRU hits ~5 %, our hashCacheSize memo steps aside); "100 hot keys" = 100 such ids drawn uniformly (hashring\'s LRU hits; the memo hits). Same draw sequence for every candidate. "session ids" = 32 hex digits (N = 100 only): longer keys, where murmur3 costs more per key.',
    "switchyard envoy rows: compatibility: 'envoy' (the same header policy hashed with XXH64 over 32-bit halves, Envoy's 64-bit ring and Maglev table); the endpoint keys are Envoy's `ip:port`.",
    'switchyard maglev rows take the gateway path: a hashByHeader policy reads the header and hashes it with core murmur3 (UTF-8 MurmurHash3 x86_32, ASCII fast path); "caller murmur3 + hash" passes a precomputed hash. hashCacheSize 1024 = the opt-in bounded memo.',
    'consistent-hash hashes UTF-16 code units with a 24-bit PJW hash (not UTF-8) and binary-searches 40 points per node; hashring answers from a 5 000-key LRU (a plain-object dictionary), else MD5 + binary search over 160 points per server.',
    'undici BalancedPool not measured: its selection is a private method over live Pool objects and cannot be isolated honestly.',
  ]);
  for (const n of notes) console.log(n);
}
