import { isSwitchyardError, type SyRequest } from '@switchyard/core';
import { seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { compileSplit, createSplitter, decideByKey, decideSplit, withWeights, type SplitConfig } from './split.js';

function req(over: Partial<SyRequest> = {}): SyRequest {
  return { method: 'GET', scheme: 'https', authority: 'shop.example', path: '/cart', query: '', headers: {}, attributes: {}, ...over };
}

const base: SplitConfig = {
  name: 'checkout',
  backends: [
    { name: 'v1', weight: 95 },
    { name: 'v2', weight: 5 },
  ],
  key: [{ attribute: 'userId' }, { cookie: 'sid' }, { header: 'x-user-id' }, { query: 'uid' }],
  canary: [
    { name: 'opt-in header', backend: 'v2', when: { header: 'x-stage', value: 'canary' } },
    { name: 'opt-in query', backend: 'v2', when: { query: 'stage', value: 'canary' } },
    { name: 'beta users', backend: 'v2', when: { keyIn: ['user-1', 'josé'] } },
    { name: 'staff', backend: 'v2', when: { attribute: 'staff', equals: true } },
    { name: 'eu pinned', backend: 'v1', when: { attribute: 'region', in: ['eu-west-1', 'eu-central-1'] } },
  ],
};

describe('compileSplit', () => {
  it('rejects all-zero weights as a config error, as Envoy does', () => {
    expect(() => compileSplit({ name: 's', backends: [{ name: 'a', weight: 0 }, { name: 'b', weight: 0 }] })).toThrow(/backends: all weights are 0/);
  });

  it('with allowAllZero, all-zero weights decide empty (the gateway answers 500)', () => {
    const plan = compileSplit({ name: 's', backends: [{ name: 'a', weight: 0 }], allowAllZero: true });
    expect(decideSplit(plan, req(), seededRng(1))).toEqual({ kind: 'empty', split: 's', reason: 'all-weights-zero' });
    expect(decideByKey(plan, 'k', seededRng(1)).kind).toBe('empty');
  });

  it('reports every problem with its path', () => {
    try {
      compileSplit({
        name: '',
        backends: [{ name: 'a', weight: -1 }, { name: 'a', weight: 1.5 }, { name: 'b', weight: 2_000_000 }],
        key: [{ header: 'X-User' }],
        canary: [{ backend: 'zz', when: { header: '' } }],
      });
      expect.unreachable();
    } catch (e) {
      expect(isSwitchyardError(e) && e.code).toBe('SY_CONFIG_INVALID');
      expect((e as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual([
        'name',
        'backends[0].weight',
        'backends[1].name',
        'backends[1].weight',
        'backends[2].weight',
        'key[0].header',
        'canary[0].backend',
        'canary[0].when.header',
      ]);
    }
  });

  it('weights default to 1 (Gateway API) and plans are frozen', () => {
    const plan = compileSplit({ name: 's', backends: [{ name: 'a' }, { name: 'b' }] });
    expect(plan.backends.map((b) => b.weight)).toEqual([1, 1]);
    expect(Object.isFrozen(plan)).toBe(true);
  });
});

describe('decideSplit', () => {
  const plan = compileSplit(base);

  it('takes a split that cannot vary (one backend with weight, no key, no rules) without drawing a random number', () => {
    const counting = (): { next: () => number; draws: number } => {
      const r = { draws: 0, next: () => (r.draws++, 0.5) };
      return r;
    };
    const single = compileSplit({ name: 'one', backends: [{ name: 'v1', weight: 0 }, { name: 'v2', weight: 3 }] });
    const rng = counting();
    for (let i = 0; i < 5; i++) expect(decideSplit(single, req(), rng)).toMatchObject({ kind: 'backend', backend: 'v2', index: 1, by: 'random' });
    expect(rng.draws).toBe(0);
    // Two weighted backends, or one with a key: decided as before (a draw, or the key's hash).
    const two = counting();
    decideSplit(compileSplit({ name: 'two', backends: [{ name: 'v1', weight: 1 }, { name: 'v2', weight: 1 }] }), req(), two);
    expect(two.draws).toBe(1);
    const keyed = compileSplit({ name: 'k', backends: [{ name: 'v1', weight: 1 }], key: { header: 'x-user-id' } });
    expect(decideSplit(keyed, req({ headers: { 'x-user-id': 'u' } }), counting())).toMatchObject({ backend: 'v1', by: 'hash' });
    // Weights changed at run time: the shortcut follows the new plan.
    expect(decideSplit(withWeights(single, { v1: 1, v2: 0 }), req(), counting())).toMatchObject({ backend: 'v1' });
  });

  it('evaluates canary rules first, in declared order', () => {
    expect(decideSplit(plan, req({ headers: { 'x-stage': 'canary' } }), seededRng(1))).toMatchObject({ backend: 'v2', by: 'selector', rule: 'opt-in header' });
    expect(decideSplit(plan, req({ query: 'a=1&stage=canary' }), seededRng(1))).toMatchObject({ backend: 'v2', rule: 'opt-in query' });
    expect(decideSplit(plan, req({ attributes: { userId: 'josé' } }), seededRng(1))).toMatchObject({ backend: 'v2', rule: 'beta users' });
    expect(decideSplit(plan, req({ attributes: { staff: true, region: 'eu-west-1' } }), seededRng(1))).toMatchObject({ backend: 'v2', rule: 'staff' });
    expect(decideSplit(plan, req({ attributes: { region: 'eu-west-1' } }), seededRng(1))).toMatchObject({ backend: 'v1', rule: 'eu pinned' });
    expect(decideSplit(plan, req({ headers: { 'x-stage': 'stable' } }), seededRng(1))).toMatchObject({ by: 'random' });
  });

  it('a selector reaches a weight-0 canary (dark launch), while weighted traffic never does', () => {
    const dark = withWeights(plan, { v1: 100, v2: 0 });
    expect(decideSplit(dark, req({ headers: { 'x-stage': 'canary' } }), seededRng(1))).toMatchObject({ backend: 'v2', by: 'selector' });
    const rng = seededRng(2);
    for (let i = 0; i < 2000; i++) {
      expect(decideSplit(dark, req({ attributes: { userId: `u${i}` } }), rng)).toMatchObject({ backend: 'v1' });
      expect(decideSplit(dark, req(), rng)).toMatchObject({ backend: 'v1' });
    }
  });

  it('reads the key from attribute, cookie, header or query, in order', () => {
    const byKey = (k: string): string => (decideByKey(plan, k, seededRng(1)) as { backend: string }).backend;
    const cases: [SyRequest, string][] = [
      [req({ attributes: { userId: 'user-7' }, headers: { cookie: 'sid=other' } }), 'user-7'],
      [req({ headers: { cookie: 'theme=dark; sid="user-13"' } }), 'user-13'],
      [req({ headers: { 'x-user-id': 'user-19' } }), 'user-19'],
      [req({ query: 'uid=user%2D42' }), 'user-42'],
    ];
    for (const [r, key] of cases) {
      const d = decideSplit(plan, r, seededRng(1));
      expect(d).toMatchObject({ by: 'hash', backend: byKey(key) });
    }
  });

  it('is sticky: the same key always lands on the same backend', () => {
    const rng = seededRng(3);
    for (let i = 0; i < 200; i++) {
      const r = req({ headers: { 'x-user-id': `user-${i}` } });
      const first = decideSplit(plan, r, rng);
      for (let j = 0; j < 3; j++) expect(decideSplit(plan, r, rng)).toBe(first);
    }
  });

  it('splits keyless requests by the injected Rng, within 4σ of the weights', () => {
    const rng = seededRng(9);
    let v2 = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) if ((decideSplit(plan, req(), rng) as { backend: string; by: string }).backend === 'v2') v2++;
    expect(Math.abs(v2 - n * 0.05)).toBeLessThanOrEqual(4 * Math.sqrt(n * 0.05 * 0.95));
    expect(decideSplit(plan, req(), rng)).toMatchObject({ by: 'random' });
  });

  it('decisions are preallocated: deciding twice returns the same object', () => {
    const r = req({ headers: { 'x-user-id': 'user-7' } });
    expect(decideSplit(plan, r, seededRng(1))).toBe(decideSplit(plan, r, seededRng(2)));
  });
});

describe('createSplitter', () => {
  it('setWeights swaps the plan atomically and only moves keys into the raised backend', () => {
    const s = createSplitter({ ...base, canary: [] });
    const users = Array.from({ length: 3000 }, (_, i) => req({ attributes: { userId: `user-${i}` } }));
    const before = users.map((u) => (s.decide(u, seededRng(1)) as { backend: string }).backend);
    const old = s.plan();
    s.setWeights({ v1: 90, v2: 10 });
    const after = users.map((u) => (s.decide(u, seededRng(1)) as { backend: string }).backend);
    after.forEach((b, i) => {
      if (before[i] === 'v2') expect(b).toBe('v2');
    });
    expect(after.filter((b) => b === 'v2').length).toBeGreaterThan(before.filter((b) => b === 'v2').length);
    expect(old.backends[1]?.weight).toBe(5); // requests in flight keep their plan
  });

  it('a failed setWeights keeps the old plan', () => {
    const s = createSplitter(base);
    expect(() => s.setWeights({ v3: 1 })).toThrow(/weights\["v3"\]: unknown backend/);
    expect(() => s.setWeights({ v1: 0, v2: 0 })).toThrow(/all weights are 0/);
    expect(s.plan().backends.map((b) => b.weight)).toEqual([95, 5]);
  });
});
