import { createEndpoint, type Endpoint, type LoadBalancer } from '@switchyard/core';
import { seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { leastRequest, peakEwma } from './index.js';

const a = createEndpoint({ id: 'a', url: 'http://a:80' });
const b = createEndpoint({ id: 'b', url: 'http://b:80' });

function busierShare<S>(lb: LoadBalancer<S>): number {
  const state = lb.create([a, b], 0);
  lb.begin(state, a, 0); // a is busier
  const rng = seededRng(11);
  let busier = 0;
  for (let i = 0; i < 8_000; i++) {
    const r = lb.pick(state, { eligible: [a, b], now: 0, rng });
    if (r.kind === 'picked' && r.endpoint.id === 'a') busier++;
  }
  return busier / 8_000;
}

describe('leastRequest', () => {
  it('with replacement (Envoy / gRPC): of two endpoints the busier is picked 25 % of the time', () => {
    expect(busierShare(leastRequest())).toBeCloseTo(0.25, 1);
  });

  it('distinct draws (Linkerd): the busier of two is never picked', () => {
    expect(busierShare(leastRequest({ sampling: 'distinct' }))).toBe(0);
  });

  it('full scan picks the endpoint with the fewest in flight', () => {
    const eps = Array.from({ length: 6 }, (_, i) => createEndpoint({ id: `e${i}`, url: `http://e${i}:80` }));
    const lb = leastRequest({ selectionMethod: 'full-scan' });
    const state = lb.create(eps, 0);
    eps.forEach((e, i) => {
      for (let k = 0; k < (i === 4 ? 0 : 2); k++) lb.begin(state, e, 0);
    });
    expect(lb.pick(state, { eligible: eps, now: 0, rng: seededRng(1) })).toMatchObject({ kind: 'picked', endpoint: { id: 'e4' } });
  });

  it('unequal weights: EDF on weight / (active + 1)^bias (weight 2 with 4 active ≈ 0.4 vs weight 1 idle)', () => {
    const heavy = createEndpoint({ id: 'h', url: 'http://h:80', weight: 2 });
    const light = createEndpoint({ id: 'l', url: 'http://l:80', weight: 1 });
    const lb = leastRequest();
    const state = lb.create([heavy, light], 0);
    for (let k = 0; k < 4; k++) lb.begin(state, heavy, 0);
    const rng = seededRng(2);
    let h = 0;
    for (let i = 0; i < 1_400; i++) {
      const r = lb.pick(state, { eligible: [heavy, light], now: 0, rng });
      if (r.kind === 'picked' && r.endpoint.id === 'h') h++;
    }
    // Rates 2/(4+1) = 0.4 vs 1/(0+1) = 1: heavy gets 0.4 / 1.4 ≈ 29 %.
    expect(h / 1_400).toBeCloseTo(0.4 / 1.4, 1);
  });

  it('keeps in-flight counts of endpoints that stay across an update', () => {
    const lb = leastRequest({ sampling: 'distinct' });
    let state = lb.create([a, b], 0);
    lb.begin(state, a, 0);
    const c = createEndpoint({ id: 'c', url: 'http://c:80' });
    state = lb.update(state, [a, c], 1);
    lb.begin(state, c, 1);
    lb.begin(state, c, 1);
    // a has 1 in flight (kept), c has 2: a is the less loaded.
    expect(lb.pick(state, { eligible: [a, c], now: 1, rng: seededRng(1) })).toMatchObject({ endpoint: { id: 'a' } });
  });
});

describe('peakEwma', () => {
  const observe = (lb: ReturnType<typeof peakEwma>, state: ReturnType<ReturnType<typeof peakEwma>['create']>, e: Endpoint, latencyMs: number, at: number): void => {
    lb.begin(state, e, at - latencyMs);
    lb.observe(state, { kind: 'response', endpoint: e, status: 200, latencyMs, at });
  };

  it('is peak-sensitive: a slower response replaces the estimate at once', () => {
    const lb = peakEwma();
    const state = lb.create([a, b], 0);
    observe(lb, state, a, 10, 1_000);
    observe(lb, state, a, 250, 1_001);
    expect(state.table.get('a')?.rtt).toBe(250);
  });

  it('decays toward 0 with exp(−Δt/τ) while idle, without mutating on read', () => {
    const lb = peakEwma({ decayTimeMs: 10_000 });
    const state = lb.create([a, b], 0);
    observe(lb, state, a, 100, 1_000);
    observe(lb, state, b, 40, 1_000);
    const rng = seededRng(1);
    // At t = 1 s, a costs 100 and b 40: b is picked.
    expect(lb.pick(state, { eligible: [a, b], now: 1_000, rng })).toMatchObject({ endpoint: { id: 'b' } });
    // b keeps two requests in flight (cost 3 × 40/e ≈ 44); after 10 s idle a costs 100/e ≈ 36.8.
    lb.begin(state, b, 1_000);
    lb.begin(state, b, 1_000);
    expect(lb.pick(state, { eligible: [a, b], now: 11_000, rng })).toMatchObject({ endpoint: { id: 'a' } });
    expect(state.table.get('a')?.rtt).toBe(100);
    observe(lb, state, a, 1, 11_000);
    expect(state.table.get('a')?.rtt).toBeCloseTo(100 * Math.exp(-1), 6);
  });

  it('multiplies by in-flight + 1 and starts new endpoints at defaultRttMs', () => {
    const lb = peakEwma({ defaultRttMs: 50 });
    const state = lb.create([a, b], 0);
    lb.begin(state, a, 0);
    // Same estimate (50), a has one in flight: b is cheaper.
    expect(lb.pick(state, { eligible: [a, b], now: 0, rng: seededRng(3) })).toMatchObject({ endpoint: { id: 'b' } });
  });

  it('failurePenaltyMs makes a fast-failing endpoint expensive', () => {
    const lb = peakEwma({ failurePenaltyMs: 5_000 });
    const state = lb.create([a, b], 0);
    lb.begin(state, a, 0);
    lb.observe(state, { kind: 'response', endpoint: a, status: 503, latencyMs: 1, at: 1 });
    expect(state.table.get('a')?.rtt).toBe(5_000);
  });

  it('records the elapsed time of a canceled or timed-out try (tower records on drop)', () => {
    const lb = peakEwma();
    const state = lb.create([a, b], 0);
    lb.begin(state, a, 0);
    lb.observe(state, { kind: 'error', endpoint: a, error: 'canceled', latencyMs: 900, at: 900 });
    expect(state.table.get('a')).toMatchObject({ rtt: 900, inFlight: 0 });
    lb.begin(state, b, 900);
    lb.observe(state, { kind: 'error', endpoint: b, error: 'timeout', latencyMs: 1_200, at: 2_100 });
    expect(state.table.get('b')).toMatchObject({ rtt: 1_200, inFlight: 0 });
  });

  it('takes no sample from a try that never reached the endpoint (invalid-request, local)', () => {
    const lb = peakEwma();
    const state = lb.create([a], 0);
    for (const error of ['invalid-request', 'local'] as const) {
      lb.begin(state, a, 0);
      lb.observe(state, { kind: 'error', endpoint: a, error, latencyMs: 900, at: 900 });
    }
    expect(state.table.get('a')).toMatchObject({ rtt: 30, inFlight: 0 });
  });
});
