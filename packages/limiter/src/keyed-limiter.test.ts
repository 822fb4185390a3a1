import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createKeyedLimiter } from './keyed-limiter.js';
import { gcra, slidingWindow, tokenBucket } from './policy.js';
import { take, type RateState } from './take.js';

describe('createKeyedLimiter', () => {
  it('keeps one bucket per key', () => {
    const l = createKeyedLimiter({ policy: tokenBucket({ maxTokens: 1, fillIntervalMs: 1000 }) });
    expect(l.take('a', 0).kind).toBe('allowed');
    expect(l.take('a', 0).kind).toBe('limited');
    expect(l.take('b', 0).kind).toBe('allowed');
    expect(l.size).toBe(2);
  });

  it('drops buckets that are full again without any timer', () => {
    const l = createKeyedLimiter({ policy: tokenBucket({ maxTokens: 2, tokensPerFill: 1, fillIntervalMs: 100 }) });
    for (let i = 0; i < 100; i++) l.take(`k${i}`, 0);
    expect(l.size).toBe(100);
    // 100 ms later every bucket is full again; calls on one key sweep the others away.
    for (let i = 0; i < 200; i++) l.take('hot', 100 + i * 0.001);
    expect(l.size).toBeLessThanOrEqual(2);
    expect(l.evictions).toBe(0);
  });

  it('never holds more than maxKeys, reusing full slots before evicting', () => {
    const l = createKeyedLimiter({ policy: tokenBucket({ maxTokens: 5, fillIntervalMs: 1000 }), maxKeys: 10, sweepPerCall: 0 });
    for (let i = 0; i < 50; i++) l.take(`k${i}`, 0);
    expect(l.size).toBe(10);
    expect(l.evictions).toBe(40);
    // The survivors are the newest keys, with their state intact.
    expect(l.take('k49', 0).remaining).toBe(3);
  });

  it('property - decisions match the pure take for any key sequence that fits in memory', () => {
    const policies = [tokenBucket({ maxTokens: 3, tokensPerFill: 2, fillIntervalMs: 100 }), gcra({ maxTokens: 4, fillIntervalMs: 50 }), slidingWindow({ limit: 5, windowMs: 300 })];
    fc.assert(
      fc.property(
        fc.constantFrom(...policies),
        fc.array(fc.record({ key: fc.integer({ min: 0, max: 5 }), gap: fc.integer({ min: 0, max: 120 }), cost: fc.integer({ min: 1, max: 3 }) }), { maxLength: 150 }),
        (policy, trace) => {
          const keyed = createKeyedLimiter({ policy, maxKeys: 6 });
          const states = new Map<number, RateState>();
          let now = 0;
          for (const { key, gap, cost } of trace) {
            now += gap;
            const a = keyed.take(String(key), now, cost);
            const b = take(states.get(key), cost, now, policy);
            states.set(key, b.state);
            if (a.kind !== b.kind || a.remaining !== b.remaining) return false;
          }
          return true;
        },
      ),
      { numRuns: 1000 },
    );
  });
});
