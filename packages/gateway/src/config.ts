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
 */
import type { RedirectConfig, RewriteConfig } from '@switchyard/rewrite';
import type { EndpointInput } from '@switchyard/core';
import type { MatchConfig, NormalizeOptions } from '@switchyard/router';
import type { ClientSideWeightedRoundRobinOptions, HashPolicy, LeastRequestOptions, LocalityOptions, MaglevOptions, PeakEwmaOptions, PriorityOptions, RingHashOptions, SlowStartConfig } from '@switchyard/balancers';
import type { CircuitBreakerConfig, HealthCheckConfig, OutlierDetectionConfig, ResourceLimitsConfig } from '@switchyard/health';
import type { ClientIdentityOptions, Priority, TierMatch } from '@switchyard/limiter';
import type { SessionPersistenceConfig } from './affinity.js';
import type { ExperimentConfig, RolloutConfig } from '@switchyard/splitter';
import * as v from 'valibot';
import { ERROR_CODES, type ConfigIssue } from '@switchyard/core';
import { unknownKeyMessage } from './internal/did-you-mean.js';
import type { FaultPolicy } from './fault.js';
import type { ErrorsConfig } from './error-format.js';
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

// ---------------------------------------------------------------------------------------------
// Structural schema (valibot). Every object is strict: a key the schema does not name is an
// error at its own path, with a "did you mean" when a known key is close (`timeoutMS` →
// `timeoutMs`). The algorithm packages' option types are described here field by field; their
// own compilers then check the semantics only they know (prime table sizes, regex safety, …).

/** Names a config map (upstreams, limits, headers, …) may not use: JavaScript objects reserve them. */
export const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
/** valibot's object schemas take arrays for objects; JSON Schema's `type: object` does not. */
const objectGuard = v.custom<Record<string, unknown>>(isObject, 'must be an object');

function objectMessage(known: readonly string[]): (issue: v.BaseIssue<unknown>) => string {
  return (issue) => {
    if (issue.expected === 'never') return unknownKeyMessage(String(issue.input), known);
    if (issue.expected?.startsWith('"') === true) return 'is required';
    return 'must be an object';
  };
}

/** A strict object without the array guard: for `v.variant` options, which must expose `entries`. */
function strictEntries<const E extends v.ObjectEntries>(entries: E) {
  const known = Object.keys(entries);
  const base = v.strictObject(entries, objectMessage(known));
  // valibot reports the first unknown key of an object only; every typo is reported at once here.
  return Object.assign(Object.create(null) as object, base, {
    '~run'(dataset: v.UnknownDataset, config: v.Config<v.BaseIssue<unknown>>) {
      const input = dataset.value;
      const out = base['~run'](dataset, config) as unknown as { typed: boolean; value: unknown; issues?: v.BaseIssue<unknown>[] };
      if (typeof input !== 'object' || input === null || config.abortEarly === true) return out;
      let seen = 0;
      for (const key in input) {
        if (Object.prototype.hasOwnProperty.call(entries, key)) continue;
        if (seen++ === 0) continue; // the one valibot reported
        const value = (input as Record<string, unknown>)[key];
        const issue: v.BaseIssue<unknown> = {
          kind: 'schema',
          type: 'strict_object',
          input: key,
          expected: 'never',
          received: JSON.stringify(key),
          message: unknownKeyMessage(key, known),
          path: [{ type: 'object', origin: 'key', input: input as Record<string, unknown>, key, value }],
        };
        (out.issues ??= []).push(issue);
        out.typed = false;
      }
      return out as unknown as ReturnType<(typeof base)['~run']>;
    },
  }) as typeof base;
}

/** A strict object: unknown keys are errors with a suggestion, arrays are not objects. */
function strict<const E extends v.ObjectEntries>(entries: E) {
  return v.pipe(objectGuard, strictEntries(entries));
}

/** Tagged by `key` (`{ type: 'Template', … }`): the tag chooses the option, so its errors are precise. */
function tagged<const K extends string, const O extends readonly v.StrictObjectSchema<v.ObjectEntries, v.ErrorMessage<v.StrictObjectIssue> | undefined>[]>(key: K, options: O, message: string) {
  return v.pipe(objectGuard, v.variant(key, options as never, message) as v.VariantSchema<K, O & v.VariantOptions<K>, string>);
}

/** A node whose JSON Schema is `anyOf` these options (see scripts/write-schema.ts). */
export interface AnyOfSchema {
  readonly switchyardAnyOf: readonly v.GenericSchema[];
}

