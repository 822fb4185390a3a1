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
import { createEndpoint, murmur3, type Endpoint, type LoadBalancer, type PickResult, type Rng } from '@switchyard/core';
import {
  buildMaglevTable,
  clientSideWeightedRoundRobin,
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
    tasks.push(policyTask('maglev bounded 150', maglev({ hashBalanceFactor: 150 }), n, { hashes, warm: true }));

    // key → endpoint, string hashing included, against the npm rings.
    const eps = fleet(n, false);
    const mg = maglev();
    const mgState = mg.create(eps, 0);
    const rng = fastRng(1);
    const servers = eps.map((e) => e.id);
    const hr = new HashRing(servers);
    const ch = new ConsistentHash();
    for (const s of servers) ch.add(s);
    for (const key of keys.slice(0, 50)) {
      const r = mg.pick(mgState, { eligible: eps, now: 0, rng, hash: murmur3(key) });
      if (r.kind !== 'picked' || !servers.includes(hr.get(key)) || !servers.includes(ch.get(key) as string)) throw new Error('lookup failed');
    }
    let i = 0;
    let j = 0;
    let m = 0;
    let u = 0;
    const mgInput = { eligible: eps, now: 0, rng, hash: 0 };
    tasks.push({
      case: `key lookup N=${n}`,
      impl: 'switchyard maglev (murmur3 + table)',
      fn: () => {
        mgInput.hash = murmur3(keys[i++ & 1023] as string);
        return mg.pick(mgState, mgInput);
      },
    });
    tasks.push({ case: `key lookup N=${n}`, impl: 'hashring (LRU cache hits)', fn: () => hr.get(keys[j++ & 1023] as string) });
    tasks.push({ case: `key lookup N=${n}`, impl: 'hashring (20k keys, cache misses)', fn: () => hr.get(manyKeys[u++ % 20_000] as string) });
    tasks.push({ case: `key lookup N=${n}`, impl: 'consistent-hash', fn: () => ch.get(keys[m++ & 1023] as string) });
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
  }
  writeResults('balancers', [...results, ...ratios], [
    ...notes,
    'floor = two xorshift draws + one comparison over a Float64Array; every policy uses the same xorshift Rng.',
    `ns are per operation: each timed call runs ${BATCH} operations (tinybench overhead would otherwise dominate).`,
    'undici BalancedPool not measured: its selection is a private method over live Pool objects and cannot be isolated honestly.',
    'hashring caches lookups in an LRU (5000 keys): the 1024-key rotation measures cache hits, the 20k-key rotation mostly misses.',
  ]);
  for (const n of notes) console.log(n);
}
