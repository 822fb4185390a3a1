/* global process, console, URL */
// Instructions per pick / per key lookup under valgrind callgrind: stable on a noisy shared
// machine, unlike wall-clock time (cache misses are NOT counted). From the repo root, after
// `pnpm --filter @switchyard/balancers build`:
//   node packages/balancers/bench/callgrind.mjs                 every row, N = 10, 100, 1 000
//   node packages/balancers/bench/callgrind.mjs maglev-header   some rows (names below)
//   SY_CG_SIZES=100 node packages/balancers/bench/callgrind.mjs  some sizes
// One measurement = valgrind --tool=callgrind of this file in `worker` mode with `ops` and
// 2 × `ops` operations after the same warm-up; (Ir(2·ops) − Ir(ops)) / ops is the cost of one
// operation, loop included, free of start-up and JIT warm-up. Rows do the operations of
// benchmarks/src/balancers.ts (which decodes fresh keys per round before timing); here "fresh"
// keys are built in the loop ('user-' + k, a new flat string each time, its cost counted for
// every candidate alike). Every row checks its answers before counting.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const benchRequire = createRequire(new URL('../../../benchmarks/package.json', import.meta.url));

/** xorshift32, as the wall-clock suite uses. */
function fastRng(seed = 0x9e3779b9) {
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

async function worker(impl, n, ops) {
  const { murmur3, createEndpoint } = await import(new URL('../../core/dist/index.js', import.meta.url).href);
  const b = await import('../dist/index.js');
  const eps = Array.from({ length: n }, (_, i) => createEndpoint({ id: `10.0.${i >> 8}.${i & 255}:8080`, url: `http://10.0.${i >> 8}.${i & 255}:8080` }));
  const servers = eps.map((e) => e.id);
  const keys = Array.from({ length: 1024 }, (_, i) => `user-${i}`);
  const hashes = Uint32Array.from(keys, (key) => murmur3(key));
  const headers = { 'x-user-id': '' };
  const request = { method: 'GET', scheme: 'http', authority: 'cache', path: '/', query: '', headers, attributes: {} };
  const rng = fastRng(n);
  const id = (r) => (r.kind === 'picked' ? r.endpoint.id : '');
  let k = 0;
  let sink;
  let fn;
  const many = Array.from({ length: 20_000 }, (_, i) => `session-${i}`);
  let u = 0;
  const header = (lb, mode) => {
    const state = lb.create(eps, 0);
    const input = { eligible: eps, now: 0, rng, request };
    const plain = b.maglev();
    const plainState = plain.create(eps, 0);
    for (const key of keys) {
      headers['x-user-id'] = key;
      const got = id(lb.pick(state, input));
      if (!servers.includes(got)) throw new Error(`${impl}: wrong pick`);
      if (lb.name === 'maglev' && got !== id(plain.pick(plainState, { eligible: eps, now: 0, rng, hash: murmur3(key) }))) throw new Error(`${impl}: disagrees with murmur3`);
    }
    if (mode === 'miss') {
      return () => {
        headers['x-user-id'] = many[u];
        u = u === 19_999 ? 0 : u + 1;
        return lb.pick(state, input);
      };
    }
    return mode === 'fresh'
      ? () => {
          headers['x-user-id'] = 'user-' + (k++ & 1023);
          return lb.pick(state, input);
        }
      : () => {
          headers['x-user-id'] = keys[k++ & 1023];
          return lb.pick(state, input);
        };
  };
  const given = (lb, hashOf) => {
    const state = lb.create(eps, 0);
    const input = { eligible: eps, now: 0, rng, hash: 0 };
    if (!servers.includes(id(lb.pick(state, input)))) throw new Error(`${impl}: wrong pick`);
    return hashOf === undefined
      ? () => {
          input.hash = hashes[k++ & 1023];
          return lb.pick(state, input);
        }
      : () => {
          input.hash = hashOf(keys[k++ & 1023]);
          return lb.pick(state, input);
        };
  };
  if (process.env.SY_CG_MIXED === '1') {
    // What the wall-clock suite's process has been through before a row runs: every hashing
    // configuration picked from the same code, so call sites and fields there are polymorphic.
    const configs = [b.ringHash(), b.maglev(), b.maglev({ hashBalanceFactor: 150 }), b.ringHash({ hashPolicy: [b.hashByHeader('x-user-id')] }), b.maglev({ hashPolicy: [b.hashByHeader('x-user-id')], hashCacheSize: 1024 })];
    for (const lb of configs) {
      const st = lb.create(eps, 0);
      for (let i = 0; i < 20_000; i++) {
        headers['x-user-id'] = keys[i & 1023];
        const r = lb.pick(st, { eligible: eps, now: i, rng, request, hash: i % 3 === 0 ? undefined : hashes[i & 1023] });
        if (r.kind === 'picked') {
          lb.begin(st, r.endpoint, i);
          lb.observe(st, { kind: 'response', endpoint: r.endpoint, status: 200, latencyMs: 5, at: i });
        }
      }
    }
  }
  switch (impl) {
    case 'floor': {
      const loads = new Float64Array(n).map((_, i) => (i * 7919) % 13);
      fn = () => {
        const a = Math.floor(rng.next() * n);
        const c = Math.floor(rng.next() * n);
        return loads[a] <= loads[c] ? a : c;
      };
      break;
    }
    case 'p2c':
    case 'p2c-distinct': {
      const lb = b.leastRequest({ sampling: impl === 'p2c' ? 'with-replacement' : 'distinct' });
      const state = lb.create(eps, 0);
      for (let i = 0; i < n * 2; i++) lb.begin(state, eps[(i * 7) % n], 0);
      const input = { eligible: eps, now: 0, rng };
      fn = () => {
        input.now++;
        return lb.pick(state, input);
      };
      break;
    }
    case 'peak-ewma': {
      const lb = b.peakEwma();
      const state = lb.create(eps, 0);
      for (let i = 0; i < n * 3; i++) {
        const e = eps[(i * 7) % n];
        lb.begin(state, e, i);
        if (i % 3 !== 0) lb.observe(state, { kind: 'response', endpoint: e, status: 200, latencyMs: 5 + (i % 23), at: i });
      }
      const input = { eligible: eps, now: n * 3, rng };
      fn = () => {
        input.now++;
        return lb.pick(state, input);
      };
      break;
    }
    case 'maglev-header':
    case 'maglev-header-fresh':
    case 'maglev-header-miss':
      fn = header(b.maglev({ hashPolicy: [b.hashByHeader('x-user-id')] }), impl.slice('maglev-header-'.length));
      break;
    case 'maglev-header-memo':
    case 'maglev-header-memo-fresh':
    case 'maglev-header-memo-miss':
      fn = header(b.maglev({ hashPolicy: [b.hashByHeader('x-user-id')], hashCacheSize: 1024 }), impl.slice('maglev-header-memo-'.length));
      break;
    case 'ring-hash-header':
      fn = header(b.ringHash({ hashPolicy: [b.hashByHeader('x-user-id')] }), '');
      break;
    case 'maglev-murmur3':
      fn = given(b.maglev(), murmur3);
      break;
    case 'maglev-hash':
      fn = given(b.maglev());
      break;
    case 'ring-hash-hash':
      fn = given(b.ringHash());
      break;
    case 'consistent-hash':
    case 'consistent-hash-fresh': {
      const ConsistentHash = benchRequire('consistent-hash');
      const ch = new ConsistentHash();
      for (const s of servers) ch.add(s);
      for (const key of keys) if (!servers.includes(ch.get(key))) throw new Error(`${impl}: wrong answer`);
      fn = impl === 'consistent-hash' ? () => ch.get(keys[k++ & 1023]) : () => ch.get('user-' + (k++ & 1023));
      break;
    }
    case 'hashring-hit':
    case 'hashring-hit-fresh':
    case 'hashring-miss': {
      const HashRing = benchRequire('hashring');
      const hr = new HashRing(servers);
      for (const key of keys) if (!servers.includes(hr.get(key))) throw new Error(`${impl}: wrong answer`);
      if (impl === 'hashring-miss') {
        fn = () => {
          const r = hr.get(many[u]);
          u = u === 19_999 ? 0 : u + 1;
          return r;
        };
      } else {
        fn = impl === 'hashring-hit' ? () => hr.get(keys[k++ & 1023]) : () => hr.get('user-' + (k++ & 1023));
      }
      break;
    }
    default:
      throw new Error(`unknown row ${impl}`);
  }
  const run = (count) => {
    for (let j = 0; j < count; j++) sink = fn();
  };
  run(50_000); // warm the JIT (and every cache) up
  run(ops);
  if (sink === Symbol.for('never')) console.log(sink);
  process.exit(0);
}

/** Instructions of one callgrind run of `worker` (resolves when valgrind ends). */
function irOf(impl, n, ops) {
  const out = `/tmp/sy-balancers-cg-${process.pid}-${impl}-${n}-${ops}.out`;
  return new Promise((done, fail) => {
    const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, '--single-threaded', self, 'worker', impl, String(n), String(ops)]);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => {
      if (status !== 0) return fail(new Error(`valgrind failed for ${impl}: ${stderr.slice(-800)}`));
      const m = /^summary:\s*(\d+)/m.exec(readFileSync(out, 'utf8'));
      rmSync(out, { force: true });
      if (m === null) return fail(new Error('no summary in callgrind output'));
      done(Number(m[1]));
    });
  });
}

