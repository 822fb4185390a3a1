/**
 * The gateway's declarative config: one document (a TypeScript object, or parsed JSON / YAML)
 * of routes, upstream groups, limits, splits, rollouts and rewrites. Sub-sections reuse the
 * algorithm packages' own config types, so an option means the same thing everywhere.
 *
 * Validation happens in two passes, both reporting every problem by path
 * (`routes[2].backends[0].weight: must be >= 0`): the structural schema below (valibot; also
 * published as JSON Schema for editors), strict everywhere, an unknown key being an error with a
 * "did you mean"; then each algorithm package's own compiler for the semantics only it knows
 * (regex safety, prime table sizes, …) and the gateway's cross-checks, with paths prefixed.
 *
 * This module is the config's types (what a user writes); the structural schema is in `config/`:
 * `schema-kit.ts` (the strict building blocks), one `schema-*.ts` per section (routes, upstreams,
 * limits, errors) and `schema.ts` (the whole document and its parse).
 */
import type { RedirectConfig, RewriteConfig } from '@switchyard/rewrite';
import type { EndpointInput } from '@switchyard/core';
import type { MatchConfig, NormalizeOptions } from '@switchyard/router';
import type { ClientSideWeightedRoundRobinOptions, HashPolicy, LeastRequestOptions, LocalityOptions, MaglevOptions, PeakEwmaOptions, PriorityOptions, RingHashOptions, SlowStartConfig } from '@switchyard/balancers';
import type { CircuitBreakerConfig, HealthCheckConfig, OutlierDetectionConfig, ResourceLimitsConfig } from '@switchyard/health';
import type { ClientIdentityOptions, Priority, TierMatch } from '@switchyard/limiter';
import type { SessionPersistenceConfig } from './affinity.js';
import type { ExperimentConfig, RolloutConfig } from '@switchyard/splitter';
import type { FaultPolicy } from './fault.js';
import type { ErrorsConfig } from './error-format.js';
import type { AdaptiveConcurrencyConfig, AdaptiveThrottleConfig } from './overload.js';
import type { RetryBudgetConfig } from './retry-budget.js';
import type { RetryOn } from './retry-policy.js';

export { RESERVED_KEYS, type AnyOfSchema } from './config/schema-kit.js';
export { errorsConfigSchema } from './config/schema-errors.js';
export { gatewayConfigSchema, parseConfigStructure, structuralIssues, type StructureResult } from './config/schema.js';

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
   * Rate-limit response headers on the responses of a route with limits: `legacy` (default:
   * `X-RateLimit-Limit|Remaining|Reset`, what `@fastify/rate-limit` and `express-rate-limit`
   * send unless told otherwise; Reset in seconds from now, as `@fastify/rate-limit` and
   * Envoy), `ietf` (`RateLimit-Policy` / `RateLimit`, which name the policy), `both`, or `none`
   * (as Envoy's `enable_x_ratelimit_headers` off: limits are not advertised). `Retry-After` is
   * always sent on a 429.
   */
  readonly rateLimitHeaders?: 'both' | 'ietf' | 'legacy' | 'none';
  /** Request body bytes kept for retries, hedges and mirrors (default 64 KiB, as Linkerd). */
  readonly replayBufferBytes?: number;
  /**
   * Named policy instances (many instances of one type may exist), referenced by name from
   * `pipeline` and from routes' `policies`. See docs/guides/policies.md.
   */
  readonly policies?: Readonly<Record<string, PolicyInstanceConfig>>;
  /**
   * Gateway-wide lists run on every route: `inbound` before the route's own inbound policies,
   * `outbound` after the route's on the way back (onion order). A route removes an entry only
   * explicitly, with `policies.exclude`.
   */
  readonly pipeline?: { readonly inbound?: readonly string[]; readonly outbound?: readonly string[] };
  /**
   * The gateway's own responses (404, 429, 503, …): format (`switchyard` JSON or RFC 9457
   * `problem+json`) and overrides by code, status or `default` (docs/errors.md, "Shaping error
   * responses"). A route's and a policy's `errors` take precedence for their responses.
   */
  readonly errors?: ErrorsConfig;
}

