/**
 * The three algorithms as steps over three float64 slots at `o` in a shared array, so the
 * pure `take` functions and the keyed limiter (columnar storage, no object per key) run the
 * same code.
 *
 * Token bucket and GCRA keep their numbers *scaled* so that integer clocks give exact integer
 * arithmetic (and GCRA and the bucket agree bit for bit):
 *   token bucket: s[o] = tokens × fillIntervalMs, s[o+1] = last update (ms);
 *                 refill is elapsed × tokensPerFill, a request of cost c needs c × fillIntervalMs.
 *   GCRA:         s[o] = theoretical arrival time × tokensPerFill; the tolerance is
 *                 maxTokens × fillIntervalMs and the increment c × fillIntervalMs.
 *   sliding:      s[o] = window start (ms), s[o+1] = current count, s[o+2] = previous count.
 */
import type { LimitDecision } from '../decision.js';
import type { RatePolicy } from '../policy.js';

/** Most slots any algorithm uses. */
export const WIDTH = 3;

/** Slots `p`'s algorithm uses (GCRA 1, token bucket 2, sliding window 3): packed storage sizes rows by it. */
export function widthOf(p: RatePolicy): number {
  return p.algorithm === 'gcra' ? 1 : p.algorithm === 'token-bucket' ? 2 : 3;
}

/** Writes a fresh (full) state: only the {@link widthOf} slots are touched. */
export function initSlots(s: Float64Array, o: number, now: number, p: RatePolicy): void {
  switch (p.algorithm) {
    case 'token-bucket':
      s[o] = p.maxTokens * p.fillIntervalMs;
      s[o + 1] = now;
      return;
    case 'gcra':
      s[o] = -Infinity;
      return;
    case 'sliding-window':
      s[o] = Math.floor(now / p.windowMs) * p.windowMs;
      s[o + 1] = 0;
      s[o + 2] = 0;
      return;
  }
}

export function stepSlots(s: Float64Array, o: number, cost: number, now: number, p: RatePolicy): LimitDecision {
  switch (p.algorithm) {
    case 'token-bucket':
      return bucketStep(s, o, cost, now, p);
    case 'gcra':
      return gcraStep(s, o, cost, now, p);
    case 'sliding-window':
      return windowStep(s, o, cost, now, p);
  }
}

/** The step of `p`'s algorithm, chosen once (hot loops then skip the dispatch). */
export function stepFor(p: RatePolicy): (s: Float64Array, o: number, cost: number, now: number, p: RatePolicy) => LimitDecision {
  switch (p.algorithm) {
    case 'token-bucket':
      return bucketStep;
    case 'gcra':
      return gcraStep;
    case 'sliding-window':
      return windowStep;
  }
}

/** True when the state is indistinguishable from a fresh one at `now` (safe to drop). */
export function isIdle(s: Float64Array, o: number, now: number, p: RatePolicy): boolean {
  switch (p.algorithm) {
    case 'token-bucket':
      return (s[o] as number) + (now - (s[o + 1] as number)) * p.tokensPerFill >= p.maxTokens * p.fillIntervalMs;
    case 'gcra':
      return (s[o] as number) <= now * p.tokensPerFill;
    case 'sliding-window':
      return now - (s[o] as number) >= 2 * p.windowMs || ((s[o + 1] as number) === 0 && ((s[o + 2] as number) === 0 || now - (s[o] as number) >= p.windowMs));
  }
}

/** Milliseconds until the state is idle at `now` (0 = idle): the eviction victim is the key closest to full. */
export function msUntilIdle(s: Float64Array, o: number, now: number, p: RatePolicy): number {
  if (isIdle(s, o, now, p)) return 0;
  switch (p.algorithm) {
    case 'token-bucket':
      return (p.maxTokens * p.fillIntervalMs - (s[o] as number) - Math.max(0, now - (s[o + 1] as number)) * p.tokensPerFill) / p.tokensPerFill;
    case 'gcra':
      return ((s[o] as number) - now * p.tokensPerFill) / p.tokensPerFill;
    case 'sliding-window':
      return (s[o] as number) + 2 * p.windowMs - now;
  }
}

