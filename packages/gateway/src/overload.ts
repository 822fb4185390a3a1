/**
 * Overload protection per upstream, compiled from its config:
 *
 * - **Connection pool and pending queue** (Envoy circuit-breaker thresholds `max_connections`
 *   and `max_pending_requests`, `envoy/config/cluster/v3/circuit_breaker.proto`): the transport
 *   is told each endpoint's connection cap (`Transport.configureEndpoint`; undici sizes its
 *   per-origin `Pool` with it). The gateway counts the tries in flight to each endpoint: the
 *   first `maxConnections` hold a connection, the rest wait in the pool's queue and count as
 *   pending. A try that would wait while `maxPendingRequests` already do is refused: the
 *   request is answered 503 `SY_OVERLOADED` with `x-envoy-overloaded: true`, as Envoy's
 *   `upstream_rq_pending_overflow`. A try holds its place until its response headers (or its
 *   failure), the same span as `maxRequests`.
 * - **Client-side adaptive throttling** (Google SRE book, ch. 21, `createAdaptiveThrottle`):
 *   each request is counted, and an answer that is not an overload rejection counts as an accept;
 *   requests are refused locally with probability `max(0, (requests − K·accepts) / (requests + 1))`.
 * - **Adaptive concurrency with priorities** (Netflix concurrency-limits, `createConcurrencyLimiter`):
 *   a learnt limit on requests in flight; `sheddable` requests are refused first, then `default`,
 *   `critical` last.
 */
import type { EndpointPoolResult, Endpoint, Rng, SyRequest, Transport, ConfigIssue } from '@switchyard/core';
import type { ResourceCounters, ResourceLimitsConfig, ResourceLimitsPlan } from '@switchyard/health';
import {
  aimdLimit,
  createAdaptiveThrottle,
  createConcurrencyLimiter,
  gradientLimit,
  vegasLimit,
  type AdaptiveThrottle,
  type ConcurrencyLimiter,
  type ConcurrencyPermit,
  type LimitAlgorithm,
  type Priority,
} from '@switchyard/limiter';
import type { ForwardResult } from './forward.js';

/** `upstreams.<name>.adaptiveThrottle`: the SRE book's client-side throttle for this upstream. */
export interface AdaptiveThrottleConfig {
  /** The multiplier K (default 2, ≥ 1): the upstream may see about K times the traffic it accepts. */
  readonly k?: number;
  /** Trailing window of the request and accept counts, in ms (default 120 000, the book's 2 minutes). */
  readonly windowMs?: number;
  /** Slots the window is divided into (default 12). */
  readonly bucketCount?: number;
  /**
   * Upstream statuses that count as an overload rejection, not an accept (default `[429, 503]`).
   * Connect failures, resets, timeouts and an exceeded deadline always count as rejections.
   */
  readonly rejectStatuses?: readonly number[];
}

/** `upstreams.<name>.adaptiveConcurrency`: a learnt concurrency limit with priority classes. */
export interface AdaptiveConcurrencyConfig {
  /** The limit algorithm (default `gradient`, Netflix `Gradient2Limit`). */
  readonly algorithm?: 'aimd' | 'gradient' | 'vegas';
  readonly initialLimit?: number;
  readonly minLimit?: number;
  readonly maxLimit?: number;
  /** `aimd` only: multiplier on a drop, in [0.5, 1) (default 0.9). */
  readonly backoffRatio?: number;
  /** `aimd` only: a request slower than this counts as a drop. */
  readonly timeoutMs?: number;
  /** `gradient` only: extra requests allowed to queue (default 4). */
  readonly queueSize?: number;
  /** `gradient` only: tolerated slowdown over the long-term RTT (default 1.5, ≥ 1). */
  readonly rttTolerance?: number;
  /** `gradient` and `vegas`: weight of each new limit, in (0, 1] (gradient default 0.2, vegas 1). */
  readonly smoothing?: number;
  /** `gradient` only: samples in the long-term RTT average (default 600). */
  readonly longWindow?: number;
  /** Share of the limit each class may fill (defaults: critical 1, default 0.9, sheddable 0.5). */
  readonly shares?: { readonly critical?: number; readonly default?: number; readonly sheddable?: number };
  /**
   * Where a request's priority comes from, first match wins: the request attribute (set by
   * auth or a policy: trusted), then the header (sent by the client: only for traffic you trust),
   * then the route's `priority`, then `default`. Values other than `critical`, `default` and
   * `sheddable` are ignored.
   */
  readonly priority?: { readonly attribute?: string; readonly header?: string };
  /** Upstream statuses that count as a drop (default `[429, 503]`); connect failures, resets and timeouts always do. */
  readonly dropStatuses?: readonly number[];
}

