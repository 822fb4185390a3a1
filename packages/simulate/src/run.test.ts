import { isSwitchyardError, type ConfigIssue } from '@switchyard/core';
import type { GatewayConfig } from '@switchyard/gateway';
import { describe, expect, it } from 'vitest';
import { compareScenario, runScenario } from './run.js';
import type { Scenario } from './scenario.js';
import type { SimulationReport } from './report.js';

const config = (policy: 'round-robin' | 'peak-ewma' = 'round-robin'): GatewayConfig => ({
  routes: [
    { name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }], retry: { numRetries: 1, retryOn: ['5xx'] } },
    { name: 'static', matches: [{ path: { type: 'PathPrefix', value: '/static' } }], backends: [{ upstream: 'static' }] },
  ],
  upstreams: {
    api: {
      balancer: { policy },
      endpoints: [
        { id: 'a1', url: 'http://a1.test' },
        { id: 'a2', url: 'http://a2.test' },
        { id: 'a3', url: 'http://a3.test' },
      ],
    },
    static: { endpoints: [{ id: 's1', url: 'http://s1.test' }] },
  },
});

const scenario: Scenario = {
  name: 'unit',
  seed: 42,
  durationSeconds: 6,
  windowMs: 500,
  fleet: {
    defaults: { latency: { kind: 'lognormal', medianMs: 10, sigma: 0.3 } },
    // Zones for zone-outage events (a config's locality.zone serves too).
    upstreams: { api: { endpoints: { a1: { zone: 'z1' }, a2: { zone: 'z1' }, a3: { latency: { kind: 'fixed', ms: 30 }, zone: 'z2' } } } },
  },
  events: [
    { kind: 'endpoint-failing', upstream: 'api', endpoint: 'a1', atSeconds: 2, untilSeconds: 4, errorRate: 0.5 },
    { kind: 'traffic-rate', factor: 2, atSeconds: 4 },
  ],
  traffic: {
    ratePerSecond: 100,
    requests: [
      { weight: 3, path: '/api/items' },
      { weight: 1, path: '/static/logo.png' },
      { weight: 0.1, path: '/nowhere' },
    ],
  },
};

/** Every value in the report is JSON: no undefined, NaN or Infinity anywhere. */
function assertPlainJson(x: unknown, path = 'report'): void {
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return;
  if (typeof x === 'number') {
    expect(Number.isFinite(x), `${path} is ${x}`).toBe(true);
    return;
  }
  expect(x, path).toBeTypeOf('object');
  if (Array.isArray(x)) x.forEach((v, i) => assertPlainJson(v, `${path}[${i}]`));
  else for (const [k, v] of Object.entries(x as object)) assertPlainJson(v, `${path}.${k}`);
}

