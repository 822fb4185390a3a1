/**
 * Rate-limit response headers: the IETF fields (draft-ietf-httpapi-ratelimit-headers:
 * `RateLimit-Policy: "name";q=100;w=60` and `RateLimit: "name";r=42;t=7`), the legacy
 * `X-RateLimit-Limit/Remaining/Reset` (draft-03, what Envoy's `enable_x_ratelimit_headers`
 * sends) and, on 429, `Retry-After` in whole seconds rounded up (never milliseconds:
 * @fastify/rate-limit #301).
 */
import { formatRetryAfter } from '@switchyard/core';
import type { LimitDecision } from './decision.js';
import type { RatePolicy } from './policy.js';

/** Which header families to emit. */
export type HeaderStyle = 'ietf' | 'legacy' | 'both' | 'none';

/** Options of {@link rateLimitHeaders}. */
export interface RateLimitHeaderOptions {
  /** Default `both`. */
  readonly style?: HeaderStyle;
  /** The policy name in the IETF fields (default the policy id). */
  readonly name?: string;
}

/**
 * Response headers for one decision. Lower-case names; merge them into your response.
 *
 * @example
 * ```ts
 * import { rateLimitHeaders, take, tokenBucket } from '@switchyard/limiter';
 * const policy = tokenBucket({ id: 'free', maxTokens: 100, tokensPerFill: 100, fillIntervalMs: 60_000 });
 * rateLimitHeaders(take(undefined, 1, 0, policy), policy);
 * // { 'ratelimit-policy': '"free";q=100;w=60', ratelimit: '"free";r=99;t=1',
 * //   'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '99', 'x-ratelimit-reset': '1' }
 * ```
 */
export function rateLimitHeaders(decision: LimitDecision, policy: RatePolicy, options: RateLimitHeaderOptions = {}): Record<string, string> {
  const style = options.style ?? 'both';
  const out: Record<string, string> = {};
  const reset = seconds(decision.resetAfterMs, policy.windowMs);
  if (style === 'ietf' || style === 'both') {
    const name = sfString(options.name ?? policy.id);
    out['ratelimit-policy'] = `${name};q=${policy.maxTokens};w=${Math.max(1, Math.ceil(policy.windowMs / 1000))}`;
    out['ratelimit'] = `${name};r=${decision.remaining};t=${reset}`;
  }
  if (style === 'legacy' || style === 'both') {
    out['x-ratelimit-limit'] = String(policy.maxTokens);
    out['x-ratelimit-remaining'] = String(decision.remaining);
    out['x-ratelimit-reset'] = String(reset);
  }
  if (decision.kind === 'limited') out['retry-after'] = retryAfterValue(decision.retryAfterMs, policy);
  return out;
}

/**
 * `Retry-After` for a limited decision: whole seconds, rounded up. A cost larger than the
 * bucket never fits (`retryAfterMs` is `Infinity`): the header then says one window.
 */
export function retryAfterValue(retryAfterMs: number, policy: RatePolicy): string {
  return formatRetryAfter(Number.isFinite(retryAfterMs) ? retryAfterMs : policy.windowMs);
}

function seconds(ms: number, fallbackMs: number): number {
  const v = Number.isFinite(ms) ? ms : fallbackMs;
  return v > 0 ? Math.ceil(v / 1000) : 0;
}

/** A structured-field string (RFC 8941): quoted, with `"` and `\` escaped. */
function sfString(s: string): string {
  // Nothing to escape (the usual case): no regex, no callback.
  if (s.indexOf('"') < 0 && s.indexOf('\\') < 0) return `"${s}"`;
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
