/**
 * Compiles a {@link GatewayConfig} into a frozen plan, reusing the runtime state (balancer
 * EWMAs and in-flight counts, ejections, health-check states, breakers, rollouts) of whatever
 * stays from the previous plan. Every problem is reported by its config path, all at once.
 */
import { compileCookieAffinity, compileSession, type CookieAffinity, type SessionPersistenceConfig } from './affinity.js';
import {
  ConfigError,
  createEndpoint,
  isSwitchyardError,
  type Clock,
  type CompiledPipeline,
  type ConfigIssue,
  type Endpoint,
  type PolicyDefinition,
  type PolicyRoute,
  type SyRequest,
  type LoadBalancer,
  type Rng,
  type Transport,
} from '@switchyard/core';
import {
  clientSideWeightedRoundRobin,
  leastRequest,
  maglev,
  peakEwma,
  random,
  ringHash,
  roundRobin,
  weightedRandom,
  weightedRoundRobin,
  withLocality,
  withPriority,
} from '@switchyard/balancers';
import {
  compileResourceLimits,
  type computeEligible,
  createCircuitBreaker,
  createHealthCheckRunner,
  createOutlierDetector,
  createResourceCounters,
  type CircuitBreaker,
  type HealthCheckRunner,
  type HealthEvent,
  type OutlierDetector,
  type ResourceCounters,
  type ResourceLimitsPlan,
} from '@switchyard/health';
import {
  createClientIdentity,
  createRateLimiter,
  gcra,
  keys,
  slidingWindow,
  tiers,
  tokenBucket,
  type KeySource,
  type LimiterStore,
  type LimitRule,
  type Priority,
  type RateLimiter,
  type RatePolicy,
} from '@switchyard/limiter';
import { compileRoutes, type RouteConfig as RouterRouteConfig, type RouteTable } from '@switchyard/router';
import { compileRewrite, type RewritePlan } from '@switchyard/rewrite';
import {
  compileExperiment,
  compileSplit,
  startRollout,
  withWeights,
  type ExperimentPlan,
  type RolloutConfig,
  type RolloutState,
  type SplitPlan,
} from '@switchyard/splitter';
import type { BackendConfig, GatewayConfig, LimitConfig, LimitKey, RatePolicyConfig, RouteConfig, UpstreamConfig } from './config.js';
import { parseConfigStructure } from './config.js';
import { compileErrorFormat, type ErrorFormatPlan, type ErrorsConfig } from './error-format.js';
import type { FaultPolicy } from './fault.js';
import type { ForwardPolicy } from './forward.js';
import type { MirrorPolicy } from './mirror.js';
import { compileOverload, pruneInflight, type UpstreamOverload } from './overload.js';
import { closePolicies, compilePolicies, compileRoutePolicies, explainRoute, identityKey, trustedPeerOf, type PolicySet, type RouteExplanation } from './pipeline.js';
import { createRetryBudget, type RetryBudgetState } from './retry-budget.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';

/** Endpoints of one upstream that a backend selects (a subset), with their balancer state. */
export interface GroupRuntime {
  readonly key: string;
  endpoints: readonly Endpoint[];
  state: unknown;
}

/** One upstream group's live state. Survives reloads while its config is unchanged. */
export interface UpstreamRuntime {
  readonly name: string;
  readonly fingerprint: string;
  endpoints: readonly Endpoint[];
  readonly balancer: LoadBalancer<unknown>;
  /** What `computeEligible` needs for this upstream, built once (no closures per request). */
  readonly eligibility: Parameters<typeof computeEligible>[1];
  readonly panicThresholdPercent: number;
  readonly outlier: OutlierDetector | undefined;
  readonly health: HealthCheckRunner | undefined;
  readonly breaker: CircuitBreaker | undefined;
  readonly limits: { readonly plan: ResourceLimitsPlan; readonly counters: ResourceCounters };
  /** Pool and pending-queue accounting, adaptive throttle and concurrency (see overload.ts). */
  readonly overload: UpstreamOverload;
  readonly groups: Map<string, GroupRuntime>;
  /** Endpoint affinity by a generated cookie (a `cookie` hash policy with `ttlMs`; affinity.ts). */
  readonly cookieAffinity: CookieAffinity | undefined;
}

/** A backend of a route, resolved. */
export interface BackendPlan {
  readonly name: string;
  readonly upstream: UpstreamRuntime;
  readonly group: GroupRuntime;
}

/** A rollout attached to a route, with its live state. */
export interface RolloutRuntime {
  readonly config: RolloutConfig;
  readonly canary: string;
  readonly baseline: string;
  readonly fingerprint: string;
  state: RolloutState;
  /** The percentage the split was last built for. */
  appliedPercent: number;
}

/** Everything one route needs at request time, compiled. */
export interface RoutePlan {
  readonly name: string;
  readonly backends: ReadonlyMap<string, BackendPlan>;
  /** Swapped (never mutated) when a rollout moves. */
  split: SplitPlan | undefined;
  readonly rollout: RolloutRuntime | undefined;
  readonly experiment: ExperimentPlan | undefined;
  readonly rewrite: RewritePlan;
  readonly redirect: RewritePlan | undefined;
  readonly limiter: RateLimiter | undefined;
  readonly forward: ForwardPolicy;
  readonly budget: RetryBudgetState | undefined;
  readonly mirror: { readonly upstream: UpstreamRuntime; readonly policy: MirrorPolicy } | undefined;
  readonly fault: FaultPolicy | undefined;
  /** The route's priority class for upstreams with `adaptiveConcurrency` (`routes[].priority`). */
  readonly priority: Priority | undefined;
  /**
   * The route's policy pipeline (gateway-wide lists + its own, compiled), or `undefined` when no
   * policy runs on it: then the request path is exactly the one without policies.
   */
  readonly pipeline: CompiledPipeline | undefined;
  /** What policies see as `ctx.route` (`name`, `metadata`), built once. */
  readonly policyRoute: PolicyRoute;
  /** The route's config as validated (the schema's clean copy): for `explain()`. */
  readonly config: RouteConfig;
  /** The configured PathPrefix/Prefix value of each match, for ReplacePrefixMatch. */
  readonly prefixes: readonly (string | undefined)[];
  /**
   * Whether a request body must be buffered for replay (retries, hedging). A mirror alone does
   * not: its copy is teed from the stream, so the primary is never delayed.
   */
  readonly needsReplay: boolean;
  /** Gateway API session persistence of the route (affinity.ts), if any. */
  readonly session: SessionPersistenceConfig | undefined;
}

