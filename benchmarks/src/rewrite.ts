/**
 * `pnpm bench rewrite`: switchyard's compiled rewrite rules versus http-proxy-middleware's
 * `pathRewrite` and a naive `String.replace` chain, one process, same inputs.
 *
 * http-proxy-middleware: we call its own `createPathRewriter` from
 * `http-proxy-middleware/dist/path-rewriter.js` (v3), the exact function its proxy calls with
 * `req.url` for each request: a loop over `{ regex: replacement }` rules, `regex.test`, then
 * `String.replace` (and its `debug` call, a no-op unless DEBUG is set). It rewrites the path
 * string only: it encodes nothing, touches no header and extracts params itself with the regex.
 *
 * switchyard rows:
 * - `switchyard compiled path (compilePathRewriter)`: the compiled template / prefix rewrite
 *   plus query assembly, the same job as pathRewrite (string in, string out), with values
 *   percent-encoded and the result checked. This is the row the target applies to.
 * - `switchyard (applyRewrite)`: the whole rule on a request with no headers and the
 *   forwarding policy off: the same job as pathRewrite (path + query) plus the safety checks
 *   (normalized input, encoded values, normalized output). Params come from the router, as
 *   they do in the gateway: extracting them is the router's cost, not counted here.
 * - `switchyard full (6 headers, XFF)`: the realistic per-request cost with header hygiene
 *   (hop-by-hop, Connection, CR/LF checks) and `X-Forwarded-*` appended. Reported for
 *   information; it does more than the peers.
 */
import type { SyRequest } from '@switchyard/core';
import { applyRewrite, compilePathRewriter, compileRewrite } from '@switchyard/rewrite';
import type { PathRewriteConfig, RewriteConfig } from '@switchyard/rewrite';
import { createPathRewriter } from 'http-proxy-middleware/dist/path-rewriter.js';
import { round, runTasks, writeResults } from './harness.js';
import type { CaseResult, Task } from './harness.js';

/** Each timed call rewrites BATCH different requests, so the harness's per-call overhead does not drown the work. */
const BATCH = 64;

interface Scenario {
  readonly name: string;
  /** Builds variant `i` of the request (different ids / paths). */
  readonly variant: (i: number) => { path: string; query: string; params: Record<string, string>; expected: string };
  readonly path: string;
  readonly query: string;
  readonly params: Record<string, string>;
  readonly matchedPrefix?: string;
  readonly config: RewriteConfig;
  /** The path stage alone, and how the query is put back (the rule's query ops, hand-written). */
  readonly pathStage: { readonly path: PathRewriteConfig; readonly query: (q: string, params: Record<string, string>) => string };
  readonly hpm: Record<string, string>;
  readonly naive: (url: string) => string;
  readonly expected: string;
}

export const scenarios: Scenario[] = [
  {
    name: '/api/v2/orders/:id -> /orders/:id',
    variant: (i) => ({ path: `/api/v2/orders/${1000 + i}`, query: 'expand=items', params: { id: String(1000 + i) }, expected: `/orders/${1000 + i}?expand=items` }),
    path: '/api/v2/orders/42',
    query: 'expand=items',
    params: { id: '42' },
    config: { url: 'https://orders.internal/orders/${params.id}' },
    pathStage: { path: { type: 'Template', template: '/orders/${params.id}' }, query: (q) => q },
    hpm: { '^/api/v2/orders/([^/?]+)': '/orders/$1' },
    naive: (url) => url.replace('/api/v2/orders/', '/orders/'),
    expected: '/orders/42?expand=items',
  },
  {
    name: '/products/:id/reviews -> /reviews?productId=:id',
    variant: (i) => ({ path: `/products/p-${i}/reviews`, query: '', params: { id: `p-${i}` }, expected: `/reviews?productId=p-${i}` }),
    path: '/products/p-9/reviews',
    query: '',
    params: { id: 'p-9' },
    config: { path: { type: 'Template', template: '/reviews' }, query: { set: { productId: '${params.id}' } } },
    pathStage: { path: { type: 'Template', template: '/reviews' }, query: (q, p) => (q === '' ? '' : `${q}&`) + `productId=${encodeURIComponent(p['id'] ?? '')}` },
    hpm: { '^/products/([^/?]+)/reviews$': '/reviews?productId=$1' },
    naive: (url) => url.replace(/^\/products\/([^/?]+)\/reviews$/, '/reviews?productId=$1'),
    expected: '/reviews?productId=p-9',
  },
  {
    name: 'strip version prefix /v1',
    variant: (i) => ({ path: `/v1/users/${i}`, query: 'page=2', params: {}, expected: `/users/${i}?page=2` }),
    path: '/v1/users/7',
    query: 'page=2',
    params: {},
    matchedPrefix: '/v1',
    config: { path: { type: 'StripPrefix', prefix: '/v1' } },
    pathStage: { path: { type: 'StripPrefix', prefix: '/v1' }, query: (q) => q },
    hpm: { '^/v1': '' },
    naive: (url) => url.replace('/v1', ''),
    expected: '/users/7?page=2',
  },
];

