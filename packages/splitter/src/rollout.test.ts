import { createEndpoint, type Outcome } from '@switchyard/core';
import { createTestClock, seededRng, type SeededRng, type TestClock } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { abortRollout, describeRollout, evaluateRollout, nextAnalysisAt, observeRollout, promoteRollout, retryRollout, startRollout, type RolloutConfig, type RolloutEvent } from './rollout.js';
import { createRolloutController, type RolloutController } from './rollout-controller.js';

const MIN = 60_000;
const stable = createEndpoint({ id: 'v1', url: 'http://10.0.0.1:80' });
const canaryEp = createEndpoint({ id: 'v2', url: 'http://10.0.0.2:80' });

const config: RolloutConfig = { name: 'api-v2', steps: [5, 25, 50, 100], bakeTimeMs: 5 * MIN, analysisIntervalMs: MIN, minRequests: 100, minLatencySamples: 100 };

interface Behaviour {
  readonly errorRate: number;
  /** Latency = base + exponential(mean jitter). */
  readonly latencyMs: number;
}

/**
 * Drives `rps` requests per second for `seconds` over the fake clock: each request goes to the
 * canary with the controller's current share, its outcome drawn from the side's behaviour.
 */
function drive(
  clock: TestClock,
  rng: SeededRng,
  ctl: RolloutController,
  seconds: number,
  rps: number,
  behaviour: (side: 'canary' | 'baseline', now: number) => Behaviour,
): { canaryRequests: number; canaryFailures: number } {
  let canaryRequests = 0;
  let canaryFailures = 0;
  for (let s = 0; s < seconds; s++) {
    for (let i = 0; i < rps; i++) {
      const side = rng.next() * 100 < ctl.weightPercent() ? 'canary' : 'baseline';
      const b = behaviour(side, clock.now());
      const failed = rng.next() < b.errorRate;
      const latencyMs = b.latencyMs + -Math.log(1 - rng.next()) * 10;
      const endpoint = side === 'canary' ? canaryEp : stable;
      const outcome: Outcome = { kind: 'response', endpoint, status: failed ? 503 : 200, latencyMs, at: clock.now() };
      if (side === 'canary') {
        canaryRequests++;
        if (failed) canaryFailures++;
      }
      ctl.observe(side, outcome);
    }
    clock.advance(1000);
  }
  return { canaryRequests, canaryFailures };
}

function setup(overrides: Partial<RolloutConfig> = {}): { clock: TestClock; rng: SeededRng; ctl: RolloutController; events: RolloutEvent[]; weights: number[] } {
  const clock = createTestClock();
  const events: RolloutEvent[] = [];
  const weights: number[] = [];
  const ctl = createRolloutController({ clock, config: { ...config, ...overrides }, onEvent: (e) => events.push(e), onWeight: (p) => weights.push(p) });
  ctl.start();
  return { clock, rng: seededRng(42), ctl, events, weights };
}

const healthy = (): Behaviour => ({ errorRate: 0.005, latencyMs: 40 });