/** The compiled gateway. Frozen apart from the live runtimes it points to. */
export interface GatewayPlan {
  /** The compiled route table (its plans' shape is not API). @internal */
  readonly table: RouteTable<RoutePlan>;
  /** The compiled routes, in config order (their shape is not API). @internal */
  readonly routes: readonly RoutePlan[];
  /** The upstream groups' runtimes: balancer, health, limits state (not API). @internal */
  readonly upstreams: ReadonlyMap<string, UpstreamRuntime>;
  readonly replayBufferBytes: number;
  /**
   * What the config loads with but the operator should know, by path: a route with no backend
   * or all-zero weights (answered 500, Gateway API), `clientIdentity` nothing reads, the router's
   * unreachable routes. Emitted as `config-warning` events too.
   */
  readonly warnings: readonly ConfigIssue[];
  /** The policy instances of this config (built once per config) and the gateway-wide lists. @internal */
  readonly policies: PolicySet;
  /** Whether the config has any policy instance (the hot path skips every policy check otherwise). */
  readonly hasPolicies: boolean;
  /** A route's compiled plan in order (as `gateway.explain`); `undefined` for an unknown name. */
  explain(route: string): RouteExplanation | undefined;
  /** The client, per `clientIdentity` (for policies' `ctx.clientIp` and `ctx.trustedPeer`). */
  readonly client: {
    /** The client address (trusted proxies applied); the TCP peer without `clientIdentity`. */
    ip(request: SyRequest): string | undefined;
    /** Whether the TCP peer is one of the trusted proxies. */
    trusted(request: SyRequest): boolean;
  };
  /** The compiled `errors` blocks (gateway, routes, policy instances); undefined when the config has none. */
  readonly errors: ErrorFormatPlan | undefined;
}

/** What compiling needs from the gateway. */
export interface CompileDeps {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly transport: Transport;
  readonly store: LimiterStore;
  readonly onHealthEvent: (upstream: string, event: HealthEvent) => void;
  /** Custom policy types (`GatewayDeps.policies`). */
  readonly policies?: readonly PolicyDefinition<unknown>[] | undefined;
  /** Whether a geo source is configured (it provides `geo` to every policy). */
  readonly hasGeoSource?: boolean | undefined;
}

/** Runs `fn`, turning a thrown ConfigError into issues under `prefix`. */
function within<T>(issues: ConfigIssue[], prefix: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ConfigError || (isSwitchyardError(err) && err.code === 'SY_CONFIG_INVALID' && 'issues' in err)) {
      for (const i of (err as ConfigError).issues) issues.push({ path: joinPath(prefix, i.path), message: i.message });
      return undefined;
    }
    if (isSwitchyardError(err)) {
      issues.push({ path: prefix, message: err.message });
      return undefined;
    }
    throw err;
  }
}

