/**
 * Client-side adaptive throttling, from Google's *Site Reliability Engineering* book, ch. 21
 * ("Handling Overload"): a client tracks, over a trailing window (2 minutes in the book),
 * `requests` (attempted by the application, including those throttled locally) and `accepts`
 * (answered by the backend without an overload rejection), and rejects locally with
 * probability `max(0, (requests − K·accepts) / (requests + 1))`. K = 2 lets the backend see
 * about twice the traffic it accepts; K closer to 1 sheds sooner.
 *
 * Counts live in `bucketCount` slots rotated lazily from `now` (no timer).
 */
import type { Rng } from '@switchyard/core';

/** Options of {@link createAdaptiveThrottle}. */
export interface AdaptiveThrottleOptions {
  /** The multiplier K (default 2; must be ≥ 1). */
  readonly k?: number;
  /** Trailing window in ms (default 120 000). */
  readonly windowMs?: number;
  /** Slots the window is divided into (default 12). */
  readonly bucketCount?: number;
}

/** The throttle's answer for one request. */
export type ThrottleDecision = { readonly kind: 'send'; readonly probability: number } | { readonly kind: 'throttled'; readonly probability: number };

/** A client-side throttle for one backend. */
export interface AdaptiveThrottle {
  /** Counts a request and decides locally whether to send it. */
  admit(now: number, rng: Rng): ThrottleDecision;
  /** Observes the backend's answer for a sent request: `accepted` = not an overload rejection. */
  observe(now: number, accepted: boolean): void;
  /** @deprecated Use {@link AdaptiveThrottle.observe} (the same function): feedback is `observe` across switchyard. */
  record(now: number, accepted: boolean): void;
  /** The current local rejection probability. */
  probability(now: number): number;
}

/**
 * Creates an adaptive throttle.
 *
 * @example
 * ```ts
 * import { createAdaptiveThrottle } from '@switchyard/limiter';
 * import { systemClock, systemRng } from '@switchyard/core';
 * const throttle = createAdaptiveThrottle({ k: 2 });
 * const d = throttle.admit(systemClock.now(), systemRng);
 * if (d.kind === 'send') {
 *   const res = await fetch(url);
 *   throttle.observe(systemClock.now(), res.status !== 429 && res.status !== 503);
 * }
 * ```
 */
export function createAdaptiveThrottle(options: AdaptiveThrottleOptions = {}): AdaptiveThrottle {
  const k = Math.max(1, options.k ?? 2);
  const windowMs = Math.max(1, options.windowMs ?? 120_000);
  const n = Math.max(1, Math.floor(options.bucketCount ?? 12));
  const slotMs = windowMs / n;
  const requests = new Float64Array(n);
  const accepts = new Float64Array(n);
  let slotIndex = 0;
  let slotStart = -Infinity;
  let totalRequests = 0;
  let totalAccepts = 0;

  function rotate(now: number): void {
    const start = Math.floor(now / slotMs) * slotMs;
    if (start <= slotStart) return;
    const steps = slotStart === -Infinity ? n : Math.min(n, Math.round((start - slotStart) / slotMs));
    for (let i = 0; i < steps; i++) {
      slotIndex = (slotIndex + 1) % n;
      totalRequests -= requests[slotIndex] as number;
      totalAccepts -= accepts[slotIndex] as number;
      requests[slotIndex] = 0;
      accepts[slotIndex] = 0;
    }
    slotStart = start;
  }

  function probability(now: number): number {
    rotate(now);
    return Math.max(0, (totalRequests - k * totalAccepts) / (totalRequests + 1));
  }

  function observe(now: number, accepted: boolean): void {
    rotate(now);
    if (!accepted) return;
    accepts[slotIndex] = (accepts[slotIndex] as number) + 1;
    totalAccepts++;
  }

  return {
    admit(now, rng) {
      const p = probability(now);
      requests[slotIndex] = (requests[slotIndex] as number) + 1;
      totalRequests++;
      return rng.next() < p ? { kind: 'throttled', probability: p } : { kind: 'send', probability: p };
    },
    observe,
    record: observe,
    probability,
  };
}
