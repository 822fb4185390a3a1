/**
 * Locality-weighted load balancing (Envoy `locality_weighted_lb_config`,
 * `load_balancing/locality_weight.rst`; semantics.md §1.1):
 *
 *     availability(L)     = ⌊F × eligible_L / total_L⌋                    F = 140 (1.4)
 *     effective_weight(L) = locality_weight(L) × min(100, availability(L))
 *     share(L)            = effective_weight(L) / Σ effective_weight
 *
 * A pick chooses a locality by share (weighted random from the injected rng), then lets the
 * inner policy pick within it; each locality has its own inner state.
 *
 * `localZone` adds same-zone-first routing: the localities in that zone take
 * `min(100, F × eligible / total)` percent of the traffic (all of it while ≥ 1/1.4 ≈ 71 % of
 * their endpoints are eligible) and the rest spills to the other localities by share. This
 * is the priority-level spill-over applied to [local, remote], not Envoy's zone-aware
 * routing (which also needs the calling fleet's size per zone).
 */
import type { Endpoint, LoadBalancer, Locality, Outcome, PickInput, PickResult } from '@switchyard/core';
import { chance } from '@switchyard/core';
import { empty, invalid } from './internal/common.js';
import { regroup, splitEligible, type Group } from './internal/groups.js';

/** Options of {@link withLocality}. */
export interface LocalityOptions {
  /** Weight of a locality (Envoy `LocalityLbEndpoints.load_balancing_weight`); default 1 for all. */
  readonly localityWeight?: (locality: Locality) => number;
  /** Envoy `overprovisioning_factor` as a ratio (default 1.4). */
  readonly overprovisioningFactor?: number;
  /** Prefer localities in this zone (see the file comment). */
  readonly localZone?: string;
}

/** Plain state of {@link withLocality}. */
export interface LocalityState<S> {
  /** @internal Balancer bookkeeping, not part of the API. */
  readonly groups: Map<string, Group<S>>;
  readonly size: number;
  eligibleRef: readonly Endpoint[] | undefined;
  /** @internal Candidate groups with their eligible endpoints and cumulative effective weights. */
  local: Candidates;
  /** @internal Balancer bookkeeping, not part of the API. */
  remote: Candidates;
  localPercent: number;
}

interface Candidates {
  keys: string[];
  eligible: Endpoint[][];
  cumulative: number[];
}

/**
 * Envoy's effective locality weight: `weight × min(100, ⌊F × eligible / total⌋)`.
 *
 * @example
 * ```ts
 * import { localityEffectiveWeight } from '@switchyard/balancers';
 * localityEffectiveWeight(1, 69, 100); // 96: X's share against Y (weight 2, all up) is 96 / 296 ≈ 32 %
 * ```
 */
export function localityEffectiveWeight(weight: number, eligible: number, total: number, overprovisioningFactorPercent = 140): number {
  if (total === 0) return 0;
  return weight * Math.min(100, Math.floor((overprovisioningFactorPercent * eligible) / total));
}

/** `region/zone/subZone`: the key endpoints are grouped by. */
export function localityKey(l: Locality): string {
  return `${l.region ?? ''}/${l.zone ?? ''}/${l.subZone ?? ''}`;
}

const keyOf = (e: Endpoint): string => localityKey(e.locality);

/**
 * Wraps `inner` with locality-weighted routing (and optionally same-zone-first).
 *
 * When to use: endpoints spread over zones or regions with different capacity, or to keep
 * traffic in the caller's zone (latency, cross-zone cost) while it is healthy. Gotcha:
 * weighting is per locality, then `inner` balances inside it; endpoint weights only matter
 * inside their locality.
 *
 * @example
 * ```ts
 * import { createEndpoint, systemRng } from '@switchyard/core';
 * import { peakEwma, withLocality } from '@switchyard/balancers';
 * const lb = withLocality(peakEwma(), { localZone: 'eu-west-1a' });
 * const endpoints = [
 *   createEndpoint({ url: 'http://a:80', locality: { zone: 'eu-west-1a' } }),
 *   createEndpoint({ url: 'http://b:80', locality: { zone: 'eu-west-1b' } }),
 * ];
 * const state = lb.create(endpoints, 0);
 * lb.pick(state, { eligible: endpoints, now: 0, rng: systemRng }); // a while a is healthy
 * ```
 */
