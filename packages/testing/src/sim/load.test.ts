import { randomInt, type Endpoint, type LoadBalancer, isSwitchyardError } from '@switchyard/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTestClock, type TestClock } from '../test-clock.js';
import { seededRng } from '../seeded-rng.js';
import { createBalancerHandler } from './balancer-handler.js';
import { createFleet, type SimEndpointSpec } from './fleet.js';
import { percentile, runLoad, summarizeLatencies, type LoadResult } from './load.js';

// Two tiny policies written against the core contract, so these tests need no other package.
type Counts = { inFlight: Map<string, number> };
const random: LoadBalancer<Counts> = {
  name: 'random',
  create: () => ({ inFlight: new Map() }),
  update: (s) => s,
  pick: (_s, { eligible, rng }) =>
    eligible.length === 0 ? { kind: 'empty', reason: 'no-eligible-endpoints' } : { kind: 'picked', endpoint: eligible[randomInt(rng, eligible.length)] as Endpoint },
  begin: () => {},
  observe: () => {},
};
const leastRequestP2C: LoadBalancer<Counts> = {
  name: 'least-request',
  create: () => ({ inFlight: new Map() }),
  update: (s) => s,
  pick(s, { eligible, rng }) {
    if (eligible.length === 0) return { kind: 'empty', reason: 'no-eligible-endpoints' };
    const a = eligible[randomInt(rng, eligible.length)] as Endpoint;
    const b = eligible[randomInt(rng, eligible.length)] as Endpoint;
    return { kind: 'picked', endpoint: (s.inFlight.get(a.id) ?? 0) <= (s.inFlight.get(b.id) ?? 0) ? a : b };
  },
  begin: (s, e) => void s.inFlight.set(e.id, (s.inFlight.get(e.id) ?? 0) + 1),
  observe: (s, o) => void s.inFlight.set(o.endpoint.id, (s.inFlight.get(o.endpoint.id) ?? 0) - 1),
};

function world(endpoints: SimEndpointSpec[], seed = 1, balancer: LoadBalancer<Counts> = random) {
  const clock = createTestClock();
  const rng = seededRng(seed);
  const fleet = createFleet({ clock, rng: rng.fork(), endpoints });
  const handler = createBalancerHandler({ balancer, endpoints: fleet.endpoints, transport: fleet.transport, clock, rng: rng.fork() });
  return { clock, rng, fleet, handler };
}

