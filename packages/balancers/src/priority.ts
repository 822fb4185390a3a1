/**
 * Priority levels, overprovisioning and panic, with Envoy's exact integer arithmetic
 * (`source/common/upstream/load_balancer_impl.cc`: `recalculatePerPriorityState`,
 * `distributeLoad`, `recalculatePerPriorityPanic`, `recalculateLoadInTotalPanic`,
 * `choosePriority`; docs `priority.rst`, `panic_threshold.rst`; semantics.md §1.1, §8.9):
 *
 *     health(P)        = min(100, ⌊F × healthy_P / total_P⌋)            F = 140 (1.4)
 *     normalized       = min(100, Σ health)
 *     load(P)          = min(left, ⌊health(P) × 100 / normalized⌋), left −= load(P)
 *     rounding rest   → the first level with health > 0
 *     panic(P)         = normalized < 100 and 100 × healthy_P / total_P < threshold
 *     all levels panic → load by host count (rest to the first non-empty level)
 *     normalized = 0, threshold = 0 → 100 % to P0 (and nothing is eligible there)
 *
 * A level is then picked with `x ∈ [1, 100]` (from the request hash when there is one, as
 * Envoy does for hashing policies, else from the rng) against the cumulative loads. A
 * level in panic balances over **all** its endpoints, eligible or not: that is the point of
 * panic (better a few errors than overloading the few healthy endpoints).
 */
import type { Endpoint, LoadBalancer, Outcome, PickInput, PickResult } from '@switchyard/core';
import { randomInt } from '@switchyard/core';
import { empty, invalid } from './internal/common.js';
import { regroup, splitEligible, type Group } from './internal/groups.js';

/** Healthy and total endpoint counts of one priority level. */
export interface LevelHealth {
  readonly healthy: number;
  readonly total: number;
}

/** Per-level traffic percentages (summing to 100) and panic flags. */
export interface PriorityLoad {
  readonly load: readonly number[];
  readonly panic: readonly boolean[];
}

/**
 * Envoy's priority load and panic computation (see the file comment for the formulas).
 *
 * @example
 * ```ts
 * import { computePriorityLoad } from '@switchyard/balancers';
 * computePriorityLoad([{ healthy: 50, total: 100 }, { healthy: 100, total: 100 }]);
 * // { load: [70, 30], panic: [false, false] }
 * ```
 */
export function computePriorityLoad(levels: readonly LevelHealth[], overprovisioningFactorPercent = 140, panicThresholdPercent = 50): PriorityLoad {
  const n = levels.length;
  const load = new Array<number>(n).fill(0);
  const panic = new Array<boolean>(n).fill(false);
  if (n === 0) return { load, panic };
  const health = levels.map((l) => (l.total > 0 ? Math.min(100, Math.floor((overprovisioningFactorPercent * l.healthy) / l.total)) : 0));
  const normalized = Math.min(100, health.reduce((a, b) => a + b, 0));
  const threshold = Math.min(100, panicThresholdPercent);
  if (threshold === 0 && normalized === 0) {
    load[0] = 100;
    return { load, panic };
  }
  if (normalized > 0) {
    let left = 100;
    let first = -1;
    for (let i = 0; i < n; i++) {
      const h = health[i] as number;
      if (first < 0 && h > 0) first = i;
      const l = Math.min(left, Math.floor((h * 100) / normalized));
      load[i] = l;
      left -= l;
    }
    if (left !== 0 && first >= 0) load[first] = (load[first] as number) + left;
  }
  let totalPanic = true;
  for (let i = 0; i < n; i++) {
    const l = levels[i] as LevelHealth;
    const healthyPercent = l.total === 0 ? 0 : (100 * l.healthy) / l.total;
    panic[i] = normalized === 100 ? false : healthyPercent < threshold;
    totalPanic = totalPanic && (panic[i] as boolean);
  }
  if (totalPanic) {
    const hosts = levels.reduce((a, l) => a + l.total, 0);
    load.fill(0);
    if (hosts === 0) {
      load[0] = 100;
    } else {
      let left = 100;
      let first = -1;
      for (let i = 0; i < n; i++) {
        const t = (levels[i] as LevelHealth).total;
        if (first < 0 && t !== 0) first = i;
        const l = Math.floor((100 * t) / hosts);
        load[i] = l;
        left -= l;
      }
      load[first] = (load[first] as number) + left;
    }
  }
  return { load, panic };
}

/** Options of {@link withPriority}. */
export interface PriorityOptions {
  /** Envoy `overprovisioning_factor` as a ratio (default 1.4). */
  readonly overprovisioningFactor?: number;
  /** Envoy `healthy_panic_threshold` in percent (default 50; 0 disables panic). */
  readonly healthyPanicThresholdPercent?: number;
}

