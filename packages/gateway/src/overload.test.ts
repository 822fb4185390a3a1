import type { SyRequest, SyResponse } from '@switchyard/core';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { createFetchTransport } from '@switchyard/transport-fetch';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createEndpoint } from '@switchyard/core';
import { compileResourceLimits, createResourceCounters } from '@switchyard/health';
import { admitTry, beginTry, compileOverload, endTry, pruneInflight } from './overload.js';
import type { GatewayConfig, UpstreamConfig } from './config.js';
import type { GatewayEvent } from './events.js';
import { createGateway, responseCode } from './gateway.js';

function req(init: Partial<SyRequest> = {}): SyRequest {
  return { method: 'GET', scheme: 'http', authority: 'api.example.com', path: '/api', query: '', headers: {}, clientAddress: '198.51.100.7', attributes: {}, ...init };
}

function configWith(upstream: Partial<UpstreamConfig>, route: Partial<GatewayConfig['routes'][number]> = {}): GatewayConfig {
  return {
    routes: [{ name: 'api', backends: [{ upstream: 'api' }], ...route }],
    upstreams: { api: { endpoints: [{ id: 'a1', url: 'http://10.0.0.1:8080' }], ...upstream } },
  };
}

function setup(config: GatewayConfig) {
  const clock = createTestClock();
  const transport = createMockTransport({ clock });
  const gateway = createGateway(config, { transport, clock, rng: seededRng(7) });
  const events: GatewayEvent[] = [];
  gateway.subscribe((e) => events.push(e));
  return { clock, transport, gateway, events };
}

const isLocal = (r: SyResponse): boolean => responseCode(r) === 'SY_OVERLOADED';

describe('adaptive throttle (upstreams.x.adaptiveThrottle)', () => {
  it('engages while the upstream rejects and releases once it recovers (fake clock)', async () => {
    const t = setup(configWith({ adaptiveThrottle: { k: 2, windowMs: 10_000, bucketCount: 10 } }));
    let failing = false;
    t.transport.respondWith(() => ({ status: failing ? 503 : 200 }));

    // Healthy: nothing is throttled.
    for (let i = 0; i < 100; i++) {
      expect((await t.gateway.handle(req())).status).toBe(200);
      t.clock.advance(10);
    }

    // The upstream answers 503 to everything: the local rejection probability climbs towards
    // (requests − 2·accepts) / (requests + 1), and the upstream sees less and less traffic.
    failing = true;
    t.clock.advance(10_000); // the healthy window has passed
    const sentBefore = t.transport.requests.length;
    const answers: SyResponse[] = [];
    for (let i = 0; i < 400; i++) {
      answers.push(await t.gateway.handle(req()));
      t.clock.advance(10);
    }
    const local = answers.filter(isLocal).length;
    expect(local).toBeGreaterThan(200);
    expect(t.transport.requests.length - sentBefore).toBe(400 - local);
    // The last hundred: almost all refused locally.
    expect(answers.slice(-100).filter(isLocal).length).toBeGreaterThan(80);
    const throttled = answers.find(isLocal)!;
    expect(throttled.status).toBe(503);
    expect(throttled.headers['x-envoy-overloaded']).toBeUndefined();
    expect(t.events).toContainEqual(expect.objectContaining({ kind: 'overloaded', upstream: 'api', reason: 'adaptive-throttle', probability: expect.any(Number) }));

    // Recovered: once the failing window has rotated out, everything is sent again.
    failing = false;
    t.clock.advance(10_000);
    const after: SyResponse[] = [];
    for (let i = 0; i < 100; i++) {
      after.push(await t.gateway.handle(req()));
      t.clock.advance(10);
    }
    expect(after.every((r) => r.status === 200)).toBe(true);
  });

  it('connect failures count as rejections too', async () => {
    const t = setup(configWith({ adaptiveThrottle: { k: 1, windowMs: 60_000 } }));
    t.transport.respondWith(() => ({ error: 'connect' }));
    const answers: SyResponse[] = [];
    for (let i = 0; i < 50; i++) answers.push(await t.gateway.handle(req()));
    expect(answers.filter(isLocal).length).toBeGreaterThan(25);
  });

  it('a request refused locally counts in the metrics by upstream and reason', async () => {
    const t = setup(configWith({ adaptiveThrottle: { k: 1 } }));
    t.transport.respondWith(() => ({ status: 503 }));
    for (let i = 0; i < 50; i++) await t.gateway.handle(req());
    expect(t.gateway.prometheus()).toMatch(/switchyard_upstream_rejected_total\{switchyard_upstream="api",switchyard_reason="adaptive-throttle"\} \d+/);
  });
});

