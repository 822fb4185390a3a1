import { createEndpoint, type Endpoint } from '@switchyard/core';
import { seededRng } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { weightedRoundRobin } from './index.js';

const endpoints = (weights: readonly number[]): Endpoint[] => weights.map((weight, i) => createEndpoint({ id: `e${i}`, url: `http://h${i}:80`, weight }));

function picks(lb: ReturnType<typeof weightedRoundRobin>, eps: Endpoint[], count: number, seed = 1, now = () => 0): string[] {
  const state = lb.create(eps, 0);
  const rng = seededRng(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = lb.pick(state, { eligible: eps, now: now(), rng });
    if (r.kind === 'picked') out.push(r.endpoint.id);
  }
  return out;
}

describe('weightedRoundRobin', () => {
  it('pick - every window of Σweight picks holds each endpoint exactly its weight', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 8 }), fc.integer(), (weights, seed) => {
        const eps = endpoints(weights);
        const total = weights.reduce((a, b) => a + b, 0);
        const seq = picks(weightedRoundRobin(), eps, total * 4, seed);
        for (let start = 0; start + total <= seq.length; start += 7) {
          const window = seq.slice(start, start + total);
          weights.forEach((w, i) => expect(window.filter((id) => id === `e${i}`).length).toBe(w));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('pick - interleaves rather than bursting (3:1 never gives the light endpoint twice in a row)', () => {
    const seq = picks(weightedRoundRobin(), endpoints([3, 1]), 40);
    for (let i = 1; i < seq.length; i++) expect(seq[i] === 'e1' && seq[i - 1] === 'e1').toBe(false);
    expect(seq.filter((id) => id === 'e1').length).toBe(10);
  });

  it('slow start - a joining endpoint ramps from min weight to its full share over the window', () => {
    const lb = weightedRoundRobin({ slowStart: { slowStartWindowMs: 60_000 } });
    const a = createEndpoint({ id: 'a', url: 'http://a:80', weight: 10 });
    const b = createEndpoint({ id: 'b', url: 'http://b:80', weight: 10 });
    let state = lb.create([a], 0);
    state = lb.update(state, [a, b], 0);
    const rng = seededRng(3);
    const share = (now: number): number => {
      let nb = 0;
      for (let i = 0; i < 2000; i++) {
        const r = lb.pick(state, { eligible: [a, b], now, rng });
        if (r.kind === 'picked' && r.endpoint.id === 'b') nb++;
      }
      return nb / 2000;
    };
    // t=3 s: b weighs max(0.1, 3/60)·10 = 1 against 10 → 1/11; t=30 s: 5 against 10 → 1/3; after: 1/2.
    expect(share(3_000)).toBeCloseTo(1 / 11, 1);
    expect(share(30_000)).toBeCloseTo(1 / 3, 1);
    expect(share(60_000)).toBeCloseTo(1 / 2, 2);
  });
});
