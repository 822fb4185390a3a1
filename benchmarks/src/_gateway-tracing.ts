/**
 * Per-request cost of tracing (docs/guides/tracing.md), in process, with a transport that answers
 * at once: the `_gateway-hotpath.ts` gateway (route, per-IP limit, least-request, one try), the
 * request carrying a caller's `traceparent`:
 *
 *   N=20000 bash benchmarks/src/callgrind-probe.sh benchmarks/src/_gateway-tracing.ts none unsampled sampled
 *
 * `none`: no SDK (the global API, nothing registered); `unsampled`: the real SDK's
 * BasicTracerProvider with AlwaysOffSampler and the W3C propagator (spans made, context
 * propagated, nothing recorded); `sampled`: AlwaysOnSampler with a span processor that drops
 * every span (recording and attributes, no export).
 */
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Transport } from '@switchyard/core';
import { createGateway } from '@switchyard/gateway';
import { countInstructions } from './probe-window.ts';

const numericFirst = /^\d+$/.test(process.argv[2] ?? '');
const N = Number((numericFirst ? process.argv[2] : process.argv[3]) ?? 200_000);
const mode = (numericFirst ? process.argv[3] : process.argv[2]) ?? 'none';
const drop: SpanProcessor = { onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} };
const tracerProvider = new BasicTracerProvider({ sampler: mode === 'sampled' ? new AlwaysOnSampler() : new AlwaysOffSampler(), spanProcessors: [drop] });
const transport: Transport = {
  send: async () => ({ kind: 'response', response: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' } }),
};
const gateway = createGateway(
  {
    clientIdentity: { trustedProxies: [] },
    limits: { ip: { key: 'client-ip', policy: { maxTokens: 1e9, tokensPerFill: 1e9, fillIntervalMs: 1000 } } },
    routes: [{ name: 'r', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'u' }], limits: ['ip'] }],
    upstreams: { u: { endpoints: [{ url: 'http://127.0.0.1:1' }, { url: 'http://127.0.0.1:2' }], balancer: { policy: 'least-request' } } },
  },
  mode === 'none' ? { transport } : { transport, tracerProvider, propagator: new W3CTraceContextPropagator() },
);
const req = {
  method: 'GET',
  scheme: 'http' as const,
  authority: 'x',
  path: '/api/items/1',
  query: '',
  headers: { 'user-agent': 'bench', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
  clientAddress: '127.0.0.1',
  attributes: {},
};
const run = async (count: number): Promise<void> => {
  for (let i = 0; i < count; i++) await gateway.handle(req);
};
await run(Number(process.env['WARMUP'] ?? 20_000));
countInstructions(true);
const c0 = process.cpuUsage();
await run(N);
const c = process.cpuUsage(c0);
countInstructions(false);
console.log(`gateway.handle (${mode}): ${(((c.user + c.system) / N) * 1000).toFixed(0)} ns CPU/request (${N} requests)`);