/** One upstream's compiled overload state (mutable counters, frozen settings). */
export interface UpstreamOverload {
  /** Per-endpoint connection cap tries are counted against; `Infinity`: none known, nothing pends. */
  readonly maxConnections: number;
  /**
   * Tries in flight per endpoint origin, as mutable cells: a try costs lookups only (deleting and
   * re-adding a key per try churns the map several times slower). Cells of origins that left are
   * dropped on reload ({@link pruneInflight}).
   */
  readonly inflight: Map<string, { n: number }>;
  readonly throttle: { readonly state: AdaptiveThrottle; readonly rejectStatuses: ReadonlySet<number> } | undefined;
  readonly concurrency:
    | { readonly limiter: ConcurrencyLimiter; readonly dropStatuses: ReadonlySet<number>; readonly attribute: string | undefined; readonly header: string | undefined }
    | undefined;
}

const PRIORITIES: ReadonlySet<string> = new Set(['critical', 'default', 'sheddable']);

/**
 * Tells the transport each endpoint's connection cap and compiles the adaptive controls.
 * Problems go to `issues` under `at` (`upstreams.orders`).
 */
export function compileOverload(
  at: string,
  config: { readonly resourceLimits?: ResourceLimitsConfig | undefined; readonly adaptiveThrottle?: AdaptiveThrottleConfig | undefined; readonly adaptiveConcurrency?: AdaptiveConcurrencyConfig | undefined },
  endpoints: readonly Endpoint[],
  transport: Transport,
  issues: ConfigIssue[],
): UpstreamOverload {
  const limits = config.resourceLimits ?? {};
  // Envoy accepts 0, which sends nothing ever; a pool of no connections is a typo here.
  if (limits.maxConnections !== undefined && limits.maxConnections < 1) issues.push({ path: `${at}.resourceLimits.maxConnections`, message: 'must be >= 1 (the pool size of each endpoint)' });
  const options = limits.maxConnections === undefined ? {} : { maxConnections: limits.maxConnections };
  let maxConnections = limits.maxConnections ?? Number.POSITIVE_INFINITY;
  if (transport.configureEndpoint !== undefined) {
    let result: EndpointPoolResult | undefined;
    for (const e of endpoints) result = transport.configureEndpoint(e, options);
    if (result?.kind === 'pooled') maxConnections = result.maxConnections;
    else if (result?.kind === 'unpooled') {
      // Accepted and ignored is worse than refused: the transport cannot bound connections.
      for (const key of ['maxConnections', 'maxPendingRequests'] as const) {
        if (limits[key] !== undefined) issues.push({ path: `${at}.resourceLimits.${key}`, message: `cannot be enforced by this transport: ${result.reason}` });
      }
      maxConnections = Number.POSITIVE_INFINITY;
    }
  }
  return {
    maxConnections,
    inflight: new Map(),
    throttle: config.adaptiveThrottle === undefined ? undefined : compileThrottle(`${at}.adaptiveThrottle`, config.adaptiveThrottle, issues),
    concurrency: config.adaptiveConcurrency === undefined ? undefined : compileConcurrency(`${at}.adaptiveConcurrency`, config.adaptiveConcurrency, issues),
  };
}

function compileThrottle(at: string, c: AdaptiveThrottleConfig, issues: ConfigIssue[]): UpstreamOverload['throttle'] {
  if (c.k !== undefined && !(c.k >= 1)) issues.push({ path: `${at}.k`, message: 'must be >= 1' });
  return {
    state: createAdaptiveThrottle({ ...(c.k !== undefined ? { k: c.k } : {}), ...(c.windowMs !== undefined ? { windowMs: c.windowMs } : {}), ...(c.bucketCount !== undefined ? { bucketCount: c.bucketCount } : {}) }),
    rejectStatuses: new Set(c.rejectStatuses ?? [429, 503]),
  };
}

