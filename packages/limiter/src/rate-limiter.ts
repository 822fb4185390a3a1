/**
 * The request-level limiter: several limits per request (per user, per route, per IP…), each
 * with a descriptor and a policy resolved per request, consumed as Envoy's local rate limit
 * consumes descriptor buckets: **slowest fill rate first, stop at the first rejection, no
 * refund** of tokens already taken. Shadow limits report without rejecting.
 */
import { ConfigError, systemClock, type Clock, type SyRequest } from '@switchyard/core';
import type { LimitDecision } from './decision.js';
import type { LimitKeySource, MissingKeyAction } from './descriptors.js';
import { rateLimitHeaders, retryAfterValue, type HeaderStyle } from './headers.js';
import type { RatePolicy } from './policy.js';
import { createMemoryStore, type LimiterStore } from './store.js';
import type { PolicyResolver } from './tiers.js';

/** One limit. */
export interface LimitRule {
  /** Name in results and in the IETF headers (unique within a limiter). */
  readonly name: string;
  /** What the limit is counted per; what `undefined` from it does is {@link LimitRule.onMissingKey}. */
  readonly key: LimitKeySource;
  /**
   * A request the key source gives no key for: `'allow'` (the rule does not apply), `'deny'`
   * (refused: {@link RequestLimited} with `reason: 'missing-key'`) or `'shared'` (one bucket for
   * all such requests). Default: the key source's own (`'deny'` for `keys.clientIp` and
   * keys that include it), else `'allow'`.
   */
  readonly onMissingKey?: MissingKeyAction;
  /** A fixed policy, or a resolver (tiers). */
  readonly policy: RatePolicy | PolicyResolver;
  /** Tokens this request costs (default 1). */
  readonly cost?: number | ((req: SyRequest) => number);
  /** `shadow`: consume and report, never reject (default: the limiter's mode). */
  readonly mode?: 'enforce' | 'shadow';
}

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Namespace for the store keys: give every limiter its own (default `default`). */
  readonly id?: string;
  readonly rules: readonly LimitRule[];
  /** Default: a fresh {@link createMemoryStore} (per process). */
  readonly store?: LimiterStore;
  /** `shadow` reports what would be limited and lets everything through (default `enforce`). */
  readonly mode?: 'enforce' | 'shadow';
  readonly clock?: Clock;
  /** Response headers to produce (default `both`). */
  readonly headers?: HeaderStyle;
  /**
   * Remember each request object checked, so checking it twice (two middlewares, one limiter)
   * does not count it twice (express-rate-limit's ERR_ERL_DOUBLE_COUNT). Default true; the gateway
   * turns it off because it checks each request exactly once and the WeakMap costs a write per request.
   */
  readonly dedupeRequests?: boolean;
}

/** One rule's decision. */
export interface RuleDecision {
  readonly rule: string;
  readonly key: string;
  readonly policy: RatePolicy;
  readonly mode: 'enforce' | 'shadow';
  readonly decision: LimitDecision;
}

