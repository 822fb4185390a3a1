/**
 * Fleet simulations over the fake clock, the mock transport and a seeded Rng, whose figures
 * docs/guides/health.md quotes. 5 endpoints behind round robin over the eligible set at
 * 50 requests/s; outcomes feed outlier detection, active checks run on the same transport.
 */
import { createAbortController, createEndpoint, type Endpoint, type Outcome } from '@switchyard/core';
import { createMockTransport, createTestClock, seededRng, type MockReply } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { createHealthCheckRunner, type HealthCheckConfig } from './active-health-check.js';
import { computeEligible } from './eligible.js';
import type { HealthEvent } from './events.js';
import type { OutlierDetectionConfig } from './outlier-detection-config.js';
import { createOutlierDetector } from './outlier-detection.js';

interface SimOptions {
  readonly outlier?: OutlierDetectionConfig;
  readonly healthCheck?: HealthCheckConfig;
  readonly panicThresholdPercent?: number;
  /** What endpoint `id` answers at `now`. */
  readonly reply: (id: string, now: number) => MockReply;
  readonly durationMs: number;
}

async function simulate(opts: SimOptions) {
  const clock = createTestClock();
  const rng = seededRng(42);
  const transport = createMockTransport({ clock }).respondWith((_req, e) => opts.reply(e.id, clock.now()));
  const endpoints: Endpoint[] = [0, 1, 2, 3, 4].map((i) => createEndpoint({ id: `e${i}`, url: `http://10.0.0.${i + 1}:80` }));
  const events: HealthEvent[] = [];
  const sink = (e: HealthEvent) => events.push(e);
  const od = opts.outlier === undefined ? undefined : createOutlierDetector({ endpoints, now: 0, rng, config: opts.outlier, sink });
  const hc =
    opts.healthCheck === undefined
      ? undefined
      : createHealthCheckRunner({
          endpoints,
          config: opts.healthCheck,
          clock,
          rng,
          transport,
          sink: (e) => {
            sink(e);
            if (e.kind === 'health-check') od?.onHealthCheck(e.endpointId, e.status === 'healthy', e.at);
          },
        });
  hc?.noteTraffic();
  hc?.start();
  const sent: { at: number; id: string; failed: boolean }[] = [];
  let rr = 0;
  const tick = (): void => {
    const now = clock.now();
    od?.eligible(now);
    const { endpoints: eligible } = computeEligible(endpoints, {
      ...(od ? { isEjected: (id: string) => od.isEjected(id) } : {}),
      ...(hc ? { activeStatus: (id: string) => hc.status(id) } : {}),
      ...(opts.panicThresholdPercent !== undefined ? { panicThresholdPercent: opts.panicThresholdPercent } : {}),
    });
    const endpoint = eligible[rr++ % Math.max(1, eligible.length)];
    if (endpoint !== undefined) {
      const at = now;
      void transport.send({ method: 'GET', path: '/', headers: {} }, endpoint, { signal: createAbortController().signal }).then((r) => {
        const outcome: Outcome =
          r.kind === 'response'
            ? { kind: 'response', endpoint, status: r.response.status, latencyMs: 0, at: clock.now() }
            : { kind: 'error', endpoint, error: r.error, latencyMs: 0, at: clock.now() };
        sent.push({ at, id: endpoint.id, failed: r.kind === 'error' || r.response.status >= 500 });
        od?.observe(outcome);
      });
    } else sent.push({ at: now, id: 'none', failed: true });
    if (now + 20 < opts.durationMs) clock.setTimer(20, tick);
  };
  clock.setTimer(0, tick);
  await clock.advanceAsync(opts.durationMs);
  hc?.stop();
  return { events, sent };
}

const badE0 = (id: string, now: number): MockReply => (id === 'e0' && now >= 10_000 && now < 70_000 ? { status: 503 } : { status: 200 });

function summarize(r: Awaited<ReturnType<typeof simulate>>) {
  const ej = r.events.filter((e) => e.kind === 'ejected' && e.endpointId === 'e0');
  const unej = r.events.filter((e) => e.kind === 'unejected' && e.endpointId === 'e0');
  const lastUneject = unej.at(-1)?.at;
  const lastEject = ej.at(-1)?.at ?? -1;
  const unhealthy = r.events.find((e) => e.kind === 'unhealthy' && e.endpointId === 'e0');
  const healthyAgain = r.events.filter((e) => e.kind === 'healthy' && e.endpointId === 'e0' && e.at >= 70_000)[0];
  const firstOut = Math.min(ej[0]?.at ?? Infinity, unhealthy?.at ?? Infinity);
  // Back in rotation: the last time e0 came back after its last removal (ejection or failed check).
  const backAt = Math.max(lastUneject !== undefined && lastUneject > lastEject ? lastUneject : -1, healthyAgain?.at ?? -1);
  return {
    timeToEjectMs: firstOut === Infinity ? null : firstOut - 10_000,
    failedRequests: r.sent.filter((s) => s.failed).length,
    ejections: ej.length,
    timeToReturnMs: backAt < 0 ? null : Math.round(backAt - 70_000),
  };
}

