/**
 * `rate-limit`: a limit as a pipeline step, on `@switchyard/limiter` (its rate policies, store
 * interface, `storageKey` rule and RateLimit headers: nothing re-implemented here). Zuplo's
 * `rate-limit-inbound` semantics (`policies.md` §1.9): one counter per (policy instance name,
 * key), so two instances never share a counter even on one shared store; `by: 'consumer'` counts
 * per authenticated caller (`identity.sub`, never the API key) and needs an auth policy before it
 * (`requires: ['identity']`: the pipeline refuses the config otherwise, `policies.md` §7 #2);
 * the key function of {@link rateLimitPolicy} may return `undefined` to skip the limit.
 *
 * Tiers: `tiers: { enterprise: { limit: 5000 } }` gives callers whose `identity.data.tier` is
 * `enterprise` their own limit (and their own window: the store keys state by policy id, so a
 * caller moved to another tier starts afresh); every other caller gets `limit`/`windowMs`.
 *
 * Refusal: 429 `SY_RATE_LIMITED` with `Retry-After` (whole seconds, rounded up) and
 * `detail: { limit, remaining, windowMs, retryAfterSeconds }` for error templates; a shared store
 * that failed closed is a 503 `SY_STORE_UNAVAILABLE` (the limit was not reached: the store could
 * not tell), as for the gateway's route limits. With `headers` other than `none`, allowed
 * responses carry the RateLimit headers too (through the outbound step, on every status).
 *
 * Synchronous while the store is (the in-memory store's `takeSync`, as the gateway's route
 * limits use it); a Redis store makes the step asynchronous.
 */
import { CONTINUE, ConfigError, definePolicy, formatIp, maskIp, parseIp, type InboundResult, type Policy, type PolicyCapability, type PolicyContext, type PolicyDefinition, type PolicyReject, type SyRequest, type SyResponse } from '@switchyard/core';
import {
  createMemoryStore,
  gcra,
  rateLimitHeaders,
  retryAfterValue,
  slidingWindow,
  tokenBucket,
  type LimitDecision,
  type HeaderStyle,
  type LimiterStore,
  type MissingKeyAction,
  type RateAlgorithm,
  type RatePolicy,
} from '@switchyard/limiter';
import * as v from 'valibot';
import { headerName, integerAtLeast, nonEmpty, options as optionsOf, positive, strict } from './internal/schema.js';

/** What a limit counts per. */
export type RateLimitBy =
  /** The client address per the gateway's client-identity rule (`ctx.clientIp`); IPv6 masked to `ipv6Prefix`. */
  | 'ip'
  /** The authenticated caller (`identity.sub`): needs an auth policy earlier in the pipeline. */
  | 'consumer'
  /** One counter for every request through this instance. */
  | 'all'
  /** An attribute a policy or adapter set (strings and numbers). */
  | { readonly attribute: string }
  /** A request header's value (credential headers are refused: count by `consumer` instead). */
  | { readonly header: string };

/** A tier's limit; `windowMs` defaults to the policy's. */
export interface RateLimitTier {
  readonly limit: number;
  readonly windowMs?: number | undefined;
}