/** The request may proceed (possibly with shadow rules that would have limited it). */
export interface RequestAllowed {
  readonly kind: 'allowed';
  readonly decisions: readonly RuleDecision[];
  /** Shadow decisions that were `limited`: what enforcing would have rejected. */
  readonly shadowLimited: readonly RuleDecision[];
  /** True if any store failed and its fallback decided. */
  readonly storeFailed: boolean;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The request must be refused with `headers` (which include `Retry-After`): 429 for `reason`
 * `limit` and `missing-key`; `store-unavailable` is a shared store that failed with
 * `onStoreError: 'deny'`, which the gateway answers 503 `SY_STORE_UNAVAILABLE` (the limit was
 * not reached: the store could not tell).
 */
export interface RequestLimited {
  readonly kind: 'limited';
  /** Why: the bucket was empty (`limit`), the rule had no key and denies then (`missing-key`), or the store failed closed (`store-unavailable`). */
  readonly reason: 'limit' | 'missing-key' | 'store-unavailable';
  /** The rule that rejected. */
  readonly rule: string;
  readonly retryAfterMs: number;
  readonly decisions: readonly RuleDecision[];
  readonly shadowLimited: readonly RuleDecision[];
  readonly storeFailed: boolean;
  readonly headers: Readonly<Record<string, string>>;
}

export type RequestDecision = RequestAllowed | RequestLimited;

/** A compiled request limiter. */
export interface RateLimiter {
  readonly id: string;
  /**
   * Decides for one request. Calling it twice with the same request object returns the
   * first result without counting again (the double-count bug express-rate-limit detects).
   */
  check(req: SyRequest): Promise<RequestDecision>;
  /**
   * {@link RateLimiter.check} without the promise when it can: while every rule's store answers
   * synchronously (the in-memory store's `takeSync`) the decision itself is returned, else a
   * promise of it. For hot paths (the gateway's decide-only mode); same counting, same dedupe.
   * `now` is the caller's reading of the limiter's clock, when it has just taken one (the gateway
   * reads the clock once per request); default: the limiter reads it.
   */
  checkNow(req: SyRequest, now?: number): RequestDecision | Promise<RequestDecision>;
}

interface Resolved {
  readonly rule: string;
  /** `<limiter id>:<rule name>`, built once per rule. */
  readonly namespace: string;
  readonly key: string;
  readonly policy: RatePolicy;
  readonly cost: number;
  readonly mode: 'enforce' | 'shadow';
  /** No key, and the rule denies then: decided without the store. */
  readonly missing: boolean;
}

/**
 * Creates a request limiter.
 *
 * Gotcha: the default store is in memory, per process; pass `createRedisStore(...)` from
 * `@switchyard/redis` for a fleet-wide limit.
 *
 * @example
 * ```ts
 * import { createClientIdentity, createRateLimiter, keys, tiers, tokenBucket } from '@switchyard/limiter';
 * const limiter = createRateLimiter({
 *   id: 'api',
 *   rules: [
 *     { name: 'per-ip', key: keys.clientIp(createClientIdentity({ trustedHops: 1 })),
 *       policy: tokenBucket({ maxTokens: 50, tokensPerFill: 10, fillIntervalMs: 1000 }) },
 *   ],
 * });
 * const d = await limiter.check(req);
 * if (d.kind === 'limited') return { status: 429, headers: d.headers, body: null };
 * ```
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const issues: Array<{ path: string; message: string }> = [];
  const names = new Set<string>();
  options.rules.forEach((r, i) => {
    if (r.name === '' || names.has(r.name)) issues.push({ path: `rules[${i}].name`, message: 'must be non-empty and unique' });
    names.add(r.name);
    if (typeof r.cost === 'number' && !(r.cost > 0)) issues.push({ path: `rules[${i}].cost`, message: 'must be > 0' });
  });
  if (issues.length > 0) throw new ConfigError(issues);
  const id = options.id ?? 'default';
  const rules = Object.freeze([...options.rules]);
  const onMissing = rules.map((r) => r.onMissingKey ?? r.key.onMissingKey ?? 'allow');
  onMissing.forEach((m, i) => {
    if (m !== 'allow' && m !== 'deny' && m !== 'shared') issues.push({ path: `rules[${i}].onMissingKey`, message: "must be 'deny', 'allow' or 'shared'" });
  });
  if (issues.length > 0) throw new ConfigError(issues);
  const namespaces = rules.map((r) => `${id}:${r.name}`);
  const store = options.store ?? createMemoryStore();
  const clock = options.clock ?? systemClock;
  const defaultMode = options.mode ?? 'enforce';
  const style = options.headers ?? 'both';
  const seen = new WeakMap<SyRequest, RequestDecision | Promise<RequestDecision>>();
  const dedupe = options.dedupeRequests ?? true;

  /** Rule `i` for this request, or `undefined` when its key or policy resolver skips it. */
  function resolveRule(i: number, req: SyRequest): Resolved | undefined {
    const r = rules[i] as LimitRule;
    let key = r.key(req);
    let missing = false;
    if (key === undefined) {
      const action = onMissing[i] as MissingKeyAction;
      if (action === 'allow') return undefined;
      // 'shared': the bucket of the empty key; 'deny': refused below without asking the store.
      key = '';
      missing = action === 'deny';
    }
    const policy = typeof r.policy === 'function' ? r.policy(req) : r.policy;
    if (policy === undefined) return undefined;
    const cost = r.cost === undefined ? 1 : typeof r.cost === 'number' ? r.cost : r.cost(req);
    return { rule: r.name, namespace: namespaces[i] as string, key, policy, cost, mode: r.mode ?? defaultMode, missing };
  }

  function resolve(req: SyRequest): readonly Resolved[] {
    if (rules.length === 1) {
      // The usual route: one limit, an array literal (no push into an empty array to grow).
      const only = resolveRule(0, req);
      return only === undefined ? NOTHING : [only];
    }
    const out: Resolved[] = [];
    for (let i = 0; i < rules.length; i++) {
      const r = resolveRule(i, req);
      if (r !== undefined) out.push(r);
    }
    // Envoy: ascending fill rate, so the scarcest bucket is tried (and possibly rejects) first;
    // a rule that denies for want of a key goes before all, so it costs no other rule a token.
    if (out.length > 1) out.sort((a, b) => Number(b.missing) - Number(a.missing) || a.policy.ratePerMs - b.policy.ratePerMs);
    return out;
  }

  // Decisions of one request so far; the rules are consumed in order and stop at the first
  // enforced rejection. The lists start absent (most requests have one decision and no shadow).
  interface Progress {
    decisions: RuleDecision[] | undefined;
    shadowLimited: RuleDecision[] | undefined;
    storeFailed: boolean;
  }

