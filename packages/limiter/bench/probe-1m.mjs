/* global process, console, URL */
// Where a 1 000 000-key decision's time goes, measured apart in one process (wall clock, so run it
// a few times). Usage, from the repo root: `npx tsx packages/limiter/bench/probe-1m.mjs`
// (it imports the TypeScript sources). Each row adds one stage to the previous one, all in the
// suite's loop shape: rounds of 1000 calls, order alternating, a minor GC before each round.
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createKeyedLimiter } from '../src/keyed-limiter.ts';
import { homeRow, packKey } from '../src/internal/hash.ts';
import { tokenBucket } from '../src/policy.ts';

const require = createRequire(new URL('../../../benchmarks/package.json', import.meta.url));
const N = 1_000_000;
const ROUNDS = Number(process.env.ROUNDS ?? 31);
const OPS = 1000;
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

const policy = tokenBucket({ id: 'live', maxTokens: 1e12, tokensPerFill: 1, fillIntervalMs: 60_000 });
const filter = process.env.ONLY;
const lim = createKeyedLimiter({ policy, maxKeys: N });
for (let i = 0; i < N; i++) lim.take(`ip:${i}`, 0);
const lim0 = createKeyedLimiter({ policy, maxKeys: N, sweepPerCall: 0 });
for (let i = 0; i < N; i++) lim0.take(`ip:${i}`, 0);
// A bare table the size of ours (rows of 12 int32s at load 3/4), every page touched.
const ROWS = Math.ceil((N * 4) / 3);
const bare = new Int32Array(ROWS * 12);
for (let i = 0; i < bare.length; i += 1024) bare[i] = i;
const words = new Int32Array(7);
let rlf;
if (filter === undefined || filter.includes('rlf')) {
  const { RateLimiterMemory } = require('rate-limiter-flexible');
  rlf = new RateLimiterMemory({ points: 1e12, duration: 3600 });
  for (let j = 0; j < N; j += 10_000) await Promise.all(Array.from({ length: 10_000 }, (_, k) => rlf.consume(`ip:${j + k}`)));
}

let t = 0;
let jb = 0;
const key = () => 'ip:' + String((jb = (jb + 7919) % N));
let ji = 0;
const idx = () => (ji = (ji + 7919) % N);
const cases = [
  ['counter only (n)', () => idx()],
  ['key built', () => key().length],
  ['key built + hash', () => packKey(key(), words)],
  ['key built + hash + row read (floor)', () => bare[homeRow(packKey(key(), words), ROWS) * 12]],
  ['key built + hash + row read/write', () => {
    const b = homeRow(packKey(key(), words), ROWS) * 12;
    return (bare[b + 8] = bare[b] + 1);
  }],
  ['take, no sweep', () => lim0.take(key(), (t += 0.001))],
  ['take', () => lim.take(key(), (t += 0.001))],
  ...(rlf ? [['rlf consume', () => rlf.consume(key())]] : []),
].filter(([name]) => filter === undefined || filter.split(',').some((f) => name.includes(f)));

const samples = cases.map(() => []);
let sink = 0;
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < cases.length; k++) {
    const j = r % 2 === 0 ? k : cases.length - 1 - k;
    const fn = cases[j][1];
    gc({ type: 'minor' });
    const t0 = process.hrtime.bigint();
    let p;
    for (let n = 0; n < OPS; n++) {
      const v = fn();
      if (v instanceof Promise) p = await v;
      else if (v === undefined) sink++;
    }
    if (p === 0) sink++;
    samples[j].push(Number(process.hrtime.bigint() - t0) / OPS);
  }
}
for (let j = 0; j < cases.length; j++) {
  const xs = samples[j].sort((a, b) => a - b);
  console.log(`${cases[j][0].padEnd(40)} ${xs[Math.floor(xs.length / 2)].toFixed(0).padStart(6)} ns  [q1 ${xs[Math.floor(xs.length / 4)].toFixed(0)}, q3 ${xs[Math.floor((3 * xs.length) / 4)].toFixed(0)}]`);
}
if (lim.size !== N || lim0.size !== N) throw new Error('limiter lost keys');
if (sink === -1) console.log(sink);