/**
 * One of `options`, chosen by looking at the input (`choose`), so that the errors are those of
 * the option the input was meant for, not a union's "matches none". `choose` returns undefined
 * for an input no option can take, which is refused with `message`. The options must be
 * disjoint for the JSON Schema's `anyOf` to say the same.
 */
function either(options: readonly v.GenericSchema[], choose: (input: unknown) => v.GenericSchema | undefined, message: string): v.GenericSchema & AnyOfSchema {
  const none = v.custom(() => false, message);
  return Object.assign(
    v.lazy((input: unknown) => choose(input) ?? none),
    { switchyardAnyOf: options },
  ) as v.GenericSchema & AnyOfSchema;
}

/**
 * One of several shapes told apart by which key they have (`{ header }`, `{ cookie }`, …), with
 * `shared` keys allowed in each. The present key chooses the option, so a mistake inside it is
 * reported at its own path; with none or several of them, every key is checked against all the
 * options' keys and the object is told which keys it may choose from.
 */
function keyed<const O extends Readonly<Record<string, v.ObjectEntries>>, const S extends v.ObjectEntries = Record<never, never>>(options: O, shared?: S) {
  const ids = Object.keys(options);
  const byId = new Map<string, v.GenericSchema>();
  const merged: Record<string, v.GenericSchema> = {};
  for (const id of ids) {
    const entries = { ...options[id], ...shared } as v.ObjectEntries;
    byId.set(id, strict(entries));
    for (const [k, s] of Object.entries(entries)) merged[k] = s.type === 'optional' ? s : v.optional(s);
  }
  const fallback = v.pipe(
    objectGuard,
    v.strictObject(merged, objectMessage(Object.keys(merged))),
    v.rawCheck(({ addIssue }) => addIssue({ message: `give exactly one of ${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1] as string}` })),
  );
  return either(
    [...byId.values()],
    (input) => {
      if (!isObject(input)) return fallback;
      let chosen: v.GenericSchema | undefined;
      for (const id of ids) {
        if (!Object.prototype.hasOwnProperty.call(input, id)) continue;
        if (chosen !== undefined) return fallback;
        chosen = byId.get(id);
      }
      return chosen ?? fallback;
    },
    'must be an object',
  );
}

/** A map of names to `value`, refusing the names JavaScript objects reserve. */
function dict<S extends v.GenericSchema>(value: S, message = 'must be an object') {
  return v.pipe(
    v.custom<Record<string, unknown>>(isObject, message),
    v.rawCheck<Record<string, unknown>>(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      for (const key of RESERVED_KEYS) {
        if (Object.prototype.hasOwnProperty.call(dataset.value, key)) {
          addIssue({ message: `${JSON.stringify(key)} is a reserved name`, path: [{ type: 'object', origin: 'key', input: dataset.value, key, value: dataset.value[key] }] });
        }
      }
    }),
    v.record(v.string(), value),
  );
}

function pick<const T extends readonly (string | number)[]>(values: T) {
  return v.picklist(values, `must be one of ${values.map((x) => (typeof x === 'string' ? `'${x}'` : String(x))).join(', ')}`);
}

const opt = v.optional;
const str = v.string('must be a string');
const nonEmpty = v.pipe(v.string('must be a string'), v.minLength(1, 'must be a non-empty string'));
const bool = v.boolean('must be true or false');
const finite = v.pipe(v.number('must be a number'), v.finite('must be finite'));
const nonNegative = v.pipe(v.number('must be a number'), v.finite('must be finite'), v.minValue(0, 'must be >= 0'));
const ms = (what = 'milliseconds') => v.pipe(v.number(`must be a number of ${what}`), v.finite('must be finite'), v.minValue(0, 'must be >= 0'));
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(min, `must be >= ${min}`), v.maxValue(max, `must be <= ${max}`));
const percent = v.pipe(v.number('must be a number'), v.finite('must be finite'), v.minValue(0, 'must be >= 0'), v.maxValue(100, 'must be <= 100'));
const stringMap = dict(str);
const list = <S extends v.GenericSchema>(item: S, what = 'an array') => v.array(item, `must be ${what}`);
const scalar = v.union([v.string(), finite, v.boolean()], 'must be a string, number or boolean');
const statusCode = v.pipe(v.number('must be a status code'), v.integer('must be a status code'), v.minValue(100, 'must be a status code'), v.maxValue(599, 'must be a status code'));
const positiveInt = v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(1, 'must be >= 1'), v.maxValue(1_000_000, 'must be <= 1000000'));
const share = v.pipe(v.number('must be a number'), v.gtValue(0, 'must be > 0'), v.maxValue(1, 'must be <= 1'));
const priority = v.picklist(['critical', 'default', 'sheddable'], "must be 'critical', 'default' or 'sheddable'");

