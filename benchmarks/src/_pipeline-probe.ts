/**
 * Instructions per `gateway.handle` (mock transport) for the `pipeline` and `builtins` parts of
 * `pnpm bench policies`, under callgrind (a count does not depend on the machine's load):
 *
 *   bash benchmarks/src/callgrind-probe.sh benchmarks/src/_pipeline-probe.ts plain policies base
 *
 * (after `pnpm build`). Variants: `plain` (a route without policies), `policies` (api-key cache
 * hit + rate-limit by consumer + a custom policy), `base` (the plain route on the gateway before
 * the pipeline, cac7926, built in /tmp/sy-base: see benchmarks/src/policies/pipeline.ts), `noop`
 * (the plain route with one custom policy that only continues: what running a step through the
 * policy pipeline costs, the figure behind the built-in steps staying direct calls, prepare.ts).
 */
import { CONTINUE, definePolicy, type SyRequest, type Transport } from '@switchyard/core';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { countInstructions } from './probe-window.ts';

const variant = process.argv[2] ?? 'plain';
const N = Number(process.argv[3] ?? 20_000);
const KEY = 'bench_key_0123456789abcdef';
const transport: Transport = { send: async () => ({ kind: 'response', response: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' } }) };
const req: SyRequest = { method: 'GET', scheme: 'https', authority: 'api.example.com', path: '/orders/42', query: '', headers: { accept: 'application/json', 'user-agent': 'bench', host: 'api.example.com', 'x-api-key': KEY }, attributes: {} };
const plainConfig = (): GatewayConfig => ({
  routes: [{ name: 'orders', matches: [{ path: { type: 'PathPrefix', value: '/orders' } }], backends: [{ upstream: 'orders' }] }],
  upstreams: { orders: { endpoints: [{ url: 'http://10.0.0.1:8080' }] } },
});
const tagTenant = definePolicy<Record<string, never>>({
  type: 'tag-tenant',
  create: () => ({ type: 'tag-tenant', inbound: (_r, ctx) => (ctx.identity === undefined ? CONTINUE : { kind: 'continue', attributes: { tenant: ctx.identity.sub } }) }),
});

async function gatewayFor(v: string): Promise<{ handle(r: SyRequest): Promise<{ status: number }> }> {
  if (v === 'plain') return createGateway(plainConfig(), { transport });
  if (v === 'base') {
    const mod = (await import(`${process.env['SY_BASE_DIR'] ?? '/tmp/sy-base'}/packages/gateway/dist/index.js`)) as { createGateway: typeof createGateway };
    return mod.createGateway(plainConfig(), { transport });
  }
  if (v === 'noop') {
    const pass = definePolicy<Record<string, never>>({ type: 'pass', create: () => ({ type: 'pass', inbound: () => CONTINUE }) });
    const base = plainConfig();
    return createGateway({ ...base, policies: { pass: { type: 'pass' } }, routes: base.routes.map((r) => ({ ...r, policies: { inbound: ['pass'] } })) }, { transport, policies: [pass] });
  }
  if (v !== 'policies') throw new Error(`unknown variant ${v}: plain, policies, base, noop`);
  const base = plainConfig();
  return createGateway(
    {
      ...base,
      policies: {
        keys: { type: 'api-key', options: { header: 'x-api-key', prefix: 'bench', consumers: [{ id: 'acme', tier: 'enterprise', keys: [KEY] }] } },
        limit: { type: 'rate-limit', options: { by: 'consumer', limit: 1_000_000_000, windowMs: 60_000, tiers: { enterprise: { limit: 1_000_000_000 } } } },
        tag: { type: 'tag-tenant' },
      },
      routes: base.routes.map((r) => ({ ...r, policies: { inbound: ['keys', 'limit', 'tag'] } })),
    },
    { transport, policies: [tagTenant] },
  );
}

const gateway = await gatewayFor(variant);
for (let i = 0, w = Number(process.env['WARMUP'] ?? 20_000); i < w; i++) if ((await gateway.handle(req)).status !== 200) throw new Error('probe: not 200');
countInstructions(true);
const c0 = process.cpuUsage();
for (let i = 0; i < N; i++) await gateway.handle(req);
const c = process.cpuUsage(c0);
countInstructions(false);
if (process.env['CALLGRIND'] === undefined) console.log(`${variant}: ${(((c.user + c.system) * 1000) / N).toFixed(0)} ns CPU per request`);
