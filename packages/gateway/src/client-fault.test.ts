/**
 * Issue #17: failures are classified by whose fault they are. A request the client made
 * unsendable is answered 400, never sent (or never sent again), never retried, and never counted
 * against an endpoint (balancer, outlier detector, circuit breaker, retry budget); the gateway's
 * own fault answers 500 SY_INTERNAL. Error bodies carry a code, a fixed message and a request
 * id, never an upstream address or a client library's words.
 */
import type { SyRequest, SyResponse } from '@switchyard/core';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from './config.js';
import type { GatewayEvent } from './events.js';
import { ERROR_MESSAGES } from './error-body.js';
import { createGateway, responseCode } from './gateway.js';

function req(init: Partial<SyRequest> = {}): SyRequest {
  return { method: 'GET', scheme: 'http', authority: 'api.example.com', path: '/x', query: '', headers: {}, clientAddress: '198.51.100.7', attributes: {}, ...init };
}

const CONFIG: GatewayConfig = {
  routes: [
    {
      name: 'r',
      matches: [{ path: { type: 'PathPrefix', value: '/' } }],
      backends: [{ upstream: 'u' }],
      retry: { numRetries: 3, retryOn: ['5xx', 'connect-failure', 'reset', 'gateway-error'], budget: { ratio: 0.2, minRetriesPerSecond: 10 } },
      rewrite: { requestHeaders: { set: { 'x-tenant': '${headers.x-raw}' } } },
    },
  ],
  upstreams: {
    u: {
      endpoints: [
        { id: 'a', url: 'http://10.0.0.1:8080' },
        { id: 'b', url: 'http://10.0.0.2:8080' },
      ],
      balancer: { policy: 'round-robin' },
      outlierDetection: { consecutive5xx: 2, consecutiveGatewayFailure: 2, maxEjectionPercent: 100, intervalMs: 10, baseEjectionTimeMs: 30_000 },
      circuitBreaker: { policy: { kind: 'consecutive', maxFailures: 2 }, minOpenMs: 60_000 },
    },
  },
};

function setup(config: GatewayConfig = CONFIG, exposeErrorDetails?: boolean) {
  const clock = createTestClock();
  const transport = createMockTransport({ clock });
  const gateway = createGateway(config, { transport, clock, rng: seededRng(7), ...(exposeErrorDetails === undefined ? {} : { exposeErrorDetails }) });
  const events: GatewayEvent[] = [];
  gateway.subscribe((e) => events.push(e));
  const send = async (r: SyRequest): Promise<SyResponse> => {
    let out: SyResponse | undefined;
    void gateway.handle(r).then((x) => (out = x));
    for (let t = 0; out === undefined && t <= 60_000; t += 5) await clock.advanceAsync(5);
    if (out === undefined) throw new Error('no response');
    return out;
  };
  const upstream = () => gateway.plan().upstreams.get('u')!;
  /** Nothing blames an endpoint: breaker closed, nobody ejected, both endpoints eligible. */
  const nobodyBlamed = () => {
    expect(upstream().breaker?.status(clock.now())).toBe('closed');
    expect(upstream().outlier?.isEjected('a')).toBe(false);
    expect(upstream().outlier?.isEjected('b')).toBe(false);
    expect(events.some((e) => e.kind === 'health')).toBe(false);
  };
  return { clock, transport, gateway, events, send, nobodyBlamed };
}

const body = (r: SyResponse) => JSON.parse(r.body as string) as Record<string, unknown>;