describe('runScenario', () => {
  it('is deterministic: the same seed gives the same report, byte for byte', async () => {
    const a = JSON.stringify(await runScenario(config(), scenario));
    const b = JSON.stringify(await runScenario(config(), scenario));
    expect(a).toBe(b);
    const c = JSON.stringify(await runScenario(config(), scenario, { seed: 43 }));
    expect(c).not.toBe(a);
  });

  it('reports plain JSON with column series of one length per window', async () => {
    const r = await runScenario(config(), scenario);
    assertPlainJson(r);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    const n = r.series.timeSeconds.length;
    expect(n).toBeGreaterThanOrEqual(12); // 6 s in 500 ms windows, plus the drain
    expect(r.series.timeSeconds.slice(0, 3)).toEqual([0, 0.5, 1]);
    for (const s of [...r.series.routes, ...r.series.versions]) for (const col of [s.requests, s.p50Ms, s.p90Ms, s.p99Ms, s.successRate]) expect(col).toHaveLength(n);
    for (const s of r.series.endpoints) for (const col of [s.tries, s.sharePercent, s.ejected]) expect(col).toHaveLength(n);
    expect(r.series.offeredRatePerSecond).toHaveLength(n);
    // Every request of every route is counted once, in the totals and in the windows.
    expect(r.routes.reduce((a, x) => a + x.summary.requests, 0)).toBe(r.total.requests);
    expect(r.series.routes.reduce((a, x) => a + x.requests.reduce((p, q) => p + q, 0), 0)).toBe(r.total.requests);
    expect(r.total.requests).toBe(r.scenario.sent);
  });

  it('routes the traffic mix and reports requests no route matched', async () => {
    const r = await runScenario(config(), scenario);
    expect(r.routes.map((x) => x.route)).toEqual(['(no route)', 'api', 'static']);
    const api = r.routes.find((x) => x.route === 'api') as SimulationReport['routes'][number];
    const stat = r.routes.find((x) => x.route === 'static') as SimulationReport['routes'][number];
    expect(api.summary.requests / stat.summary.requests).toBeGreaterThan(2.3);
    expect(api.summary.requests / stat.summary.requests).toBeLessThan(3.8);
    expect(r.routes[0]?.summary.statusCounts).toEqual({ '404': r.routes[0]?.summary.requests });
    expect(api.versions.map((v) => [v.version, v.sharePercent])).toEqual([['api', 100]]);
  });

  it('applies scheduled events: errors on one endpoint for a while (retried), then double the traffic', async () => {
    const r = await runScenario(config(), scenario);
    const a1 = r.endpoints.find((e) => e.endpoint === 'a1');
    const a2 = r.endpoints.find((e) => e.endpoint === 'a2');
    // Half of a1's answers from 2 s to 4 s (a third of the api traffic for a third of the run): about 1/18 of its tries.
    expect(a1?.serverErrors).toBeGreaterThan(5);
    expect(a2?.serverErrors).toBe(0);
    const api = r.routes.find((x) => x.route === 'api');
    // Each 500 is retried once (retryOn 5xx) on another endpoint: the clients see (almost) none.
    expect(api?.retries.retries).toBe(a1?.serverErrors);
    expect(api?.summary.successRate).toBeGreaterThan(0.995);
    // Offered rate: about 100/s before 4 s, 200/s after.
    const offered = r.series.offeredRatePerSecond;
    const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(offered.slice(0, 8))).toBeGreaterThan(80);
    expect(mean(offered.slice(0, 8))).toBeLessThan(120);
    expect(mean(offered.slice(8, 12))).toBeGreaterThan(170);
    expect(mean(offered.slice(8, 12))).toBeLessThan(230);
    expect(r.events.map((e) => [e.kind, e.atSeconds, e.untilSeconds])).toEqual([
      ['endpoint-failing', 2, 4],
      ['traffic-rate', 4, null],
    ]);
  });

  it('checks the scenario against the config and reports every mismatch by path', async () => {
    const bad: Scenario = {
      ...scenario,
      fleet: { upstreams: { nope: {}, api: { endpoints: { zz: {} } } } },
      events: [
        { kind: 'endpoint-slow', upstream: 'api', endpoint: 'a9', factor: 2, atSeconds: 1 },
        { kind: 'zone-outage', zone: 'z9', atSeconds: 1 },
        { kind: 'version-regression', version: 'v7', errorRate: 1, atSeconds: 1 },
      ],
    };
    let issues: readonly ConfigIssue[] = [];
    try {
      await runScenario(config(), bad);
    } catch (e) {
      expect(isSwitchyardError(e)).toBe(true);
      issues = (e as { issues: readonly ConfigIssue[] }).issues;
    }
    expect(issues.map((i) => i.path)).toEqual(['fleet.upstreams.nope', 'fleet.upstreams.api.endpoints.zz', 'events[0].endpoint', 'events[1].zone', 'events[2].version']);
  });

  it('needs the samples of an empirical latency (files are read by the caller)', async () => {
    await expect(runScenario(config(), { ...scenario, events: [], fleet: { defaults: { latency: { kind: 'empirical', file: 'x.txt' } } } })).rejects.toThrow(/fleet.defaults.latency.file/);
    const r = await runScenario(config(), { ...scenario, durationSeconds: 2, events: [], fleet: { defaults: { latency: { kind: 'empirical', samplesMs: [5, 5, 5, 50] } } } });
    expect(r.routes.find((x) => x.route === 'static')?.summary.latency.p50Ms).toBe(5);
    expect(r.routes.find((x) => x.route === 'static')?.summary.latency.maxMs).toBe(50);
  });

  it('a zone outage takes every endpoint of the zone down, and they come back', async () => {
    const r = await runScenario(config(), {
      ...scenario,
      durationSeconds: 4,
      events: [{ kind: 'zone-outage', zone: 'z1', mode: 'status', status: 503, atSeconds: 1, untilSeconds: 2 }],
      traffic: { ratePerSecond: 100, requests: [{ path: '/api' }] },
    });
    for (const id of ['a1', 'a2']) expect(r.endpoints.find((e) => e.endpoint === id)?.summary.statusCounts['503'] ?? 0).toBeGreaterThan(0);
    expect(r.endpoints.find((e) => e.endpoint === 'a3')?.summary.statusCounts['503']).toBeUndefined();
    // From 2 s on, no more 503s.
    const sr = r.series.routes[0]?.successRate ?? [];
    expect(sr.slice(4, 8).every((x) => x === 1)).toBe(true);
  });
});