  /** Records one rule's decision; returns the limited result if it rejects the request. */
  function record(p: Progress, r: Resolved, decision: LimitDecision): RequestLimited | undefined {
    const d: RuleDecision = { rule: r.rule, key: r.key, policy: r.policy, mode: r.mode, decision };
    if (p.decisions === undefined) p.decisions = [d];
    else p.decisions.push(d);
    if (decision.storeError !== undefined) p.storeFailed = true;
    if (decision.kind !== 'limited') return undefined;
    if (r.mode === 'shadow') {
      if (p.shadowLimited === undefined) p.shadowLimited = [d];
      else p.shadowLimited.push(d);
      return undefined;
    }
    const headers = { ...rateLimitHeaders(decision, r.policy, { style, name: r.rule }), 'retry-after': retryAfterValue(decision.retryAfterMs, r.policy) };
    const reason = r.missing ? 'missing-key' : decision.storeError?.fallback === 'deny' ? 'store-unavailable' : 'limit';
    return { kind: 'limited', reason, rule: r.rule, retryAfterMs: decision.retryAfterMs, decisions: p.decisions, shadowLimited: p.shadowLimited ?? NONE, storeFailed: p.storeFailed, headers };
  }

  function allowed(p: Progress): RequestAllowed {
    const decisions = p.decisions ?? NONE;
    return { kind: 'allowed', decisions, shadowLimited: p.shadowLimited ?? NONE, storeFailed: p.storeFailed, headers: headersFor(decisions, style) };
  }

  // Synchronous while the store answers synchronously (`takeSync`): an in-memory store costs
  // no promise per rule; the first `undefined` hands the rest of the rules to the async path.
  function decide(req: SyRequest, now: number): RequestDecision | Promise<RequestDecision> {
    const resolved = resolve(req);
    const p: Progress = { decisions: undefined, shadowLimited: undefined, storeFailed: false };
    if (store.takeSync !== undefined) {
      for (let i = 0; i < resolved.length; i++) {
        const r = resolved[i] as Resolved;
        const decision = r.missing ? missingKey(r.policy) : store.takeSync({ namespace: r.namespace, policy: r.policy, key: r.key, cost: r.cost, now });
        if (decision === undefined) return decideAsync(p, resolved, i, now);
        const limited = record(p, r, decision);
        if (limited !== undefined) return limited;
      }
      return allowed(p);
    }
    return decideAsync(p, resolved, 0, now);
  }

  async function decideAsync(p: Progress, resolved: readonly Resolved[], from: number, now: number): Promise<RequestDecision> {
    for (let i = from; i < resolved.length; i++) {
      const r = resolved[i] as Resolved;
      const decision = r.missing ? missingKey(r.policy) : await store.take({ namespace: r.namespace, policy: r.policy, key: r.key, cost: r.cost, now });
      const limited = record(p, r, decision);
      if (limited !== undefined) return limited;
    }
    return allowed(p);
  }

  /** `decide`, a throwing key function or store turned into a rejected promise (as `check` has always done). */
  function decideNow(req: SyRequest, now: number | undefined): RequestDecision | Promise<RequestDecision> {
    try {
      return decide(req, now ?? clock.now());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  function checkNow(req: SyRequest, now?: number): RequestDecision | Promise<RequestDecision> {
    if (!dedupe) return decideNow(req, now);
    const prior = seen.get(req);
    if (prior !== undefined) return prior;
    const d = decideNow(req, now);
    seen.set(req, d);
    return d;
  }

  return {
    id,
    check(req: SyRequest): Promise<RequestDecision> {
      const d = checkNow(req);
      return d instanceof Promise ? d : Promise.resolve(d);
    },
    checkNow,
  };
}

/** The decision of a rule that denies a request without a key: an empty bucket, retry after one window. */
function missingKey(policy: RatePolicy): LimitDecision {
  return { kind: 'limited', limit: policy.maxTokens, remaining: 0, resetAfterMs: policy.windowMs, retryAfterMs: policy.windowMs };
}

/** No decisions, no rules: shared, frozen. */
const NONE: readonly RuleDecision[] = Object.freeze([]);
const NOTHING: readonly Resolved[] = Object.freeze([]);

/** The headers of an allowed request that sends none (style `none`, or no enforced limit): one frozen object. */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** Headers of an allowed request: those of the enforced limit closest to running out. */
function headersFor(decisions: readonly RuleDecision[], style: HeaderStyle): Readonly<Record<string, string>> {
  if (style === 'none') return NO_HEADERS;
  let tightest: RuleDecision | undefined;
  for (const d of decisions) {
    if (d.mode === 'shadow') continue;
    if (tightest === undefined || d.decision.remaining / d.policy.maxTokens < tightest.decision.remaining / tightest.policy.maxTokens) tightest = d;
  }
  return tightest === undefined ? NO_HEADERS : rateLimitHeaders(tightest.decision, tightest.policy, { style, name: tightest.rule });
}
