import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seededRng } from '@switchyard/testing';
import { createAdaptiveThrottle } from './adaptive-throttle.js';
import { aimdLimit, createConcurrencyLimiter, gradientLimit, vegasLimit, type ConcurrencyPermit, type Priority } from './concurrency-limit.js';

describe('createAdaptiveThrottle', () => {
  it('never throttles while the backend accepts everything', () => {
    const t = createAdaptiveThrottle({ k: 2 });
    const rng = seededRng(1);
    for (let i = 0; i < 1000; i++) {
      expect(t.admit(i, rng).kind).toBe('send');
      t.observe(i, true);
    }
    expect(t.probability(1000)).toBe(0);
  });

  it('rejects with probability (requests − K·accepts)/(requests + 1)', () => {
    const t = createAdaptiveThrottle({ k: 2, windowMs: 60_000 });
    const rng = seededRng(2);
    // 10 accepted, then 90 refused by the backend: (100 − 20)/(101).
    for (let i = 0; i < 100; i++) {
      t.admit(0, { next: () => 0.999999 });
      t.observe(0, i < 10);
    }
    expect(t.probability(0)).toBeCloseTo(80 / 101, 12);
    let throttled = 0;
    for (let i = 0; i < 1000; i++) if (t.admit(0, rng).kind === 'throttled') throttled++;
    expect(throttled).toBeGreaterThan(800);
  });

  it('forgets the overload once the window has passed', () => {
    const t = createAdaptiveThrottle({ k: 1.5, windowMs: 10_000, bucketCount: 10 });
    for (let i = 0; i < 50; i++) {
      t.admit(0, seededRng(i));
      t.observe(0, false);
    }
    expect(t.probability(5_000)).toBeGreaterThan(0.9);
    expect(t.probability(10_001)).toBe(0);
  });

  it('property - the probability stays in [0, 1) and is 0 when requests ≤ K·accepts', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 4, noNaN: true }), fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.boolean()), { maxLength: 300 }), (k, events) => {
        const t = createAdaptiveThrottle({ k, windowMs: 120_000 });
        let now = 0;
        let req = 0;
        let acc = 0;
        for (const [gap, ok] of events) {
          now += gap;
          t.admit(now, { next: () => 0.5 });
          req++;
          t.observe(now, ok);
          if (ok) acc++;
          const p = t.probability(now);
          if (!(p >= 0 && p < 1)) return false;
          if (req <= k * acc && p !== 0) return false;
        }
        return true;
      }),
      { numRuns: 500 },
    );
  });
});

describe('concurrency limits', () => {
  it('AIMD - grows by one while used, backs off multiplicatively on a drop', () => {
    const l = aimdLimit({ initialLimit: 10, backoffRatio: 0.5 });
    l.onSample({ rttMs: 5, inflight: 5, dropped: false });
    expect(l.limit).toBe(11);
    l.onSample({ rttMs: 5, inflight: 1, dropped: false });
    expect(l.limit).toBe(11);
    l.onSample({ rttMs: 5, inflight: 9, dropped: true });
    expect(l.limit).toBe(5);
  });

  it('gradient - shrinks when latency rises above its long-term average and recovers after', () => {
    const l = gradientLimit({ initialLimit: 100, minLimit: 5, maxLimit: 200 });
    for (let i = 0; i < 50; i++) l.onSample({ rttMs: 10, inflight: 100, dropped: false });
    const steady = l.limit;
    for (let i = 0; i < 30; i++) l.onSample({ rttMs: 100, inflight: 100, dropped: false });
    expect(l.limit).toBeLessThan(steady * 0.5);
    const low = l.limit;
    for (let i = 0; i < 200; i++) l.onSample({ rttMs: 10, inflight: l.limit, dropped: false });
    expect(l.limit).toBeGreaterThan(low);
  });

  it('vegas - grows while no queue builds, shrinks when RTT doubles', () => {
    const l = vegasLimit({ initialLimit: 20 });
    for (let i = 0; i < 5; i++) l.onSample({ rttMs: 10, inflight: 20, dropped: false });
    const grown = l.limit;
    expect(grown).toBeGreaterThan(20);
    for (let i = 0; i < 5; i++) l.onSample({ rttMs: 40, inflight: l.limit, dropped: false });
    expect(l.limit).toBeLessThan(grown);
  });

  it('priorities - sheddable is refused first and critical last', () => {
    const limiter = createConcurrencyLimiter({ limit: aimdLimit({ initialLimit: 10, minLimit: 10, maxLimit: 10 }) });
    const held: ConcurrencyPermit[] = [];
    const tryAcquire = (p: Priority) => {
      const r = limiter.acquire(0, p);
      if (r.kind === 'acquired') held.push(r);
      return r.kind;
    };
    for (let i = 0; i < 5; i++) expect(tryAcquire('sheddable')).toBe('acquired');
    expect(tryAcquire('sheddable')).toBe('limited');
    for (let i = 0; i < 4; i++) expect(tryAcquire('default')).toBe('acquired');
    expect(tryAcquire('default')).toBe('limited');
    expect(tryAcquire('critical')).toBe('acquired');
    expect(tryAcquire('critical')).toBe('limited');
    expect(limiter.inflight).toBe(10);
    held.forEach((p) => p.release(5, 'success'));
    held[0]?.release(5, 'success');
    expect(limiter.inflight).toBe(0);
  });

  it('property - in-flight never exceeds the limit, whatever the priorities and outcomes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ op: fc.constantFrom('acquire', 'release'), p: fc.constantFrom<Priority>('critical', 'default', 'sheddable'), outcome: fc.constantFrom<'success' | 'dropped'>('success', 'dropped') }), { maxLength: 300 }),
        (ops) => {
          const limiter = createConcurrencyLimiter({ limit: aimdLimit({ initialLimit: 8, minLimit: 2, maxLimit: 20 }) });
          const held: ConcurrencyPermit[] = [];
          let now = 0;
          for (const { op, p, outcome } of ops) {
            now++;
            if (op === 'acquire') {
              const before = limiter.limit;
              const r = limiter.acquire(now, p);
              if (r.kind === 'acquired') {
                held.push(r);
                if (limiter.inflight > Math.max(1, before)) return false;
              }
            } else held.shift()?.release(now, outcome);
          }
          return true;
        },
      ),
      { numRuns: 1000 },
    );
  });
});
