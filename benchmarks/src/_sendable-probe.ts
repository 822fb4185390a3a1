/**
 * The cost of core's `checkSendable` on the rewrite hot path (issue #17). Not a `pnpm bench`
 * suite (the leading `_` hides it). Two ways:
 *
 *   npx tsx --tsconfig benchmarks/tsconfig.json benchmarks/src/_sendable-probe.ts time
 *     → best-of-rounds ns per op for applyRewrite (which includes the check) and the check alone;
 *   instructions (load-independent), from the repo root:
 *     ./benchmarks/node_modules/.bin/esbuild benchmarks/src/_sendable-probe.ts --bundle --platform=node --format=esm \
 *       --alias:@switchyard/core=./packages/core/src/index.ts --alias:@switchyard/rewrite=./packages/rewrite/src/index.ts \
 *       --outfile=benchmarks/.probe-sendable.mjs
 *     for v in check check-small rewrite; do for n in 20000 60000; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \
 *       node --single-threaded --no-flush-bytecode --no-memory-reducer benchmarks/.probe-sendable.mjs $v $n 2>&1 | grep refs; done; done
 *     → (refs(60 000) - refs(20 000)) / 40 000 instructions per op (JIT warm-up cancels out). For
 *     applyRewrite without the check, comment out step 10 in packages/rewrite/src/rewrite.ts and rerun `rewrite`.
 */
import { checkSendable, type SyRequest, type UpstreamRequest } from '@switchyard/core';
import { applyRewrite, compileRewrite } from '@switchyard/rewrite';

/** A typical proxied request: a browser's dozen headers, a templated tenant header, a query. */
const request: SyRequest = {
  method: 'GET',
  scheme: 'https',
  authority: 'api.example.com',
  path: '/api/v2/orders/42',
  query: 'expand=items&page=2',
  headers: {
    host: 'api.example.com',
    'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
    accept: 'application/json, text/plain, */*',
    'accept-language': 'en-GB,en;q=0.9',
    'accept-encoding': 'gzip, deflate, br',
    authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl',
    cookie: 'session=abc123; theme=dark',
    'x-tenant': 'acme',
    'x-request-id': '0f8fad5b-d9cb-469f-a165-70867728950e',
    referer: 'https://app.example.com/orders',
  },
  clientAddress: '203.0.113.7',
  attributes: {},
};
const plan = compileRewrite({
  path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/orders' },
  requestHeaders: { set: { 'x-tenant-id': '${headers.x-tenant}' } },
});
const input = { request, matchedPrefix: '/api/v2/orders', upstream: 'http://orders.internal:8080' };
const r = applyRewrite(plan, input);
if (r.kind !== 'forward') throw new Error('probe: expected forward');
const upstream: UpstreamRequest = r.request;

/** A small request, as the proxy benchmark sends: four short headers. */
const small: UpstreamRequest = { method: 'GET', path: '/orders/42', headers: { host: 'api.example.com', accept: '*/*', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'http' } };

let sink: unknown;
const ops: Record<string, () => void> = {
  none: () => {
    sink = upstream;
  },
  check: () => {
    sink = checkSendable(upstream);
  },
  'check-small': () => {
    sink = checkSendable(small);
  },
  rewrite: () => {
    sink = applyRewrite(plan, input);
  },
};

const mode = process.argv[2] ?? 'time';
if (mode === 'time') {
  for (const name of ['check', 'rewrite']) {
    const f = ops[name]!;
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 20; round++) {
      const n = 200_000;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) f();
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
    }
    console.log(`${name}: ${best.toFixed(1)} ns per op (best of 20 rounds of 200 000)`);
  }
} else {
  const f = ops[mode];
  if (f === undefined) throw new Error('usage: _sendable-probe.ts time | none | check | check-small | rewrite [N]');
  const n = Number(process.argv[3] ?? 200_000);
  for (let i = 0; i < n; i++) f();
}
if (sink === Symbol.for('never')) console.log(sink);
