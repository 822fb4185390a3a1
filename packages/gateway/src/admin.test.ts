import type { SyRequest, SyResponse } from '@switchyard/core';
import { createMockTransport, createTestClock, seededRng, type MockTransport, type TestClock } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, quantileMs, type DashboardSnapshot } from './admin.js';
import type { GatewayConfig } from './config.js';
import { createGateway, type Gateway } from './gateway.js';
import { LATENCY_BUCKETS_MS } from './metrics.js';

const SHOP: GatewayConfig = {
  routes: [
    {
      name: 'shop',
      matches: [{ path: { type: 'PathPrefix', value: '/shop' } }],
      backends: [
        { name: 'v1', upstream: 'shop', subset: { version: 'v1' }, weight: 80 },
        { name: 'v2', upstream: 'shop', subset: { version: 'v2' }, weight: 20 },
      ],
      retry: { numRetries: 0 },
    },
  ],
  upstreams: {
    shop: {
      endpoints: [
        { id: 'v1a', url: 'http://10.0.1.1:80', metadata: { version: 'v1' } },
        { id: 'v2a', url: 'http://10.0.2.1:80', metadata: { version: 'v2' } },
      ],
    },
  },
};

const get = (path: string, headers: Record<string, string> = {}, method = 'GET', query = ''): SyRequest => ({ method, scheme: 'http', authority: 'gw', path, query, headers, attributes: {} });

function setup(config: GatewayConfig = SHOP): { gateway: Gateway; clock: TestClock; transport: MockTransport } {
  const clock = createTestClock({ wallNow: 1_700_000_000_000 });
  const transport = createMockTransport({ clock });
  // v1 answers 200 in 20 ms, v2 500 in 60 ms.
  transport.respondWith((_r, e) => (e.id === 'v1a' ? { status: 200, delayMs: 20 } : { status: 500, delayMs: 60 }));
  return { gateway: createGateway(config, { transport, clock, rng: seededRng(7) }), clock, transport };
}

/** `n` requests, one every `everyMs` of the test clock (each done before the next). */
async function drive(t: { gateway: Gateway; clock: TestClock }, n: number, everyMs: number, path = '/shop/x', headers: Record<string, string> = {}): Promise<SyResponse[]> {
  const out: SyResponse[] = [];
  for (let i = 0; i < n; i++) {
    const pending = t.gateway.handle(get(path, { 'x-user-id': `u${i}`, ...headers }));
    await t.clock.advanceAsync(everyMs);
    out.push(await pending);
  }
  return out;
}

const sent = (transport: MockTransport, id: string): number => transport.requests.filter((r) => r.endpoint.id === id).length;
const route = (s: DashboardSnapshot, name: string) => s.routes.find((r) => r.name === name);

