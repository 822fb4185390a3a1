import { createEndpoint, type Endpoint } from '@switchyard/core';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import {
  compileHealthCheck,
  createActiveHealthState,
  createHealthCheckRunner,
  nextHealthCheckDelayMs,
  observeHealthCheckResult,
  type HealthCheckConfig,
} from './active-health-check.js';
import { computeEligible } from './eligible.js';
import type { HealthEvent } from './events.js';

const ep = (i: number): Endpoint => createEndpoint({ id: `e${i}`, url: `http://10.0.0.${i + 1}:80` });

function setup(config: HealthCheckConfig, n = 1) {
  const clock = createTestClock();
  const transport = createMockTransport({ clock });
  const events: HealthEvent[] = [];
  const endpoints = Array.from({ length: n }, (_, i) => ep(i));
  const runner = createHealthCheckRunner({ endpoints, config, clock, rng: seededRng(1), transport, sink: (e) => events.push(e) });
  const transitions = () => events.filter((e) => e.kind === 'healthy' || e.kind === 'unhealthy').map((e) => [e.kind, e.endpointId, e.at, e.kind === 'unhealthy' ? e.reason : 'pass']);
  return { clock, transport, events, runner, endpoints, transitions };
}

describe('active health check defaults', () => {
  const plan = compileHealthCheck();
  it.each([
    ['noTrafficIntervalMs', 60_000, 'Envoy no_traffic_interval default 60 s'],
    ['noTrafficHealthyIntervalMs', 60_000, 'Envoy no_traffic_healthy_interval = no_traffic_interval'],
    ['unhealthyIntervalMs', 10_000, 'Envoy unhealthy_interval = interval'],
    ['unhealthyEdgeIntervalMs', 10_000, 'Envoy unhealthy_edge_interval = unhealthy_interval'],
    ['healthyEdgeIntervalMs', 10_000, 'Envoy healthy_edge_interval = interval'],
    ['expectedStatuses', [{ start: 200, end: 201 }], 'Envoy HttpHealthCheck.expected_statuses default [200, 201)'],
    ['retriableStatuses', [], 'Envoy retriable_statuses default empty'],
    ['initialJitterMs', 0, 'Envoy initial_jitter default 0'],
    ['intervalJitterMs', 0, 'Envoy interval_jitter default 0'],
    ['intervalJitterPercent', 0, 'Envoy interval_jitter_percent default 0'],
    ['method', 'GET', 'Envoy HttpHealthCheck.method default GET'],
    ['responseBufferSizeBytes', 1024, 'Envoy response_buffer_size default 1024'],
    ['intervalMs', 10_000, 'switchyard (Envoy requires interval)'],
    ['timeoutMs', 1_000, 'switchyard (Envoy requires timeout)'],
    ['unhealthyThreshold', 3, 'switchyard (Envoy requires unhealthy_threshold)'],
    ['healthyThreshold', 2, 'switchyard (Envoy requires healthy_threshold)'],
    ['path', '/healthz', 'switchyard (Envoy requires path)'],
  ] as ReadonlyArray<readonly [keyof typeof plan, unknown, string]>)('default %s comes from %s', (field, value) => {
    expect(plan[field]).toEqual(value);
  });

  it('compile - rejects CONNECT, bad ranges and non-positive intervals with paths', () => {
    expect(() => compileHealthCheck({ method: 'CONNECT', intervalMs: 0, expectedStatuses: [{ start: 300, end: 200 }] })).toThrow(
      /healthCheck\.intervalMs: must be > 0[\s\S]*healthCheck\.method: CONNECT[\s\S]*healthCheck\.expectedStatuses\[0\]/,
    );
  });
});