/** Plain state of {@link withPriority}. */
export interface PriorityState<S> {
  /** @internal Balancer bookkeeping, not part of the API. */
  readonly groups: Map<string, Group<S>>;
  /** Group keys in priority order (0 first). */
  readonly order: readonly string[];
  readonly size: number;
  eligibleRef: readonly Endpoint[] | undefined;
  levelEligible: Endpoint[][];
  plan: PriorityLoad;
}

const levelKey = (e: Endpoint): string => String(e.priority);

/**
 * Wraps `inner` with Envoy's priority levels and panic threshold: each priority level gets
 * its own `inner` state; a pick first chooses a level by the computed load, then lets
 * `inner` pick within it. With every endpoint at priority 0 this is just the panic
 * threshold around `inner`.
 *
 * When to use: failover to a standby region / backup pool (put it at priority 1), and panic
 * protection. Gotcha: in panic a level is balanced over all its endpoints, including the
 * ones health excluded; set `healthyPanicThresholdPercent: 0` to fail with `empty` instead.
 *
 * @example
 * ```ts
 * import { createEndpoint, systemRng } from '@switchyard/core';
 * import { leastRequest, withPriority } from '@switchyard/balancers';
 * const lb = withPriority(leastRequest(), { overprovisioningFactor: 1.4, healthyPanicThresholdPercent: 50 });
 * const endpoints = [createEndpoint({ url: 'http://eu-1:80' }), createEndpoint({ url: 'http://us-1:80', priority: 1 })];
 * const state = lb.create(endpoints, 0);
 * lb.pick(state, { eligible: endpoints, now: 0, rng: systemRng });
 * ```
 */
export function withPriority<S>(inner: LoadBalancer<S>, options: PriorityOptions = {}): LoadBalancer<PriorityState<S>> {
  const factor = Math.round((options.overprovisioningFactor ?? 1.4) * 100);
  if (!(factor >= 100)) invalid('overprovisioningFactor', 'must be >= 1');
  const threshold = Math.floor(options.healthyPanicThresholdPercent ?? 50);
  if (!(threshold >= 0 && threshold <= 100)) invalid('healthyPanicThresholdPercent', 'must be in [0, 100]');
  const build = (groups: Map<string, Group<S>>, size: number): PriorityState<S> => {
    const order = [...groups.keys()].sort((a, b) => Number(a) - Number(b));
    return { groups, order, size, eligibleRef: undefined, levelEligible: [], plan: { load: [], panic: [] } };
  };
  return {
    name: `priority(${inner.name})`,
    // Deliberately alike: locality.ts (create/update/pick) — the same LoadBalancer-over-groups skeleton with different state types and group keys; what they share (regroup, splitEligible) is one function in internal/groups.ts
    create(endpoints, now) {
      return build(regroup(inner, undefined, endpoints, levelKey, now), endpoints.length);
    },
    update(state, endpoints, now) {
      return build(regroup(inner, state.groups, endpoints, levelKey, now), endpoints.length);
    },
    pick(state: PriorityState<S>, input: PickInput): PickResult {
      if (state.size === 0) return empty('no-endpoints');
      if (state.eligibleRef !== input.eligible) {
        const split = splitEligible(input.eligible, levelKey);
        state.levelEligible = state.order.map((k) => split.get(k) ?? []);
        state.plan = computePriorityLoad(
          state.order.map((k, i) => ({ healthy: (state.levelEligible[i] as Endpoint[]).length, total: (state.groups.get(k) as Group<S>).endpoints.length })),
          factor,
          threshold,
        );
        state.eligibleRef = input.eligible;
      }
      const x = (input.hash !== undefined ? input.hash % 100 : randomInt(input.rng, 100)) + 1;
      const load = state.plan.load;
      let level = load.length - 1;
      for (let i = 0, acc = 0; i < load.length; i++) {
        acc += load[i] as number;
        if (x <= acc) {
          level = i;
          break;
        }
      }
      const group = state.groups.get(state.order[level] as string) as Group<S>;
      const eligible = state.plan.panic[level] === true ? group.endpoints : (state.levelEligible[level] as Endpoint[]);
      if (eligible.length === 0) return empty('no-eligible-endpoints');
      return inner.pick(group.inner, { ...input, eligible });
    },
    begin(state, endpoint, now) {
      const g = state.groups.get(levelKey(endpoint));
      if (g !== undefined) inner.begin(g.inner, endpoint, now);
    },
    observe(state, outcome: Outcome) {
      const g = state.groups.get(levelKey(outcome.endpoint));
      if (g !== undefined) inner.observe(g.inner, outcome);
    },
  };
}
