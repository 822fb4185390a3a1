import { seededRng } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../scenario.js';
import { arrivalGaps, rateSegments, requestMaker, timeToArrivals } from './traffic.js';

const base: Scenario = { name: 't', durationSeconds: 10, traffic: { ratePerSecond: 10 } };

/** Arrival times (s) the generator produces over the whole run. */
function arrivals(s: Scenario, seed = 1): number[] {
  const gap = arrivalGaps(s);
  const rng = seededRng(seed);
  const out: number[] = [];
  let t = 0;
  for (;;) {
    const g = gap(t, rng);
    if (!Number.isFinite(g)) break;
    t += g;
    if (t >= s.durationSeconds * 1000) break;
    out.push(t / 1000);
  }
  return out;
}

describe('traffic: rate over time', () => {
  it('step rates and traffic-rate events make piecewise segments', () => {
    const s: Scenario = {
      ...base,
      traffic: { ratePerSecond: [{ atSeconds: 0, perSecond: 10 }, { atSeconds: 5, perSecond: 20 }] },
      events: [{ kind: 'traffic-rate', factor: 3, atSeconds: 2, untilSeconds: 3 }],
    };
    expect(rateSegments(s)).toEqual([
      { fromS: 0, toS: 2, r0: 10, r1: 10 },
      { fromS: 2, toS: 3, r0: 30, r1: 30 },
      { fromS: 3, toS: 5, r0: 10, r1: 10 },
      { fromS: 5, toS: 10, r0: 20, r1: 20 },
    ]);
  });

  it('a linear ramp is integrated exactly (inversion of the integrated rate)', () => {
    const s: Scenario = { ...base, traffic: { rateShape: 'linear', ratePerSecond: [{ atSeconds: 0, perSecond: 0 }, { atSeconds: 10, perSecond: 20 }] } };
    // ∫0^t 2x dx = t²: 25 arrivals' worth of rate are reached at t = 5.
    expect(timeToArrivals(rateSegments(s), 0, 25)).toBeCloseTo(5, 9);
    expect(timeToArrivals(rateSegments(s), 5, 75)).toBeCloseTo(5, 9);
    expect(timeToArrivals(rateSegments(s), 5, 75.01)).toBe(Number.POSITIVE_INFINITY);
  });

  it('constant arrivals are evenly spaced in the integrated rate', () => {
    const t = arrivals({ ...base, traffic: { ratePerSecond: [{ atSeconds: 0, perSecond: 10 }, { atSeconds: 5, perSecond: 20 }], arrivals: 'constant' } });
    expect(t.filter((x) => x < 5)).toHaveLength(50);
    expect(t.filter((x) => x >= 5)).toHaveLength(100);
    expect(t[1]).toBeCloseTo(0.1, 9);
  });

  it('Poisson arrivals: about rate × time in each piece (property over seeds)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        const t = arrivals({ ...base, durationSeconds: 20, traffic: { ratePerSecond: [{ atSeconds: 0, perSecond: 50 }, { atSeconds: 10, perSecond: 200 }] } }, seed);
        const first = t.filter((x) => x < 10).length;
        const second = t.length - first;
        // Poisson(500) and Poisson(2000): ± 5 standard deviations.
        expect(Math.abs(first - 500)).toBeLessThan(5 * Math.sqrt(500));
        expect(Math.abs(second - 2000)).toBeLessThan(5 * Math.sqrt(2000));
      }),
      { numRuns: 20 },
    );
  });

  it('a rate of 0 sends nothing until the rate rises', () => {
    const t = arrivals({ ...base, traffic: { ratePerSecond: [{ atSeconds: 0, perSecond: 0 }, { atSeconds: 8, perSecond: 10 }], arrivals: 'constant' } });
    expect(t[0]).toBeGreaterThanOrEqual(8);
    expect(t).toHaveLength(20);
  });
});

describe('traffic: requests', () => {
  it('draws templates and clients by weight, with addresses, API keys, headers and attributes', () => {
    const make = requestMaker({
      ...base,
      traffic: {
        ratePerSecond: 1,
        host: 'API.example.com',
        requests: [{ weight: 1, method: 'POST', path: '/a', query: 'x=1', headers: { 'X-T': '1' } }, { weight: 3, path: '/b' }],
        clients: [
          { name: 'free', weight: 1, addressCount: 3, apiKeys: ['k1', 'k2'], headers: { 'x-plan': 'free' } },
          { name: 'pro', weight: 1, addresses: ['192.0.2.1'], apiKeys: ['p1'], apiKeyHeader: 'Authorization', attributes: { tier: 'pro' } },
        ],
      },
    });
    const rng = seededRng(5);
    const made = Array.from({ length: 4000 }, (_, i) => make(i, rng));
    const post = made.filter((m) => m.request.path === '/a');
    expect(post.length / made.length).toBeGreaterThan(0.22);
    expect(post.length / made.length).toBeLessThan(0.28);
    expect(post[0]?.request).toMatchObject({ method: 'POST', query: 'x=1', authority: 'api.example.com', scheme: 'http' });
    expect(post[0]?.request.headers['x-t']).toBe('1');
    const free = made.filter((m) => m.client === 'free');
    expect(new Set(free.map((m) => m.request.clientAddress))).toEqual(new Set(['10.0.0.0', '10.0.0.1', '10.0.0.2']));
    expect(new Set(free.map((m) => m.request.headers['x-api-key']))).toEqual(new Set(['k1', 'k2']));
    const pro = made.find((m) => m.client === 'pro');
    expect(pro?.request.headers['authorization']).toBe('p1');
    expect(pro?.request.clientAddress).toBe('192.0.2.1');
    expect(pro?.request.attributes).toEqual({ tier: 'pro' });
  });
});
