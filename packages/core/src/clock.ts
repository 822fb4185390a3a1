/** The `Clock` contract: the only source of time (monotonic `now()`, `wallNow()`, timers). */

/** Cancels a timer scheduled with {@link Clock.setTimer}. Calling it twice is harmless. */
export type Cancel = () => void;

/**
 * The only source of time in switchyard.
 *
 * `now()` is monotonic milliseconds from an arbitrary origin: use it for every interval
 * (refill, decay, ejection, deadlines). `wallNow()` is Unix-epoch milliseconds: use it only
 * for headers (`Retry-After` HTTP-dates) and logs, never to measure an interval.
 *
 * Production code uses {@link systemClock}; tests use `createTestClock()` from
 * `@switchyard/testing`, which only moves when told to.
 *
 * @example
 * ```ts
 * import { systemClock } from '@switchyard/core';
 * const started = systemClock.now();
 * const cancel = systemClock.setTimer(100, () => console.log('100 ms later'));
 * cancel(); // never mind
 * ```
 */
export interface Clock {
  /** Monotonic milliseconds (fractional allowed), arbitrary origin. */
  now(): number;
  /** Wall-clock milliseconds since the Unix epoch. Headers and logs only. */
  wallNow(): number;
  /**
   * Runs `fn` once, `ms` milliseconds from now (negative or NaN treated as 0).
   * Returns a function that cancels it. Timers never keep a Node process alive.
   */
  setTimer(ms: number, fn: () => void): Cancel;
}
