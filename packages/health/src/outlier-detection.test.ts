import { createEndpoint, type Endpoint, type Outcome, type OutcomeErrorKind } from '@switchyard/core';
import { seededRng } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HealthEvent } from './events.js';
import { OUTLIER_DETECTION_DEFAULTS, compileOutlierDetection, type OutlierDetectionConfig } from './outlier-detection-config.js';
import { createOutlierDetector, successRateEjectionThreshold } from './outlier-detection.js';

const hosts = (n: number): Endpoint[] => Array.from({ length: n }, (_, i) => createEndpoint({ id: `e${i}`, url: `http://10.0.0.${i + 1}:80` }));
const resp = (endpoint: Endpoint, status: number, at: number): Outcome => ({ kind: 'response', endpoint, status, latencyMs: 1, at });
const err = (endpoint: Endpoint, error: OutcomeErrorKind, at: number): Outcome => ({ kind: 'error', endpoint, error, latencyMs: 1, at });

function setup(config: OutlierDetectionConfig, n = 5, seed = 1) {
  const eps = hosts(n);
  const events: HealthEvent[] = [];
  const od = createOutlierDetector({ endpoints: eps, now: 0, rng: seededRng(seed), config, sink: (e) => events.push(e) });
  const ejections = () => events.filter((e) => e.kind === 'ejected' || e.kind === 'unejected').map((e) => [e.kind, e.endpointId, e.at]);
  return { eps, events, od, ejections };
}

describe('outlier detection defaults', () => {
  // Each default, and where it comes from (envoy/config/cluster/v3/outlier_detection.proto).
  it.each([
    ['consecutive5xx', 5, 'consecutive_5xx'],
    ['consecutiveGatewayFailure', 5, 'consecutive_gateway_failure'],
    ['consecutiveLocalOriginFailure', 5, 'consecutive_local_origin_failure'],
    ['intervalMs', 10_000, 'interval'],
    ['baseEjectionTimeMs', 30_000, 'base_ejection_time'],
    ['maxEjectionTimeMs', 300_000, 'max_ejection_time = max(300s, base)'],
    ['maxEjectionTimeJitterMs', 0, 'max_ejection_time_jitter'],
    ['maxEjectionPercent', 10, 'max_ejection_percent'],
    ['maxEjectionPercentRule', 'post-ejection', 'current ejectHost: (active + 1) / total (envoy PR #27909)'],
    ['alwaysEjectOneHost', false, 'always_eject_one_host (envoy PR #34796)'],
    ['ejectionMultiplierDecay', 'after-interval-since-unejection', 'checkHostForUneject: now - last_unejection >= interval'],
    ['enforcingConsecutive5xx', 100, 'enforcing_consecutive_5xx'],
    ['enforcingConsecutiveGatewayFailure', 0, 'enforcing_consecutive_gateway_failure (detect only)'],
    ['enforcingConsecutiveLocalOriginFailure', 100, 'enforcing_consecutive_local_origin_failure'],
    ['enforcingSuccessRate', 100, 'enforcing_success_rate'],
    ['enforcingLocalOriginSuccessRate', 100, 'enforcing_local_origin_success_rate'],
    ['successRateMinimumHosts', 5, 'success_rate_minimum_hosts'],
    ['successRateRequestVolume', 100, 'success_rate_request_volume'],
    ['successRateStdevFactor', 1900, 'success_rate_stdev_factor (/1000)'],
    ['failurePercentageThreshold', 85, 'failure_percentage_threshold'],
    ['enforcingFailurePercentage', 0, 'enforcing_failure_percentage (detect only)'],
    ['enforcingFailurePercentageLocalOrigin', 0, 'enforcing_failure_percentage_local_origin'],
    ['failurePercentageMinimumHosts', 5, 'failure_percentage_minimum_hosts'],
    ['failurePercentageRequestVolume', 50, 'failure_percentage_request_volume'],
    ['splitExternalLocalOriginErrors', false, 'split_external_local_origin_errors'],
    ['successfulActiveHealthCheckUnejectHost', true, 'successful_active_health_check_uneject_host'],
  ] as ReadonlyArray<readonly [keyof typeof OUTLIER_DETECTION_DEFAULTS, unknown, string]>)('default %s = %s comes from Envoy %s', (field, value) => {
    expect(compileOutlierDetection()[field]).toBe(value);
    expect(OUTLIER_DETECTION_DEFAULTS[field]).toBe(value);
  });

  it('compile - every field of the plan has a tested default', () => {
    expect(Object.keys(compileOutlierDetection()).length).toBe(26);
  });

  it('compile - maxEjectionTime defaults to the base when the base exceeds 300 s', () => {
    expect(compileOutlierDetection({ baseEjectionTimeMs: 400_000 }).maxEjectionTimeMs).toBe(400_000);
  });

  it('compile - reports every invalid field with its path', () => {
    expect(() =>
      compileOutlierDetection({ baseEjectionTimeMs: 60_000, maxEjectionTimeMs: 30_000, maxEjectionPercent: 150, intervalMs: 0, bogus: 1 } as OutlierDetectionConfig),
    ).toThrow(
      /outlierDetection\.maxEjectionTimeMs: must be >= baseEjectionTimeMs[\s\S]*intervalMs: must be > 0[\s\S]*maxEjectionPercent: must be <= 100[\s\S]*bogus: unknown field/,
    );
  });
});

