/**
 * The single-process rollout driver: {@link createRolloutController} runs the rollout state
 * machine of `rollout.ts` on an injected {@link Clock} (one timer for the next analysis) and
 * reports every transition and weight change through callbacks. A fleet of replicas sharing one
 * rollout uses `rollout-driver.ts` instead.
 */
import type { Cancel, Clock, Outcome } from '@switchyard/core';
import { abortRollout, evaluateRollout, nextAnalysisAt, observeRollout, promoteRollout, retryRollout, startRollout, validateRolloutConfig, type RolloutConfig, type RolloutEvent, type RolloutState } from './rollout.js';

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
  /** Next step now (or 100 % with `full`), from progressing or paused. */
  promote(options?: { readonly full?: boolean; readonly reason?: string }): void;
  /** From aborted, rolled back or paused: back to the first step. */
  retry(reason?: string): void;
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
  validateRolloutConfig(config);
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
  // A transition asked for by hand: applied now, reported, and the next analysis re-armed.
  const act = (transition: (s: RolloutState, now: number) => RolloutEvent | undefined): void => {
    const s = current();
    const before = s.weightPercent;
    const e = transition(s, clock.now());
    if (e !== undefined) emit([e], before);
    arm();
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
      act((s, now) => abortRollout(config, s, now, reason));
    },
    promote(opts) {
      act((s, now) => promoteRollout(config, s, now, opts));
    },
    retry(reason) {
      act((s, now) => retryRollout(config, s, now, reason));
    },
    state: current,
  };
}
