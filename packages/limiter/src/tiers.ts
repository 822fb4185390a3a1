/**
 * Tiers: the policy is chosen per request (the Zuplo pattern: free 100/min, enterprise
 * 5 000/min), by a function or by matching request attributes and headers. Each tier's policy
 * keeps its own id, so the store keeps its own window per tier (express-rate-limit #122).
 */
import { ConfigError, type SyRequest } from '@switchyard/core';
import type { RatePolicy } from './policy.js';

/** Picks the policy for a request; `undefined` = this limit does not apply. */
export type PolicyResolver = (req: SyRequest) => RatePolicy | undefined;

/** A matching rule: every listed attribute and header must equal the value. */
export interface TierMatch {
  readonly tier: string;
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Options of {@link tiers}. */
export interface TierOptions {
  readonly policies: Readonly<Record<string, RatePolicy>>;
  /** Chooses the tier by function... */
  readonly select?: (req: SyRequest) => string | undefined;
  /** ...or by the first matching rule. */
  readonly match?: readonly TierMatch[];
  /** Tier when nothing selects one (omit to skip the limit). */
  readonly default?: string;
}

/**
 * Compiles a tier table into a {@link PolicyResolver}.
 *
 * @example
 * ```ts
 * import { tiers, tokenBucket } from '@switchyard/limiter';
 * const plan = tiers({
 *   policies: {
 *     free: tokenBucket({ id: 'free', maxTokens: 100, tokensPerFill: 100, fillIntervalMs: 60_000 }),
 *     enterprise: tokenBucket({ id: 'enterprise', maxTokens: 5000, tokensPerFill: 5000, fillIntervalMs: 60_000 }),
 *   },
 *   match: [{ tier: 'enterprise', attributes: { plan: 'enterprise' } }],
 *   default: 'free',
 * });
 * ```
 */
export function tiers(options: TierOptions): PolicyResolver {
  const issues: Array<{ path: string; message: string }> = [];
  const known = (t: string): boolean => Object.prototype.hasOwnProperty.call(options.policies, t);
  if (options.default !== undefined && !known(options.default)) issues.push({ path: 'default', message: `unknown tier ${JSON.stringify(options.default)}` });
  options.match?.forEach((m, i) => {
    if (!known(m.tier)) issues.push({ path: `match[${i}].tier`, message: `unknown tier ${JSON.stringify(m.tier)}` });
  });
  if (options.select !== undefined && options.match !== undefined) issues.push({ path: 'select', message: 'give select or match, not both' });
  if (issues.length > 0) throw new ConfigError(issues);
  const policies = new Map(Object.entries(options.policies));
  const rules = (options.match ?? []).map((m) => ({
    tier: m.tier,
    attributes: Object.entries(m.attributes ?? {}),
    headers: Object.entries(m.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const),
  }));
  const select = options.select;
  const fallback = options.default;
  return (req) => {
    let tier: string | undefined;
    if (select !== undefined) tier = select(req);
    else {
      for (const r of rules) {
        if (r.attributes.every(([k, v]) => req.attributes[k] === v) && r.headers.every(([k, v]) => req.headers[k] === v)) {
          tier = r.tier;
          break;
        }
      }
    }
    return policies.get(tier ?? fallback ?? '') ?? (fallback === undefined ? undefined : policies.get(fallback));
  };
}
