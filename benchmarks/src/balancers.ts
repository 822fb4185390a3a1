/**
 * `pnpm bench balancers`: pick cost of every switchyard policy at 10 / 100 / 1 000 endpoints,
 * a floor (two random draws + one comparison over plain arrays) that P2C and Peak EWMA are
 * measured against, Maglev table build for 1 000 endpoints, and key → endpoint lookups side
 * by side with `hashring` and `consistent-hash`.
 *
 * undici `BalancedPool` is not measured: its selection (`kGetDispatcher`, a weighted round
 * robin whose weights move with each upstream Pool's errors and busy state) is a private,
 * symbol-keyed method over live `Pool` objects; calling it in isolation would time a
 * different thing than a user runs.
 */
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
import { round, runTasks, writeResults, type CaseResult, type Task } from './harness.js';


const SIZES = [10, 100, 1000] as const;
/**
 * Operations per timed call. tinybench's own per-call overhead (~100+ ns here) would
 * otherwise swamp a pick of a few ns; results are divided back to ns per operation.
 */
const BATCH = 512;

interface BenchTask extends Task {
  /** fn already runs BATCH operations. */
  readonly batched?: boolean;
}

function batched(task: BenchTask): Task {
  if (task.batched === true) return task;
  const fn = task.fn;
  return {
    ...task,
    fn: () => {
      let last: unknown;
      for (let i = 0; i < BATCH; i++) last = fn();
      return last;
    },
  };
}

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

function policyTask<S>(name: string, lb: LoadBalancer<S>, n: number, opts: { weighted?: boolean; hashes?: Uint32Array; warm?: boolean } = {}): Task {
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
  let k = 0;
  // Correctness before timing: every pick lands on an eligible endpoint.
  const ids = new Set(eps.map((e) => e.id));
  for (let i = 0; i < 100; i++) {
    const r = lb.pick(state, { eligible: eps, now: now++, rng, hash: hashes?.[i & 1023] });
    if (r.kind !== 'picked' || !ids.has(r.endpoint.id)) throw new Error(`${name} picked wrongly`);
  }
  return {
    case: `pick N=${n}`,
    impl: `switchyard ${name}`,
    fn: () => lb.pick(state, { eligible: eps, now: now++, rng, hash: hashes === undefined ? undefined : hashes[k++ & 1023] }),
  };
}

function floorTask(n: number): BenchTask {
  const loads = new Float64Array(n).map((_, i) => (i * 7919) % 13);
  const rng = fastRng(n);
  return {
    case: `pick N=${n}`,
    impl: 'floor (2 draws + 1 compare)',
    batched: true,
    fn: () => {
      let sum = 0;
      for (let i = 0; i < BATCH; i++) {
        const a = Math.floor(rng.next() * n);
        const b = Math.floor(rng.next() * n);
        sum += (loads[a] as number) <= (loads[b] as number) ? a : b;
      }
      return sum;
    },
  };
}

/**
 * The P2C policies the targets are about, each in its own loop (its own call site, so the
 * comparison with the floor is not skewed by a megamorphic call), with one reused input
 * object whose `now` moves as a gateway would pass it.
 */
function leastRequestLoop(n: number, sampling: 'with-replacement' | 'distinct'): BenchTask {
  const lb = leastRequest({ sampling });
  const eps = fleet(n, false);
  const state = lb.create(eps, 0);
  const rng = fastRng(n);
  for (let i = 0; i < n * 2; i++) lb.begin(state, eps[(i * 7) % n] as Endpoint, 0);
  const input = { eligible: eps, now: 0, rng };
  const first = lb.pick(state, input);
  if (first.kind !== 'picked') throw new Error('least-request empty');
  return {
    case: `pick N=${n}`,
    impl: `switchyard least-request P2C${sampling === 'distinct' ? ' distinct' : ''}`,
    batched: true,
    fn: () => {
      let r: PickResult = first;
      for (let i = 0; i < BATCH; i++) {
        input.now++;
        r = lb.pick(state, input);
      }
      return r;
    },
  };
}

function peakEwmaLoop(n: number): BenchTask {
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
  const first = lb.pick(state, input);
  if (first.kind !== 'picked') throw new Error('peak-ewma empty');
  return {
    case: `pick N=${n}`,
    impl: 'switchyard peak-ewma P2C',
    batched: true,
    fn: () => {
      let r: PickResult = first;
      for (let i = 0; i < BATCH; i++) {
        input.now++;
        r = lb.pick(state, input);
      }
      return r;
    },
  };
}