describe('active health check state machine', () => {
  const plan = compileHealthCheck({ healthyThreshold: 2, unhealthyThreshold: 3 });

  it('the first ever pass marks a new endpoint healthy; later ones need the threshold', () => {
    const s = createActiveHealthState();
    expect(observeHealthCheckResult(plan, s, 'e0', { kind: 'pass' }, 0)).toBe('changed');
    expect(s.status).toBe('healthy');
    observeHealthCheckResult(plan, s, 'e0', { kind: 'fail', reason: 'status', counted: false }, 1);
    expect(s.status).toBe('unhealthy');
    expect(observeHealthCheckResult(plan, s, 'e0', { kind: 'pass' }, 2)).toBe('pending');
    expect(observeHealthCheckResult(plan, s, 'e0', { kind: 'pass' }, 3)).toBe('changed');
  });

  it('next delay - edge intervals while pending, no-traffic interval before any traffic, jitter bounded', () => {
    const p = compileHealthCheck({ intervalMs: 10_000, unhealthyIntervalMs: 5_000, unhealthyEdgeIntervalMs: 2_000, healthyEdgeIntervalMs: 3_000 });
    const rng = seededRng(2);
    const d = (passed: boolean, transition: 'changed' | 'pending' | 'unchanged', healthy: boolean, hadTraffic = true) => nextHealthCheckDelayMs(p, { passed, transition, healthy, hadTraffic }, rng);
    expect([d(true, 'unchanged', true), d(true, 'pending', false), d(false, 'pending', true), d(false, 'changed', false), d(true, 'unchanged', true, false)]).toEqual([
      10_000, 3_000, 2_000, 5_000, 60_000,
    ]);
    const j = compileHealthCheck({ intervalMs: 10_000, intervalJitterMs: 1_000, intervalJitterPercent: 10 });
    for (let i = 0; i < 200; i++) {
      const v = nextHealthCheckDelayMs(j, { passed: true, transition: 'unchanged', healthy: true, hadTraffic: true }, rng);
      expect(v).toBeGreaterThanOrEqual(10_000);
      expect(v).toBeLessThan(12_000);
    }
  });
});

