/**
 * Each shipped scenario's conclusions, asserted on its JSON report. To keep the suite fast some
 * run shorter or at a lower rate than the shipped files (said at each test); every time in the
 * scenario is scaled together, so the proportions (and the conclusions) are those of the file.
 */
import { runScenario, type SimulationReport } from '@switchyard/simulate';
import { describe, expect, it } from 'vitest';
import { config, scaleTime, scenario, shareWithin, sum, withRate } from './helpers.js';

const route = (r: SimulationReport, name: string): SimulationReport['routes'][number] => {
  const x = r.routes.find((y) => y.route === name);
  if (x === undefined) throw new Error(`no route ${name}`);
  return x;
};

describe('slow-endpoint: one replica of five turns 10× slower, under each balancer', () => {
  // Shipped: 60 s at 400/s, slow from 20 s to 40 s. Here: 30 s at 200/s, slow from 10 s to 20 s.
  const policies = ['round-robin', 'random', 'least-request', 'peak-ewma'] as const;
  const reports = new Map<string, SimulationReport>();
  const get = async (p: string): Promise<SimulationReport> => {
    let r = reports.get(p);
    if (r === undefined) {
      r = await runScenario(await config(`slow-endpoint/${p}.yaml`), withRate(scaleTime(await scenario('slow-endpoint/scenario.yaml'), 0.5), 200), { label: p });
      reports.set(p, r);
    }
    return r;
  };

  it('the latency-aware balancers keep the tail down: p99 peak-ewma < least-request < round robin, random', async () => {
    const p99 = new Map<string, number>();
    for (const p of policies) p99.set(p, route(await get(p), 'catalog').summary.latency.p99Ms as number);
    expect(p99.get('peak-ewma')).toBeLessThan(p99.get('least-request') as number);
    expect(p99.get('least-request')).toBeLessThan(p99.get('round-robin') as number);
    expect(p99.get('least-request')).toBeLessThan(p99.get('random') as number);
    // Round robin and random keep sending a fifth of the traffic to the slow replica for a
    // third of the run: about 7 % of requests take ~200 ms (ten times the 20 ms median).
    expect(p99.get('round-robin')).toBeGreaterThan(150);
    expect(p99.get('random')).toBeGreaterThan(150);
    expect(p99.get('peak-ewma')).toBeLessThan(100);
  });

  it('round robin keeps a fifth of the tries on the slow replica; peak-ewma moves them away', async () => {
    const share = (r: SimulationReport): number => {
      const s = r.series.endpoints.find((e) => e.endpoint === 'catalog-3');
      const upstream = r.series.endpoints.map((e) => sum(e.tries, 12, 20)).reduce((a, b) => a + b, 0);
      return sum(s?.tries ?? [], 12, 20) / upstream;
    };
    expect(share(await get('round-robin'))).toBeCloseTo(0.2, 2);
    expect(share(await get('least-request'))).toBeLessThan(0.15);
    expect(share(await get('peak-ewma'))).toBeLessThan(0.08);
    for (const p of policies) expect(route(await get(p), 'catalog').summary.successRate).toBe(1);
  });
});

describe("linkerd-2016: Linkerd's round robin vs least loaded vs peak EWMA against one slow backend", () => {
  // Shipped (and the blog): 60 s at 1000/s, s01 at 2 s from 15 s to 45 s. Here: 20 s at 300/s,
  // s01 slow from 5 s to 15 s (the same half of the run).
  const run = async (p: string): Promise<SimulationReport> =>
    runScenario(await config(`linkerd-2016/${p}.yaml`), withRate(scaleTime(await scenario('linkerd-2016/scenario.yaml'), 1 / 3), 300), { label: p });

  it('with a 1 s timeout, success would be about 95 % (round robin), 99 % (least loaded) and 99.9 % (peak EWMA)', async () => {
    const rr = await run('round-robin');
    const ll = await run('least-request');
    const ewma = await run('peak-ewma');
    const within = (r: SimulationReport): number => shareWithin(r.cdfs.find((c) => c.version === null), 1000);
    // Round robin: 1/11 of the requests for half the run = 4.5 % slow.
    expect(within(rr)).toBeGreaterThanOrEqual(0.94);
    expect(within(rr)).toBeLessThanOrEqual(0.96);
    expect(within(ll)).toBeGreaterThanOrEqual(0.985);
    expect(within(ll)).toBeLessThan(0.998);
    expect(within(ewma)).toBeGreaterThanOrEqual(0.997);
    expect(within(ewma)).toBeGreaterThan(within(ll));
    // Where each turns slow: round robin above p95, least loaded above p99, peak EWMA later still.
    const lat = (r: SimulationReport): SimulationReport['total']['latency'] => route(r, 'api').summary.latency;
    expect(lat(rr).p90Ms).toBeLessThan(200);
    expect(lat(rr).p99Ms).toBeGreaterThan(1500);
    expect(lat(ll).p99Ms).toBeLessThan(200);
    expect(lat(ll).p999Ms).toBeGreaterThan(1500);
    expect(lat(ewma).p99Ms).toBeLessThan(200);
    expect(lat(ewma).meanMs).toBeLessThan(lat(ll).meanMs as number);
  });
});

