/** The fake clock: time moves only when a test advances it, and timers fire in order. */

import { SwitchyardError, type Cancel, type Clock } from '@switchyard/core';

/** Options of {@link createTestClock}. */
export interface TestClockOptions {
  /** Initial monotonic time in ms (default 0). */
  readonly now?: number;
  /** Wall-clock epoch ms at the initial instant (default 2026-01-01T00:00:00Z). */
  readonly wallNow?: number;
}

/** A {@link Clock} that only moves when a test tells it to. */
export interface TestClock extends Clock {
  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, each at its own
   * instant (so `now()` inside a callback is its due time). Timers due at the same instant fire
   * in the order they were set; timers set by callbacks fire too if they fall within the window.
   */
  advance(ms: number): void;
  /**
   * Like {@link TestClock.advance}, but lets promise continuations run after each timer (and
   * before the first), so async code that reacts to a timer and sets another one sees the
   * right `now()`. Use it whenever the code under test awaits.
   */
  advanceAsync(ms: number): Promise<void>;
  /** Moves time to the next due timer and fires it (and its same-instant peers); false if none. */
  runNext(): boolean;
  /**
   * Moves time to the earliest timer and fires that one timer only; false if none. A driver
   * that lets promises settle between timers (as `runLoad` does) uses it, so that two timers
   * at the same instant each see the other's effects in order.
   */
  step(): boolean;
  /**
   * Fires timers until none are left, moving time forward as needed. Throws
   * `SY_TIMER_LOOP` after `loopLimit` timers (default 10 000): a timer that re-arms forever.
   */
  runAll(options?: { loopLimit?: number }): void;
  /** Number of timers waiting. */
  pending(): number;
}

interface Timer {
  readonly at: number;
  readonly seq: number;
  /** Dropped on cancel, so a cancelled timer no longer keeps its closure (and all it holds) alive. */
  fn: (() => void) | undefined;
  cancelled: boolean;
}

/**
 * Creates a test clock. Nothing global is patched: pass it where a `Clock` is expected.
 *
 * @example
 * ```ts
 * import { createTestClock } from '@switchyard/testing';
 * const clock = createTestClock();
 * const fired: number[] = [];
 * clock.setTimer(100, () => fired.push(clock.now()));
 * clock.advance(250);
 * fired; // [100]
 * clock.now(); // 250
 * ```
 */
export function createTestClock(options: TestClockOptions = {}): TestClock {
  let now = options.now ?? 0;
  const origin = now;
  const wallOrigin = options.wallNow ?? Date.UTC(2026, 0, 1);
  let seq = 0;
  // A binary min-heap ordered by (at, seq): same-instant timers fire in insertion order.
  // Cancelled timers stay in it until they surface (or a compaction drops them): removing one
  // from the middle would cost a search; `live` counts the others for `pending()`.
  const heap: Timer[] = [];
  let live = 0;

  const less = (a: Timer, b: Timer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);
  const siftUp = (t: Timer, from: number): void => {
    let i = from;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p] as Timer;
      if (!less(t, parent)) break;
      heap[i] = parent;
      i = p;
    }
    heap[i] = t;
  };
  const siftDown = (t: Timer, from: number): void => {
    const n = heap.length;
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      let child = heap[l] as Timer;
      if (r < n && less(heap[r] as Timer, child)) {
        m = r;
        child = heap[r] as Timer;
      }
      if (!less(child, t)) break;
      heap[i] = child;
      i = m;
    }
    heap[i] = t;
  };
  const push = (t: Timer): void => {
    heap.push(t);
    siftUp(t, heap.length - 1);
  };
  const pop = (): Timer | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) siftDown(last, 0);
    return top;
  };
  // Drops cancelled timers once they are most of the heap (a request's deadline timer is
  // usually cancelled long before it is due): the heap stays proportional to the live timers.
  const compact = (): void => {
    let k = 0;
    for (let i = 0; i < heap.length; i++) {
      const t = heap[i] as Timer;
      if (!t.cancelled) heap[k++] = t;
    }
    heap.length = k;
    for (let i = (k >> 1) - 1; i >= 0; i--) siftDown(heap[i] as Timer, i);
  };
  const peek = (): Timer | undefined => {
    while (heap.length > 0 && (heap[0] as Timer).cancelled) pop();
    return heap[0];
  };
  const fireNextUpTo = (limit: number): boolean => {
    const t = peek();
    if (t === undefined || t.at > limit) return false;
    pop();
    if (t.at > now) now = t.at;
    const fn = t.fn as () => void;
    t.cancelled = true;
    t.fn = undefined;
    live--;
    fn();
    return true;
  };
  const checkMs = (ms: number): void => {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new SwitchyardError('SY_INVALID_ARGUMENT', `advance(ms): ms must be a finite number >= 0, got ${ms}`);
  };
  const flush = async (): Promise<void> => {
    // Enough turns for a chain of awaits (transport → balancer → gateway → adapter) to settle.
    for (let i = 0; i < 64; i++) await Promise.resolve();
  };

  const clock: TestClock = {
    now: () => now,
    wallNow: () => wallOrigin + (now - origin),
    setTimer(ms: number, fn: () => void): Cancel {
      const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
      const timer: Timer = { at: now + delay, seq: seq++, fn, cancelled: false };
      push(timer);
      live++;
      return () => {
        if (timer.cancelled) return;
        timer.cancelled = true;
        timer.fn = undefined;
        live--;
        if (heap.length > 64 && live < heap.length >> 1) compact();
      };
    },
    advance(ms: number): void {
      checkMs(ms);
      const target = now + ms;
      while (fireNextUpTo(target));
      now = target;
    },
    async advanceAsync(ms: number): Promise<void> {
      checkMs(ms);
      const target = now + ms;
      await flush();
      while (fireNextUpTo(target)) await flush();
      now = target;
      await flush();
    },
    runNext(): boolean {
      const t = peek();
      if (t === undefined) return false;
      const at = t.at;
      while (fireNextUpTo(at));
      return true;
    },
    step(): boolean {
      const t = peek();
      return t !== undefined && fireNextUpTo(t.at);
    },
    runAll(opts: { loopLimit?: number } = {}): void {
      const limit = opts.loopLimit ?? 10_000;
      let fired = 0;
      while (fireNextUpTo(Number.POSITIVE_INFINITY)) {
        if (++fired > limit) throw new SwitchyardError('SY_TIMER_LOOP', `runAll: more than ${limit} timers fired; a timer keeps re-arming itself`);
      }
    },
    pending(): number {
      return live;
    },
  };
  return clock;
}
