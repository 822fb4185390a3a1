/**
 * The plan in force and what lives as long as a plan: compiling a config and swapping it in on
 * `reload` (requests in flight finish on the plan they started with), counting the requests in
 * flight per plan so a replaced plan's policy instances close once its requests are done,
 * the timers the gateway owns (active health checks, rollout analysis), the split-weight gauges
 * and the config warnings. `start`, `stop` and `reload` of the `Gateway` are this module's.
 */
import type { Cancel, PolicyDefinition } from '@switchyard/core';
import type { HealthEvent } from '@switchyard/health';
import type { LimiterStore } from '@switchyard/limiter';
import { evaluateRollout, nextAnalysisAt } from '@switchyard/splitter';
import { applyRolloutWeights, compileGateway, type GatewayPlan, type RoutePlan } from './compile.js';
import type { GatewayConfig } from './config.js';
import type { GatewayContext } from './context.js';
import { INSTRUMENTS } from './metrics.js';
import { closePolicies } from './pipeline.js';
import { createRolloutOps, type FleetRolloutOptions, type RolloutOps } from './rollout-fleet.js';

/**
 * How long a replaced plan's policy instances stay open for the requests still running on it
 * (then they are closed regardless): 60 s, a request's deadline is normally well under it.
 */
const POLICY_DRAIN_MS = 60_000;

/** The plan in force and its lifecycle (see the module comment). */
export interface Plans {
  /** The plan in force: a request reads it once, when it starts. */
  readonly current: () => GatewayPlan;
  /** A request starts on `p` (counted only when `p` has policies: a plan without pays nothing). */
  readonly enter: (p: GatewayPlan) => void;
  /** A request that started on `p` is done. */
  readonly leave: (p: GatewayPlan) => void;
  /** Runs the route's rollout analysis if it is due (lazily per request when no timer runs it). */
  readonly evaluateRolloutNow: (route: RoutePlan) => void;
  /** Rollout state per route, local or shared by a fleet (rollout-fleet.ts). */
  readonly rollouts: RolloutOps;
  /** `Gateway.reload`. */
  reload(config: GatewayConfig): void;
  /** `Gateway.start`. */
  start(): void;
  /** `Gateway.stop`, but for closing the transport. */
  stop(): Promise<void>;
}