describe('gateway.admin() snapshot', () => {
  it('routes: request rate, success rate, p50/p99 per version and split weights over the window', async () => {
    const t = setup();
    const admin = t.gateway.admin({ windowMs: 10_000 });
    await drive(t, 50, 100);
    const s = admin.snapshot();
    const v1 = sent(t.transport, 'v1a');
    const v2 = sent(t.transport, 'v2a');
    expect(v1 + v2).toBe(50);
    expect(v2).toBeGreaterThan(0);
    expect(s.windowMs).toBe(5_000);
    const shop = route(s, 'shop');
    expect(shop?.requests).toEqual({ total: 50, window: 50, perSecond: 10 });
    expect(shop?.successRate).toBeCloseTo(v1 / 50, 10);
    expect(shop?.backends).toEqual([
      // All of v1 in the (10, 25] ms bucket: interpolated as histogram_quantile does.
      { name: 'v1', upstream: 'shop', versions: ['v1'], weightPercent: 80, requests: { total: v1, window: v1, perSecond: v1 / 5 }, successRate: 1, p50Ms: 17.5, p99Ms: 10 + 15 * 0.99 },
      // All of v2 in (50, 75]; every answer a 500.
      { name: 'v2', upstream: 'shop', versions: ['v2'], weightPercent: 20, requests: { total: v2, window: v2, perSecond: v2 / 5 }, successRate: 0, p50Ms: 62.5, p99Ms: 50 + 25 * 0.99 },
    ]);
    // The route's own latency is the whole request as the gateway answered it.
    expect(shop?.p50Ms).not.toBeNull();
  });

  it('the window slides on the injected clock: old traffic leaves it, totals stay', async () => {
    const t = setup();
    const admin = t.gateway.admin({ windowMs: 10_000 });
    await drive(t, 50, 100); // t = 0 … 5 s
    expect(route(admin.snapshot(), 'shop')?.requests.window).toBe(50);
    t.clock.advance(10_000); // t = 15 s: nothing for 10 s
    const quiet = admin.snapshot();
    expect(quiet.windowMs).toBe(10_000);
    expect(route(quiet, 'shop')).toMatchObject({ requests: { total: 50, window: 0, perSecond: 0 }, successRate: null, p50Ms: null, p99Ms: null });
    t.transport.respondWith(() => ({ status: 200, delayMs: 5 }));
    await drive(t, 20, 100); // t = 15 … 17 s
    const after = admin.snapshot();
    // Base: the newest sample at or before 17 s − 10 s, the one taken at 5 s.
    expect(after.windowMs).toBe(12_000);
    expect(route(after, 'shop')).toMatchObject({ requests: { total: 70, window: 20, perSecond: 20 / 12 }, successRate: 1 });
  });

  it('the first snapshot covers the time since admin() was called; samples are kept at most one per sampleIntervalMs', async () => {
    const t = setup();
    await drive(t, 10, 100); // before the dashboard existed: in the totals only
    const admin = t.gateway.admin({ windowMs: 60_000, sampleIntervalMs: 1_000 });
    expect(admin.snapshot()).toMatchObject({ windowMs: 0, routes: [{ name: 'shop', requests: { total: 10, window: 0, perSecond: null } }] });
    await drive(t, 10, 100);
    expect(route(admin.snapshot(), 'shop')?.requests).toEqual({ total: 20, window: 10, perSecond: 10 });
  });

  it('follows reloads: the routes and split weights of the config in force, totals kept for a route that stays', async () => {
    const t = setup();
    const admin = t.gateway.admin();
    await drive(t, 5, 100);
    const base = SHOP.routes[0] as NonNullable<GatewayConfig['routes'][0]>;
    t.gateway.reload({
      ...SHOP,
      routes: [
        { ...base, backends: [{ name: 'v1', upstream: 'shop', subset: { version: 'v1' }, weight: 1 }, { name: 'v2', upstream: 'shop', subset: { version: 'v2' }, weight: 3 }] },
        { name: 'other', matches: [{ path: { type: 'PathPrefix', value: '/other' } }], backends: [{ upstream: 'shop' }] },
      ],
    });
    const s = admin.snapshot();
    expect(s.routes.map((r) => r.name)).toEqual(['shop', 'other']);
    expect(route(s, 'shop')?.requests.total).toBe(5);
    expect(route(s, 'shop')?.backends.map((b) => b.weightPercent)).toEqual([25, 75]);
    expect(route(s, 'other')?.backends).toMatchObject([{ name: 'shop', versions: ['v1', 'v2'], weightPercent: 100 }]);
  });

  it('requests no route matched are a row of their own', async () => {
    const t = setup();
    const admin = t.gateway.admin();
    await t.gateway.handle(get('/nowhere'));
    t.clock.advance(1_000);
    expect(route(admin.snapshot(), null as unknown as string)).toMatchObject({ name: null, requests: { total: 1, window: 1 }, successRate: 1, backends: [] });
  });

  it('limiter rejections per rule, over the window', async () => {
    const t = setup({
      ...SHOP,
      routes: [{ ...(SHOP.routes[0] as NonNullable<GatewayConfig['routes'][0]>), limits: ['per-user'] }],
      limits: { 'per-user': { key: { header: 'x-user-id' }, policy: { maxTokens: 2, tokensPerFill: 2, fillIntervalMs: 60_000 } } },
    });
    const admin = t.gateway.admin({ windowMs: 10_000 });
    const answers = await drive(t, 10, 100, '/shop/x', { 'x-user-id': 'same' });
    const limitedCount = answers.filter((r) => r.status === 429).length;
    expect(limitedCount).toBe(8);
    const s = admin.snapshot();
    expect(s.limits).toEqual([{ route: 'shop', rule: 'per-user', source: 'limit', rejected: { total: 8, window: 8, perSecond: 8 } }]);
    // A 429 is not a failure of the route.
    expect(route(s, 'shop')?.requests.total).toBe(10);
  });

  it('rate-limit policy rejections are rows too (source: policy), by policy name', async () => {
    const t = setup({
      ...SHOP,
      policies: { 'per-header': { type: 'rate-limit', options: { by: { header: 'x-user-id' }, limit: 3, windowMs: 60_000 } } },
      routes: [{ ...(SHOP.routes[0] as NonNullable<GatewayConfig['routes'][0]>), policies: { inbound: ['per-header'] } }],
    });
    const admin = t.gateway.admin({ windowMs: 10_000 });
    const answers = await drive(t, 5, 100, '/shop/x', { 'x-user-id': 'same' });
    expect(answers.map((r) => r.status).filter((s) => s === 429)).toHaveLength(2);
    expect(admin.snapshot().limits).toEqual([{ route: 'shop', rule: 'per-header', source: 'policy', rejected: { total: 2, window: 2, perSecond: 4 } }]);
  });

  it('ejected endpoints and open breakers', async () => {
    const t = setup({
      ...SHOP,
      routes: [{ name: 'shop', matches: [{ path: { type: 'PathPrefix', value: '/shop' } }], backends: [{ upstream: 'shop' }], retry: { numRetries: 0 } }],
      upstreams: {
        shop: {
          ...(SHOP.upstreams['shop'] as NonNullable<GatewayConfig['upstreams'][string]>),
          outlierDetection: { consecutive5xx: 2, maxEjectionPercent: 50, intervalMs: 10_000, baseEjectionTimeMs: 30_000 },
          circuitBreaker: { policy: { kind: 'consecutive', maxFailures: 3 }, minOpenMs: 60_000, jitterRatio: 0 },
        },
      },
    });
    const admin = t.gateway.admin();
    expect(admin.snapshot()).toMatchObject({ ejected: [], breakers: [] });
    t.transport.respondWith((_r, e) => (e.id === 'v2a' ? { status: 500 } : { status: 200 }));
    await drive(t, 12, 10);
    const s = admin.snapshot();
    expect(s.ejected).toEqual([{ upstream: 'shop', endpoint: 'v2a', url: 'http://10.0.2.1:80', by: 'outlier', sinceMs: expect.any(Number) as number }]);
    // Everything to v1a from then on: the breaker saw its last failures before that.
    t.transport.respondWith(() => ({ status: 500 }));
    await drive(t, 3, 10);
    expect(admin.snapshot().breakers).toEqual([{ upstream: 'shop', status: 'open', retryInMs: expect.any(Number) as number }]);
    await drive(t, 1, 10);
    expect(admin.snapshot().refused).toContainEqual({ upstream: 'shop', reason: 'circuit-open', rejected: expect.objectContaining({ total: 1 }) as unknown });
  });
});

