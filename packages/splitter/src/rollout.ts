/**
 * Progressive delivery: a canary's share climbs through steps (5 → 25 → 50 → 100 %), each
 * judged against the baseline at every analysis interval; it is promoted, held, paused for a
 * human, or rolled back to 0 % automatically, and every transition is an event with its reason.
 *
 * Semantics of the references (see `docs/guides/releases.md`):
 * - Flagger (`flagger.app/v1beta1` `Canary.spec.analysis`, `pkg/controller/scheduler.go`):
 *   one check per `interval` (`analysisIntervalMs`); `threshold` (`failureThreshold`) counts
 *   failed checks **over the run**, never reset by a passing check, and the canary is rolled back
 *   when it is reached; `stepWeight` + `maxWeight` (weights overshoot `maxWeight` by up to one
 *   step: 20/50 gives 20, 40, 60, then promotion), or `stepWeights` (= `steps`); `iterations`
 *   for A/B testing (the split's canary selectors send the matched traffic to the canary, the
 *   weight stays 0, and the canary is promoted after that many passing checks); a check with no
 *   data at all is a failed check ("no values found").
 * - Argo Rollouts (`analysis/analysis.go`, `rollout/canary.go`): a failed analysis rolls back,
 *   an inconclusive one (beyond the margin but not significant, more than `inconclusiveLimit`
 *   checks in a row) pauses for a human: `promote` (next step, or `full`), `abort` (0 %),
 *   `retry` (from step 0 with the failure count reset). `progressDeadlineMs` ends a rollout
 *   that made no progress for that long (Flagger: rollback; Argo `progressDeadlineAbort`:
 *   configurable here with `progressDeadlineAction`).
 * - A check below its minimum sample size is `accumulating`: its data is kept and judged again
 *   at the next interval with what arrives meanwhile (so a 5 % step with little traffic is
 *   judged on enough requests instead of on noise); the progress deadline bounds the wait.
 *
 * State is plain JSON-serialisable data ({@link RolloutState}); the functions mutate it in
 * place (like core's `observeEwma`) and take `now` as an argument. `revision` increases on
 * every transition: a shared store (`RolloutStore`) writes a state only with its revision and
 * a fencing token, so one evaluator at a time advances a rollout while the other instances
 * read `weightPercent`.
 *
 * This file is the state machine; `rollout-controller.ts` drives it on a clock in one process,
 * `rollout-driver.ts` across replicas over a `RolloutStore`.
 *
 * @packageDocumentation
 */
import { IssueCollector, type Outcome } from '@switchyard/core';
import { analyseWindow, createSideWindow, observeSide, type AnalysisThresholds, type SideWindow, type WindowAnalysis } from './analysis.js';
import { webhookIssues, type RolloutWebhook } from './rollout-webhooks.js';

/** A rollout's config. */
export interface RolloutConfig extends AnalysisThresholds {
  /** Names the rollout in events (and its keys in a shared store). */
  readonly name: string;
  /** Canary percentages, strictly increasing, in (0, 100]; default `[5, 25, 50, 100]` (Flagger's `stepWeights`). */
  readonly steps?: readonly number[];
  /** Flagger's name for {@link RolloutConfig.steps} (give one of them). */
  readonly stepWeights?: readonly number[];
  /** Linear steps: `stepWeight`, 2×, … until `maxWeight` is reached or passed (Flagger). */
  readonly stepWeight?: number;
  /** With `stepWeight`: promote once the canary's weight is at least this (default 100). */
  readonly maxWeight?: number;
  /** A/B: promote after this many passing checks, the weight staying 0 (matched traffic goes to the canary through the split's canary rules). */
  readonly iterations?: number;
  /** Time each step must run before promotion, ms (one value, or one per step; default `analysisIntervalMs`: one passing check per step, as Flagger). */
  readonly bakeTimeMs?: number | readonly number[];
  /** The analysis interval, ms: one check per interval (Flagger's `interval`). */
  readonly analysisIntervalMs: number;
  /** Failed checks over the run that trigger the rollback (default 1; Flagger's `threshold`: never reset by a passing check). */
  readonly failureThreshold?: number;
  /** Inconclusive checks in a row tolerated before the rollout pauses for a human (default 2; Argo's `inconclusiveLimit`). */
  readonly inconclusiveLimit?: number;
  /** Longest time a step may take (from its start) before the rollout ends as `progressDeadlineAction` says (default none). */
  readonly progressDeadlineMs?: number;
  /** What the progress deadline does: `rollback` (default, Flagger) or `pause` (wait for a human, Argo without `progressDeadlineAbort`). */
  readonly progressDeadlineAction?: 'rollback' | 'pause';
  /** Events kept in the state (oldest dropped first; default 500). */
  readonly maxEvents?: number;
  /** Flagger's webhooks: gates before the rollout, each check, each weight increase and the promotion, and calls after it (`rollout-webhooks.ts`). */
  readonly webhooks?: readonly RolloutWebhook[];
}