/** Compiles `config` into the first plan and returns its {@link Plans}. Throws a ConfigError. */
export function createPlans(
  ctx: Omit<GatewayContext, 'plan' | 'formatError' | 'exposeErrorDetails'>,
  config: GatewayConfig,
  options: {
    readonly store: LimiterStore;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each definition has its own options type
    readonly policies: readonly PolicyDefinition<any>[] | undefined;
    readonly hasGeoSource: boolean;
    readonly fleet: FleetRolloutOptions | undefined;
  },
): Plans {
  const { clock, rng, transport, metrics, listeners, emit } = ctx;
  let started = false;
  const rolloutTimers = new Map<RoutePlan, Cancel>();
  const compileDeps = {
    clock,
    rng,
    transport,
    store: options.store,
    policies: options.policies,
    hasGeoSource: options.hasGeoSource,
    onHealthEvent: (upstream: string, event: HealthEvent) => {
      if (listeners.size > 0) emit({ kind: 'health', at: clock.now(), upstream, event });
      if (event.kind === 'ejected' || event.kind === 'unejected') metrics.inc(INSTRUMENTS.outlierEvents, 'Outlier ejections and un-ejections.', { 'switchyard.upstream': upstream, 'switchyard.endpoint': event.endpointId, 'switchyard.outlier.event': event.kind }, 1, undefined, '{event}');
    },
  };
  const rollouts = createRolloutOps({
    clock,
    transport,
    fleet: options.fleet,
    metrics,
    emit: (e) => {
      if (listeners.size > 0) emit(e);
    },
    plan: () => plan,
    changed: (route) => {
      publishSplitGauges(plan);
      armRollout(route);
    },
  });
  let plan = compileGateway(config, compileDeps);
  rollouts.sync(plan);

  // Policy instances of a replaced plan are closed only once the requests that started on it are
  // done (a request finishes on the plan it started with, and must not run a closed instance),
  // bounded by POLICY_DRAIN_MS, as Envoy drains a replaced listener's connections for a bounded
  // drain time before removing it (`--drain-time-s`, listener "draining"). Counted only for
  // plans with policies: a config without policies pays nothing.
  const inflight = new Map<GatewayPlan, number>();
  const retiring = new Map<GatewayPlan, Cancel>();
  function enter(p: GatewayPlan): void {
    if (p.hasPolicies) inflight.set(p, (inflight.get(p) ?? 0) + 1);
  }
  function leave(p: GatewayPlan): void {
    if (!p.hasPolicies) return;
    const n = (inflight.get(p) ?? 1) - 1;
    if (n > 0) {
      inflight.set(p, n);
      return;
    }
    inflight.delete(p);
    const cancel = retiring.get(p);
    if (cancel === undefined) return;
    retiring.delete(p);
    cancel();
    void closePolicies(p.policies);
  }
  function retire(p: GatewayPlan): void {
    if ((inflight.get(p) ?? 0) === 0) {
      void closePolicies(p.policies);
      return;
    }
    retiring.set(
      p,
      clock.setTimer(POLICY_DRAIN_MS, () => {
        retiring.delete(p);
        inflight.delete(p);
        void closePolicies(p.policies);
      }),
    );
  }
  publishSplitGauges(plan);
  emitWarnings(plan);

  function emitWarnings(p: GatewayPlan): void {
    if (listeners.size === 0) return;
    const at = clock.now();
    for (const w of p.warnings) emit({ kind: 'config-warning', at, path: w.path, message: w.message });
  }

  function publishSplitGauges(p: GatewayPlan): void {
    for (const r of p.routes) {
      if (r.split === undefined) continue;
      const total = r.split.totalWeight;
      for (const b of r.split.backends) metrics.set(INSTRUMENTS.splitWeight, 'Current share of each backend of a route split.', { 'http.route': r.name, 'switchyard.backend': b.name }, total === 0 ? 0 : (100 * b.weight) / total, '%');
    }
    rollouts.publish(p);
  }

  // ---- rollouts: evaluated at their analysis times, by timer (when started) or lazily per request.
  function evaluateRolloutNow(route: RoutePlan): void {
    const r = route.rollout;
    if (r === undefined || r.state.phase !== 'progressing' || rollouts.drives(route)) return;
    const now = clock.now();
    const due = nextAnalysisAt(r.config, r.state);
    if (due === undefined || now < due) return;
    for (const event of evaluateRollout(r.config, r.state, now)) if (listeners.size > 0) emit({ kind: 'rollout', at: now, route: route.name, event });
    if (applyRolloutWeights(route)) publishSplitGauges(plan);
  }
  function armRollout(route: RoutePlan): void {
    rolloutTimers.get(route)?.();
    rolloutTimers.delete(route);
    const r = route.rollout;
    if (!started || r === undefined || r.state.phase !== 'progressing' || rollouts.drives(route)) return;
    const due = nextAnalysisAt(r.config, r.state);
    if (due === undefined) return;
    rolloutTimers.set(
      route,
      clock.setTimer(Math.max(0, due - clock.now()), () => {
        rolloutTimers.delete(route);
        evaluateRolloutNow(route);
        armRollout(route);
      }),
    );
  }

  return {
    current: () => plan,
    enter,
    leave,
    evaluateRolloutNow,
    rollouts,
    reload(next: GatewayConfig): void {
      const old = plan;
      const compiled = compileGateway(next, compileDeps, old);
      plan = compiled;
      // The old config's policy instances: built for it, closed with it once its requests are done.
      retire(old);
      rollouts.sync(compiled);
      // Stop what the new plan no longer uses; start what it adds.
      const kept = new Set(compiled.upstreams.values());
      for (const up of old.upstreams.values()) if (!kept.has(up)) up.health?.stop();
      for (const [route, cancel] of rolloutTimers) {
        if (!compiled.routes.includes(route)) {
          cancel();
          rolloutTimers.delete(route);
        }
      }
      if (started) {
        for (const up of compiled.upstreams.values()) up.health?.start();
        for (const r of compiled.routes) armRollout(r);
      }
      publishSplitGauges(compiled);
      if (listeners.size > 0) emit({ kind: 'reload', at: clock.now(), routes: compiled.routes.length, upstreams: compiled.upstreams.size });
      emitWarnings(compiled);
    },
    start(): void {
      if (started) return;
      started = true;
      for (const up of plan.upstreams.values()) up.health?.start();
      for (const r of plan.routes) armRollout(r);
      rollouts.start();
    },
    async stop(): Promise<void> {
      started = false;
      await rollouts.stop();
      for (const up of plan.upstreams.values()) up.health?.stop();
      for (const cancel of rolloutTimers.values()) cancel();
      rolloutTimers.clear();
      for (const [p, cancel] of retiring) {
        cancel();
        inflight.delete(p);
        await closePolicies(p.policies);
      }
      retiring.clear();
      await closePolicies(plan.policies);
    },
  };
}