describe('health check runner (fake clock, mock transport)', () => {
  it('trace - pass, three timeouts to unhealthy, two passes back to healthy, at exact times', async () => {
    const { clock, transport, runner, transitions } = setup({ intervalMs: 10_000, timeoutMs: 1_000, unhealthyIntervalMs: 5_000 });
    transport.enqueueFor('e0', { status: 200 }, { hang: true }, { hang: true }, { hang: true }, { status: 200 }, { status: 200 });
    runner.noteTraffic();
    runner.start();
    await clock.advanceAsync(60_000);
    // 0 pass (first check: healthy) → +10 s: hang, times out at 11 s (pending) → +5 s (unhealthy edge =
    // unhealthyInterval): 16 s, 17 s (pending) → 22 s, 23 s (unhealthy) → +5 s: 28 s pass (pending) → +10 s
    // (healthy edge = interval): 38 s pass (healthy) → every 10 s.
    expect(transport.requests.map((r) => r.at)).toEqual([0, 10_000, 16_000, 22_000, 28_000, 38_000, 48_000, 58_000]);
    expect(transitions()).toEqual([
      ['healthy', 'e0', 0, 'pass'],
      ['unhealthy', 'e0', 23_000, 'timeout'],
      ['healthy', 'e0', 38_000, 'pass'],
    ]);
    expect(transport.requests[0]?.request).toEqual({ method: 'GET', path: '/healthz', headers: {} });
    expect(transport.requests.slice(1, 4).every((r) => r.aborted())).toBe(true);
  });

  it('an unexpected HTTP status fails at once; a retriable one counts toward the threshold', async () => {
    const a = setup({ intervalMs: 1_000 });
    a.transport.enqueueFor('e0', { status: 200 }, { status: 500 });
    a.runner.noteTraffic();
    a.runner.start();
    await a.clock.advanceAsync(1_500);
    expect(a.transitions()).toEqual([
      ['healthy', 'e0', 0, 'pass'],
      ['unhealthy', 'e0', 1_000, 'status'],
    ]);
    const b = setup({ intervalMs: 1_000, retriableStatuses: [{ start: 500, end: 600 }] });
    b.transport.enqueueFor('e0', { status: 200 }, { status: 500 }, { status: 503 }, { status: 500 });
    b.runner.noteTraffic();
    b.runner.start();
    await b.clock.advanceAsync(3_500);
    expect(b.transitions()).toEqual([
      ['healthy', 'e0', 0, 'pass'],
      ['unhealthy', 'e0', 3_000, 'status'],
    ]);
  });

  it('a new endpoint that fails its first check is unhealthy; connect errors count as network failures', async () => {
    const { clock, transport, runner, transitions } = setup({ intervalMs: 1_000 });
    transport.enqueueFor('e0', { error: 'connect' });
    runner.noteTraffic();
    runner.start();
    await clock.advanceAsync(500);
    expect(transitions()).toEqual([['unhealthy', 'e0', 0, 'connect']]);
    expect(runner.status('e0')).toBe('unhealthy');
  });

  it('no traffic yet - checks every noTrafficInterval (60 s); the first traffic pulls the next check in to one interval', async () => {
    const { clock, transport, runner } = setup({ intervalMs: 1_000 });
    runner.start();
    await clock.advanceAsync(120_500);
    expect(transport.requests.map((r) => r.at)).toEqual([0, 60_000, 120_000]);
    runner.noteTraffic();
    await clock.advanceAsync(3_000);
    // Envoy would wait for the check already scheduled at 180 s; we do not (see the guide).
    expect(transport.requests.map((r) => r.at)).toEqual([0, 60_000, 120_000, 121_500, 122_500, 123_500]);
    runner.noteTraffic();
    await clock.advanceAsync(1_000);
    expect(transport.requests.map((r) => r.at).at(-1)).toBe(124_500);
  });

  it('body check - the expected bytes must appear in the first responseBufferSizeBytes', async () => {
    const { clock, transport, runner, transitions } = setup({ intervalMs: 1_000, expectedBodyContains: 'OK', responseBufferSizeBytes: 16 });
    transport.enqueueFor('e0', { status: 200, body: ['sta', 'tus: O', 'K'] }, { status: 200, body: 'status: DOWN' }, { status: 200, body: 'xxxxxxxxxxxxxxxxxxxxOK' });
    runner.noteTraffic();
    runner.start();
    await clock.advanceAsync(1_500);
    expect(transitions()).toEqual([
      ['healthy', 'e0', 0, 'pass'],
      ['unhealthy', 'e0', 1_000, 'body'],
    ]);
    await clock.advanceAsync(1_000);
    expect(runner.states.get('e0')).toMatchObject({ status: 'unhealthy', consecutiveSuccesses: 0 });
  });

  it('one timer per runner, not per endpoint; stop() leaves none', async () => {
    const { clock, transport, runner } = setup({ intervalMs: 1_000, timeoutMs: 300, intervalJitterMs: 200, initialJitterMs: 500 }, 100);
    transport.respondWith(() => ({ status: 200, delayMs: 0 }));
    runner.noteTraffic();
    runner.start();
    for (let i = 0; i < 20; i++) {
      await clock.advanceAsync(137);
      expect(runner.timersArmed()).toBe(1);
      expect(clock.pending()).toBe(1);
    }
    runner.stop();
    expect(clock.pending()).toBe(0);
    const sent = transport.requests.length;
    await clock.advanceAsync(10_000);
    expect(transport.requests.length).toBe(sent);
    expect(runner.healthy()).toHaveLength(100);
  });

  it('updateEndpoints - new endpoints start pending and are checked; removed ones are dropped', async () => {
    const { clock, transport, runner } = setup({ intervalMs: 1_000 }, 2);
    runner.noteTraffic();
    runner.start();
    await clock.advanceAsync(100);
    runner.updateEndpoints([ep(1), ep(2)]);
    expect([runner.status('e0'), runner.status('e1'), runner.status('e2')]).toEqual([undefined, 'healthy', 'pending']);
    await clock.advanceAsync(100);
    expect(runner.status('e2')).toBe('healthy');
    expect(transport.requests.filter((r) => r.endpoint.id === 'e2').map((r) => r.at)).toEqual([100]);
  });

  it('computeEligible - drops unhealthy and ejected endpoints, panics below 50 % healthy', () => {
    const all = [0, 1, 2, 3].map(ep);
    const status = (id: string) => (id === 'e0' ? ('unhealthy' as const) : ('healthy' as const));
    expect(computeEligible(all, { activeStatus: status, isEjected: (id) => id === 'e1' })).toMatchObject({ panic: false, healthyCount: 2 });
    expect(computeEligible(all, { activeStatus: status, isEjected: (id) => id !== 'e3' })).toMatchObject({ panic: true, endpoints: all, healthyCount: 1 });
    expect(computeEligible(all, { activeStatus: () => 'unhealthy', panicThresholdPercent: 0 }).endpoints).toEqual([]);
  });
});