/** What happened, when, and why. */
export interface RolloutEvent {
  readonly at: number;
  readonly type: 'started' | 'promoted' | 'held' | 'check-failed' | 'inconclusive' | 'paused' | 'rolled-back' | 'succeeded' | 'aborted' | 'retried';
  readonly fromPercent: number;
  readonly toPercent: number;
  readonly reason: string;
  readonly analysis?: WindowAnalysis;
}

/** A rollout's phase (Flagger's and Argo's, in this library's casing); `waiting`: for its `confirm-rollout` webhooks, at 0 %. */
export type RolloutPhase = 'waiting' | 'progressing' | 'paused' | 'succeeded' | 'rolled-back' | 'aborted';

/** A rollout's state: plain data; `JSON.parse(JSON.stringify(state))` resumes it. */
export interface RolloutState {
  readonly format: 'switchyard.rollout/v2';
  name: string;
  phase: RolloutPhase;
  stepIndex: number;
  /** Share of traffic for the canary now (0 after a rollback, 100 after success). */
  weightPercent: number;
  /** A/B: passing checks so far. */
  iterations: number;
  stepStartedAt: number;
  /** When the current step (or the run) started or was resumed: the progress deadline runs from here. */
  progressAt: number;
  /** Start of the data being accumulated (kept across `accumulating` and `inconclusive` checks). */
  windowStartedAt: number;
  /** Time of the last check: the next is due one interval later. */
  checkedAt: number;
  passedChecks: number;
  /** Failed checks over the run (Flagger's `status.failedChecks`). */
  failedChecks: number;
  /** Inconclusive checks in a row. */
  inconclusiveChecks: number;
  /** Why the rollout is where it is (the last transition's reasons). */
  reasons: string[];
  /** The `pre-rollout` webhooks have passed (they run once, before the first check). */
  preRolloutDone: boolean;
  revision: number;
  window: { canary: SideWindow; baseline: SideWindow };
  events: RolloutEvent[];
}

interface Resolved {
  readonly steps: readonly number[];
  readonly bake: readonly number[];
  readonly iterations: number | undefined;
}

