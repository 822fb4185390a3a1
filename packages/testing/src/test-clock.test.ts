import { isSwitchyardError } from '@switchyard/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTestClock } from './test-clock.js';

/** A timer in a random schedule: when it fires it may set children and cancel another timer. */
interface Spec {
  readonly delay: number;
  readonly children: readonly number[];
  readonly cancels: number | undefined;
  readonly cancelledUpFront: boolean;
}
const spec: fc.Arbitrary<Spec> = fc.record({
  // Few distinct delays, so that same-instant timers are common.
  delay: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 200 }), fc.constant(-1)),
  children: fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 2 }),
  cancels: fc.option(fc.nat(40), { nil: undefined }),
  cancelledUpFront: fc.boolean(),
});

/** Reference semantics, deliberately naive: scan for the earliest (due, creation order). */
function reference(specs: readonly Spec[]): Array<[string, number]> {
  type T = { id: string; due: number; seq: number; children: readonly number[]; cancels: number | undefined; cancelled: boolean };
  let seq = 0;
  const timers: T[] = specs.map((s, i) => ({ id: `${i}`, due: Math.max(0, s.delay), seq: seq++, children: s.children, cancels: s.cancels, cancelled: false }));
  specs.forEach((s, i) => {
    if (s.cancelledUpFront) (timers[i] as T).cancelled = true;
  });
  const log: Array<[string, number]> = [];
  for (;;) {
    let next: T | undefined;
    for (const t of timers) if (!t.cancelled && (next === undefined || t.due < next.due || (t.due === next.due && t.seq < next.seq))) next = t;
    if (next === undefined) return log;
    next.cancelled = true;
    log.push([next.id, next.due]);
    const now = next.due;
    next.children.forEach((d, k) => timers.push({ id: `${next.id}.${k}`, due: now + d, seq: seq++, children: [], cancels: undefined, cancelled: false }));
    if (next.cancels !== undefined && next.cancels < specs.length) (timers[next.cancels] as T).cancelled = true;
  }
}

