import type { Cancel, Clock } from './clock.js';

interface TimerHandle {
  unref?: () => void;
}
interface TimerGlobals {
  performance?: { now(): number };
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock: `performance.now()` for monotonic time, `Date.now()` for wall time,
 * `setTimeout` for timers (unref'd on Node so a gateway's timers never hold a process open).
 * Works on Node, Bun, Deno and edge workers.
 */
export const systemClock: Clock = Object.freeze({
  now(): number {
    const g = globalThis as unknown as TimerGlobals;
    return g.performance ? g.performance.now() : Date.now();
  },
  wallNow(): number {
    return Date.now();
  },
  setTimer(ms: number, fn: () => void): Cancel {
    const g = globalThis as unknown as TimerGlobals;
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const handle = g.setTimeout(fn, delay);
    const h = handle as TimerHandle | null;
    if (h !== null && typeof h === 'object' && typeof h.unref === 'function') h.unref();
    return () => g.clearTimeout(handle);
  },
});