function joinPath(prefix: string, path: string): string {
  if (path === '' || path === '(root)') return prefix;
  if (prefix === '') return path;
  // Some compilers already name their own section (`outlierDetection.maxEjectionTimeMs`).
  const last = /(?:^|\.)([A-Za-z_$][\w$]*)$/.exec(prefix)?.[1];
  if (last !== undefined && (path === last || path.startsWith(`${last}.`) || path.startsWith(`${last}[`))) path = path.slice(last.length).replace(/^\./, '');
  if (path === '') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

/** `upstreams` + `orders` → `upstreams.orders`; keys that are not identifiers are quoted. */
function keyPath(prefix: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${prefix}.${key}` : `${prefix}[${JSON.stringify(key)}]`;
}

function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'function' ? `fn:${String(v)}` : v));
}

/**
 * Validates and compiles `config`. `previous` lends its runtimes to whatever stays. Throws a
 * {@link ConfigError} listing every problem; on error, nothing of `previous` was changed.
 */
export function compileGateway(input: GatewayConfig, deps: CompileDeps, previous?: GatewayPlan): GatewayPlan {
  // The compiler reads the schema's clean copy, never the caller's object: only known keys, in
  // fresh plain objects (a parsed document's `__proto__` or getters never reach it).
  const structure = parseConfigStructure(input);
  if (structure.kind === 'invalid') throw new ConfigError(structure.issues);
  const config = structure.config;
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const upstreams = new Map<string, UpstreamRuntime>();
  const pendingEndpointUpdates: (() => void)[] = [];

  const broken = new Set<string>();
  for (const [name, up] of Object.entries(config.upstreams)) {
    const at = keyPath('upstreams', name);
    const runtime = compileUpstream(name, up, at, issues, deps, previous?.upstreams.get(name), pendingEndpointUpdates);
    if (runtime !== undefined) upstreams.set(name, runtime);
    else broken.add(name);
  }

  const identity = config.clientIdentity === undefined ? undefined : within(issues, 'clientIdentity', () => createClientIdentity(config.clientIdentity as never));
  // The proxies clientIdentity trusts are the ones whose forwarding headers rewrites keep
  // (forwarded mode 'trusted', the default); a valid clientIdentity only, or its issues would repeat.
  const forwardedTrust = identity === undefined ? undefined : trustOf(config.clientIdentity as { readonly trustedProxies?: readonly string[]; readonly trustedHops?: number });
  const limitRules = new Map<string, LimitRule>();
  const identityLimits = new Set<string>();
  for (const [name, limit] of Object.entries(config.limits ?? {})) {
    const rule = compileLimit(name, limit, keyPath('limits', name), issues, identity);
    if (rule !== undefined) limitRules.set(name, rule);
    if ((Array.isArray(limit.key) ? (limit.key as readonly LimitKey[]) : [limit.key as LimitKey]).some((k) => typeof k === 'object' && 'identity' in k)) identityLimits.add(name);
  }
  const hasGeo = deps.hasGeoSource === true;
  const policies = compilePolicies(config, deps, issues, warnings);

  // Policies read the client address too (ctx.clientIp): then clientIdentity is not unused.
  if (config.clientIdentity !== undefined && policies.instances.size === 0 && !Object.values(config.limits ?? {}).some((l) => (Array.isArray(l.key) ? (l.key as readonly LimitKey[]) : [l.key]).includes('client-ip'))) {
    // Only 'client-ip' limit keys read it (source-ip hashing and clientCidrs use the TCP peer).
    warnings.push({ path: 'clientIdentity', message: "has no effect: no limit is keyed on 'client-ip'" });
  }
  const names = new Set<string>();
  const routes: RoutePlan[] = [];
  const routerRoutes: RouterRouteConfig<RoutePlan>[] = [];
  config.routes.forEach((route, i) => {
    const at = `routes[${i}]`;
    if (names.has(route.name)) issues.push({ path: `${at}.name`, message: `duplicate route name ${JSON.stringify(route.name)}` });
    names.add(route.name);
    const prevRoute = previous?.routes.find((r) => r.name === route.name);
    const routePolicies = compileRoutePolicies(route, at, policies, config.policies, hasGeo, issues, warnings);
    // Backends a policy declared it may pick (`Policy.backends`, e.g. geo's) must be this route's:
    // an unknown one would only be a 500 at run time. A redirect route has no backend to pick.
    if (route.redirect === undefined) {
      const own = new Set((route.backends ?? []).map(backendName));
      for (const name of routePolicies.inbound) {
        const missing = (policies.instances.get(name)?.policy.backends ?? []).filter((b) => !own.has(b));
        if (missing.length === 0) continue;
        const j = (route.policies?.inbound ?? []).indexOf(name);
        const path = j >= 0 ? `${at}.policies.inbound[${j}]` : `${at}.policies`;
        issues.push({ path, message: `policy ${JSON.stringify(name)}${j >= 0 ? '' : ' (gateway-wide)'} may pick backend${missing.length === 1 ? '' : 's'} ${missing.map((b) => JSON.stringify(b)).join(', ')}, which route ${JSON.stringify(route.name)} does not have (its backends: ${[...own].map((b) => JSON.stringify(b)).join(', ') || 'none'})` });
      }
    }
    (route.limits ?? []).forEach((limit, j) => {
      if (identityLimits.has(limit) && !routePolicies.providesIdentity) {
        issues.push({ path: `${at}.limits[${j}]`, message: `limit ${JSON.stringify(limit)} is keyed on the caller's identity, but no policy that provides identity runs before it on this route (list an auth policy in policies.inbound or pipeline.inbound)` });
      }
    });
    const plan = compileRoute(route, at, issues, warnings, config.upstreams, upstreams, broken, limitRules, deps, prevRoute, config.rateLimitHeaders ?? 'legacy', forwardedTrust, routePolicies.pipeline);
    if (plan === undefined) return;
    routes.push(plan);
    routerRoutes.push({
      id: route.name,
      name: route.name,
      value: plan,
      ...(route.hostnames !== undefined ? { hostnames: route.hostnames } : {}),
      ...(route.matches !== undefined ? { matches: route.matches } : {}),
      createdAtMs: i,
    });
  });

  // Error responses: the gateway's, each route's and each policy instance's `errors` (the
  // pipeline's `policies.<name>.errors`), templates compiled once here.
  const policyConfigs = (config as { readonly policies?: Readonly<Record<string, { readonly errors?: ErrorsConfig }>> }).policies ?? {};
  const errors = compileErrorFormat(
    config.errors,
    config.routes.map((r, i) => ({ name: r.name, errors: r.errors, at: `routes[${i}].errors` })),
    Object.entries(policyConfigs).map(([name, p]) => ({ name, errors: p.errors, at: `${keyPath('policies', name)}.errors` })),
    issues,
  );

  let table: RouteTable<RoutePlan> | undefined;
  if (issues.length === 0) {
    table = within(issues, '', () =>
      compileRoutes<RoutePlan>({ routes: routerRoutes }, { selection: config.selection ?? 'gateway', ...(config.normalize !== undefined ? { normalize: config.normalize } : {}) }),
    );
  }
  if (issues.length > 0 || table === undefined) {
    // The instances this config built will never run.
    void closePolicies(policies);
    // Router paths are relative to its own config (`routes[2].matches[0]…`), which is ours too.
    throw new ConfigError(issues.map((i) => (i.path.startsWith('.') ? { path: i.path.slice(1), message: i.message } : i)));
  }
  // Only now that everything compiled may runtimes shared with the old plan change.
  for (const update of pendingEndpointUpdates) update();
  const compiled: GatewayPlan = Object.freeze({
    table,
    routes: Object.freeze(routes),
    upstreams,
    replayBufferBytes: config.replayBufferBytes ?? 64 * 1024,
    policies,
    hasPolicies: policies.instances.size > 0,
    client: Object.freeze({
      ip: identity === undefined ? (req: SyRequest) => req.clientAddress : (req: SyRequest) => identity(req)?.address,
      trusted: trustedPeerOf(identity === undefined ? undefined : config.clientIdentity),
    }),
    errors,
    warnings: Object.freeze([...warnings, ...((table as unknown as { warnings?: ConfigIssue[] }).warnings ?? [])].map((w) => Object.freeze({ path: w.path.startsWith('.') ? w.path.slice(1) : w.path, message: w.message }))),
    explain: (route: string) => explainRoute(compiled, route),
  });
  return compiled;
}

