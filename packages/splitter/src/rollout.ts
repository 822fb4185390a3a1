/**
 * Progressive delivery: a canary's share climbs through steps (5 → 25 → 50 → 100 %), each held
 * for a bake time while its outcomes are compared with the baseline's; it is promoted, held,
 * or rolled back to 0 % automatically, and every transition is an event with its reason.
 * The model is Flagger's canary analysis (flagger.app, `stepWeights`, `interval`,
 * `threshold`) and Argo Rollouts' `steps`/`analysis`, judged with the tests of
 * `analysis.ts`.
 *
 * State is plain JSON-serialisable data ({@link RolloutState}); the functions mutate it in
 * place (like core's `observeEwma`) and take `now` as an argument. `revision` increases on
 * every transition: a shared store (the later `@switchyard/redis` lease) writes a state only
 * with compare-and-set on it, so one driver at a time advances a rollout while the other
 * instances read `weightPercent`.
 *
 * Timeline of one step: windows of `analysisIntervalMs` are judged back to back; a failing
 * window counts towards `failureThreshold` (default 1: roll back on the first) and restarts the
 * step's bake; an
 * inconclusive one (too few requests) holds the step; once `bakeTimeMs` has elapsed in the step
 * and the latest window passed with no failure pending, the next step starts. Passing the
 * last step sets 100 % and ends the rollout (`succeeded`): at 100 % there is no baseline left
 * to compare with.
 *
 * @packageDocumentation
 */
import { IssueCollector, type Cancel, type Clock, type Outcome } from '@switchyard/core';
import { analyseWindow, createSideWindow, observeSide, type AnalysisThresholds, type SideWindow, type WindowAnalysis } from './analysis.js';

/** A rollout's config. */
export interface RolloutConfig extends AnalysisThresholds {
  /** Names the rollout in events. */
  readonly name: string;
  /** Canary percentages, strictly increasing, in (0, 100]; default `[5, 25, 50, 100]`. */
  readonly steps?: readonly number[];
  /** Time each step must run before promotion, ms (one value, or one per step). */
  readonly bakeTimeMs: number | readonly number[];
  /** Length of an analysis window, ms. */
  readonly analysisIntervalMs: number;
  /** Failed windows (consecutive) that trigger the rollback (default 1). */
  readonly failureThreshold?: number;
  /** Latency samples kept per side and window (default 2000). */
  readonly maxLatencySamples?: number;
  /** Events kept in the state (oldest dropped first; default 500). */
  readonly maxEvents?: number;
}

/** What happened, when, and why. */
export interface RolloutEvent {
  readonly at: number;
  readonly type: 'started' | 'promoted' | 'held' | 'window-failed' | 'rolled-back' | 'succeeded' | 'aborted';
  readonly fromPercent: number;
  readonly toPercent: number;
  readonly reason: string;
  readonly analysis?: WindowAnalysis;
}

/** A rollout's state: plain data; `JSON.parse(JSON.stringify(state))` resumes it. */
export interface RolloutState {
  readonly format: 'switchyard.rollout/v1';
  name: string;
  phase: 'progressing' | 'succeeded' | 'rolled-back' | 'aborted';
  stepIndex: number;
  /** Share of traffic for the canary now (0 after a rollback, 100 after success). */
  weightPercent: number;
  stepStartedAt: number;
  windowStartedAt: number;
  passedWindows: number;
  failedWindows: number;
  revision: number;
  window: { canary: SideWindow; baseline: SideWindow };
  events: RolloutEvent[];
}

interface Resolved {
  readonly steps: readonly number[];
  readonly bake: readonly number[];
}