const ROLLOUT: GatewayConfig = {
  ...SHOP,
  routes: [
    {
      name: 'shop',
      matches: [{ path: { type: 'PathPrefix', value: '/shop' } }],
      backends: [
        { name: 'v1', upstream: 'shop', subset: { version: 'v1' } },
        { name: 'v2', upstream: 'shop', subset: { version: 'v2' } },
      ],
      split: { key: { header: 'x-user-id' } },
      retry: { numRetries: 0 },
      rollout: { name: 'shop-v2', canary: 'v2', baseline: 'v1', steps: [10, 50, 100], analysisIntervalMs: 10_000, minRequests: 5, minLatencySamples: 5 },
    },
  ],
};

describe('gateway.admin() rollouts and operations', () => {
  it('shows the phase, the weights and the last decisions with their reasons, newest first', async () => {
    const t = setup(ROLLOUT);
    t.transport.respondWith(() => ({ status: 200, delayMs: 5 }));
    t.gateway.start();
    const admin = t.gateway.admin();
    await drive(t, 200, 60); // 12 s: one analysis at 10 s
    const s = admin.snapshot();
    const r = s.rollouts[0];
    expect(r).toMatchObject({ route: 'shop', name: 'shop-v2', phase: 'progressing', weightPercent: 50, stepIndex: 1, failedChecks: 0, leader: true, storeAvailable: true });
    expect(r?.events.map((e) => `${e.type}:${e.fromPercent}->${e.toPercent}`)).toEqual(['promoted:10->50', 'started:0->10']);
    expect(r?.events[0]?.reason).toMatch(/./);
    expect(r?.reasons).toEqual(expect.arrayContaining([expect.any(String)]));
    expect(route(s, 'shop')?.backends.map((b) => [b.name, b.weightPercent])).toEqual([
      ['v1', 50],
      ['v2', 50],
    ]);
    await t.gateway.stop();
  });

  it('read-only by default: operations answer 403 SY_FORBIDDEN problem details', async () => {
    const t = setup(ROLLOUT);
    const admin = t.gateway.admin();
    expect(admin.operationsEnabled).toBe(false);
    const res = await admin(get('/admin/api/rollouts/shop/abort', { authorization: 'Bearer anything' }, 'POST'));
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res.body as string)).toMatchObject({ type: 'about:blank', title: 'Forbidden', status: 403, code: 'SY_FORBIDDEN' });
    expect(admin.snapshot().operations).toBe(false);
    expect(t.gateway.rollouts.status()[0]?.phase).toBe('progressing');
  });

  it('with a token: 401 SY_UNAUTHORIZED without it or with a wrong one, 405 on GET, then abort, retry and promote', async () => {
    const t = setup(ROLLOUT);
    const admin = t.gateway.admin({ operationsToken: 's3cret-token' });
    expect(admin.snapshot().operations).toBe(true);
    const post = (op: string, headers: Record<string, string>, query = '') => admin(get(`/ops/api/rollouts/shop/${op}`, headers, 'POST', query));
    for (const headers of [{}, { authorization: 'Bearer s3cret-tokeN' }, { authorization: 'Bearer s3cret-token-and-more' }, { authorization: 'Basic s3cret-token' }, { cookie: 'token=s3cret-token' }]) {
      const res = await post('abort', headers);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="switchyard-admin"');
      expect(JSON.parse(res.body as string)).toMatchObject({ status: 401, code: 'SY_UNAUTHORIZED' });
    }
    expect(t.gateway.rollouts.status()[0]?.phase).toBe('progressing');
    const viaGet = await admin(get('/ops/api/rollouts/shop/abort', { authorization: 'Bearer s3cret-token' }));
    expect(viaGet.status).toBe(405);
    expect(viaGet.headers['allow']).toBe('POST');
    const auth = { authorization: 'Bearer s3cret-token' };
    const aborted = await post('abort', auth, 'reason=pager%3A+checkout+errors');
    expect(aborted.status).toBe(200);
    expect(JSON.parse(aborted.body as string)).toMatchObject({ kind: 'done', event: { type: 'aborted' } });
    const s = admin.snapshot();
    expect(s.rollouts[0]).toMatchObject({ phase: 'aborted', weightPercent: 0 });
    expect(s.rollouts[0]?.events[0]?.reason).toContain('pager: checkout errors');
    expect(route(s, 'shop')?.backends.map((b) => b.weightPercent)).toEqual([100, 0]);
    // Not applicable in this phase: 409 with the reason.
    const again = await post('abort', auth);
    expect(again.status).toBe(409);
    expect((await post('retry', auth)).status).toBe(200);
    expect(admin.snapshot().rollouts[0]).toMatchObject({ phase: 'progressing', weightPercent: 10 });
    expect((await post('promote', auth, 'full=true')).status).toBe(200);
    expect(admin.snapshot().rollouts[0]).toMatchObject({ phase: 'succeeded', weightPercent: 100 });
    expect((await post('pause', auth)).status).toBe(404);
    expect((await admin(get('/ops/api/rollouts/nope/abort', auth, 'POST'))).status).toBe(409);
  });

  it('refuses an empty token rather than enabling operations for an empty header', () => {
    const t = setup();
    expect(() => t.gateway.admin({ operationsToken: '' })).toThrow(/operationsToken/);
  });
});

