/**
 * The gateway's rollouts: operations (`status`, `promote`, `abort`, `retry`), gauges, and —
 * with `GatewayDeps.rollouts` — fleet mode, where every route's rollout is driven through a
 * shared {@link RolloutStore} (`@switchyard/redis` in production) by one `RolloutDriver` per
 * route: outcomes are buffered per time bucket and flushed by the driver's timer (never on the
 * request path), one replica holds the lease and runs the checks, and every replica applies the
 * shared state's weights within one poll interval. Without it, each gateway drives its own
 * rollouts in memory (the gateway's own timers, as before).
 *
 * Kept out of `gateway.ts`: the gateway calls {@link RolloutOps} at four places (compile,
 * start/stop, observe, the public `rollouts` object).
 */
import type { Clock, Outcome, Transport } from '@switchyard/core';
import {
  abortRollout,
  createMemoryRolloutStore,
  createRolloutDriver,
  createTransportWebhookCaller,
  promoteRollout,
  retryRollout,
  type OperationResult,
  type RolloutConfig,
  type RolloutDriver,
  type RolloutEvent,
  type RolloutState,
  type RolloutStatus,
  type RolloutStore,
} from '@switchyard/splitter';
import { applyRolloutWeights, type GatewayPlan, type RoutePlan } from './compile.js';
import type { GatewayEvent } from './events.js';
import type { MetricsRegistry } from './metrics.js';

/** Fleet mode: one rollout shared by every replica through a store. */
export interface FleetRolloutOptions {
  /** Where the fleet keeps its rollouts (`createRedisRolloutStore` from `@switchyard/redis`). */
  readonly store: RolloutStore;
  /** This replica's unique id (the lease owner), e.g. the pod name. */
  readonly owner: string;
  /** Lease time to live, ms (default 15 000). */
  readonly leaseTtlMs?: number;
  /** Flush, poll and check period, ms (default 1 000): every replica serves the shared weights within it. */
  readonly pollIntervalMs?: number;
  /** Metrics time bucket, ms (default 1 000). */
  readonly bucketMs?: number;
}

/** The public rollout operations of a gateway, callable from any replica. */
export interface GatewayRollouts {
  /** One entry per route with a rollout. */
  status(): RolloutStatus[];
  /** Resolves when the background rollout work in progress (flush, poll, check) is over (fleet mode; tests and graceful shutdown). */
  settled(): Promise<void>;
  /** Next step now (`full`: straight to 100 %), from progressing or paused (Argo's `promote`). */
  promote(route: string, options?: { readonly full?: boolean; readonly reason?: string }): Promise<OperationResult>;
  /** Canary to 0 %, phase `aborted` (Argo's `abort`). */
  abort(route: string, reason: string): Promise<OperationResult>;
  /** From aborted, rolled back or paused: back to the first step (Argo's `retry`). */
  retry(route: string, reason?: string): Promise<OperationResult>;
}

/** What the gateway calls. */
export interface RolloutOps extends GatewayRollouts {
  /** True when a driver owns the route's checks (fleet mode, or a rollout with webhooks): the gateway's own timers stay off. */
  drives(route: RoutePlan): boolean;
  /** After every compile: drivers for new rollouts, stop the ones gone. */
  sync(plan: GatewayPlan): void;
  start(): void;
  stop(): Promise<void>;
  /** Fleet mode: records an outcome in the route's driver buffer. */
  observe(route: RoutePlan, side: 'canary' | 'baseline', outcome: Outcome): void;
  /** Publishes the rollout gauges of every route. */
  publish(plan: GatewayPlan): void;
}

const PHASES = ['progressing', 'paused', 'succeeded', 'rolled-back', 'aborted'] as const;