describe('rollout controller (fake clock)', () => {
  it('promotes a healthy canary step by step at the expected times', () => {
    const { clock, rng, ctl, events, weights } = setup();
    drive(clock, rng, ctl, 20 * 60, 100, healthy);
    expect(events.map((e) => [e.type, e.at, e.toPercent])).toEqual([
      ['started', 0, 5],
      ['promoted', 5 * MIN, 25],
      ['promoted', 10 * MIN, 50],
      ['succeeded', 15 * MIN, 100],
    ]);
    expect(weights).toEqual([5, 25, 50, 100]);
    expect(ctl.state().phase).toBe('succeeded');
    expect(clock.pending()).toBe(0);
  });

  it('rolls back a canary with a higher error rate within one analysis window', () => {
    const { clock, rng, ctl, events } = setup();
    drive(clock, rng, ctl, 3 * MIN / 1000, 100, (side) => (side === 'canary' ? { errorRate: 0.1, latencyMs: 40 } : healthy()));
    const rollback = events.find((e) => e.type === 'rolled-back');
    expect(rollback?.at).toBe(1 * MIN);
    expect(rollback?.reason).toMatch(/error rate \d+\.\d+% \(n=\d+\) vs baseline 0\.\d+% \(n=\d+\), p<0\.0001/);
    expect(ctl.weightPercent()).toBe(0);
    expect(ctl.state().phase).toBe('rolled-back');
  });

  it('rolls back a canary whose latency is worse (rank test and p99 margin)', () => {
    const { clock, rng, ctl, events } = setup();
    drive(clock, rng, ctl, 2 * MIN / 1000, 100, (side) => (side === 'canary' ? { errorRate: 0.005, latencyMs: 120 } : healthy()));
    const rollback = events.find((e) => e.type === 'rolled-back');
    expect(rollback?.at).toBe(1 * MIN);
    expect(rollback?.reason).toMatch(/p99 .* vs baseline .*rank test/);
  });

  it('does not roll back on a few noisy failures', () => {
    // Same true error rate (1 %) on both sides: windows see 0–5 canary failures by chance.
    const { clock, rng, ctl, events } = setup();
    drive(clock, rng, ctl, 20 * 60, 100, () => ({ errorRate: 0.01, latencyMs: 40 }));
    expect(events.some((e) => e.type === 'rolled-back' || e.type === 'check-failed')).toBe(false);
    expect(ctl.state().phase).toBe('succeeded');
  });

  it('a burst of 3 canary failures in one window does not roll back', () => {
    const { clock, rng, ctl, events } = setup();
    let burst = 3;
    drive(clock, rng, ctl, 6 * 60, 100, (side, now) => {
      if (side === 'canary' && now >= 30_000 && burst > 0) {
        burst--;
        return { errorRate: 1, latencyMs: 40 };
      }
      return { errorRate: 0.002, latencyMs: 40 };
    });
    expect(events.some((e) => e.type === 'rolled-back')).toBe(false);
    expect(events.at(-1)?.type).toBe('promoted');
  });

  it('holds while the canary has too few requests, and says so', () => {
    const { clock, rng, ctl, events } = setup();
    drive(clock, rng, ctl, 3 * 60, 20, healthy); // 5 % of 20 rps = ~60 canary requests a minute
    // Minute 1: ~60 canary requests, accumulating; minute 2: the kept data (~120) is judged and
    // passes (the step's bake is 5 minutes); minute 3: a fresh window is accumulating again.
    expect(events.filter((e) => e.type === 'held').map((e) => e.at)).toEqual([MIN, 3 * MIN]);
    expect(ctl.state().passedChecks).toBe(1);
    expect(events[1]?.reason).toMatch(/canary has \d+ requests .*< 100 needed/);
    expect(ctl.weightPercent()).toBe(5);
  });

  it('with failureThreshold 2, failed checks count over the run (Flagger): a good check does not clear the first', () => {
    const { clock, rng, ctl, events } = setup({ failureThreshold: 2 });
    drive(clock, rng, ctl, 60, 100, (side) => (side === 'canary' ? { errorRate: 0.2, latencyMs: 40 } : healthy()));
    drive(clock, rng, ctl, 5 * 60, 100, healthy);
    expect(events.map((e) => e.type)).toEqual(['started', 'check-failed', 'promoted']);
    expect(events[2]?.at).toBe(6 * MIN);
    expect(ctl.state().failedChecks).toBe(1);
    // One more failed check, at the next step, reaches the threshold.
    drive(clock, rng, ctl, 60, 100, (side) => (side === 'canary' ? { errorRate: 0.2, latencyMs: 40 } : healthy()));
    expect(events.at(-1)?.type).toBe('rolled-back');
    expect(events.at(-1)?.reason).toMatch(/^canary failed 2 check\(s\) at 25% \(threshold 2\)/);
  });

  it('state is plain data: a rollout stopped, serialised and resumed continues on schedule', () => {
    const first = setup();
    drive(first.clock, first.rng, first.ctl, 7 * 60, 100, healthy);
    first.ctl.stop();
    const saved = JSON.parse(JSON.stringify(first.ctl.state())) as ReturnType<RolloutController['state']>;
    expect(saved.weightPercent).toBe(25);
    const events: RolloutEvent[] = [];
    const ctl = createRolloutController({ clock: first.clock, config, state: saved, onEvent: (e) => events.push(e) });
    ctl.start();
    drive(first.clock, first.rng, ctl, 13 * 60, 100, healthy);
    expect(events.map((e) => [e.type, e.at])).toEqual([
      ['promoted', 10 * MIN],
      ['succeeded', 15 * MIN],
    ]);
  });

  it('abort sends the canary to 0 % and stops the analyses', () => {
    const { clock, rng, ctl, events, weights } = setup();
    drive(clock, rng, ctl, 90, 100, healthy);
    ctl.abort('pager: checkout errors');
    expect(ctl.weightPercent()).toBe(0);
    expect(weights.at(-1)).toBe(0);
    expect(events.at(-1)?.reason).toBe('aborted at 5%: pager: checkout errors');
    expect(clock.pending()).toBe(0);
  });

  it('the event log reads as a story', () => {
    const { clock, rng, ctl, events } = setup();
    // Healthy for 12 minutes (reaches 50 %), then the canary degrades.
    drive(clock, rng, ctl, 14 * 60, 100, (side, now) => (side === 'canary' && now >= 12 * MIN ? { errorRate: 0.08, latencyMs: 40 } : healthy()));
    const story = describeRollout(events);
    const lines = story.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('00:00 started        0% →   5%: rollout api-v2 started at 5%');
    expect(lines[1]).toMatch(/^05:00 promoted {7}5% → {2}25%: baked 5m at 5% with 5 passing check\(s\) \(last: error rate /);
    expect(lines[2]).toMatch(/^10:00 promoted {6}25% → {2}50%: baked 5m/);
    expect(lines[3]).toMatch(/^13:00 rolled-back {3}50% → {3}0%: canary failed 1 check\(s\) at 50% \(threshold 1\): error rate \d+\.\d+% \(n=\d+\) vs baseline/);
  });

  it('evaluateRollout does nothing before the window is due', () => {
    const state = startRollout(config, 0);
    expect(evaluateRollout(config, state, MIN - 1)).toEqual([]);
    expect(state.revision).toBe(1);
  });

  it("stepWeight + maxWeight walk Flagger's linear steps, overshooting maxWeight (20/50: 20, 40, 60, then 100)", () => {
    const { clock, rng, ctl, events } = setup({ steps: undefined as never, stepWeight: 20, maxWeight: 50, bakeTimeMs: undefined as never });
    drive(clock, rng, ctl, 5 * 60, 100, healthy);
    expect(events.filter((e) => e.type !== 'held').map((e) => e.toPercent)).toEqual([20, 40, 60, 100]);
  });

  it('A/B iterations: the weight stays 0 (selectors route the matched traffic) and each passing check is one iteration', () => {
    const clock = createTestClock();
    const events: RolloutEvent[] = [];
    const ctl = createRolloutController({ clock, config: { name: 'ab', iterations: 3, analysisIntervalMs: MIN, minRequests: 10, minLatencySamples: 10 }, onEvent: (e) => events.push(e) });
    ctl.start();
    const rng = seededRng(3);
    for (let m = 0; m < 4; m++) {
      // Matched users (10 % here) reach the canary through the split's selectors, whatever the weight.
      for (let i = 0; i < 600; i++) ctl.observe(i % 10 === 0 ? 'canary' : 'baseline', { kind: 'response', endpoint: i % 10 === 0 ? canaryEp : stable, status: 200, latencyMs: 30 + rng.next() * 10, at: clock.now() });
      clock.advance(MIN);
    }
    expect(events.map((e) => [e.type, e.toPercent, e.at])).toEqual([
      ['started', 0, 0],
      ['succeeded', 100, 3 * MIN],
    ]);
    expect(ctl.state().iterations).toBe(3);
  });

  it('inconclusive checks beyond inconclusiveLimit pause the rollout; promote resumes it, abort and retry start over', () => {
    const c: RolloutConfig = { ...config, inconclusiveLimit: 1, minLatencySamples: 1, bakeTimeMs: MIN };
    const state = startRollout(c, 0);
    // 3 % vs 1 % on 100 canary requests: beyond the 1-point margin, p ≈ 0.08: inconclusive.
    const feed = (canaryFailures: number) => {
      for (let i = 0; i < 100; i++) observeRollout(c, state, 'canary', { kind: 'response', endpoint: canaryEp, status: i < canaryFailures ? 503 : 200, latencyMs: 30, at: 0 });
      for (let i = 0; i < 4000; i++) observeRollout(c, state, 'baseline', { kind: 'response', endpoint: stable, status: i < 40 ? 503 : 200, latencyMs: 30, at: 0 });
    };
    feed(3);
    expect(evaluateRollout(c, state, MIN).map((e) => e.type)).toEqual(['inconclusive']);
    expect(state.window.canary.requests).toBe(100); // kept: more data for the next check
    feed(3);
    const paused = evaluateRollout(c, state, 2 * MIN);
    expect(paused.map((e) => e.type)).toEqual(['paused']);
    expect(paused[0]?.reason).toMatch(/^paused at 5% after 2 inconclusive check\(s\) \(limit 1\): .*; promote, abort or retry$/);
    expect(nextAnalysisAt(c, state)).toBeUndefined(); // no checks while paused
    expect(promoteRollout(c, state, 3 * MIN)?.toPercent).toBe(25);
    expect(state).toMatchObject({ phase: 'progressing', weightPercent: 25, inconclusiveChecks: 0 });
    expect(abortRollout(c, state, 4 * MIN, 'no')?.toPercent).toBe(0);
    expect(retryRollout(c, state, 5 * MIN)?.toPercent).toBe(5);
    expect(state).toMatchObject({ phase: 'progressing', stepIndex: 0, failedChecks: 0 });
  });

  it('rejects invalid configs with every problem listed', () => {
    expect(() => startRollout({ name: 'x', steps: [50, 25, 120], bakeTimeMs: [1], analysisIntervalMs: 0, failureThreshold: 0 }, 0)).toThrow(
      /steps\[1\]: steps must increase strictly[\s\S]*steps\[2\]: must be in \(0, 100\][\s\S]*analysisIntervalMs[\s\S]*bakeTimeMs: give one value or one per step[\s\S]*failureThreshold/,
    );
  });
});
