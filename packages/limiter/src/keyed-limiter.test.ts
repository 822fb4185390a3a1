import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createKeyedLimiter } from './keyed-limiter.js';
import { gcra, slidingWindow, tokenBucket } from './policy.js';
import { take, type RateState } from './take.js';
import { hashKey, homeRow } from './internal/hash.js';
import type { RatePolicy } from './policy.js';

interface Step {
  readonly key: number;
  readonly gap: number;
  readonly cost?: number;
  /** Delete the key first; `thenTake` says whether the step still takes. */
  readonly del?: boolean;
}

/**
 * Replays `trace` on `keyed` and on the pure `take` over a Map model; returns the model, or
 * undefined at the first decision (kind or remaining) that differs.
 */
function replayAgainstTake(keyed: ReturnType<typeof createKeyedLimiter>, policy: RatePolicy, trace: readonly Step[], thenTake: boolean): Map<number, RateState> | undefined {
  const states = new Map<number, RateState>();
  let now = 0;
  for (const { key, gap, cost = 1, del = false } of trace) {
    now += gap;
    if (del) {
      keyed.delete(String(key));
      states.delete(key);
      if (!thenTake) continue;
    }
    const a = keyed.take(String(key), now, cost);
    const b = take(states.get(key), cost, now, policy);
    states.set(key, b.state);
    if (a.kind !== b.kind || a.remaining !== b.remaining) return undefined;
  }
  return states;
}

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
        (policy, trace) => replayAgainstTake(createKeyedLimiter({ policy, maxKeys: 6 }), policy, trace, true) !== undefined,
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
          const states = replayAgainstTake(keyed, policy, trace, false);
          return states !== undefined && keyed.size <= states.size && keyed.evictions === 0;
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property - a hot key repeated, deleted and swept away keeps exact decisions (last-key shortcut)', () => {
    const policy = tokenBucket({ maxTokens: 3, tokensPerFill: 2, fillIntervalMs: 100 });
    fc.assert(
      fc.property(fc.array(fc.record({ key: fc.integer({ min: 0, max: 2 }), gap: fc.integer({ min: 0, max: 150 }), del: fc.integer({ min: 0, max: 4 }).map((x) => x === 0) }), { maxLength: 200 }), (trace) =>
        replayAgainstTake(createKeyedLimiter({ policy, sweepPerCall: 3 }), policy, trace, true) !== undefined,
      ),
      { numRuns: 500 },
    );
  });

  it('keeps exact decisions for crafted keys that all hash to one row (bounded probes, overflow)', () => {
    // 40 keys with one home row in the table of maxKeys 40 (54 rows: 40 at load 3/4).
    const crafted: string[] = [];
    for (let i = 0; crafted.length < 40; i++) if (homeRow(hashKey(`x${i}`), 54) === 7) crafted.push(`x${i}`);
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

  // Keys of every kind the packed table distinguishes: inline (1..28 Latin-1 characters), long
  // (29+ characters), non-Latin-1, empty, with NUL, and crafted to share one home row (some
  // overflow the 32-row probe bound), short and long.
  const sameHome = (prefix: string, n: number): string[] => {
    const out: string[] = [];
    for (let i = 0; out.length < n; i++) if (homeRow(hashKey(`${prefix}${i}`), 64) === 5) out.push(`${prefix}${i}`);
    return out;
  };
  const pool = [
    ...sameHome('c', 40),
    ...sameHome('l'.repeat(30), 6),
    'a',
    'a\u0000',
    '\u0000',
    '',
    'x'.repeat(28),
    'x'.repeat(29),
    'x'.repeat(27),
    'ÿ'.repeat(28),
    'é',
    'Ā',
    '日本',
    '\u{1F600}',
    '203.0.113.7/32',
    '2001:db8:abcd:1200::/56',
  ];
  const anyKey = fc.oneof(fc.constantFrom(...pool), fc.string({ maxLength: 32 }), fc.string({ maxLength: 32, unit: 'binary' }));

  it('property - the packed table holds exactly what a Map holds, for any mix of short, long, Unicode and colliding keys', () => {
    const policy = tokenBucket({ maxTokens: 3, tokensPerFill: 1, fillIntervalMs: 100 });
    fc.assert(
      fc.property(fc.array(fc.record({ key: anyKey, gap: fc.integer({ min: 0, max: 40 }), cost: fc.integer({ min: 1, max: 2 }), del: fc.boolean() }), { maxLength: 300 }), (trace) => {
        // No sweep and room for every key: the model is exact, size included.
        const keyed = createKeyedLimiter({ policy, maxKeys: 1000, sweepPerCall: 0 });
        const model = new Map<string, RateState>();
        let now = 0;
        for (const { key, gap, cost, del } of trace) {
          now += gap;
          if (del) {
            if (keyed.delete(key) !== model.delete(key)) return false;
          } else {
            const a = keyed.take(key, now, cost);
            const b = take(model.get(key), cost, now, policy);
            model.set(key, b.state);
            if (a.kind !== b.kind || a.remaining !== b.remaining || a.resetAfterMs !== b.resetAfterMs) return false;
          }
          if (keyed.size !== model.size) return false;
        }
        // Every key still held answers from its own state; a deleted one from a full bucket.
        for (const [key, state] of model) if (keyed.take(key, now).remaining !== take(state, 1, now, policy).remaining) return false;
        return keyed.evictions === 0;
      }),
      { numRuns: 400 },
    );
  });

  it('property - under eviction pressure every decision is its key own continuation or a fresh bucket, one per eviction', () => {
    // The clock stands still, so a decision's `remaining` is its bucket's whole state.
    const policy = tokenBucket({ maxTokens: 3, fillIntervalMs: 100 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.record({ key: anyKey, cost: fc.integer({ min: 1, max: 2 }) }), { maxLength: 300 }), (maxKeys, trace) => {
        const keyed = createKeyedLimiter({ policy, maxKeys });
        const model = new Map<string, RateState>();
        let restarts = 0;
        for (const { key, cost } of trace) {
          const a = keyed.take(key, 0, cost);
          const b = take(model.get(key), cost, 0, policy);
          if (a.kind === b.kind && a.remaining === b.remaining) model.set(key, b.state);
          else {
            const fresh = take(undefined, cost, 0, policy);
            if (a.kind !== fresh.kind || a.remaining !== fresh.remaining) return false;
            model.set(key, fresh.state);
            restarts++;
          }
          if (keyed.size > maxKeys) return false;
        }
        return restarts <= keyed.evictions;
      }),
      { numRuns: 400 },
    );
  });

  it('property - keys rebuilt per call, hot keys repeated and rows moved by the sweep still answer from their own bucket', () => {
    // Small tables, a 3-key pool so the same key comes twice in a row (the hot-key shortcut),
    // gaps that refill buckets so the default sweep drops rows and shifts others back.
    const policy = tokenBucket({ maxTokens: 3, tokensPerFill: 1, fillIntervalMs: 100 });
    fc.assert(
      fc.property(fc.array(fc.record({ n: fc.integer({ min: 0, max: 40 }), repeat: fc.integer({ min: 1, max: 3 }), gap: fc.integer({ min: 0, max: 150 }) }), { maxLength: 200 }), (trace) => {
        const keyed = createKeyedLimiter({ policy, maxKeys: 1000 });
        const model = new Map<string, RateState>();
        let now = 0;
        for (const { n, repeat, gap } of trace) {
          now += gap;
          for (let r = 0; r < repeat; r++) {
            const key = 'ip:' + String(n % (n > 20 ? 3 : 41)); // a fresh string object every call
            const a = keyed.take(key, now);
            const b = take(model.get(key), 1, now, policy);
            model.set(key, b.state);
            if (a.kind !== b.kind || a.remaining !== b.remaining) return false;
          }
        }
        return keyed.size <= model.size && keyed.evictions === 0;
      }),
      { numRuns: 300 },
    );
  });

  it('a hot key moved back by the sweep answers from its own bucket (the hot-key shortcut follows the move)', () => {
    // a and b share a home row (64-row table), so b sits right behind a. a refills to full and a
    // sweep drops it, shifting b back into a's row while b is the hot key (called every time).
    const [a, b] = sameHome('m', 2) as [string, string];
    const policy = tokenBucket({ maxTokens: 3, tokensPerFill: 1, fillIntervalMs: 100 });
    const l = createKeyedLimiter({ policy });
    l.take(a, 0);
    let state: RateState | undefined;
    let moved = -1;
    const check = (key: string, now: number) => {
      const got = l.take(key, now);
      const want = take(state, 1, now, policy);
      state = want.state;
      expect([got.kind, got.remaining]).toEqual([want.kind, want.remaining]);
    };
    // b is called every 10 ms: a token back every 100 ms keeps it drained but never idle.
    for (let call = 0; call < 300; call++) {
      check(b, call * 10);
      if (moved < 0 && l.size === 1) moved = call;
    }
    expect(moved).toBeGreaterThan(0);
    // Another key in between (the shortcut is left), then b again: found by its hash in its new row.
    l.take('other', 3000);
    for (let call = 300; call < 320; call++) check(b, call * 10);
  });

  it('keeps two keys apart when their whole 32-bit hashes collide, inline or long', () => {
    const policy = tokenBucket({ maxTokens: 2, fillIntervalMs: 1000 });
    for (const [a, b] of [
      ['k103921', 'k135502'],
      ['long-key-for-a-tenant-number-65912', 'long-key-for-a-tenant-number-104000'],
    ] as const) {
      expect(hashKey(a)).toBe(hashKey(b));
      const l = createKeyedLimiter({ policy, sweepPerCall: 0 });
      expect(l.take(a, 0, 2).remaining).toBe(0);
      expect(l.take(b, 0).remaining).toBe(1);
      expect(l.take(a, 0).kind).toBe('limited');
      expect(l.size).toBe(2);
      expect(l.delete(a)).toBe(true);
      expect(l.take(b, 0).remaining).toBe(0);
      expect(l.delete(a)).toBe(false);
    }
  });
});