/** Options of the `rate-limit` policy. */
export interface RateLimitOptions {
  // Deliberately alike: policies/src/geo-sources.ts (GeoHeaderNames) — an options type's list of optional readonly fields: alike in shape only
  /** What to count per (default `ip`). */
  readonly by?: RateLimitBy | undefined;
  /** Requests allowed per window (the default tier). */
  readonly limit: number;
  /** The window in ms (e.g. 60 000 for "per minute"). */
  readonly windowMs: number;
  /** Limits per `identity.data.tier`; callers of other (or no) tiers get `limit`. */
  readonly tiers?: Readonly<Record<string, RateLimitTier>> | undefined;
  /**
   * `sliding-window` (default, Zuplo's: "N per window" without 2N at a boundary), or
   * `token-bucket` / `gcra` (a bucket of `limit` refilled continuously over `windowMs`: smoother,
   * bursts up to `limit`).
   */
  readonly algorithm?: RateAlgorithm | undefined;
  /** RateLimit headers on responses: `none` (default, as the gateway's route limits), `ietf`, `legacy` or `both`. `Retry-After` is always sent on a 429. */
  readonly headers?: HeaderStyle | undefined;
  /**
   * A request with no key (no client address, no identity, no attribute or header): `allow`
   * (not limited), `deny` (429) or `shared` (one counter for all of them). Default `deny` for
   * `ip` (a per-IP limit that let address-less requests through would limit nothing), else `allow`.
   */
  readonly onMissingKey?: MissingKeyAction | undefined;
  /** IPv6 clients are counted per prefix of this length (default 56, as the limiter's client identity). */
  readonly ipv6Prefix?: number | undefined;
  /** Where counters live (default a fresh in-memory store per instance); a Redis store for a fleet-wide limit (configs built in code). */
  readonly store?: LimiterStore | undefined;
  /** Keys per limit kept by the default in-memory store (default 100 000). */
  readonly maxKeys?: number | undefined;
}

/** What a key function returns: the counter key and, optionally, this request's own limit. */
export interface RateLimitKey {
  readonly key: string;
  /** Overrides `limit` (and the tier's) for this request. */
  readonly limit?: number | undefined;
  /** Overrides `windowMs` for this request. */
  readonly windowMs?: number | undefined;
}

/** A custom key function (Zuplo's `identifier`): `undefined` skips the limit for this request. */
export type RateLimitKeyFunction = (request: SyRequest, ctx: PolicyContext) => RateLimitKey | undefined | Promise<RateLimitKey | undefined>;

/** What {@link rateLimitPolicy} fixes in code. */
export interface RateLimitPolicyDefaults {
  /** The type name config refers to (default `rate-limit`; give your own for a custom key). */
  readonly type?: string | undefined;
  /** Counts by this function instead of `by` (which the options then must not give). */
  readonly key?: RateLimitKeyFunction | undefined;
  /** The store every instance of this type uses unless its options give one. */
  readonly store?: LimiterStore | undefined;
  /** What the key function needs from earlier steps (`['identity']` when it reads `ctx.identity`): the pipeline checks the order. */
  readonly requires?: readonly PolicyCapability[] | undefined;
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);

function isStore(x: unknown): x is LimiterStore {
  return typeof x === 'object' && x !== null && typeof (x as { take?: unknown }).take === 'function';
}

function rateLimitSchema(type: string, withKeyFunction: boolean) {
  const by = v.union(
    [
      v.picklist(['ip', 'consumer', 'all']),
      v.strictObject({ attribute: nonEmpty }),
      v.strictObject({
        header: v.pipe(
          headerName,
          v.check((h) => !CREDENTIAL_HEADERS.has(h), 'is a credential header: never count by a secret (it would be stored as a limiter key); count by consumer after an auth policy'),
        ),
      }),
    ],
    "must be 'ip', 'consumer', 'all', { attribute } or { header }",
  );
  return optionsOf(type, {
    by: withKeyFunction ? v.optional(v.custom<never>(() => false, `is set in code by this policy type's key function (${type})`)) : v.optional(by),
    limit: positive,
    windowMs: v.pipe(positive, v.minValue(50, 'must be >= 50 (the limiter refills at most every 50 ms)')),
    tiers: v.optional(v.record(nonEmpty, strict({ limit: positive, windowMs: v.optional(v.pipe(positive, v.minValue(50, 'must be >= 50'))) }, 'a tier field (limit, windowMs)'), 'must be an object of tiers')),
    algorithm: v.optional(v.picklist(['sliding-window', 'token-bucket', 'gcra'], "must be 'sliding-window', 'token-bucket' or 'gcra'")),
    headers: v.optional(v.picklist(['none', 'ietf', 'legacy', 'both'], "must be 'none', 'ietf', 'legacy' or 'both'")),
    onMissingKey: v.optional(v.picklist(['allow', 'deny', 'shared'], "must be 'allow', 'deny' or 'shared'")),
    ipv6Prefix: v.optional(v.pipe(integerAtLeast(0), v.maxValue(128, 'must be <= 128'))),
    store: v.optional(v.custom<LimiterStore>(isStore, 'must be a LimiterStore (an object with a take function)')),
    maxKeys: v.optional(integerAtLeast(1)),
  });
}

