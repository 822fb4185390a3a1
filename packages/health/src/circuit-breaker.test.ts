import { seededRng } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  breakerOpenMs,
  compileCircuitBreaker,
  createCircuitBreaker,
  type BreakerDecision,
  type CircuitBreakerConfig,
  type CircuitBreakerState,
} from './circuit-breaker.js';
import type { HealthEvent } from './events.js';

function setup(config: CircuitBreakerConfig, state?: CircuitBreakerState) {
  const events: HealthEvent[] = [];
  const breaker = createCircuitBreaker({ config: { jitterRatio: 0, ...config }, rng: seededRng(3), sink: (e) => events.push(e), ...(state ? { state } : {}) });
  const call = (now: number, failed: boolean): BreakerDecision => {
    const p = breaker.tryAcquire(now);
    if (p.kind === 'admitted') breaker.observe(p, failed, now);
    return p;
  };
  return { breaker, events, call };
}

describe('circuit breaker defaults', () => {
  const plan = compileCircuitBreaker();
  it.each([
    ['policy', { kind: 'consecutive', maxFailures: 7 }, 'Linkerd failure-accrual consecutive-max-failures 7'],
    ['minOpenMs', 1_000, 'Linkerd failure-accrual-consecutive-min-penalty 1s'],
    ['maxOpenMs', 60_000, 'Linkerd failure-accrual-consecutive-max-penalty 1m'],
    ['jitterRatio', 0.5, 'Linkerd failure-accrual-consecutive-jitter-ratio 0.5'],
    ['halfOpenMaxProbes', 1, 'Linkerd probation: one request let through'],
    ['halfOpenSuccessThreshold', 1, 'Linkerd probation: one success closes'],
  ] as ReadonlyArray<readonly [keyof typeof plan, unknown, string]>)('default %s comes from %s', (field, value) => {
    expect(plan[field]).toEqual(value);
  });

  it('sampling defaults come from Linkerd unified accrual: success rate < 0.8 over 10 s with >= 5 requests', () => {
    expect(compileCircuitBreaker({ policy: { kind: 'sampling' } }).policy).toEqual({
      kind: 'sampling',
      failureRatioThreshold: 0.2,
      windowMs: 10_000,
      minimumThroughput: 5,
      buckets: 10,
    });
  });

  it('compile - reports invalid fields with paths', () => {
    expect(() => compileCircuitBreaker({ minOpenMs: 5_000, maxOpenMs: 1_000, halfOpenMaxProbes: 0 })).toThrow(
      /circuitBreaker\.maxOpenMs: must be >= minOpenMs[\s\S]*halfOpenMaxProbes: must be >= 1/,
    );
  });
});

describe('circuit breaker transitions', () => {
  it('consecutive - opens on the 7th failure, half-opens after 1 s, closes on a good probe', () => {
    const { breaker, events, call } = setup({});
    for (let t = 1; t <= 6; t++) call(t, true);
    call(7, false); // resets
    for (let t = 8; t <= 14; t++) call(t, true);
    expect(events).toEqual([{ kind: 'breaker-opened', breaker: 'breaker', at: 14, openForMs: 1_000, reason: 'consecutive-failures' }]);
    expect(breaker.tryAcquire(1_013)).toEqual({ kind: 'rejected', retryAfterMs: 1 });
    expect(breaker.status(1_014)).toBe('half-open');
    expect(call(1_014, false)).toMatchObject({ kind: 'admitted', probe: true });
    expect(events.slice(1)).toEqual([
      { kind: 'breaker-half-open', breaker: 'breaker', at: 1_014 },
      { kind: 'breaker-closed', breaker: 'breaker', at: 1_014 },
    ]);
  });

  it('a failed probe re-opens for twice as long, up to maxOpenMs', () => {
    const { events, call } = setup({ policy: { kind: 'consecutive', maxFailures: 1 }, maxOpenMs: 3_000 });
    call(0, true); // open 1 s
    call(1_000, true); // probe fails: 2 s
    call(3_000, true); // 4 s capped to 3 s
    call(6_000, true);
    expect(events.filter((e) => e.kind === 'breaker-opened').map((e) => [e.at, e.kind === 'breaker-opened' && e.openForMs, e.kind === 'breaker-opened' && e.reason])).toEqual([
      [0, 1_000, 'consecutive-failures'],
      [1_000, 2_000, 'probe-failed'],
      [3_000, 3_000, 'probe-failed'],
      [6_000, 3_000, 'probe-failed'],
    ]);
    expect(breakerOpenMs(compileCircuitBreaker({ maxOpenMs: 3_000 }), 60)).toBe(3_000);
  });

  it('half-open admits at most halfOpenMaxProbes at once and needs the success threshold to close', () => {
    const { breaker, events } = setup({ policy: { kind: 'consecutive', maxFailures: 1 }, halfOpenMaxProbes: 2, halfOpenSuccessThreshold: 3 });
    breaker.observe(breaker.tryAcquire(0), true, 0);
    const a = breaker.tryAcquire(1_000);
    const b = breaker.tryAcquire(1_000);
    expect([a.kind, b.kind, breaker.tryAcquire(1_000).kind]).toEqual(['admitted', 'admitted', 'rejected']);
    breaker.observe(a, false, 1_001);
    breaker.release(b); // canceled: no verdict, slot freed
    const c = breaker.tryAcquire(1_002);
    breaker.observe(c, false, 1_003);
    expect(breaker.status(1_003)).toBe('half-open');
    const d = breaker.tryAcquire(1_004);
    breaker.observe(d, false, 1_005);
    expect(events.at(-1)).toEqual({ kind: 'breaker-closed', breaker: 'breaker', at: 1_005 });
  });

  it('results of requests admitted before the breaker opened are ignored', () => {
    const { breaker } = setup({ policy: { kind: 'consecutive', maxFailures: 2 } });
    const slow = breaker.tryAcquire(0);
    breaker.observe(breaker.tryAcquire(1), true, 1);
    breaker.observe(breaker.tryAcquire(2), true, 2);
    expect(breaker.status(3)).toBe('open');
    breaker.observe(slow, false, 1_500); // admitted while closed: no effect on the probe state
    expect(breaker.state).toMatchObject({ status: 'open', probesInFlight: 0 });
  });

  it('sampling - opens when the failure ratio in the window exceeds the threshold with enough throughput', () => {
    const { events, call } = setup({ policy: { kind: 'sampling', failureRatioThreshold: 0.5, windowMs: 1_000, minimumThroughput: 4, buckets: 10 } });
    call(0, true);
    call(10, true);
    call(20, true); // 3/3 but below throughput
    expect(events).toEqual([]);
    call(30, false); // 3/4 > 0.5 but a success never opens
    call(40, true); // 4/5
    expect(events).toEqual([{ kind: 'breaker-opened', breaker: 'breaker', at: 40, openForMs: 1_000, reason: 'failure-ratio' }]);
  });

  it('sampling - old buckets roll out of the window', () => {
    const { events, call } = setup({ policy: { kind: 'sampling', failureRatioThreshold: 0.5, windowMs: 1_000, minimumThroughput: 4, buckets: 10 } });
    for (let t = 0; t < 4; t++) call(t, true); // opens at 3 (4/4)
    expect(events).toHaveLength(1);
    call(1_003, false); // half-open probe closes
    call(1_100, true);
    call(1_200, true);
    call(1_300, false);
    call(2_500, true); // the 1.1–1.3 s samples are out of the window: 1/1, below throughput
    expect(events.filter((e) => e.kind === 'breaker-opened')).toHaveLength(1);
  });

  it('state round-trips through JSON', () => {
    const { breaker } = setup({ policy: { kind: 'sampling', minimumThroughput: 2 } });
    breaker.observe(breaker.tryAcquire(0), true, 0);
    breaker.observe(breaker.tryAcquire(5), true, 5);
    const copy = JSON.parse(JSON.stringify(breaker)) as CircuitBreakerState;
    expect(copy).toEqual(breaker.state);
    const revived = setup({ policy: { kind: 'sampling', minimumThroughput: 2 } }, copy).breaker;
    expect(revived.status(10)).toBe('open');
    expect(revived.tryAcquire(10)).toEqual(breaker.tryAcquire(10));
  });
});

