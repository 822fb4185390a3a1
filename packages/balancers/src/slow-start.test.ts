import { describe, expect, it } from 'vitest';
import { slowStartWeight } from './index.js';

describe('slowStartWeight', () => {
  it('matches Envoy\'s worked example (window 60 s, aggression 1)', () => {
    expect(slowStartWeight(10, 3_000, { slowStartWindowMs: 60_000 })).toBeCloseTo(1);
    expect(slowStartWeight(10, 30_000, { slowStartWindowMs: 60_000 })).toBeCloseTo(5);
    expect(slowStartWeight(10, 60_000, { slowStartWindowMs: 60_000 })).toBe(10);
  });
  it('counts the first second as one second and honours aggression and the floor', () => {
    expect(slowStartWeight(100, 0, { slowStartWindowMs: 10_000, minWeightPercent: 0 })).toBeCloseTo(10);
    expect(slowStartWeight(100, 2_500, { slowStartWindowMs: 10_000, aggression: 2, minWeightPercent: 0 })).toBeCloseTo(50);
    expect(slowStartWeight(100, 1_000, { slowStartWindowMs: 100_000, minWeightPercent: 20 })).toBeCloseTo(20);
  });
});
