import { createEndpoint, type Endpoint } from '@switchyard/core';
import { seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { computePriorityLoad, localityEffectiveWeight, roundRobin, withLocality, withPriority } from './index.js';

const level = (healthyPercent: number) => ({ healthy: healthyPercent, total: 100 });

describe('computePriorityLoad (Envoy integer arithmetic)', () => {
  it.each([
    [100, 100],
    [72, 100],
    [71, 99],
    [50, 70],
    [25, 35],
    [0, 0],
  ])('P0 %i %% healthy with P1 fully healthy → P0 gets %i %%', (p0, expected) => {
    const { load, panic } = computePriorityLoad([level(p0), level(100)]);
    expect(load).toEqual([expected, 100 - expected]);
    expect(panic).toEqual([false, false]);
  });

  it('three levels {25, 25, 100} % healthy → {35, 35, 30}', () => {
    expect(computePriorityLoad([level(25), level(25), level(100)]).load).toEqual([35, 35, 30]);
  });

  it('three levels {25, 25, 20} % healthy, panic off → {37, 35, 28}: the rounding rest goes to P0 as in load_balancer_impl.cc (priority.rst shows {36, 36, 28})', () => {
    expect(computePriorityLoad([level(25), level(25), level(20)], 140, 0).load).toEqual([37, 35, 28]);
  });

  it('three levels {25, 25, 20} % healthy, default panic 50 % → every level panics → load by host count', () => {
    expect(computePriorityLoad([level(25), level(25), level(20)])).toEqual({ load: [34, 33, 33], panic: [true, true, true] });
  });

  // semantics.md §1.1 panic table. Rows agree with the code except where noted.
  it.each([
    [72, 72, [100, 0], [false, false]],
    [71, 71, [99, 1], [false, false]],
    [50, 60, [70, 30], [false, false]], // the table's 50/50 contradicts the priority formula (P0 50 % → 70 %)
    [25, 100, [35, 65], [false, false]], // the table's 25/75 likewise (P0 25 % → 35 %)
    [25, 25, [50, 50], [true, true]],
    [5, 65, [8, 92], [true, false]], // docs show 7/93; the code gives the rounding rest (1) to P0
  ] as const)('panic table: P0 %i %%, P1 %i %% healthy', (p0, p1, load, panic) => {
    const r = computePriorityLoad([level(p0), level(p1)]);
    expect(r.load).toEqual(load);
    expect(r.panic).toEqual(panic);
  });

  it('all hosts unhealthy: threshold 0 → 100 % to P0 without panic; threshold > 0 → total panic by host count', () => {
    expect(computePriorityLoad([{ healthy: 0, total: 4 }, { healthy: 0, total: 4 }], 140, 0)).toEqual({ load: [100, 0], panic: [false, false] });
    expect(computePriorityLoad([{ healthy: 0, total: 3 }, { healthy: 0, total: 1 }])).toEqual({ load: [75, 25], panic: [true, true] });
  });
});

describe('withPriority', () => {
  const eps = [
    ...Array.from({ length: 4 }, (_, i) => createEndpoint({ id: `p0-${i}`, url: `http://a${i}:80` })),
    ...Array.from({ length: 4 }, (_, i) => createEndpoint({ id: `p1-${i}`, url: `http://b${i}:80`, priority: 1 })),
  ];
  const share = (eligible: Endpoint[], threshold?: number): { p0: number; p1: number; ineligible: number } => {
    const lb = withPriority(roundRobin(), threshold === undefined ? {} : { healthyPanicThresholdPercent: threshold });
    const state = lb.create(eps, 0);
    const rng = seededRng(5);
    const ids = new Set(eligible.map((e) => e.id));
    let p0 = 0;
    let p1 = 0;
    let ineligible = 0;
    for (let i = 0; i < 10_000; i++) {
      const r = lb.pick(state, { eligible, now: 0, rng });
      if (r.kind !== 'picked') continue;
      if (r.endpoint.priority === 0) p0++;
      else p1++;
      if (!ids.has(r.endpoint.id)) ineligible++;
    }
    return { p0: p0 / 10_000, p1: p1 / 10_000, ineligible };
  };

  it('spills proportionally: P0 with 2 of 4 healthy keeps 70 % of traffic', () => {
    const s = share(eps.filter((e) => e.id !== 'p0-0' && e.id !== 'p0-1'));
    expect(s.p0).toBeCloseTo(0.7, 1);
    expect(s.ineligible).toBe(0);
  });

  it('panics: with 1 of 4 healthy everywhere, balances over all endpoints of each level', () => {
    const s = share(eps.filter((e) => e.id === 'p0-0' || e.id === 'p1-0'));
    expect(s.p0).toBeCloseTo(0.5, 1);
    expect(s.ineligible).toBeGreaterThan(5_000);
  });

  it('fails with empty instead of panicking when the threshold is 0', () => {
    const lb = withPriority(roundRobin(), { healthyPanicThresholdPercent: 0 });
    expect(lb.pick(lb.create(eps, 0), { eligible: [], now: 0, rng: seededRng(1) })).toEqual({ kind: 'empty', reason: 'no-eligible-endpoints' });
  });
});

describe('locality weighting', () => {
  it.each([
    [100, 33],
    [70, 33],
    [69, 32],
    [50, 26],
    [25, 15],
    [0, 0],
  ])('X (weight 1) %i %% healthy vs Y (weight 2) fully healthy → X gets %i %%', (healthy, percent) => {
    const x = localityEffectiveWeight(1, healthy, 100);
    const y = localityEffectiveWeight(2, 100, 100);
    expect(Math.round((100 * x) / (x + y))).toBe(percent);
  });

  it('same zone first: the local zone takes all traffic while healthy, and spills as it degrades', () => {
    const eps = Array.from({ length: 8 }, (_, i) => createEndpoint({ id: `e${i}`, url: `http://e${i}:80`, locality: { zone: i < 4 ? 'a' : 'b' } }));
    const lb = withLocality(roundRobin(), { localZone: 'a' });
    const state = lb.create(eps, 0);
    const rng = seededRng(9);
    const localShare = (eligible: Endpoint[]): number => {
      let local = 0;
      for (let i = 0; i < 5_000; i++) {
        const r = lb.pick(state, { eligible, now: 0, rng });
        if (r.kind === 'picked' && r.endpoint.locality.zone === 'a') local++;
      }
      return local / 5_000;
    };
    expect(localShare(eps)).toBe(1);
    // 2 of 4 local endpoints eligible: 140 × 0.5 = 70 % stays local.
    expect(localShare(eps.filter((e) => e.id !== 'e0' && e.id !== 'e1'))).toBeCloseTo(0.7, 1);
  });
});
