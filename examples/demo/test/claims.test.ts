import { describe, expect, it } from 'vitest';
import { checkClaims, shareTolerance, stepShares, type LogEntry, type Recorded, type Scenario } from '../src/claims.js';
import type { Sample } from '../src/traffic.js';

const sc: Scenario = {
  durationMs: 24_000,
  warmupMs: 1_000,
  rollout: { route: 'catalog', canary: 'v2', baseline: 'v1', steps: [5, 25, 50, 100] },
  users: 2_000,
  grayFailure: { id: 'b', fromMs: 2_000, toMs: 5_000 },
  slow: { id: 'c', fromMs: 6_000, toMs: 11_000, factor: 10 },
  drain: { id: 'o2', fromMs: 10_000, toMs: 14_000 },
  baselineIds: ['a', 'b', 'c', 'd'],
  limits: { free: { burst: 10, perSecond: 5 }, pro: { burst: 400, perSecond: 200 } },
};

type Rollout = Extract<LogEntry, { kind: 'rollout' }>['event'];
type Health = Extract<LogEntry, { kind: 'health' }>['event'];
const rollout = (t: number, type: Rollout['type'], fromPercent: number, toPercent: number): LogEntry => ({ t, kind: 'rollout', route: 'catalog', event: { at: t, type, fromPercent, toPercent, reason: type } });
const health = (t: number, event: Health): LogEntry => ({ t, kind: 'health', upstream: 'u', event });
const splits = (t: number, n: number, canary: number): LogEntry[] => Array.from({ length: n }, (_, i) => ({ t, kind: 'split' as const, route: 'catalog', backend: i < canary ? 'v2' : 'v1' }));
const tries = (t: number, endpoint: string, n: number, attempt = 1): LogEntry[] => Array.from({ length: n }, () => ({ t, kind: 'try' as const, route: 'catalog', endpoint, attempt }));
const sample = (at: number, servedBy: string | undefined, status: number, key = 'pro-0', route: string | undefined = 'catalog'): Sample => ({
  at,
  path: '/api/catalog/items/1',
  route,
  key,
  status,
  latencyMs: 10,
  servedBy,
  version: undefined,
  tier: key.startsWith('pro') ? 'pro' : 'free',
});

/** A run in which every claim holds. */
function goodRun(): { log: LogEntry[]; samples: Sample[] } {
  const log: LogEntry[] = [
    ...splits(500, 400, 20),
    ...tries(1_500, 'a', 30),
    ...tries(1_500, 'c', 30),
    health(2_200, { kind: 'ejected', endpointId: 'b', at: 2_200, detector: 'consecutive-5xx', ejectionTimeMs: 4_000, multiplier: 1 }),
    ...tries(3_000, 'a', 30),
    ...tries(3_000, 'b', 2, 2), // retries of requests that began before the ejection
    rollout(4_000, 'promoted', 5, 25),
    ...splits(4_500, 400, 100),
    health(6_200, { kind: 'unejected', endpointId: 'b', at: 6_200, ejectedForMs: 4_000, cause: 'ejection-time-elapsed' }),
    ...tries(7_000, 'a', 60),
    ...tries(7_000, 'c', 2),
    rollout(8_000, 'promoted', 25, 50),
    ...splits(8_500, 400, 200),
    health(10_500, { kind: 'unhealthy', endpointId: 'o2', at: 10_500, reason: 'status', firstCheck: false }),
    health(15_500, { kind: 'healthy', endpointId: 'o2', at: 15_500, firstCheck: false }),
    rollout(12_000, 'succeeded', 50, 100),
    ...splits(13_000, 300, 300),
  ];
  const samples = [
    sample(7_000, 'b', 200),
    sample(16_000, 'o2', 200, 'pro-1', 'orders'),
    ...Array.from({ length: 150 }, (_, i) => sample(i * 100, 'a', i < 140 ? 200 : 429, 'free-0')),
  ];
  return { log, samples };
}

const failedByUpstream = new Map([['b', 7]]);
const claims = (rec: Recorded) => Object.fromEntries(checkClaims(rec, sc).claims.map((c) => [c.id, c]));

