import { murmur3Bytes } from '@switchyard/core';
import { seededRng } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignWeighted, bucketOf, keyHash, SPLIT_ALGORITHM, type WeightedChoice } from './assign.js';
import { murmur3Int, negLnUnit } from './internal/math.js';

const v95 = [
  { name: 'v1', weight: 95 },
  { name: 'v2', weight: 5 },
];
const v50 = [
  { name: 'v1', weight: 50 },
  { name: 'v2', weight: 50 },
];
const abc = [
  { name: 'a', weight: 1 },
  { name: 'b', weight: 1 },
  { name: 'c', weight: 1 },
];

// Golden vectors: the published contract of SPLIT_ALGORITHM. Changing any of these reassigns
// users; that needs a new algorithm version and a migration note, never a silent edit.
// [key, keyHash(key, 'checkout'), bucketOf(key, 'checkout'), bucketOf(key, 'quiz-format'), 95/5, 50/50, a/b/c]
const VECTORS: readonly [string, number, number, number, number, number, number][] = [
  ['user-42', 4235001192, 9860, 2493, 0, 1, 2],
  ['user-43', 1379920157, 3212, 1135, 0, 1, 2],
  ['', 3448287676, 8028, 4042, 0, 0, 1],
  ['feature:josé', 1093174836, 2545, 4109, 0, 0, 0],
  ['用户-7', 2926388669, 6813, 6426, 0, 1, 1],
  ['🚀-launch', 1399391143, 3258, 8107, 0, 1, 1],
  ['Ā', 3831161368, 8920, 7951, 0, 0, 2],
  ['\u0000', 1431774482, 3333, 9629, 0, 1, 1],
  ['user-7', 62451155, 145, -1, 1, -1, -1],
  ['user-13', 1148855442, 2674, -1, 1, -1, -1],
  ['user-19', 3987899071, 9285, -1, 1, -1, -1],
];

/** Keys for the statistical properties: ASCII ids, and non-ASCII ones half the time. */
function keys(n: number, seed: number): string[] {
  const rng = seededRng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(i % 2 === 0 ? `user-${rng.int(1e9)}` : `usuário-${rng.int(1e9)}-ü`);
  return out;
}

describe('assignment vectors', () => {
  it('matches the published vectors (identical in every process and runtime)', () => {
    expect(SPLIT_ALGORITHM).toBe('weighted-rendezvous+murmur3-x86_32-utf8/v1+v1');
    for (const [key, h, bucket, quiz, p95, p50, p3] of VECTORS) {
      expect(keyHash(key, 'checkout'), key).toBe(h);
      expect(bucketOf(key, 'checkout'), key).toBe(bucket);
      if (quiz >= 0) expect(bucketOf(key, 'quiz-format'), key).toBe(quiz);
      expect(assignWeighted(key, 'checkout', v95), key).toBe(p95);
      if (p50 >= 0) expect(assignWeighted(key, 'checkout', v50), key).toBe(p50);
      if (p3 >= 0) expect(assignWeighted(key, 'checkout', abc), key).toBe(p3);
    }
  });

  it('hashes non-ASCII keys by their UTF-8 bytes (no murmurhash3js & 0xff collisions)', () => {
    // murmurhash3js masks char codes with & 0xff, so U+0100 and U+0000 collide there.
    expect(keyHash('Ā', 's')).not.toBe(keyHash('\u0000', 's'));
    const ascii = (t: string): number[] => [...t].map((c) => c.charCodeAt(0));
    const jose = Uint8Array.from([...ascii('feature:jos'), 0xc3, 0xa9]); // 'é' is C3 A9 in UTF-8
    expect(keyHash('feature:josé', 'checkout')).toBe(murmur3Bytes(jose, murmur3Bytes(Uint8Array.from(ascii('checkout')))));
  });

  it('murmur3Int is murmur3 over the 4 little-endian bytes of the value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (v, seed) => {
        const bytes = Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
        expect(murmur3Int(v, seed)).toBe(murmur3Bytes(bytes, seed));
      }),
      { numRuns: 500 },
    );
  });

  it('the deterministic -ln agrees with Math.log to 1e-13 relative', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (h) => {
        const exact = -Math.log((h + 0.5) / 4294967296);
        expect(Math.abs(negLnUnit(h) - exact)).toBeLessThanOrEqual(1e-13 * Math.max(1, exact));
      }),
      { numRuns: 2000 },
    );
    expect(negLnUnit(0xffffffff)).toBeGreaterThan(0);
  });
});