/**
 * Makes a `rate-limit` policy type fixed in code: with a key function (Zuplo's
 * `rateLimitBy: 'function'`: config files cannot hold functions) and/or a store.
 *
 * @example
 * ```ts
 * import { rateLimitPolicy } from '@switchyard/policies';
 * // Per tenant header, 10 000 a minute for the tenant "big", internal callers not limited.
 * export const perTenant = rateLimitPolicy({
 *   type: 'per-tenant-limit',
 *   key: (req, ctx) => {
 *     if (ctx.attributes['internal'] === true) return undefined;
 *     const tenant = req.headers['x-tenant'] ?? 'unknown';
 *     return tenant === 'big' ? { key: tenant, limit: 10_000 } : { key: tenant };
 *   },
 * });
 * // config: policies: { tenant-limit: { type: 'per-tenant-limit', options: { limit: 600, windowMs: 60000 } } }
 * ```
 */
export function rateLimitPolicy(defaults: RateLimitPolicyDefaults = {}): PolicyDefinition<RateLimitOptions> {
  const type = defaults.type ?? 'rate-limit';
  return definePolicy<RateLimitOptions>({
    type,
    summary: 'Limits requests per client IP, consumer, attribute, header or a custom key, with per-tier limits; 429 with Retry-After.',
    options: rateLimitSchema(type, defaults.key !== undefined),
    create: (options, deps) => createRateLimit(type, options, deps.name, defaults),
  });
}

/**
 * The built-in `rate-limit` policy type (options: {@link RateLimitOptions}).
 *
 * @example
 * ```ts
 * // 100 a minute for free callers, 5 000 for enterprise ones, counted per consumer.
 * const policies = {
 *   auth: { type: 'api-key', options: { consumers } },
 *   limit: { type: 'rate-limit', options: { by: 'consumer', limit: 100, windowMs: 60_000, tiers: { enterprise: { limit: 5_000 } } } },
 * };
 * ```
 */
export const rateLimit: PolicyDefinition<RateLimitOptions> = rateLimitPolicy();

/** The attribute the allowed decision's headers travel in, from inbound to outbound. */
const HEADERS_ATTRIBUTE = 'rateLimit.headers.';