describe('runLoad', () => {
  it('open loop at a constant rate sends rate × duration requests at exact instants', async () => {
    const clock = createTestClock();
    const seen: number[] = [];
    const report = await runLoad({
      clock,
      rng: seededRng(1),
      rate: 100,
      arrivals: 'constant',
      durationMs: 1000,
      handler: async () => {
        seen.push(clock.now());
        return { status: 200 };
      },
    });
    expect(report.sent).toBe(100);
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i * 10));
    expect(report).toMatchObject({ count: 100, errors: 0, errorRate: 0, incomplete: 0 });
  });

  it('open loop with Poisson arrivals sends about rate × duration requests', async () => {
    const { clock, rng, handler } = world([{ id: 'a', latency: 5 }]);
    const report = await runLoad({ clock, rng, handler, rate: 500, durationMs: 10_000 });
    expect(report.sent).toBeGreaterThan(4800);
    expect(report.sent).toBeLessThan(5200);
    // Float clock times: (t + 5) − t is 5 up to rounding.
    for (const p of ['p50', 'p99', 'p999'] as const) expect(report.latencyMs[p]).toBeCloseTo(5, 9);
    expect(report.throughputPerSecond).toBeGreaterThan(480);
  });

  it('measures latency on the clock, queueing included', async () => {
    // One server, 10 ms each, 4 requests at once: they finish at 10, 20, 30, 40.
    const { clock, rng, handler } = world([{ id: 'a', latency: 10, maxConcurrent: 1 }]);
    const report = await runLoad({ clock, rng, handler, clients: 4, requests: 4 });
    expect(report.latencyMs).toMatchObject({ min: 10, p50: 20, max: 40, mean: 25 });
    expect(report.endedAt - report.startedAt).toBe(40);
  });

  it('closed loop: each client sends its next request when the previous ends', async () => {
    const { clock, rng, handler } = world([{ id: 'a', latency: 10 }]);
    const report = await runLoad({ clock, rng, handler, clients: 4, requests: 100 });
    expect(report.sent).toBe(100);
    expect(report.endedAt).toBe(250);
    const thinking = world([{ id: 'a', latency: 10 }]);
    const r2 = await runLoad({ ...thinking, clients: 2, thinkTimeMs: 5, durationMs: 100 });
    // Each client: send at 0, 15, 30, …, 90 → 7 requests each.
    expect(r2.sent).toBe(14);
  });

  it('counts timeouts as 504 errors at timeoutMs and aborts the request', async () => {
    const { clock, rng, fleet, handler } = world([{ id: 'a', latency: 10 }]);
    fleet.apply({ atMs: 0, endpointId: 'a', kind: 'outage', mode: 'blackhole' });
    const report = await runLoad({ clock, rng, handler, rate: 10, arrivals: 'constant', requests: 5, timeoutMs: 300 });
    expect(report).toMatchObject({ count: 5, errors: 5, errorRate: 1, statusCounts: { 504: 5 }, errorKinds: { timeout: 5 } });
    expect(report.latencyMs.max).toBe(300);
    expect(fleet.stats('a').canceled).toBe(5);
  });

  it('reports requests that never end as incomplete instead of hanging', async () => {
    const { clock, rng, fleet, handler } = world([{ id: 'a', latency: 10 }]);
    fleet.apply({ atMs: 0, endpointId: 'a', kind: 'outage', mode: 'blackhole' });
    const report = await runLoad({ clock, rng, handler, rate: 10, requests: 3 });
    expect(report).toMatchObject({ sent: 3, count: 0, incomplete: 3 });
    expect(clock.pending()).toBe(0);
    const closed = await runLoad({ clock, rng, handler, clients: 2, durationMs: 1000 });
    expect(closed).toMatchObject({ sent: 2, count: 0, incomplete: 2 });
  });

  it('cuts stragglers after drainMs even while other timers keep re-arming', async () => {
    const { clock, rng, fleet, handler } = world([{ id: 'a', latency: 10 }]);
    fleet.apply({ atMs: 0, endpointId: 'a', kind: 'outage', mode: 'blackhole' });
    const tick = (): void => void clock.setTimer(1000, tick); // an active health checker, say
    tick();
    const report = await runLoad({ clock, rng, handler, rate: 10, arrivals: 'constant', requests: 1, drainMs: 5000 });
    expect(report).toMatchObject({ incomplete: 1, endedAt: 5000 });
  });

  it('breaks results down per endpoint and counts errors', async () => {
    const { clock, rng, handler } = world([
      { id: 'ok', latency: 5 },
      { id: 'bad', latency: 5, errorRate: 1 },
    ]);
    const report = await runLoad({ clock, rng, handler, rate: 1000, durationMs: 2000 });
    expect(Object.keys(report.byEndpoint)).toEqual(['bad', 'ok']);
    expect(report.byEndpoint['bad']?.errorRate).toBe(1);
    expect(report.byEndpoint['ok']?.errorRate).toBe(0);
    expect(report.errors).toBe(report.byEndpoint['bad']?.count);
    expect(report.count).toBe((report.byEndpoint['bad']?.count ?? 0) + (report.byEndpoint['ok']?.count ?? 0));
    expect(report.errorRate).toBeGreaterThan(0.45);
    expect(report.errorRate).toBeLessThan(0.55);
  });

  it('is deterministic for a seed', async () => {
    const run = async (seed: number) => {
      const w = world([{ id: 'a', latency: { kind: 'lognormal', medianMs: 10, sigma: 1 }, maxConcurrent: 3 }, { id: 'b', latency: { kind: 'normal', meanMs: 15, stdDevMs: 5 } }], seed);
      return runLoad({ ...w, rate: 200, durationMs: 2000, timeoutMs: 100 });
    };
    expect(await run(5)).toEqual(await run(5));
    expect((await run(5)).latencyMs).not.toEqual((await run(6)).latencyMs);
  });

  it('drives a balancer over a fleet: least-request P2C avoids the slow endpoint, random does not', async () => {
    const fleet: SimEndpointSpec[] = [
      { id: 'fast-1', latency: 10 },
      { id: 'fast-2', latency: 10 },
      { id: 'slow', latency: 200 },
    ];
    const r = await runLoad({ ...world(fleet, 11, random), rate: 200, durationMs: 5000 });
    const p2c = await runLoad({ ...world(fleet, 11, leastRequestP2C), rate: 200, durationMs: 5000 });
    expect(p2c.byEndpoint['slow']!.count).toBeLessThan(r.byEndpoint['slow']!.count / 2);
    expect(p2c.latencyMs.mean).toBeLessThan(r.latencyMs.mean);
  });

  it('answers 503 with the empty reason when the balancer finds nothing', async () => {
    const clock = createTestClock();
    const rng = seededRng(1);
    const fleet = createFleet({ clock, rng, endpoints: [{ id: 'a' }] });
    const handler = createBalancerHandler({ balancer: random, endpoints: fleet.endpoints, transport: fleet.transport, clock, rng, eligible: () => [] });
    const report = await runLoad({ clock, rng, handler, rate: 10, requests: 2 });
    expect(report).toMatchObject({ statusCounts: { 503: 2 }, errorKinds: { 'no-eligible-endpoints': 2 }, byEndpoint: {} });
  });

  it('rejects with the handler’s error: a throwing handler is a bug', async () => {
    const clock: TestClock = createTestClock();
    const boom = new Error('boom');
    await expect(runLoad({ clock, rng: seededRng(1), rate: 10, requests: 3, handler: () => Promise.reject(boom) })).rejects.toBe(boom);
  });

  it('refuses a closed loop that would spin at one instant (zero-time handler, no think time, no request cap)', async () => {
    const clock = createTestClock();
    const err = await runLoad({ clock, rng: seededRng(1), clients: 1, durationMs: 10, handler: async () => ({ status: 200 }) }).catch((e: unknown) => e);
    expect(isSwitchyardError(err) && err.code).toBe('SY_INVALID_ARGUMENT');
  });

  it('refuses contradictory options with SY_INVALID_ARGUMENT', async () => {
    const clock = createTestClock();
    const handler = async (): Promise<LoadResult> => ({ status: 200 });
    for (const bad of [{ rate: 1, clients: 1, requests: 1 }, { rate: 1 }, { clients: 0, requests: 1 }, { rate: -1, requests: 1 }]) {
      const err = await runLoad({ clock, rng: seededRng(1), handler, ...bad }).catch((e: unknown) => e);
      expect(isSwitchyardError(err) && err.code).toBe('SY_INVALID_ARGUMENT');
    }
  });
});

