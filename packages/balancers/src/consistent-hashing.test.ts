import { createEndpoint, murmur3, type Endpoint, type LoadBalancer } from '@switchyard/core';
import { seededRng } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedLoadCap } from './internal/bounded-load.js';
import { buildMaglevTable, maglev, ringHash } from './index.js';

const fleet = (n: number, prefix = 'host'): Endpoint[] => Array.from({ length: n }, (_, i) => createEndpoint({ id: `${prefix}-${i}`, url: `http://10.1.${i >> 8}.${i & 255}:80` }));
const KEYS = Array.from({ length: 20_000 }, (_, i) => murmur3(`user-${i}`));

function assignments<S>(lb: LoadBalancer<S>, eps: Endpoint[]): string[] {
  const state = lb.create(eps, 0);
  const rng = seededRng(1);
  return KEYS.map((hash) => {
    const r = lb.pick(state, { eligible: eps, now: 0, rng, hash });
    return r.kind === 'picked' ? r.endpoint.id : '';
  });
}

function movedWhenOneLeaves<S>(lb: LoadBalancer<S>, n: number, leaving: number): { moved: number } {
  const all = fleet(n);
  const before = assignments(lb, all);
  const gone = (all[leaving] as Endpoint).id;
  const after = assignments(lb, all.filter((_, i) => i !== leaving));
  let moved = 0;
  let owned = 0;
  for (let k = 0; k < KEYS.length; k++) {
    if (before[k] === gone) owned++;
    if (before[k] !== after[k]) moved++;
  }
  // Every key of the leaving endpoint must move; the rest is the policy's extra disruption.
  expect(moved).toBeGreaterThanOrEqual(owned);
  return { moved: moved / KEYS.length };
}

describe('maglev', () => {
  it('build - weights 1 and 2 over 65 537 slots give 21 846 and 43 691 entries (Envoy)', () => {
    const table = buildMaglevTable(['a', 'b'], [1, 2], 65_537);
    expect(table.filter((i) => i === 0).length).toBe(21_846);
    expect(table.filter((i) => i === 1).length).toBe(43_691);
  });

  it('build - the table for the same endpoints is identical whatever their input order', () => {
    const eps = fleet(12);
    const reference = assignments(maglev({ tableSize: 1_009 }), eps);
    fc.assert(
      fc.property(fc.shuffledSubarray(eps, { minLength: 12, maxLength: 12 }), (shuffled) => {
        expect(assignments(maglev({ tableSize: 1_009 }), shuffled)).toEqual(reference);
      }),
      { numRuns: 30 },
    );
  });

  it('build - is pinned across processes and releases (golden slots)', () => {
    const table = buildMaglevTable(['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80'], [1, 1, 1], 13);
    expect(Array.from(table)).toMatchInlineSnapshot(`
      [
        0,
        2,
        0,
        1,
        2,
        0,
        2,
        1,
        2,
        1,
        0,
        1,
        0,
      ]
    `);
  });

  it('pick - answers table[hash mod M] of buildMaglevTable over the key-sorted endpoints, for 8-, 16-bit compact tables alike', () => {
    // 256 endpoints fit a Uint8Array table, 257 need a Uint16Array: both must answer the same.
    for (const n of [1, 2, 255, 256, 257, 300]) {
      const eps = fleet(n);
      const sorted = [...eps].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const table = buildMaglevTable(
        sorted.map((e) => e.id),
        sorted.map((e) => e.weight),
        1_009,
      );
      const lb = maglev({ tableSize: 1_009 });
      const state = lb.create(eps, 0);
      const rng = seededRng(n);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 4_294_967_295 }), (hash) => {
          const r = lb.pick(state, { eligible: eps, now: 0, rng, hash });
          expect(r.kind === 'picked' ? r.endpoint : undefined).toBe(sorted[table[hash % 1_009] as number]);
        }),
        { numRuns: 200 },
      );
    }
  });

  it('update - when one of 20 endpoints leaves, ≈ 1/20 of keys move (measured ≤ 1.6/N)', () => {
    const { moved } = movedWhenOneLeaves(maglev(), 20, 7);
    expect(moved).toBeGreaterThan(0.7 / 20);
    expect(moved).toBeLessThan(1.6 / 20);
  });

  it('config - rejects a table size that is not prime', () => {
    expect(() => maglev({ tableSize: 65_536 })).toThrow(/prime/);
  });
});

describe('ringHash', () => {
  it('update - with Envoy\'s default sizing, ≈ 1/20 of keys move (measured ≤ 2/N: the ring is resized too)', () => {
    const { moved } = movedWhenOneLeaves(ringHash(), 20, 7);
    expect(moved).toBeGreaterThan(0.5 / 20);
    expect(moved).toBeLessThan(2 / 20);
  });

  it('build - spreads keys roughly by weight', () => {
    const eps = [createEndpoint({ id: 'a', url: 'http://a:1', weight: 1 }), createEndpoint({ id: 'b', url: 'http://b:1', weight: 3 })];
    const share = assignments(ringHash(), eps).filter((id) => id === 'b').length / KEYS.length;
    expect(share).toBeGreaterThan(0.65);
    expect(share).toBeLessThan(0.85);
  });
});

