/**
 * The pure transition: `take(state, cost, now, policy)` returns the decision and the next
 * state, never mutating its input. Refill and window rotation are computed lazily from `now`
 * (no timers). Buckets start full (Envoy: `max_tokens` is also the initial content).
 *
 * Token bucket: Envoy local rate limit's continuous refill (`AtomicTokenBucketImpl`).
 * GCRA: the Generic Cell Rate Algorithm (ATM Forum Traffic Management 4.0; Linkerd).
 * Sliding window: Cloudflare's sliding-window counter ("How we built rate limiting capable of
 * scaling to millions of domains", 2017).
 */
import type { LimitDecision } from './decision.js';
import { initSlots, stepSlots } from './internal/steps.js';
import type { RatePolicy } from './policy.js';

/** Token-bucket state. Tokens are kept × `fillIntervalMs` so integer clocks stay exact. */
export interface TokenBucketState {
  readonly algorithm: 'token-bucket';
  /** tokens × fillIntervalMs (see {@link tokensOf}). */
  readonly scaledTokens: number;
  readonly updatedAtMs: number;
}

/** GCRA state: the theoretical arrival time × `tokensPerFill` (`null` = never used). */
export interface GcraState {
  readonly algorithm: 'gcra';
  readonly tatScaled: number | null;
}

/** Sliding-window state: counts in the current and the previous window. */
export interface SlidingWindowState {
  readonly algorithm: 'sliding-window';
  readonly windowStartMs: number;
  readonly current: number;
  readonly previous: number;
}

/** Plain, JSON-serialisable state of one key under one policy. */
export type RateState = TokenBucketState | GcraState | SlidingWindowState;

/** A decision plus the state to keep for the next call. */
export type TakeResult = LimitDecision & { readonly state: RateState };

/**
 * Takes `cost` tokens at `now` (monotonic ms) from `state` (`undefined` = a fresh, full bucket).
 *
 * When to use: you keep state yourself (a Durable Object, a database row). For a map of keys
 * use {@link createKeyedLimiter}; for HTTP requests use {@link createRateLimiter}.
 * Gotcha: a `state` made under another algorithm is ignored (treated as fresh).
 *
 * @example
 * ```ts
 * import { take, tokenBucket } from '@switchyard/limiter';
 * const policy = tokenBucket({ maxTokens: 2, tokensPerFill: 1, fillIntervalMs: 1000 });
 * let r = take(undefined, 1, 0, policy);  // allowed, remaining 1
 * r = take(r.state, 1, 0, policy);         // allowed, remaining 0
 * r = take(r.state, 1, 0, policy);         // limited, retryAfterMs 1000
 * ```
 */
export function take(state: RateState | undefined, cost: number, now: number, policy: RatePolicy): TakeResult {
  const s = new Float64Array(3);
  if (state === undefined || state.algorithm !== policy.algorithm) initSlots(s, 0, now, policy);
  else load(s, state);
  const decision = stepSlots(s, 0, cost, now, policy);
  return { ...decision, state: save(s, policy) };
}

/** Whole tokens currently in a token-bucket state at `now` (refill included). */
export function tokensOf(state: TokenBucketState, now: number, policy: RatePolicy): number {
  const level = Math.min(policy.maxTokens * policy.fillIntervalMs, state.scaledTokens + Math.max(0, now - state.updatedAtMs) * policy.tokensPerFill);
  return Math.floor(level / policy.fillIntervalMs);
}

function load(s: Float64Array, state: RateState): void {
  switch (state.algorithm) {
    case 'token-bucket':
      s[0] = state.scaledTokens;
      s[1] = state.updatedAtMs;
      return;
    case 'gcra':
      s[0] = state.tatScaled ?? -Infinity;
      return;
    case 'sliding-window':
      s[0] = state.windowStartMs;
      s[1] = state.current;
      s[2] = state.previous;
      return;
  }
}

function save(s: Float64Array, policy: RatePolicy): RateState {
  switch (policy.algorithm) {
    case 'token-bucket':
      return { algorithm: 'token-bucket', scaledTokens: s[0] as number, updatedAtMs: s[1] as number };
    case 'gcra':
      return { algorithm: 'gcra', tatScaled: s[0] === -Infinity ? null : (s[0] as number) };
    case 'sliding-window':
      return { algorithm: 'sliding-window', windowStartMs: s[0] as number, current: s[1] as number, previous: s[2] as number };
  }
}
