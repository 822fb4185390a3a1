/**
 * The `pnpm bench simulate` scenario, shared by the suite and the profiling probe: a simulated
 * fleet behind the real gateway, on the test clock, driven by `runLoad`, through every policy a
 * production config has on the request path:
 *
 * - routing (two routes, path templates),
 * - a per-user token-bucket limiter (some users exceed it: 429s),
 * - a sticky split driven by a progressive rollout (v1 → v2 in steps, analysis on the clock),
 * - a least-request balancer over 8 endpoints, outlier detection (consecutive 5xx),
 * - a route timeout, a per-try timeout and retries with a budget,
 * - fleet events: one endpoint fails with 503s for 2 minutes, one turns 5x slower for 3.
 *
 *   node benchmarks/.probe-sim.mjs [requests] (see _sim-probe.ts) or `pnpm bench simulate`.
 */
import type { SyRequest } from '@switchyard/core';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { createFleet, createTestClock, runLoad, seededRng, type LoadRunReport } from '@switchyard/testing';

/** What one run measured. */
export interface SimRun {
  readonly requests: number;
  readonly simulatedSeconds: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly report: LoadRunReport;
  readonly rolloutPhase: string | undefined;
}

const USERS = 2_000;

/** Runs `durationMs` of simulated time at `rate` requests per second. */
export async function runSimScenario(options: { rate?: number; durationMs?: number; seed?: number; settleTurns?: number } = {}): Promise<SimRun> {
  const rate = options.rate ?? 1_000;
  const durationMs = options.durationMs ?? 600_000;
  const clock = createTestClock();
  const rng = seededRng(options.seed ?? 22);
  const fleet = createFleet({
    clock,
    rng: rng.fork(),
    endpoints: Array.from({ length: 8 }, (_, i) => ({
      id: `e${i}`,
      url: `http://e${i}.sim:80`,
      latency: { kind: 'lognormal' as const, medianMs: 12, sigma: 0.4 },
      errorRate: 0.001,
      maxConcurrent: 64,
      metadata: { version: i < 6 ? 'v1' : 'v2' },
    })),
  });
  const at = (fraction: number): number => Math.round(durationMs * fraction);
  fleet.schedule([
    { atMs: at(0.2), endpointId: 'e2', kind: 'outage', mode: 'status', status: 503 },
    { atMs: at(0.4), endpointId: 'e2', kind: 'recover' },
    { atMs: at(0.5), endpointId: 'e4', kind: 'slowdown', factor: 5 },
    { atMs: at(0.8), endpointId: 'e4', kind: 'recover' },
  ]);
  const config: GatewayConfig = {
    limits: { perUser: { key: { header: 'x-user' }, policy: { maxTokens: 20, tokensPerFill: 1, fillIntervalMs: 1_000 } } },
    routes: [
      {
        name: 'items',
        matches: [{ path: { type: 'Template', value: '/items/:id' } }],
        backends: [
          { name: 'v1', upstream: 'svc', subset: { version: 'v1' } },
          { name: 'v2', upstream: 'svc', subset: { version: 'v2' } },
        ],
        split: { key: { header: 'x-user' } },
        rollout: { name: 'svc-v2', canary: 'v2', baseline: 'v1', steps: [5, 10, 25, 50], analysisIntervalMs: 30_000, minRequests: 50, minLatencySamples: 50, maxP99IncreasePercent: 100 },
        limits: ['perUser'],
        timeoutMs: 1_000,
        perTryTimeoutMs: 300,
        retry: { numRetries: 2, retryOn: ['5xx', 'reset', 'connect-failure'], baseIntervalMs: 5, budget: { ratio: 0.2, minRetriesPerSecond: 10 } },
      },
      {
        name: 'health',
        matches: [{ path: { type: 'Exact', value: '/healthz' } }],
        backends: [{ upstream: 'svc', subset: { version: 'v1' } }],
        timeoutMs: 500,
      },
    ],
    upstreams: {
      svc: {
        endpoints: fleet.endpoints.map((e) => ({ id: e.id, url: e.url, metadata: { ...e.metadata } })),
        balancer: { policy: 'least-request' },
        outlierDetection: { consecutive5xx: 5, intervalMs: 1_000, baseEjectionTimeMs: 10_000, maxEjectionPercent: 25 },
      },
    },
  };
  const gateway = createGateway(config, { transport: fleet.transport, clock, rng: rng.fork() });
  gateway.start();
  const makeRequest = (i: number): SyRequest =>
    i % 50 === 0
      ? { method: 'GET', scheme: 'http', authority: 'api', path: '/healthz', query: '', headers: {}, attributes: {} }
      : { method: 'GET', scheme: 'http', authority: 'api', path: `/items/${i % 997}`, query: '', headers: { 'x-user': i % 20 === 1 ? `hot${i % 7}` : `u${(i * 7919) % USERS}` }, attributes: {} };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await runLoad({
    clock,
    rng: rng.fork(),
    rate,
    durationMs,
    timeoutMs: 2_000,
    ...(options.settleTurns !== undefined ? { settleTurns: options.settleTurns } : {}),
    makeRequest,
    handler: async (request, ctx) => {
      const response = await gateway.handle(request, { signal: ctx.signal });
      return { status: response.status };
    },
  });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const rolloutPhase = gateway.rollouts.status()[0]?.phase;
  await gateway.stop();
  return { requests: report.sent, simulatedSeconds: (report.endedAt - report.startedAt) / 1000, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, report, rolloutPhase };
}
