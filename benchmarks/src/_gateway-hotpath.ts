/**
 * Per-request CPU cost of the gateway itself, in process, with a transport that answers at
 * once (no sockets):
 *
 *   node --import tsx benchmarks/src/_gateway-hotpath.ts [requests] [handle|decide]
 *
 * `handle` (default) runs the whole lifecycle; `decide` only what decide-only mode runs (route,
 * limit, split); `decideNow` the same through the synchronous entry the adapters use. `NOLIMIT=1` drops the per-client-IP limit; `ADMIN=1` polls a dashboard every 10 000 requests. Add --cpu-prof to profile.
 */
import type { Transport } from '@switchyard/core';
import { createGateway } from '@switchyard/gateway';
import { countInstructions } from './probe-window.ts';

const transport: Transport = {
  send: async () => ({ kind: 'response', response: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' } }),
};
const gateway = createGateway(
  {
    clientIdentity: { trustedProxies: [] },
    // Pinned: the default became 'legacy' (X-RateLimit-*); figures stay comparable with earlier runs.
    rateLimitHeaders: 'none',
    limits: { ip: { key: 'client-ip', policy: { maxTokens: 1e9, tokensPerFill: 1e9, fillIntervalMs: 1000 } } },
    routes: [{ name: 'r', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'u' }], ...(process.env['NOLIMIT'] ? {} : { limits: ['ip'] }) }],
    upstreams: { u: { endpoints: [{ url: 'http://127.0.0.1:1' }, { url: 'http://127.0.0.1:2' }], balancer: { policy: 'least-request' } } },
  },
  { transport },
);
const req = { method: 'GET', scheme: 'http' as const, authority: 'x', path: '/api/items/1', query: '', headers: { 'user-agent': 'bench' }, clientAddress: '127.0.0.1', attributes: {} };
// Arguments: [requests] [mode], or (callgrind-probe.sh) <mode> <requests>.
const numericFirst = /^\d+$/.test(process.argv[2] ?? '');
const N = Number((numericFirst ? process.argv[2] : process.argv[3]) ?? 200_000);
const modeArg = numericFirst ? process.argv[3] : process.argv[2];
const mode = modeArg === 'decide' || modeArg === 'decideNow' ? modeArg : 'handle';
const handleOnce = mode === 'decide' ? () => gateway.decide(req) : mode === 'decideNow' ? () => gateway.decideNow(req) : () => gateway.handle(req);
// ADMIN=1: a dashboard (gateway.admin()) polled once per 10 000 requests, as a page polling every
// second would be at 10 000 requests per second: its snapshot cost counts, amortized.
const admin = process.env['ADMIN'] ? gateway.admin() : undefined;
let served = 0;
const once = admin === undefined ? handleOnce : () => (++served % 10_000 === 0 ? (admin.snapshot(), handleOnce()) : handleOnce());
// decideNow answers synchronously here (in-memory limits): the loop awaits only a promise, so
// the count is the gateway's work, not a microtask per call.
const run = async (count: number): Promise<void> => {
  for (let i = 0; i < count; i++) {
    const r = once();
    if (r instanceof Promise) await r;
  }
};
await run(Number(process.env['WARM'] ?? process.env['WARMUP'] ?? 20_000));
// Under `bash benchmarks/src/callgrind-probe.sh` (CALLGRIND=1): count the measured loop only.
countInstructions(true);
const c0 = process.cpuUsage();
await run(N);
const c = process.cpuUsage(c0);
countInstructions(false);
// CPU time, not wall time: far less sensitive to other processes on a shared machine.
console.log(`gateway.${mode}: ${(((c.user + c.system) / N) * 1000).toFixed(0)} ns CPU/request (${N} requests)`);
