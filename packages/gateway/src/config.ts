/**
 * The gateway's declarative config: one document (a TypeScript object, or parsed JSON / YAML)
 * of routes, upstream groups, limits, splits, rollouts and rewrites. Sub-sections reuse the
 * algorithm packages' own config types, so an option means the same thing everywhere.
 *
 * Validation happens in two passes, both reporting every problem by path
 * (`routes[2].backends[0].weight: must be >= 0`): the structural schema below (valibot; also
 * published as JSON Schema for editors), then each algorithm package's own compiler for the
 * semantics only it knows (regex safety, prime table sizes, …), with paths prefixed.
 */
import type { RedirectConfig, RewriteConfig } from '@switchyard/rewrite';
import type { EndpointInput } from '@switchyard/core';
import type { MatchConfig, NormalizeOptions } from '@switchyard/router';
import type { HashPolicy, LocalityOptions, PriorityOptions, SlowStartConfig } from '@switchyard/balancers';
import type { CircuitBreakerConfig, HealthCheckConfig, OutlierDetectionConfig, ResourceLimitsConfig } from '@switchyard/health';
import type { ClientIdentityOptions, Priority, TierMatch } from '@switchyard/limiter';
import type { CanaryRule, ExperimentConfig, RolloutConfig } from '@switchyard/splitter';
import * as v from 'valibot';
import type { FaultPolicy } from './fault.js';
import type { AdaptiveConcurrencyConfig, AdaptiveThrottleConfig } from './overload.js';
import type { RetryBudgetConfig } from './retry-budget.js';
import type { RetryOn } from './retry-policy.js';

/** The whole gateway. */
export interface GatewayConfig {
  /** Route selection: Gateway API precedence (default) or Envoy/Istio first match in order. */
  readonly selection?: 'gateway' | 'first-match';
  /** Path normalization before routing (router defaults when unset). */
  readonly normalize?: NormalizeOptions;
  /** Where client IPs come from (trusted proxies): used by `client-ip` limit keys. */
  readonly clientIdentity?: ClientIdentityOptions;
  readonly routes: readonly RouteConfig[];
  readonly upstreams: Readonly<Record<string, UpstreamConfig>>;
  /** Named limits that routes refer to. */
  readonly limits?: Readonly<Record<string, LimitConfig>>;
  /**
   * Rate-limit response headers: `none` (default, as Envoy's `enable_x_ratelimit_headers`: the
   * limits are not advertised to clients), `ietf` (`RateLimit-Policy` / `RateLimit`, which name
   * the policy), `legacy` (`X-RateLimit-Limit|Remaining|Reset`) or `both`. `Retry-After` is
   * always sent on a 429.
   */
  readonly rateLimitHeaders?: 'both' | 'ietf' | 'legacy' | 'none';
  /** Request body bytes kept for retries, hedges and mirrors (default 64 KiB, as Linkerd). */
  readonly replayBufferBytes?: number;
}

/** One route: what it matches and where it sends. */
export interface RouteConfig {
  /** Unique name: in metrics, events and `attributes.route`. */
  readonly name: string;
  readonly hostnames?: readonly string[];
  /** Any one of these matches selects the route (router `MatchConfig`); none means "everything". */
  readonly matches?: readonly MatchConfig[];
  /** Where traffic goes; weights split it (Gateway API `backendRefs`). Omit for a redirect. */
  readonly backends?: readonly BackendConfig[];
  /** How the backends' weights are applied: sticky key, salt, canary selectors evaluated first. */
  readonly split?: { readonly key?: SplitKey | readonly SplitKey[]; readonly salt?: string; readonly canary?: readonly CanaryRule[] };
  /** A progressive rollout of one backend (the canary) against another (the baseline). */
  readonly rollout?: RolloutConfig & { readonly canary: string; readonly baseline: string };
  /** An A/B/n experiment: its variant is exposed as a response header and `attributes.experiment`. */
  readonly experiment?: ExperimentConfig;
  readonly rewrite?: Omit<RewriteConfig, 'redirect' | 'upstream' | 'url'> & { readonly url?: string };
  /** Answer with a redirect instead of forwarding (Gateway API `RequestRedirect`). */
  readonly redirect?: RedirectConfig;
  /** Names of entries in `limits`, all consumed (slowest first, no refund). */
  readonly limits?: readonly string[];
  /** Whole-request deadline, all tries included (Envoy route `timeout`, default 15 000 ms; 0 disables). */
  readonly timeoutMs?: number;
  /** Per-try timeout (Envoy `per_try_timeout`; default: the route timeout). */
  readonly perTryTimeoutMs?: number;
  readonly retry?: RetryConfig;
  readonly hedge?: { readonly onPerTryTimeout?: boolean; readonly delayMs?: number };
  readonly mirror?: { readonly upstream: string; readonly percent?: number; readonly timeoutMs?: number };
  readonly fault?: FaultPolicy;
  /**
   * Priority class of this route's requests for upstreams with `adaptiveConcurrency`
   * (`sheddable` is refused first, `critical` last); a request attribute or header named by the
   * upstream's `adaptiveConcurrency.priority` overrides it. Default `default`.
   */
  readonly priority?: Priority;
}

