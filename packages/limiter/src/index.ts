/**
 * `@switchyard/limiter`: token bucket (Envoy) and GCRA (Linkerd) with the same decisions, a
 * sliding-window counter, a keyed limiter with bounded memory, per-request policies and tiers,
 * spoof-resistant client identity, IETF and legacy headers, client-side adaptive throttling
 * and adaptive concurrency limits. No dependencies besides `@switchyard/core`; no timers.
 *
 * @packageDocumentation
 */
export type { Allowed, Limited, LimitDecision, Decision, StoreFailure } from './decision.js';
export type { RateAlgorithm, RatePolicy, TokenBucketOptions, SlidingWindowOptions } from './policy.js';
export { tokenBucket, gcra, slidingWindow } from './policy.js';
export type { TokenBucketState, GcraState, SlidingWindowState, RateState, TakeResult } from './take.js';
export { take, tokensOf } from './take.js';
export type { KeyedLimiter, KeyedLimiterOptions } from './keyed-limiter.js';
export { createKeyedLimiter } from './keyed-limiter.js';
export type { LimiterStore, StoreTake, MemoryStore, MemoryStoreOptions } from './store.js';
export { createMemoryStore } from './store.js';
export { storageKey, MAX_KEY_LENGTH } from './storage-key.js';
export { sha256Hex } from './digest.js';
export type { TrustedProxies, ClientIdentityOptions, ClientIdentity, ClientIdentityResolver } from './client-ip.js';
export { createClientIdentity, forwardedFor } from './client-ip.js';
export type { LimitKeySource, KeySource, MissingKeyAction } from './descriptors.js';
export { keys } from './descriptors.js';
export type { PolicyResolver, TierMatch, TierOptions } from './tiers.js';
export { tiers } from './tiers.js';
export type { HeaderStyle, RateLimitHeaderOptions } from './headers.js';
export { rateLimitHeaders, retryAfterValue } from './headers.js';
export type { LimitRule, RateLimiterOptions, RuleDecision, RequestAllowed, RequestLimited, RequestDecision, RateLimiter } from './rate-limiter.js';
export { createRateLimiter } from './rate-limiter.js';
export type { AdaptiveThrottleOptions, ThrottleDecision, AdaptiveThrottle } from './adaptive-throttle.js';
export { createAdaptiveThrottle } from './adaptive-throttle.js';
export type {
  LimitSample,
  LimitAlgorithm,
  AimdOptions,
  GradientOptions,
  VegasOptions,
  Priority,
  ConcurrencyLimiterOptions,
  ConcurrencyPermit,
  ConcurrencyRefused,
  ConcurrencyLimiter,
} from './concurrency-limit.js';
export { aimdLimit, gradientLimit, vegasLimit, createConcurrencyLimiter } from './concurrency-limit.js';