const realisticHeaders = {
  accept: 'application/json',
  'user-agent': 'bench/1.0',
  'accept-encoding': 'gzip, br',
  connection: 'keep-alive',
  'x-request-id': 'abc123',
  'x-forwarded-for': '198.51.100.1',
};

export default async function run(): Promise<void> {
  const tasks: Task[] = [];
  for (const s of scenarios) {
    const plan = compileRewrite({ forwarded: { mode: 'off' }, ...s.config });
    const fullPlan = compileRewrite({ forwarded: { mode: 'append' }, ...s.config });
    const hpm = createPathRewriter(s.hpm) as (url: string) => string;
    const pathRewriter = compilePathRewriter(s.pathStage.path);
    const variants = Array.from({ length: BATCH }, (_, i) => {
      const v = i === 0 ? { path: s.path, query: s.query, params: s.params, expected: s.expected } : s.variant(i);
      const request: SyRequest = { method: 'GET', scheme: 'https', authority: 'api.example.com', path: v.path, query: v.query, headers: {}, attributes: {}, clientAddress: '203.0.113.7' };
      const input = { request, params: v.params, upstream: 'https://orders.internal', ...(s.matchedPrefix ? { matchedPrefix: s.matchedPrefix } : {}) };
      return { ...v, url: v.query === '' ? v.path : `${v.path}?${v.query}`, input, fullInput: { ...input, request: { ...request, headers: realisticHeaders } } };
    });
    const stage = (v: (typeof variants)[number]) => {
      const p = pathRewriter(v.path, v.params, s.matchedPrefix);
      if (p === undefined) return undefined;
      const q = s.pathStage.query(v.query, v.params);
      return q === '' ? p : `${p}?${q}`;
    };

    // Verify every candidate on every variant before timing it.
    for (const v of variants) {
      const check = (impl: string, got: string | undefined) => {
        if (got !== v.expected) throw new Error(`${s.name}: ${impl} gave ${got}, expected ${v.expected}`);
      };
      const ours = applyRewrite(plan, v.input);
      const oursFull = applyRewrite(fullPlan, v.fullInput);
      check('switchyard compiled path', stage(v));
      check('switchyard', ours.kind === 'forward' ? ours.request.path : ours.kind);
      check('switchyard full', oursFull.kind === 'forward' ? oursFull.request.path : oursFull.kind);
      check('http-proxy-middleware', hpm(v.url));
      check('naive', s.naive(v.url));
    }

    const batch = (f: (v: (typeof variants)[number]) => unknown) => () => {
      let last: unknown;
      for (let i = 0; i < BATCH; i++) last = f(variants[i]!);
      return last;
    };
    tasks.push({ case: s.name, impl: 'switchyard compiled path (compilePathRewriter)', fn: batch(stage) });
    tasks.push({ case: s.name, impl: 'switchyard (applyRewrite)', fn: batch((v) => applyRewrite(plan, v.input)) });
    tasks.push({ case: s.name, impl: 'switchyard full (6 headers, XFF)', fn: batch((v) => applyRewrite(fullPlan, v.fullInput)) });
    tasks.push({ case: s.name, impl: 'http-proxy-middleware pathRewrite', fn: batch((v) => hpm(v.url)) });
    tasks.push({ case: s.name, impl: 'naive String.replace', fn: batch((v) => s.naive(v.url)) });
  }
  const raw = await runTasks(tasks, { time: 400, warmupTime: 150 });
  // Per rewrite, not per batch.
  const cases: CaseResult[] = raw.map((c) => (c.ns === undefined ? { ...c, batch: BATCH } : { ...c, ns: round(c.ns / BATCH), batch: BATCH }));
  const notes = [
    `Each timed call rewrites ${BATCH} different requests; ns is per rewrite.`,
    'http-proxy-middleware: its own createPathRewriter (dist/path-rewriter.js, v3), called with req.url as its proxy does.',
    'switchyard compiled path: compilePathRewriter + query assembly, string in / string out like pathRewrite.',
    'switchyard (applyRewrite): whole rule, no headers, forwarding off; params supplied by the router (not timed).',
    'switchyard full: 6 request headers, hop-by-hop + Connection stripping, CR/LF checks, X-Forwarded-* appended.',
    'Wall-clock on a shared 2-core machine is noisy; instruction counts (valgrind callgrind, `benchmarks/src/_rewrite-isolated.ts`) give the stable ratios.',
  ];
  writeResults('rewrite', cases, notes);
  for (const s of scenarios) {
    const row = (impl: string) => cases.find((c) => c.case === s.name && c.impl === impl)?.ns ?? NaN;
    const hpmNs = row('http-proxy-middleware pathRewrite');
    console.log(
      `${s.name}: compiled path / hpm = ${(row('switchyard compiled path (compilePathRewriter)') / hpmNs).toFixed(2)}x, applyRewrite / hpm = ${(row('switchyard (applyRewrite)') / hpmNs).toFixed(2)}x, full / hpm = ${(row('switchyard full (6 headers, XFF)') / hpmNs).toFixed(2)}x`,
    );
  }
}