describe('adaptive concurrency with priorities (upstreams.x.adaptiveConcurrency)', () => {
  // A fixed limit of 10: critical may fill 10, default 9, sheddable 5.
  const FIXED = { algorithm: 'aimd', initialLimit: 10, minLimit: 10, maxLimit: 10 } as const;

  it('sheds sheddable requests first, then default, critical last', async () => {
    const t = setup(configWith({ adaptiveConcurrency: { ...FIXED, priority: { header: 'x-priority' } } }));
    t.transport.respondWith(() => ({ status: 200, delayMs: 1_000 }));
    const sent: { priority: string; answer: Promise<SyResponse> }[] = [];
    const send = (priority: string) => sent.push({ priority, answer: t.gateway.handle(req({ headers: { 'x-priority': priority } })) });
    // Ten requests arrive while the first are still in flight, in this order.
    for (const p of ['default', 'default', 'default', 'default', 'default', 'sheddable', 'default', 'critical', 'default', 'default', 'default', 'sheddable', 'critical', 'critical']) send(p);
    await t.clock.advanceAsync(1_000);
    const results = await Promise.all(sent.map(async (s) => ({ priority: s.priority, status: (await s.answer).status, local: isLocal(await s.answer) })));
    // In flight when each arrived: 5 → sheddable refused (5 ≥ 5); default and critical go on to 9;
    // the 10th default is refused (9 ≥ 9); critical takes the 10th slot; the next critical is refused.
    expect(results.map((r) => `${r.priority}:${r.local ? 'shed' : r.status}`)).toEqual([
      'default:200',
      'default:200',
      'default:200',
      'default:200',
      'default:200',
      'sheddable:shed',
      'default:200',
      'critical:200',
      'default:200',
      'default:200',
      'default:shed',
      'sheddable:shed',
      'critical:200',
      'critical:shed',
    ]);
    const shed = t.events.filter((e): e is Extract<GatewayEvent, { kind: 'overloaded' }> => e.kind === 'overloaded');
    expect(shed.map((e) => [e.reason, e.priority, e.inflight])).toEqual([
      ['adaptive-concurrency', 'sheddable', 5],
      ['adaptive-concurrency', 'default', 9],
      ['adaptive-concurrency', 'sheddable', 9],
      ['adaptive-concurrency', 'critical', 10],
    ]);
    // All released: the next request of any class goes through.
    t.transport.respondWith(() => ({ status: 200 }));
    expect((await t.gateway.handle(req({ headers: { 'x-priority': 'sheddable' } }))).status).toBe(200);
  });

  it('priority: the attribute wins over the header, the header over the route, unknown values are ignored', async () => {
    const t = setup(configWith({ adaptiveConcurrency: { ...FIXED, shares: { sheddable: 0.1 }, priority: { attribute: 'priority', header: 'x-priority' } } }, { priority: 'sheddable' }));
    t.transport.respondWith(() => ({ status: 200, delayMs: 1_000 }));
    // One request in flight fills the sheddable share (max(1, 10 × 0.1) = 1).
    const first = t.gateway.handle(req({ headers: { 'x-priority': 'critical' } }));
    // Route says sheddable: refused.
    expect(isLocal(await t.gateway.handle(req()))).toBe(true);
    // A bogus header value is ignored: still the route's sheddable.
    expect(isLocal(await t.gateway.handle(req({ headers: { 'x-priority': 'urgent' } })))).toBe(true);
    // The header overrides the route.
    const second = t.gateway.handle(req({ headers: { 'x-priority': 'default' } }));
    // The attribute overrides the header.
    expect(isLocal(await t.gateway.handle(req({ headers: { 'x-priority': 'critical' }, attributes: { priority: 'sheddable' } })))).toBe(true);
    await t.clock.advanceAsync(1_000);
    expect([(await first).status, (await second).status]).toEqual([200, 200]);
  });

  it('the learnt limit falls while the upstream answers 503 (aimd backs off on drops)', async () => {
    const t = setup(configWith({ adaptiveConcurrency: { algorithm: 'aimd', initialLimit: 20, minLimit: 1, maxLimit: 20, backoffRatio: 0.5 } }));
    t.transport.respondWith(() => ({ status: 503 }));
    for (let i = 0; i < 5; i++) await t.gateway.handle(req());
    t.transport.respondWith(() => ({ status: 200, delayMs: 100 }));
    const answers = Array.from({ length: 5 }, () => t.gateway.handle(req()));
    await t.clock.advanceAsync(100);
    // 20 → 10 → 5 → 2 → 1 → 1: one default request may be in flight (the floor of one per class).
    expect((await Promise.all(answers)).map((r) => (isLocal(r) ? 'shed' : r.status))).toEqual([200, 'shed', 'shed', 'shed', 'shed']);
  });
});

