import { describe, expect, it } from 'vitest';
import { chance, randomInt, type Rng } from './rng.js';
import { systemRng } from './system-rng.js';

const fixed = (v: number): Rng => ({ next: () => v });

describe('randomInt and chance', () => {
  it('randomInt maps [0, 1) onto 0..n-1, even for an Rng that (wrongly) returns 1', () => {
    expect(randomInt(fixed(0), 10)).toBe(0);
    expect(randomInt(fixed(0.999999), 10)).toBe(9);
    expect(randomInt(fixed(1), 10)).toBe(9);
    for (let i = 0; i < 1000; i++) {
      const v = randomInt(systemRng, 7);
      expect(Number.isInteger(v) && v >= 0 && v < 7).toBe(true);
    }
  });

  it('chance is strict: percent/100 of the unit interval, 0 never and 100 always', () => {
    expect(chance(fixed(0.25), 25)).toBe(false);
    expect(chance(fixed(0.2499), 25)).toBe(true);
    expect(chance(fixed(0), 0)).toBe(false);
    expect(chance(fixed(0.9999), 100)).toBe(true);
    expect(chance(fixed(0), 150)).toBe(true);
  });
});
