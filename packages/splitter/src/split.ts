/**
 * Sticky weighted splits (Envoy `weighted_clusters`, Gateway API `backendRefs[].weight`,
 * Istio `route[].weight`) with canary selectors in front.
 *
 * Order of evaluation for one request:
 * 1. canary rules, in declared order: the first match picks its backend (even at weight 0:
 *    that is how a dark canary is tried by opting in);
 * 2. with a key: the sticky rendezvous pick of `assign.ts` (a user stays on its backend while
 *    the weights allow, and a weight change moves only the keys it must);
 * 3. without a key: Envoy's interval pick over `rng.next() · Σw` in declared order.
 *
 * Weight 0 never receives weighted traffic. All weights 0 is a config error by default, as
 * Envoy rejects a `weighted_clusters` whose total is 0; `allowAllZero: true` turns it into an
 * `empty` decision instead (Gateway API leaves it unspecified and the recommendation is to
 * answer 500, which is what the gateway does with that decision).
 *
 * @packageDocumentation
 */
import { IssueCollector, murmur3, type Rng, type SyRequest } from '@switchyard/core';
import { pickByHash, pickByUnit } from './assign.js';
import { checkKeySources, readKey, type SplitKeySource } from './key.js';
import { checkSelector, compileSelector, type CanaryRule, type CompiledSelector } from './selectors.js';

/** Largest weight accepted (Gateway API's range is 0 … 1 000 000). */
export const MAX_WEIGHT = 1_000_000;

/**
 * Validates a config's list of named, weighted entries (a split's backends, an experiment's
 * variants): each name a non-empty string used once, each weight (default 1) an integer in
 * 0 … {@link MAX_WEIGHT}. Problems go to `add` by path (`backends[2].weight`); returns the sum of
 * the valid weights and the set of valid names. Internal to the package (not exported from its entry).
 */
export function checkWeightedEntries(entries: readonly { readonly name: string; readonly weight?: number | undefined }[], field: string, noun: string, add: (path: string, message: string) => void): { readonly total: number; readonly names: ReadonlySet<string> } {
  const names = new Set<string>();
  let total = 0;
  entries.forEach((e, i) => {
    if (typeof e.name !== 'string' || e.name === '') add(`${field}[${i}].name`, 'must be a non-empty string');
    else if (names.has(e.name)) add(`${field}[${i}].name`, `duplicate ${noun} ${JSON.stringify(e.name)}`);
    else names.add(e.name);
    const w = e.weight ?? 1;
    if (!Number.isInteger(w) || w < 0 || w > MAX_WEIGHT) add(`${field}[${i}].weight`, `must be an integer in 0 … ${MAX_WEIGHT}, got ${String(w)}`);
    else total += w;
  });
  return { total, names };
}

/** One backend (a cluster, a service, or a subset such as `version: v2`) of a split. */
export interface SplitBackend {
  readonly name: string;
  /** Integer in 0 … 1 000 000 (default 1, as Gateway API). Share = weight / Σ weights. */
  readonly weight?: number;
}

/** A split's config: data, validated once by {@link compileSplit}. */
export interface SplitConfig {
  /** Identifies the split in decisions and metrics; the default salt. */
  readonly name: string;
  /**
   * Salt of the sticky hash (default: `name`). Two splits with different salts assign
   * independently; keep it when renaming a split, or users are reassigned.
   */
  readonly salt?: string;
  readonly backends: readonly SplitBackend[];
  /** Where the sticky key comes from; the first source that yields a non-empty value wins. */
  readonly key?: SplitKeySource | readonly SplitKeySource[];
  /** Canary rules evaluated before the weights, first match wins. */
  readonly canary?: readonly CanaryRule[];
  /** Accept all-zero weights and decide `empty` (default false: a config error, as Envoy). */
  readonly allowAllZero?: boolean;
}

/**
 * A split's decision: a backend and why (`selector` names the rule, `hash` a keyed sticky
 * pick, `random` a keyless one), or `empty` when every weight is 0. Decisions are
 * preallocated and frozen: deciding allocates nothing.
 */
export type SplitDecision =
  | { readonly kind: 'backend'; readonly split: string; readonly backend: string; readonly index: number; readonly by: 'hash' | 'random' }
  | { readonly kind: 'backend'; readonly split: string; readonly backend: string; readonly index: number; readonly by: 'selector'; readonly rule: string }
  | { readonly kind: 'empty'; readonly split: string; readonly reason: 'all-weights-zero' };