function resolve(config: RolloutConfig): Resolved {
  const issues = new IssueCollector();
  const steps = config.steps ?? [5, 25, 50, 100];
  if (!Array.isArray(steps) || steps.length === 0) issues.add('steps', 'must list at least one step');
  steps.forEach((s, i) => {
    if (!(s > 0 && s <= 100)) issues.add(`steps[${i}]`, 'must be in (0, 100]');
    else if (i > 0 && !(s > (steps[i - 1] as number))) issues.add(`steps[${i}]`, 'steps must increase strictly');
  });
  const bake = typeof config.bakeTimeMs === 'number' ? steps.map(() => config.bakeTimeMs as number) : [...config.bakeTimeMs];
  if (bake.length !== steps.length) issues.add('bakeTimeMs', `give one value or one per step (${steps.length})`);
  bake.forEach((b, i) => {
    if (!(b >= 0) || !Number.isFinite(b)) issues.add(typeof config.bakeTimeMs === 'number' ? 'bakeTimeMs' : `bakeTimeMs[${i}]`, 'must be a finite number >= 0');
  });
  if (!(config.analysisIntervalMs > 0) || !Number.isFinite(config.analysisIntervalMs)) issues.add('analysisIntervalMs', 'must be a finite number > 0');
  const ft = config.failureThreshold ?? 1;
  if (!Number.isInteger(ft) || ft < 1) issues.add('failureThreshold', 'must be an integer >= 1');
  const a = config.alpha ?? 0.01;
  if (!(a > 0 && a < 1)) issues.add('alpha', 'must be in (0, 1)');
  issues.throwIfAny();
  // A final 100 % step is the end, not a step to analyse.
  const analysed = steps[steps.length - 1] === 100 ? steps.slice(0, -1) : steps;
  return { steps: analysed, bake };
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
  const { steps } = resolve(config);
  const first = steps[0] ?? 100;
  const state: RolloutState = {
    format: 'switchyard.rollout/v1',
    name: config.name,
    phase: steps.length === 0 ? 'succeeded' : 'progressing',
    stepIndex: 0,
    weightPercent: first,
    stepStartedAt: now,
    windowStartedAt: now,
    passedWindows: 0,
    failedWindows: 0,
    revision: 0,
    window: { canary: createSideWindow(), baseline: createSideWindow() },
    events: [],
  };
  push(config, state, { at: now, type: 'started', fromPercent: 0, toPercent: first, reason: `rollout ${config.name} started at ${first}%` });
  return state;
}

/**
 * Records one outcome of the canary or the baseline into the current window (ignored once the
 * rollout has ended). Mutates `state`.
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
export function observeRollout(config: RolloutConfig, state: RolloutState, side: 'canary' | 'baseline', outcome: Outcome): void {
  if (state.phase !== 'progressing') return;
  observeSide(state.window[side], outcome, config.maxLatencySamples ?? 2000);
}

/**
 * When the next analysis is due (monotonic ms), or undefined once the rollout has ended: the
 * time to schedule the next {@link evaluateRollout} at, e.g. with `clock.setTimer`.
 */
export function nextAnalysisAt(config: RolloutConfig, state: RolloutState): number | undefined {
  return state.phase === 'progressing' ? state.windowStartedAt + config.analysisIntervalMs : undefined;
}

/**
 * Judges the current window if it is due (`now >= nextAnalysisAt`) and applies the
 * transition: promote, hold, count a failure, roll back or succeed. Returns the events it
 * produced (also appended to `state.events`); none when nothing was due. Call it at
 * {@link nextAnalysisAt}; calling it late judges one window covering the whole gap.
 *
 * @example
 * ```ts
 * import { evaluateRollout, startRollout } from '@switchyard/splitter';
 * const config = { name: 'api-v2', bakeTimeMs: 300_000, analysisIntervalMs: 60_000 };
 * const state = startRollout(config, 0);
 * evaluateRollout(config, state, 60_000); // [{ type: 'held', reason: 'held at 5%: canary has 0 requests, …' }]
 * ```
 */
export function evaluateRollout(config: RolloutConfig, state: RolloutState, now: number): RolloutEvent[] {
  const due = nextAnalysisAt(config, state);
  if (due === undefined || now < due) return [];
  const { steps, bake } = resolve(config);
  const analysis = analyseWindow(state.window.canary, state.window.baseline, config);
  freshWindow(state, now);
  const from = state.weightPercent;
  const events: RolloutEvent[] = [];
  const at = now;
  if (analysis.verdict === 'fail') {
    state.failedWindows++;
    const threshold = config.failureThreshold ?? 1;
    if (state.failedWindows >= threshold) {
      state.phase = 'rolled-back';
      state.weightPercent = 0;
      events.push(push(config, state, { at, type: 'rolled-back', fromPercent: from, toPercent: 0, reason: `canary failed ${state.failedWindows} window(s) at ${from}%: ${analysis.reasons.join('; ')}`, analysis }));
    } else {
      // A failed window restarts the step's bake: promotion needs a clean bake time.
      state.stepStartedAt = now;
      state.passedWindows = 0;
      events.push(push(config, state, { at, type: 'window-failed', fromPercent: from, toPercent: from, reason: `failed window ${state.failedWindows}/${threshold} at ${from}%: ${analysis.reasons.join('; ')}`, analysis }));
    }
    return events;
  }
  if (analysis.verdict === 'inconclusive') {
    events.push(push(config, state, { at, type: 'held', fromPercent: from, toPercent: from, reason: `held at ${from}%: ${analysis.reasons.join('; ')}`, analysis }));
    return events;
  }
  state.passedWindows++;
  state.failedWindows = 0;
  const elapsed = now - state.stepStartedAt;
  const bakeMs = bake[state.stepIndex] ?? 0;
  if (elapsed < bakeMs) return events;
  const passed = state.passedWindows;
  const next = state.stepIndex + 1;
  state.stepStartedAt = now;
  state.passedWindows = 0;
  if (next >= steps.length) {
    state.phase = 'succeeded';
    state.stepIndex = next;
    state.weightPercent = 100;
    events.push(
      push(config, state, { at, type: 'succeeded', fromPercent: from, toPercent: 100, reason: `baked ${fmtMs(elapsed)} at ${from}% with ${passed} passing window(s) (last: ${analysis.reasons.join('; ')}); canary is now 100%`, analysis }),
    );
    return events;
  }
  const to = steps[next] as number;
  state.stepIndex = next;
  state.weightPercent = to;
  events.push(push(config, state, { at, type: 'promoted', fromPercent: from, toPercent: to, reason: `baked ${fmtMs(elapsed)} at ${from}% with ${passed} passing window(s) (last: ${analysis.reasons.join('; ')})`, analysis }));
  return events;
}