/** Validates a config and resolves its steps (throws `ConfigError` listing every problem). */
function resolve(config: RolloutConfig): Resolved {
  const issues = new IssueCollector();
  const iterations = config.iterations;
  if (config.steps !== undefined && config.stepWeights !== undefined) issues.add('stepWeights', 'give steps or stepWeights, not both');
  if (config.stepWeight !== undefined && (config.steps !== undefined || config.stepWeights !== undefined)) issues.add('stepWeight', 'give stepWeight (linear) or steps/stepWeights (a list), not both');
  if (config.maxWeight !== undefined && config.stepWeight === undefined) issues.add('maxWeight', 'needs stepWeight (with a list of steps, the last one is the maximum)');
  if (iterations !== undefined) {
    if (!Number.isInteger(iterations) || iterations < 1) issues.add('iterations', 'must be an integer >= 1');
    for (const k of ['steps', 'stepWeights', 'stepWeight', 'maxWeight', 'bakeTimeMs'] as const) if (config[k] !== undefined) issues.add(k, 'not with iterations (A/B: the weight stays 0 and each passing check is one iteration)');
  }
  let steps: readonly number[];
  if (config.stepWeight !== undefined) {
    const sw = config.stepWeight;
    const max = config.maxWeight ?? 100;
    if (!(sw > 0 && sw <= 100)) issues.add('stepWeight', 'must be in (0, 100]');
    if (!(max > 0 && max <= 100)) issues.add('maxWeight', 'must be in (0, 100]');
    const list: number[] = [];
    if (sw > 0 && sw <= 100 && max > 0 && max <= 100) {
      // Flagger: canaryWeight += stepWeight while canaryWeight < maxWeight (overshoot allowed, capped at 100).
      for (let w = 0; w < max; ) {
        w = Math.min(100, w + sw);
        list.push(w);
      }
    }
    steps = list;
  } else {
    steps = config.steps ?? config.stepWeights ?? [5, 25, 50, 100];
    const key = config.steps !== undefined ? 'steps' : 'stepWeights';
    if (!Array.isArray(steps) || steps.length === 0) issues.add(key, 'must list at least one step');
    steps.forEach((s, i) => {
      if (!(s > 0 && s <= 100)) issues.add(`${key}[${i}]`, 'must be in (0, 100]');
      else if (i > 0 && !(s > (steps[i - 1] as number))) issues.add(`${key}[${i}]`, 'steps must increase strictly');
    });
  }
  if (!(config.analysisIntervalMs > 0) || !Number.isFinite(config.analysisIntervalMs)) issues.add('analysisIntervalMs', 'must be a finite number > 0');
  const bakeIn = config.bakeTimeMs ?? config.analysisIntervalMs;
  const bake = typeof bakeIn === 'number' ? steps.map(() => bakeIn) : [...bakeIn];
  if (iterations === undefined && bake.length !== steps.length) issues.add('bakeTimeMs', `give one value or one per step (${steps.length})`);
  bake.forEach((b, i) => {
    if (!(b >= 0) || !Number.isFinite(b)) issues.add(typeof bakeIn === 'number' ? 'bakeTimeMs' : `bakeTimeMs[${i}]`, 'must be a finite number >= 0');
  });
  const ft = config.failureThreshold ?? 1;
  if (!Number.isInteger(ft) || ft < 1) issues.add('failureThreshold', 'must be an integer >= 1');
  const il = config.inconclusiveLimit ?? 2;
  if (!Number.isInteger(il) || il < 0) issues.add('inconclusiveLimit', 'must be an integer >= 0');
  const a = config.alpha ?? 0.01;
  if (!(a > 0 && a < 1)) issues.add('alpha', 'must be in (0, 1)');
  const q = config.latencyQuantile ?? 0.99;
  if (!(q > 0 && q < 1)) issues.add('latencyQuantile', 'must be in (0, 1)');
  const pd = config.progressDeadlineMs;
  if (pd !== undefined) {
    if (!(pd > 0) || !Number.isFinite(pd)) issues.add('progressDeadlineMs', 'must be a finite number > 0');
    else if (bake.some((b) => b >= pd)) issues.add('progressDeadlineMs', 'must exceed every bake time (a step could never finish)');
  }
  if (config.progressDeadlineAction !== undefined && config.progressDeadlineMs === undefined) issues.add('progressDeadlineAction', 'needs progressDeadlineMs');
  for (const w of webhookIssues(config.webhooks)) issues.add(w.path, w.message);
  issues.throwIfAny();
  // A final 100 % step is the end, not a step to analyse.
  const analysed = iterations !== undefined ? [] : steps[steps.length - 1] === 100 ? steps.slice(0, -1) : steps;
  return { steps: analysed, bake, iterations };
}

/** Validates a rollout config; throws a `ConfigError` listing every problem (paths relative to the config). */
export function validateRolloutConfig(config: RolloutConfig): void {
  resolve(config);
}

function push(config: RolloutConfig, state: RolloutState, event: RolloutEvent): RolloutEvent {
  state.events.push(event);
  const max = config.maxEvents ?? 500;
  if (state.events.length > max) state.events.splice(0, state.events.length - max);
  state.revision++;
  return event;
}

