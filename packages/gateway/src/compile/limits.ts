/**
 * Compiles the named `limits` into the limiter's rules: rate policies (token bucket, GCRA,
 * sliding window, tiers) and what each limit counts per (client IP, route, header, API key,
 * attribute, the caller's identity).
 */
import type { ConfigIssue } from '@switchyard/core';
import { gcra, keys, slidingWindow, tiers, tokenBucket, type createClientIdentity, type LimitKeySource, type LimitRule, type RatePolicy } from '@switchyard/limiter';
import type { LimitConfig, LimitKey, RatePolicyConfig } from '../config.js';
import { identityKey } from '../pipeline.js';
import { keyPath, within } from './issue-paths.js';

/** A limit's keys as a list (`key` is one key or an array of them). */
export function limitKeys(limit: LimitConfig): readonly LimitKey[] {
  return Array.isArray(limit.key) ? (limit.key as readonly LimitKey[]) : [limit.key as LimitKey];
}

function ratePolicy(p: RatePolicyConfig, id: string): RatePolicy {
  if (p.algorithm === 'sliding-window') return slidingWindow({ id, limit: p.limit, windowMs: p.windowMs });
  const options = { id, maxTokens: p.maxTokens, fillIntervalMs: p.fillIntervalMs, ...(p.tokensPerFill !== undefined ? { tokensPerFill: p.tokensPerFill } : {}) };
  return p.algorithm === 'gcra' ? gcra(options) : tokenBucket(options);
}

function limitKey(k: LimitKey, identity: ReturnType<typeof createClientIdentity> | undefined, at: string, issues: ConfigIssue[]): LimitKeySource | undefined {
  if (k === 'route') return keys.route();
  if (k === 'global') return keys.global();
  if (k === 'client-ip') {
    if (identity === undefined) {
      issues.push({ path: at, message: "'client-ip' needs a top-level clientIdentity setting (trusted proxies or hops): never key on a spoofable header by accident" });
      return undefined;
    }
    return keys.clientIp(identity);
  }
  if ('header' in k) return keys.header(k.header);
  if ('apiKey' in k) return keys.apiKey(k.apiKey);
  if ('identity' in k) {
    const source = identityKey(k.identity);
    if (typeof source === 'string') {
      issues.push({ path: `${at}.identity`, message: source });
      return undefined;
    }
    return source;
  }
  return keys.attribute(k.attribute);
}
/** Compiles `limits.<name>` (at `at`); undefined when it has problems (reported to `issues`). */
export function compileLimit(name: string, limit: LimitConfig, at: string, issues: ConfigIssue[], identity: ReturnType<typeof createClientIdentity> | undefined): LimitRule | undefined {
  const before = issues.length;
  const list = limitKeys(limit);
  const sources = list.map((k, i) => limitKey(k, identity, Array.isArray(limit.key) ? `${at}.key[${i}]` : `${at}.key`, issues)).filter((s): s is LimitKeySource => s !== undefined);
  if ((limit.policy === undefined) === (limit.tiers === undefined)) issues.push({ path: at, message: 'give exactly one of policy and tiers' });
  let policy: LimitRule['policy'] | undefined;
  if (limit.policy !== undefined) policy = within(issues, `${at}.policy`, () => ratePolicy(limit.policy as RatePolicyConfig, name));
  if (limit.tiers !== undefined) {
    const t = limit.tiers;
    const policies: Record<string, RatePolicy> = {};
    for (const [tier, p] of Object.entries(t.policies)) {
      const compiled = within(issues, keyPath(`${at}.tiers.policies`, tier), () => ratePolicy(p, `${name}:${tier}`));
      if (compiled !== undefined) policies[tier] = compiled;
    }
    const attribute = t.attribute;
    if (attribute !== undefined) t.match?.forEach((m, i) => {
      if (!Object.prototype.hasOwnProperty.call(t.policies, m.tier)) issues.push({ path: `${at}.tiers.match[${i}].tier`, message: `unknown tier ${JSON.stringify(m.tier)}` });
    });
    // `attribute` is read first, then `match` (as documented): the limiter takes one selector,
    // so with both the rules are evaluated here, with the limiter's semantics (first rule whose
    // attributes and headers all equal).
    const rules = (t.match ?? []).map((m) => ({ tier: m.tier, attributes: Object.entries(m.attributes ?? {}), headers: Object.entries(m.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const) }));
    const byAttribute = (req: Parameters<NonNullable<Parameters<typeof tiers>[0]['select']>>[0]): string | undefined =>
      attribute !== undefined && typeof req.attributes[attribute] === 'string' ? (req.attributes[attribute] as string) : undefined;
    const select =
      attribute === undefined
        ? undefined
        : (req: Parameters<typeof byAttribute>[0]): string | undefined => {
            const fromAttribute = byAttribute(req);
            if (fromAttribute !== undefined) return fromAttribute;
            for (const r of rules) if (r.attributes.every(([k, v]) => req.attributes[k] === v) && r.headers.every(([k, v]) => req.headers[k] === v)) return r.tier;
            return undefined;
          };
    policy = within(issues, `${at}.tiers`, () =>
      tiers({
        policies,
        ...(select !== undefined ? { select } : t.match !== undefined ? { match: t.match } : {}),
        ...(t.default !== undefined ? { default: t.default } : {}),
      }),
    );
  }
  if (issues.length > before || policy === undefined) return undefined;
  return {
    name,
    key: sources.length === 1 ? (sources[0] as LimitKeySource) : keys.all(...sources),
    policy,
    ...(limit.cost !== undefined ? { cost: limit.cost } : {}),
    ...(limit.mode !== undefined ? { mode: limit.mode } : {}),
    // Unset: the key's default (`deny` when it includes client-ip: keys.clientIp fails closed).
    ...(limit.onMissingKey !== undefined ? { onMissingKey: limit.onMissingKey } : {}),
  };
}
