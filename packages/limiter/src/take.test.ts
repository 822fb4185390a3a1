import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { take, type RateState } from './take.js';
import { gcra, slidingWindow, tokenBucket, type RatePolicy } from './policy.js';

const policyArb = fc.record({
  maxTokens: fc.integer({ min: 1, max: 50 }),
  tokensPerFill: fc.integer({ min: 1, max: 20 }),
  fillIntervalMs: fc.integer({ min: 50, max: 5000 }),
});
/** Arrivals: integer gaps (ms) and costs. */
const traceArb = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 400 }), cost: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 200 });

function run(policy: RatePolicy, trace: ReadonlyArray<{ gap: number; cost: number }>): Array<{ at: number; cost: number; allowed: boolean; remaining: number }> {
  let state: RateState | undefined;
  let now = 0;
  return trace.map(({ gap, cost }) => {
    now += gap;
    const r = take(state, cost, now, policy);
    state = r.state;
    return { at: now, cost, allowed: r.kind === 'allowed', remaining: r.remaining };
  });
}

describe('take - token bucket', () => {
  it('starts full, empties, then refills continuously', () => {
    const p = tokenBucket({ maxTokens: 2, tokensPerFill: 1, fillIntervalMs: 1000 });
    let r = take(undefined, 1, 0, p);
    expect(r).toMatchObject({ kind: 'allowed', remaining: 1, resetAfterMs: 1000 });
    r = take(r.state, 1, 0, p);
    expect(r).toMatchObject({ kind: 'allowed', remaining: 0, resetAfterMs: 2000 });
    r = take(r.state, 1, 0, p);
    expect(r).toMatchObject({ kind: 'limited', retryAfterMs: 1000 });
    r = take(r.state, 1, 500, p);
    expect(r).toMatchObject({ kind: 'limited', retryAfterMs: 500 });
    r = take(r.state, 1, 1000, p);
    expect(r).toMatchObject({ kind: 'allowed', remaining: 0 });
  });

  it('reports an infinite wait when the cost exceeds the capacity', () => {
    const p = tokenBucket({ maxTokens: 2, fillIntervalMs: 100 });
    expect(take(undefined, 3, 0, p)).toMatchObject({ kind: 'limited', retryAfterMs: Infinity });
  });

  it('never mutates the state it was given', () => {
    const p = tokenBucket({ maxTokens: 2, fillIntervalMs: 100 });
    const first = take(undefined, 1, 0, p).state;
    const copy = JSON.stringify(first);
    take(first, 1, 10, p);
    expect(JSON.stringify(first)).toBe(copy);
  });

  it('rejects fill intervals under 50 ms, as Envoy does', () => {
    expect(() => tokenBucket({ maxTokens: 1, fillIntervalMs: 10 })).toThrow(/fillIntervalMs/);
    expect(() => tokenBucket({ maxTokens: 0, tokensPerFill: -1, fillIntervalMs: 100 })).toThrow(/maxTokens[\s\S]*tokensPerFill/);
  });

  it('property - allowed cost in any interval of length T never exceeds burst + rate × T', () => {
    fc.assert(
      fc.property(policyArb, traceArb, (o, trace) => {
        const p = tokenBucket(o);
        const events = run(p, trace).filter((e) => e.allowed);
        for (let i = 0; i < events.length; i++) {
          let sum = 0;
          for (let j = i; j < events.length; j++) {
            sum += (events[j] as { cost: number }).cost;
            const t = (events[j] as { at: number }).at - (events[i] as { at: number }).at;
            if (sum > o.maxTokens + (o.tokensPerFill * t) / o.fillIntervalMs + 1e-9) return false;
          }
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  it('property - a bucket never holds more than its capacity, however long it idles', () => {
    fc.assert(
      fc.property(policyArb, traceArb, fc.integer({ min: 0, max: 10_000_000 }), (o, trace, idle) => {
        const p = tokenBucket(o);
        let state: RateState | undefined;
        let now = 0;
        for (const { gap, cost } of trace) {
          now += gap;
          const r = take(state, cost, now, p);
          if (r.remaining > o.maxTokens) return false;
          state = r.state;
        }
        // After idling, a burst of cost-1 takes admits exactly maxTokens.
        now += idle + o.fillIntervalMs * Math.ceil(o.maxTokens / o.tokensPerFill);
        let admitted = 0;
        for (let i = 0; i < o.maxTokens + 5; i++) {
          const r = take(state, 1, now, p);
          state = r.state;
          if (r.kind === 'allowed') admitted++;
        }
        return admitted === o.maxTokens;
      }),
      { numRuns: 1000 },
    );
  });
});

describe('take - GCRA', () => {
  it('property - GCRA and the token bucket make the same decisions on the same trace', () => {
    fc.assert(
      fc.property(policyArb, traceArb, (o, trace) => {
        const a = run(tokenBucket(o), trace);
        const b = run(gcra(o), trace);
        expect(b).toEqual(a);
      }),
      { numRuns: 3000 },
    );
  });

  it('linkerd shape - 10 rps with 1 s tolerance admits 10 at once then one per 100 ms', () => {
    const p = gcra({ maxTokens: 10, tokensPerFill: 10, fillIntervalMs: 1000 });
    const trace = [...Array.from({ length: 11 }, () => ({ gap: 0, cost: 1 })), { gap: 100, cost: 1 }, { gap: 0, cost: 1 }];
    expect(run(p, trace).map((e) => e.allowed)).toEqual([...Array<boolean>(10).fill(true), false, true, false]);
  });
});

describe('take - sliding window', () => {
  it('weights the previous window by its remaining overlap', () => {
    const p = slidingWindow({ limit: 10, windowMs: 60_000 });
    let state: RateState | undefined;
    for (let i = 0; i < 10; i++) state = take(state, 1, 30_000, p).state;
    expect(take(state, 1, 59_999, p).kind).toBe('limited');
    // At 90 s, half of the previous window still counts: 5 of 10 used.
    let r = take(state, 1, 90_000, p);
    expect(r).toMatchObject({ kind: 'allowed', remaining: 4 });
    for (let i = 0; i < 4; i++) r = take(r.state, 1, 90_000, p);
    r = take(r.state, 1, 90_000, p);
    expect(r.kind).toBe('limited');
    // The wait is until enough of the previous window has slid out (one request's worth: 6 s).
    expect(r.kind === 'limited' && r.retryAfterMs).toBe(6_000);
  });

  it('property - never more than the limit within one aligned window, and never twice the limit in any window-length interval', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 100, max: 5000 }), traceArb, (limit, windowMs, trace) => {
        const p = slidingWindow({ limit, windowMs });
        const events = run(p, trace).filter((e) => e.allowed);
        for (let i = 0; i < events.length; i++) {
          let inAligned = 0;
          let inAny = 0;
          const first = events[i] as { at: number };
          for (let j = i; j < events.length; j++) {
            const e = events[j] as { at: number; cost: number };
            if (e.at - first.at < windowMs) inAny += e.cost;
            if (Math.floor(e.at / windowMs) === Math.floor(first.at / windowMs)) inAligned += e.cost;
          }
          if (inAligned > limit || inAny > 2 * limit) return false;
        }
        return true;
      }),
      { numRuns: 1000 },
    );
  });
});