/** A split key source, as the splitter reads them. */
export type SplitKey = { readonly header: string } | { readonly cookie: string } | { readonly query: string } | { readonly attribute: string };

/** One backend of a route: an upstream group, optionally a subset of its endpoints. */
export interface BackendConfig {
  /** Name used by splits and rollouts (default: the upstream name, plus subset values). */
  readonly name?: string;
  readonly upstream: string;
  /** Endpoint metadata every selected endpoint must have (`{ version: 'v2' }`). */
  readonly subset?: Readonly<Record<string, string>>;
  /** Gateway API weight (default 1; 0 = no traffic). */
  readonly weight?: number;
}

/** Retries, in Envoy's terms. */
export interface RetryConfig {
  /** Retries, not tries (default 1). */
  readonly numRetries?: number;
  /** Default `['connect-failure', 'reset', 'gateway-error']`. */
  readonly retryOn?: readonly RetryOn[];
  readonly retriableStatusCodes?: readonly number[];
  readonly baseIntervalMs?: number;
  readonly maxIntervalMs?: number;
  readonly honorRetryAfter?: boolean;
  readonly retryNonIdempotent?: boolean;
  /** A rate-based budget (tower / Linkerd); unset = no budget beyond `numRetries`. */
  readonly budget?: RetryBudgetConfig;
}

/** An upstream group (an Envoy cluster). */
export interface UpstreamConfig {
  readonly endpoints: readonly EndpointInput[];
  readonly balancer?: BalancerConfig;
  /** Healthy share below which all endpoints take traffic (Envoy panic threshold, default 50; 0 disables). */
  readonly panicThresholdPercent?: number;
  readonly priority?: Omit<PriorityOptions, 'healthyPanicThresholdPercent'>;
  readonly locality?: LocalityOptions;
  readonly healthCheck?: HealthCheckConfig;
  readonly outlierDetection?: OutlierDetectionConfig;
  readonly circuitBreaker?: CircuitBreakerConfig;
  /**
   * Envoy's circuit-breaker thresholds. `maxConnections` is the transport's pool size per
   * endpoint (undici: the per-origin `Pool`'s `connections`; refused with the fetch transport,
   * whose runtime owns connections), `maxPendingRequests` bounds the tries waiting for one of
   * them (overflow: 503 `SY_OVERLOADED` with `x-envoy-overloaded`).
   */
  readonly resourceLimits?: ResourceLimitsConfig;
  /** Client-side adaptive throttling (Google SRE book): refuse locally as the upstream rejects. */
  readonly adaptiveThrottle?: AdaptiveThrottleConfig;
  /** A learnt concurrency limit with priority classes (Netflix concurrency-limits). */
  readonly adaptiveConcurrency?: AdaptiveConcurrencyConfig;
}

/** Which balancer, with its options (see `@switchyard/balancers`). */
export type BalancerConfig =
  | { readonly policy: 'round-robin' | 'random' | 'weighted-random' }
  | { readonly policy: 'weighted-round-robin'; readonly slowStart?: SlowStartConfig }
  | ({ readonly policy: 'least-request' } & Readonly<Record<string, unknown>>)
  | ({ readonly policy: 'peak-ewma' } & Readonly<Record<string, unknown>>)
  | ({ readonly policy: 'client-side-weighted-round-robin' } & Readonly<Record<string, unknown>>)
  | ({ readonly policy: 'ring-hash' | 'maglev'; readonly hashPolicies?: readonly HashPolicy[] } & Readonly<Record<string, unknown>>);