describe('percentile', () => {
  it('is the nearest-rank value: at least p% of samples are at or below it', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, min: 0, max: 1e6 }), { minLength: 1, maxLength: 200 }), fc.double({ min: 0.001, max: 100, noNaN: true }), (xs, p) => {
        const sorted = Float64Array.from(xs).sort();
        const v = percentile(sorted, p);
        const atOrBelow = xs.filter((x) => x <= v).length;
        const below = xs.filter((x) => x < v).length;
        expect(atOrBelow / xs.length).toBeGreaterThanOrEqual(p / 100 - 1e-9);
        expect(below / xs.length).toBeLessThan(p / 100 + 1e-12);
      }),
      { numRuns: 500 },
    );
  });

  it('summarizes 1..1000 as textbook nearest-rank percentiles', () => {
    const s = summarizeLatencies(Array.from({ length: 1000 }, (_, i) => 1000 - i));
    expect(s).toEqual({ min: 1, mean: 500.5, p50: 500, p90: 900, p99: 990, p999: 999, max: 1000 });
    expect(summarizeLatencies([]).p50).toBeNaN();
  });

  it('arrivalGapMs - drives an open loop with a custom arrival process (a rate that changes over time)', async () => {
    const clock = createTestClock();
    const rng = seededRng(3);
    const sentAt: number[] = [];
    const report = await runLoad({
      clock,
      rng,
      durationMs: 2_000,
      // 10/s for the first second, then 50/s.
      arrivalGapMs: (elapsedMs) => (elapsedMs < 1_000 ? 100 : 20),
      handler: async () => {
        sentAt.push(clock.now());
        return { status: 200 };
      },
    });
    expect(report.sent).toBe(sentAt.length);
    expect(sentAt.filter((t) => t < 1_000).length).toBe(9); // 100, 200, … 900
    expect(sentAt.filter((t) => t >= 1_000).length).toBe(50);
    await expect(runLoad({ clock, rng, durationMs: 1, rate: 1, arrivalGapMs: () => 1, handler: async () => ({ status: 200 }) })).rejects.toThrow(/exactly one/);
  });
});