describe('gateway.admin() handler', () => {
  it('serves the page and the snapshot under any mount path', async () => {
    const t = setup();
    const admin = t.gateway.admin({ title: 'shop <prod>' });
    for (const path of ['/', '/admin', '/admin/', '/a/b/c/index.html']) {
      const res = await admin(get(path));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      const html = res.body as string;
      expect(html).toContain('<title>shop &lt;prod&gt; · dashboard</title>');
      // Self-contained: nothing loaded from anywhere.
      expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|https?:\/\//);
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['content-security-policy']).toContain("connect-src 'self'");
    }
    for (const path of ['/api/snapshot', '/admin/api/snapshot', '/x/y/api/snapshot']) {
      const res = await admin(get(path));
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body as string)).toMatchObject({ format: 'switchyard.dashboard/v1', at: 1_700_000_000_000 });
    }
    expect((await admin(get('/admin/api/snapshot', {}, 'HEAD'))).body).toBeNull();
    expect((await admin(get('/admin/api/other'))).status).toBe(404);
    const post = await admin(get('/admin/', {}, 'POST'));
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
  });

  it('the snapshot is plain JSON that round-trips', async () => {
    const t = setup();
    const admin = t.gateway.admin();
    await drive(t, 5, 100);
    const s = admin.snapshot();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});

