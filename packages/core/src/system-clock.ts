/**
 * The real clock: `performance.now()` for intervals, `Date.now()` for wall time, the runtime's
 * timers.
 */

import type { Cancel, Clock } from './clock.js';

interface TimerHandle {
  unref?: () => void;
}
interface TimerGlobals {
  performance?: { now(): number };
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const globals = globalThis as unknown as TimerGlobals;
/**
 * Resolved once: on Node `globalThis.performance` is an accessor, and going through it on every
 * reading costs more than the reading itself (the gateway reads the clock several times a request).
 */
const perf = globals.performance;
const monotonicNow: () => number = perf !== undefined && typeof perf.now === 'function' ? () => perf.now() : () => Date.now();

/**
 * The real clock: `performance.now()` for monotonic time, `Date.now()` for wall time,
 * `setTimeout` for timers (unref'd on Node so a gateway's timers never hold a process open).
 * Works on Node, Bun, Deno and edge workers.
 */
export const systemClock: Clock = Object.freeze({
  now: monotonicNow,
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