describe('weighted assignment properties', () => {
  // Tolerance: the count of n keys landing on a backend of share p is Binomial(n, p) when the
  // hash behaves like a random function; 4σ = 4·sqrt(n·p·(1−p)) bounds a false alarm to
  // ~6e-5 per check, so the test stays deterministic-in-practice over its fixed seeds.
  it('observed share of each backend is within 4σ (binomial) of its weight', () => {
    const ks = keys(20_000, 7);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 5 }), fc.string({ minLength: 1, maxLength: 8 }), (weights, salt) => {
        fc.pre(weights.some((w) => w > 0));
        const choices = weights.map((weight, i) => ({ name: `b${i}`, weight }));
        const total = weights.reduce((a, b) => a + b, 0);
        const counts = new Array<number>(weights.length).fill(0);
        for (const k of ks) counts[assignWeighted(k, salt, choices)]!++;
        weights.forEach((w, i) => {
          const p = w / total;
          const sigma = Math.sqrt(ks.length * p * (1 - p));
          expect(Math.abs((counts[i] as number) - ks.length * p)).toBeLessThanOrEqual(4 * sigma + 1e-9);
          if (w === 0) expect(counts[i]).toBe(0);
        });
      }),
      { numRuns: 15 },
    );
  });

  it('raising a canary weight never moves a key out of the canary nor between stable backends', () => {
    const ks = keys(1000, 11);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 4 }),
        (stable, canary, raise, position) => {
          const at = position % (stable.length + 1);
          const build = (c: number): WeightedChoice[] => {
            const list = stable.map((weight, i) => ({ name: `stable-${i}`, weight }));
            list.splice(at, 0, { name: 'canary', weight: c });
            return list;
          };
          const before = build(canary);
          const after = build(canary + raise);
          for (const k of ks) {
            const a = before[assignWeighted(k, 'rollout', before)]!.name;
            const b = after[assignWeighted(k, 'rollout', after)]!.name;
            if (a === 'canary') expect(b).toBe('canary');
            else expect(b === a || b === 'canary').toBe(true);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('a ramp 10 → 20 → 50 % moves exactly the keys of the added slices, and only towards the canary', () => {
    const ks = keys(20_000, 3);
    const at = (p: number): WeightedChoice[] => [
      { name: 'stable', weight: 100 - p },
      { name: 'canary', weight: p },
    ];
    let prev = ks.map((k) => assignWeighted(k, 'ramp', at(10)));
    for (const p of [20, 50]) {
      const next = ks.map((k) => assignWeighted(k, 'ramp', at(p)));
      let moved = 0;
      next.forEach((n, i) => {
        if (n !== prev[i]) {
          moved++;
          expect(n).toBe(1);
        }
      });
      prev = next;
      expect(moved).toBeGreaterThan(0);
    }
  });

  it('the assignment does not depend on the declared order of backends', () => {
    const ks = keys(500, 5);
    const list = [
      { name: 'v1', weight: 70 },
      { name: 'v2', weight: 20 },
      { name: 'v3', weight: 10 },
    ];
    const reversed = [...list].reverse();
    for (const k of ks) expect(list[assignWeighted(k, 's', list)]!.name).toBe(reversed[assignWeighted(k, 's', reversed)]!.name);
  });

  it('all-zero weights or no backends assign nothing (-1)', () => {
    expect(assignWeighted('k', 's', [{ name: 'a', weight: 0 }])).toBe(-1);
    expect(assignWeighted('k', 's', [])).toBe(-1);
  });

  // χ² test of independence on the 4×4 contingency table of bucket quartiles under two salts.
  // df = 9; the 0.1 % critical value is 27.88: independent salts exceed it once in 1000 runs,
  // while correlated ones (same salt) blow far past it.
  it('different salts give independent assignments (χ², df 9, threshold 27.88 at p = 0.001)', () => {
    const ks = keys(40_000, 13);
    const chi2 = (saltA: string, saltB: string): number => {
      const table = Array.from({ length: 4 }, () => new Array<number>(4).fill(0));
      for (const k of ks) table[Math.floor(bucketOf(k, saltA) / 2500)]![Math.floor(bucketOf(k, saltB) / 2500)]!++;
      const rows = table.map((r) => r.reduce((a, b) => a + b, 0));
      const cols = [0, 1, 2, 3].map((j) => table.reduce((a, r) => a + r[j]!, 0));
      let x = 0;
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++) {
          const e = (rows[i]! * cols[j]!) / ks.length;
          x += (table[i]![j]! - e) ** 2 / e;
        }
      return x;
    };
    for (const [a, b] of [
      ['checkout', 'quiz-format'],
      ['exp-1', 'exp-2'],
      ['rollout', 'rollout#coverage'],
    ] as const) {
      expect(chi2(a, b), `${a} vs ${b}`).toBeLessThan(27.88);
    }
    expect(chi2('same', 'same')).toBeGreaterThan(1000);
  });

  it('buckets are uniform (χ² over 100 bins, df 99, threshold 148.2 at p = 0.001)', () => {
    const ks = keys(50_000, 17);
    const bins = new Array<number>(100).fill(0);
    for (const k of ks) bins[Math.floor(bucketOf(k, 'uniform') / 100)]!++;
    const e = ks.length / 100;
    const x = bins.reduce((a, o) => a + (o - e) ** 2 / e, 0);
    expect(x).toBeLessThan(148.2);
  });
});