describe('demo claims', () => {
  it('shareTolerance - 4 standard errors of the decisions and of the users drawn for the sticky split', () => {
    expect(shareTolerance(0.05, 400, 2_000)).toBeCloseTo(4 * Math.sqrt(0.05 * 0.95 * (1 / 400 + 1 / 2_000)), 12);
    expect(shareTolerance(1, 300, 2_000)).toBe(0);
    expect(shareTolerance(0.25, 0, 2_000)).toBe(1);
  });

  it('stepShares - counts only the rolled-out route, each step between the events that start and end it', () => {
    const { log } = goodRun();
    const other: LogEntry[] = [...log, ...splits(9_000, 50, 50).map((e) => ({ ...e, route: 'catalog-pinned-v2' }))];
    expect(stepShares({ samples: [], log: other, failedByUpstream }, sc).map((s) => [s.weightPercent, s.decisions, s.canary, s.ok])).toEqual([
      [5, 400, 20, true],
      [25, 400, 100, true],
      [50, 400, 200, true],
      [100, 300, 300, true],
    ]);
  });

  it('every claim holds on a run that shows what the demo says', () => {
    const all = claims({ ...goodRun(), failedByUpstream });
    expect(Object.entries(all).filter(([, c]) => !c.ok)).toEqual([]);
    expect(all['outlier-detection']!.evidence).toContain('0 new requests routed to it while ejected (2 retries of earlier ones)');
  });

  it('rollout - refused when the canary was rolled back, with the reason', () => {
    const { log, samples } = goodRun();
    const bad: LogEntry[] = [...log.filter((e) => e.kind !== 'rollout'), rollout(4_000, 'check-failed', 5, 5), rollout(4_000, 'rolled-back', 5, 0)];
    const c = claims({ log: bad, samples, failedByUpstream });
    expect(c['rollout']!.ok).toBe(false);
    expect(c['rollout']!.evidence).toMatch(/^the rollout rolled-back at 5%/);
    expect(c['step-shares']!.ok).toBe(false); // 25 and 50 % never happened
  });

  it('step-shares - refused when a step sends far more than its weight', () => {
    const { log, samples } = goodRun();
    const skewed = log.map((e) => (e.kind === 'split' && e.t === 500 ? { ...e, backend: 'v2' } : e));
    expect(claims({ log: skewed, samples, failedByUpstream })['step-shares']!.ok).toBe(false);
  });

  it('outlier-detection - refused without an ejection, or when a new request is routed to the ejected endpoint', () => {
    const { log, samples } = goodRun();
    expect(claims({ log: log.filter((e) => !(e.kind === 'health' && e.event.kind === 'ejected')), samples, failedByUpstream })['outlier-detection']!.ok).toBe(false);
    const leaky = [...log];
    leaky.splice(log.findIndex((e) => e.kind === 'rollout'), 0, ...tries(3_500, 'b', 1, 1));
    expect(claims({ log: leaky, samples, failedByUpstream })['outlier-detection']!.ok).toBe(false);
  });

  it('active-health-check - refused when the draining endpoint is never marked unhealthy', () => {
    const { log, samples } = goodRun();
    expect(claims({ log: log.filter((e) => !(e.kind === 'health' && 'endpointId' in e.event && e.event.endpointId === 'o2')), samples, failedByUpstream })['active-health-check']!.ok).toBe(false);
  });

  it('peak-ewma - refused when the slow endpoint keeps its share', () => {
    const { log, samples } = goodRun();
    const same = [...log, ...tries(7_500, 'c', 40)];
    expect(claims({ log: same, samples, failedByUpstream })['peak-ewma']!.ok).toBe(false);
  });

  it('retries and rate-limits - refused when a client sees the failing instance 503 or a free key gets past its bucket', () => {
    const { log, samples } = goodRun();
    expect(claims({ log, samples: [...samples, sample(3_000, 'b', 503)], failedByUpstream })['retries']!.ok).toBe(false);
    // the scenario of this file: burst 10 + 5/s over 24 s (+2 s of slack) = 140
    const greedy = Array.from({ length: 141 }, (_, i) => sample(i * 100, 'a', 200, 'free-1'));
    expect(claims({ log, samples: [...samples, ...greedy], failedByUpstream })['rate-limits']!.ok).toBe(false);
    expect(claims({ log, samples: [...samples, sample(1_000, undefined, 429, 'pro-2')], failedByUpstream })['rate-limits']!.ok).toBe(false);
  });
});