// -- shared by the splitter's key sources and the limiter's keys
const keySource = keyed({ header: { header: nonEmpty }, cookie: { cookie: nonEmpty }, query: { query: nonEmpty }, attribute: { attribute: nonEmpty } });
const keySourceList = list(keySource);
const keySources = either([keySource, keySourceList], (x) => (Array.isArray(x) ? keySourceList : isObject(x) ? keySource : undefined), 'must be { header }, { cookie }, { query }, { attribute } or an array of them');

// -- @switchyard/router: NormalizeOptions, MatchConfig
const normalizeSchema = strict({ resolveDotSegments: opt(bool), mergeSlashes: opt(bool), escapedSlashes: opt(pick(['reject', 'keep', 'decode'])) });
const matchSchema = strict({
  path: opt(strict({ type: opt(pick(['Exact', 'PathPrefix', 'Prefix', 'Template', 'RegularExpression'])), value: opt(str), ignoreCase: opt(bool) })),
  method: opt(nonEmpty),
  headers: opt(list(strict({ name: nonEmpty, type: opt(pick(['Exact', 'Prefix', 'Suffix', 'Contains', 'RegularExpression', 'Present', 'Absent'])), value: opt(str), invert: opt(bool), ignoreCase: opt(bool) }))),
  queryParams: opt(list(strict({ name: nonEmpty, type: opt(pick(['Exact', 'RegularExpression', 'Present'])), value: opt(str) }))),
  attributes: opt(list(strict({ key: nonEmpty, equals: opt(scalar), oneOf: opt(list(scalar)), present: opt(bool), cidrs: opt(list(str)) }))),
  clientCidrs: opt(list(str)),
  runtimeFraction: opt(strict({ percent })),
});

// -- @switchyard/rewrite: RewriteConfig (without `upstream`: the picked endpoint is the upstream), RedirectConfig
const replaceFullPath = strictEntries({ type: v.literal('ReplaceFullPath'), replaceFullPath: str });
const replacePrefixMatch = strictEntries({ type: v.literal('ReplacePrefixMatch'), replacePrefixMatch: str, prefix: opt(str) });
const pathRewriteSchema = tagged(
  'type',
  [
    replaceFullPath,
    replacePrefixMatch,
    strictEntries({ type: v.literal('PrefixRewrite'), prefixRewrite: str, prefix: opt(str) }),
    strictEntries({ type: v.literal('RegexRewrite'), pattern: str, substitution: str }),
    strictEntries({ type: v.literal('StripPrefix'), prefix: str }),
    strictEntries({ type: v.literal('Template'), template: str }),
  ],
  "must be one of 'ReplaceFullPath', 'ReplacePrefixMatch', 'PrefixRewrite', 'RegexRewrite', 'StripPrefix', 'Template'",
);
const HOST_MESSAGE = "must be 'preserve', 'upstream', { literal }, { fromHeader } or { template }";
const hostKeyword = v.picklist(['preserve', 'upstream'], HOST_MESSAGE);
const hostObject = keyed({ literal: { literal: nonEmpty }, fromHeader: { fromHeader: nonEmpty }, template: { template: nonEmpty } });
const hostRewriteSchema = either(
  [hostKeyword, hostObject],
  (x) => (typeof x === 'string' ? hostKeyword : isObject(x) ? hostObject : undefined),
  HOST_MESSAGE,
);
const headerModifierSchema = strict({ set: opt(stringMap), add: opt(stringMap), remove: opt(list(str)) });
const rewriteSchema = strict({
  url: opt(str),
  allowedUpstreams: opt(list(str)),
  path: opt(pathRewriteSchema),
  query: opt(strict({ removeAll: opt(bool), remove: opt(list(str)), rename: opt(stringMap), set: opt(stringMap), add: opt(stringMap) })),
  host: opt(hostRewriteSchema),
  requestHeaders: opt(headerModifierSchema),
  responseHeaders: opt(headerModifierSchema),
  forwarded: opt(strict({ mode: opt(pick(['trusted', 'append', 'overwrite', 'off'])), headers: opt(pick(['x-forwarded', 'forwarded', 'both'])), trustedProxies: opt(list(str)), trustedHops: opt(int(0, 1000)) })),
  connectionHeader: opt(pick(['reject', 'ignore'])),
  unsafeHeaders: opt(pick(['reject', 'strip'])),
  originalPathHeader: opt(nonEmpty),
});
const redirectSchema = strict({
  scheme: opt(pick(['http', 'https'])),
  hostname: opt(str),
  port: opt(int(1, 65535)),
  path: opt(tagged('type', [replaceFullPath, replacePrefixMatch], "must be one of 'ReplaceFullPath', 'ReplacePrefixMatch'")),
  statusCode: opt(pick([301, 302, 303, 307, 308])),
  stripQuery: opt(bool),
});