/** A rate policy, declaratively. */
export type RatePolicyConfig =
  | { readonly algorithm?: 'token-bucket' | 'gcra'; readonly maxTokens: number; readonly tokensPerFill?: number; readonly fillIntervalMs: number }
  | { readonly algorithm: 'sliding-window'; readonly limit: number; readonly windowMs: number };

/** What a limit counts per. */
export type LimitKey = 'client-ip' | 'route' | 'global' | { readonly header: string } | { readonly apiKey: string } | { readonly attribute: string };

/** A named limit. Exactly one of `policy` and `tiers`. */
export interface LimitConfig {
  readonly key: LimitKey | readonly LimitKey[];
  readonly policy?: RatePolicyConfig;
  /** Per-tier policies: `{ policies: { free: …, pro: … }, match: [{ tier: 'pro', headers: {...} }], default: 'free' }`. */
  readonly tiers?: {
    readonly policies: Readonly<Record<string, RatePolicyConfig>>;
    readonly match?: readonly TierMatch[];
    /** Read the tier from this request attribute (e.g. set by auth), before `match`. */
    readonly attribute?: string;
    readonly default?: string;
  };
  readonly mode?: 'enforce' | 'shadow';
  readonly cost?: number;
}

// ---------------------------------------------------------------------------------------------
// Structural schema (valibot). Sub-configs owned by algorithm packages are checked loosely
// here and precisely by their own compilers.

const nonEmpty = v.pipe(v.string(), v.minLength(1, 'must be a non-empty string'));
const ms = (what = 'milliseconds') => v.pipe(v.number(`must be a number of ${what}`), v.finite('must be finite'), v.minValue(0, 'must be >= 0'));
const percent = v.pipe(v.number('must be a number'), v.minValue(0, 'must be >= 0'), v.maxValue(100, 'must be <= 100'));
const loose = v.looseObject({});
const stringMap = v.record(v.string(), v.string());
const statusCode = v.pipe(v.number('must be a status code'), v.integer('must be a status code'), v.minValue(100, 'must be a status code'), v.maxValue(599, 'must be a status code'));
const positiveInt = v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(1, 'must be >= 1'), v.maxValue(1_000_000, 'must be <= 1000000'));
const share = v.pipe(v.number('must be a number'), v.gtValue(0, 'must be > 0'), v.maxValue(1, 'must be <= 1'));
const priority = v.picklist(['critical', 'default', 'sheddable'], "must be 'critical', 'default' or 'sheddable'");

const endpointSchema = v.looseObject({
  id: v.optional(nonEmpty),
  url: v.string('must be a URL string'),
  weight: v.optional(v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1, 'must be >= 1'))),
  priority: v.optional(v.pipe(v.number(), v.integer('must be an integer'), v.minValue(0, 'must be >= 0'))),
  locality: v.optional(v.looseObject({ region: v.optional(v.string()), zone: v.optional(v.string()), subZone: v.optional(v.string()) })),
  metadata: v.optional(stringMap),
});

const balancerSchema = v.looseObject({
  policy: v.picklist(
    ['round-robin', 'weighted-round-robin', 'random', 'weighted-random', 'least-request', 'peak-ewma', 'client-side-weighted-round-robin', 'ring-hash', 'maglev'],
    'must be one of round-robin, weighted-round-robin, random, weighted-random, least-request, peak-ewma, client-side-weighted-round-robin, ring-hash, maglev',
  ),
});

