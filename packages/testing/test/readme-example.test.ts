// The complete example from README.md, kept here so that it keeps running.
import { randomInt, type LoadBalancer } from '@switchyard/core';
import { createBalancerHandler, createFleet, createTestClock, runLoad, seededRng } from '@switchyard/testing';
import { expect, it } from 'vitest';

// A policy under test: pick two at random, keep the one with fewer requests in flight (P2C).
const leastRequest: LoadBalancer<Map<string, number>> = {
  name: 'least-request',
  create: () => new Map(),
  update: (s) => s,
  pick(s, { eligible, rng }) {
    if (eligible.length === 0) return { kind: 'empty', reason: 'no-eligible-endpoints' };
    const a = eligible[randomInt(rng, eligible.length)]!;
    const b = eligible[randomInt(rng, eligible.length)]!;
    return { kind: 'picked', endpoint: (s.get(a.id) ?? 0) <= (s.get(b.id) ?? 0) ? a : b };
  },
  begin: (s, e) => void s.set(e.id, (s.get(e.id) ?? 0) + 1),
  observe: (s, o) => void s.set(o.endpoint.id, (s.get(o.endpoint.id) ?? 0) - 1),
};

it('least-request sends less traffic to an endpoint that slows down', async () => {
  const clock = createTestClock();
  const rng = seededRng(42);
  const fleet = createFleet({
    clock,
    rng: rng.fork(),
    endpoints: [
      { id: 'a', latency: { kind: 'lognormal', medianMs: 10, sigma: 0.3 }, maxConcurrent: 20 },
      { id: 'b', latency: { kind: 'lognormal', medianMs: 10, sigma: 0.3 }, maxConcurrent: 20 },
      { id: 'c', latency: { kind: 'lognormal', medianMs: 10, sigma: 0.3 }, maxConcurrent: 20 },
    ],
  });
  // At t = 2 s, c becomes 20× slower; at t = 6 s it recovers.
  fleet.schedule([
    { atMs: 2_000, endpointId: 'c', kind: 'slowdown', factor: 20 },
    { atMs: 6_000, endpointId: 'c', kind: 'recover' },
  ]);

  const handler = createBalancerHandler({ balancer: leastRequest, endpoints: fleet.endpoints, transport: fleet.transport, clock, rng });
  const report = await runLoad({ clock, rng, handler, rate: 500, durationMs: 10_000, timeoutMs: 1_000 });

  expect(report.errorRate).toBe(0);
  expect(report.latencyMs.p50).toBeLessThan(15); // most requests never see the slowdown
  expect(report.byEndpoint['c']!.latencyMs.p99).toBeGreaterThan(200); // c's tail does
  expect(report.byEndpoint['c']!.count).toBeLessThan(report.byEndpoint['a']!.count); // P2C sent c less
});
