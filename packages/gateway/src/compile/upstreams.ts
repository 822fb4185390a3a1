/**
 * Compiles one upstream group (an Envoy cluster) into its runtime: endpoints, balancer, outlier
 * detection, active health checks, breaker, resource limits and overload state, reusing the
 * previous runtime when only the endpoint list changed; and the endpoint subsets (groups) that
 * routes' backends select.
 */
import { compileCookieAffinity } from '../affinity.js';
import { ConfigError, createEndpoint, type ConfigIssue, type Endpoint, type LoadBalancer } from '@switchyard/core';
import { clientSideWeightedRoundRobin, leastRequest, maglev, peakEwma, random, ringHash, roundRobin, weightedRandom, weightedRoundRobin, withLocality, withPriority } from '@switchyard/balancers';
import { compileResourceLimits, createCircuitBreaker, createHealthCheckRunner, createOutlierDetector, createResourceCounters, type HealthEvent } from '@switchyard/health';
import type { BackendConfig, UpstreamConfig } from '../config.js';
import { compileOverload, pruneInflight } from '../overload.js';
import { fingerprint } from './fingerprint.js';
import { within } from './issue-paths.js';
import type { CompileDeps, GroupRuntime, UpstreamRuntime } from './plan.js';

/**
 * Compiles `upstreams.<name>`; `prev` is the same upstream's runtime in the previous plan.
 * Changes to shared runtimes are queued on `pending`, applied only once the whole config compiled.
 */
export function compileUpstream(
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

/** The balancer of each `balancer.policy`, given its options (the ones without options take none). */
const BALANCER_FACTORIES: Readonly<Record<string, (options: never) => unknown>> = {
  'round-robin': roundRobin, 'weighted-round-robin': weightedRoundRobin, random, 'weighted-random': weightedRandom, 'least-request': leastRequest,
  'peak-ewma': peakEwma, 'client-side-weighted-round-robin': clientSideWeightedRoundRobin, 'ring-hash': ringHash, maglev,
};

function makeBalancer(up: UpstreamConfig, usesPriority: boolean): LoadBalancer<unknown> {
  const b = (up.balancer ?? { policy: 'round-robin' }) as { policy: string } & Record<string, unknown>;
  // `hashPolicies` (config name) is the balancers' `hashPolicy`: they compile it once and hash
  // the request themselves when the pick carries no precomputed hash.
  const { policy, hashPolicies, ...rest } = b;
  // `compatibility` exists only on ring-hash and maglev: the strict schema refuses it elsewhere.
  const options = hashPolicies === undefined ? rest : { ...rest, hashPolicy: hashPolicies };
  const make = Object.prototype.hasOwnProperty.call(BALANCER_FACTORIES, policy) ? BALANCER_FACTORIES[policy] : undefined;
  if (make === undefined) throw new ConfigError([{ path: 'policy', message: `unknown balancer ${JSON.stringify(policy)}` }]);
  let inner = make(options as never) as LoadBalancer<unknown>;
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

/** The group of `upstream`'s endpoints that `subset` selects, created (with its balancer state) on first use. */
export function groupFor(upstream: UpstreamRuntime, subset: Readonly<Record<string, string>> | undefined, now: number): GroupRuntime {
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

/** A backend's name: its own, else the upstream's plus its subset (`orders[version=v2]`). */
export function backendName(b: BackendConfig): string {
  if (b.name !== undefined) return b.name;
  const subset = Object.entries(b.subset ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return subset === '' ? b.upstream : `${b.upstream}[${subset}]`;
}