const ALGORITHM_KEYS: Readonly<Record<'aimd' | 'gradient' | 'vegas', readonly string[]>> = {
  aimd: ['backoffRatio', 'timeoutMs'],
  gradient: ['queueSize', 'rttTolerance', 'smoothing', 'longWindow'],
  vegas: ['smoothing'],
};

function compileConcurrency(at: string, c: AdaptiveConcurrencyConfig, issues: ConfigIssue[]): UpstreamOverload['concurrency'] {
  const algorithm = c.algorithm ?? 'gradient';
  // An option of another algorithm would be accepted and ignored: refuse it instead.
  for (const key of ['backoffRatio', 'timeoutMs', 'queueSize', 'rttTolerance', 'smoothing', 'longWindow'] as const) {
    if (c[key] !== undefined && !ALGORITHM_KEYS[algorithm].includes(key)) issues.push({ path: `${at}.${key}`, message: `applies to algorithm ${Object.entries(ALGORITHM_KEYS).filter(([, ks]) => ks.includes(key)).map(([a]) => a).join(' or ')}, not ${algorithm}` });
  }
  if (c.minLimit !== undefined && c.maxLimit !== undefined && c.minLimit > c.maxLimit) issues.push({ path: `${at}.minLimit`, message: 'must be <= maxLimit' });
  if (c.backoffRatio !== undefined && !(c.backoffRatio >= 0.5 && c.backoffRatio < 1)) issues.push({ path: `${at}.backoffRatio`, message: 'must be in [0.5, 1)' });
  if (c.rttTolerance !== undefined && !(c.rttTolerance >= 1)) issues.push({ path: `${at}.rttTolerance`, message: 'must be >= 1' });
  if (c.smoothing !== undefined && !(c.smoothing > 0 && c.smoothing <= 1)) issues.push({ path: `${at}.smoothing`, message: 'must be in (0, 1]' });
  const common = pick(c, ['initialLimit', 'minLimit', 'maxLimit']);
  let limit: LimitAlgorithm;
  if (algorithm === 'aimd') limit = aimdLimit({ ...common, ...pick(c, ['backoffRatio', 'timeoutMs']) });
  else if (algorithm === 'vegas') limit = vegasLimit({ ...common, ...pick(c, ['smoothing']) });
  else limit = gradientLimit({ ...common, ...pick(c, ['queueSize', 'rttTolerance', 'smoothing', 'longWindow']) });
  return {
    limiter: createConcurrencyLimiter({ limit, ...(c.shares !== undefined ? { shares: c.shares } : {}) }),
    dropStatuses: new Set(c.dropStatuses ?? [429, 503]),
    attribute: c.priority?.attribute,
    header: c.priority?.header?.toLowerCase(),
  };
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): { [P in K]?: NonNullable<T[P]> } {
  const out: { [P in K]?: NonNullable<T[P]> } = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k] as NonNullable<T[K]>;
  return out;
}

// ---- the pool and its pending queue, per try

/** May a try to `endpoint` start now: a free connection, or room in the pending queue? */
export function admitTry(o: UpstreamOverload, plan: ResourceLimitsPlan, counters: ResourceCounters, endpoint: Endpoint): boolean {
  if (o.maxConnections === Number.POSITIVE_INFINITY) return true;
  const c = o.inflight.get(endpoint.url);
  return (c === undefined ? 0 : c.n) < o.maxConnections || counters.pendingRequests < plan.maxPendingRequests;
}

/** A try to `endpoint` starts: it takes a connection, or waits for one (pending). */
export function beginTry(o: UpstreamOverload, counters: ResourceCounters, endpoint: Endpoint): void {
  if (o.maxConnections === Number.POSITIVE_INFINITY) return;
  let c = o.inflight.get(endpoint.url);
  if (c === undefined) {
    c = { n: 0 };
    o.inflight.set(endpoint.url, c);
  }
  if (c.n >= o.maxConnections) counters.pendingRequests++;
  else counters.connections++;
  c.n++;
}