describe('consecutive detectors', () => {
  it('consecutive 5xx - ejects on the 5th 5xx, un-ejects on the first sweep 30 s later', () => {
    const { eps, od, ejections, events } = setup({ maxEjectionPercent: 20 });
    const e0 = eps[0] as Endpoint;
    for (let i = 1; i <= 5; i++) od.observe(resp(e0, 500, i));
    expect(events.find((e) => e.kind === 'ejected')).toMatchObject({ detector: 'consecutive-5xx', ejectionTimeMs: 30_000, multiplier: 1 });
    expect(od.eligible(6).map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e4']);
    // Sweeps at 10 s, 20 s, 30 s (elapsed 29 995 ms < 30 s), 40 s: un-ejection only on ticks.
    expect(od.eligible(39_999)).toHaveLength(4);
    expect(od.eligible(40_000)).toHaveLength(5);
    expect(ejections()).toEqual([
      ['ejected', 'e0', 5],
      ['unejected', 'e0', 40_000],
    ]);
  });

  it('consecutive 5xx - a success in between resets the counter', () => {
    const { eps, od, ejections } = setup({ maxEjectionPercent: 20 });
    const e0 = eps[0] as Endpoint;
    [500, 500, 500, 500, 200, 500, 500, 500, 500].forEach((s, i) => od.observe(resp(e0, s, i)));
    expect(ejections()).toEqual([]);
    od.observe(resp(e0, 503, 9));
    expect(ejections()).toEqual([['ejected', 'e0', 9]]);
  });

  it('default cap - 5 endpoints with 10 % never eject (post-ejection 20 % > 10 %): overflow instead', () => {
    const { eps, od, events } = setup({});
    for (let i = 1; i <= 5; i++) od.observe(resp(eps[0] as Endpoint, 500, i));
    expect(events).toEqual([{ kind: 'ejection-overflow', endpointId: 'e0', at: 5, detector: 'consecutive-5xx' }]);
    expect(od.eligible(5)).toHaveLength(5);
  });

  it('alwaysEjectOneHost - allows exactly one ejection whatever the cap', () => {
    const { eps, od, ejections, events } = setup({ alwaysEjectOneHost: true });
    for (let i = 1; i <= 5; i++) od.observe(resp(eps[0] as Endpoint, 500, i));
    for (let i = 6; i <= 10; i++) od.observe(resp(eps[1] as Endpoint, 500, i));
    expect(ejections()).toEqual([['ejected', 'e0', 5]]);
    expect(events.at(-1)).toMatchObject({ kind: 'ejection-overflow', endpointId: 'e1', at: 10 });
  });

  it('gRPC cap rule - one ejection is possible below the cap, the next stops at >= max', () => {
    const { eps, od, ejections, events } = setup({ maxEjectionPercentRule: 'current' });
    for (let i = 1; i <= 5; i++) od.observe(resp(eps[0] as Endpoint, 500, i));
    for (let i = 6; i <= 10; i++) od.observe(resp(eps[1] as Endpoint, 500, i));
    expect(ejections()).toEqual([['ejected', 'e0', 5]]);
    expect(events.at(-1)).toMatchObject({ kind: 'ejection-overflow', endpointId: 'e1' });
  });

  it('gateway failure - detect-only by default; a 502/503/504 also advances the 5xx counter', () => {
    const { eps, od, events } = setup({ maxEjectionPercent: 20 });
    for (let i = 1; i <= 5; i++) od.observe(resp(eps[0] as Endpoint, 502, i));
    // Gateway detector first (not enforced at 0 %), then the 5xx detector ejects.
    expect(events).toEqual([
      { kind: 'ejection-not-enforced', endpointId: 'e0', at: 5, detector: 'consecutive-gateway-failure' },
      { kind: 'ejected', endpointId: 'e0', at: 5, detector: 'consecutive-5xx', ejectionTimeMs: 30_000, multiplier: 1 },
    ]);
  });

  it('gateway failure - another 5xx resets only the gateway counter', () => {
    const { eps, od, ejections, events } = setup({ maxEjectionPercent: 20, enforcingConsecutiveGatewayFailure: 100, consecutive5xx: 100 });
    const e0 = eps[0] as Endpoint;
    [503, 503, 503, 503, 500, 503, 503, 503, 503].forEach((s, i) => od.observe(resp(e0, s, i)));
    expect(ejections()).toEqual([]);
    od.observe(resp(e0, 504, 9));
    expect(events).toEqual([{ kind: 'ejected', endpointId: 'e0', at: 9, detector: 'consecutive-gateway-failure', ejectionTimeMs: 30_000, multiplier: 1 }]);
  });

  it('non-split mode - timeouts count as 504 and connect errors and resets as 503; canceled is ignored', () => {
    const { eps, od, ejections } = setup({ maxEjectionPercent: 20, enforcingConsecutiveGatewayFailure: 100, consecutive5xx: 100 });
    const e0 = eps[0] as Endpoint;
    od.observe(err(e0, 'timeout', 1));
    od.observe(err(e0, 'connect', 2));
    od.observe(err(e0, 'canceled', 3));
    od.observe(err(e0, 'reset', 4));
    od.observe(err(e0, 'timeout', 5));
    expect(ejections()).toEqual([]);
    od.observe(err(e0, 'connect', 6));
    expect(ejections()).toEqual([['ejected', 'e0', 6]]);
  });

  it('split mode - local-origin errors eject through their own detector; HTTP responses reset it', () => {
    const { eps, od, events } = setup({ maxEjectionPercent: 20, splitExternalLocalOriginErrors: true });
    const e0 = eps[0] as Endpoint;
    [1, 2, 3, 4].forEach((t) => od.observe(err(e0, 'connect', t)));
    od.observe(resp(e0, 503, 5)); // a response means the connection worked: local counter resets
    [6, 7, 8, 9].forEach((t) => od.observe(err(e0, 'timeout', t)));
    expect(events).toEqual([]);
    od.observe(err(e0, 'reset', 10));
    expect(events).toEqual([{ kind: 'ejected', endpointId: 'e0', at: 10, detector: 'consecutive-local-origin-failure', ejectionTimeMs: 30_000, multiplier: 1 }]);
  });

  it('multiplier - ejection time grows with k, and k decays one step per healthy interval after un-ejection', () => {
    const { eps, od, events, ejections } = setup({ maxEjectionPercent: 20 });
    const e0 = eps[0] as Endpoint;
    const burst = (from: number) => {
      for (let i = 0; i < 5; i++) od.observe(resp(e0, 500, from + i));
    };
    burst(1); // k = 1 at 5 → 30 s → un-ejected at the 40 s sweep
    burst(40_001); // k = 2 at 40 005 → 60 s → first sweep with elapsed >= 60 s is 110 s
    od.eligible(110_000);
    // Sweeps at 120 s (10 s after un-ejection: k 2→1) and 130 s (k 1→0).
    od.eligible(130_000);
    expect(od.state.hosts.get('e0')?.multiplier).toBe(0);
    burst(130_001); // k back to 1: 30 s again
    od.eligible(170_000);
    expect(events.filter((e) => e.kind === 'ejected').map((e) => e.kind === 'ejected' && e.ejectionTimeMs)).toEqual([30_000, 60_000, 30_000]);
    expect(ejections()).toEqual([
      ['ejected', 'e0', 5],
      ['unejected', 'e0', 40_000],
      ['ejected', 'e0', 40_005],
      ['unejected', 'e0', 110_000],
      ['ejected', 'e0', 130_005],
      ['unejected', 'e0', 170_000],
    ]);
  });

  it('multiplier - gRPC decay runs every interval, even right after un-ejection', () => {
    const { eps, od } = setup({ maxEjectionPercent: 20, ejectionMultiplierDecay: 'every-interval' });
    for (let i = 1; i <= 5; i++) od.observe(resp(eps[0] as Endpoint, 500, i));
    od.eligible(40_000); // un-ejected at 40 s; Envoy would keep k = 1 here
    od.eligible(50_000);
    expect(od.state.hosts.get('e0')?.multiplier).toBe(0);
  });

  it('jitter - the drawn jitter extends the ejection and is at most maxEjectionTimeJitterMs', () => {
    const { eps, od, events, ejections } = setup({ maxEjectionPercent: 20, maxEjectionTimeJitterMs: 15_000 }, 5, 7);
    for (let i = 1; i <= 5; i++) od.observe(resp(eps[0] as Endpoint, 500, i));
    const ejected = events[0] as Extract<HealthEvent, { kind: 'ejected' }>;
    const jitter = ejected.ejectionTimeMs - 30_000;
    expect(jitter).toBeGreaterThanOrEqual(0);
    expect(jitter).toBeLessThanOrEqual(15_000);
    od.eligible(100_000);
    const unejectedAt = Math.ceil((5 + 30_000 + jitter) / 10_000) * 10_000;
    expect(ejections()[1]).toEqual(['unejected', 'e0', unejectedAt]);
  });

  it('an ejected host is left alone by further failures; un-ejection resets its counters', () => {
    const { eps, od, ejections } = setup({ maxEjectionPercent: 20 });
    const e0 = eps[0] as Endpoint;
    for (let i = 1; i <= 12; i++) od.observe(resp(e0, 500, i));
    expect(ejections()).toEqual([['ejected', 'e0', 5]]);
    od.eligible(40_000);
    for (let i = 1; i <= 4; i++) od.observe(resp(e0, 500, 40_000 + i));
    expect(ejections()).toHaveLength(2);
  });
});

describe('success rate and failure percentage', () => {
  it('success rate - Envoy worked example {50, 100, 100, 100, 100}: mean 90, stdev 20, threshold 52', () => {
    expect(successRateEjectionThreshold([50, 100, 100, 100, 100], 1.9)).toEqual({ mean: 90, stdev: 20, threshold: 52 });
  });

  // 100 requests per host in [0, 10 s); host e0 answers 50 % 500s (alternating, so no 5 in a row).
  function feedInterval(od: ReturnType<typeof setup>['od'], eps: Endpoint[], from: number, badRate: (i: number) => boolean, volume = 100) {
    for (let i = 0; i < volume; i++) {
      for (const [h, e] of eps.entries()) od.observe(resp(e, h === 0 && badRate(i) ? 500 : 200, from + i * 10));
    }
  }

  it('success rate - the sweep ejects the host strictly below the threshold, over the previous interval', () => {
    const { eps, od, ejections, events } = setup({ maxEjectionPercent: 20 });
    feedInterval(od, eps, 0, (i) => i % 2 === 0);
    expect(ejections()).toEqual([]);
    od.eligible(10_000);
    expect(events).toEqual([{ kind: 'ejected', endpointId: 'e0', at: 10_000, detector: 'success-rate', ejectionTimeMs: 30_000, multiplier: 1 }]);
  });

  it('success rate - skipped with fewer hosts at volume than successRateMinimumHosts', () => {
    const { eps, od, ejections } = setup({ maxEjectionPercent: 20 });
    feedInterval(od, eps, 0, (i) => i % 2 === 0, 99); // 99 < request volume 100
    od.eligible(20_000);
    expect(ejections()).toEqual([]);
  });

  it('success rate - counts are per interval: the next sweep sees an empty bucket', () => {
    const { eps, od, ejections } = setup({ maxEjectionPercent: 20, enforcingSuccessRate: 0 });
    feedInterval(od, eps, 0, (i) => i % 2 === 0);
    od.eligible(10_000);
    expect(od.state.hosts.get('e0')).toMatchObject({ extPrevTotal: 100, extPrevSuccess: 50, extTotal: 0 });
    od.eligible(20_000);
    expect(od.state.hosts.get('e0')).toMatchObject({ extPrevTotal: 0, extPrevSuccess: 0 });
    expect(ejections()).toEqual([]);
  });

  it('failure percentage - detect-only by default; ejects at >= threshold when enforced', () => {
    // e0 fails 85 % exactly over 60 requests (volume >= 50); 4-in-a-row at most so no consecutive ejection.
    const bad = (i: number) => i % 20 < 17 && i % 4 !== 3;
    const trace = Array.from({ length: 60 }, (_, i) => bad(i));
    const failures = trace.filter(Boolean).length;
    expect(failures).toBeGreaterThan(0);
    const run = (config: OutlierDetectionConfig) => {
      const s = setup({ maxEjectionPercent: 20, enforcingSuccessRate: 0, ...config });
      for (let i = 0; i < 60; i++) for (const [h, e] of s.eps.entries()) s.od.observe(resp(e, h === 0 && trace[i] ? 503 : 200, i));
      s.od.eligible(10_000);
      return s.events.filter((e) => 'detector' in e && e.detector === 'failure-percentage');
    };
    const pct = (100 * failures) / 60;
    expect(run({ failurePercentageThreshold: pct })).toEqual([{ kind: 'ejection-not-enforced', endpointId: 'e0', at: 10_000, detector: 'failure-percentage' }]);
    expect(run({ failurePercentageThreshold: pct, enforcingFailurePercentage: 100 })).toMatchObject([{ kind: 'ejected', endpointId: 'e0', at: 10_000 }]);
    expect(run({ failurePercentageThreshold: pct + 0.1, enforcingFailurePercentage: 100 })).toEqual([]);
  });
});

describe('active health checks and endpoint updates', () => {
  it('a passing active check un-ejects at once (successfulActiveHealthCheckUnejectHost)', () => {
    const { eps, od, ejections } = setup({ maxEjectionPercent: 20 });
    for (let i = 1; i <= 5; i++) od.observe(resp(eps[0] as Endpoint, 500, i));
    od.onHealthCheck('e0', false, 1_000);
    expect(od.isEjected('e0')).toBe(true);
    od.onHealthCheck('e0', true, 2_000);
    expect(ejections()).toEqual([
      ['ejected', 'e0', 5],
      ['unejected', 'e0', 2_000],
    ]);
  });

  it('successfulActiveHealthCheckUnejectHost: false - a passing check leaves the ejection to run out', () => {
    const { eps, od } = setup({ maxEjectionPercent: 20, successfulActiveHealthCheckUnejectHost: false });
    for (let i = 1; i <= 5; i++) od.observe(resp(eps[0] as Endpoint, 500, i));
    od.onHealthCheck('e0', true, 2_000);
    expect(od.isEjected('e0')).toBe(true);
  });

  it('updateEndpoints - keeps state of endpoints that stay; a removed ejected endpoint frees the cap', () => {
    const { eps, od, events } = setup({ alwaysEjectOneHost: true });
    for (let i = 1; i <= 5; i++) od.observe(resp(eps[0] as Endpoint, 500, i));
    od.updateEndpoints(eps.slice(1), 10);
    expect(events.at(-1)).toEqual({ kind: 'unejected', endpointId: 'e0', at: 10, ejectedForMs: 5, cause: 'removed' });
    od.observe(resp(eps[1] as Endpoint, 500, 11));
    od.updateEndpoints(eps.slice(1, 4), 12);
    expect(od.state.hosts.get('e1')?.consecutive5xx).toBe(1);
    expect(od.state.activeEjections).toBe(0);
  });
});

describe('outlier detection properties', () => {
  type Step = { host: number; status: number; dt: number };
  const stepArb = fc.record({ host: fc.nat(11), status: fc.constantFrom(200, 200, 500, 502, 503, 504), dt: fc.constantFrom(0, 1, 50, 3_000, 11_000) });

  it('ejected endpoints never exceed the cap, whatever the outcome sequence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 100 }),
        fc.constantFrom('post-ejection' as const, 'current' as const),
        fc.boolean(),
        fc.array(stepArb, { maxLength: 300 }),
        (n, maxPct, rule, alwaysOne, steps: Step[]) => {
          const { eps, od } = setup(
            {
              maxEjectionPercent: maxPct,
              maxEjectionPercentRule: rule,
              alwaysEjectOneHost: alwaysOne,
              consecutive5xx: 2,
              enforcingConsecutiveGatewayFailure: 100,
              successRateRequestVolume: 5,
              successRateMinimumHosts: 1,
              failurePercentageRequestVolume: 5,
              failurePercentageMinimumHosts: 1,
              enforcingFailurePercentage: 100,
              failurePercentageThreshold: 30,
            },
            n,
          );
          const byRule = rule === 'post-ejection' ? Math.floor((maxPct * n) / 100 + 1e-9) : maxPct === 0 ? 0 : Math.ceil((maxPct * n) / 100 - 1e-9);
          const cap = Math.max(byRule, alwaysOne ? 1 : 0);
          let t = 0;
          for (const s of steps) {
            t += s.dt;
            od.observe(resp(eps[s.host % n] as Endpoint, s.status, t));
            const ejected = [...od.state.hosts.values()].filter((h) => h.ejected).length;
            expect(ejected).toBe(od.state.activeEjections);
            expect(ejected).toBeLessThanOrEqual(cap);
            expect(od.eligible(t)).toHaveLength(n - od.state.activeEjections);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an endpoint with only successes is never ejected', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 300 }), fc.integer({ min: 1, max: 100 }), (steps: Step[], fpThreshold) => {
        const { eps, od, events } = setup({
          maxEjectionPercent: 100,
          consecutive5xx: 2,
          successRateRequestVolume: 3,
          successRateMinimumHosts: 2,
          successRateStdevFactor: 0,
          failurePercentageRequestVolume: 3,
          failurePercentageMinimumHosts: 2,
          enforcingFailurePercentage: 100,
          failurePercentageThreshold: fpThreshold,
        });
        let t = 0;
        for (const s of steps) {
          t += s.dt;
          const h = s.host % 5;
          od.observe(resp(eps[h] as Endpoint, h === 0 ? 200 : s.status, t));
          od.eligible(t);
        }
        expect(events.filter((e) => e.kind === 'ejected' && e.endpointId === 'e0')).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('ejection time never exceeds max + jitter, and un-ejection comes within one interval of it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 0, max: 200_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.array(fc.tuple(fc.boolean(), fc.constantFrom(1, 1_000, 20_000, 90_000)), { maxLength: 200 }),
        (base, extra, jitter, steps) => {
          const max = base + extra;
          const { eps, od, events } = setup({ maxEjectionPercent: 100, baseEjectionTimeMs: base, maxEjectionTimeMs: max, maxEjectionTimeJitterMs: jitter, consecutive5xx: 1 }, 1);
          let t = 0;
          for (const [fail, dt] of steps) {
            t += dt;
            od.observe(resp(eps[0] as Endpoint, fail ? 500 : 200, t));
          }
          od.eligible(t + max + jitter + 10_000);
          let ejectedAt = -1;
          for (const e of events) {
            if (e.kind === 'ejected') {
              expect(e.ejectionTimeMs).toBeLessThanOrEqual(max + jitter);
              ejectedAt = e.at;
            } else if (e.kind === 'unejected') {
              expect(e.at - ejectedAt).toBeLessThan(max + jitter + 10_000);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
