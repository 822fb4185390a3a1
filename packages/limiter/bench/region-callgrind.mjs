/* global process, console, URL */
// Instructions per decision, keys built per decision ('ip:' + n, 100 000 keys held), measured
// INSIDE one process: callgrind dumps its counters at each `[].reverse()` (the only calls of
// Builtins_ArrayPrototypeReverse in the run), which bracket `ops` decisions after warm-up and a
// full GC. Deterministic to the instruction run after run, unlike the difference of two whole
// runs (startup varies by millions of instructions). Rows: `key` (building the key alone),
// `nosweep` (take with sweepPerCall 0), `take` (default sweep). From the repo root, after
// `pnpm --filter @switchyard/limiter build`: `node packages/limiter/bench/region-callgrind.mjs`
// (DIST=path/to/index.js compares another build).
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
const self = fileURLToPath(import.meta.url);
const KEYS = Number(process.env.KEYS ?? 100_000);
const DIST = process.env.DIST ?? new URL('../dist/index.js', import.meta.url).href;
async function worker(impl, ops) {
  const { createKeyedLimiter, tokenBucket } = await import(DIST);
  let i = 0;
  const key = () => 'ip:' + String((i = (i + 7919) % KEYS));
  let t = 0;
  const policy = tokenBucket({ id: 'b', maxTokens: 1e12, tokensPerFill: 1, fillIntervalMs: 60_000 });
  let fn;
  if (impl === 'key') fn = () => key().length;
  else {
    const l = createKeyedLimiter({ policy, maxKeys: KEYS, sweepPerCall: impl === 'nosweep' ? 0 : 2 });
    fn = () => l.take(key(), (t += 0.001));
  }
  let s = 0;
  const run = (n) => { for (let j = 0; j < n; j++) if (fn() === undefined) s++; };
  run(KEYS + 20_000);
  run(ops);
  globalThis.gc();
  [1, 2].reverse();
  run(ops);
  [1, 2].reverse();
  if (s === -1) console.log(s);
  process.exit(0);
}
if (process.argv[2] === 'worker') await worker(process.argv[3], Number(process.argv[4]));
else {
  const ops = Number(process.env.OPS ?? 50_000);
  for (const impl of (process.env.IMPLS ?? 'key,nosweep,take').split(',')) {
    const dir = tmpdir();
    const base = `${dir}/sy-region-cg-${process.pid}-${impl}`;
    const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${base}.out`, '--dump-before=Builtins_ArrayPrototypeReverse', process.execPath, '--single-threaded', '--expose-gc', '--max-semi-space-size=64', self, 'worker', impl, String(ops)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr.slice(-800));
    const parts = readdirSync(dir).filter((f) => f.startsWith(`sy-region-cg-${process.pid}-${impl}.out`)).sort();
    const region = parts.find((f) => f.endsWith('.2'));
    const m = /^summary:\s*(\d+)/m.exec(readFileSync(`${dir}/${region}`, 'utf8'));
    console.log(`${impl}: ${(Number(m[1]) / ops).toFixed(0)} instructions per decision`);
    for (const p of parts) rmSync(`${dir}/${p}`);
  }
}