function bucketStep(s: Float64Array, o: number, cost: number, now: number, p: RatePolicy): LimitDecision {
  const fi = p.fillIntervalMs;
  const tpf = p.tokensPerFill;
  const max = p.maxTokens * fi;
  let level = s[o] as number;
  const elapsed = now - (s[o + 1] as number);
  // A clock that steps back never drains the bucket; time only moves the level forward.
  if (elapsed > 0) {
    level = Math.min(max, level + elapsed * tpf);
    s[o + 1] = now;
  }
  const need = cost * fi;
  if (level >= need) {
    level -= need;
    s[o] = level;
    return { kind: 'allowed', limit: p.maxTokens, remaining: Math.floor(level / fi), resetAfterMs: (max - level) / tpf };
  }
  s[o] = level;
  return {
    kind: 'limited',
    limit: p.maxTokens,
    remaining: Math.floor(level / fi),
    resetAfterMs: (max - level) / tpf,
    retryAfterMs: need > max ? Infinity : (need - level) / tpf,
  };
}

function gcraStep(s: Float64Array, o: number, cost: number, now: number, p: RatePolicy): LimitDecision {
  const fi = p.fillIntervalMs;
  const tpf = p.tokensPerFill;
  const tolerance = p.maxTokens * fi;
  const nowS = now * tpf;
  const tat = Math.max(s[o] as number, nowS);
  const next = tat + cost * fi;
  if (next - nowS <= tolerance) {
    s[o] = next;
    const debt = next - nowS;
    return { kind: 'allowed', limit: p.maxTokens, remaining: Math.floor((tolerance - debt) / fi), resetAfterMs: debt / tpf };
  }
  const debt = tat - nowS;
  return {
    kind: 'limited',
    limit: p.maxTokens,
    remaining: Math.floor((tolerance - debt) / fi),
    resetAfterMs: debt / tpf,
    retryAfterMs: cost * fi > tolerance ? Infinity : (next - nowS - tolerance) / tpf,
  };
}

function windowStep(s: Float64Array, o: number, cost: number, now: number, p: RatePolicy): LimitDecision {
  const w = p.windowMs;
  const limit = p.maxTokens;
  const start = Math.floor(now / w) * w;
  let cur = s[o + 1] as number;
  let prev = s[o + 2] as number;
  const was = s[o] as number;
  if (start > was) {
    prev = start - was === w ? cur : 0;
    cur = 0;
    s[o] = start;
    s[o + 1] = 0;
    s[o + 2] = prev;
  } else if (start < was) {
    // The clock stepped back into an older window: count against the newest one we know.
  }
  const windowStart = Math.max(start, was);
  const elapsed = Math.max(0, now - windowStart);
  const estimate = (prev * (w - elapsed)) / w + cur;
  if (estimate + cost <= limit) {
    cur += cost;
    s[o + 1] = cur;
    return {
      kind: 'allowed',
      limit,
      remaining: Math.max(0, Math.floor(limit - estimate - cost)),
      resetAfterMs: windowStart + 2 * w - now,
    };
  }
  return {
    kind: 'limited',
    limit,
    remaining: Math.max(0, Math.floor(limit - estimate)),
    resetAfterMs: windowStart + (cur > 0 ? 2 * w : w) - now,
    retryAfterMs: windowRetry(windowStart, now, w, limit, cost, cur, prev),
  };
}

/** When will `estimate + cost ≤ limit` hold, assuming no other traffic? */
function windowRetry(start: number, now: number, w: number, limit: number, cost: number, cur: number, prev: number): number {
  if (cost > limit) return Infinity;
  const room = limit - cost - cur;
  if (room >= 0 && prev > 0) {
    const at = start + w * (1 - room / prev);
    return Math.max(0, Math.min(at, start + w) - now);
  }
  // Next window: the current count becomes the weighted previous one.
  const nextRoom = limit - cost;
  const at = start + w + (cur > 0 ? Math.max(0, w * (1 - nextRoom / cur)) : 0);
  return Math.max(0, at - now);
}