describe('gateway - client faults', () => {
  it('a templated header the client made unsendable: 400 SY_BAD_REQUEST, never sent, nobody blamed', async () => {
    const t = setup();
    for (let i = 0; i < 20; i++) {
      const r = await t.send(req({ headers: { 'x-raw': 'a\u0001b' } }));
      expect(r.status).toBe(400);
      expect(responseCode(r)).toBe('SY_BAD_REQUEST');
    }
    expect(t.transport.requests).toHaveLength(0);
    t.nobodyBlamed();
    expect((await t.send(req())).status).toBe(200);
  });

  it('a transport that finds the request unsendable (invalid-request): 400, never retried, nobody blamed, no retry budget spent', async () => {
    const t = setup();
    t.transport.respondWith(() => ({ error: 'invalid-request', message: 'the upstream request header x-a cannot be sent: control character' }));
    for (let i = 0; i < 20; i++) expect((await t.send(req())).status).toBe(400);
    expect(t.transport.requests).toHaveLength(20); // one try each: never retried on the other endpoint
    expect(t.events.some((e) => e.kind === 'upstream' && (e.event.kind === 'retry' || e.event.kind === 'retry-budget-exhausted'))).toBe(false);
    t.nobodyBlamed();
    t.transport.respondWith(() => ({ status: 200 }));
    expect((await t.send(req())).status).toBe(200);
  });

  it("the gateway's own fault (local): 500 SY_INTERNAL, never retried, nobody blamed", async () => {
    const t = setup();
    t.transport.respondWith(() => ({ error: 'local', message: 'undici refused the request to http://10.0.0.1:8080: boom' }));
    for (let i = 0; i < 20; i++) {
      const r = await t.send(req());
      expect(r.status).toBe(500);
      expect(body(r)).toMatchObject({ error: 'SY_INTERNAL', message: ERROR_MESSAGES.SY_INTERNAL });
    }
    expect(t.transport.requests).toHaveLength(20);
    t.nobodyBlamed();
  });

  it('a transport that throws: 500 SY_INTERNAL, not an upstream reset, nobody blamed', async () => {
    const t = setup();
    let calls = 0;
    const gateway = createGateway(CONFIG, {
      transport: {
        send: () => {
          calls++;
          throw new Error('bug at 10.0.0.1');
        },
      },
      clock: t.clock,
      rng: seededRng(1),
    });
    for (let i = 0; i < 5; i++) {
      const r = await gateway.handle(req());
      expect(r.status).toBe(500);
      expect(responseCode(r)).toBe('SY_INTERNAL');
      expect(r.body as string).not.toMatch(/10\.0\.0\.1|bug/);
    }
    expect(calls).toBe(5);
    expect(gateway.plan().upstreams.get('u')!.breaker?.status(t.clock.now())).toBe('closed');
  });

  it('a slow invalid-request outcome is not latency: peak-ewma keeps sending to that endpoint', async () => {
    const config: GatewayConfig = { ...CONFIG, upstreams: { u: { ...CONFIG.upstreams['u']!, balancer: { policy: 'peak-ewma' } } } };
    const t = setup(config);
    // Endpoint a is "slow" only for the requests the client made unsendable.
    t.transport.respondWith((r, e) => (e.id === 'a' && r.headers['x-bad'] !== undefined ? { error: 'invalid-request', delayMs: 10_000 } : { status: 200, delayMs: 2 }));
    for (let i = 0; i < 10; i++) await t.send(req({ headers: { 'x-bad': '1' } }));
    const before = t.transport.requests.length;
    for (let i = 0; i < 40; i++) expect((await t.send(req())).status).toBe(200);
    const ids = new Set(t.transport.requests.slice(before).map((r) => r.endpoint.id));
    expect(ids).toEqual(new Set(['a', 'b']));
  });

  it('for contrast, upstream failures still count: connect errors are retried and open the breaker', async () => {
    const t = setup();
    t.transport.respondWith(() => ({ error: 'connect', message: 'connect ECONNREFUSED 10.0.0.1:8080' }));
    const r = await t.send(req());
    expect(r.status).toBe(502);
    expect(t.transport.requests.length).toBeGreaterThan(1);
    await t.send(req());
    expect(t.gateway.plan().upstreams.get('u')!.breaker?.status(t.clock.now())).toBe('open');
  });
});