describe('quantileMs (histogram_quantile)', () => {
  const counts = (pairs: Record<number, number>): number[] => {
    const out = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
    for (const [i, n] of Object.entries(pairs)) out[Number(i)] = n;
    return out;
  };
  it('interpolates linearly inside the bucket holding the rank, from 0 in the first bucket', () => {
    expect(quantileMs(0.5, counts({ 0: 10 }), 10)).toBe(2.5);
    expect(quantileMs(0.5, counts({ 0: 5, 2: 5 }), 10)).toBe(5);
    expect(quantileMs(0.9, counts({ 0: 5, 2: 5 }), 10)).toBeCloseTo(10 + 15 * 0.8, 10);
  });
  it('property - monotone in q, and inside the bucket that holds the rank', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(50), { minLength: LATENCY_BUCKETS_MS.length + 1, maxLength: LATENCY_BUCKETS_MS.length + 1 }), fc.double({ min: 0.001, max: 1, noNaN: true }), fc.double({ min: 0.001, max: 1, noNaN: true }), (c, a, b) => {
        const n = c.reduce((x, y) => x + y, 0);
        fc.pre(n > 0);
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const qlo = quantileMs(lo, c, n) as number;
        const qhi = quantileMs(hi, c, n) as number;
        expect(qlo).toBeLessThanOrEqual(qhi + 1e-9);
        // The rank's bucket: the first whose cumulative count reaches q × n.
        let cum = 0;
        let i = 0;
        while (cum + (c[i] as number) < hi * n || c[i] === 0) cum += c[i++] as number;
        const upper = LATENCY_BUCKETS_MS[Math.min(i, LATENCY_BUCKETS_MS.length - 1)] as number;
        const lower = i === 0 ? 0 : (LATENCY_BUCKETS_MS[Math.min(i - 1, LATENCY_BUCKETS_MS.length - 1)] as number);
        expect(qhi).toBeGreaterThanOrEqual(lower - 1e-9);
        expect(qhi).toBeLessThanOrEqual(upper + 1e-9);
      }),
    );
  });
  it('in the overflow bucket, the highest bound; nothing observed, null', () => {
    expect(quantileMs(0.99, counts({ 0: 1, [LATENCY_BUCKETS_MS.length]: 99 }), 100)).toBe(10_000);
    expect(quantileMs(0.5, counts({}), 0)).toBeNull();
  });
});

describe('constantTimeEqual', () => {
  const b = (s: string) => new TextEncoder().encode(s);
  it('equal only for the same bytes, whatever the lengths', () => {
    expect(constantTimeEqual(b('abc'), b('abc'))).toBe(true);
    expect(constantTimeEqual(b('abd'), b('abc'))).toBe(false);
    expect(constantTimeEqual(b('ab'), b('abc'))).toBe(false);
    expect(constantTimeEqual(b('abcabc'), b('abc'))).toBe(false);
    expect(constantTimeEqual(b(''), b('abc'))).toBe(false);
  });
});