function freshWindow(state: RolloutState, now: number): void {
  state.window = { canary: createSideWindow(), baseline: createSideWindow() };
  state.windowStartedAt = now;
}

/**
 * Starts a rollout at its first step. Validates the config (throws `ConfigError`).
 *
 * @example
 * ```ts
 * import { startRollout } from '@switchyard/splitter';
 * const state = startRollout({ name: 'api-v2', bakeTimeMs: 300_000, analysisIntervalMs: 60_000 }, 0);
 * state.weightPercent; // 5
 * ```
 */
export function startRollout(config: RolloutConfig, now: number): RolloutState {
  const { steps, iterations } = resolve(config);
  // Flagger's confirm-rollout: wait at 0 % until every such webhook approves.
  const waiting = config.webhooks?.some((w) => w.type === 'confirm-rollout') === true;
  const first = iterations !== undefined || waiting ? 0 : (steps[0] ?? 100);
  const state: RolloutState = {
    format: 'switchyard.rollout/v2',
    name: config.name,
    phase: iterations === undefined && steps.length === 0 ? 'succeeded' : waiting ? 'waiting' : 'progressing',
    stepIndex: 0,
    weightPercent: first,
    iterations: 0,
    stepStartedAt: now,
    progressAt: now,
    windowStartedAt: now,
    checkedAt: now,
    passedChecks: 0,
    failedChecks: 0,
    inconclusiveChecks: 0,
    reasons: [],
    preRolloutDone: false,
    revision: 0,
    window: { canary: createSideWindow(), baseline: createSideWindow() },
    events: [],
  };
  const reason = waiting ? `rollout ${config.name} waiting for its confirm-rollout webhook(s)` : iterations !== undefined ? `rollout ${config.name} started: A/B test of ${iterations} iteration(s)` : `rollout ${config.name} started at ${first}%`;
  state.reasons = [reason];
  push(config, state, { at: now, type: 'started', fromPercent: 0, toPercent: first, reason });
  return state;
}

/**
 * Records one outcome of the canary or the baseline into the current window (ignored unless
 * the rollout is progressing). Mutates `state`.
 *
 * @example
 * ```ts
 * import { createEndpoint } from '@switchyard/core';
 * import { observeRollout, startRollout } from '@switchyard/splitter';
 * const config = { name: 'api-v2', bakeTimeMs: 300_000, analysisIntervalMs: 60_000 };
 * const state = startRollout(config, 0);
 * const endpoint = createEndpoint({ id: 'v2', url: 'http://10.0.0.2:8080' });
 * observeRollout(config, state, 'canary', { kind: 'response', endpoint, status: 200, latencyMs: 12, at: 5 });
 * ```
 */
export function observeRollout(_config: RolloutConfig, state: RolloutState, side: 'canary' | 'baseline', outcome: Outcome): void {
  if (state.phase !== 'progressing') return;
  observeSide(state.window[side], outcome);
}

/**
 * When the next check is due (ms, in the time base of `now`), or undefined unless the rollout
 * is progressing: the time to schedule the next {@link evaluateRollout} at.
 */
export function nextAnalysisAt(config: RolloutConfig, state: RolloutState): number | undefined {
  return state.phase === 'progressing' || state.phase === 'waiting' ? state.checkedAt + config.analysisIntervalMs : undefined;
}

/** Starts the steps of a `waiting` rollout (its confirm-rollout webhooks approved). */
export function beginRollout(config: RolloutConfig, state: RolloutState, now: number, reason: string): RolloutEvent | undefined {
  if (state.phase !== 'waiting') return undefined;
  const { steps, iterations } = resolve(config);
  const first = iterations !== undefined ? 0 : (steps[0] ?? 100);
  Object.assign(state, { phase: 'progressing', weightPercent: first, stepStartedAt: now, progressAt: now, checkedAt: now, reasons: [reason] });
  freshWindow(state, now);
  return push(config, state, { at: now, type: 'promoted', fromPercent: 0, toPercent: first, reason: `${reason}: started at ${first}%` });
}