describe('gateway - error bodies', () => {
  it('carry the code, a fixed message and a request id; never the upstream address or the client library message', async () => {
    const t = setup();
    t.transport.respondWith(() => ({ error: 'connect', message: 'cannot connect to http://10.0.0.1:8080: connect ECONNREFUSED 10.0.0.1:8080' }));
    const r = await t.send(req());
    expect(r.status).toBe(502);
    const b = body(r);
    expect(Object.keys(b).sort()).toEqual(['error', 'message', 'requestId']);
    expect(b).toMatchObject({ error: 'SY_UPSTREAM_CONNECT', message: ERROR_MESSAGES.SY_UPSTREAM_CONNECT });
    expect(b['requestId']).toMatch(/^[0-9a-f]{32}$/);
    expect(r.body as string).not.toMatch(/10\.0\.0|ECONNREFUSED/);
    expect(responseCode(r)).toBe('SY_UPSTREAM_CONNECT');
  });

  it('echo a sane x-request-id, and replace one that is not', async () => {
    const t2 = setup({ routes: [], upstreams: {} });
    const given = await t2.send(req({ headers: { 'x-request-id': '0f8fad5b-d9cb-469f-a165-70867728950e' } }));
    expect(given.status).toBe(404);
    expect(body(given)['requestId']).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
    for (const bad of ['<script>', 'a b', 'x'.repeat(129), '', '\u00e9']) {
      const r = await t2.send(req({ headers: { 'x-request-id': bad } }));
      expect(body(r)['requestId']).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it('the router and rewriter rejections name no client bytes either (decide, handle and acquire)', async () => {
    const t = setup();
    const hostile = req({ headers: { 'x-raw': '<img src=x>\u0001' } });
    const handled = await t.send(hostile);
    const decided = await t.gateway.decide(hostile);
    const acquired = await t.gateway.acquire(hostile);
    expect(decided.kind).toBe('continue'); // decide does not rewrite
    expect(acquired.kind).toBe('respond');
    for (const r of [handled, acquired.kind === 'respond' ? acquired.response : handled]) {
      expect(r.status).toBe(400);
      expect(responseCode(r)).toBe('SY_BAD_REQUEST');
      expect(r.body as string).not.toMatch(/img|\\u0001/);
      expect(body(r)['message']).toBe(ERROR_MESSAGES.SY_BAD_REQUEST);
    }
    const noRoute = await setup({ routes: [], upstreams: {} }).gateway.decide(req());
    expect(noRoute.kind === 'respond' && responseCode(noRoute.response)).toBe('SY_NO_ROUTE');
    expect(noRoute.kind === 'respond' && body(noRoute.response)).toMatchObject({ error: 'SY_NO_ROUTE', message: ERROR_MESSAGES.SY_NO_ROUTE });
  });

  it('exposeErrorDetails adds the internal message as detail (debug only)', async () => {
    const t = setup(CONFIG, true);
    t.transport.respondWith(() => ({ error: 'connect', message: 'connect ECONNREFUSED 10.0.0.1:8080' }));
    const b = body(await t.send(req()));
    expect(b['message']).toBe(ERROR_MESSAGES.SY_UPSTREAM_CONNECT);
    expect(b['detail']).toBe('connect ECONNREFUSED 10.0.0.1:8080');
  });

  it('every fixed message is JSON-safe as written (no quote, no backslash)', () => {
    for (const m of Object.values(ERROR_MESSAGES)) expect(m).not.toMatch(/["\\]/);
  });

  it('a spread copy of an error response keeps its body', async () => {
    const t = setup({ routes: [], upstreams: {} });
    const r = await t.send(req());
    const copy = { ...r, headers: { ...r.headers, 'x-extra': '1' } };
    expect(JSON.parse(copy.body as string)).toMatchObject({ error: 'SY_NO_ROUTE' });
  });
});