/** A compiled, frozen split. Build with {@link compileSplit}; change weights with {@link withWeights}. */
export interface SplitPlan {
  readonly name: string;
  readonly salt: string;
  readonly backends: readonly { readonly name: string; readonly weight: number }[];
  readonly totalWeight: number;
  /** @internal */ readonly config: SplitConfig;
  /** @internal */ readonly seed: number;
  /** @internal */ readonly seeds: readonly number[];
  /** @internal */ readonly weights: readonly number[];
  /** @internal */ readonly keySources: readonly SplitKeySource[];
  /** @internal */ readonly rules: readonly { readonly test: CompiledSelector; readonly decision: SplitDecision }[];
  /** @internal */ readonly byHash: readonly SplitDecision[];
  /** @internal */ readonly byRandom: readonly SplitDecision[];
  /** @internal */ readonly empty: SplitDecision;
  /**
   * @internal The decision when it cannot vary: no canary rules, no key, one backend with
   * weight > 0 (a route with a single backend). Taken without drawing from the random source.
   */
  readonly sole: SplitDecision | undefined;
}

/**
 * Validates `config` (every problem reported with its path) and compiles it into a frozen
 * plan. Throws `ConfigError` (`SY_CONFIG_INVALID`).
 *
 * @example
 * ```ts
 * import { compileSplit, decideSplit } from '@switchyard/splitter';
 * import { systemRng } from '@switchyard/core';
 * const plan = compileSplit({
 *   name: 'checkout',
 *   backends: [{ name: 'v1', weight: 95 }, { name: 'v2', weight: 5 }],
 *   key: { header: 'x-user-id' },
 *   canary: [{ backend: 'v2', when: { header: 'x-stage', value: 'canary' } }],
 * });
 * const req = { method: 'GET', scheme: 'https' as const, authority: 'shop', path: '/', query: '',
 *   headers: { 'x-user-id': 'u-42' }, attributes: {} };
 * decideSplit(plan, req, systemRng); // { kind: 'backend', backend: 'v1' | 'v2', by: 'hash', … }
 * ```
 */
export function compileSplit(config: SplitConfig): SplitPlan {
  const issues = new IssueCollector();
  const add = (p: string, m: string): void => issues.add(p, m);
  if (typeof config.name !== 'string' || config.name === '') add('name', 'must be a non-empty string');
  if (config.salt !== undefined && typeof config.salt !== 'string') add('salt', 'must be a string');
  const backends = Array.isArray(config.backends) ? config.backends : [];
  if (!Array.isArray(config.backends) || backends.length === 0) add('backends', 'must list at least one backend');
  const { total, names } = checkWeightedEntries(backends, 'backends', 'backend', add);
  if (issues.ok && total === 0 && config.allowAllZero !== true) {
    add('backends', 'all weights are 0: nothing can receive traffic (Envoy rejects this too); set allowAllZero to answer empty instead');
  }
  const keySources = config.key === undefined ? [] : Array.isArray(config.key) ? (config.key as readonly SplitKeySource[]) : [config.key as SplitKeySource];
  checkKeySources(keySources, 'key', add);
  (config.canary ?? []).forEach((r, i) => {
    if (!names.has(r.backend)) add(`canary[${i}].backend`, `unknown backend ${JSON.stringify(r.backend)}`);
    checkSelector(r.when, `canary[${i}].when`, add);
  });
  issues.throwIfAny();

  const name = config.name;
  const salt = config.salt ?? name;
  const seed = murmur3(salt);
  const list = backends.map((b) => Object.freeze({ name: b.name, weight: b.weight ?? 1 }));
  const indexOf = new Map(list.map((b, i) => [b.name, i]));
  const decision = (i: number, by: 'hash' | 'random'): SplitDecision =>
    Object.freeze({ kind: 'backend', split: name, backend: (list[i] as { name: string }).name, index: i, by });
  const plan: SplitPlan = {
    name,
    salt,
    backends: Object.freeze(list),
    totalWeight: total,
    config,
    seed,
    seeds: Object.freeze(list.map((b) => murmur3(b.name, seed))),
    weights: Object.freeze(list.map((b) => b.weight)),
    keySources: Object.freeze([...keySources]),
    rules: Object.freeze(
      (config.canary ?? []).map((r, i) => {
        const index = indexOf.get(r.backend) as number;
        return Object.freeze({
          test: compileSelector(r.when),
          decision: Object.freeze({ kind: 'backend' as const, split: name, backend: r.backend, index, by: 'selector' as const, rule: r.name ?? `rule[${i}]` }),
        });
      }),
    ),
    byHash: Object.freeze(list.map((_, i) => decision(i, 'hash'))),
    byRandom: Object.freeze(list.map((_, i) => decision(i, 'random'))),
    empty: Object.freeze({ kind: 'empty', split: name, reason: 'all-weights-zero' }),
    sole: undefined,
  };
  const positive = list.flatMap((b, i) => (b.weight > 0 ? [i] : []));
  if (plan.rules.length === 0 && keySources.length === 0 && positive.length === 1) return Object.freeze({ ...plan, sole: plan.byRandom[positive[0] as number] });
  return Object.freeze(plan);
}