// -- @switchyard/splitter: split (CanaryRule), RolloutConfig, ExperimentConfig
const canarySelectorSchema = keyed({
  header: { header: nonEmpty, value: opt(str) },
  query: { query: nonEmpty, value: opt(str) },
  keyIn: { keyIn: list(str), key: opt(keySources) },
  attribute: { attribute: nonEmpty, equals: opt(scalar), in: opt(list(scalar)) },
});
const splitSchema = strict({ key: opt(keySources), salt: opt(str), canary: opt(list(strict({ backend: nonEmpty, when: canarySelectorSchema, name: opt(str) }))) });
const rolloutSchema = strict({
  name: nonEmpty,
  canary: nonEmpty,
  baseline: nonEmpty,
  steps: opt(list(finite)),
  stepWeights: opt(list(finite)),
  stepWeight: opt(finite),
  maxWeight: opt(finite),
  iterations: opt(int(1)),
  bakeTimeMs: opt(v.union([ms(), list(ms())], 'must be a number of milliseconds or an array of them')),
  analysisIntervalMs: ms(),
  failureThreshold: opt(int(1)),
  inconclusiveLimit: opt(int(0)),
  progressDeadlineMs: opt(ms()),
  progressDeadlineAction: opt(pick(['rollback', 'pause'])),
  maxEvents: opt(int(1, 1_000_000)),
  minRequests: opt(int(0)),
  minLatencySamples: opt(int(1)),
  latencyQuantile: opt(finite),
  alpha: opt(finite),
  maxErrorRateIncreasePercent: opt(finite),
  maxP99IncreasePercent: opt(finite),
  maxP99LatencyMs: opt(ms()),
  webhooks: opt(
    list(
      strict({
        name: nonEmpty,
        type: opt(pick(['confirm-rollout', 'pre-rollout', 'rollout', 'confirm-traffic-increase', 'confirm-promotion', 'post-rollout', 'rollback'])),
        url: nonEmpty,
        timeoutMs: opt(ms()),
        retries: opt(int(0, 100)),
        metadata: opt(stringMap),
      }),
    ),
  ),
});
const experimentSchema = strict({
  name: nonEmpty,
  salt: opt(str),
  variants: list(strict({ name: nonEmpty, weight: opt(int(0)) }), 'an array of variants'),
  key: keySources,
  coveragePercent: opt(percent),
  header: opt(nonEmpty),
});