function compileUpstream(
  name: string,
  up: UpstreamConfig,
  at: string,
  issues: ConfigIssue[],
  deps: CompileDeps,
  prev: UpstreamRuntime | undefined,
  pending: (() => void)[],
): UpstreamRuntime | undefined {
  const before = issues.length;
  const endpoints: Endpoint[] = [];
  const ids = new Set<string>();
  up.endpoints.forEach((e, j) => {
    const endpoint = createEndpoint(e, `${at}.endpoints[${j}]`, issues);
    if (ids.has(endpoint.id)) issues.push({ path: `${at}.endpoints[${j}].id`, message: `duplicate endpoint id ${JSON.stringify(endpoint.id)}` });
    ids.add(endpoint.id);
    endpoints.push(endpoint);
  });
  if (endpoints.length === 0) issues.push({ path: `${at}.endpoints`, message: 'must list at least one endpoint' });
  if (up.locality === undefined) {
    // An endpoint's locality is read only by locality-weighted balancing: without it, it would be
    // accepted and ignored (Envoy too ignores it unless locality_weighted_lb_config is set).
    up.endpoints.forEach((e, j) => {
      if (e.locality !== undefined && Object.values(e.locality).some((x) => x !== undefined && x !== '')) issues.push({ path: `${at}.endpoints[${j}].locality`, message: `has no effect without ${at}.locality (locality-weighted balancing; {} for the defaults)` });
    });
  }
  const policyName = up.balancer?.policy ?? 'round-robin';
  if (WEIGHT_BLIND.has(policyName)) {
    // These pick without weights: a weight would be accepted and ignored.
    up.endpoints.forEach((e, j) => {
      if (e.weight !== undefined && e.weight !== 1) issues.push({ path: `${at}.endpoints[${j}].weight`, message: `has no effect with balancer '${policyName}' (weights count with weighted-round-robin, weighted-random, least-request, ring-hash and maglev)` });
    });
  }
  // Envoy always honours endpoint priorities: a priority above 0 turns on priority levels even
  // when the upstream sets no priority options.
  const usesPriority = up.priority !== undefined || endpoints.some((e) => e.priority > 0);
  // Everything but the endpoint list decides whether live state can carry over.
  const { endpoints: _ignored, ...policy } = up;
  const fp = fingerprint({ policy, usesPriority });
  if (issues.length > before) return undefined;

  if (prev !== undefined && prev.fingerprint === fp) {
    // Same policies: keep the runtime, swap the endpoint set (state of endpoints that stay is kept).
    // The new endpoint objects still need their pool options (the answer is the same as before).
    compileOverload(at, up, endpoints, deps.transport, issues);
    if (issues.length > before) return undefined;
    pending.push(() => updateUpstreamEndpoints(prev, endpoints, deps.clock.now()));
    pending.push(() => pruneInflight(prev.overload, endpoints));
    return prev;
  }

  const balancer = within(issues, `${at}.balancer`, () => makeBalancer(up, usesPriority));
  const sink = (event: HealthEvent): void => deps.onHealthEvent(name, event);
  const now = deps.clock.now();
  const outlier = up.outlierDetection === undefined ? undefined : within(issues, `${at}.outlierDetection`, () => createOutlierDetector({ endpoints, now, rng: deps.rng, config: up.outlierDetection as never, sink }));
  const health =
    up.healthCheck === undefined
      ? undefined
      : within(issues, `${at}.healthCheck`, () =>
          createHealthCheckRunner({
            endpoints,
            config: up.healthCheck as never,
            clock: deps.clock,
            rng: deps.rng,
            transport: deps.transport,
            sink: (event) => {
              // A passing check un-ejects (Envoy successful_active_health_check_uneject_host).
              if (event.kind === 'healthy') outlier?.onHealthCheck(event.endpointId, true, event.at);
              else if (event.kind === 'unhealthy') outlier?.onHealthCheck(event.endpointId, false, event.at);
              sink(event);
            },
          }),
        );
  const breaker = up.circuitBreaker === undefined ? undefined : within(issues, `${at}.circuitBreaker`, () => createCircuitBreaker({ config: { name, ...(up.circuitBreaker as object) }, rng: deps.rng, sink }));
  const limitsPlan = within(issues, `${at}.resourceLimits`, () => compileResourceLimits(up.resourceLimits ?? {}, 'resourceLimits'));
  const panic = up.panicThresholdPercent ?? 50;
  const overload = compileOverload(at, up, endpoints, deps.transport, issues);
  if (issues.length > before || balancer === undefined || limitsPlan === undefined) return undefined;
  const runtime: UpstreamRuntime = {
    name,
    fingerprint: fp,
    endpoints,
    balancer,
    panicThresholdPercent: panic,
    eligibility: {
      ...(outlier !== undefined ? { isEjected: (id: string) => outlier.isEjected(id) } : {}),
      ...(health !== undefined ? { activeStatus: (id: string) => health.status(id) } : {}),
      // With priorities, the balancer applies Envoy's per-priority panic itself.
      panicThresholdPercent: usesPriority ? 0 : panic,
    },
    outlier,
    health,
    breaker,
    limits: { plan: limitsPlan, counters: createResourceCounters() },
    overload,
    groups: new Map(),
    cookieAffinity: compileCookieAffinity(up.balancer),
  };
  if (prev !== undefined) {
    // A changed policy starts fresh state, but stops the old runner's timers.
    pending.push(() => prev.health?.stop());
  }
  return runtime;
}

