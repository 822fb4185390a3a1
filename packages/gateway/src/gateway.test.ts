import { xxhash64 } from '@switchyard/balancers';
import type { SyRequest, SyResponse } from '@switchyard/core';
import { createMemoryStore } from '@switchyard/limiter';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from './config.js';
import type { GatewayEvent } from './events.js';
import { createGateway } from './gateway.js';

function req(path: string, init: Partial<SyRequest> = {}): SyRequest {
  const q = path.indexOf('?');
  return {
    method: 'GET',
    scheme: 'http',
    authority: 'api.example.com',
    path: q < 0 ? path : path.slice(0, q),
    query: q < 0 ? '' : path.slice(q + 1),
    headers: {},
    clientAddress: '198.51.100.7',
    attributes: {},
    ...init,
  };
}

async function text(res: SyResponse): Promise<string> {
  const b = res.body;
  if (b === null) return '';
  if (typeof b === 'string') return b;
  if (b instanceof Uint8Array) return new TextDecoder().decode(b);
  let s = '';
  for await (const c of b) s += new TextDecoder().decode(c);
  return s;
}

const ORDERS: GatewayConfig = {
  routes: [
    {
      name: 'orders',
      matches: [{ path: { type: 'Template', value: '/api/v2/orders/:id' } }],
      backends: [{ upstream: 'orders' }],
      rewrite: { path: { type: 'Template', template: '/orders/${params.id}' } },
    },
  ],
  upstreams: { orders: { endpoints: [{ id: 'o1', url: 'http://10.0.0.1:8080' }, { id: 'o2', url: 'http://10.0.0.2:8080' }] } },
};

function setup(config: GatewayConfig, seed = 1) {
  const clock = createTestClock();
  const transport = createMockTransport({ clock });
  const gateway = createGateway(config, { transport, clock, rng: seededRng(seed) });
  const events: GatewayEvent[] = [];
  gateway.subscribe((e) => events.push(e));
  /** Sends a request and lets the fake clock run until it is answered. */
  const send = async (r: SyRequest, stepMs = 1, maxMs = 60_000): Promise<SyResponse> => {
    let out: SyResponse | undefined;
    void gateway.handle(r).then((x) => (out = x));
    for (let t = 0; out === undefined && t <= maxMs; t += stepMs) await clock.advanceAsync(stepMs);
    if (out === undefined) throw new Error('no response');
    return out;
  };
  return { clock, transport, gateway, events, send };
}

