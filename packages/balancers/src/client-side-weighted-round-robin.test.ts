import { createEndpoint } from '@switchyard/core';
import { seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { clientSideWeightedRoundRobin, loadWeight, observeLoadReport } from './index.js';

const a = createEndpoint({ id: 'a', url: 'http://a:80' });
const b = createEndpoint({ id: 'b', url: 'http://b:80' });

function shareOfA(lb: ReturnType<typeof clientSideWeightedRoundRobin>, state: ReturnType<ReturnType<typeof clientSideWeightedRoundRobin>['create']>, now: number): number {
  const rng = seededRng(4);
  let n = 0;
  for (let i = 0; i < 3_000; i++) {
    const r = lb.pick(state, { eligible: [a, b], now, rng });
    if (r.kind === 'picked' && r.endpoint.id === 'a') n++;
  }
  return n / 3_000;
}

describe('clientSideWeightedRoundRobin', () => {
  it('loadWeight follows gRPC A58 (qps 100, eps 10, utilization 0.5 → ≈ 166.7; zero utilization ignored)', () => {
    expect(loadWeight({ qps: 100, eps: 10, utilization: 0.5 })).toBeCloseTo(166.67, 1);
    expect(loadWeight({ qps: 100, utilization: 0 })).toBe(0);
  });

  it('reports: weights apply after the blackout period and expire', () => {
    const lb = clientSideWeightedRoundRobin({ loadSource: 'reports', blackoutPeriodMs: 10_000, weightExpirationPeriodMs: 60_000 });
    const state = lb.create([a, b], 0);
    for (let t = 0; t <= 12_000; t += 1_000) {
      observeLoadReport(state, a, { qps: 300, utilization: 0.5 }, t);
      observeLoadReport(state, b, { qps: 100, utilization: 0.5 }, t);
    }
    expect(shareOfA(lb, state, 5_000)).toBeCloseTo(0.5, 1); // blackout: equal weights
    expect(shareOfA(lb, state, 15_000)).toBeCloseTo(0.75, 1); // 600 vs 200
    expect(shareOfA(lb, state, 80_000)).toBeCloseTo(0.5, 1); // expired (last report at 12 s)
  });

  it('latency: the faster endpoint earns the larger weight from observed outcomes', () => {
    const lb = clientSideWeightedRoundRobin({ blackoutPeriodMs: 2_000, weightUpdatePeriodMs: 1_000 });
    const state = lb.create([a, b], 0);
    const rng = seededRng(8);
    let picksA = 0;
    for (let t = 0; t < 20_000; t += 5) {
      const r = lb.pick(state, { eligible: [a, b], now: t, rng });
      if (r.kind !== 'picked') continue;
      if (t > 10_000 && r.endpoint.id === 'a') picksA++;
      lb.begin(state, r.endpoint, t);
      lb.observe(state, { kind: 'response', endpoint: r.endpoint, status: 200, latencyMs: r.endpoint.id === 'a' ? 10 : 40, at: t });
    }
    // Weights ∝ 1/latency: a gets 40/(40+10) = 80 %.
    expect(picksA / 2_000).toBeCloseTo(0.8, 1);
  });

  it('latency: a try canceled by a timeout still counts its elapsed time, so a slow endpoint loses weight', () => {
    // b answers nothing within the 100 ms timeout: every try is canceled after 100 ms. Before the
    // fix those outcomes were skipped, b kept no figures and got the mean weight (50 %).
    const lb = clientSideWeightedRoundRobin({ blackoutPeriodMs: 2_000, weightUpdatePeriodMs: 1_000 });
    const state = lb.create([a, b], 0);
    const rng = seededRng(8);
    let picksA = 0;
    for (let t = 0; t < 20_000; t += 5) {
      const r = lb.pick(state, { eligible: [a, b], now: t, rng });
      if (r.kind !== 'picked') continue;
      if (t > 10_000 && r.endpoint.id === 'a') picksA++;
      lb.begin(state, r.endpoint, t);
      if (r.endpoint.id === 'a') lb.observe(state, { kind: 'response', endpoint: a, status: 200, latencyMs: 10, at: t });
      else lb.observe(state, { kind: 'error', endpoint: b, error: 'canceled', latencyMs: 100, at: t });
    }
    expect(picksA / 2_000).toBeGreaterThan(0.85);
  });

  it('latency: tries that never reached the endpoint (invalid-request, local) are not figures', () => {
    const lb = clientSideWeightedRoundRobin({ blackoutPeriodMs: 0, weightUpdatePeriodMs: 1_000 });
    const state = lb.create([a, b], 0);
    lb.begin(state, a, 0);
    lb.observe(state, { kind: 'error', endpoint: a, error: 'local', latencyMs: 900, at: 0 });
    lb.begin(state, a, 0);
    lb.observe(state, { kind: 'error', endpoint: a, error: 'invalid-request', latencyMs: 900, at: 0 });
    expect(state.table.get('a')).toMatchObject({ inFlight: 0, windowCount: 0 });
  });
});