/** A check that was not run, or whose transition waits for a gate: the step stays, the data so far is consumed. */
export function holdRollout(config: RolloutConfig, state: RolloutState, now: number, reason: string, consume: boolean): RolloutEvent {
  state.checkedAt = now;
  if (consume) freshWindow(state, now);
  state.reasons = [reason];
  return push(config, state, { at: now, type: 'held', fromPercent: state.weightPercent, toPercent: state.weightPercent, reason });
}

/** Counts a failed check that is not a metric (a `rollout` or `pre-rollout` webhook failed), rolling back at the threshold. */
export function failRolloutCheck(config: RolloutConfig, state: RolloutState, now: number, reason: string): RolloutEvent {
  state.checkedAt = now;
  freshWindow(state, now);
  state.failedChecks++;
  state.stepStartedAt = now;
  state.passedChecks = 0;
  const threshold = config.failureThreshold ?? 1;
  const from = state.weightPercent;
  if (state.failedChecks >= threshold) return rollBack(config, state, now, `canary failed ${state.failedChecks} check(s) at ${from}% (threshold ${threshold}): ${reason}`, undefined);
  state.reasons = [reason];
  return push(config, state, { at: now, type: 'check-failed', fromPercent: from, toPercent: from, reason: `failed check ${state.failedChecks}/${threshold} at ${from}%: ${reason}` });
}

/** Rolls back now (a `rollback` webhook asked for it). */
export function rollBackRollout(config: RolloutConfig, state: RolloutState, now: number, reason: string): RolloutEvent | undefined {
  if (state.phase !== 'progressing' && state.phase !== 'paused' && state.phase !== 'waiting') return undefined;
  return rollBack(config, state, now, reason, undefined);
}

/** Moves to the next step, or to 100 % and `succeeded` after the last. */
function advance(config: RolloutConfig, state: RolloutState, steps: readonly number[], now: number, reason: string, analysis: WindowAnalysis | undefined): RolloutEvent {
  const from = state.weightPercent;
  const next = state.stepIndex + 1;
  state.stepStartedAt = now;
  state.progressAt = now;
  state.passedChecks = 0;
  state.inconclusiveChecks = 0;
  freshWindow(state, now);
  const extra = analysis !== undefined ? { analysis } : {};
  if (state.iterations > 0 || next >= steps.length) {
    state.phase = 'succeeded';
    state.stepIndex = Math.max(next, steps.length);
    state.weightPercent = 100;
    state.reasons = [reason];
    return push(config, state, { at: now, type: 'succeeded', fromPercent: from, toPercent: 100, reason: `${reason}; canary is now 100%`, ...extra });
  }
  const to = steps[next] as number;
  state.stepIndex = next;
  state.weightPercent = to;
  state.reasons = [reason];
  return push(config, state, { at: now, type: 'promoted', fromPercent: from, toPercent: to, reason, ...extra });
}

function rollBack(config: RolloutConfig, state: RolloutState, now: number, reason: string, analysis: WindowAnalysis | undefined): RolloutEvent {
  const from = state.weightPercent;
  state.phase = 'rolled-back';
  state.weightPercent = 0;
  state.reasons = [reason];
  return push(config, state, { at: now, type: 'rolled-back', fromPercent: from, toPercent: 0, reason, ...(analysis !== undefined ? { analysis } : {}) });
}

function pause(config: RolloutConfig, state: RolloutState, now: number, reason: string, analysis: WindowAnalysis | undefined): RolloutEvent {
  state.phase = 'paused';
  state.reasons = [reason];
  return push(config, state, { at: now, type: 'paused', fromPercent: state.weightPercent, toPercent: state.weightPercent, reason, ...(analysis !== undefined ? { analysis } : {}) });
}