describe('overload config', () => {
  it('refuses unknown keys, out-of-range values and options of another algorithm, by path', () => {
    const clock = createTestClock();
    const transport = createMockTransport({ clock });
    const attempt = (upstream: Partial<UpstreamConfig>, route: Partial<GatewayConfig['routes'][number]> = {}) => {
      try {
        createGateway(configWith(upstream, route), { transport, clock });
        return [];
      } catch (err) {
        return (err as { issues: { path: string; message: string }[] }).issues.map((i) => `${i.path}: ${i.message}`);
      }
    };
    expect(attempt({ adaptiveThrottle: { k: 0.5 } })).toEqual(['upstreams.api.adaptiveThrottle.k: must be >= 1']);
    expect(attempt({ adaptiveThrottle: { windowMS: 1000 } as never })).toEqual([expect.stringMatching(/^upstreams\.api\.adaptiveThrottle\.windowMS: /)]);
    expect(attempt({ adaptiveConcurrency: { algorithm: 'gradient', backoffRatio: 0.8 } })).toEqual(['upstreams.api.adaptiveConcurrency.backoffRatio: applies to algorithm aimd, not gradient']);
    expect(attempt({ adaptiveConcurrency: { algorithm: 'fifo' as never } })).toEqual(["upstreams.api.adaptiveConcurrency.algorithm: must be 'aimd', 'gradient' or 'vegas'"]);
    expect(attempt({ adaptiveConcurrency: { shares: { sheddable: 0 } } })).toEqual(['upstreams.api.adaptiveConcurrency.shares.sheddable: must be > 0']);
    expect(attempt({ adaptiveConcurrency: { minLimit: 50, maxLimit: 10 } })).toEqual(['upstreams.api.adaptiveConcurrency.minLimit: must be <= maxLimit']);
    expect(attempt({}, { priority: 'urgent' as never })).toEqual(["routes[0].priority: must be 'critical', 'default' or 'sheddable'"]);
    expect(attempt({ resourceLimits: { maxConnections: 0 } })).toEqual(['upstreams.api.resourceLimits.maxConnections: must be >= 1 (the pool size of each endpoint)']);
    expect(attempt({ adaptiveThrottle: { k: 1.5, windowMs: 30_000, bucketCount: 6, rejectStatuses: [503] }, adaptiveConcurrency: { algorithm: 'vegas', smoothing: 0.5 } })).toEqual([]);
  });
});

describe('resource limits with a transport that cannot pool', () => {
  it('the fetch transport cannot bound connections: maxConnections and maxPendingRequests are refused by path', () => {
    const transport = createFetchTransport({ fetch: () => Promise.reject(new Error('not called')) });
    expect(() => createGateway(configWith({ resourceLimits: { maxConnections: 2, maxPendingRequests: 1 } }), { transport })).toThrow(
      /upstreams\.api\.resourceLimits\.maxConnections: cannot be enforced by this transport[\s\S]*upstreams\.api\.resourceLimits\.maxPendingRequests/,
    );
    // Other limits stay usable with fetch.
    expect(() => createGateway(configWith({ resourceLimits: { maxRequests: 5 } }), { transport })).not.toThrow();
  });

  it('a transport without configureEndpoint: the gateway still bounds tries per endpoint with the configured maxConnections', async () => {
    const t = setup(configWith({ resourceLimits: { maxConnections: 1, maxPendingRequests: 1 } }));
    t.transport.respondWith(() => ({ status: 200, delayMs: 100 }));
    const a = t.gateway.handle(req());
    const b = t.gateway.handle(req());
    const c = await t.gateway.handle(req());
    expect(c.status).toBe(503);
    expect(c.headers['x-envoy-overloaded']).toBe('true');
    await t.clock.advanceAsync(100);
    await t.clock.advanceAsync(100);
    expect([(await a).status, (await b).status]).toEqual([200, 200]);
  });
});

describe('pool accounting (admitTry / beginTry / endTry)', () => {
  it('property: pending never exceeds maxPendingRequests, in flight = connections + pending, and all returns to zero', () => {
    const endpoints = [createEndpoint({ url: 'http://10.0.0.1:80' }), createEndpoint({ url: 'http://10.0.0.2:80' })];
    const transport = createMockTransport({ clock: createTestClock() });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 200 }),
        (maxConnections, maxPendingRequests, ops) => {
          const issues: { path: string; message: string }[] = [];
          const o = compileOverload('upstreams.u', { resourceLimits: { maxConnections, maxPendingRequests } }, endpoints, transport, issues);
          const plan = compileResourceLimits({ maxConnections, maxPendingRequests });
          const counters = createResourceCounters();
          const live: (typeof endpoints)[number][] = [];
          for (const [start, n] of ops) {
            if (start || live.length === 0) {
              const e = endpoints[n % endpoints.length]!;
              if (admitTry(o, plan, counters, e)) {
                beginTry(o, counters, e);
                live.push(e);
              }
            } else {
              const [e] = live.splice(n % live.length, 1);
              endTry(o, counters, e!);
            }
            expect(counters.pendingRequests).toBeLessThanOrEqual(maxPendingRequests);
            expect(counters.connections + counters.pendingRequests).toBe(live.length);
            for (const e of endpoints) expect(o.inflight.get(e.url)?.n ?? 0).toBe(live.filter((x) => x === e).length);
          }
          for (const e of live.splice(0)) endTry(o, counters, e);
          expect(counters).toMatchObject({ connections: 0, pendingRequests: 0 });
          expect([...o.inflight.values()].every((c) => c.n === 0)).toBe(true);
          pruneInflight(o, []);
          expect(o.inflight.size).toBe(0);
          expect(issues).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