const upstreamSchema = v.looseObject({
  endpoints: v.array(endpointSchema, 'must be an array of endpoints'),
  balancer: v.optional(balancerSchema),
  panicThresholdPercent: v.optional(percent),
  priority: v.optional(loose),
  locality: v.optional(loose),
  healthCheck: v.optional(loose),
  outlierDetection: v.optional(loose),
  circuitBreaker: v.optional(loose),
  resourceLimits: v.optional(loose),
  adaptiveThrottle: v.optional(
    v.strictObject({
      k: v.optional(v.pipe(v.number('must be a number'), v.finite('must be finite'), v.minValue(1, 'must be >= 1'))),
      windowMs: v.optional(v.pipe(ms(), v.minValue(1, 'must be >= 1'))),
      bucketCount: v.optional(v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(1, 'must be >= 1'), v.maxValue(1000, 'must be <= 1000'))),
      rejectStatuses: v.optional(v.array(statusCode)),
    }),
  ),
  adaptiveConcurrency: v.optional(
    v.strictObject({
      algorithm: v.optional(v.picklist(['aimd', 'gradient', 'vegas'], "must be 'aimd', 'gradient' or 'vegas'")),
      initialLimit: v.optional(positiveInt),
      minLimit: v.optional(positiveInt),
      maxLimit: v.optional(positiveInt),
      backoffRatio: v.optional(v.pipe(v.number('must be a number'), v.minValue(0.5, 'must be >= 0.5'), v.maxValue(0.99, 'must be < 1'))),
      timeoutMs: v.optional(v.pipe(ms(), v.minValue(1, 'must be >= 1'))),
      queueSize: v.optional(v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be >= 0'))),
      rttTolerance: v.optional(v.pipe(v.number('must be a number'), v.finite('must be finite'), v.minValue(1, 'must be >= 1'))),
      smoothing: v.optional(v.pipe(v.number('must be a number'), v.gtValue(0, 'must be > 0'), v.maxValue(1, 'must be <= 1'))),
      longWindow: v.optional(positiveInt),
      shares: v.optional(v.strictObject({ critical: v.optional(share), default: v.optional(share), sheddable: v.optional(share) })),
      priority: v.optional(v.strictObject({ attribute: v.optional(nonEmpty), header: v.optional(nonEmpty) })),
      dropStatuses: v.optional(v.array(statusCode)),
    }),
  ),
});

