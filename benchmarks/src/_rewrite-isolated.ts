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
 */
import { compilePathRewriter } from '@switchyard/rewrite';
import { createPathRewriter } from 'http-proxy-middleware/dist/path-rewriter.js';
import { scenarios } from './rewrite.ts';

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
