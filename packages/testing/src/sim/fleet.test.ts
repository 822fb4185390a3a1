import { ConfigError, createAbortController, type TransportResult } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { createTestClock } from '../test-clock.js';
import { seededRng } from '../seeded-rng.js';
import { createFleet, type SimEndpointSpec } from './fleet.js';

const req = { method: 'GET', path: '/', headers: {} };

function setup(endpoints: SimEndpointSpec[], seed = 1) {
  const clock = createTestClock();
  const fleet = createFleet({ clock, rng: seededRng(seed), endpoints });
  const send = (id: string, signal = createAbortController().signal) => {
    const settled: { result?: TransportResult; at?: number } = {};
    void fleet.transport.send(req, fleet.endpoint(id), { signal }).then((r) => {
      settled.result = r;
      settled.at = clock.now();
    });
    return settled;
  };
  return { clock, fleet, send };
}

const statusOf = (s: { result?: TransportResult }) => (s.result?.kind === 'response' ? s.result.response.status : s.result?.error);

describe('createFleet', () => {
  it('answers after the constant latency, on the clock', async () => {
    const { clock, send } = setup([{ id: 'a', latency: 25 }]);
    const r = send('a');
    await clock.advanceAsync(24);
    expect(r.result).toBeUndefined();
    await clock.advanceAsync(1);
    expect(statusOf(r)).toBe(200);
    expect(r.at).toBe(25);
  });

  it('exposes frozen core endpoints with metadata, locality and default urls', () => {
    const { fleet } = setup([{ id: 'A_1', weight: 3, metadata: { version: 'v2' }, locality: { zone: 'z1' } }, { id: 'b', url: 'http://10.0.0.2:8080' }]);
    expect(fleet.endpoints.map((e) => e.id)).toEqual(['A_1', 'b']);
    expect(fleet.endpoint('A_1')).toMatchObject({ url: 'http://a-1.fleet.test', weight: 3, metadata: { version: 'v2' }, locality: { zone: 'z1' } });
    expect(fleet.endpoint('b').url).toBe('http://10.0.0.2:8080');
    expect(Object.isFrozen(fleet.endpoints)).toBe(true);
  });

  it('reports every invalid spec with its path', () => {
    const clock = createTestClock();
    const bad = () =>
      createFleet({
        clock,
        rng: seededRng(1),
        endpoints: [
          { id: 'a', errorRate: 2, latency: { kind: 'normal', meanMs: -1, stdDevMs: 1 } },
          { id: 'a', maxConcurrent: 0, latency: { kind: 'bimodal', fast: 1, slow: 2, slowFraction: 1.5 } },
        ],
      });
    expect(bad).toThrow(ConfigError);
    try {
      bad();
    } catch (e) {
      expect((e as ConfigError).issues.map((i) => i.path)).toEqual([
        'endpoints[0].latency.meanMs',
        'endpoints[0].errorRate',
        'endpoints[1].id',
        'endpoints[1].latency.slowFraction',
        'endpoints[1].maxConcurrent',
      ]);
    }
  });

  it('queues beyond maxConcurrent in FIFO order and answers 503 beyond maxQueue', async () => {
    const { clock, fleet, send } = setup([{ id: 'a', latency: 10, maxConcurrent: 2, maxQueue: 2 }]);
    const rs = [send('a'), send('a'), send('a'), send('a'), send('a')];
    await clock.advanceAsync(0);
    expect(statusOf(rs[4]!)).toBe(503);
    expect(fleet.stats('a')).toMatchObject({ inFlight: 2, queued: 2, rejected: 1, received: 5 });
    await clock.advanceAsync(10);
    expect(rs.slice(0, 2).map((r) => r.at)).toEqual([10, 10]);
    expect(rs[2]!.result).toBeUndefined();
    await clock.advanceAsync(10);
    expect(rs.slice(2, 4).map((r) => r.at)).toEqual([20, 20]);
    expect(fleet.stats('a')).toMatchObject({ inFlight: 0, queued: 0, maxInFlight: 2, maxQueued: 2, responses: 5, errorResponses: 1 });
  });

  it('frees the slot of an aborted request and serves the next in the queue', async () => {
    const { clock, fleet, send } = setup([{ id: 'a', latency: 10, maxConcurrent: 1 }]);
    const ac = createAbortController();
    const first = send('a', ac.signal);
    const second = send('a');
    await clock.advanceAsync(4);
    ac.abort();
    await clock.advanceAsync(0);
    expect(statusOf(first)).toBe('canceled');
    await clock.advanceAsync(10);
    expect(second.at).toBe(14);
    expect(fleet.stats('a').canceled).toBe(1);
  });

  it('answers errorStatus for about errorRate of requests', async () => {
    const { clock, fleet, send } = setup([{ id: 'a', latency: 1, errorRate: 0.2, errorStatus: 502 }]);
    const rs = Array.from({ length: 2000 }, () => send('a'));
    await clock.advanceAsync(1);
    const failed = rs.filter((r) => statusOf(r) === 502).length;
    expect(failed / 2000).toBeGreaterThan(0.17);
    expect(failed / 2000).toBeLessThan(0.23);
    expect(fleet.stats('a').errorResponses).toBe(failed);
  });

  it('runs scheduled outages, slowdowns and recoveries at their times', async () => {
    const { clock, fleet, send } = setup([{ id: 'a', latency: 10 }]);
    fleet.schedule([
      { atMs: 100, endpointId: 'a', kind: 'outage', mode: 'connect' },
      { atMs: 200, endpointId: 'a', kind: 'recover' },
      { atMs: 300, endpointId: 'a', kind: 'slowdown', factor: 3 },
      { atMs: 400, endpointId: 'a', kind: 'outage', mode: 'status', status: 502 },
      { atMs: 500, endpointId: 'a', kind: 'recover' },
    ]);
    const inService = send('a');
    await clock.advanceAsync(95);
    const crashed = send('a');
    await clock.advanceAsync(5);
    expect(statusOf(inService)).toBe(200);
    expect(statusOf(crashed)).toBe('reset');
    const down = send('a');
    await clock.advanceAsync(0);
    expect(statusOf(down)).toBe('connect');
    expect(fleet.condition('a').outage).toEqual({ mode: 'connect', status: 503 });
    await clock.advanceAsync(100);
    const slow = send('a');
    await clock.advanceAsync(100);
    expect(slow.at).toBe(210);
    const slower = send('a');
    await clock.advanceAsync(30);
    expect(slower.at).toBe(330);
    await clock.advanceAsync(70);
    const failing = send('a');
    await clock.advanceAsync(0);
    expect(statusOf(failing)).toBe(502);
    await clock.advanceAsync(100);
    expect(fleet.condition('a')).toEqual({ outage: undefined, slowdownFactor: 1, errorRate: 0 });
    expect(fleet.stats('a')).toMatchObject({ connectErrors: 1, resets: 1, errorResponses: 1 });
  });

  it('blackholes requests until the caller aborts', async () => {
    const { clock, fleet, send } = setup([{ id: 'a', latency: 1 }]);
    fleet.apply({ atMs: 0, endpointId: 'a', kind: 'outage', mode: 'blackhole' });
    const ac = createAbortController();
    const r = send('a', ac.signal);
    await clock.advanceAsync(10_000);
    expect(r.result).toBeUndefined();
    ac.abort();
    await clock.advanceAsync(0);
    expect(statusOf(r)).toBe('canceled');
  });

  it('applies an event dated in the past at once, and cancel stops future ones', async () => {
    const { clock, fleet } = setup([{ id: 'a' }]);
    await clock.advanceAsync(50);
    const cancel = fleet.schedule([
      { atMs: 10, endpointId: 'a', kind: 'error-rate', errorRate: 0.5 },
      { atMs: 60, endpointId: 'a', kind: 'slowdown', factor: 2 },
    ]);
    expect(fleet.condition('a').errorRate).toBe(0.5);
    cancel();
    await clock.advanceAsync(100);
    expect(fleet.condition('a').slowdownFactor).toBe(1);
    expect(() => fleet.schedule([{ atMs: 1, endpointId: 'zz', kind: 'recover' }])).toThrow(ConfigError);
  });

  it('is deterministic for a seed', async () => {
    const run = async (seed: number) => {
      const { clock, send } = setup([{ id: 'a', latency: { kind: 'lognormal', medianMs: 20, sigma: 0.8 }, errorRate: 0.1 }], seed);
      const rs = Array.from({ length: 50 }, () => send('a'));
      await clock.advanceAsync(10_000);
      return rs.map((r) => [r.at, statusOf(r)]);
    };
    expect(await run(3)).toEqual(await run(3));
    expect(await run(3)).not.toEqual(await run(4));
  });

  it('answers canceled for a signal aborted before send, and throws for an unknown endpoint', async () => {
    const { fleet } = setup([{ id: 'a' }]);
    const ac = createAbortController();
    ac.abort();
    const r = await fleet.transport.send(req, fleet.endpoint('a'), { signal: ac.signal });
    expect(r).toMatchObject({ kind: 'error', error: 'canceled' });
    expect(() => fleet.endpoint('nope')).toThrow(TypeError);
  });
});