describe('failing-canary: v2 regresses at 40 s during its progressive rollout', () => {
  // The shipped file as it is: 90 s at 100/s.
  it('is promoted while healthy, then rolled back to 0 % with the analysis as the reason', async () => {
    const r = await runScenario(await config('failing-canary/gateway.yaml'), await scenario('failing-canary/scenario.yaml'));
    const ro = r.rollouts[0];
    expect(ro).toMatchObject({ route: 'checkout', name: 'checkout-v2', canary: 'canary', baseline: 'stable', finalPhase: 'rolled-back', finalWeightPercent: 0 });
    const steps = ro?.steps ?? [];
    const before = steps.filter((s) => s.atSeconds <= 40);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((s) => s.type === 'promoted')).toBe(true);
    const rollback = steps.find((s) => s.type === 'rolled-back');
    expect(rollback?.atSeconds).toBeGreaterThan(40);
    expect(rollback?.atSeconds).toBeLessThanOrEqual(75); // two failed checks, 15 s apart
    expect(rollback?.fromPercent).toBeGreaterThan(0);
    expect(rollback?.phase).toBe('rolled-back');
    expect(rollback?.reason).toMatch(/failed 2 check/);
    // The canary's error rate and latency, per version.
    const v = route(r, 'checkout').versions;
    const canary = v.find((x) => x.version === 'canary');
    const stable = v.find((x) => x.version === 'stable');
    expect(canary?.summary.successRate).toBeLessThan(stable?.summary.successRate as number);
    expect(canary?.summary.latency.p99Ms).toBeGreaterThan(stable?.summary.latency.p99Ms as number);
    // After the rollback no request reaches v2 (windows from the rollback on).
    const share = r.series.versions.find((s) => s.version === 'canary')?.sharePercent ?? [];
    const from = Math.ceil((rollback?.atSeconds as number) + 1);
    expect(sum(share, from, 90)).toBe(0);
    expect(r.series.rollouts[0]?.weightPercent[89]).toBe(0);
  });
});

describe('tiered-limits: a 4× traffic spike against per-key limits in two tiers', () => {
  // Shipped: 60 s, spike from 20 s to 40 s. Here: 30 s, spike from 10 s to 20 s (same rates).
  it('only free keys are refused, and only during the spike', async () => {
    const r = await runScenario(await config('tiered-limits/gateway.yaml'), scaleTime(await scenario('tiered-limits/scenario.yaml'), 0.5));
    expect(r.limits).toHaveLength(1);
    const l = r.limits[0];
    expect(l?.rule).toBe('perKey');
    expect(Object.keys(l?.byTier ?? {})).toEqual(['free']);
    expect(Object.keys(l?.byClient ?? {})).toEqual(['free-users']);
    // Free keys get 10/s and are sent 30/s during the spike: about two thirds refused.
    const spikeFree = r.series.limits.find((s) => s.tier === 'free')?.limited ?? [];
    expect(sum(spikeFree, 0, 10)).toBe(0);
    expect(sum(spikeFree, 12, 30)).toBeGreaterThan(0);
    // The buckets were empty when the spike ended; at the base rate they gain 2.5 tokens/s, so
    // a few requests are refused for a few seconds more, then none.
    expect(sum(spikeFree, 20, 25)).toBeLessThan(50);
    expect(sum(spikeFree, 25, 30)).toBe(0);
    const offered = sum(r.series.offeredRatePerSecond, 12, 20);
    expect(sum(spikeFree, 12, 20) / offered).toBeGreaterThan(0.4);
    expect(sum(spikeFree, 12, 20) / offered).toBeLessThan(0.6);
    expect(route(r, 'public-api').summary.rateLimited).toBe(l?.limited);
  });
});

describe('zone-outage: eu-west-1a goes away; locality failover to eu-west-1b', () => {
  // Shipped: 60 s, outage from 20 s to 40 s. Here: 30 s, outage from 10 s to 20 s.
  it('keeps serving from the other zone, ejects the dead endpoints, and comes back', async () => {
    const r = await runScenario(await config('zone-outage/gateway.yaml'), scaleTime(await scenario('zone-outage/scenario.yaml'), 0.5));
    const zoneShare = (zone: string, from: number, to: number): number => {
      const ids = new Set(r.endpoints.filter((e) => e.zone === zone).map((e) => e.endpoint));
      const all = r.series.endpoints.reduce((a, e) => a + sum(e.tries, from, to), 0);
      return r.series.endpoints.filter((e) => ids.has(e.endpoint)).reduce((a, e) => a + sum(e.tries, from, to), 0) / all;
    };
    // Same-zone first while healthy.
    expect(zoneShare('eu-west-1a', 0, 10)).toBe(1);
    // During the outage everything goes to eu-west-1b (after a second of ejections).
    expect(zoneShare('eu-west-1b', 11, 20)).toBe(1);
    // The three endpoints of the dead zone are ejected within a second of the outage.
    const first = r.ejections.filter((e) => e.fromSeconds >= 10 && e.fromSeconds < 11);
    expect(first.map((e) => e.endpoint).sort()).toEqual(['orders-a1', 'orders-a2', 'orders-a3']);
    // Retries on connect failures hide most of it: success stays above 99.5 %.
    const orders = route(r, 'orders');
    expect(orders.summary.successRate).toBeGreaterThan(0.995);
    expect(orders.retries.retries).toBeGreaterThan(0);
    // Back in its own zone once the ejections end after the outage.
    expect(zoneShare('eu-west-1a', 27, 30)).toBe(1);
  });
});
