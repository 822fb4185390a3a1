/**
 * `pnpm demo`: a live switchyard gateway in front of local upstreams, driven with bounded
 * traffic, ending with a report. Everything listens on 127.0.0.1 and stops by itself.
 *
 * The story: catalog v1 runs on three instances and v2 is rolled out progressively to a
 * share of users (sticky by user id). Midway, one v1 instance fails for a while (outlier
 * detection and active health checks take it out, retries hide its failures) and another
 * turns 10× slower (Peak EWMA routes around it). Free API keys hit their rate limit; pro keys
 * don't. Orders are reached through a rewrite.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientAbortSignal, createGateway, fromNodeRequest, writeNodeResponse, type GatewayConfig, type GatewayEvent } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { printReport } from './report.js';
import { drive } from './traffic.js';
import { startUpstreams, stopAll, type UpstreamSpec } from './upstreams.js';

const DURATION_MS = Number(process.env['DEMO_DURATION_MS'] ?? 24_000);
const RATE = Number(process.env['DEMO_RATE'] ?? 250);
const scale = DURATION_MS / 24_000;

const SPECS: UpstreamSpec[] = [
  { id: 'catalog-v1-a', service: 'catalog', version: 'v1', latencyMs: 6 },
  { id: 'catalog-v1-b', service: 'catalog', version: 'v1', latencyMs: 6, phases: [{ from: 5 * scale, to: 13 * scale, kind: 'fail' }] },
  { id: 'catalog-v1-c', service: 'catalog', version: 'v1', latencyMs: 6, phases: [{ from: 7 * scale, to: 15 * scale, kind: 'slow', factor: 10 }] },
  { id: 'catalog-v2-a', service: 'catalog', version: 'v2', latencyMs: 5 },
  { id: 'catalog-v2-b', service: 'catalog', version: 'v2', latencyMs: 5 },
  { id: 'orders-1', service: 'orders', version: 'v1', latencyMs: 8 },
  { id: 'orders-2', service: 'orders', version: 'v1', latencyMs: 8 },
];

function config(urls: Map<string, string>): GatewayConfig {
  const endpoint = (id: string, version: string) => ({ id, url: urls.get(id) as string, metadata: { version } });
  const step = Math.round(5_000 * scale);
  return {
    selection: 'gateway',
    limits: {
      // Auth put the tier on the request (attributes.tier); limits are per API key.
      'per-api-key': {
        key: { apiKey: 'x-api-key' },
        tiers: {
          attribute: 'tier',
          default: 'free',
          policies: {
            free: { maxTokens: 20, tokensPerFill: 10, fillIntervalMs: 1_000 },
            pro: { maxTokens: 400, tokensPerFill: 200, fillIntervalMs: 1_000 },
          },
        },
      },
    },
    routes: [
      {
        name: 'catalog-pinned-v2',
        matches: [{ path: { type: 'PathPrefix', value: '/api/catalog' }, headers: [{ name: 'x-debug-version', value: 'v2' }] }],
        backends: [{ name: 'v2', upstream: 'catalog', subset: { version: 'v2' } }],
        rewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/catalog' } },
        limits: ['per-api-key'],
      },
      {
        name: 'catalog',
        matches: [{ path: { type: 'PathPrefix', value: '/api/catalog' } }],
        backends: [
          { name: 'v1', upstream: 'catalog', subset: { version: 'v1' }, weight: 100 },
          { name: 'v2', upstream: 'catalog', subset: { version: 'v2' }, weight: 0 },
        ],
        split: { key: { header: 'x-user-id' } },
        rollout: { name: 'catalog-v2', canary: 'v2', baseline: 'v1', steps: [5, 25, 50, 100], bakeTimeMs: step, analysisIntervalMs: step, minRequests: Math.max(5, Math.round(20 * scale)) },
        rewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/catalog' }, forwarded: { mode: 'append' } },
        limits: ['per-api-key'],
        timeoutMs: 2_000,
        perTryTimeoutMs: 300,
        retry: { numRetries: 2, retryOn: ['gateway-error', 'connect-failure', 'reset'], budget: { ratio: 0.2, minRetriesPerSecond: 20 } },
      },
      {
        name: 'orders',
        matches: [{ path: { type: 'Template', value: '/api/orders/:id' } }],
        backends: [{ upstream: 'orders' }],
        rewrite: { path: { type: 'Template', template: '/orders/${params.id}' } },
        limits: ['per-api-key'],
        timeoutMs: 2_000,
        retry: { numRetries: 1 },
      },
    ],
    upstreams: {
      catalog: {
        endpoints: [
          endpoint('catalog-v1-a', 'v1'),
          endpoint('catalog-v1-b', 'v1'),
          endpoint('catalog-v1-c', 'v1'),
          endpoint('catalog-v2-a', 'v2'),
          endpoint('catalog-v2-b', 'v2'),
        ],
        balancer: { policy: 'peak-ewma', decayTimeMs: 2_000 },
        healthCheck: { path: '/healthz', intervalMs: 1_000, timeoutMs: 500, unhealthyThreshold: 2, healthyThreshold: 2 },
        outlierDetection: { consecutive5xx: 5, intervalMs: 1_000, baseEjectionTimeMs: 4_000, maxEjectionPercent: 50 },
      },
      orders: {
        endpoints: [endpoint('orders-1', 'v1'), endpoint('orders-2', 'v1')],
        balancer: { policy: 'least-request' },
      },
    },
  };
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  console.log(`switchyard demo: ${SPECS.length} local upstreams, ${RATE} req/s for ${(DURATION_MS / 1000).toFixed(0)} s, all on 127.0.0.1\n`);
  const upstreams = await startUpstreams(SPECS, startedAt);
  const urls = new Map(upstreams.map((u) => [u.id, u.url]));

  const transport = createUndiciTransport({ connections: 64 });
  const gateway = createGateway(config(urls), { transport });
  const events: { t: number; event: GatewayEvent }[] = [];
  gateway.subscribe((event) => {
    if (event.kind === 'health' || event.kind === 'rollout' || event.kind === 'reload') events.push({ t: performance.now() - startedAt, event });
  });
  gateway.start();

  const server: Server = createServer((req, res) => {
    // What an auth layer would do: resolve the API key to a tier.
    const key = req.headers['x-api-key'];
    const tier = typeof key === 'string' && key.startsWith('pro-') ? 'pro' : 'free';
    const signal = clientAbortSignal(res);
    void gateway
      .handle(fromNodeRequest(req, { attributes: { tier } }), { signal })
      .then((response) => writeNodeResponse(res, response));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  console.log(`gateway listening on ${origin}\n`);

  const tty = process.stdout.isTTY === true;
  const samples = await drive({
    origin,
    ratePerSecond: RATE,
    durationMs: DURATION_MS,
    maxInFlight: 128,
    onTick: (elapsed, s) => {
      const recent = s.filter((x) => x.at > elapsed - 1_000);
      const ok = recent.filter((x) => x.status === 200).length;
      const limited = recent.filter((x) => x.status === 429).length;
      const v2 = recent.filter((x) => x.version === 'v2' && x.path.startsWith('/api/catalog')).length;
      const catalog = recent.filter((x) => x.status === 200 && x.path.startsWith('/api/catalog')).length;
      const share = catalog === 0 ? 0 : (100 * v2) / catalog;
      const line = `t=${(elapsed / 1000).toFixed(0).padStart(2)}s  sent ${String(s.length).padStart(5)}  last 1s: ${String(ok).padStart(4)} ok, ${String(limited).padStart(3)} limited, v2 share ${share.toFixed(0).padStart(3)}%`;
      if (tty) process.stdout.write(`\r${line}   `);
      else console.log(line);
    },
  });
  if (tty) process.stdout.write('\n');

  await gateway.stop();
  await new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  await stopAll(upstreams.map((u) => u.server));
  const ok = printReport({ samples, events, upstreams, specs: SPECS, prometheus: gateway.prometheus(), durationMs: DURATION_MS });
  process.exitCode = ok ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