describe('bounded loads (hashBalanceFactor)', () => {
  for (const [name, make] of [
    ['maglev', (f: number) => maglev({ tableSize: 251, hashBalanceFactor: f }) as LoadBalancer<unknown>],
    ['ring-hash', (f: number) => ringHash({ minimumRingSize: 128, hashBalanceFactor: f }) as LoadBalancer<unknown>],
  ] as const) {
    it(`${name} - never puts more than ⌈c × average⌉ in flight on the picked endpoint`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 100, max: 300 }),
          fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.boolean()), { minLength: 1, maxLength: 300 }),
          (n, factor, ops) => {
            const lb = make(factor);
            const eps = fleet(n);
            const state = lb.create(eps, 0);
            const rng = seededRng(n);
            const live: Endpoint[] = [];
            const inFlight = new Map<string, number>();
            for (const [hot, finish] of ops) {
              if (finish && live.length > 0) {
                const e = live.splice(rng.int(live.length), 1)[0] as Endpoint;
                inFlight.set(e.id, (inFlight.get(e.id) ?? 0) - 1);
                lb.observe(state, { kind: 'response', endpoint: e, status: 200, latencyMs: 1, at: 0 });
                continue;
              }
              // Mostly one hot key: the worst case for unbounded hashing.
              const r = lb.pick(state, { eligible: eps, now: 0, rng, hash: hot < 4 ? 42 : murmur3(String(rng.next())) });
              if (r.kind !== 'picked') throw new Error('empty');
              lb.begin(state, r.endpoint, 0);
              live.push(r.endpoint);
              const load = (inFlight.get(r.endpoint.id) ?? 0) + 1;
              inFlight.set(r.endpoint.id, load);
              expect(load).toBeLessThanOrEqual(boundedLoadCap(factor * live.length, 100 * n));
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it('keeps a key on its endpoint while that endpoint is under the cap', () => {
    const eps = fleet(5);
    const lb = maglev({ tableSize: 251, hashBalanceFactor: 150 });
    const plain = maglev({ tableSize: 251 });
    const s1 = lb.create(eps, 0);
    const s2 = plain.create(eps, 0);
    const rng = seededRng(1);
    for (const hash of KEYS.slice(0, 200)) {
      const a = lb.pick(s1, { eligible: eps, now: 0, rng, hash });
      const b = plain.pick(s2, { eligible: eps, now: 0, rng, hash });
      expect(a).toEqual(b);
    }
  });
});

describe('key movement measurements', () => {
  it('records the fraction of keys moved when one of N leaves (for the guide)', () => {
    const rows: string[] = [];
    for (const n of [10, 20, 50]) {
      const m = movedWhenOneLeaves(maglev(), n, 3).moved;
      const r = movedWhenOneLeaves(ringHash(), n, 3).moved;
      rows.push(`N=${n}: maglev ${(m * n).toFixed(2)}/N, ring hash ${(r * n).toFixed(2)}/N`);
      expect(m * n).toBeLessThan(2);
      expect(r * n).toBeLessThan(2);
    }
    console.log(rows.join('\n'));
  });
});

describe('lookup fast path (same eligible array)', () => {
  for (const [name, make] of [
    ['maglev', () => maglev({ tableSize: 1_009 }) as LoadBalancer<unknown>],
    ['ring-hash', () => ringHash({ minimumRingSize: 256 }) as LoadBalancer<unknown>],
  ] as const) {
    it(`${name} - switching between eligible arrays (same, equal copy, subset, back) always answers for the array given`, () => {
      const eps = fleet(8);
      const subset = eps.filter((_, i) => i % 3 !== 0);
      const lb = make();
      const state = lb.create(eps, 0);
      const rng = seededRng(3);
      const fresh = (eligible: Endpoint[], hash: number): string => {
        const r = lb.pick(lb.create(eps, 0), { eligible, now: 0, rng, hash });
        return r.kind === 'picked' ? r.endpoint.id : '';
      };
      const copy = [...eps];
      for (const [k, eligible] of [eps, eps, copy, subset, subset, eps, copy, [], eps].entries()) {
        for (const hash of KEYS.slice(0, 50)) {
          const r = lb.pick(state, { eligible, now: k, rng, hash });
          if (eligible.length === 0) {
            expect(r).toEqual({ kind: 'empty', reason: 'no-eligible-endpoints' });
            continue;
          }
          expect(r.kind === 'picked' ? r.endpoint.id : '').toBe(fresh(eligible, hash));
        }
      }
    });
  }
});
