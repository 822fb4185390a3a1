/* global process, console, URL */
// Last-level cache misses per in-memory decision, from valgrind's cache simulator (stable on a
// noisy machine; no hardware prefetcher is modelled, so adjacent lines count in full).
// Usage, from the repo root after `pnpm --filter @switchyard/limiter build`:
//   node packages/limiter/bench/cachegrind.mjs
// Model: 100 000 keys against a simulated 4 MB last-level cache (the suite's 1 000 000 keys
// against the 32 MB L3, scaled 10×, in a run valgrind finishes in about a minute). Keys are
// built per decision ('ip:' + n, stepping 7919 keys per call). One measurement = cachegrind of
// this file in `worker` mode with `ops` and 2 × `ops` decisions; the difference over `ops` is
// the cost of one decision. Counts include sequential lines a real CPU prefetches (the lazy
// sweep, young-generation allocation: ≈ 2 lines per decision for the Decision object and its
// numbers), and garbage-collection timing moves instruction counts by a few hundred between
// runs: compare implementations, not single figures.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const require = createRequire(new URL('../../../benchmarks/package.json', import.meta.url));
const HUGE = 1e12;
const KEYS = 100_000;

async function worker(impl, ops) {
  const { createKeyedLimiter, tokenBucket } = await import('../dist/index.js');
  let i = 0;
  const key = () => 'ip:' + String((i = (i + 7919) % KEYS));
  let t = 0;
  const policy = tokenBucket({ id: 'b', maxTokens: HUGE, tokensPerFill: 1, fillIntervalMs: 60_000 });
  let fn;
  if (impl === 'key only') fn = () => key().length;
  else if (impl === 'switchyard') {
    const l = createKeyedLimiter({ policy, maxKeys: KEYS });
    fn = () => l.take(key(), (t += 0.001));
  } else if (impl === 'rlf') {
    const { RateLimiterMemory } = require('rate-limiter-flexible');
    const r = new RateLimiterMemory({ points: HUGE, duration: 3600 });
    fn = () => r.consume(key());
  }
  // Deliberately alike: callgrind.mjs — each script runs standalone under valgrind by its path (itself re-spawned as the worker); the warm-up/measure loop is 8 lines and the two measure different things (LL misses vs instructions) over different implementation sets
  const run = async (n) => {
    for (let j = 0; j < n; j++) {
      const r = fn();
      if (r instanceof Promise) await r;
    }
  };
  await run(KEYS + 20_000); // touch every key, then warm the JIT
  await run(ops);
  process.exit(0);
}

function countsOf(impl, ops) {
  const out = `/tmp/sy-limiter-cachegrind-${process.pid}-${ops}.out`;
  const r = spawnSync('valgrind', ['--tool=cachegrind', '--cache-sim=yes', '--LL=4194304,16,64', `--cachegrind-out-file=${out}`, process.execPath, '--single-threaded', self, 'worker', impl, String(ops)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`valgrind failed for ${impl}: ${r.stderr.slice(-500)}`);
  const m = /^summary:\s*([\d\s]+)$/m.exec(readFileSync(out, 'utf8'));
  rmSync(out, { force: true });
  if (m === null) throw new Error('no summary in cachegrind output');
  // Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw
  const v = m[1].trim().split(/\s+/).map(Number);
  return { ir: v[0], llMisses: v[5] + v[8] };
}

if (process.argv[2] === 'worker') {
  await worker(process.argv[3], Number(process.argv[4]));
} else {
  const ops = 40_000;
  for (const impl of ['key only', 'switchyard', 'rlf']) {
    const a = countsOf(impl, ops);
    const b = countsOf(impl, 2 * ops);
    console.log(`${impl}: ${Math.round((b.ir - a.ir) / ops)} instructions, ${((b.llMisses - a.llMisses) / ops).toFixed(2)} last-level misses per decision`);
  }
}