// -- @switchyard/core EndpointInput; @switchyard/balancers options
const endpointSchema = strict({
  id: opt(nonEmpty),
  url: v.string('must be a URL string'),
  weight: opt(int(1)),
  priority: opt(int(0)),
  locality: opt(strict({ region: opt(str), zone: opt(str), subZone: opt(str) })),
  metadata: opt(stringMap),
});
const slowStartSchema = strict({ slowStartWindowMs: ms(), aggression: opt(finite), minWeightPercent: opt(percent) });
const sampling = opt(pick(['with-replacement', 'distinct']));
const hashPolicySchema = tagged(
  'kind',
  [
    strictEntries({ kind: v.literal('header'), name: nonEmpty, terminal: opt(bool) }),
    strictEntries({ kind: v.literal('cookie'), name: nonEmpty, terminal: opt(bool), ttlMs: opt(ms()), path: opt(nonEmpty) }),
    strictEntries({ kind: v.literal('query-parameter'), name: nonEmpty, terminal: opt(bool) }),
    strictEntries({ kind: v.literal('source-ip'), terminal: opt(bool) }),
    strictEntries({ kind: v.literal('attribute'), name: nonEmpty, terminal: opt(bool) }),
  ],
  "must be one of 'header', 'cookie', 'query-parameter', 'source-ip', 'attribute'",
);
const hashing = { hashPolicies: opt(list(hashPolicySchema)), hashBalanceFactor: opt(int(100)), hashCacheSize: opt(int(0, 1_000_000)), compatibility: opt(pick(['switchyard', 'envoy'])) };
const BALANCERS = ['round-robin', 'weighted-round-robin', 'random', 'weighted-random', 'least-request', 'peak-ewma', 'client-side-weighted-round-robin', 'ring-hash', 'maglev'] as const;
const balancerSchema = tagged(
  'policy',
  [
    strictEntries({ policy: pick(['round-robin', 'random', 'weighted-random']) }),
    strictEntries({ policy: v.literal('weighted-round-robin'), slowStart: opt(slowStartSchema) }),
    strictEntries({ policy: v.literal('least-request'), choiceCount: opt(int(2, 1000)), sampling, activeRequestBias: opt(nonNegative), selectionMethod: opt(pick(['n-choices', 'full-scan'])), slowStart: opt(slowStartSchema) }),
    strictEntries({ policy: v.literal('peak-ewma'), decayTimeMs: opt(ms()), defaultRttMs: opt(ms()), choiceCount: opt(int(2, 1000)), sampling, failurePenaltyMs: opt(ms()) }),
    strictEntries({
      policy: v.literal('client-side-weighted-round-robin'),
      // 'reports' needs reportLoad() on the balancer state, which the gateway does not expose.
      loadSource: opt(v.picklist(['latency'], "must be 'latency': the gateway has no way to feed load reports to the balancer")),
      blackoutPeriodMs: opt(ms()),
      weightExpirationPeriodMs: opt(ms()),
      weightUpdatePeriodMs: opt(ms()),
      errorUtilizationPenalty: opt(nonNegative),
    }),
    strictEntries({ policy: v.literal('ring-hash'), ...hashing, minimumRingSize: opt(int(1, 8_388_608)), maximumRingSize: opt(int(1, 8_388_608)) }),
    strictEntries({ policy: v.literal('maglev'), ...hashing, tableSize: opt(int(2, 5_000_011)) }),
  ],
  `must be one of ${BALANCERS.join(', ')}`,
);

// -- @switchyard/health: HealthCheckConfig, OutlierDetectionConfig, CircuitBreakerConfig, ResourceLimitsConfig
const statusRange = strict({ start: int(0, 1000), end: int(0, 1000) });
const healthCheckSchema = strict({
  path: opt(str),
  method: opt(nonEmpty),
  headers: opt(stringMap),
  intervalMs: opt(ms()),
  timeoutMs: opt(ms()),
  initialJitterMs: opt(ms()),
  intervalJitterMs: opt(ms()),
  intervalJitterPercent: opt(percent),
  unhealthyThreshold: opt(int(1)),
  healthyThreshold: opt(int(1)),
  unhealthyIntervalMs: opt(ms()),
  unhealthyEdgeIntervalMs: opt(ms()),
  healthyEdgeIntervalMs: opt(ms()),
  noTrafficIntervalMs: opt(ms()),
  noTrafficHealthyIntervalMs: opt(ms()),
  expectedStatuses: opt(list(statusRange)),
  retriableStatuses: opt(list(statusRange)),
  expectedBodyContains: opt(str),
  responseBufferSizeBytes: opt(int(0, 16 * 1024 * 1024)),
});
const outlierDetectionSchema = strict({
  consecutive5xx: opt(int(0)),
  consecutiveGatewayFailure: opt(int(0)),
  consecutiveLocalOriginFailure: opt(int(0)),
  intervalMs: opt(ms()),
  baseEjectionTimeMs: opt(ms()),
  maxEjectionTimeMs: opt(ms()),
  maxEjectionTimeJitterMs: opt(ms()),
  maxEjectionPercent: opt(percent),
  maxEjectionPercentRule: opt(pick(['post-ejection', 'current'])),
  alwaysEjectOneHost: opt(bool),
  ejectionMultiplierDecay: opt(pick(['after-interval-since-unejection', 'every-interval'])),
  enforcingConsecutive5xx: opt(percent),
  enforcingConsecutiveGatewayFailure: opt(percent),
  enforcingConsecutiveLocalOriginFailure: opt(percent),
  enforcingSuccessRate: opt(percent),
  enforcingLocalOriginSuccessRate: opt(percent),
  successRateMinimumHosts: opt(int(0)),
  successRateRequestVolume: opt(int(0)),
  successRateStdevFactor: opt(nonNegative),
  failurePercentageThreshold: opt(percent),
  enforcingFailurePercentage: opt(percent),
  enforcingFailurePercentageLocalOrigin: opt(percent),
  failurePercentageMinimumHosts: opt(int(0)),
  failurePercentageRequestVolume: opt(int(0)),
  splitExternalLocalOriginErrors: opt(bool),
  successfulActiveHealthCheckUnejectHost: opt(bool),
});
const circuitBreakerSchema = strict({
  name: opt(str),
  policy: opt(
    tagged(
      'kind',
      [
        strictEntries({ kind: v.literal('consecutive'), maxFailures: opt(int(1)) }),
        strictEntries({ kind: v.literal('sampling'), failureRatioThreshold: opt(finite), windowMs: opt(ms()), minimumThroughput: opt(int(0)), buckets: opt(int(1, 10_000)) }),
      ],
      "must be one of 'consecutive', 'sampling'",
    ),
  ),
  minOpenMs: opt(ms()),
  maxOpenMs: opt(ms()),
  jitterRatio: opt(nonNegative),
  halfOpenMaxProbes: opt(int(1)),
  halfOpenSuccessThreshold: opt(int(1)),
});
const resourceLimitsSchema = strict({
  maxConnections: opt(int(0)),
  maxPendingRequests: opt(int(0)),
  maxRequests: opt(int(0)),
  maxRetries: opt(int(0)),
  retryBudget: opt(strict({ budgetPercent: opt(percent), minRetryConcurrency: opt(int(0)) })),
});