/**
 * The same split with new weights (by backend name; backends not named keep theirs).
 * Validated like {@link compileSplit}. Seeds depend on backend names, so keys move only as
 * far as the weight change requires.
 *
 * @example
 * ```ts
 * import { compileSplit, withWeights } from '@switchyard/splitter';
 * const p5 = compileSplit({ name: 'api', backends: [{ name: 'v1', weight: 95 }, { name: 'v2', weight: 5 }] });
 * const p10 = withWeights(p5, { v1: 90, v2: 10 }); // only users in the added 5 % move to v2
 * ```
 */
export function withWeights(plan: SplitPlan, weights: Readonly<Record<string, number>>): SplitPlan {
  const known = new Set(plan.backends.map((b) => b.name));
  const issues = new IssueCollector();
  for (const k of Object.keys(weights)) if (!known.has(k)) issues.add(`weights[${JSON.stringify(k)}]`, 'unknown backend');
  issues.throwIfAny();
  return compileSplit({
    ...plan.config,
    backends: plan.config.backends.map((b) => (weights[b.name] === undefined ? b : { ...b, weight: weights[b.name] as number })),
  });
}

/**
 * The request's sticky key for this split, or undefined (an absent or empty value).
 *
 * @example
 * ```ts
 * import { compileSplit, splitKey } from '@switchyard/splitter';
 * const plan = compileSplit({ name: 'api', backends: [{ name: 'v1' }], key: { cookie: 'sid' } });
 * splitKey(plan, { method: 'GET', scheme: 'https', authority: 'a', path: '/', query: '',
 *   headers: { cookie: 'sid=abc' }, attributes: {} }); // 'abc'
 * ```
 */
export function splitKey(plan: SplitPlan, req: SyRequest): string | undefined {
  return readKey(plan.keySources, req);
}

/**
 * Decides which backend `req` goes to: canary rules, then the sticky pick by key, then the
 * random pick. `rng` is used only for requests without a key. Returns a preallocated frozen
 * decision (no allocation); `empty` only when the plan allows all-zero weights. See
 * {@link compileSplit} for an example.
 */
export function decideSplit(plan: SplitPlan, req: SyRequest, rng: Rng): SplitDecision {
  if (plan.sole !== undefined) return plan.sole;
  const rules = plan.rules;
  if (rules.length > 0) {
    let memo: string | undefined | null = null;
    const key = (): string | undefined => (memo === null ? (memo = readKey(plan.keySources, req)) : memo);
    for (const r of rules) if (r.test(req, key)) return r.decision;
    return decideByKey(plan, key(), rng);
  }
  return decideByKey(plan, readKey(plan.keySources, req), rng);
}

/**
 * The weighted part of {@link decideSplit} for an already-extracted key (undefined: use `rng`).
 * Canary rules are not evaluated.
 *
 * @example
 * ```ts
 * import { compileSplit, decideByKey } from '@switchyard/splitter';
 * import { systemRng } from '@switchyard/core';
 * const plan = compileSplit({ name: 'api', backends: [{ name: 'v1', weight: 9 }, { name: 'v2', weight: 1 }] });
 * decideByKey(plan, 'user-42', systemRng).kind; // 'backend'
 * ```
 */
export function decideByKey(plan: SplitPlan, key: string | undefined, rng: Rng): SplitDecision {
  if (key !== undefined) {
    const i = pickByHash(murmur3(key, plan.seed), plan.seeds, plan.weights);
    return i < 0 ? plan.empty : (plan.byHash[i] as SplitDecision);
  }
  const i = pickByUnit(rng.next(), plan.weights, plan.totalWeight);
  return i < 0 ? plan.empty : (plan.byRandom[i] as SplitDecision);
}

/** A split whose weights can be changed at runtime: one atomic swap of a frozen plan. */
export interface Splitter {
  decide(req: SyRequest, rng: Rng): SplitDecision;
  /** Replaces the weights (validated first; on error the old plan stays). Returns the new plan. */
  setWeights(weights: Readonly<Record<string, number>>): SplitPlan;
  /** The current plan (a request that read it finishes on it). */
  plan(): SplitPlan;
}

/**
 * A thin stateful wrapper over {@link compileSplit} / {@link decideSplit} for callers that
 * change weights at runtime (a rollout controller, an admin endpoint).
 *
 * @example
 * ```ts
 * import { createSplitter } from '@switchyard/splitter';
 * const s = createSplitter({ name: 'api', backends: [{ name: 'v1', weight: 100 }, { name: 'v2', weight: 0 }], key: { header: 'x-user' } });
 * s.setWeights({ v1: 95, v2: 5 });
 * ```
 */
export function createSplitter(config: SplitConfig): Splitter {
  let current = compileSplit(config);
  return {
    decide: (req, rng) => decideSplit(current, req, rng),
    setWeights(weights) {
      current = withWeights(current, weights);
      return current;
    },
    plan: () => current,
  };
}