describe('compareScenario', () => {
  it('runs both configs on the same arrivals and lists the differences', async () => {
    const s: Scenario = { ...scenario, events: [], traffic: { ratePerSecond: 100, requests: [{ path: '/api' }] } };
    const cmp = await compareScenario(config('round-robin'), config('peak-ewma'), s, { labels: ['rr', 'ewma'] });
    expect(cmp.a.label).toBe('rr');
    expect(cmp.b.label).toBe('ewma');
    // Same arrivals: the same number of requests on both sides.
    expect(cmp.a.scenario.sent).toBe(cmp.b.scenario.sent);
    const d = cmp.differences.find((x) => x.path === 'routes[api].summary.latency.p50Ms');
    // a3 is three times slower than the others: Peak EWMA avoids it (P2C still draws it twice
    // in 1/9 of the picks), round robin does not.
    expect(d?.verdict).toBe('better');
    expect(d?.b).toBeLessThan(d?.a as number);
    const share = cmp.differences.find((x) => x.path === 'endpoints[api/a3].sharePercent');
    expect(share?.a).toBeCloseTo(100 / 3, 0);
    expect(share?.b).toBeLessThan(20);
    expect(cmp.differences.find((x) => x.path === 'total.requests')?.verdict).toBe('same');
  });
});

describe('runScenario - outside the fleet', () => {
  it('rollout with a webhook to a host the fleet does not simulate: no crash, steps in run time (regression: wall-time stamps)', async () => {
    const cfg: GatewayConfig = {
      routes: [
        {
          name: 'r',
          backends: [
            { name: 'stable', upstream: 'u', subset: { version: 'v1' }, weight: 100 },
            { name: 'canary', upstream: 'u', subset: { version: 'v2' }, weight: 0 },
          ],
          rollout: { name: 'ro', canary: 'canary', baseline: 'stable', steps: [50], analysisIntervalMs: 1000, minRequests: 5, minLatencySamples: 5, webhooks: [{ name: 'gate', type: 'confirm-promotion', url: 'http://gate.test/approve' }] },
        },
      ],
      upstreams: { u: { endpoints: [{ id: 'v1', url: 'http://v1.test', metadata: { version: 'v1' } }, { id: 'v2', url: 'http://v2.test', metadata: { version: 'v2' } }] } },
    };
    const r = await runScenario(cfg, { name: 'w', durationSeconds: 4, fleet: { defaults: { latency: 5 } }, traffic: { ratePerSecond: 50 } });
    expect(r.total.successRate).toBe(1);
    // The gate never answers yes: the rollout is never promoted.
    expect(r.rollouts[0]?.steps.some((s) => s.type === 'promoted' || s.type === 'succeeded')).toBe(false);
    expect(r.endpoints.map((e) => e.endpoint)).toEqual(['v1', 'v2']);
    // Rollouts with webhooks run on a driver that stamps its events with wall time: the report
    // uses the gateway's monotonic time, seconds since the start of the run.
    for (const s of r.rollouts[0]?.steps ?? []) expect(s.atSeconds).toBeLessThan(10);
  });
});