describe('gateway: routing and rewriting', () => {
  it('routes, rewrites the path onto the picked endpoint and passes the response through', async () => {
    const t = setup(ORDERS);
    t.transport.respondWith(() => ({ status: 200, headers: { 'content-type': 'text/plain', connection: 'close' }, body: 'order 42' }));
    const res = await t.send(req('/api/v2/orders/42'));
    expect(res.status).toBe(200);
    expect(await text(res)).toBe('order 42');
    expect(t.transport.requests[0]?.request.path).toBe('/orders/42');
    expect(['o1', 'o2']).toContain(t.transport.requests[0]?.endpoint.id);
    // Hop-by-hop headers never travel back to the client.
    expect(res.headers['connection']).toBeUndefined();
  });

  it('answers 404 with SY_NO_ROUTE, and 400 for a path that cannot be normalized safely', async () => {
    const t = setup(ORDERS);
    const missing = await t.send(req('/nope'));
    expect(missing.status).toBe(404);
    expect(JSON.parse(await text(missing))).toMatchObject({ error: 'SY_NO_ROUTE' });
    const bad = await t.send(req('/api/v2/orders/%2e%2e%2Fadmin'));
    expect(bad.status).toBe(400);
    expect(t.transport.requests).toHaveLength(0);
  });

  it('never lets a path parameter escape the upstream path', async () => {
    const t = setup(ORDERS);
    const res = await t.send(req('/api/v2/orders/..%5c..%5cadmin'));
    if (res.status === 200) expect(t.transport.requests[0]?.request.path.startsWith('/orders/')).toBe(true);
    else expect(res.status).toBe(400);
  });

  it('answers a redirect route without touching an upstream', async () => {
    const t = setup({
      routes: [{ name: 'old', matches: [{ path: { type: 'PathPrefix', value: '/old' } }], redirect: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' }, statusCode: 301 } }],
      upstreams: {},
    });
    const res = await t.send(req('/old/page'));
    expect(res.status).toBe(301);
    expect(res.headers['location']).toMatch(/\/new\/page$/);
  });
});

describe('gateway: limits', () => {
  const limited: GatewayConfig = {
    ...ORDERS,
    routes: [{ ...(ORDERS.routes[0] as NonNullable<GatewayConfig['routes'][0]>), limits: ['per-key'] }],
    limits: {
      'per-key': {
        key: { apiKey: 'x-api-key' },
        tiers: { policies: { free: { maxTokens: 2, fillIntervalMs: 1_000 }, pro: { maxTokens: 5, fillIntervalMs: 1_000 } }, attribute: 'tier', default: 'free' },
      },
    },
  };

  it('decideNow answers synchronously with in-memory limits, the same decisions and counts as decide', () => {
    const t = setup({ ...limited, rateLimitHeaders: 'legacy' });
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const d = t.gateway.decideNow(req('/api/v2/orders/1', { headers: { 'x-api-key': 'k9' } }));
      expect(d).not.toBeInstanceOf(Promise);
      const x = d as Exclude<typeof d, Promise<unknown>>;
      seen.push(x.kind === 'continue' ? `continue ${x.route} remaining=${x.headers['x-ratelimit-remaining'] ?? ''}` : `respond ${x.response.status}`);
    }
    expect(seen).toEqual(['continue orders remaining=1', 'continue orders remaining=0', 'respond 429']);
    const none = t.gateway.decideNow(req('/elsewhere'));
    expect(!(none instanceof Promise) && none.kind === 'respond' && none.response.status).toBe(404);
  });

  it('decideNow hands back a promise when a stage must wait: a store without takeSync, a fault delay', async () => {
    const clock = createTestClock();
    const memory = createMemoryStore();
    const remote = createGateway(limited, { transport: createMockTransport({ clock }), clock, rng: seededRng(1), store: { scope: 'local', take: (r) => memory.take(r) } });
    const pending = remote.decideNow(req('/api/v2/orders/1', { headers: { 'x-api-key': 'k1' } }));
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toMatchObject({ kind: 'continue', route: 'orders' });

    const delayed = setup({ ...limited, routes: [{ ...(limited.routes[0] as NonNullable<GatewayConfig['routes'][0]>), fault: { delay: { fixedDelayMs: 50, percent: 100 } } }] });
    let out: unknown;
    const d = delayed.gateway.decideNow(req('/api/v2/orders/1', { headers: { 'x-api-key': 'k1' } }));
    expect(d).toBeInstanceOf(Promise);
    void (d as Promise<unknown>).then((x) => (out = x));
    await delayed.clock.advanceAsync(49);
    expect(out).toBeUndefined();
    await delayed.clock.advanceAsync(1);
    expect(out).toMatchObject({ kind: 'continue', route: 'orders' });
  });

  it('a delayed request is counted when its delay ends, at the clock of that moment', async () => {
    // One token a second; requests carrying x-chaos are delayed 1 s (Envoy's fault filter runs
    // before the rate limit filter). The delayed request arrives at t=0 and takes the only token
    // when its delay ends at t=1000, so a plain request at t=1000 finds the bucket empty. Counting
    // the delayed one at its arrival time would have let the bucket refill by t=1000.
    const t = setup({
      ...limited,
      routes: [{ ...(limited.routes[0] as NonNullable<GatewayConfig['routes'][0]>), fault: { delay: { fixedDelayMs: 1_000, percent: 100 }, headers: { 'x-chaos': 'yes' } } }],
      limits: { 'per-key': { key: { apiKey: 'x-api-key' }, policy: { maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 1_000 } } },
    });
    const delayed = t.gateway.decideNow(req('/api/v2/orders/1', { headers: { 'x-api-key': 'k1', 'x-chaos': 'yes' } }));
    let first: Awaited<typeof delayed> | undefined;
    void Promise.resolve(delayed).then((x) => (first = x));
    await t.clock.advanceAsync(1_000);
    expect(first?.kind).toBe('continue');
    const second = t.gateway.decideNow(req('/api/v2/orders/1', { headers: { 'x-api-key': 'k1' } }));
    expect(!(second instanceof Promise) && second.kind === 'respond' && second.response.status).toBe(429);
  });

  it('decideNow never throws: a failing limiter key becomes a rejected promise', async () => {
    const t = setup({ ...limited, limits: { 'per-key': { key: { attribute: 'user' }, policy: { maxTokens: 1, fillIntervalMs: 1_000 } } } });
    const broken = { ...req('/api/v2/orders/1'), attributes: new Proxy({}, { get: () => { throw new Error('attribute read failed'); }, ownKeys: () => { throw new Error('attribute read failed'); } }) };
    let result: unknown;
    expect(() => (result = t.gateway.decideNow(broken))).not.toThrow();
    expect(result).toBeInstanceOf(Promise);
    await expect(result).rejects.toThrow('attribute read failed');
  });

  it('rateLimitHeaders picks the header set: legacy by default (as @fastify/rate-limit and express-rate-limit), both, ietf or none; 429 keeps Retry-After', async () => {
    const names = async (style?: GatewayConfig['rateLimitHeaders']) => {
      const t = setup(style === undefined ? limited : { ...limited, rateLimitHeaders: style });
      const ok = await t.send(req('/api/v2/orders/1', { headers: { 'x-api-key': 'k1' } }));
      await t.send(req('/api/v2/orders/1', { headers: { 'x-api-key': 'k1' } }));
      const refused = await t.send(req('/api/v2/orders/1', { headers: { 'x-api-key': 'k1' } }));
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      return Object.keys(ok.headers).filter((h) => h.includes('ratelimit')).sort();
    };
    expect(await names()).toEqual(['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
    expect(await names('both')).toEqual(['ratelimit', 'ratelimit-policy', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
    expect(await names('ietf')).toEqual(['ratelimit', 'ratelimit-policy']);
    expect(await names('legacy')).toEqual(['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
    expect(await names('none')).toEqual([]);
    expect(() => setup({ ...limited, rateLimitHeaders: 'draft' as never })).toThrow(/rateLimitHeaders: must be 'both', 'ietf', 'legacy' or 'none'/);
  });

  it('answers 429 with Retry-After in seconds and RateLimit headers, per tier', async () => {
    const t = setup({ ...limited, rateLimitHeaders: 'both' });
    const free = (): SyRequest => req('/api/v2/orders/1', { headers: { 'x-api-key': 'k1' } });
    expect((await t.send(free())).status).toBe(200);
    const second = await t.send(free());
    expect(second.status).toBe(200);
    expect(second.headers['ratelimit'] ?? second.headers['x-ratelimit-remaining']).toBeDefined();
    const third = await t.send(free());
    expect(third.status).toBe(429);
    expect(third.headers['retry-after']).toMatch(/^\d+$/);
    expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // A pro key has its own, larger bucket.
    const pro = req('/api/v2/orders/1', { headers: { 'x-api-key': 'k2' }, attributes: { tier: 'pro' } });
    for (let i = 0; i < 5; i++) expect((await t.send(pro)).status).toBe(200);
    expect((await t.send(pro)).status).toBe(429);
    expect(t.events.filter((e) => e.kind === 'limited')).toHaveLength(2);
  });
});

describe('gateway: splits, experiments and rollouts', () => {
  const split: GatewayConfig = {
    routes: [
      {
        name: 'catalog',
        matches: [{ path: { type: 'PathPrefix', value: '/catalog' } }],
        backends: [
          { name: 'v1', upstream: 'catalog', subset: { version: 'v1' }, weight: 90 },
          { name: 'v2', upstream: 'catalog', subset: { version: 'v2' }, weight: 10 },
        ],
        split: { key: { header: 'x-user-id' }, canary: [{ backend: 'v2', when: { header: 'x-stage', value: 'canary' } }] },
        experiment: { name: 'layout', variants: [{ name: 'a' }, { name: 'b' }], key: { header: 'x-user-id' } },
      },
    ],
    upstreams: {
      catalog: {
        endpoints: [
          { id: 'v1a', url: 'http://10.0.1.1:80', metadata: { version: 'v1' } },
          { id: 'v2a', url: 'http://10.0.2.1:80', metadata: { version: 'v2' } },
        ],
      },
    },
  };

  it('keeps a user on one version, honours canary opt-in, and tags the experiment variant', async () => {
    const t = setup(split);
    const seen = new Map<string, string>();
    for (let i = 0; i < 400; i++) {
      const user = `user-${i % 200}`;
      const res = await t.send(req('/catalog/x', { headers: { 'x-user-id': user } }));
      expect(res.headers['x-experiment']).toMatch(/^layout-(a|b)$/);
      const endpoint = t.transport.requests.at(-1)?.endpoint.id as string;
      if (seen.has(user)) expect(endpoint).toBe(seen.get(user));
      seen.set(user, endpoint);
    }
    const v2 = [...seen.values()].filter((e) => e === 'v2a').length;
    // 10 % of 200 users: binomial mean 20, sd 4.2.
    expect(v2).toBeGreaterThan(5);
    expect(v2).toBeLessThan(40);
    await t.send(req('/catalog/x', { headers: { 'x-user-id': 'user-0', 'x-stage': 'canary' } }));
    expect(t.transport.requests.at(-1)?.endpoint.id).toBe('v2a');
  });

  it('decide-only mode returns the route, backend, variant and headers without forwarding', async () => {
    const t = setup(split);
    const d = await t.gateway.decide(req('/catalog/x', { headers: { 'x-user-id': 'u1', 'x-stage': 'canary' } }));
    expect(d).toMatchObject({ kind: 'continue', route: 'catalog', backend: 'v2' });
    if (d.kind === 'continue') {
      expect(d.headers['x-experiment']).toMatch(/^layout-/);
      expect(d.request.attributes['backend']).toBe('v2');
    }
    expect(t.transport.requests).toHaveLength(0);
    const none = await t.gateway.decide(req('/elsewhere'));
    expect(none.kind === 'respond' && none.response.status).toBe(404);
  });

  it('a healthy rollout promotes step by step on the clock and shifts the split', async () => {
    const t = setup({
      ...split,
      routes: [
        {
          ...(split.routes[0] as NonNullable<GatewayConfig['routes'][0]>),
          experiment: undefined as never,
          rollout: { name: 'v2', canary: 'v2', baseline: 'v1', steps: [10, 50, 100], bakeTimeMs: 10_000, analysisIntervalMs: 10_000, minRequests: 10, minLatencySamples: 10 },
        },
      ],
    } as GatewayConfig);
    t.transport.respondWith(() => ({ status: 200, delayMs: 5 }));
    t.gateway.start();
    const shares: number[] = [];
    for (let phase = 0; phase < 3; phase++) {
      let v2 = 0;
      for (let i = 0; i < 200; i++) {
        await t.send(req('/catalog/x', { headers: { 'x-user-id': `u${i}` } }), 5);
        if (t.transport.requests.at(-1)?.endpoint.id === 'v2a') v2++;
      }
      shares.push(v2 / 200);
      await t.clock.advanceAsync(10_000);
    }
    const rollout = t.events.filter((e) => e.kind === 'rollout').map((e) => (e.kind === 'rollout' ? e.event.type : ''));
    expect(rollout).toContain('promoted');
    expect(shares[1]).toBeGreaterThan(shares[0] as number);
    expect(await t.gateway.stop()).toBeUndefined();
  });

  it('a canary that fails rolls back to 0 %', async () => {
    const t = setup({
      ...split,
      routes: [
        {
          ...(split.routes[0] as NonNullable<GatewayConfig['routes'][0]>),
          experiment: undefined as never,
          rollout: { name: 'v2', canary: 'v2', baseline: 'v1', steps: [50, 100], bakeTimeMs: 10_000, analysisIntervalMs: 10_000, minRequests: 20 },
        },
      ],
    } as GatewayConfig);
    t.transport.respondWith((_r, e) => (e.id === 'v2a' ? { status: 503 } : { status: 200 }));
    t.gateway.start();
    for (let i = 0; i < 200; i++) await t.send(req('/catalog/x', { headers: { 'x-user-id': `u${i}` } }));
    await t.clock.advanceAsync(10_000);
    const types = t.events.flatMap((e) => (e.kind === 'rollout' ? [e.event.type] : []));
    expect(types).toContain('rolled-back');
    const before = t.transport.requests.length;
    for (let i = 0; i < 50; i++) await t.send(req('/catalog/x', { headers: { 'x-user-id': `u${i}` } }));
    expect(t.transport.requests.slice(before).every((r) => r.endpoint.id === 'v1a')).toBe(true);
  });
});

describe('gateway: the upstream lifecycle', () => {
  const resilient = (over: Partial<NonNullable<GatewayConfig['routes'][0]>> = {}, upstream: Partial<GatewayConfig['upstreams'][string]> = {}): GatewayConfig => ({
    routes: [{ name: 'r', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'u' }], ...over }],
    upstreams: {
      u: {
        endpoints: [
          { id: 'a', url: 'http://10.0.0.1:80' },
          { id: 'b', url: 'http://10.0.0.2:80' },
          { id: 'c', url: 'http://10.0.0.3:80' },
        ],
        ...upstream,
      },
    },
  });

  it('hashing balancers key on the configured hash policies: a user sticks to one endpoint', async () => {
    const t = setup(resilient({}, { balancer: { policy: 'maglev', hashPolicies: [{ kind: 'header', name: 'x-user' }] } }));
    const endpointFor = async (user: string): Promise<string | undefined> => {
      await t.send(req('/x', { headers: { 'x-user': user } }));
      return t.transport.requests.at(-1)?.endpoint.id;
    };
    const first = new Map<string, string | undefined>();
    for (let i = 0; i < 30; i++) first.set(`u${i}`, await endpointFor(`u${i}`));
    for (let i = 0; i < 30; i++) expect(await endpointFor(`u${i}`)).toBe(first.get(`u${i}`));
    expect(new Set(first.values()).size).toBe(3);
  });

  it("compatibility: 'envoy' sends a key where an Envoy sidecar with the same maglev config and hash_policy sends it", async () => {
    const ports = [90, 91, 92, 93, 94, 95];
    const t = setup({
      routes: [{ name: 'r', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'u' }] }],
      upstreams: {
        u: {
          endpoints: ports.map((p) => ({ id: `e${p}`, url: `http://127.0.0.1:${p}` })),
          balancer: { policy: 'maglev', compatibility: 'envoy', tableSize: 7, hashPolicies: [{ kind: 'header', name: 'x-user' }] },
        },
      },
    });
    // Envoy's table for these six hosts at size 7 (maglev_lb_test.cc, MaglevLoadBalancerTest.Basic).
    const envoyTable = [2, 4, 0, 1, 5, 0, 3];
    for (let i = 0; i < 30; i++) {
      await t.send(req('/x', { headers: { 'x-user': `u${i}` } }));
      expect(t.transport.requests.at(-1)?.endpoint.id).toBe(`e${ports[envoyTable[Number(xxhash64(`u${i}`) % 7n)] as number]}`);
    }
  });

  it('retries a 503 on another endpoint', async () => {
    const t = setup(resilient({ retry: { numRetries: 2 } }));
    t.transport.enqueue({ status: 503 }, { status: 200, body: 'ok' });
    const res = await t.send(req('/x'));
    expect(res.status).toBe(200);
    expect(new Set(t.transport.requests.map((r) => r.endpoint.id)).size).toBe(2);
  });

  it('answers 504 SY_DEADLINE_EXCEEDED at the route timeout, even with retries left', async () => {
    const t = setup(resilient({ timeoutMs: 300, retry: { numRetries: 3 } }));
    t.transport.respondWith(() => ({ hang: true }));
    const res = await t.send(req('/x'));
    expect(res.status).toBe(504);
    expect(JSON.parse(await text(res))).toMatchObject({ error: 'SY_DEADLINE_EXCEEDED' });
    expect(t.transport.requests.every((r) => r.aborted())).toBe(true);
  });

  it('stops retrying when the retry budget is exhausted', async () => {
    const t = setup(resilient({ retry: { numRetries: 1, budget: { ratio: 0.1, minRetriesPerSecond: 0 } } }));
    t.transport.respondWith(() => ({ status: 503 }));
    for (let i = 0; i < 30; i++) await t.send(req('/x'));
    const retries = t.transport.requests.length - 30;
    // ratio 0.1 ⇒ one retry per ten requests at most.
    expect(retries).toBeLessThanOrEqual(3);
    expect(t.events.some((e) => e.kind === 'upstream' && e.event.kind === 'retry-budget-exhausted')).toBe(true);
  });

  it('hedges on per-try timeout and cancels the loser', async () => {
    const t = setup(resilient({ perTryTimeoutMs: 50, timeoutMs: 1_000, retry: { numRetries: 1 }, hedge: { onPerTryTimeout: true } }));
    let first = true;
    t.transport.respondWith(() => {
      const reply = first ? { status: 200, body: 'slow', delayMs: 500 } : { status: 200, body: 'fast', delayMs: 10 };
      first = false;
      return reply;
    });
    const res = await t.send(req('/x'));
    expect(await text(res)).toBe('fast');
    expect(t.transport.requests).toHaveLength(2);
    expect(t.transport.requests[0]?.aborted()).toBe(true);
    expect(t.transport.requests[1]?.aborted()).toBe(false);
  });

  it('a failing mirror never touches the primary response', async () => {
    const config = resilient({ mirror: { upstream: 'shadow' } });
    const t = setup({ ...config, upstreams: { ...config.upstreams, shadow: { endpoints: [{ id: 's', url: 'http://10.9.0.1:80' }] } } });
    t.transport.enqueueFor('s', { error: 'reset' });
    t.transport.respondWith(() => ({ status: 201, body: 'primary', delayMs: 3 }));
    const res = await t.send(req('/x'));
    expect(res.status).toBe(201);
    expect(await text(res)).toBe('primary');
    expect(t.transport.requests.map((r) => r.endpoint.id).filter((id) => id === 's')).toEqual(['s']);
    expect(t.transport.requests).toHaveLength(2);
  });

  it('ejects an endpoint that keeps failing and stops sending it traffic', async () => {
    const t = setup(resilient({}, { outlierDetection: { consecutive5xx: 3, maxEjectionPercent: 50, intervalMs: 1_000, baseEjectionTimeMs: 30_000 }, balancer: { policy: 'round-robin' } }));
    t.transport.respondWith((_r, e) => (e.id === 'b' ? { status: 500 } : { status: 200 }));
    for (let i = 0; i < 30; i++) await t.send(req('/x'));
    expect(t.events.some((e) => e.kind === 'health' && e.event.kind === 'ejected' && e.event.endpointId === 'b')).toBe(true);
    const before = t.transport.requests.length;
    for (let i = 0; i < 20; i++) await t.send(req('/x'));
    expect(t.transport.requests.slice(before).some((r) => r.endpoint.id === 'b')).toBe(false);
    expect(t.gateway.prometheus()).toMatch(/switchyard_outlier_events_total\{switchyard_upstream="u",switchyard_endpoint="b",switchyard_outlier_event="ejected"\} 1/);
  });

  it('answers 503 SY_CIRCUIT_OPEN once the breaker opens', async () => {
    const t = setup(resilient({}, { circuitBreaker: { policy: { kind: 'consecutive', maxFailures: 3 }, minOpenMs: 5_000 } }));
    t.transport.respondWith(() => ({ status: 502 }));
    for (let i = 0; i < 3; i++) expect((await t.send(req('/x'))).status).toBe(502);
    const open = await t.send(req('/x'));
    expect(open.status).toBe(503);
    expect(JSON.parse(await text(open))).toMatchObject({ error: 'SY_CIRCUIT_OPEN' });
    expect(open.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('answers 503 SY_OVERLOADED past maxRequests in flight', async () => {
    const t = setup(resilient({}, { resourceLimits: { maxRequests: 1 } }));
    t.transport.respondWith(() => ({ status: 200, delayMs: 100 }));
    const first = t.gateway.handle(req('/x'));
    await t.clock.advanceAsync(1);
    const second = await t.gateway.handle(req('/x'));
    expect(second.status).toBe(503);
    expect(second.headers['x-envoy-overloaded']).toBe('true');
    await t.clock.advanceAsync(200);
    expect((await first).status).toBe(200);
  });

  it('injects faults by percentage', async () => {
    const t = setup(resilient({ fault: { abort: { httpStatus: 418, percent: 100 } } }));
    const res = await t.send(req('/x'));
    expect(res.status).toBe(418);
    expect(t.transport.requests).toHaveLength(0);
  });
});

describe('gateway: reload', () => {
  it('swaps atomically: in-flight requests finish on their plan, endpoints that stay keep their state', async () => {
    const t = setup(ORDERS);
    t.transport.respondWith(() => ({ status: 200, delayMs: 100 }));
    const inflight = t.gateway.handle(req('/api/v2/orders/1'));
    await t.clock.advanceAsync(10);
    const oldUpstream = t.gateway.plan().upstreams.get('orders');
    t.gateway.reload({
      ...ORDERS,
      routes: [{ ...(ORDERS.routes[0] as NonNullable<GatewayConfig['routes'][0]>), rewrite: { path: { type: 'Template', template: '/v3/orders/${params.id}' } } }],
      upstreams: { orders: { endpoints: [{ id: 'o2', url: 'http://10.0.0.2:8080' }, { id: 'o3', url: 'http://10.0.0.3:8080' }] } },
    });
    // Same upstream policy: the runtime (and the state of o2) is reused.
    expect(t.gateway.plan().upstreams.get('orders')).toBe(oldUpstream);
    await t.clock.advanceAsync(100);
    expect((await inflight).status).toBe(200);
    expect(t.transport.requests[0]?.request.path).toBe('/orders/1');
    await t.send(req('/api/v2/orders/2'));
    expect(t.transport.requests[1]?.request.path).toBe('/v3/orders/2');
    expect(['o2', 'o3']).toContain(t.transport.requests[1]?.endpoint.id);
    expect(t.events.some((e) => e.kind === 'reload')).toBe(true);
  });

  it('keeps the current config when the new one is invalid', async () => {
    const t = setup(ORDERS);
    expect(() => t.gateway.reload({ ...ORDERS, routes: [{ name: 'x', backends: [{ upstream: 'missing' }] }] })).toThrow(/routes\[0\]\.backends\[0\]\.upstream: unknown upstream/);
    t.transport.respondWith(() => ({ status: 200 }));
    expect((await t.send(req('/api/v2/orders/9'))).status).toBe(200);
  });
});

describe('gateway: metrics', () => {
  it('exposes requests, latency and split weights as Prometheus text, in the OpenTelemetry HTTP semantic conventions', async () => {
    const t = setup(ORDERS);
    t.transport.respondWith(() => ({ status: 200, delayMs: 20 }));
    await t.send(req('/api/v2/orders/1'));
    await t.send(req('/missing'));
    await t.send(req('/api/v2/orders/2', { method: 'BREW' }));
    const text = t.gateway.prometheus();
    expect(text).toContain('# TYPE http_server_request_duration_seconds histogram');
    expect(text).toMatch(/http_server_request_duration_seconds_count\{http_request_method="GET",url_scheme="http",http_response_status_code="200",http_route="orders"\} 1/);
    expect(text).toMatch(/http_server_request_duration_seconds_bucket\{http_request_method="GET",url_scheme="http",http_response_status_code="200",http_route="orders",le="0.025"\} 1/);
    expect(text).toMatch(/http_server_request_duration_seconds_bucket\{http_request_method="GET",url_scheme="http",http_response_status_code="200",http_route="orders",le="0.01"\} 0/);
    // No route matched: no http.route attribute.
    expect(text).toMatch(/http_server_request_duration_seconds_count\{http_request_method="GET",url_scheme="http",http_response_status_code="404"\} 1/);
    // Unknown methods are folded into _OTHER (bounded cardinality).
    expect(text).toMatch(/http_server_request_duration_seconds_count\{http_request_method="_OTHER",url_scheme="http",http_response_status_code="200",http_route="orders"\} 1/);
    expect(text).toContain('# TYPE http_client_request_duration_seconds histogram');
    expect(text).toMatch(
      /http_client_request_duration_seconds_count\{http_request_method="GET",server_address="10\.0\.0\.[12]",server_port="8080",switchyard_upstream="orders",switchyard_endpoint="o[12]",switchyard_endpoint_version="",http_response_status_code="200"\} 1/,
    );
    expect(text).toMatch(/switchyard_split_weight_percent\{http_route="orders",switchyard_backend="orders"\} 100/);
    expect(text).not.toMatch(/^switchyard_requests_total|^switchyard_request_duration/m);
  });

  it('a 5xx answer carries error.type: the gateway\'s own code, or the upstream status', async () => {
    const t = setup(ORDERS);
    t.transport.respondWith(() => ({ error: 'connect' }));
    await t.send(req('/api/v2/orders/1'));
    t.transport.respondWith(() => ({ status: 503 }));
    await t.send(req('/api/v2/orders/1'));
    const text = t.gateway.prometheus();
    expect(text).toMatch(/http_server_request_duration_seconds_count\{[^}]*http_response_status_code="502",http_route="orders",error_type="SY_UPSTREAM_CONNECT"\} 1/);
    expect(text).toMatch(/http_server_request_duration_seconds_count\{[^}]*http_response_status_code="503",http_route="orders",error_type="503"\} 1/);
    expect(text).toMatch(/http_client_request_duration_seconds_count\{[^}]*switchyard_upstream="orders"[^}]*error_type="connect"\} 1/);
  });

  it('mirrors metrics to an OpenTelemetry-shaped meter', async () => {
    const recorded: string[] = [];
    const meter = {
      createCounter: (name: string) => ({ add: (v: number) => recorded.push(`${name}+${v}`) }),
      createHistogram: (name: string) => ({ record: () => recorded.push(`${name}#`) }),
    };
    const clock = createTestClock();
    const transport = createMockTransport({ clock }).respondWith(() => ({ status: 200 }));
    const gateway = createGateway(ORDERS, { transport, clock, rng: seededRng(1), meter });
    await gateway.handle(req('/api/v2/orders/1'));
    expect(recorded).toContain('http.server.request.duration#');
    expect(recorded).toContain('http.client.request.duration#');
  });
});