function updateUpstreamEndpoints(runtime: UpstreamRuntime, endpoints: readonly Endpoint[], now: number): void {
  runtime.endpoints = endpoints;
  runtime.outlier?.updateEndpoints(endpoints, now);
  runtime.health?.updateEndpoints(endpoints);
  for (const group of runtime.groups.values()) {
    const subset = parseGroupKey(group.key);
    const selected = endpoints.filter((e) => matchesSubset(e, subset));
    group.endpoints = selected;
    group.state = runtime.balancer.update(group.state, selected, now);
  }
}

/** Balancers that never read `endpoint.weight`. */
const WEIGHT_BLIND: ReadonlySet<string> = new Set(['round-robin', 'random', 'peak-ewma', 'client-side-weighted-round-robin']);

function makeBalancer(up: UpstreamConfig, usesPriority: boolean): LoadBalancer<unknown> {
  const b = (up.balancer ?? { policy: 'round-robin' }) as { policy: string } & Record<string, unknown>;
  // `hashPolicies` (config name) is the balancers' `hashPolicy`: they compile it once and hash
  // the request themselves when the pick carries no precomputed hash.
  const { policy, hashPolicies, ...rest } = b;
  // `compatibility` exists only on ring-hash and maglev: the strict schema refuses it elsewhere.
  const options = hashPolicies === undefined ? rest : { ...rest, hashPolicy: hashPolicies };
  let inner: LoadBalancer<unknown>;
  switch (policy) {
    case 'round-robin':
      inner = roundRobin() as LoadBalancer<unknown>;
      break;
    case 'weighted-round-robin':
      inner = weightedRoundRobin(options as never) as LoadBalancer<unknown>;
      break;
    case 'random':
      inner = random() as LoadBalancer<unknown>;
      break;
    case 'weighted-random':
      inner = weightedRandom() as LoadBalancer<unknown>;
      break;
    case 'least-request':
      inner = leastRequest(options as never) as LoadBalancer<unknown>;
      break;
    case 'peak-ewma':
      inner = peakEwma(options as never) as LoadBalancer<unknown>;
      break;
    case 'client-side-weighted-round-robin':
      inner = clientSideWeightedRoundRobin(options as never) as LoadBalancer<unknown>;
      break;
    case 'ring-hash':
      inner = ringHash(options as never) as LoadBalancer<unknown>;
      break;
    case 'maglev':
      inner = maglev(options as never) as LoadBalancer<unknown>;
      break;
    default:
      throw new ConfigError([{ path: 'policy', message: `unknown balancer ${JSON.stringify(policy)}` }]);
  }
  if (up.locality !== undefined) inner = withLocality(inner, up.locality) as LoadBalancer<unknown>;
  if (usesPriority) inner = withPriority(inner, { ...up.priority, healthyPanicThresholdPercent: up.panicThresholdPercent ?? 50 }) as LoadBalancer<unknown>;
  return inner;
}