const upstreamSchema = strict({
  endpoints: list(endpointSchema, 'an array of endpoints'),
  balancer: opt(balancerSchema),
  panicThresholdPercent: opt(percent),
  priority: opt(strict({ overprovisioningFactor: opt(finite) })),
  locality: opt(strict({ overprovisioningFactor: opt(finite), localZone: opt(str) })),
  healthCheck: opt(healthCheckSchema),
  outlierDetection: opt(outlierDetectionSchema),
  circuitBreaker: opt(circuitBreakerSchema),
  resourceLimits: opt(resourceLimitsSchema),
  adaptiveThrottle: opt(
    strict({
      k: opt(v.pipe(v.number('must be a number'), v.finite('must be finite'), v.minValue(1, 'must be >= 1'))),
      windowMs: opt(v.pipe(ms(), v.minValue(1, 'must be >= 1'))),
      bucketCount: opt(v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(1, 'must be >= 1'), v.maxValue(1000, 'must be <= 1000'))),
      rejectStatuses: opt(v.array(statusCode)),
    }),
  ),
  adaptiveConcurrency: opt(
    strict({
      algorithm: opt(v.picklist(['aimd', 'gradient', 'vegas'], "must be 'aimd', 'gradient' or 'vegas'")),
      initialLimit: opt(positiveInt),
      minLimit: opt(positiveInt),
      maxLimit: opt(positiveInt),
      backoffRatio: opt(v.pipe(v.number('must be a number'), v.minValue(0.5, 'must be >= 0.5'), v.maxValue(0.99, 'must be < 1'))),
      timeoutMs: opt(v.pipe(ms(), v.minValue(1, 'must be >= 1'))),
      queueSize: opt(v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be >= 0'))),
      rttTolerance: opt(v.pipe(v.number('must be a number'), v.finite('must be finite'), v.minValue(1, 'must be >= 1'))),
      smoothing: opt(v.pipe(v.number('must be a number'), v.gtValue(0, 'must be > 0'), v.maxValue(1, 'must be <= 1'))),
      longWindow: opt(positiveInt),
      shares: opt(strict({ critical: opt(share), default: opt(share), sheddable: opt(share) })),
      priority: opt(strict({ attribute: opt(nonEmpty), header: opt(nonEmpty) })),
      dropStatuses: opt(v.array(statusCode)),
    }),
  ),
});