const backendSchema = v.looseObject({
  name: v.optional(nonEmpty),
  upstream: nonEmpty,
  subset: v.optional(stringMap),
  weight: v.optional(v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be >= 0'), v.maxValue(1_000_000, 'must be <= 1000000'))),
});

const retryOnSchema = v.picklist(['5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-4xx', 'retriable-status-codes'], 'must be a known retry_on condition');

const routeSchema = v.looseObject({
  name: nonEmpty,
  hostnames: v.optional(v.array(v.string())),
  matches: v.optional(v.array(loose, 'must be an array of matches')),
  backends: v.optional(v.array(backendSchema, 'must be an array of backends')),
  split: v.optional(loose),
  rollout: v.optional(v.looseObject({ name: nonEmpty, canary: nonEmpty, baseline: nonEmpty })),
  experiment: v.optional(loose),
  rewrite: v.optional(loose),
  redirect: v.optional(loose),
  limits: v.optional(v.array(nonEmpty)),
  timeoutMs: v.optional(ms()),
  perTryTimeoutMs: v.optional(ms()),
  retry: v.optional(
    v.looseObject({
      numRetries: v.optional(v.pipe(v.number(), v.integer('must be an integer'), v.minValue(0, 'must be >= 0'), v.maxValue(100, 'must be <= 100'))),
      retryOn: v.optional(v.array(retryOnSchema)),
      retriableStatusCodes: v.optional(v.array(v.pipe(v.number(), v.integer(), v.minValue(100, 'must be a status code'), v.maxValue(599, 'must be a status code')))),
      baseIntervalMs: v.optional(v.pipe(ms(), v.minValue(1, 'must be >= 1'))),
      maxIntervalMs: v.optional(ms()),
      honorRetryAfter: v.optional(v.boolean()),
      retryNonIdempotent: v.optional(v.boolean()),
      budget: v.optional(
        v.looseObject({
          ratio: v.optional(v.pipe(v.number(), v.minValue(0, 'must be >= 0'), v.maxValue(1000, 'must be <= 1000'))),
          minRetriesPerSecond: v.optional(v.pipe(v.number(), v.minValue(0, 'must be >= 0'))),
          ttlMs: v.optional(v.pipe(v.number(), v.minValue(1000, 'must be >= 1000'), v.maxValue(60000, 'must be <= 60000'))),
        }),
      ),
    }),
  ),
  hedge: v.optional(v.looseObject({ onPerTryTimeout: v.optional(v.boolean()), delayMs: v.optional(ms()) })),
  mirror: v.optional(v.looseObject({ upstream: nonEmpty, percent: v.optional(percent), timeoutMs: v.optional(ms()) })),
  fault: v.optional(
    v.looseObject({
      delay: v.optional(v.looseObject({ fixedDelayMs: v.pipe(ms(), v.minValue(1, 'must be > 0')), percent: v.optional(percent) })),
      abort: v.optional(v.looseObject({ httpStatus: v.pipe(v.number(), v.integer(), v.minValue(200, 'must be in [200, 600)'), v.maxValue(599, 'must be in [200, 600)')), percent: v.optional(percent) })),
      headers: v.optional(stringMap),
      headerControl: v.optional(v.boolean()),
    }),
  ),
  priority: v.optional(priority),
});

const ratePolicySchema = v.looseObject({
  algorithm: v.optional(v.picklist(['token-bucket', 'gcra', 'sliding-window'], 'must be token-bucket, gcra or sliding-window')),
});

const limitKeySchema = v.union(
  [
    v.picklist(['client-ip', 'route', 'global']),
    v.strictObject({ header: nonEmpty }),
    v.strictObject({ apiKey: nonEmpty }),
    v.strictObject({ attribute: nonEmpty }),
  ],
  "must be 'client-ip', 'route', 'global', { header }, { apiKey } or { attribute }",
);

const limitSchema = v.looseObject({
  key: v.union([limitKeySchema, v.array(limitKeySchema)], "must be 'client-ip', 'route', 'global', { header }, { apiKey }, { attribute }, or an array of them"),
  policy: v.optional(ratePolicySchema),
  tiers: v.optional(v.looseObject({ policies: v.record(v.string(), ratePolicySchema), match: v.optional(v.array(loose)), attribute: v.optional(nonEmpty), default: v.optional(nonEmpty) })),
  mode: v.optional(v.picklist(['enforce', 'shadow'])),
  cost: v.optional(v.pipe(v.number(), v.minValue(0, 'must be > 0'))),
});

/** The structural schema of {@link GatewayConfig} (valibot). */
export const gatewayConfigSchema = v.looseObject({
  selection: v.optional(v.picklist(['gateway', 'first-match'], "must be 'gateway' or 'first-match'")),
  normalize: v.optional(loose),
  clientIdentity: v.optional(loose),
  routes: v.array(routeSchema, 'must be an array of routes'),
  upstreams: v.record(v.string(), upstreamSchema, 'must be an object of upstream groups'),
  limits: v.optional(v.record(v.string(), limitSchema)),
  rateLimitHeaders: v.optional(v.picklist(['both', 'ietf', 'legacy', 'none'], "must be 'both', 'ietf', 'legacy' or 'none'")),
  replayBufferBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0, 'must be >= 0'))),
});

/** Structural problems of `input`, each with its path. Empty when the shape is right. */
export function structuralIssues(input: unknown): { path: string; message: string }[] {
  const result = v.safeParse(gatewayConfigSchema, input, { abortEarly: false });
  if (result.success) return [];
  return result.issues.map((issue) => ({ path: issuePath(issue.path), message: messageOf(issue) }));
}

function issuePath(path: readonly { key: unknown }[] | undefined): string {
  if (path === undefined || path.length === 0) return '(root)';
  let out = '';
  for (const item of path) {
    const k = item.key;
    if (typeof k === 'number') out += `[${k}]`;
    else if (typeof k === 'string' && /^[A-Za-z_$][\w$]*$/.test(k)) out += out === '' ? k : `.${k}`;
    else out += `[${JSON.stringify(k)}]`;
  }
  return out;
}

function messageOf(issue: v.BaseIssue<unknown>): string {
  // valibot's default messages name the expectation ("Invalid type: Expected number but received "x"");
  // ours (set on each check above) already read as "must be …".
  if (issue.kind === 'schema' && issue.expected === 'never') return 'is not allowed';
  if (issue.input === undefined && issue.kind === 'schema') return 'is required';
  return issue.message;
}