/**
 * Runs the check that is due (`now >= nextAnalysisAt`) and applies the transition: promote,
 * hold (accumulating), count a failed check, pause (inconclusive), roll back, succeed, or end
 * at the progress deadline. Returns the events it produced (also appended to `state.events`);
 * none when nothing was due. `window` replaces the state's own window (a shared store's merged
 * buckets); the caller then owns the accumulation window's bounds (see `RolloutDriver`).
 *
 * @example
 * ```ts
 * import { evaluateRollout, startRollout } from '@switchyard/splitter';
 * const config = { name: 'api-v2', bakeTimeMs: 300_000, analysisIntervalMs: 60_000 };
 * const state = startRollout(config, 0);
 * evaluateRollout(config, state, 60_000); // [{ type: 'check-failed', reason: 'failed check 1/1 …: no data: canary and baseline received no request' }, …]
 * ```
 */
export function evaluateRollout(config: RolloutConfig, state: RolloutState, now: number): RolloutEvent[] {
  const due = nextAnalysisAt(config, state);
  if (due === undefined || now < due) return [];
  if (state.phase === 'waiting') {
    // Only the webhook-aware evaluator (`evaluateWithWebhooks`) can leave this phase.
    state.checkedAt = now;
    return [];
  }
  const { steps, bake, iterations } = resolve(config);
  const analysis = analyseWindow(state.window.canary, state.window.baseline, config);
  state.checkedAt = now;
  const from = state.weightPercent;
  const events: RolloutEvent[] = [];
  const why = analysis.reasons.join('; ');
  if (analysis.verdict === 'fail') {
    freshWindow(state, now);
    state.failedChecks++;
    state.inconclusiveChecks = 0;
    const threshold = config.failureThreshold ?? 1;
    if (state.failedChecks >= threshold) {
      events.push(rollBack(config, state, now, `canary failed ${state.failedChecks} check(s) at ${from}% (threshold ${threshold}): ${why}`, analysis));
      return events;
    }
    // A failed check restarts the step's bake: promotion needs a clean bake time.
    state.stepStartedAt = now;
    state.passedChecks = 0;
    state.reasons = [...analysis.reasons];
    events.push(push(config, state, { at: now, type: 'check-failed', fromPercent: from, toPercent: from, reason: `failed check ${state.failedChecks}/${threshold} at ${from}%: ${why}`, analysis }));
  } else if (analysis.verdict === 'inconclusive') {
    state.inconclusiveChecks++;
    const limit = config.inconclusiveLimit ?? 2;
    if (state.inconclusiveChecks > limit) events.push(pause(config, state, now, `paused at ${from}% after ${state.inconclusiveChecks} inconclusive check(s) (limit ${limit}): ${why}; promote, abort or retry`, analysis));
    else events.push(push(config, state, { at: now, type: 'inconclusive', fromPercent: from, toPercent: from, reason: `inconclusive ${state.inconclusiveChecks}/${limit} at ${from}%, gathering more data: ${why}`, analysis }));
  } else if (analysis.verdict === 'accumulating') {
    events.push(push(config, state, { at: now, type: 'held', fromPercent: from, toPercent: from, reason: `held at ${from}%: ${why}`, analysis }));
  } else {
    freshWindow(state, now);
    state.inconclusiveChecks = 0;
    state.passedChecks++;
    if (iterations !== undefined) {
      state.iterations++;
      if (state.iterations >= iterations) {
        events.push(advance(config, state, steps, now, `A/B: ${state.iterations} passing iteration(s) (last: ${why})`, analysis));
        return events;
      }
    } else {
      const elapsed = now - state.stepStartedAt;
      const bakeMs = bake[state.stepIndex] ?? 0;
      if (elapsed >= bakeMs) {
        events.push(advance(config, state, steps, now, `baked ${fmtMs(elapsed)} at ${from}% with ${state.passedChecks} passing check(s) (last: ${why})`, analysis));
        return events;
      }
    }
  }
  // Flagger's progressDeadlineSeconds / Argo's progressDeadlineAbort: no progress for too long.
  const deadline = config.progressDeadlineMs;
  if (state.phase === 'progressing' && deadline !== undefined && now - state.progressAt >= deadline) {
    const reason = `no progress at ${state.weightPercent}% for ${fmtMs(now - state.progressAt)} (progress deadline ${fmtMs(deadline)}): ${state.reasons.join('; ')}`;
    events.push(config.progressDeadlineAction === 'pause' ? pause(config, state, now, `${reason}; promote, abort or retry`, undefined) : rollBack(config, state, now, reason, undefined));
  }
  return events;
}

