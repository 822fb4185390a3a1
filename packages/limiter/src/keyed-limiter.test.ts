import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createKeyedLimiter } from './keyed-limiter.js';
import { gcra, slidingWindow, tokenBucket } from './policy.js';
import { take, type RateState } from './take.js';
import { hashKey } from './internal/hash.js';

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
    // The key just added keeps its state (a victim is chosen among the older ones).
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
  it('evicts the key closest to a full bucket when it must evict', () => {
    const l = createKeyedLimiter({ policy: tokenBucket({ maxTokens: 5, fillIntervalMs: 1000 }), maxKeys: 2, sweepPerCall: 0 });
    l.take('drained', 0, 5);
    l.take('light', 0, 1);
    l.take('new', 0);
    expect(l.evictions).toBe(1);
    expect(l.take('drained', 0).kind).toBe('limited');
    expect(l.take('light', 0).remaining).toBe(4); // evicted: a fresh bucket
  });

  it('property - decisions match the pure take across table growth, deletes and reclamation', () => {
    const policies = [tokenBucket({ maxTokens: 3, tokensPerFill: 2, fillIntervalMs: 100 }), gcra({ maxTokens: 4, fillIntervalMs: 50 }), slidingWindow({ limit: 5, windowMs: 300 })];
    fc.assert(
      fc.property(
        fc.constantFrom(...policies),
        fc.array(fc.record({ key: fc.integer({ min: 0, max: 400 }), gap: fc.integer({ min: 0, max: 3 }), del: fc.integer({ min: 0, max: 9 }).map((x) => x === 0) }), { maxLength: 600 }),
        (policy, trace) => {
          const keyed = createKeyedLimiter({ policy, maxKeys: 1000 });
          const states = new Map<number, RateState>();
          let now = 0;
          for (const { key, gap, del } of trace) {
            now += gap;
            if (del) {
              keyed.delete(String(key));
              states.delete(key);
              continue;
            }
            const a = keyed.take(String(key), now);
            const b = take(states.get(key), 1, now, policy);
            states.set(key, b.state);
            if (a.kind !== b.kind || a.remaining !== b.remaining) return false;
          }
          return keyed.size <= states.size && keyed.evictions === 0;
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property - a hot key repeated, deleted and swept away keeps exact decisions (last-key shortcut)', () => {
    const policy = tokenBucket({ maxTokens: 3, tokensPerFill: 2, fillIntervalMs: 100 });
    fc.assert(
      fc.property(fc.array(fc.record({ key: fc.integer({ min: 0, max: 2 }), gap: fc.integer({ min: 0, max: 150 }), del: fc.integer({ min: 0, max: 4 }).map((x) => x === 0) }), { maxLength: 200 }), (trace) => {
        const keyed = createKeyedLimiter({ policy, sweepPerCall: 3 });
        const states = new Map<number, RateState>();
        let now = 0;
        for (const { key, gap, del } of trace) {
          now += gap;
          if (del) {
            keyed.delete(String(key));
            states.delete(key);
          }
          const a = keyed.take(String(key), now);
          const b = take(states.get(key), 1, now, policy);
          states.set(key, b.state);
          if (a.kind !== b.kind || a.remaining !== b.remaining) return false;
        }
        return true;
      }),
      { numRuns: 500 },
    );
  });

  it('keeps exact decisions for crafted keys that all hash to one row (bounded probes, overflow)', () => {
    // 40 keys whose hashes share their low 6 bits: one home row in the 64-row table of maxKeys 40.
    const crafted: string[] = [];
    for (let i = 0; crafted.length < 40; i++) if ((hashKey(`x${i}`) & 63) === 7) crafted.push(`x${i}`);
    const policy = tokenBucket({ maxTokens: 2, fillIntervalMs: 100 });
    const l = createKeyedLimiter({ policy, maxKeys: 40, sweepPerCall: 0 });
    for (const k of crafted) expect(l.take(k, 0).remaining).toBe(1);
    for (const k of crafted) expect(l.take(k, 0).remaining).toBe(0);
    for (const k of crafted) expect(l.take(k, 0).kind).toBe('limited');
    expect(l.size).toBe(40);
    expect(l.evictions).toBe(0);
    expect(l.delete(crafted[39] as string)).toBe(true);
    expect(l.delete(crafted[0] as string)).toBe(true);
    expect(l.size).toBe(38);
    expect(l.take(crafted[39] as string, 0).remaining).toBe(1);
    // Later, every bucket is full again and a sweeping limiter forgets them all (overflow included).
    const s = createKeyedLimiter({ policy, maxKeys: 40 });
    for (const k of crafted) s.take(k, 0);
    for (let i = 0; i < 300; i++) s.take('hot', 1000 + i);
    expect(s.size).toBeLessThanOrEqual(1);
  });
});