/** One named policy instance. */
export interface PolicyInstanceConfig {
  /** A built-in type (`@switchyard/policies`) or one registered in `GatewayDeps.policies`. */
  readonly type: string;
  /** Validated by the type's own schema when the config compiles. */
  readonly options?: unknown;
  /** Run the policy only for matching requests: skipped (neither inbound nor outbound) otherwise. */
  readonly when?: PolicyWhen;
  /** The policy's own error templates (passed to the gateway's error formatter). */
  readonly errors?: ErrorsConfig;
}

/**
 * A declarative condition on the request; every field given must match (AND). `method` and
 * `pathPrefix` match any of their values; `header` is present, absent (`present: false`) or
 * equal to `value`. Add `not: true` to invert the whole condition.
 */
export interface PolicyWhen {
  readonly method?: string | readonly string[];
  readonly pathPrefix?: string | readonly string[];
  readonly header?: { readonly name: string; readonly present?: boolean; readonly value?: string };
  readonly not?: boolean;
}

/** A route's policies: names of entries in the top-level `policies`. */
export interface RoutePoliciesConfig {
  /** Run in this order after the gateway-wide inbound list. */
  readonly inbound?: readonly string[];
  /** Response-only policies, in this order, before the gateway-wide outbound list. */
  readonly outbound?: readonly string[];
  /** Gateway-wide (`pipeline`) entries this route does not run; each must be gateway-wide. */
  readonly exclude?: readonly string[];
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
  readonly split?: { readonly key?: SplitKey | readonly SplitKey[]; readonly salt?: string; readonly canary?: readonly CanaryRuleConfig[] };
  /** A progressive rollout of one backend (the canary) against another (the baseline). */
  readonly rollout?: RolloutConfig & { readonly canary: string; readonly baseline: string };
  /** Gateway API `sessionPersistence`: keeps a user on the backend (version) it got while that backend has weight (affinity.ts). */
  readonly sessionPersistence?: SessionPersistenceConfig;
  /** An A/B/n experiment: its variant is exposed as a response header and `attributes.experiment`. */
  readonly experiment?: Omit<ExperimentConfig, 'key'> & { readonly key: SplitKey | readonly SplitKey[] };
  readonly rewrite?: Omit<RewriteConfig, 'redirect' | 'upstream' | 'url'> & { readonly url?: string };
  /** Answer with a redirect instead of forwarding (Gateway API `RequestRedirect`). */
  readonly redirect?: RedirectConfig;
  /** Names of entries in `limits`, all consumed (slowest first, no refund). */
  readonly limits?: readonly string[];
  /** Whole-request deadline, all tries included (Envoy route `timeout`, default 15 000 ms; 0 disables). */
  readonly timeoutMs?: number;
  /** Per-try timeout (Envoy `per_try_timeout`; default: the route timeout). */
  readonly perTryTimeoutMs?: number;
  /**
   * Longest gap between two chunks of the request or response body (Envoy route `idle_timeout`,
   * default 300 000 ms as Envoy's `stream_idle_timeout`; 0 disables). A stalled upload is answered
   * 408; a stalled response body is cut.
   */
  readonly idleTimeoutMs?: number;
  /**
   * Tell the upstream how long it has left (default false): `x-envoy-expected-rq-timeout-ms` on
   * every try (min of the per-try timeout and what remains of `timeoutMs`), and `grpc-timeout`
   * on gRPC requests (`content-type: application/grpc…`), never raising a smaller one the client sent.
   */
  readonly propagateDeadline?: boolean;
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
  /** Policies of this route (see {@link RoutePoliciesConfig} and docs/guides/policies.md). */
  readonly policies?: RoutePoliciesConfig;
  /** Free-form data for policies (`ctx.route.metadata`); the gateway itself never reads it. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** This route's error responses: overrides the gateway's `errors` (field by field), a policy's override this. */
  readonly errors?: ErrorsConfig;
}

/** A split key source, as the splitter reads them. */
export type SplitKey = { readonly header: string } | { readonly cookie: string } | { readonly query: string } | { readonly attribute: string };