/**
 * Stops a rollout by hand: the canary goes to 0 % and the phase becomes `aborted`. Returns the
 * event, or undefined when the rollout had already ended.
 */
export function abortRollout(config: RolloutConfig, state: RolloutState, now: number, reason: string): RolloutEvent | undefined {
  if (state.phase !== 'progressing') return undefined;
  const from = state.weightPercent;
  state.phase = 'aborted';
  state.weightPercent = 0;
  return push(config, state, { at: now, type: 'aborted', fromPercent: from, toPercent: 0, reason: `aborted at ${from}%: ${reason}` });
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

/** The stateful driver: timers on the injected clock, callbacks on every event and weight change. */
export interface RolloutController {
  /** Starts (or resumes from `options.state`) and schedules the analyses. */
  start(): void;
  /** Cancels the timer; the state stays as it is (resume later with it). */
  stop(): void;
  observe(side: 'canary' | 'baseline', outcome: Outcome): void;
  /** The canary's current share, percent. */
  weightPercent(): number;
  abort(reason: string): void;
  state(): RolloutState;
}

/**
 * Drives a rollout over a {@link Clock}: analyses every `analysisIntervalMs` through
 * `clock.setTimer`, calls `onEvent` for each transition and `onWeight` when the canary share
 * changes (wire it to `Splitter.setWeights`).
 *
 * @example
 * ```ts
 * import { createRolloutController, createSplitter } from '@switchyard/splitter';
 * import { systemClock } from '@switchyard/core';
 * const split = createSplitter({ name: 'api', backends: [{ name: 'v1', weight: 100 }, { name: 'v2', weight: 0 }], key: { header: 'x-user' } });
 * const rollout = createRolloutController({
 *   clock: systemClock,
 *   config: { name: 'api-v2', steps: [5, 25, 50, 100], bakeTimeMs: 300_000, analysisIntervalMs: 60_000 },
 *   onWeight: (p) => split.setWeights({ v1: 100 - p, v2: p }),
 *   onEvent: (e) => console.log(e.type, e.reason),
 * });
 * rollout.start();
 * // for each outcome: rollout.observe(decision.backend === 'v2' ? 'canary' : 'baseline', outcome)
 * ```
 */
export function createRolloutController(options: {
  readonly clock: Clock;
  readonly config: RolloutConfig;
  readonly state?: RolloutState;
  readonly onEvent?: (event: RolloutEvent) => void;
  readonly onWeight?: (percent: number) => void;
}): RolloutController {
  const { clock, config } = options;
  resolve(config);
  let state: RolloutState | undefined = options.state;
  let cancel: Cancel | undefined;
  const emit = (events: readonly RolloutEvent[], before: number): void => {
    for (const e of events) options.onEvent?.(e);
    if (state !== undefined && state.weightPercent !== before) options.onWeight?.(state.weightPercent);
  };
  const arm = (): void => {
    cancel?.();
    cancel = undefined;
    if (state === undefined) return;
    const at = nextAnalysisAt(config, state);
    if (at === undefined) return;
    cancel = clock.setTimer(Math.max(0, at - clock.now()), tick);
  };
  const tick = (): void => {
    cancel = undefined;
    if (state === undefined) return;
    const before = state.weightPercent;
    emit(evaluateRollout(config, state, clock.now()), before);
    arm();
  };
  const current = (): RolloutState => {
    if (state === undefined) throw new TypeError('rollout: call start() first');
    return state;
  };
  return {
    start() {
      if (state === undefined) {
        state = startRollout(config, clock.now());
        emit(state.events, 0);
      } else {
        options.onWeight?.(state.weightPercent);
      }
      arm();
    },
    stop() {
      cancel?.();
      cancel = undefined;
    },
    observe(side, outcome) {
      if (state !== undefined) observeRollout(config, state, side, outcome);
    },
    weightPercent: () => state?.weightPercent ?? 0,
    abort(reason) {
      const s = current();
      const before = s.weightPercent;
      const e = abortRollout(config, s, clock.now(), reason);
      if (e !== undefined) emit([e], before);
      arm();
    },
    state: current,
  };
}
