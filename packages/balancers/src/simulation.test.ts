/**
 * One endpoint of ten becomes 10× slower for a while: how does each policy's client-side
 * latency and error rate (at a 250 ms client timeout) compare? Runs over `@switchyard/testing`'s
 * simulated fleet and open-loop load driver on the test clock; the table printed here is the
 * one in docs/guides/load-balancing.md.
 */
import { murmur3, type LoadBalancer, type SyRequest } from '@switchyard/core';
import { createBalancerHandler, createFleet, createTestClock, runLoad, seededRng, type LoadRunReport } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { clientSideWeightedRoundRobin, leastRequest, maglev, peakEwma, random, roundRobin } from './index.js';

const SLOW = 'e3';

async function simulate<S>(balancer: LoadBalancer<S>): Promise<LoadRunReport> {
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

/**
 * One endpoint of five turns slower than the route timeout (Peak EWMA under timeouts, #18):
 * every try it gets is canceled by the timeout. The balancer only keeps routing around it if
 * the canceled tries' elapsed time is a sample (tower records on drop). "Before" replays the old
 * behaviour, which ignored canceled tries: the slow endpoint's estimate then only decays, so it
 * looks cheaper and cheaper and attracts traffic exactly when timeouts are on.
 */
describe('simulation: an endpoint slower than the route timeout', () => {
  const TIMEOUT_MS = 100;

  async function share(balancer: LoadBalancer<unknown>): Promise<{ slowShare: number; errorRate: number }> {
    const clock = createTestClock();
    const rng = seededRng(99);
    const fleet = createFleet({
      clock,
      rng: rng.fork(),
      endpoints: Array.from({ length: 5 }, (_, i) => ({ id: `e${i}`, latency: { kind: 'lognormal' as const, medianMs: 10, sigma: 0.3 } })),
    });
    // e2 turns 50× slower (≈ 500 ms) at 2 s: every try it takes is canceled at 100 ms.
    fleet.schedule([{ atMs: 2_000, endpointId: 'e2', kind: 'slowdown', factor: 50 }]);
    const handler = createBalancerHandler({ balancer, endpoints: fleet.endpoints, transport: fleet.transport, clock, rng: rng.fork() });
    const before = fleet.stats('e2').received;
    const r = await runLoad({ clock, rng: rng.fork(), handler, rate: 500, durationMs: 20_000, timeoutMs: TIMEOUT_MS });
    const slow = fleet.stats('e2').received - before;
    const total = Object.values(fleet.allStats()).reduce((n, s) => n + s.received, 0);
    return { slowShare: slow / total, errorRate: r.errorRate };
  }

  /** The old observe: a canceled try released its in-flight count and was no sample. */
  const ignoringCanceled = <S>(lb: LoadBalancer<S>): LoadBalancer<S> => ({
    ...lb,
    observe: (state, o) => lb.observe(state, o.kind === 'error' && o.error === 'canceled' ? { ...o, error: 'local' } : o),
  });

  it('Peak EWMA keeps routing around it when canceled tries count (and did not when they were ignored)', async () => {
    const fixed = await share(peakEwma() as LoadBalancer<unknown>);
    const old = await share(ignoringCanceled(peakEwma()) as LoadBalancer<unknown>);
    const cswrr = await share(clientSideWeightedRoundRobin({ blackoutPeriodMs: 1_000 }) as LoadBalancer<unknown>);
    const cswrrOld = await share(ignoringCanceled(clientSideWeightedRoundRobin({ blackoutPeriodMs: 1_000 })) as LoadBalancer<unknown>);
    console.log(
      [
        '| policy | share of the slow endpoint | errors (timeouts) |',
        '|---|---:|---:|',
        `| peak-ewma, canceled tries ignored (before) | ${(100 * old.slowShare).toFixed(1)} % | ${(100 * old.errorRate).toFixed(2)} % |`,
        `| peak-ewma, canceled tries sampled (now) | ${(100 * fixed.slowShare).toFixed(1)} % | ${(100 * fixed.errorRate).toFixed(2)} % |`,
        `| client-side WRR, canceled tries ignored (before) | ${(100 * cswrrOld.slowShare).toFixed(1)} % | ${(100 * cswrrOld.errorRate).toFixed(2)} % |`,
        `| client-side WRR, canceled tries sampled (now) | ${(100 * cswrr.slowShare).toFixed(1)} % | ${(100 * cswrr.errorRate).toFixed(2)} % |`,
      ].join('\n'),
    );
    expect(fixed.slowShare).toBeLessThan(0.05);
    expect(old.slowShare).toBeGreaterThan(2 * fixed.slowShare);
    expect(cswrr.slowShare).toBeLessThan(cswrrOld.slowShare);
  });
});