describe('simulation - one of 5 endpoints answers 503 from 10 s to 70 s (50 req/s, round robin)', () => {
  it('without outlier detection every request to it fails: 600 failures', async () => {
    expect(summarize(await simulate({ reply: badE0, durationMs: 150_000 }))).toEqual({ timeToEjectMs: null, failedRequests: 600, ejections: 0, timeToReturnMs: null });
  });

  it('Envoy defaults (10 % cap, post-ejection rule) eject nothing with 5 endpoints: still 600 failures', async () => {
    const r = await simulate({ reply: badE0, durationMs: 150_000, outlier: {} });
    expect(summarize(r)).toEqual({ timeToEjectMs: null, failedRequests: 600, ejections: 0, timeToReturnMs: null });
    expect(r.events.filter((e) => e.kind === 'ejection-overflow').length).toBeGreaterThan(0);
  });

  it('maxEjectionPercent 20: ejected after 5 failures, once more at 50 s, back 50 s after recovery', async () => {
    expect(summarize(await simulate({ reply: badE0, durationMs: 150_000, outlier: { maxEjectionPercent: 20 } }))).toEqual({
      timeToEjectMs: 400,
      failedRequests: 10,
      ejections: 2,
      timeToReturnMs: 50_000,
    });
  });

  it('alwaysEjectOneHost: same as a 20 % cap for a single bad endpoint', async () => {
    expect(summarize(await simulate({ reply: badE0, durationMs: 150_000, outlier: { alwaysEjectOneHost: true } }))).toEqual({
      timeToEjectMs: 400,
      failedRequests: 10,
      ejections: 2,
      timeToReturnMs: 50_000,
    });
  });

  it('plus active checks every 5 s: the passing checks bring it back within seconds of recovery', async () => {
    const r = await simulate({
      reply: badE0,
      durationMs: 150_000,
      outlier: { maxEjectionPercent: 20 },
      healthCheck: { intervalMs: 5_000, timeoutMs: 1_000, healthyThreshold: 2, unhealthyThreshold: 2, initialJitterMs: 5_000 },
    });
    expect(summarize(r)).toEqual({ timeToEjectMs: 400, failedRequests: 5, ejections: 1, timeToReturnMs: 6_198 });
  });
});

describe('simulation - undici #4839: all upstreams down, then back', () => {
  const allDown = (_id: string, now: number): MockReply => (now >= 10_000 && now < 40_000 ? { error: 'connect' } : { status: 200 });

  const shares = (r: Awaited<ReturnType<typeof simulate>>, from: number, to: number) => {
    const window = r.sent.filter((s) => s.at >= from && s.at < to);
    const counts = new Map<string, number>();
    for (const s of window) counts.set(s.id, (counts.get(s.id) ?? 0) + 1);
    return [0, 1, 2, 3, 4].map((i) => (counts.get(`e${i}`) ?? 0) / window.length);
  };

  it('outlier detection with a 100 % cap and panic: traffic spreads evenly again after recovery', async () => {
    const r = await simulate({ reply: allDown, durationMs: 200_000, outlier: { maxEjectionPercent: 100 } });
    expect(shares(r, 190_000, 200_000)).toEqual([0.2, 0.2, 0.2, 0.2, 0.2]);
    const lastUneject = Math.max(...r.events.filter((e) => e.kind === 'unejected').map((e) => e.at));
    expect(lastUneject).toBeLessThanOrEqual(130_000);
  });

  it('active checks: every endpoint is healthy again within one interval of recovery, and traffic spreads', async () => {
    const r = await simulate({
      reply: allDown,
      durationMs: 100_000,
      outlier: { maxEjectionPercent: 100 },
      healthCheck: { intervalMs: 5_000, timeoutMs: 1_000, healthyThreshold: 1, unhealthyThreshold: 2 },
    });
    const back = r.events.filter((e) => e.kind === 'healthy' && e.at >= 40_000).map((e) => e.at);
    expect(back).toHaveLength(5);
    expect(Math.max(...back)).toBeLessThanOrEqual(45_000);
    expect(shares(r, 50_000, 100_000)).toEqual([0.2, 0.2, 0.2, 0.2, 0.2]);
  });
});
