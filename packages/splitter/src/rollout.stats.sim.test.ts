/**
 * The analysis over many seeds: how often a healthy canary is promoted on schedule or wrongly
 * rolled back, how often an error-rate regression and a tail-only latency regression are caught,
 * and what a near-zero-traffic canary does at its progress deadline. Outcomes are drawn
 * directly (no transport) so a few hundred rollouts take a few seconds; time is the `now`
 * argument of the pure functions, randomness a `seededRng` per seed. The figures printed
 * here are the ones quoted in docs/guides/releases.md.
 */
import { createEndpoint, type Outcome } from '@switchyard/core';
import { seededRng, type SeededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { evaluateRollout, observeRollout, startRollout, type RolloutConfig, type RolloutEvent, type RolloutState } from './rollout.js';

const MIN = 60_000;
const v1 = createEndpoint({ id: 'v1', url: 'http://10.0.0.1:80' });
const v2 = createEndpoint({ id: 'v2', url: 'http://10.0.0.2:80' });

/** Flagger-style: steps 5 → 25 → 50 → 100, one check a minute, two failed checks roll back. */
export const STATS_CONFIG: RolloutConfig = { name: 'checkout-v2', steps: [5, 25, 50, 100], analysisIntervalMs: MIN, failureThreshold: 2 };

interface Version {
  readonly errorRate: number;
  /** Multiplies the latency of the slowest `tailShare` of requests (a tail-only regression). */
  readonly tailFactor?: number;
  readonly tailShare?: number;
}
const HEALTHY: Version = { errorRate: 0.005 };

/** One standard normal draw (Box–Muller). */
function normal(rng: SeededRng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}
/** z beyond which a request is among the slowest `share` (inverse normal for the shares used here). */
const Z_TAIL: Record<string, number> = { '0.02': 2.0537, '0.01': 2.3263 };

function outcome(v: Version, rng: SeededRng, endpoint: typeof v1, at: number): Outcome {
  if (rng.next() < v.errorRate) return { kind: 'response', endpoint, status: 503, latencyMs: 5, at };
  const z = normal(rng);
  let latencyMs = 30 * Math.exp(0.4 * z); // lognormal, median 30 ms, p99 ≈ 76 ms
  if (v.tailFactor !== undefined && z > (Z_TAIL[String(v.tailShare ?? 0.02)] as number)) latencyMs *= v.tailFactor;
  return { kind: 'response', endpoint, status: 200, latencyMs, at };
}

export interface SimResult {
  readonly state: RolloutState;
  readonly events: readonly RolloutEvent[];
  readonly endedAt: number | undefined;
}

/** Runs one rollout for up to `minutes`, `rps` requests a second split by the current weight. */
export function simulateRollout(config: RolloutConfig, seed: number, canary: Version, options: { readonly rps?: number; readonly minutes?: number; readonly canaryRps?: number } = {}): SimResult {
  const rng = seededRng(seed);
  const rps = options.rps ?? 100;
  const state = startRollout(config, 0);
  const events: RolloutEvent[] = [...state.events];
  for (let m = 0; m < (options.minutes ?? 30) && (state.phase === 'progressing'); m++) {
    for (let s = 0; s < 60; s++) {
      const at = m * MIN + s * 1000;
      for (let i = 0; i < rps; i++) {
        const toCanary = rng.next() * 100 < state.weightPercent;
        if (toCanary) observeRollout(config, state, 'canary', outcome(canary, rng, v2, at));
        else observeRollout(config, state, 'baseline', outcome(HEALTHY, rng, v1, at));
      }
      // A canary that gets almost nothing: a fixed trickle outside the weighted split.
      if (options.canaryRps !== undefined && rng.next() < options.canaryRps) observeRollout(config, state, 'canary', outcome(canary, rng, v2, at));
    }
    events.push(...evaluateRollout(config, state, (m + 1) * MIN));
  }
  const end = events.find((e) => e.type === 'succeeded' || e.type === 'rolled-back' || e.type === 'paused');
  return { state, events, endedAt: end?.at };
}

function rate(n: number, seeds: number): string {
  return `${n}/${seeds} (${((100 * n) / seeds).toFixed(1)} %)`;
}
const log = (line: string): void => (globalThis as { console?: { log(l: string): void } }).console?.log(line);

describe('rollout analysis over many seeds', () => {
  const SEEDS = 200;

  it('a healthy canary is promoted 5 → 25 → 50 → 100 % at minute 4, and wrongly rolled back in at most 2 % of seeds', () => {
    let rolledBack = 0;
    let onTime = 0;
    let paused = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = simulateRollout(STATS_CONFIG, seed, HEALTHY);
      if (r.state.phase === 'rolled-back') rolledBack++;
      if (r.state.phase === 'paused') paused++;
      const path = r.events.filter((e) => e.type === 'promoted' || e.type === 'succeeded').map((e) => e.toPercent);
      // 5 %: ~300 canary latencies in minute 1 (< 500 for p99): judged at minute 2; 25 % at 3; 50 % at 4.
      if (r.state.phase === 'succeeded' && r.endedAt === 4 * MIN && path.join() === '25,50,100') onTime++;
    }
    log(`healthy canary: promoted on schedule ${rate(onTime, SEEDS)}, wrongly rolled back ${rate(rolledBack, SEEDS)}, paused ${rate(paused, SEEDS)}`);
    expect(rolledBack / SEEDS).toBeLessThanOrEqual(0.02);
    expect(onTime / SEEDS).toBeGreaterThanOrEqual(0.95);
  });

  it('an error-rate regression (0.5 % → 3 %) is rolled back in at least 95 % of seeds', () => {
    let caught = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = simulateRollout(STATS_CONFIG, 10_000 + seed, { errorRate: 0.03 });
      if (r.state.phase === 'rolled-back') caught++;
    }
    log(`error-rate regression 0.5 % → 3 %: rolled back ${rate(caught, SEEDS)}`);
    expect(caught / SEEDS).toBeGreaterThanOrEqual(0.95);
  });

  it('a tail-only regression (the slowest 2 % of requests 3× slower; median unchanged) is rolled back in at least 95 % of seeds', () => {
    let caught = 0;
    let byQuantile = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = simulateRollout(STATS_CONFIG, 20_000 + seed, { errorRate: 0.005, tailFactor: 3, tailShare: 0.02 });
      if (r.state.phase === 'rolled-back') caught++;
      const back = r.events.find((e) => e.type === 'rolled-back');
      if (back?.analysis?.checks.some((c) => c.name === 'latency-quantile' && c.verdict === 'fail') === true) byQuantile++;
    }
    log(`tail-only regression (slowest 2 % ×3): rolled back ${rate(caught, SEEDS)}, by the p99 check ${rate(byQuantile, SEEDS)}`);
    expect(caught / SEEDS).toBeGreaterThanOrEqual(0.95);
  });

  it('a near-zero-traffic canary accumulates until its progress deadline, then ends as configured (rollback or pause)', () => {
    const base: RolloutConfig = { ...STATS_CONFIG, progressDeadlineMs: 10 * MIN };
    for (const action of ['rollback', 'pause'] as const) {
      for (let seed = 1; seed <= 20; seed++) {
        // Weight 5 % of 0 rps plus ~6 canary requests a minute: never the 100 the success-rate check needs.
        const r = simulateRollout({ ...base, progressDeadlineAction: action }, 30_000 + seed, HEALTHY, { rps: 1, canaryRps: 0.1 });
        expect(r.state.phase).toBe(action === 'rollback' ? 'rolled-back' : 'paused');
        expect(r.endedAt).toBe(10 * MIN);
        expect(r.events.at(-1)?.reason).toMatch(/progress deadline 10m/);
        expect(r.state.failedChecks).toBe(0);
      }
    }
  });

  it('a canary with no traffic at all fails a check every interval (no data) and is rolled back at the threshold', () => {
    const r = simulateRollout({ ...STATS_CONFIG, failureThreshold: 3 }, 1, HEALTHY, { rps: 0 });
    expect(r.events.filter((e) => e.type === 'check-failed').map((e) => e.at)).toEqual([MIN, 2 * MIN]);
    expect(r.state.phase).toBe('rolled-back');
    expect(r.endedAt).toBe(3 * MIN);
    expect(r.state.reasons[0]).toMatch(/no data: canary and baseline received no request/);
  });
});