/**
 * String key → endpoint, against the npm rings, like for like: every candidate runs in its own
 * loop (its own call site, no megamorphic dispatch) over the same keys, and every row does the
 * whole operation a user needs (hash the string, find the owner).
 *
 * - switchyard rows go through the public path a gateway takes: a `hashByHeader` policy reads
 *   the key from the request and hashes it (UTF-8 murmur3, ASCII fast path); the input object
 *   is reused, so nothing is allocated per pick. "hashCacheSize 1024" turns on the opt-in
 *   bounded hash memo (a `Map` probe on a hit, like hashring's LRU). "core murmur3" is a
 *   caller hashing with core's `murmur3` and passing `hash`.
 * - `consistent-hash` hashes UTF-16 code units with a 24-bit PJW hash (cheaper, not UTF-8, and
 *   weak on correlated keys), then binary-searches 40 points per node and reads an object map.
 * - `hashring` answers from an LRU (5 000 keys, a plain-object dictionary) before hashing with
 *   MD5. With the same 1 024 string objects every time, V8 has cached their hash and
 *   internalized them, so a hit is one dictionary probe; "fresh key strings" builds each key
 *   anew per lookup, as a header value parsed from each request is, for every candidate alike.
 */
function lookupTasks(n: number, keys: readonly string[], manyKeys: readonly string[]): BenchTask[] {
  const eps = fleet(n, false);
  const servers = eps.map((e) => e.id);
  const rng = fastRng(1);
  const mg = maglev({ hashPolicy: [hashByHeader('x-user-id')] });
  const mgState = mg.create(eps, 0);
  const rh = ringHash({ hashPolicy: [hashByHeader('x-user-id')] });
  const rhState = rh.create(eps, 0);
  const headers: Record<string, string> = { 'x-user-id': '' };
  const request: SyRequest = { method: 'GET', scheme: 'http', authority: 'cache', path: '/', query: '', headers, attributes: {} };
  const policyInput = { eligible: eps, now: 0, rng, request };
  const mgMemo = maglev({ hashPolicy: [hashByHeader('x-user-id')], hashCacheSize: 1024 });
  const mgMemoState = mgMemo.create(eps, 0);
  const mgPlain = maglev();
  const mgPlainState = mgPlain.create(eps, 0);
  const hashInput = { eligible: eps, now: 0, rng, hash: 0 };
  const hr = new HashRing(servers);
  const ch = new ConsistentHash();
  for (const s of servers) ch.add(s);
  const id = (r: PickResult): string => (r.kind === 'picked' ? r.endpoint.id : '');
  // Correctness before timing: the policy path and a caller-computed hash agree, and every
  // peer answers with one of the servers.
  for (const key of keys) {
    headers['x-user-id'] = key;
    const viaPolicy = id(mg.pick(mgState, policyInput));
    hashInput.hash = murmur3(key);
    if (viaPolicy === '' || viaPolicy !== id(mgPlain.pick(mgPlainState, hashInput)) || viaPolicy !== id(mgMemo.pick(mgMemoState, policyInput))) throw new Error('maglev lookup failed');
    if (!servers.includes(id(rh.pick(rhState, policyInput)))) throw new Error('ring-hash lookup failed');
    if (!servers.includes(hr.get(key)) || !servers.includes(ch.get(key) as string)) throw new Error('peer lookup failed');
  }
  const rows: BenchTask[] = [];
  const reused = `key lookup N=${n}`;
  const fresh = `key lookup, fresh key strings N=${n}`;
  let k = 0;
  rows.push({
    case: reused,
    impl: 'switchyard maglev (header policy)',
    batched: true,
    fn: () => {
      let r: PickResult | undefined;
      for (let i = 0; i < BATCH; i++) {
        headers['x-user-id'] = keys[k++ & 1023] as string;
        r = mg.pick(mgState, policyInput);
      }
      return r;
    },
  });
  rows.push({
    case: reused,
    impl: 'switchyard maglev (header policy, hashCacheSize 1024)',
    batched: true,
    fn: () => {
      let r: PickResult | undefined;
      for (let i = 0; i < BATCH; i++) {
        headers['x-user-id'] = keys[k++ & 1023] as string;
        r = mgMemo.pick(mgMemoState, policyInput);
      }
      return r;
    },
  });
  rows.push({
    case: reused,
    impl: 'switchyard maglev (core murmur3 + hash)',
    batched: true,
    fn: () => {
      let r: PickResult | undefined;
      for (let i = 0; i < BATCH; i++) {
        hashInput.hash = murmur3(keys[k++ & 1023] as string);
        r = mgPlain.pick(mgPlainState, hashInput);
      }
      return r;
    },
  });
  rows.push({
    case: reused,
    impl: 'switchyard ring-hash (header policy)',
    batched: true,
    fn: () => {
      let r: PickResult | undefined;
      for (let i = 0; i < BATCH; i++) {
        headers['x-user-id'] = keys[k++ & 1023] as string;
        r = rh.pick(rhState, policyInput);
      }
      return r;
    },
  });
  rows.push({
    case: reused,
    impl: 'consistent-hash',
    batched: true,
    fn: () => {
      let r: unknown;
      for (let i = 0; i < BATCH; i++) r = ch.get(keys[k++ & 1023] as string);
      return r;
    },
  });
  rows.push({
    case: reused,
    impl: 'hashring (LRU cache hits)',
    batched: true,
    fn: () => {
      let r: unknown;
      for (let i = 0; i < BATCH; i++) r = hr.get(keys[k++ & 1023] as string);
      return r;
    },
  });
  let u = 0;
  rows.push({
    case: reused,
    impl: 'switchyard maglev (header policy, 20k keys)',
    batched: true,
    fn: () => {
      let r: PickResult | undefined;
      for (let i = 0; i < BATCH; i++) {
        headers['x-user-id'] = manyKeys[u] as string;
        u = u === 19_999 ? 0 : u + 1;
        r = mg.pick(mgState, policyInput);
      }
      return r;
    },
  });
  rows.push({
    case: reused,
    impl: 'hashring (20k keys, cache misses)',
    batched: true,
    fn: () => {
      let r: unknown;
      for (let i = 0; i < BATCH; i++) {
        r = hr.get(manyKeys[u] as string);
        u = u === 19_999 ? 0 : u + 1;
      }
      return r;
    },
  });
  rows.push({
    case: fresh,
    impl: 'switchyard maglev (header policy)',
    batched: true,
    fn: () => {
      let r: PickResult | undefined;
      for (let i = 0; i < BATCH; i++) {
        headers['x-user-id'] = 'user-' + (k++ & 1023);
        r = mg.pick(mgState, policyInput);
      }
      return r;
    },
  });
  rows.push({
    case: fresh,
    impl: 'switchyard maglev (header policy, hashCacheSize 1024)',
    batched: true,
    fn: () => {
      let r: PickResult | undefined;
      for (let i = 0; i < BATCH; i++) {
        headers['x-user-id'] = 'user-' + (k++ & 1023);
        r = mgMemo.pick(mgMemoState, policyInput);
      }
      return r;
    },
  });
  rows.push({
    case: fresh,
    impl: 'consistent-hash',
    batched: true,
    fn: () => {
      let r: unknown;
      for (let i = 0; i < BATCH; i++) r = ch.get('user-' + (k++ & 1023));
      return r;
    },
  });
  rows.push({
    case: fresh,
    impl: 'hashring (LRU cache hits)',
    batched: true,
    fn: () => {
      let r: unknown;
      for (let i = 0; i < BATCH; i++) r = hr.get('user-' + (k++ & 1023));
      return r;
    },
  });
  return rows;
}