/** Builds the gateway's rollout operations (see the module doc). */
export function createRolloutOps(deps: {
  readonly clock: Clock;
  /** Carries the rollout webhooks. */
  readonly transport: Transport;
  readonly fleet: FleetRolloutOptions | undefined;
  readonly metrics: MetricsRegistry;
  readonly emit: (event: GatewayEvent) => void;
  readonly plan: () => GatewayPlan;
  /** The split weights moved: republish the split gauges and re-arm timers. */
  readonly changed: (route: RoutePlan) => void;
}): RolloutOps {
  const { clock, fleet, metrics, emit } = deps;
  const drivers = new Map<string, { driver: RolloutDriver; fingerprint: string; route: RoutePlan }>();
  const callWebhook = createTransportWebhookCaller({ transport: deps.transport, clock });
  // Webhooks are asynchronous gates: without a fleet store, such a rollout is driven through a
  // private in-memory store (one replica, today's behaviour otherwise).
  let localMode: FleetRolloutOptions | undefined;
  const modeFor = (route: RoutePlan): FleetRolloutOptions | undefined => {
    if (fleet !== undefined) return fleet;
    if ((route.rollout?.config.webhooks?.length ?? 0) === 0) return undefined;
    localMode ??= { store: createMemoryRolloutStore(), owner: 'local' };
    return localMode;
  };
  const available = new Map<string, boolean>();
  let started = false;

  function gauges(route: RoutePlan): void {
    const r = route.rollout;
    if (r === undefined) return;
    const labels = { 'http.route': route.name, 'switchyard.rollout': r.config.name };
    metrics.set('switchyard.rollout.weight', 'Share of traffic the rollout gives its canary.', labels, r.appliedPercent < 0 ? 0 : r.appliedPercent, '%');
    metrics.set('switchyard.rollout.failed_checks', 'Failed checks of the rollout over its run.', labels, r.state.failedChecks, '{check}');
    for (const p of PHASES) metrics.set('switchyard.rollout.phase', 'The rollout phase (1 for the current one).', { ...labels, 'switchyard.rollout.phase': p }, r.state.phase === p ? 1 : 0, '{phase}');
    if (fleet !== undefined) metrics.set('switchyard.rollout.store.available', 'Whether the rollout store is reachable (0: weights frozen).', labels, available.get(route.name) === false ? 0 : 1, '{state}');
  }

  function routeOf(name: string): RoutePlan | undefined {
    return deps.plan().routes.find((r) => r.name === name && r.rollout !== undefined);
  }

  function applyState(route: RoutePlan, state: RolloutState): void {
    const r = route.rollout;
    if (r === undefined) return;
    r.state = state;
    applyRolloutWeights(route);
    gauges(route);
    deps.changed(route);
  }

  /** Local (single-process) operation on the route's in-memory state. */
  async function local(routeName: string, op: (config: RolloutConfig, state: RolloutState, now: number) => RolloutEvent | undefined): Promise<OperationResult> {
    const route = routeOf(routeName);
    if (route?.rollout === undefined) return { kind: 'not-applicable', reason: `route ${JSON.stringify(routeName)} has no rollout` };
    const now = clock.now();
    const event = op(route.rollout.config, route.rollout.state, now);
    if (event === undefined) return { kind: 'not-applicable', reason: `rollout ${route.rollout.config.name} is ${route.rollout.state.phase}` };
    emit({ kind: 'rollout', at: now, route: route.name, event });
    applyRolloutWeights(route);
    gauges(route);
    deps.changed(route);
    return { kind: 'done', event, revision: route.rollout.state.revision };
  }

  function driverOf(routeName: string): RolloutDriver | undefined {
    return drivers.get(routeName)?.driver;
  }

  const notFound = (routeName: string): OperationResult => ({ kind: 'not-applicable', reason: `route ${JSON.stringify(routeName)} has no rollout` });

  return {
    drives: (route) => drivers.get(route.name)?.route === route,
    sync(plan) {
      const seen = new Set<string>();
      for (const route of plan.routes) {
        const r = route.rollout;
        const mode = modeFor(route);
        if (r === undefined || mode === undefined) continue;
        seen.add(route.name);
        const cur = drivers.get(route.name);
        if (cur !== undefined && cur.fingerprint === r.fingerprint) {
          // Same rollout, new plan: carry the shared state over.
          const s = cur.driver.state();
          cur.route = route;
          if (s !== undefined) applyState(route, s);
          continue;
        }
        if (cur !== undefined) void cur.driver.stop();
        // Fail-static until the first read: the baseline takes everything.
        r.state = { ...r.state, weightPercent: 0 };
        applyRolloutWeights(route);
        const entry = {
          fingerprint: r.fingerprint,
          route,
          driver: createRolloutDriver({
            store: mode.store,
            clock,
            config: r.config,
            owner: mode.owner,
            callWebhook,
            ...(mode.leaseTtlMs !== undefined ? { leaseTtlMs: mode.leaseTtlMs } : {}),
            ...(mode.pollIntervalMs !== undefined ? { pollIntervalMs: mode.pollIntervalMs } : {}),
            ...(mode.bucketMs !== undefined ? { bucketMs: mode.bucketMs } : {}),
            onState: (state) => applyState(entry.route, state),
            onEvent: (event) => emit({ kind: 'rollout', at: clock.now(), route: entry.route.name, event }),
            onStoreStatus: (ok, reason) => {
              available.set(entry.route.name, ok);
              emit({ kind: 'rollout-store', at: clock.now(), route: entry.route.name, available: ok, reason });
              gauges(entry.route);
            },
          }),
        };
        drivers.set(route.name, entry);
        if (started) entry.driver.start();
      }
      for (const [name, d] of drivers) {
        if (seen.has(name)) continue;
        void d.driver.stop();
        drivers.delete(name);
      }
    },
    start() {
      started = true;
      for (const d of drivers.values()) d.driver.start();
    },
    async stop() {
      started = false;
      await Promise.all([...drivers.values()].map((d) => d.driver.stop()));
    },
    async settled() {
      await Promise.all([...drivers.values()].map((d) => d.driver.idle()));
    },
    observe(route, side, outcome) {
      drivers.get(route.name)?.driver.observe(side, outcome);
    },
    publish(plan) {
      for (const route of plan.routes) gauges(route);
    },
    status() {
      const out: RolloutStatus[] = [];
      for (const route of deps.plan().routes) {
        const r = route.rollout;
        if (r === undefined) continue;
        const d = driverOf(route.name);
        if (d !== undefined) out.push(d.status());
        else
          out.push({
            name: r.config.name,
            phase: r.state.phase,
            weightPercent: r.appliedPercent < 0 ? 0 : r.appliedPercent,
            stepIndex: r.state.stepIndex,
            failedChecks: r.state.failedChecks,
            reasons: r.state.reasons,
            revision: r.state.revision,
            leader: true,
            storeAvailable: true,
          });
      }
      return out;
    },
    promote(route, options = {}) {
      const d = driverOf(route);
      if (d !== undefined) return d.promote(options);
      if (fleet !== undefined) return Promise.resolve(notFound(route));
      return local(route, (c, s, now) => promoteRollout(c, s, now, options));
    },
    abort(route, reason) {
      const d = driverOf(route);
      if (d !== undefined) return d.abort(reason);
      if (fleet !== undefined) return Promise.resolve(notFound(route));
      return local(route, (c, s, now) => abortRollout(c, s, now, reason));
    },
    retry(route, reason) {
      const d = driverOf(route);
      if (d !== undefined) return d.retry(reason);
      if (fleet !== undefined) return Promise.resolve(notFound(route));
      return local(route, (c, s, now) => retryRollout(c, s, now, reason));
    },
  };
}
