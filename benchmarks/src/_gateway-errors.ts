/**
 * Per-request CPU cost of the gateway's own error responses (the error formatter), in process,
 * on a route whose limit refuses every request (429 `SY_RATE_LIMITED`, `Retry-After` and the
 * RateLimit headers), the body read as an adapter would write it:
 *
 *   node --import tsx benchmarks/src/_gateway-errors.ts [requests] [variant]
 *   bash benchmarks/src/callgrind-probe.sh benchmarks/src/_gateway-errors.ts limited limited-problem limited-template
 *
 * Variants: `limited` (no `errors` config: switchyard's default JSON), `limited-problem`
 * (`errors.format: 'problem+json'`), `limited-template` (a custom 429: headers and a JSON body
 * template with the limit, the window and an upgrade link).
 */
import type { SyRequest, SyResponse, Transport } from '@switchyard/core';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { countInstructions } from './probe-window.ts';

const transport: Transport = {
  send: async () => ({ kind: 'response', response: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' } }),
};
// Arguments: [requests] [variant], or (callgrind-probe.sh) <variant> <requests>.
const numericFirst = /^\d+$/.test(process.argv[2] ?? '');
const N = Number((numericFirst ? process.argv[2] : process.argv[3]) ?? 200_000);
const variant = (numericFirst ? process.argv[3] : process.argv[2]) ?? 'limited';

const errors: Record<string, unknown> = {
  limited: undefined,
  'limited-problem': { format: 'problem+json' },
  'limited-template': {
    responses: {
      SY_RATE_LIMITED: {
        headers: { 'x-upgrade': 'https://example.com/pricing' },
        body: { error: '${code}', limit: '${detail.limit}', windowMs: '${detail.windowMs}', retryAfterSeconds: '${retryAfterSeconds}', upgrade: 'https://example.com/pricing', requestId: '${requestId}' },
      },
    },
  },
};
if (!(variant in errors)) throw new Error(`unknown variant ${variant}`);
const config = {
  rateLimitHeaders: 'ietf',
  limits: { one: { key: 'global', policy: { maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 3_600_000 } } },
  routes: [{ name: 'r', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'u' }], limits: ['one'] }],
  upstreams: { u: { endpoints: [{ url: 'http://127.0.0.1:1' }], balancer: { policy: 'round-robin' } } },
  ...(errors[variant] !== undefined ? { errors: errors[variant] } : {}),
} as unknown as GatewayConfig;
const gateway = createGateway(config, { transport });
const req: SyRequest = { method: 'GET', scheme: 'http', authority: 'x', path: '/api/items/1', query: '', headers: { 'user-agent': 'bench', 'x-request-id': 'req-1' }, clientAddress: '127.0.0.1', attributes: {} };
let bytes = 0;
const read = (r: SyResponse): void => {
  if (r.status !== 429 && bytes > 0) throw new Error(`expected 429, got ${r.status}`);
  bytes += typeof r.body === 'string' ? r.body.length : 0;
};
const run = async (count: number): Promise<void> => {
  for (let i = 0; i < count; i++) read(await gateway.handle(req));
};
await run(Number(process.env['WARM'] ?? process.env['WARMUP'] ?? 20_000));
countInstructions(true);
const c0 = process.cpuUsage();
await run(N);
const c = process.cpuUsage(c0);
countInstructions(false);
console.log(`gateway 429 (${variant}): ${(((c.user + c.system) / N) * 1000).toFixed(0)} ns CPU/request (${N} requests)`);
