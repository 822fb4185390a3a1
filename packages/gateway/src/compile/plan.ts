/**
 * The shape of a compiled gateway: the {@link GatewayPlan} the compiler builds, its routes'
 * and upstreams' runtimes, and what compiling needs from the gateway ({@link CompileDeps}).
 */
import type { CookieAffinity, SessionPersistenceConfig } from '../affinity.js';
import type { Clock, CompiledPipeline, ConfigIssue, Endpoint, LoadBalancer, PolicyDefinition, PolicyRoute, Rng, SyRequest, Transport } from '@switchyard/core';
import type { CircuitBreaker, computeEligible, HealthCheckRunner, HealthEvent, OutlierDetector, ResourceCounters, ResourceLimitsPlan } from '@switchyard/health';
import type { LimiterStore, Priority, RateLimiter } from '@switchyard/limiter';
import type { RouteTable } from '@switchyard/router';
import type { RewritePlan } from '@switchyard/rewrite';
import type { ExperimentPlan, RolloutConfig, RolloutState, SplitPlan } from '@switchyard/splitter';
import type { RouteConfig } from '../config.js';
import type { ErrorFormatPlan } from '../error-format.js';
import type { FaultPolicy } from '../fault.js';
import type { ForwardPolicy } from '../forward.js';
import type { MirrorPolicy } from '../mirror.js';
import type { UpstreamOverload } from '../overload.js';
import type { PolicySet, RouteExplanation } from '../pipeline.js';
import type { RetryBudgetState } from '../retry-budget.js';

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
