/**
 * Instructions per operation of the hot paths that end in MurmurHash3's 32-bit finalizer
 * (`fmix32`): a request hash (core's `murmur3`), a sticky split's rendezvous pick, the keyed
 * limiter's key hash (rotating keys: a repeated key skips hashing), and a bounded-load pick that
 * probes past a full endpoint:
 *
 *   N=20000 bash benchmarks/src/callgrind-probe.sh benchmarks/src/_hash-probe.ts murmur3 split limiter bounded
 *
 * (after `pnpm build`), or `node --import tsx benchmarks/src/_hash-probe.ts <variant> [n]` for ns.
 */
import { createEndpoint, murmur3 } from '@switchyard/core';
import { leastRequest, ringHash } from '@switchyard/balancers';
import { createKeyedLimiter, tokenBucket } from '@switchyard/limiter';
import { pickByHash } from '@switchyard/splitter';
import { countInstructions } from './probe-window.ts';

const [variant = 'murmur3', nArg = '200000'] = process.argv.slice(2);
const N = Number(nArg);
const KEYS = Array.from({ length: 1024 }, (_, i) => `user-${(i * 2654435761) >>> 0}`);
const NOW = 1_000;
let sink = 0;

const endpoints = Array.from({ length: 8 }, (_, i) => createEndpoint({ url: `http://10.0.0.${i + 1}:80` }));
const ring = ringHash({ hashBalanceFactor: 100 });
const ringState = ring.create(endpoints, NOW);
// Endpoint 0 full: the keys it owns (about 1 in 8) probe past it with the finalizer.
for (let i = 0; i < 100; i++) ring.begin(ringState, endpoints[0]!, NOW);
const rng = { next: () => 0.5 };
let r = 1;
const lcg = { next: () => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0) / 4294967296) };
const lr = leastRequest();
const lrState = lr.create(endpoints, NOW);
const limiter = createKeyedLimiter({ policy: tokenBucket({ maxTokens: 1e9, tokensPerFill: 1e9, fillIntervalMs: 1000 }), maxKeys: 4096 });
const seeds = [murmur3('a', 7), murmur3('b', 7), murmur3('c', 7), murmur3('d', 7)];
const weights = [40, 30, 20, 10];

const ops: Record<string, (i: number) => number> = {
  noop: (i) => KEYS[i & 1023]!.length,
  murmur3: (i) => murmur3(KEYS[i & 1023]!),
  split: (i) => pickByHash(murmur3(KEYS[i & 1023]!, 7), seeds, weights),
  limiter: (i) => (limiter.take(KEYS[i & 1023]!, NOW).kind === 'allowed' ? 1 : 0),
  bounded: (i) => {
    const r = ring.pick(ringState, { eligible: endpoints, now: NOW, rng, hash: murmur3(KEYS[i & 1023]!) });
    return r.kind === 'picked' ? 1 : 0;
  },
  // Not a hash: a least-request pick with its begin and observe (the balancers' shared in-flight bookkeeping).
  balancer: () => {
    const p = lr.pick(lrState, { eligible: endpoints, now: NOW, rng: lcg });
    if (p.kind !== 'picked') return 0;
    lr.begin(lrState, p.endpoint, NOW);
    lr.observe(lrState, { kind: 'response', endpoint: p.endpoint, status: 200, latencyMs: 1, at: NOW });
    return 1;
  },
};
const op = ops[variant];
if (op === undefined) throw new Error(`unknown variant ${variant}: ${Object.keys(ops).join(', ')}`);
const run = (count: number): void => {
  for (let i = 0; i < count; i++) sink ^= op(i);
};
run(Number(process.env['WARMUP'] ?? 20_000));
countInstructions(true);
const c0 = process.cpuUsage();
run(N);
const c = process.cpuUsage(c0);
countInstructions(false);
if (process.env['CALLGRIND'] === undefined) console.log(`${variant}: ${(((c.user + c.system) * 1000) / N).toFixed(1)} ns CPU per op (sink ${sink})`);