describe('circuit breaker properties', () => {
  it('half-open never admits more than its probe limit concurrently, under any interleaving', () => {
    type Op = { kind: 'acquire' } | { kind: 'finish'; index: number; failed: boolean } | { kind: 'cancel'; index: number } | { kind: 'wait'; ms: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.constant({ kind: 'acquire' as const }),
      fc.record({ kind: fc.constant('finish' as const), index: fc.nat(20), failed: fc.boolean() }),
      fc.record({ kind: fc.constant('cancel' as const), index: fc.nat(20) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.constantFrom(1, 500, 5_000) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.array(opArb, { maxLength: 200 }), (probes, threshold, ops) => {
        const { breaker } = setup({ policy: { kind: 'consecutive', maxFailures: 2 }, halfOpenMaxProbes: probes, halfOpenSuccessThreshold: threshold });
        let now = 0;
        const outstanding: BreakerDecision[] = [];
        for (const op of ops) {
          if (op.kind === 'wait') now += op.ms;
          else if (op.kind === 'acquire') {
            const p = breaker.tryAcquire(now);
            if (p.kind === 'admitted') outstanding.push(p);
          } else if (outstanding.length > 0) {
            const [p] = outstanding.splice(op.index % outstanding.length, 1) as [BreakerDecision];
            if (op.kind === 'finish') breaker.observe(p, op.failed, now);
            else breaker.release(p);
          }
          const s = breaker.state;
          const liveProbes = outstanding.filter((p) => p.kind === 'admitted' && p.probe && p.epoch === s.epoch).length;
          if (s.status === 'half-open') {
            expect(liveProbes).toBeLessThanOrEqual(probes);
            expect(s.probesInFlight).toBe(liveProbes);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the open period never exceeds maxOpenMs × (1 + jitterRatio)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 0, max: 100_000 }), fc.double({ min: 0, max: 2, noNaN: true }), fc.integer({ min: 1, max: 30 }), (min, extra, jitter, fails) => {
        const events: HealthEvent[] = [];
        const b = createCircuitBreaker({ config: { policy: { kind: 'consecutive', maxFailures: 1 }, minOpenMs: min, maxOpenMs: min + extra, jitterRatio: jitter }, rng: seededRng(fails), sink: (e) => events.push(e) });
        let now = 0;
        for (let i = 0; i < fails; i++) {
          const p = b.tryAcquire(now);
          if (p.kind === 'admitted') b.observe(p, true, now);
          now = b.state.openUntil;
        }
        for (const e of events) if (e.kind === 'breaker-opened') expect(e.openForMs).toBeLessThanOrEqual((min + extra) * (1 + jitter));
      }),
      // Regression: a jitter ratio so small that 1 + ratio rounds to 1 once overshot by one ulp.
      { numRuns: 300, examples: [[11, 0, 8.164612183923935e-17, 14]] },
    );
  });
});