export function withLocality<S>(inner: LoadBalancer<S>, options: LocalityOptions = {}): LoadBalancer<LocalityState<S>> {
  const factor = Math.round((options.overprovisioningFactor ?? 1.4) * 100);
  if (!(factor >= 100)) invalid('overprovisioningFactor', 'must be >= 1');
  const weightOf = options.localityWeight ?? (() => 1);
  const localZone = options.localZone;
  const none = (): Candidates => ({ keys: [], eligible: [], cumulative: [] });
  const build = (groups: Map<string, Group<S>>, size: number): LocalityState<S> => ({ groups, size, eligibleRef: undefined, local: none(), remote: none(), localPercent: 0 });
  const choose = (c: Candidates, input: PickInput): number => {
    const total = c.cumulative[c.cumulative.length - 1] ?? 0;
    if (!(total > 0)) return -1;
    const x = input.rng.next() * total;
    for (let i = 0; i < c.cumulative.length; i++) if (x < (c.cumulative[i] as number)) return i;
    return c.cumulative.length - 1;
  };
  return {
    name: `locality(${inner.name})`,
    // Deliberately alike: priority.ts (create/update/pick) — the same LoadBalancer-over-groups skeleton with different state types and group keys; what they share (regroup, splitEligible) is one function in internal/groups.ts
    create(endpoints, now) {
      return build(regroup(inner, undefined, endpoints, keyOf, now), endpoints.length);
    },
    update(state, endpoints, now) {
      return build(regroup(inner, state.groups, endpoints, keyOf, now), endpoints.length);
    },
    pick(state: LocalityState<S>, input: PickInput): PickResult {
      if (state.size === 0) return empty('no-endpoints');
      if (state.eligibleRef !== input.eligible) {
        const split = splitEligible(input.eligible, keyOf);
        const local = none();
        const remote = none();
        let localEligible = 0;
        let localTotal = 0;
        for (const [key, group] of state.groups) {
          const eligible = split.get(key) ?? [];
          const locality = (group.endpoints[0] as Endpoint).locality;
          const isLocal = localZone !== undefined && locality.zone === localZone;
          if (isLocal) {
            localEligible += eligible.length;
            localTotal += group.endpoints.length;
          }
          const effective = localityEffectiveWeight(weightOf(locality), eligible.length, group.endpoints.length, factor);
          if (!(effective > 0)) continue;
          const c = isLocal ? local : remote;
          c.keys.push(key);
          c.eligible.push(eligible);
          c.cumulative.push((c.cumulative[c.cumulative.length - 1] ?? 0) + effective);
        }
        state.local = local;
        state.remote = remote;
        state.localPercent = localTotal === 0 ? 0 : Math.min(100, Math.floor((factor * localEligible) / localTotal));
        state.eligibleRef = input.eligible;
      }
      let side = localZone !== undefined && chance(input.rng, state.localPercent) ? state.local : state.remote;
      let i = choose(side, input);
      if (i < 0) {
        side = side === state.local ? state.remote : state.local;
        i = choose(side, input);
      }
      if (i < 0) return empty('no-eligible-endpoints');
      const group = state.groups.get(side.keys[i] as string) as Group<S>;
      return inner.pick(group.inner, { ...input, eligible: side.eligible[i] as Endpoint[] });
    },
    begin(state, endpoint, now) {
      const g = state.groups.get(keyOf(endpoint));
      if (g !== undefined) inner.begin(g.inner, endpoint, now);
    },
    observe(state, outcome: Outcome) {
      const g = state.groups.get(keyOf(outcome.endpoint));
      if (g !== undefined) inner.observe(g.inner, outcome);
    },
  };
}
