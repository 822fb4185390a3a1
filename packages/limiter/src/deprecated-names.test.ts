// The deprecated names of issue #24's one vocabulary stay exported and are the new names.
import { seededRng } from '@switchyard/testing';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createAdaptiveThrottle, keys, type Decision, type KeySource, type LimitDecision, type LimitKeySource } from './index.js';

describe('deprecated names', () => {
  it('Decision is LimitDecision', () => {
    expectTypeOf<Decision>().toEqualTypeOf<LimitDecision>();
  });

  it('KeySource is LimitKeySource', () => {
    expectTypeOf<KeySource>().toEqualTypeOf<LimitKeySource>();
    expectTypeOf(keys.route()).toEqualTypeOf<LimitKeySource>();
  });

  it('AdaptiveThrottle.record is observe (the same function)', () => {
    const t = createAdaptiveThrottle({ k: 1, windowMs: 1_000, bucketCount: 1 });
    expect(t.record).toBe(t.observe);
    // Feedback through the old name still counts: every request accepted, nothing throttled.
    t.admit(0, seededRng(1));
    t.record(0, true);
    expect(t.probability(0)).toBe(0);
  });
});
