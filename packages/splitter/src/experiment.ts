/**
 * A/B/n experiments: sticky variant assignment with a per-experiment salt, an optional coverage
 * gate, and the assignment exposed as a header value and in the decision for metrics.
 *
 * Independence: each experiment hashes the key with its own salt (a different murmur3 seed),
 * so being in variant `b` of one experiment says nothing about another (the lesson of
 * Unleash PR #533, where correlated seeds skewed variants). Coverage uses a second salt
 * (`<salt>#coverage`), independent of the variant draw, so widening coverage only adds users
 * and never moves an enrolled one (GrowthBook PR #22).
 *
 * @packageDocumentation
 */
import { IssueCollector, murmur3, type SyRequest } from '@switchyard/core';
import { bucketOf, pickByHash } from './assign.js';
import { checkKeySources, readKey, type SplitKeySource } from './key.js';
import { checkWeightedEntries } from './split.js';

/** An experiment's config. */
export interface ExperimentConfig {
  /** Identifies the experiment; the default salt and the header value prefix. */
  readonly name: string;
  /** Salt of the assignment (default: `name`). Keep it stable for the experiment's lifetime. */
  readonly salt?: string;
  /** Variants with integer weights (default 1 each). */
  readonly variants: readonly { readonly name: string; readonly weight?: number }[];
  /** The sticky key (user id, …). Requests without one are excluded, never randomised. */
  readonly key: SplitKeySource | readonly SplitKeySource[];
  /** Percent of keys enrolled, 0–100 in steps of 0.01 (default 100). */
  readonly coveragePercent?: number;
  /** Header that carries the assignment (default `x-experiment`). */
  readonly header?: string;
}

/** The assignment of one request, or why it was left out. */
export type ExperimentDecision =
  | {
      readonly kind: 'variant';
      readonly experiment: string;
      readonly variant: string;
      readonly index: number;
      /** `{ name: 'x-experiment', value: '<experiment>-<variant>' }`: add it to the response. */
      readonly header: { readonly name: string; readonly value: string };
    }
  | { readonly kind: 'excluded'; readonly experiment: string; readonly reason: 'no-key' | 'coverage' };

/** A compiled, frozen experiment. */
export interface ExperimentPlan {
  readonly name: string;
  readonly salt: string;
  readonly coveragePercent: number;
  /** @internal */ readonly seed: number;
  /** @internal */ readonly seeds: readonly number[];
  /** @internal */ readonly weights: readonly number[];
  /** @internal */ readonly keySources: readonly SplitKeySource[];
  /** @internal */ readonly decisions: readonly ExperimentDecision[];
  /** @internal */ readonly noKey: ExperimentDecision;
  /** @internal */ readonly notCovered: ExperimentDecision;
}

/**
 * Validates and compiles an experiment. Throws `ConfigError` listing every problem.
 *
 * @example
 * ```ts
 * import { compileExperiment, assignVariant } from '@switchyard/splitter';
 * const quiz = compileExperiment({
 *   name: 'quiz-format', variants: [{ name: 'a' }, { name: 'b' }], key: { attribute: 'userId' },
 * });
 * const d = assignVariant(quiz, { method: 'GET', scheme: 'https', authority: 'x', path: '/', query: '',
 *   headers: {}, attributes: { userId: 'u-7' } });
 * if (d.kind === 'variant') console.log(d.header); // { name: 'x-experiment', value: 'quiz-format-a' } (or -b)
 * ```
 */
export function compileExperiment(config: ExperimentConfig): ExperimentPlan {
  const issues = new IssueCollector();
  const add = (p: string, m: string): void => issues.add(p, m);
  if (typeof config.name !== 'string' || config.name === '') add('name', 'must be a non-empty string');
  const variants = Array.isArray(config.variants) ? config.variants : [];
  if (variants.length === 0) add('variants', 'must list at least one variant');
  const { total } = checkWeightedEntries(variants, 'variants', 'variant', add);
  if (issues.ok && total === 0) add('variants', 'all weights are 0');
  const keySources = Array.isArray(config.key) ? (config.key as readonly SplitKeySource[]) : config.key === undefined ? [] : [config.key as SplitKeySource];
  if (keySources.length === 0) add('key', 'an experiment needs a sticky key');
  checkKeySources(keySources, 'key', add);
  const coverage = config.coveragePercent ?? 100;
  if (!(coverage >= 0 && coverage <= 100)) add('coveragePercent', 'must be in 0 … 100');
  const header = (config.header ?? 'x-experiment').toLowerCase();
  issues.throwIfAny();

  const salt = config.salt ?? config.name;
  const seed = murmur3(salt);
  const name = config.name;
  return Object.freeze({
    name,
    salt,
    coveragePercent: coverage,
    seed,
    seeds: Object.freeze(variants.map((v) => murmur3(v.name, seed))),
    weights: Object.freeze(variants.map((v) => v.weight ?? 1)),
    keySources: Object.freeze([...keySources]),
    decisions: Object.freeze(
      variants.map((v, index) =>
        Object.freeze({ kind: 'variant' as const, experiment: name, variant: v.name, index, header: Object.freeze({ name: header, value: `${name}-${v.name}` }) }),
      ),
    ),
    noKey: Object.freeze({ kind: 'excluded', experiment: name, reason: 'no-key' }),
    notCovered: Object.freeze({ kind: 'excluded', experiment: name, reason: 'coverage' }),
  });
}

/**
 * Assigns `req` to a variant (or excludes it: no key, or outside the coverage). Pure: same
 * key, same plan, same answer in every process. See {@link compileExperiment} for an example.
 */
export function assignVariant(plan: ExperimentPlan, req: SyRequest): ExperimentDecision {
  return assignVariantByKey(plan, readKey(plan.keySources, req));
}

/**
 * {@link assignVariant} for an already-extracted key.
 *
 * @example
 * ```ts
 * import { assignVariantByKey, compileExperiment } from '@switchyard/splitter';
 * const e = compileExperiment({ name: 'hero', variants: [{ name: 'on' }, { name: 'off' }], key: { attribute: 'userId' } });
 * assignVariantByKey(e, 'user-42').kind; // 'variant'
 * ```
 */
export function assignVariantByKey(plan: ExperimentPlan, key: string | undefined): ExperimentDecision {
  if (key === undefined) return plan.noKey;
  if (plan.coveragePercent < 100 && bucketOf(key, `${plan.salt}#coverage`) >= Math.round(plan.coveragePercent * 100)) return plan.notCovered;
  const i = pickByHash(murmur3(key, plan.seed), plan.seeds, plan.weights);
  return plan.decisions[i] as ExperimentDecision;
}