function createRateLimit(type: string, o: RateLimitOptions, name: string, defaults: RateLimitPolicyDefaults): Policy {
  const keyFunction = defaults.key;
  if (keyFunction !== undefined && o.by !== undefined) throw new ConfigError([{ path: 'by', message: `is set in code by this policy type's key function (${type})` }]);
  const by: RateLimitBy = o.by ?? 'ip';
  if (typeof by === 'object' && 'header' in by && CREDENTIAL_HEADERS.has(by.header.toLowerCase())) {
    throw new ConfigError([{ path: 'by.header', message: 'is a credential header: never count by a secret; count by consumer after an auth policy' }]);
  }
  // Request header names are lower case (the schema lowers the option; `create` may be called without it).
  const keyHeader = typeof by === 'object' && 'header' in by ? by.header.toLowerCase() : undefined;
  const algorithm = o.algorithm ?? 'sliding-window';
  const style = o.headers ?? 'none';
  const onMissing: MissingKeyAction = o.onMissingKey ?? (keyFunction === undefined && by === 'ip' ? 'deny' : 'allow');
  const ipv6Prefix = o.ipv6Prefix ?? 56;
  const store = o.store ?? defaults.store ?? createMemoryStore(o.maxKeys !== undefined ? { maxKeysPerPolicy: o.maxKeys } : {});
  if (store.scope === 'shared' && o.algorithm === undefined) {
    // The default suits the in-memory store; the Redis store keeps token buckets only.
    throw new ConfigError([{ path: 'algorithm', message: "set it with a shared store: the Redis store supports 'token-bucket' and 'gcra' (not the default 'sliding-window')" }]);
  }
  // One namespace per instance: two instances never share a counter, even on one shared store.
  const namespace = `policy:${name}`;
  const headersAttribute = HEADERS_ATTRIBUTE + name;

  function policyFor(id: string, limit: number, windowMs: number): RatePolicy {
    if (algorithm === 'sliding-window') return slidingWindow({ id, limit, windowMs });
    const bucket = { id, maxTokens: limit, tokensPerFill: limit, fillIntervalMs: windowMs };
    return algorithm === 'gcra' ? gcra(bucket) : tokenBucket(bucket);
  }
  const base = policyFor('default', o.limit, o.windowMs);
  const tiers = new Map<string, RatePolicy>();
  for (const [tier, t] of Object.entries(o.tiers ?? {})) tiers.set(tier, policyFor(`tier:${tier}`, t.limit, t.windowMs ?? o.windowMs));
  // Limits a key function asked for, by numbers (bounded: a function that invents numbers per request cannot grow it without end).
  const dynamic = new Map<string, RatePolicy>();
  function dynamicPolicy(limit: number, windowMs: number): RatePolicy {
    const id = `fn:${limit}/${windowMs}`;
    let p = dynamic.get(id);
    if (p === undefined) {
      p = policyFor(id, limit, windowMs);
      if (dynamic.size >= 1024) dynamic.clear();
      dynamic.set(id, p);
    }
    return p;
  }

  // IPv6 keys masked to their prefix, remembered per address text (bounded, cleared when full).
  const masked = new Map<string, string>();
  function ipKey(ip: string): string | undefined {
    if (ip.indexOf(':') < 0) return ip;
    let k = masked.get(ip);
    if (k === undefined) {
      const parsed = parseIp(ip);
      if (parsed === undefined) return undefined;
      k = parsed.version === 4 ? formatIp(parsed) : `${formatIp(maskIp(parsed, ipv6Prefix))}/${ipv6Prefix}`;
      if (masked.size >= 4096) masked.clear();
      masked.set(ip, k);
    }
    return k;
  }

  function keyOf(request: SyRequest, ctx: PolicyContext): string | undefined {
    if (by === 'ip') return ctx.clientIp === undefined ? undefined : ipKey(ctx.clientIp);
    if (by === 'consumer') return ctx.identity?.sub;
    if (by === 'all') return '*';
    if ('attribute' in by) {
      const a = ctx.attributes[by.attribute];
      return typeof a === 'string' ? a : typeof a === 'number' ? String(a) : undefined;
    }
    return request.headers[keyHeader as string];
  }

  function tierPolicy(ctx: PolicyContext): RatePolicy {
    if (tiers.size === 0) return base;
    const tier = ctx.identity?.data['tier'];
    return (typeof tier === 'string' ? tiers.get(tier) : undefined) ?? base;
  }

  const missingKeyReject: PolicyReject = Object.freeze({
    kind: 'reject',
    code: 'SY_RATE_LIMITED',
    message: 'Too many requests: the request has nothing to count it by.',
    headers: Object.freeze({ 'retry-after': retryAfterValue(base.windowMs, base) }),
    detail: Object.freeze({ limit: base.maxTokens, remaining: 0, windowMs: base.windowMs, retryAfterSeconds: Math.ceil(base.windowMs / 1000) }),
  });

  function storeUnavailable(retryAfterMs: number, policy: RatePolicy): PolicyReject {
    return { kind: 'reject', code: 'SY_STORE_UNAVAILABLE', message: 'The rate limiter is unavailable.', headers: { 'retry-after': retryAfterValue(retryAfterMs, policy) } };
  }

  function decided(d: LimitDecision, policy: RatePolicy): InboundResult {
    if (d.kind === 'limited') {
      if (d.storeError?.fallback === 'deny') return storeUnavailable(d.retryAfterMs, policy);
      const retryAfter = retryAfterValue(d.retryAfterMs, policy);
      const headers = style === 'none' ? { 'retry-after': retryAfter } : { ...rateLimitHeaders(d, policy, { style, name }), 'retry-after': retryAfter };
      return {
        kind: 'reject',
        code: 'SY_RATE_LIMITED',
        message: 'Too many requests: rate limit exceeded.',
        headers,
        detail: { limit: d.limit, remaining: d.remaining, windowMs: policy.windowMs, retryAfterSeconds: Number(retryAfter) },
      };
    }
    if (style === 'none') return CONTINUE;
    return { kind: 'continue', attributes: { [headersAttribute]: rateLimitHeaders(d, policy, { style, name }) } };
  }

  function take(key: string, policy: RatePolicy, now: number): InboundResult | Promise<InboundResult> {
    const request = { namespace, policy, key, cost: 1, now };
    const sync = store.takeSync?.(request);
    if (sync !== undefined) return decided(sync, policy);
    // A store must resolve, never reject (limiter's LimiterStore contract); one that does anyway
    // (an unsupported algorithm) cannot decide: the same 503 as a store that failed closed.
    return store.take(request).then(
      (d) => decided(d, policy),
      () => storeUnavailable(policy.windowMs, policy),
    );
  }

  function limitFor(key: string | undefined, policy: RatePolicy, now: number): InboundResult | Promise<InboundResult> {
    if (key === undefined) {
      if (onMissing === 'allow') return CONTINUE;
      if (onMissing === 'deny') return missingKeyReject;
      key = '';
    }
    return take(key, policy, now);
  }

  function fromFunction(k: RateLimitKey | undefined, ctx: PolicyContext): InboundResult | Promise<InboundResult> {
    if (k === undefined) return CONTINUE;
    const tier = tierPolicy(ctx);
    const policy = k.limit === undefined && k.windowMs === undefined ? tier : dynamicPolicy(k.limit ?? tier.maxTokens, k.windowMs ?? tier.windowMs);
    return limitFor(k.key, policy, ctx.now);
  }

  const describeBy = keyFunction !== undefined ? 'a key function' : typeof by === 'string' ? by : 'attribute' in by ? `attribute ${by.attribute}` : `header ${by.header}`;
  return {
    type,
    ...(keyFunction === undefined ? (by === 'consumer' ? { requires: ['identity'] as const } : {}) : defaults.requires !== undefined ? { requires: defaults.requires } : {}),
    describe: () => `${o.limit} per ${o.windowMs} ms by ${describeBy} (${algorithm})${tiers.size > 0 ? `, tiers ${[...tiers.keys()].join(', ')}` : ''}`,
    inbound(request: SyRequest, ctx: PolicyContext): InboundResult | Promise<InboundResult> {
      if (keyFunction !== undefined) {
        const k = keyFunction(request, ctx);
        return k instanceof Promise ? k.then((resolved) => fromFunction(resolved, ctx)) : fromFunction(k, ctx);
      }
      return limitFor(keyOf(request, ctx), tierPolicy(ctx), ctx.now);
    },
    ...(style === 'none'
      ? {}
      : {
          outbound(response: SyResponse, _request: SyRequest, ctx: PolicyContext): SyResponse {
            const h = ctx.attributes[headersAttribute] as Readonly<Record<string, string>> | undefined;
            if (h === undefined) return response;
            const headers: Record<string, string | readonly string[] | undefined> = { ...response.headers };
            for (const [k, value] of Object.entries(h)) {
              const prior = headers[k];
              // Several limits on one route: the IETF fields are lists (RFC 9651), so they add up;
              // the legacy ones keep the value of the limit whose outbound ran first (the innermost).
              if (prior === undefined) headers[k] = value;
              else if (k === 'ratelimit' || k === 'ratelimit-policy') headers[k] = `${String(prior)}, ${value}`;
            }
            return { ...response, headers };
          },
        }),
  };
}