/**
 * A canary rule (the splitter's `CanaryRule` as data: no `test` function): when `when` matches,
 * the request goes to `backend` whatever its weight.
 */
export interface CanaryRuleConfig {
  readonly backend: string;
  readonly name?: string;
  readonly when:
    | { readonly header: string; readonly value?: string }
    | { readonly query: string; readonly value?: string }
    | { readonly keyIn: readonly string[]; readonly key?: SplitKey | readonly SplitKey[] }
    | { readonly attribute: string; readonly equals?: string | number | boolean; readonly in?: readonly (string | number | boolean)[] };
}

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

// Deliberately alike: testing/src/pipeline-harness.ts (PipelineHarnessOptions) — both are lists of optional readonly
// fields; only the declaration shape is shared.
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
  /** Locality-weighted balancing (config is data: no `localityWeight` function; every locality weighs 1). */
  readonly locality?: Omit<LocalityOptions, 'localityWeight'>;
  readonly healthCheck?: HealthCheckConfig;
  readonly outlierDetection?: OutlierDetectionConfig;
  /** Config is data: the breaker counts core's `isFailure` (5xx and errors but canceled). */
  readonly circuitBreaker?: Omit<CircuitBreakerConfig, 'isFailure'>;
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

/**
 * Which balancer, with its options (the `@switchyard/balancers` option types, as data: hash
 * policies are `hashPolicies`, and there is no `hashKey` function: endpoints are placed by id).
 */
export type BalancerConfig =
  | { readonly policy: 'round-robin' | 'random' | 'weighted-random' }
  | { readonly policy: 'weighted-round-robin'; readonly slowStart?: SlowStartConfig }
  | ({ readonly policy: 'least-request' } & LeastRequestOptions)
  | ({ readonly policy: 'peak-ewma' } & PeakEwmaOptions)
  | ({ readonly policy: 'client-side-weighted-round-robin' } & ClientSideWeightedRoundRobinOptions)
  | ({ readonly policy: 'ring-hash'; readonly hashPolicies?: readonly GatewayHashPolicy[] } & Omit<RingHashOptions, 'hashKey' | 'hashPolicy'>)
  | ({ readonly policy: 'maglev'; readonly hashPolicies?: readonly GatewayHashPolicy[] } & Omit<MaglevOptions, 'hashKey' | 'hashPolicy'>);

/**
 * A balancer hash policy; a `cookie` policy may add `ttlMs` (and `path`): the gateway then
 * generates the cookie when it is absent and sets it on the response (Istio `httpCookie.ttl`,
 * Envoy `HashPolicy.Cookie.ttl`; affinity.ts).
 */
export type GatewayHashPolicy = Exclude<HashPolicy, { readonly kind: 'cookie' }> | { readonly kind: 'cookie'; readonly name: string; readonly terminal?: boolean; readonly ttlMs?: number; readonly path?: string };

/** A rate policy, declaratively. */
export type RatePolicyConfig =
  | { readonly algorithm?: 'token-bucket' | 'gcra'; readonly maxTokens: number; readonly tokensPerFill?: number; readonly fillIntervalMs: number }
  | { readonly algorithm: 'sliding-window'; readonly limit: number; readonly windowMs: number };

/** What a limit counts per. */
export type LimitKey =
  | 'client-ip'
  | 'route'
  | 'global'
  | { readonly header: string }
  | { readonly apiKey: string }
  | { readonly attribute: string }
  /**
   * The caller's identity a policy set (`attributes.identity`): `'sub'` or `'data.<field>'`
   * (`'data.tier'`). A route using it needs a policy that provides identity in its inbound list.
   */
  | { readonly identity: string };

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
  /**
   * A request without a key (no client address for `client-ip`, a missing header or attribute):
   * `deny` (refused 429: fail closed, as Envoy's `failure_mode_deny`), `allow` (the limit does
   * not apply, as Envoy's `skip_if_absent`) or `shared` (all such requests share one bucket).
   * Default `deny` when the key includes `client-ip`, else `allow`.
   */
  readonly onMissingKey?: 'deny' | 'allow' | 'shared';
}
