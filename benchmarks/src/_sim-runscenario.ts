/**
 * The `pnpm bench simulate` scenario as a what-if scenario for `@switchyard/simulate`'s
 * `runScenario` (the engine behind `switchyard simulate`): the same gateway config, fleet,
 * events and traffic shape as `_sim-scenario.ts` (the limiter keyed by client address instead
 * of a user header, the split unkeyed), so the two drivers can be compared. Used by
 * `benchmarks/src/simulate.ts`.
 */
import type { GatewayConfig } from '@switchyard/gateway';
import { runScenario, type Scenario } from '@switchyard/simulate';

/** What one run measured. */
export interface ScenarioRun {
  readonly requests: number;
  readonly p99Ms: number | null;
  readonly successRate: number | null;
  readonly wallMs: number;
  readonly cpuMs: number;
}

export async function runBenchScenario(options: { rate?: number; durationMs?: number } = {}): Promise<ScenarioRun> {
  const rate = options.rate ?? 1_000;
  const seconds = (options.durationMs ?? 600_000) / 1000;
  const config: GatewayConfig = {
    clientIdentity: { trustedProxies: [] },
    limits: { perClient: { key: 'client-ip', policy: { maxTokens: 20, tokensPerFill: 1, fillIntervalMs: 1_000 } } },
    routes: [
      {
        name: 'items',
        matches: [{ path: { type: 'Template', value: '/items/:id' } }],
        backends: [
          { name: 'v1', upstream: 'svc', subset: { version: 'v1' } },
          { name: 'v2', upstream: 'svc', subset: { version: 'v2' } },
        ],
        rollout: { name: 'svc-v2', canary: 'v2', baseline: 'v1', steps: [5, 10, 25, 50], analysisIntervalMs: 30_000, minRequests: 50, minLatencySamples: 50, maxP99IncreasePercent: 100 },
        limits: ['perClient'],
        timeoutMs: 1_000,
        perTryTimeoutMs: 300,
        retry: { numRetries: 2, retryOn: ['5xx', 'reset', 'connect-failure'], baseIntervalMs: 5, budget: { ratio: 0.2, minRetriesPerSecond: 10 } },
      },
      { name: 'health', matches: [{ path: { type: 'Exact', value: '/healthz' } }], backends: [{ upstream: 'svc', subset: { version: 'v1' } }], timeoutMs: 500 },
    ],
    upstreams: {
      svc: {
        endpoints: Array.from({ length: 8 }, (_, i) => ({ id: `e${i}`, url: `http://e${i}.sim:80`, metadata: { version: i < 6 ? 'v1' : 'v2' } })),
        balancer: { policy: 'least-request' },
        outlierDetection: { consecutive5xx: 5, intervalMs: 1_000, baseEjectionTimeMs: 10_000, maxEjectionPercent: 25 },
      },
    },
  };
  const scenario: Scenario = {
    name: 'bench-simulate',
    seed: 22,
    durationSeconds: seconds,
    fleet: { defaults: { latency: { kind: 'lognormal', medianMs: 12, sigma: 0.4 }, errorRate: 0.001, maxConcurrent: 64 } },
    events: [
      { kind: 'endpoint-failing', upstream: 'svc', endpoint: 'e2', mode: 'status', status: 503, atSeconds: seconds * 0.2, untilSeconds: seconds * 0.4 },
      { kind: 'endpoint-slow', upstream: 'svc', endpoint: 'e4', factor: 5, atSeconds: seconds * 0.5, untilSeconds: seconds * 0.8 },
    ],
    traffic: {
      ratePerSecond: rate,
      requests: [
        { weight: 49, path: '/items/1' },
        { weight: 1, path: '/healthz' },
      ],
      clients: [
        { name: 'users', weight: 19, addressCount: 2_000 },
        { name: 'hot', weight: 1, addressCount: 7 },
      ],
    },
  };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await runScenario(config, scenario);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const requests = report.total.requests;
  return { requests, p99Ms: report.total.latency.p99Ms, successRate: report.total.successRate, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}
