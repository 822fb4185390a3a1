/**
 * One rewrite scenario per process (not a `pnpm bench` suite: the leading `_` hides it):
 *
 *   for i in 0 1 2; do npx tsx --tsconfig benchmarks/tsconfig.json benchmarks/src/_rewrite-isolated.ts $i; done
 *
 * Why: in `pnpm bench rewrite` the three scenarios share their task closures, so V8's call
 * sites inside them (ours: the compiled path stage, then the query stage) see every scenario's
 * function and go polymorphic, while a peer's single call does not. Here each process sees one
 * scenario, and the two candidates alternate 5 times (the compiled path stage + query, as the
 * suite's "compiled path" row; http-proxy-middleware's `pathRewrite` on the whole URL).
 *
 * Instructions (load-independent), from the repo root after `pnpm build`:
 *
 *   N=20000 bash benchmarks/src/callgrind-probe.sh benchmarks/src/_rewrite-isolated.ts path0 apply0 full0
 *
 * Variants `<kind><scenario index>`: `path` the compiled path stage + query (the row above),
 * `apply` `applyRewrite` with no headers and forwarding off, `full` `applyRewrite` with six
 * headers and `X-Forwarded-*` appended (the suite's three switchyard rows). Counted per rewrite.
 */
import type { SyRequest } from '@switchyard/core';
import { applyRewrite, compilePathRewriter, compileRewrite } from '@switchyard/rewrite';
import { createPathRewriter } from 'http-proxy-middleware/dist/path-rewriter.js';
import { countInstructions } from './probe-window.ts';
import { scenarios } from './rewrite.ts';

if (process.env['CALLGRIND'] !== undefined) {
  const m = /^(path|apply|full)(\d)$/.exec(process.argv[2] ?? '');
  const sc = m === null ? undefined : scenarios[Number(m[2])];
  if (m === null || sc === undefined) throw new Error('usage (CALLGRIND): _rewrite-isolated.ts <path|apply|full><0..2> <requests>');
  const n = Number(process.argv[3] ?? 4000);
  const full = m[1] === 'full';
  const plan = compileRewrite({ forwarded: { mode: full ? 'append' : 'off' }, ...sc.config });
  const rewriter = compilePathRewriter(sc.pathStage.path);
  const headers = { accept: 'application/json', 'user-agent': 'bench/1.0', 'accept-encoding': 'gzip, br', connection: 'keep-alive', 'x-request-id': 'abc123', 'x-forwarded-for': '198.51.100.1' };
  const inputs = Array.from({ length: 64 }, (_, i) => {
    const v = sc.variant(i + 1);
    const request: SyRequest = { method: 'GET', scheme: 'https', authority: 'api.example.com', path: v.path, query: v.query, headers: full ? headers : {}, attributes: {}, clientAddress: '203.0.113.7' };
    return { v, input: { request, params: v.params, upstream: 'https://orders.internal', ...(sc.matchedPrefix ? { matchedPrefix: sc.matchedPrefix } : {}) } };
  });
  let out: unknown;
  const one =
    m[1] === 'path'
      ? (i: number) => {
          const { v } = inputs[i & 63]!;
          const p = rewriter(v.path, v.params, sc.matchedPrefix);
          const q = sc.pathStage.query(v.query, v.params);
          out = q === '' ? p : `${p}?${q}`;
        }
      : (i: number) => {
          out = applyRewrite(plan, inputs[i & 63]!.input);
        };
  const warm = Number(process.env['WARMUP'] ?? 10_000);
  for (let i = 0; i < warm; i++) one(i);
  countInstructions(true);
  for (let i = 0; i < n; i++) one(i);
  countInstructions(false);
  void out;
  process.exit(0);
}

const s = scenarios[Number(process.argv[2] ?? 0)];
if (s === undefined) throw new Error('usage: _rewrite-isolated.ts <scenario index 0..2>');
const ours = compilePathRewriter(s.pathStage.path);
const query = s.pathStage.query;
const hpm = createPathRewriter(s.hpm) as (url: string) => string;
const N = 64;
const vs = Array.from({ length: N }, (_, i) => s.variant(i + 1)).map((v) => ({ ...v, url: v.query === '' ? v.path : `${v.path}?${v.query}` }));
for (const v of vs) {
  const p = ours(v.path, v.params, s.matchedPrefix);
  const q = query(v.query, v.params);
  if ((q === '' ? p : `${p}?${q}`) !== v.expected || hpm(v.url) !== v.expected) throw new Error(`${s.name}: wrong result for ${v.url}`);
}
let sink: unknown;
const candidates: [string, () => void][] = [
  [
    'switchyard compiled path',
    () => {
      for (const v of vs) {
        const p = ours(v.path, v.params, s.matchedPrefix);
        const q = query(v.query, v.params);
        sink = q === '' ? p : `${p}?${q}`;
      }
    },
  ],
  [
    'http-proxy-middleware pathRewrite',
    () => {
      for (const v of vs) sink = hpm(v.url);
    },
  ],
];
const best = new Map<string, number>();
for (let round = 0; round < 5; round++) {
  for (const [name, f] of candidates) {
    for (let i = 0; i < 5_000; i++) f();
    const t0 = performance.now();
    for (let i = 0; i < 50_000; i++) f();
    const ns = ((performance.now() - t0) * 1e6) / (50_000 * N);
    best.set(name, Math.min(best.get(name) ?? Infinity, ns));
  }
}
const [a, b] = [best.get('switchyard compiled path')!, best.get('http-proxy-middleware pathRewrite')!];
console.log(`${s.name}: switchyard ${a.toFixed(1)} ns, http-proxy-middleware ${b.toFixed(1)} ns -> ${(a / b).toFixed(2)}x (best of 5 rounds)`);
void sink;
