/**
 * The `pipeline` and `builtins` parts of `pnpm bench policies`: the whole `gateway.handle` of one
 * GET on a mock transport (answers at once, in process), CPU time beside wall time (jwt.ts's
 * `interleaved`: alternating order, a minor GC before each round, medians).
 *
 * - `pipeline`: a route with no policies, against the same config on the gateway as it was
 *   before the pipeline existed (main at `cac7926`). That gateway is imported from its built
 *   `dist` by absolute path, when present (`SY_BASE_DIR`, default /tmp/sy-base):
 *
 *     git worktree add /tmp/sy-base cac7926 && cd /tmp/sy-base \
 *       && pnpm install --offline --frozen-lockfile && pnpm --filter '@switchyard/gateway...' build
 *
 *   Without it the row is skipped and a note says how to build it.
 * - `builtins`: the same route with `api-key` (cache hit after the first request) + `rate-limit`
 *   by consumer (limit never reached) + a custom `definePolicy` policy (adds an attribute),
 *   against the route with no policies, on today's gateway.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CONTINUE, definePolicy, type SyRequest, type Transport } from '@switchyard/core';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import type { CaseResult } from '../harness.js';
import { interleaved } from './jwt.js';

const QUICK = process.env['POLICIES_QUICK'] !== undefined;
const ROUNDS = QUICK ? 3 : 31;
const OPS = QUICK ? 200 : 2_000;
const BASE_DIR = process.env['SY_BASE_DIR'] ?? '/tmp/sy-base';
const BASE_GATEWAY = `${BASE_DIR}/packages/gateway/dist/index.js`;
const KEY = 'bench_key_0123456789abcdef';

const transport: Transport = {
  send: async () => ({ kind: 'response', response: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' } }),
};

const request = (headers: Record<string, string> = {}): SyRequest => ({
  method: 'GET',
  scheme: 'https',
  authority: 'api.example.com',
  path: '/orders/42',
  query: '',
  headers: { accept: 'application/json', 'user-agent': 'bench', host: 'api.example.com', ...headers },
  attributes: {},
});

/** The config both gateways accept: one route, one upstream, no policies. */
const plainConfig = (): GatewayConfig => ({
  routes: [{ name: 'orders', matches: [{ path: { type: 'PathPrefix', value: '/orders' } }], backends: [{ upstream: 'orders' }] }],
  upstreams: { orders: { endpoints: [{ url: 'http://10.0.0.1:8080' }] } },
});

const tagTenant = definePolicy<Record<string, never>>({
  type: 'tag-tenant',
  create: () => ({ type: 'tag-tenant', inbound: (_req, ctx) => (ctx.identity === undefined ? CONTINUE : { kind: 'continue', attributes: { tenant: ctx.identity.sub } }) }),
});

async function drain(p: Promise<{ status: number; body?: unknown }>, expected: number): Promise<void> {
  const r = await p;
  if (r.status !== expected) throw new Error(`policies bench: status ${r.status}, expected ${expected}`);
}

/** A route without policies: today's gateway against the pre-pipeline one (when built). */
export async function pipelinePart(): Promise<{ cases: CaseResult[]; notes: string[] }> {
  const today = createGateway(plainConfig(), { transport });
  const impls: Array<readonly [string, () => Promise<void>]> = [['switchyard gateway.handle (no policies)', () => drain(today.handle(request()), 200)]];
  const notes: string[] = [];
  let base: { stop(): Promise<void> } | undefined;
  if (existsSync(BASE_GATEWAY)) {
    const mod = (await import(pathToFileURL(BASE_GATEWAY).href)) as { createGateway: typeof createGateway };
    const g = mod.createGateway(plainConfig(), { transport });
    base = g;
    impls.push(['gateway before the pipeline (cac7926)', () => drain(g.handle(request()), 200)]);
  } else {
    notes.push(`pipeline: the pre-pipeline row is skipped: ${BASE_GATEWAY} not found. Build it with: git worktree add ${BASE_DIR} cac7926 && cd ${BASE_DIR} && pnpm install --offline --frozen-lockfile && pnpm --filter '@switchyard/gateway...' build`);
  }
  for (const [, fn] of impls) await fn();
  const cases = await interleaved('gateway.handle, route without policies (mock transport)', impls, { rounds: ROUNDS, ops: OPS });
  await today.stop();
  await base?.stop();
  const [ours, before] = cases;
  if (ours?.ns !== undefined && before?.ns !== undefined) notes.push(`pipeline: no-policy route / pre-pipeline gateway = ${(ours.ns / before.ns).toFixed(3)} wall, ${((ours['cpuNs'] as number) / (before['cpuNs'] as number)).toFixed(3)} CPU`);
  return { cases, notes };
}

/** api-key + rate-limit + a custom policy on the route, against the route with none. */
export async function builtinsPart(): Promise<{ cases: CaseResult[]; notes: string[] }> {
  const plain = createGateway(plainConfig(), { transport });
  const base = plainConfig();
  const withPolicies = createGateway(
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
  const impls: Array<readonly [string, () => Promise<void>]> = [
    ['switchyard api-key + rate-limit + custom', () => drain(withPolicies.handle(request({ 'x-api-key': KEY })), 200)],
    ['switchyard no policies', () => drain(plain.handle(request({ 'x-api-key': KEY })), 200)],
  ];
  for (const [, fn] of impls) await fn();
  const cases = await interleaved('gateway.handle, api-key + rate-limit + custom policy (mock transport)', impls, { rounds: ROUNDS, ops: OPS });
  await plain.stop();
  await withPolicies.stop();
  const [ours, none] = cases;
  const notes: string[] = [];
  if (ours?.ns !== undefined && none?.ns !== undefined) {
    notes.push(`builtins: api-key + rate-limit + custom adds ${(ours.ns - none.ns).toFixed(0)} ns wall, ${((ours['cpuNs'] as number) - (none['cpuNs'] as number)).toFixed(0)} ns CPU per request over the no-policy route`);
  }
  return { cases, notes };
}
