import { createFleet, createTestClock, runLoad, seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from './config.js';
import type { GatewayEvent } from './events.js';
import { createGateway } from './gateway.js';

/**
 * The gateway driven by the simulated fleet and the load driver, on the fake clock: four
 * endpoints, one answers 503 from 5 s to 15 s. With retries and outlier detection the clients
 * barely notice; without them a quarter of the requests in that window fail.
 */
async function scenario(resilient: boolean) {
  const clock = createTestClock();
  const rng = seededRng(42);
  const fleet = createFleet({
    clock,
    rng: rng.fork(),
    endpoints: ['a', 'b', 'c', 'd'].map((id) => ({ id, url: `http://${id}.sim:80`, latency: { kind: 'lognormal' as const, medianMs: 10, sigma: 0.3 } })),
  });
  fleet.schedule([
    { atMs: 5_000, endpointId: 'c', kind: 'outage', mode: 'status', status: 503 },
    { atMs: 15_000, endpointId: 'c', kind: 'recover' },
  ]);
  const config: GatewayConfig = {
    routes: [{ name: 'api', backends: [{ upstream: 'svc' }], ...(resilient ? { retry: { numRetries: 2 } } : {}) }],
    upstreams: {
      svc: {
        endpoints: fleet.endpoints.map((e) => ({ id: e.id, url: e.url })),
        balancer: { policy: 'round-robin' },
        ...(resilient ? { outlierDetection: { consecutive5xx: 3, intervalMs: 1_000, baseEjectionTimeMs: 5_000, maxEjectionPercent: 50 } } : {}),
      },
    },
  };
  const gateway = createGateway(config, { transport: fleet.transport, clock, rng: rng.fork() });
  const events: GatewayEvent[] = [];
  gateway.subscribe((e) => events.push(e));
  const report = await runLoad({
    clock,
    rng: rng.fork(),
    rate: 100,
    durationMs: 30_000,
    handler: async (request, ctx) => {
      const response = await gateway.handle(request, { signal: ctx.signal });
      return { status: response.status };
    },
    makeRequest: (i) => ({ method: 'GET', scheme: 'http' as const, authority: 'api', path: `/items/${i}`, query: '', headers: {}, attributes: {} }),
  });
  return { report, events, fleet };
}

describe('gateway over the simulated fleet', () => {
  it('retries and outlier detection hide an endpoint that fails for 10 s', async () => {
    const plain = await scenario(false);
    const resilient = await scenario(true);
    // Without protection: about a quarter of the requests during the 10 s outage fail (≈ 8 % overall).
    expect(plain.report.errorRate).toBeGreaterThan(0.05);
    // With retries on another endpoint, clients see (almost) nothing.
    expect(resilient.report.errorRate).toBeLessThan(0.002);
    const ejections = resilient.events.filter((e) => e.kind === 'health' && e.event.kind === 'ejected');
    expect(ejections.length).toBeGreaterThan(0);
    expect(ejections.every((e) => e.kind === 'health' && e.event.kind === 'ejected' && e.event.endpointId === 'c')).toBe(true);
    // Ejected, the failing endpoint stops being tried: far fewer tries reach it than a quarter of the outage traffic.
    const triesToC = resilient.events.filter((e) => e.kind === 'upstream' && e.event.kind === 'try' && e.event.endpoint.id === 'c').length;
    expect(triesToC).toBeLessThan(0.25 * 100 * 30);
    expect(resilient.report.latencyMs.p99).toBeLessThan(200);
  });
});