const backendSchema = strict({
  name: opt(nonEmpty),
  upstream: nonEmpty,
  subset: opt(stringMap),
  weight: opt(v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be >= 0'), v.maxValue(1_000_000, 'must be <= 1000000'))),
});

// -- the gateway's own error responses (error-format.ts): gateway, route and policy `errors`
const errorResponseSchema = strict({
  status: opt(v.pipe(v.number('must be a status code'), v.integer('must be a status code'), v.minValue(200, 'must be in [200, 600)'), v.maxValue(599, 'must be in [200, 600)'))),
  headers: opt(stringMap),
  // A template string or a JSON value of templates: compile-time checks in compileErrors.
  body: opt(v.custom<unknown>((x) => x !== undefined, 'must be a template string or a JSON value')),
  contentType: opt(nonEmpty),
});
const ERROR_KEY_MESSAGE = "must be an error code (SY_…), a status between 200 and 599 or 'default'";
const errorResponseKey = v.union(
  [v.picklist([...ERROR_CODES, 'default'], ERROR_KEY_MESSAGE), v.pipe(v.string(ERROR_KEY_MESSAGE), v.regex(/^(?:[2-4][0-9][0-9]|5[0-9][0-9])$/, ERROR_KEY_MESSAGE))],
  ERROR_KEY_MESSAGE,
);
/**
 * The `errors` block of the gateway, a route or a policy instance (`policies.<name>.errors`:
 * the pipeline's policy schema uses this one).
 */
export const errorsConfigSchema = strict({
  format: opt(v.picklist(['switchyard', 'problem+json'], "must be 'switchyard' or 'problem+json'")),
  typeBaseUri: opt(nonEmpty),
  // Keys: a code, a status or `default` (the record's key schema, also the JSON Schema's propertyNames).
  responses: opt(v.pipe(v.custom<Record<string, unknown>>(isObject, 'must be an object'), v.record(errorResponseKey, errorResponseSchema))),
});

const retryOnSchema = v.picklist(['5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-4xx', 'retriable-status-codes'], 'must be a known retry_on condition');

const routeSchema = strict({
  name: nonEmpty,
  hostnames: opt(list(str)),
  matches: opt(list(matchSchema, 'an array of matches')),
  backends: opt(list(backendSchema, 'an array of backends')),
  split: opt(splitSchema),
  rollout: opt(rolloutSchema),
  sessionPersistence: opt(strict({ sessionName: nonEmpty, type: opt(pick(['Cookie', 'Header'])), absoluteTimeoutMs: opt(ms()), idleTimeoutMs: opt(ms()) })),
  experiment: opt(experimentSchema),
  rewrite: opt(rewriteSchema),
  redirect: opt(redirectSchema),
  limits: opt(list(nonEmpty)),
  timeoutMs: opt(ms()),
  perTryTimeoutMs: opt(ms()),
  idleTimeoutMs: opt(ms()),
  propagateDeadline: opt(bool),
  retry: opt(
    strict({
      numRetries: opt(int(0, 100)),
      retryOn: opt(list(retryOnSchema)),
      retriableStatusCodes: opt(list(v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(100, 'must be a status code'), v.maxValue(599, 'must be a status code')))),
      baseIntervalMs: opt(v.pipe(ms(), v.minValue(1, 'must be >= 1'))),
      maxIntervalMs: opt(ms()),
      honorRetryAfter: opt(bool),
      retryNonIdempotent: opt(bool),
      budget: opt(
        strict({
          ratio: opt(v.pipe(finite, v.minValue(0, 'must be >= 0'), v.maxValue(1000, 'must be <= 1000'))),
          minRetriesPerSecond: opt(nonNegative),
          ttlMs: opt(v.pipe(finite, v.minValue(1000, 'must be >= 1000'), v.maxValue(60000, 'must be <= 60000'))),
        }),
      ),
    }),
  ),
  hedge: opt(strict({ onPerTryTimeout: opt(bool), delayMs: opt(ms()) })),
  mirror: opt(strict({ upstream: nonEmpty, percent: opt(percent), timeoutMs: opt(ms()) })),
  fault: opt(
    strict({
      delay: opt(strict({ fixedDelayMs: v.pipe(ms(), v.minValue(1, 'must be > 0')), percent: opt(percent) })),
      abort: opt(strict({ httpStatus: v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(200, 'must be in [200, 600)'), v.maxValue(599, 'must be in [200, 600)')), percent: opt(percent) })),
      headers: opt(stringMap),
      headerControl: opt(bool),
    }),
  ),
  priority: opt(priority),
  policies: opt(strict({ inbound: opt(list(nonEmpty)), outbound: opt(list(nonEmpty)), exclude: opt(list(nonEmpty)) })),
  metadata: opt(v.custom<Record<string, unknown>>(isObject, 'must be an object')),
  errors: opt(errorsConfigSchema),
});

// -- policies: named instances, the gateway-wide lists
const oneOrMany = v.union([nonEmpty, list(nonEmpty)], 'must be a non-empty string or an array of them');
const policyWhenSchema = strict({
  method: opt(oneOrMany),
  pathPrefix: opt(oneOrMany),
  header: opt(strict({ name: nonEmpty, present: opt(bool), value: opt(str) })),
  not: opt(bool),
});
const policyInstanceSchema = strict({
  type: nonEmpty,
  options: opt(v.unknown()),
  when: opt(policyWhenSchema),
  errors: opt(errorsConfigSchema),
});