/**
 * Stops a rollout by hand: the canary goes to 0 % and the phase becomes `aborted` (Argo's
 * `abort`). Returns the event, or undefined when the rollout had already ended.
 */
export function abortRollout(config: RolloutConfig, state: RolloutState, now: number, reason: string): RolloutEvent | undefined {
  if (state.phase !== 'progressing' && state.phase !== 'paused' && state.phase !== 'waiting') return undefined;
  const from = state.weightPercent;
  state.phase = 'aborted';
  state.weightPercent = 0;
  state.reasons = [`aborted: ${reason}`];
  return push(config, state, { at: now, type: 'aborted', fromPercent: from, toPercent: 0, reason: `aborted at ${from}%: ${reason}` });
}

/**
 * Promotes by hand (Argo's `promote`): a progressing or paused rollout moves to its next step
 * now (with `full`, straight to 100 %, Argo's `promote --full`). Returns the event, or undefined
 * when the rollout had ended.
 */
export function promoteRollout(config: RolloutConfig, state: RolloutState, now: number, options: { readonly full?: boolean; readonly reason?: string } = {}): RolloutEvent | undefined {
  if (state.phase !== 'progressing' && state.phase !== 'paused') return undefined;
  const { steps } = resolve(config);
  state.phase = 'progressing';
  state.checkedAt = now;
  const reason = `promoted by hand${options.full === true ? ' (full)' : ''}${options.reason !== undefined ? `: ${options.reason}` : ''}`;
  if (options.full === true) state.stepIndex = steps.length;
  return advance(config, state, steps, now, reason, undefined);
}

/**
 * Restarts an aborted, rolled-back or paused rollout from its first step with the failure
 * count reset (Argo's `retry`: `currentStepIndex` back to 0). Returns the event, or undefined
 * when there was nothing to retry.
 */
export function retryRollout(config: RolloutConfig, state: RolloutState, now: number, reason = 'retried by hand'): RolloutEvent | undefined {
  if (state.phase !== 'aborted' && state.phase !== 'rolled-back' && state.phase !== 'paused') return undefined;
  const { steps, iterations } = resolve(config);
  const from = state.weightPercent;
  const first = iterations !== undefined ? 0 : (steps[0] ?? 100);
  Object.assign(state, { phase: 'progressing', stepIndex: 0, weightPercent: first, iterations: 0, stepStartedAt: now, progressAt: now, checkedAt: now, passedChecks: 0, failedChecks: 0, inconclusiveChecks: 0, reasons: [reason], preRolloutDone: false });
  freshWindow(state, now);
  return push(config, state, { at: now, type: 'retried', fromPercent: from, toPercent: first, reason: `${reason}: back to ${first}%` });
}

/**
 * One line per event, `mm:ss type from → to: reason`, times relative to `origin`: the
 * rollout's story, for logs and incident notes.
 *
 * @example
 * ```ts
 * import { describeRollout, startRollout } from '@switchyard/splitter';
 * describeRollout(startRollout({ name: 'api-v2', bakeTimeMs: 1, analysisIntervalMs: 1 }, 0).events);
 * // '00:00 started        0% →   5%: rollout api-v2 started at 5%'
 * ```
 */
export function describeRollout(events: readonly RolloutEvent[], origin = 0): string {
  return events.map((e) => `${clock(e.at - origin)} ${e.type.padEnd(12)} ${String(e.fromPercent).padStart(3)}% → ${String(e.toPercent).padStart(3)}%: ${e.reason}`).join('\n');
}

function clock(msValue: number): string {
  const s = Math.round(msValue / 1000);
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function fmtMs(raw: number): string {
  const msValue = Math.round(raw);
  return msValue % 60_000 === 0 ? `${msValue / 60_000}m` : msValue % 1000 === 0 ? `${msValue / 1000}s` : `${msValue}ms`;
}