/** Maglev with a precomputed hash: the table lookup alone, in its own loop. */
function maglevHashLoop(n: number, hashes: Uint32Array): BenchTask {
  const lb = maglev();
  const eps = fleet(n, false);
  const state = lb.create(eps, 0);
  const input = { eligible: eps, now: 0, rng: fastRng(n), hash: 0 };
  let k = 0;
  const first = lb.pick(state, input);
  if (first.kind !== 'picked') throw new Error('maglev empty');
  return {
    case: `pick N=${n}`,
    impl: 'switchyard maglev (hash given, own loop)',
    batched: true,
    fn: () => {
      let r: PickResult = first;
      for (let i = 0; i < BATCH; i++) {
        input.hash = hashes[k++ & 1023] as number;
        r = lb.pick(state, input);
      }
      return r;
    },
  };
}

export default async function run(): Promise<void> {
  const tasks: BenchTask[] = [];
  const keys = Array.from({ length: 1024 }, (_, i) => `user-${i}`);
  const manyKeys = Array.from({ length: 20_000 }, (_, i) => `session-${i}`);
  const hashes = Uint32Array.from(keys, (k) => murmur3(k));
  for (const n of SIZES) {
    tasks.push(floorTask(n));
    tasks.push(policyTask('round-robin', roundRobin(), n));
    tasks.push(policyTask('weighted-round-robin', weightedRoundRobin(), n, { weighted: true }));
    tasks.push(policyTask('random', random(), n));
    tasks.push(policyTask('weighted-random', weightedRandom(), n, { weighted: true }));
    tasks.push(leastRequestLoop(n, 'with-replacement'));
    tasks.push(leastRequestLoop(n, 'distinct'));
    tasks.push(policyTask('least-request weighted (EDF)', leastRequest(), n, { weighted: true, warm: true }));
    tasks.push(peakEwmaLoop(n));
    tasks.push(policyTask('client-side-wrr', clientSideWeightedRoundRobin(), n, { warm: true }));
    tasks.push(policyTask('ring-hash', ringHash(), n, { hashes }));
    tasks.push(policyTask('maglev', maglev(), n, { hashes }));
    tasks.push(maglevHashLoop(n, hashes));
    tasks.push(policyTask('maglev bounded 150', maglev({ hashBalanceFactor: 150 }), n, { hashes, warm: true }));

    tasks.push(...lookupTasks(n, keys, manyKeys));
  }
  const buildKeys = fleet(1000, false).map((e) => e.id);
  const buildWeights = buildKeys.map(() => 1);
  const check = buildMaglevTable(buildKeys, buildWeights, 65_537);
  if (check.some((x) => x < 0)) throw new Error('maglev table not full');
  tasks.push({ case: 'maglev table build N=1000 M=65537', impl: 'switchyard buildMaglevTable', fn: () => buildMaglevTable(buildKeys, buildWeights, 65_537) });

  const single = new Set(['maglev table build N=1000 M=65537']);
  const raw = await runTasks(
    tasks.map((t) => (single.has(t.case) ? t : batched(t))),
    { time: 200, warmupTime: 60 },
  );
  const results = raw.map((r) => (single.has(r.case) ? r : { ...r, ns: round((r.ns ?? NaN) / BATCH, 3) }));
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
    // The Maglev target: a key lookup faster than every ring-based npm package, per key style.
    const mine = 'switchyard maglev (header policy)';
    for (const [c, peer, own] of [
      [`key lookup N=${n}`, 'consistent-hash', mine],
      [`key lookup N=${n}`, 'hashring (LRU cache hits)', mine],
      [`key lookup N=${n}`, 'hashring (LRU cache hits)', 'switchyard maglev (header policy, hashCacheSize 1024)'],
      [`key lookup N=${n}`, 'hashring (20k keys, cache misses)', 'switchyard maglev (header policy, 20k keys)'],
      [`key lookup, fresh key strings N=${n}`, 'consistent-hash', mine],
      [`key lookup, fresh key strings N=${n}`, 'hashring (LRU cache hits)', mine],
      [`key lookup, fresh key strings N=${n}`, 'hashring (LRU cache hits)', 'switchyard maglev (header policy, hashCacheSize 1024)'],
    ] as const) {
      const ratio = round(ns(c, own) / ns(c, peer));
      ratios.push({ case: `ratio to peer: ${c}`, impl: `${own} / ${peer}`, ratio });
      notes.push(`${c}: ${own} = ${ratio}x ${peer}`);
    }
  }
  writeResults('balancers', [...results, ...ratios], [
    ...notes,
    'floor = two xorshift draws + one comparison over a Float64Array; every policy uses the same xorshift Rng.',
    `ns are per operation: each timed call runs ${BATCH} operations (tinybench overhead would otherwise dominate).`,
    'undici BalancedPool not measured: its selection is a private method over live Pool objects and cannot be isolated honestly.',
    'key lookup rows: each candidate in its own loop; switchyard via a hashByHeader policy (UTF-8 murmur3 with an ASCII fast path; hashCacheSize 1024 = with the opt-in bounded hash memo; reused input object) or core murmur3 + hash.',
    'consistent-hash hashes UTF-16 code units with a 24-bit PJW hash (not UTF-8) and searches 40 points per node.',
    'hashring caches lookups in an LRU (5000 keys, a plain-object dictionary): the 1024-key rotation measures cache hits, the 20k-key rotation misses (MD5 + search).',
    'fresh key strings: each key is built anew per lookup (as a parsed header value is), so V8 has not cached its hash nor internalized it; same for every candidate.',
  ]);
  for (const n of notes) console.log(n);
}