// -- @switchyard/limiter: rate policies, keys, tiers, ClientIdentityOptions
const ratePolicySchema = tagged(
  'algorithm',
  [
    strictEntries({ algorithm: opt(pick(['token-bucket', 'gcra'])), maxTokens: finite, tokensPerFill: opt(finite), fillIntervalMs: finite }),
    strictEntries({ algorithm: v.literal('sliding-window'), limit: finite, windowMs: finite }),
  ],
  'must be token-bucket, gcra or sliding-window',
);
const LIMIT_KEY_MESSAGE = "must be 'client-ip', 'route', 'global', { header }, { apiKey }, { attribute } or { identity }";
const limitKeyword = v.picklist(['client-ip', 'route', 'global'], LIMIT_KEY_MESSAGE);
const limitKeyObject = keyed({ header: { header: nonEmpty }, apiKey: { apiKey: nonEmpty }, attribute: { attribute: nonEmpty }, identity: { identity: nonEmpty } });
const limitKeySchema = either(
  [limitKeyword, limitKeyObject],
  (x) => (typeof x === 'string' ? limitKeyword : isObject(x) ? limitKeyObject : undefined),
  LIMIT_KEY_MESSAGE,
);
const limitKeyList = list(limitKeySchema);
const limitSchema = keyed(
  {
    policy: { policy: ratePolicySchema },
    tiers: {
      tiers: strict({
        policies: dict(ratePolicySchema),
        match: opt(list(strict({ tier: nonEmpty, attributes: opt(dict(scalar)), headers: opt(stringMap) }))),
        attribute: opt(nonEmpty),
        default: opt(nonEmpty),
      }),
    },
  },
  {
    key: either([limitKeySchema, limitKeyList], (x) => (Array.isArray(x) ? limitKeyList : limitKeySchema), 'unused: every input has an option'),
    mode: opt(pick(['enforce', 'shadow'])),
    cost: opt(nonNegative),
    onMissingKey: opt(pick(['deny', 'allow', 'shared'])),
  },
);
const clientIdentitySchema = keyed(
  { trustedProxies: { trustedProxies: list(str) }, trustedHops: { trustedHops: int(0, 1000) } },
  { header: opt(pick(['x-forwarded-for', 'forwarded'])), ipv6Prefix: opt(int(0, 128)), ipv4Prefix: opt(int(0, 32)) },
);

/** The structural schema of {@link GatewayConfig} (valibot). */
export const gatewayConfigSchema = strict({
  selection: opt(v.picklist(['gateway', 'first-match'], "must be 'gateway' or 'first-match'")),
  normalize: opt(normalizeSchema),
  clientIdentity: opt(clientIdentitySchema),
  routes: list(routeSchema, 'an array of routes'),
  upstreams: dict(upstreamSchema, 'must be an object of upstream groups'),
  limits: opt(dict(limitSchema)),
  rateLimitHeaders: opt(v.picklist(['both', 'ietf', 'legacy', 'none'], "must be 'both', 'ietf', 'legacy' or 'none'")),
  replayBufferBytes: opt(int(0)),
  policies: opt(dict(policyInstanceSchema)),
  pipeline: opt(strict({ inbound: opt(list(nonEmpty)), outbound: opt(list(nonEmpty)) })),
  errors: opt(errorsConfigSchema),
});

/** The outcome of {@link parseConfigStructure}. */
export type StructureResult = { readonly kind: 'ok'; readonly config: GatewayConfig } | { readonly kind: 'invalid'; readonly issues: readonly ConfigIssue[] };

/**
 * Checks `input` against {@link gatewayConfigSchema} and returns a clean copy: only the keys
 * the schema names, in fresh objects (so a `__proto__` key of a parsed document never reaches
 * the compiler). Never throws, whatever `input` is.
 */
export function parseConfigStructure(input: unknown): StructureResult {
  const result = v.safeParse(gatewayConfigSchema, input, { abortEarly: false });
  if (result.success) return { kind: 'ok', config: result.output as unknown as GatewayConfig };
  return { kind: 'invalid', issues: result.issues.map((issue) => ({ path: issuePath(issue.path), message: messageOf(issue) })) };
}

/** Structural problems of `input`, each with its path. Empty when the shape is right. */
export function structuralIssues(input: unknown): { path: string; message: string }[] {
  const r = parseConfigStructure(input);
  return r.kind === 'ok' ? [] : r.issues.map((i) => ({ path: i.path, message: i.message }));
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
  if (issue.kind === 'schema' && issue.expected === 'never') return issue.message.startsWith('unknown key') ? issue.message : 'is not allowed';
  if (issue.input === undefined && issue.kind === 'schema' && issue.type !== 'custom' && issue.type !== 'variant') return 'is required';
  return issue.message;
}