/** Group key for a subset: stable JSON of its sorted entries (`{}` for the whole upstream). */
function groupKey(subset: Readonly<Record<string, string>> | undefined): string {
  return JSON.stringify(Object.entries(subset ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function parseGroupKey(key: string): readonly [string, string][] {
  return JSON.parse(key) as [string, string][];
}

function matchesSubset(e: Endpoint, subset: readonly (readonly [string, string])[]): boolean {
  for (const [k, v] of subset) if (e.metadata[k] !== v) return false;
  return true;
}

function groupFor(upstream: UpstreamRuntime, subset: Readonly<Record<string, string>> | undefined, now: number): GroupRuntime {
  const key = groupKey(subset);
  let group = upstream.groups.get(key);
  if (group === undefined) {
    const entries = parseGroupKey(key);
    const endpoints = upstream.endpoints.filter((e) => matchesSubset(e, entries));
    group = { key, endpoints, state: upstream.balancer.create(endpoints, now) };
    upstream.groups.set(key, group);
  }
  return group;
}

function backendName(b: BackendConfig): string {
  if (b.name !== undefined) return b.name;
  const subset = Object.entries(b.subset ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return subset === '' ? b.upstream : `${b.upstream}[${subset}]`;
}

function compileRoute(
  route: RouteConfig,
  at: string,
  issues: ConfigIssue[],
  warnings: ConfigIssue[],
  upstreamConfigs: GatewayConfig['upstreams'],
  upstreams: ReadonlyMap<string, UpstreamRuntime>,
  broken: ReadonlySet<string>,
  limitRules: ReadonlyMap<string, LimitRule>,
  deps: CompileDeps,
  prev: RoutePlan | undefined,
  headerStyle: 'both' | 'ietf' | 'legacy' | 'none',
  forwardedTrust: ForwardedTrust | undefined,
  pipeline: CompiledPipeline | undefined,
): RoutePlan | undefined {
  const before = issues.length;
  const now = deps.clock.now();
  const backends = new Map<string, BackendPlan>();
  (route.backends ?? []).forEach((b, j) => {
    const upstream = upstreams.get(b.upstream);
    if (upstream === undefined) {
      // An upstream that exists but failed to compile has its own issues already.
      if (!broken.has(b.upstream)) issues.push({ path: `${at}.backends[${j}].upstream`, message: `unknown upstream ${JSON.stringify(b.upstream)}` });
      return;
    }
    const name = backendName(b);
    if (backends.has(name)) issues.push({ path: `${at}.backends[${j}].name`, message: `duplicate backend ${JSON.stringify(name)}` });
    const group = groupFor(upstream, b.subset, now);
    if (group.endpoints.length === 0) issues.push({ path: `${at}.backends[${j}].subset`, message: `selects no endpoint of upstream ${JSON.stringify(b.upstream)}` });
    backends.set(name, { name, upstream, group });
  });
  if (route.redirect === undefined && (route.backends ?? []).length === 0) {
    // Gateway API: a rule with no backendRefs (and no filter answering it) loads, and its
    // requests get a 500; the rest of the config is unaffected. A warning, not an error.
    warnings.push({ path: `${at}.backends`, message: 'no backend and no redirect: requests to this route are answered 500' });
  }
  if (route.redirect !== undefined && route.backends !== undefined && route.backends.length > 0) {
    issues.push({ path: `${at}.redirect`, message: 'a route either redirects or forwards, not both' });
  }

  let split: SplitPlan | undefined;
  if (backends.size > 0) {
    split = within(issues, `${at}.split`, () =>
      compileSplit({
        name: route.name,
        ...(route.split?.salt !== undefined ? { salt: route.split.salt } : {}),
        backends: (route.backends ?? []).map((b) => ({ name: backendName(b), weight: b.weight ?? 1 })),
        ...(route.split?.key !== undefined ? { key: route.split.key as never } : {}),
        ...(route.split?.canary !== undefined ? { canary: route.split.canary } : {}),
        // Gateway API: all-zero weights load and answer 500 (warned below), unlike Envoy.
        allowAllZero: true,
      }),
    );
    if (split !== undefined && split.totalWeight === 0 && route.rollout === undefined) {
      warnings.push({
        path: `${at}.backends`,
        message: `every backend has weight 0: requests to this route are answered 500${route.split?.canary !== undefined ? ' unless a canary rule picks a backend' : ''}`,
      });
    }
  }

  let rollout: RolloutRuntime | undefined;
  if (route.rollout !== undefined) {
    const { canary, baseline, ...rc } = route.rollout;
    if (!backends.has(canary)) issues.push({ path: `${at}.rollout.canary`, message: `unknown backend ${JSON.stringify(canary)}` });
    if (!backends.has(baseline)) issues.push({ path: `${at}.rollout.baseline`, message: `unknown backend ${JSON.stringify(baseline)}` });
    const fp = fingerprint(route.rollout);
    const kept = prev?.rollout?.fingerprint === fp ? prev.rollout : undefined;
    const state = kept?.state ?? within(issues, `${at}.rollout`, () => startRollout(rc as RolloutConfig, now));
    if (state !== undefined) rollout = { config: rc as RolloutConfig, canary, baseline, fingerprint: fp, state, appliedPercent: -1 };
  }

  const experiment = route.experiment === undefined ? undefined : within(issues, `${at}.experiment`, () => compileExperiment(route.experiment as never));
  const rewrite = within(issues, `${at}.rewrite`, () => compileRewrite(withForwardedTrust(route.rewrite, forwardedTrust) as never));
  checkTemplateParams(route, at, issues);
  if (route.rewrite?.url !== undefined) checkRewriteOrigin(route.rewrite.url, route.rewrite.allowedUpstreams ?? [], route.backends ?? [], upstreamConfigs, `${at}.rewrite.url`, issues);
  const redirect = route.redirect === undefined ? undefined : within(issues, `${at}.redirect`, () => compileRewrite({ redirect: route.redirect } as never));

  const rules: LimitRule[] = [];
  (route.limits ?? []).forEach((name, j) => {
    const rule = limitRules.get(name);
    if (rule === undefined) issues.push({ path: `${at}.limits[${j}]`, message: `unknown limit ${JSON.stringify(name)}` });
    else rules.push(rule);
  });
  const limiter = rules.length === 0 ? undefined : within(issues, `${at}.limits`, () => createRateLimiter({ id: 'switchyard', rules, store: deps.store, clock: deps.clock, dedupeRequests: false, headers: headerStyle }));

  const retry: RetryPolicy | undefined =
    route.retry === undefined
      ? undefined
      : {
          ...DEFAULT_RETRY_POLICY,
          ...(route.retry.numRetries !== undefined ? { numRetries: route.retry.numRetries } : {}),
          ...(route.retry.retryOn !== undefined ? { retryOn: route.retry.retryOn } : {}),
          ...(route.retry.retriableStatusCodes !== undefined ? { retriableStatusCodes: route.retry.retriableStatusCodes } : {}),
          ...(route.retry.baseIntervalMs !== undefined ? { baseIntervalMs: route.retry.baseIntervalMs, maxIntervalMs: route.retry.baseIntervalMs * 10 } : {}),
          ...(route.retry.maxIntervalMs !== undefined ? { maxIntervalMs: route.retry.maxIntervalMs } : {}),
          ...(route.retry.honorRetryAfter !== undefined ? { honorRetryAfter: route.retry.honorRetryAfter } : {}),
          ...(route.retry.retryNonIdempotent !== undefined ? { retryNonIdempotent: route.retry.retryNonIdempotent } : {}),
        };
  if (retry !== undefined && retry.retryOn.includes('retriable-status-codes') && retry.retriableStatusCodes.length === 0) {
    issues.push({ path: `${at}.retry.retriableStatusCodes`, message: "must list codes when retryOn has 'retriable-status-codes'" });
  }
  if (retry !== undefined && route.retry?.retriableStatusCodes !== undefined && route.retry.retriableStatusCodes.length > 0 && !retry.retryOn.includes('retriable-status-codes')) {
    // Envoy reads retriable_status_codes only for the retriable-status-codes condition.
    issues.push({ path: `${at}.retry.retriableStatusCodes`, message: "has no effect unless retryOn includes 'retriable-status-codes'" });
  }
  const timeoutMs = route.timeoutMs ?? 15_000;
  const perTry = route.perTryTimeoutMs ?? 0;
  if (timeoutMs > 0 && perTry > timeoutMs) issues.push({ path: `${at}.perTryTimeoutMs`, message: `must be <= timeoutMs (${timeoutMs})` });
  if (route.hedge !== undefined && retry === undefined) issues.push({ path: `${at}.hedge`, message: 'hedging needs a retry policy (hedges count as retries, as in Envoy)' });
  if (route.hedge?.onPerTryTimeout === true && perTry === 0) issues.push({ path: `${at}.hedge.onPerTryTimeout`, message: 'has no effect without perTryTimeoutMs (Envoy hedge_on_per_try_timeout)' });
  for (const kind of ['delay', 'abort'] as const) {
    // Envoy and Istio inject into no request without a percentage: a fault without one is inert.
    if (route.fault?.[kind] !== undefined && route.fault[kind].percent === undefined) {
      issues.push({ path: `${at}.fault.${kind}.percent`, message: `is required: without it no request is ${kind === 'delay' ? 'delayed' : 'aborted'} (0 %, as in Envoy and Istio)` });
    }
  }

  let mirror: RoutePlan['mirror'];
  if (route.mirror !== undefined) {
    const upstream = upstreams.get(route.mirror.upstream);
    if (upstream === undefined) {
      if (!broken.has(route.mirror.upstream)) issues.push({ path: `${at}.mirror.upstream`, message: `unknown upstream ${JSON.stringify(route.mirror.upstream)}` });
    }
    else {
      groupFor(upstream, undefined, now);
      mirror = {
        upstream,
        policy: { ...(route.mirror.percent !== undefined ? { percent: route.mirror.percent } : {}), ...(route.mirror.timeoutMs !== undefined ? { timeoutMs: route.mirror.timeoutMs } : {}) },
      };
    }
  }

  if (issues.length > before || rewrite === undefined) return undefined;
  const budgetConfig = route.retry?.budget;
  const keptBudget = prev?.budget !== undefined && fingerprint(budgetConfig) === fingerprint(prevBudgetConfig.get(prev)) ? prev.budget : undefined;
  const budget = budgetConfig === undefined ? undefined : (keptBudget ?? createRetryBudget(budgetConfig, now));
  const plan: RoutePlan = {
    name: route.name,
    backends,
    split,
    rollout,
    experiment,
    rewrite,
    redirect,
    limiter,
    forward: Object.freeze({
      timeoutMs,
      perTryTimeoutMs: perTry,
      idleTimeoutMs: route.idleTimeoutMs ?? 300_000,
      ...(route.propagateDeadline === true ? { propagateDeadline: true } : {}),
      ...(retry !== undefined ? { retry: Object.freeze(retry) } : {}),
      ...(route.hedge !== undefined ? { hedge: Object.freeze({ onPerTryTimeout: route.hedge.onPerTryTimeout ?? false, delayMs: route.hedge.delayMs }) } : {}),
    }),
    budget,
    mirror,
    fault: route.fault,
    priority: route.priority,
    pipeline,
    config: route,
    policyRoute: Object.freeze({ name: route.name, metadata: Object.freeze({ ...(route.metadata ?? {}) }) }),
    prefixes: (route.matches ?? [{}]).map((m) => (m.path?.type === 'PathPrefix' || m.path?.type === 'Prefix' ? m.path.value : undefined)),
    needsReplay: retry !== undefined,
    session: compileSession(route.sessionPersistence),
  };
  prevBudgetConfig.set(plan, budgetConfig);
  if (rollout !== undefined) applyRolloutWeights(plan);
  return plan;
}

/** Budget configs by plan, to know whether a reload may keep a budget's counts. */
const prevBudgetConfig = new WeakMap<RoutePlan, unknown>();

/** Who may set forwarding headers: `clientIdentity`'s proxies or hop count. */
type ForwardedTrust = { readonly trustedProxies: readonly string[] } | { readonly trustedHops: number };

function trustOf(ci: { readonly trustedProxies?: readonly string[]; readonly trustedHops?: number }): ForwardedTrust | undefined {
  if (ci.trustedProxies !== undefined) return { trustedProxies: ci.trustedProxies };
  return ci.trustedHops !== undefined ? { trustedHops: ci.trustedHops } : undefined;
}

/**
 * A route's rewrite config, with the gateway's trusted proxies filled in for the default
 * forwarded mode ('trusted') when the route names none of its own. Without clientIdentity no
 * peer is trusted: client-sent forwarding headers are overwritten.
 */
function withForwardedTrust(rewrite: RouteConfig['rewrite'], trust: ForwardedTrust | undefined): object {
  const rw = (rewrite ?? {}) as { readonly forwarded?: { readonly mode?: string; readonly trustedProxies?: unknown; readonly trustedHops?: unknown } };
  const fw = rw.forwarded;
  if (trust === undefined || (fw !== undefined && ((fw.mode ?? 'trusted') !== 'trusted' || fw.trustedProxies !== undefined || fw.trustedHops !== undefined))) return { ...rw };
  return { ...rw, forwarded: { ...fw, ...trust } };
}

/** Rebuilds the route's split from its rollout's current percentage (a new frozen plan). */
export function applyRolloutWeights(route: RoutePlan): boolean {
  const r = route.rollout;
  if (r === undefined || route.split === undefined) return false;
  const percent = r.state.phase === 'rolled-back' || r.state.phase === 'aborted' ? 0 : r.state.phase === 'succeeded' ? 100 : r.state.weightPercent;
  if (percent === r.appliedPercent) return false;
  const weights: Record<string, number> = {};
  for (const name of route.backends.keys()) weights[name] = 0;
  // Weights in basis points so a 0.5 % step is expressible.
  weights[r.canary] = Math.round(percent * 100);
  weights[r.baseline] = 10_000 - Math.round(percent * 100);
  route.split = withWeights(route.split, weights);
  r.appliedPercent = percent;
  return true;
}

function ratePolicy(p: RatePolicyConfig, id: string): RatePolicy {
  if (p.algorithm === 'sliding-window') return slidingWindow({ id, limit: p.limit, windowMs: p.windowMs });
  const options = { id, maxTokens: p.maxTokens, fillIntervalMs: p.fillIntervalMs, ...(p.tokensPerFill !== undefined ? { tokensPerFill: p.tokensPerFill } : {}) };
  return p.algorithm === 'gcra' ? gcra(options) : tokenBucket(options);
}

function limitKey(k: LimitKey, identity: ReturnType<typeof createClientIdentity> | undefined, at: string, issues: ConfigIssue[]): KeySource | undefined {
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

function compileLimit(name: string, limit: LimitConfig, at: string, issues: ConfigIssue[], identity: ReturnType<typeof createClientIdentity> | undefined): LimitRule | undefined {
  const before = issues.length;
  const list = Array.isArray(limit.key) ? (limit.key as readonly LimitKey[]) : [limit.key as LimitKey];
  const sources = list.map((k, i) => limitKey(k, identity, Array.isArray(limit.key) ? `${at}.key[${i}]` : `${at}.key`, issues)).filter((s): s is KeySource => s !== undefined);
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
    key: sources.length === 1 ? (sources[0] as KeySource) : keys.all(...sources),
    policy,
    ...(limit.cost !== undefined ? { cost: limit.cost } : {}),
    ...(limit.mode !== undefined ? { mode: limit.mode } : {}),
    // Unset: the key's default (`deny` when it includes client-ip: keys.clientIp fails closed).
    ...(limit.onMissingKey !== undefined ? { onMissingKey: limit.onMissingKey } : {}),
  };
}

/** The parameters a route's matches capture: `:name` / `*name` of templates, named regex groups. */
function routeParams(route: RouteConfig): Set<string> {
  const names = new Set<string>();
  for (const m of route.matches ?? []) {
    const value = m.path?.value;
    if (value === undefined) continue;
    if (m.path?.type === 'Template') {
      for (const seg of value.split('/')) if (seg.startsWith(':') || (seg.startsWith('*') && seg.length > 1)) names.add(seg.slice(1));
    } else if (m.path?.type === 'RegularExpression') {
      try {
        // As the router reads them: the groups of the pattern, whatever it matches.
        for (const name of Object.keys(new RegExp(`${value}|`).exec('')?.groups ?? {})) names.add(name);
      } catch {
        // An invalid pattern is the router's error to report.
      }
    }
  }
  return names;
}

const PARAM_PLACEHOLDER = /\$\{\s*params\.([^}]*?)\s*\}/g;

/**
 * A rewrite or redirect template naming `${params.x}` that no match of the route captures would
 * render empty on every request: a config error, at the path of the string that names it.
 */
function checkTemplateParams(route: RouteConfig, at: string, issues: ConfigIssue[]): void {
  if (route.rewrite === undefined && route.redirect === undefined) return;
  const params = routeParams(route);
  const visit = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      for (const m of value.matchAll(PARAM_PLACEHOLDER)) {
        const name = m[1] as string;
        if (name !== '' && !params.has(name)) {
          const have = params.size === 0 ? 'it captures none' : `it captures ${[...params].map((p) => `:${p}`).join(', ')}`;
          issues.push({ path, message: `names \${params.${name}}, but no match of this route captures ${JSON.stringify(name)} (${have})` });
        }
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${path}[${i}]`));
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, item] of Object.entries(value)) visit(item, keyPath(path, k));
    }
  };
  visit(route.rewrite, `${at}.rewrite`);
  visit(route.redirect, `${at}.redirect`);
}

/** `http://Host:80` → `http://host` (scheme and host folded, the scheme's default port dropped). */
function canonicalOrigin(origin: string): string {
  const lower = origin.toLowerCase().replace(/\/$/, '');
  if (lower.startsWith('http://') && lower.endsWith(':80')) return lower.slice(0, -3);
  if (lower.startsWith('https://') && lower.endsWith(':443')) return lower.slice(0, -4);
  return lower;
}

/**
 * A `rewrite.url` with a literal origin sends every request there instead of the endpoint the
 * balancer picked: allowed only for an origin the config names as an upstream, i.e. one of
 * `allowedUpstreams` or an endpoint of one of the route's backends. Anything else is a typo
 * or a way around the upstream list, and an error.
 */
function checkRewriteOrigin(
  url: string,
  allowedUpstreams: readonly string[],
  backends: readonly BackendConfig[],
  upstreams: GatewayConfig['upstreams'],
  at: string,
  issues: ConfigIssue[],
): void {
  if (url.startsWith('${upstream}')) return;
  const origin = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)/i.exec(url)?.[1];
  // A malformed URL, or a request-derived origin (checked against allowedUpstreams per request),
  // is for the rewriter to judge.
  if (origin === undefined || origin.includes('${')) return;
  const allowed = new Set<string>(allowedUpstreams.map(canonicalOrigin));
  for (const b of backends) for (const e of upstreams[b.upstream]?.endpoints ?? []) allowed.add(canonicalOrigin(e.url));
  if (allowed.has(canonicalOrigin(origin))) return;
  issues.push({
    path: at,
    message: `origin ${JSON.stringify(origin)} is not an allowed upstream (an endpoint of the route's backends or an entry of allowedUpstreams); use \${upstream}/… to keep the endpoint the balancer picked`,
  });
}
