/**
 * Simulation for docs/guides/releases.md: a canary that degrades halfway through its rollout,
 * on the simulated fleet of @switchyard/testing, the fake clock and a seeded Rng. It measures
 * the exposure: requests that hit the bad version before the rollback.
 */
import type { Outcome, SyRequest } from '@switchyard/core';
import { createFleet, createTestClock, runLoad, seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { describeRollout, type RolloutEvent } from './rollout.js';
import { createRolloutController } from './rollout-controller.js';
import { createSplitter } from './split.js';

const MIN = 60_000;

async function simulate(degradeAtMs: number | undefined, seed: number, durationMs: number) {
  const clock = createTestClock();
  const rng = seededRng(seed);
  const fleet = createFleet({
    clock,
    rng: rng.fork(),
    endpoints: [
      { id: 'v1', latency: { kind: 'lognormal', medianMs: 30, sigma: 0.4 }, errorRate: 0.002 },
      { id: 'v2', latency: { kind: 'lognormal', medianMs: 30, sigma: 0.4 }, errorRate: 0.002 },
    ],
  });
  if (degradeAtMs !== undefined) fleet.schedule([{ atMs: degradeAtMs, endpointId: 'v2', kind: 'error-rate', errorRate: 0.06 }]);
  const split = createSplitter({ name: 'checkout', backends: [{ name: 'v1', weight: 100 }, { name: 'v2', weight: 0 }], key: { attribute: 'userId' } });
  const events: RolloutEvent[] = [];
  const rollout = createRolloutController({
    clock,
    config: { name: 'checkout-v2', steps: [5, 25, 50, 100], bakeTimeMs: 5 * MIN, analysisIntervalMs: MIN, minRequests: 50, minLatencySamples: 100 },
    onWeight: (p) => split.setWeights({ v1: 100 - p, v2: p }),
    onEvent: (e) => events.push(e),
  });
  rollout.start();
  const exposure = { v2Requests: 0, v2Failures: 0, badRequests: 0, badFailures: 0, users: new Set<string>() };
  const splitRng = rng.fork();
  const report = await runLoad<SyRequest>({
    clock,
    rng: rng.fork(),
    rate: 40,
    durationMs,
    settleTurns: 8,
    makeRequest: (_i, r) => ({ method: 'GET', scheme: 'https', authority: 'shop', path: '/checkout', query: '', headers: {}, attributes: { userId: `user-${Math.floor(r.next() * 20_000)}` } }),
    handler: async (req, ctx) => {
      const d = split.decide(req, splitRng);
      if (d.kind !== 'backend') return { status: 500 };
      const endpoint = fleet.endpoint(d.backend);
      const start = clock.now();
      const result = await fleet.transport.send({ method: 'GET', path: req.path, headers: {} }, endpoint, { signal: ctx.signal });
      const at = clock.now();
      const outcome: Outcome =
        result.kind === 'response'
          ? { kind: 'response', endpoint, status: result.response.status, latencyMs: at - start, at }
          : { kind: 'error', endpoint, error: result.error, latencyMs: at - start, at };
      const failed = outcome.kind === 'error' || outcome.status >= 500;
      rollout.observe(d.backend === 'v2' ? 'canary' : 'baseline', outcome);
      if (d.backend === 'v2') {
        exposure.v2Requests++;
        if (failed) exposure.v2Failures++;
        if (degradeAtMs !== undefined && start >= degradeAtMs) {
          exposure.badRequests++;
          if (failed) exposure.badFailures++;
          exposure.users.add(String(req.attributes['userId']));
        }
      }
      return { status: outcome.kind === 'response' ? outcome.status : 502, endpointId: d.backend };
    },
  });
  rollout.stop();
  return { events, exposure, report, state: rollout.state() };
}

describe('rollout simulation on the fleet', () => {
  it('a canary that degrades halfway (7:30, at 25 %) is rolled back at the next window, with bounded exposure', async () => {
    const { events, exposure, report } = await simulate(7.5 * MIN, 7, 9 * MIN);
    const story = describeRollout(events);
    const rollback = events.find((e) => e.type === 'rolled-back');
    expect(rollback?.at).toBe(8 * MIN);
    expect(rollback?.fromPercent).toBe(25);
    // 30 s at 25 % of 40 rps ≈ 300 requests on the bad version, ≈ 6 % of them failing.
    expect(exposure.badRequests).toBeGreaterThan(200);
    expect(exposure.badRequests).toBeLessThan(400);
    expect(exposure.badFailures).toBeLessThan(40);
    expect(report.count).toBeGreaterThan(20_000);
    // Printed for the guide (docs/guides/releases.md).
    (globalThis as { console?: { log(line: string): void } }).console?.log(
      `${story}\n\nexposure: ${exposure.badRequests} requests from ${exposure.users.size} users hit the degraded v2 before the rollback; ${exposure.badFailures} of them failed; ` +
        `total requests ${report.count}, overall error rate ${(report.errorRate * 100).toFixed(2)} %`,
    );
  });

  it('the same canary without the degradation is promoted to 100 % at 15:00', async () => {
    const { events, state } = await simulate(undefined, 7, 15.5 * MIN);
    // 'held': a minute in which the 5 % step had not yet 100 latency samples (kept for the next check).
    expect(events.filter((e) => e.type !== 'held').map((e) => [e.type, e.at])).toEqual([
      ['started', 0],
      ['promoted', 5 * MIN],
      ['promoted', 10 * MIN],
      ['succeeded', 15 * MIN],
    ]);
    expect(state.weightPercent).toBe(100);
  });
});
