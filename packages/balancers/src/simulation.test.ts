/**
 * One endpoint of ten becomes 10× slower for a while: how does each policy's client-side
 * latency and error rate (at a 250 ms client timeout) compare? Runs over `@switchyard/testing`'s
 * simulated fleet and open-loop load driver on the test clock; the table printed here is the
 * one in docs/guides/load-balancing.md.
 */
import { murmur3, type LoadBalancer, type SyRequest } from '@switchyard/core';
import { createBalancerHandler, createFleet, createTestClock, runLoad, seededRng, type LoadReport } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { clientSideWeightedRoundRobin, leastRequest, maglev, peakEwma, random, roundRobin } from './index.js';

const SLOW = 'e3';

async function simulate<S>(balancer: LoadBalancer<S>): Promise<LoadReport> {
  const clock = createTestClock();
  const rng = seededRng(2024);
  const fleet = createFleet({
    clock,
    rng: rng.fork(),
    endpoints: Array.from({ length: 10 }, (_, i) => ({ id: `e${i}`, latency: { kind: 'lognormal' as const, medianMs: 10, sigma: 0.35 }, maxConcurrent: 16 })),
  });
  // e3 becomes 10× slower from t = 5 s to t = 15 s of a 20 s run.
  fleet.schedule([
    { atMs: 5_000, endpointId: SLOW, kind: 'slowdown', factor: 10 },
    { atMs: 15_000, endpointId: SLOW, kind: 'recover' },
  ]);
  const handler = createBalancerHandler({
    balancer,
    endpoints: fleet.endpoints,
    transport: fleet.transport,
    clock,
    rng: rng.fork(),
    hash: (req: SyRequest) => murmur3(req.headers['x-user'] ?? ''),
  });
  return runLoad({
    clock,
    rng: rng.fork(),
    handler,
    rate: 1_500,
    durationMs: 20_000,
    timeoutMs: 250,
    makeRequest: (i) => ({ method: 'GET', scheme: 'http' as const, authority: 'sim.test', path: '/', query: '', headers: { 'x-user': `u${i % 997}` }, attributes: {} }),
  });
}

const policies: ReadonlyArray<readonly [string, () => LoadBalancer<unknown>]> = [
  ['round-robin', () => roundRobin() as LoadBalancer<unknown>],
  ['random', () => random() as LoadBalancer<unknown>],
  ['maglev (hash on x-user)', () => maglev() as LoadBalancer<unknown>],
  ['least-request (P2C)', () => leastRequest() as LoadBalancer<unknown>],
  ['client-side WRR (latency, 1 s blackout)', () => clientSideWeightedRoundRobin({ blackoutPeriodMs: 1_000 }) as LoadBalancer<unknown>],
  ['peak-ewma (P2C)', () => peakEwma() as LoadBalancer<unknown>],
];

describe('simulation: one endpoint of ten becomes 10× slower', () => {
  it('latency-aware policies beat round robin at p99', async () => {
    const rows: string[] = ['| policy | p50 ms | p99 ms | p99.9 ms | errors (timeout 250 ms) | share of slow endpoint |', '|---|---:|---:|---:|---:|---:|'];
    const p99: Record<string, number> = {};
    for (const [name, make] of policies) {
      const r = await simulate(make());
      p99[name] = r.latencyMs.p99;
      const slowShare = (r.byEndpoint[SLOW]?.count ?? 0) / r.count;
      rows.push(`| ${name} | ${r.latencyMs.p50.toFixed(1)} | ${r.latencyMs.p99.toFixed(1)} | ${r.latencyMs.p999.toFixed(1)} | ${(100 * r.errorRate).toFixed(2)} % | ${(100 * slowShare).toFixed(1)} % |`);
    }
    console.log(rows.join('\n'));
    const rr = p99['round-robin'] as number;
    expect(p99['peak-ewma (P2C)']).toBeLessThan(rr / 2);
    expect(p99['least-request (P2C)']).toBeLessThan(rr / 2);
  });
});
