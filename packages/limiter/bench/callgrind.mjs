/* global process, console, URL */
// Instruction counts per in-memory decision, stable on a noisy machine (cache misses are NOT
// counted: see the README). Usage, from the repo root after `pnpm --filter @switchyard/limiter build`:
//   node packages/limiter/bench/callgrind.mjs            (runs valgrind itself and prints the table)
// One measurement = valgrind --tool=callgrind of this file in `worker` mode with `ops` and
// 2 × `ops` decisions; (Ir(2·ops) − Ir(ops)) / ops is the cost of one decision.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const require = createRequire(new URL('../../../benchmarks/package.json', import.meta.url));
const HUGE = 1e12;

async function worker(impl, nKeys, ops) {
  const { createKeyedLimiter, createMemoryStore, tokenBucket } = await import('../dist/index.js');
  const keys = Array.from({ length: nKeys }, (_, i) => `ip:${i}`);
  let i = 0;
  const next = () => keys[(i = (i + 7919) % nKeys)];
  let t = 0;
  // Buckets that stay below full for the whole run, so every key stays live.
  const policy = tokenBucket({ id: 'b', maxTokens: HUGE, tokensPerFill: 1, fillIntervalMs: 60_000 });
  let fn;
  if (impl === 'switchyard-sync') {
    const l = createKeyedLimiter({ policy, maxKeys: Math.max(nKeys, 1) });
    fn = () => l.take(next(), (t += 0.001));
  } else if (impl === 'switchyard-async') {
    const s = createMemoryStore({ maxKeysPerPolicy: Math.max(nKeys, 1) });
    fn = () => s.take({ namespace: 'n', policy, key: next(), cost: 1, now: (t += 0.001) });
  } else if (impl === 'rlf') {
    const { RateLimiterMemory } = require('rate-limiter-flexible');
    const r = new RateLimiterMemory({ points: HUGE, duration: 60 });
    fn = () => r.consume(next());
  } else if (impl === 'erl') {
    const { MemoryStore } = require('express-rate-limit');
    const s = new MemoryStore();
    s.init({ windowMs: 60_000 });
    fn = () => s.increment(next());
  } else if (impl === 'fastify') {
    const LocalStore = require('@fastify/rate-limit/store/LocalStore.js');
    const s = new LocalStore(false, false, Math.max(nKeys, 1));
    const cb = () => {};
    fn = () => s.incr(next(), cb, 60_000, HUGE);
  }
  // Deliberately alike: cachegrind.mjs — each script runs standalone under valgrind by its path (itself re-spawned as the worker); the warm-up/measure loop is 8 lines and the two measure different things (instructions vs LL misses) over different implementation sets
  const run = async (n) => {
    for (let j = 0; j < n; j++) {
      const r = fn();
      if (r instanceof Promise) await r;
    }
  };
  await run(nKeys + 20_000); // touch every key, then warm the JIT
  await run(ops);
  process.exit(0);
}

function irOf(impl, nKeys, ops) {
  const out = `/tmp/sy-limiter-cg-${process.pid}-${impl}-${nKeys}-${ops}.out`;
  const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, '--single-threaded', self, 'worker', impl, String(nKeys), String(ops)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`valgrind failed for ${impl}: ${r.stderr.slice(-500)}`);
  const m = /^summary:\s*(\d+)/m.exec(readFileSync(out, 'utf8'));
  rmSync(out, { force: true });
  if (m === null) throw new Error('no summary in callgrind output');
  return Number(m[1]);
}

if (process.argv[2] === 'worker') {
  await worker(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
} else {
  const ops = 10_000;
  const rows = [];
  for (const nKeys of [1, 100_000]) {
    const per = {};
    for (const impl of ['switchyard-sync', 'switchyard-async', 'rlf', 'erl', 'fastify']) {
      per[impl] = (irOf(impl, nKeys, 2 * ops) - irOf(impl, nKeys, ops)) / ops;
    }
    rows.push({ keys: nKeys, ...per });
    const s = per['switchyard-sync'];
    console.log(`${nKeys} key(s): instructions per decision ${JSON.stringify(Object.fromEntries(Object.entries(per).map(([k, v]) => [k, Math.round(v)])))}`);
    console.log(`  switchyard sync / rlf ${(s / per.rlf).toFixed(3)}, / express-rate-limit ${(s / per.erl).toFixed(3)}, / @fastify ${(s / per.fastify).toFixed(3)}; async store / rlf ${(per['switchyard-async'] / per.rlf).toFixed(3)}, / express-rate-limit ${(per['switchyard-async'] / per.erl).toFixed(3)}`);
  }
  console.log(JSON.stringify(rows));
}