const ROWS = ['floor', 'p2c', 'p2c-distinct', 'peak-ewma', 'maglev-header', 'maglev-header-fresh', 'maglev-header-miss', 'maglev-header-memo', 'maglev-header-memo-fresh', 'maglev-header-memo-miss', 'maglev-murmur3', 'maglev-hash', 'ring-hash-header', 'ring-hash-hash', 'consistent-hash', 'consistent-hash-fresh', 'hashring-hit', 'hashring-hit-fresh', 'hashring-miss'];

if (process.argv[2] === 'worker') {
  await worker(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
} else {
  const rows = process.argv.length > 2 ? process.argv.slice(2) : ROWS;
  const sizes = (process.env.SY_CG_SIZES ?? '10,100,1000').split(',').map(Number);
  const jobs = Number(process.env.SY_CG_JOBS ?? '3');
  // Large enough that a GC or a recompilation landing in one run but not the other moves the
  // result by a few instructions at most.
  const ops = 200_000;
  const queue = [];
  const ir = new Map();
  for (const impl of rows) for (const n of sizes) for (const count of [ops, 3 * ops]) queue.push([impl, n, count]);
  const runner = async () => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) ir.set(job.join(' '), await irOf(...job));
  };
  await Promise.all(Array.from({ length: jobs }, runner));
  const table = {};
  for (const impl of rows) {
    table[impl] = Object.fromEntries(sizes.map((n) => [n, Math.round((ir.get(`${impl} ${n} ${3 * ops}`) - ir.get(`${impl} ${n} ${ops}`)) / (2 * ops))]));
    console.log(`${impl.padEnd(26)} ${sizes.map((n) => `N=${n}: ${String(table[impl][n]).padStart(6)}`).join('   ')}`);
  }
  console.log(JSON.stringify(table));
}