describe('createTestClock', () => {
  it('fires every timer exactly once, in time order, same-instant ones in insertion order, each at its due time', () => {
    fc.assert(
      fc.property(fc.array(spec, { maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 80 }), { maxLength: 10 }), (specs, advances) => {
        const clock = createTestClock();
        const log: Array<[string, number]> = [];
        const cancels: Array<() => void> = [];
        specs.forEach((s, i) => {
          cancels.push(
            clock.setTimer(s.delay, () => {
              log.push([`${i}`, clock.now()]);
              s.children.forEach((d, k) => clock.setTimer(d, () => log.push([`${i}.${k}`, clock.now()])));
              if (s.cancels !== undefined && s.cancels < specs.length) cancels[s.cancels]?.();
            }),
          );
        });
        specs.forEach((s, i) => {
          if (s.cancelledUpFront) cancels[i]?.();
        });
        let elapsed = 0;
        for (const a of advances) {
          clock.advance(a);
          elapsed += a;
          expect(clock.now()).toBe(elapsed);
          // Nothing due by now is left behind.
          expect(log.every(([, at]) => at <= elapsed)).toBe(true);
        }
        clock.runAll();
        expect(log).toEqual(reference(specs));
        expect(clock.pending()).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('fires same-instant timers in the order they were set', () => {
    const clock = createTestClock();
    const order: string[] = [];
    clock.setTimer(10, () => order.push('a'));
    clock.setTimer(5, () => clock.setTimer(5, () => order.push('c (set at 5 for 10)')));
    clock.setTimer(10, () => order.push('b'));
    clock.setTimer(0, () => order.push('zero'));
    clock.advance(10);
    expect(order).toEqual(['zero', 'a', 'b', 'c (set at 5 for 10)']);
  });

  it('treats negative and NaN delays as 0', () => {
    const clock = createTestClock({ now: 100 });
    const at: number[] = [];
    clock.setTimer(-5, () => at.push(clock.now()));
    clock.setTimer(Number.NaN, () => at.push(clock.now()));
    clock.advance(0);
    expect(at).toEqual([100, 100]);
  });

  it('runAll throws SY_TIMER_LOOP on a timer that re-arms forever', () => {
    const clock = createTestClock();
    const tick = (): void => void clock.setTimer(1, tick);
    tick();
    let err: unknown;
    try {
      clock.runAll({ loopLimit: 500 });
    } catch (e) {
      err = e;
    }
    expect(isSwitchyardError(err) && err.code).toBe('SY_TIMER_LOOP');
    expect(clock.now()).toBe(501);
    // A finite chain longer than the default limit is fine with a higher one.
    const c2 = createTestClock();
    let n = 0;
    const chain = (): void => {
      if (++n < 20_000) c2.setTimer(1, chain);
    };
    chain();
    c2.runAll({ loopLimit: 30_000 });
    expect(n).toBe(20_000);
  });

  it('advanceAsync lets awaiting code see the right now() after each timer', async () => {
    const clock = createTestClock();
    const sleep = (ms: number) => new Promise<void>((r) => clock.setTimer(ms, r));
    const seen: number[] = [];
    const task = (async () => {
      await sleep(10);
      seen.push(clock.now());
      await sleep(5);
      seen.push(clock.now());
      await sleep(100);
      seen.push(clock.now());
    })();
    await clock.advanceAsync(20);
    expect(seen).toEqual([10, 15]);
    expect(clock.now()).toBe(20);
    await clock.advanceAsync(95);
    await task;
    expect(seen).toEqual([10, 15, 115]);
  });

  it('advance (sync) does not wait for promise continuations: use advanceAsync for async code', () => {
    const clock = createTestClock();
    const seen: number[] = [];
    void (async () => {
      await new Promise<void>((r) => clock.setTimer(10, r));
      seen.push(clock.now());
      clock.setTimer(5, () => seen.push(clock.now()));
    })();
    clock.advance(20);
    expect(seen).toEqual([]);
  });

  it('runNext fires the next instant’s timers; step fires exactly one', () => {
    const clock = createTestClock();
    const fired: string[] = [];
    clock.setTimer(3, () => fired.push('a'));
    clock.setTimer(3, () => fired.push('b'));
    clock.setTimer(7, () => fired.push('c'));
    expect(clock.step()).toBe(true);
    expect(fired).toEqual(['a']);
    expect(clock.runNext()).toBe(true);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.runNext()).toBe(true);
    expect([fired, clock.now()]).toEqual([['a', 'b', 'c'], 7]);
    expect(clock.runNext()).toBe(false);
    expect(clock.step()).toBe(false);
  });

  it('cancel is idempotent and pending counts live timers only', () => {
    const clock = createTestClock();
    const cancel = clock.setTimer(1, () => {
      throw new Error('cancelled timer fired');
    });
    clock.setTimer(2, () => {});
    expect(clock.pending()).toBe(2);
    cancel();
    cancel();
    expect(clock.pending()).toBe(1);
    clock.advance(5);
    expect(clock.pending()).toBe(0);
  });

  it('wall time moves with monotonic time from the configured origin', () => {
    const clock = createTestClock({ now: 1000, wallNow: Date.UTC(2030, 0, 1) });
    clock.advance(1500);
    expect(clock.wallNow()).toBe(Date.UTC(2030, 0, 1) + 1500);
    expect(createTestClock().wallNow()).toBe(Date.UTC(2026, 0, 1));
  });

  it('with many timers cancelled (heap compaction), the rest fire in (due time, insertion) order and pending() counts them', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ delay: fc.integer({ min: 0, max: 50 }), cancel: fc.boolean() }), { minLength: 1, maxLength: 400 }), (specs) => {
        const clock = createTestClock();
        const fired: number[] = [];
        const cancels = specs.map((s, i) => clock.setTimer(s.delay, () => fired.push(i)));
        specs.forEach((s, i) => s.cancel && cancels[i]?.());
        const live = specs.map((s, i) => ({ ...s, i })).filter((s) => !s.cancel);
        expect(clock.pending()).toBe(live.length);
        clock.advance(100);
        expect(fired).toEqual([...live].sort((a, b) => a.delay - b.delay || a.i - b.i).map((s) => s.i));
        expect(clock.pending()).toBe(0);
      }),
    );
  });

  it('refuses to move backwards or by a non-finite amount', () => {
    const clock = createTestClock();
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => clock.advance(bad)).toThrow(expect.objectContaining({ code: 'SY_INVALID_ARGUMENT' }));
    }
  });
});