/** A try to `endpoint` ended: the first request waiting takes its connection. */
export function endTry(o: UpstreamOverload, counters: ResourceCounters, endpoint: Endpoint): void {
  if (o.maxConnections === Number.POSITIVE_INFINITY) return;
  const c = o.inflight.get(endpoint.url);
  if (c === undefined || c.n === 0) return;
  c.n--;
  if (c.n >= o.maxConnections) counters.pendingRequests--;
  else counters.connections--;
}

/** Drops the idle counts of origins no longer among `endpoints` (a reload that kept the upstream's runtime). */
export function pruneInflight(o: UpstreamOverload, endpoints: readonly Endpoint[]): void {
  if (o.inflight.size === 0) return;
  const urls = new Set(endpoints.map((e) => e.url));
  for (const [url, c] of o.inflight) if (c.n === 0 && !urls.has(url)) o.inflight.delete(url);
}

// ---- the adaptive controls, per request

/** The outcome of {@link admitRequest}. */
export type OverloadAdmission =
  | { readonly kind: 'admitted'; readonly permit: ConcurrencyPermit | undefined }
  | { readonly kind: 'throttled'; readonly probability: number }
  | { readonly kind: 'limited'; readonly priority: Priority; readonly inflight: number; readonly limit: number };

const ADMITTED_NO_PERMIT: OverloadAdmission = Object.freeze({ kind: 'admitted', permit: undefined });

/** The request's priority class: attribute, then header, then the route's, then `default`. */
export function priorityOf(o: NonNullable<UpstreamOverload['concurrency']>, request: SyRequest, routePriority: Priority | undefined): Priority {
  if (o.attribute !== undefined) {
    const a = request.attributes[o.attribute];
    if (typeof a === 'string' && PRIORITIES.has(a)) return a as Priority;
  }
  if (o.header !== undefined) {
    const h = request.headers[o.header];
    if (h !== undefined && PRIORITIES.has(h)) return h as Priority;
  }
  return routePriority ?? 'default';
}

/**
 * Runs the adaptive throttle, then the concurrency limiter. An admitted request must be
 * settled with {@link settleRequest} exactly once.
 */
export function admitRequest(o: UpstreamOverload, request: SyRequest, routePriority: Priority | undefined, now: number, rng: Rng): OverloadAdmission {
  const t = o.throttle;
  if (t !== undefined) {
    const d = t.state.admit(now, rng);
    if (d.kind === 'throttled') return { kind: 'throttled', probability: d.probability };
  }
  const c = o.concurrency;
  if (c === undefined) return ADMITTED_NO_PERMIT;
  const p = c.limiter.acquire(now, priorityOf(c, request, routePriority));
  if (p.kind === 'limited') {
    // The throttle counted a request the upstream never saw: the SRE book counts local
    // rejections as requests too, so nothing is undone.
    return { kind: 'limited', priority: p.priority, inflight: p.inflight, limit: p.limit };
  }
  return { kind: 'admitted', permit: p };
}

/** What a request's result says about the upstream's load. */
function verdict(result: ForwardResult | undefined, overloadStatuses: ReadonlySet<number>): 'success' | 'dropped' | 'ignore' {
  if (result === undefined) return 'ignore';
  if (result.kind === 'response') return overloadStatuses.has(result.response.status) ? 'dropped' : 'success';
  switch (result.code) {
    case 'SY_UPSTREAM_CONNECT':
    case 'SY_UPSTREAM_RESET':
    case 'SY_UPSTREAM_TIMEOUT':
    case 'SY_DEADLINE_EXCEEDED':
      return 'dropped';
    default:
      // Canceled, the client's bad request, the gateway's own fault, a retry refused locally:
      // nothing about the upstream's load.
      return 'ignore';
  }
}

/** Feeds a request's result to the throttle and the concurrency limiter (`undefined`: it never reached forwarding). */
export function settleRequest(o: UpstreamOverload, admission: OverloadAdmission, result: ForwardResult | undefined, now: number): void {
  const t = o.throttle;
  // An outcome that says nothing about load counts as an accept: only evidence of overload
  // may raise the rejection probability.
  if (t !== undefined) t.state.observe(now, verdict(result, t.rejectStatuses) !== 'dropped');
  if (admission.kind === 'admitted' && admission.permit !== undefined) admission.permit.release(now, verdict(result, (o.concurrency as NonNullable<UpstreamOverload['concurrency']>).dropStatuses));
}
