import fc from 'fast-check';
import { cookieValue, type SyRequest, type SyResponse } from '@switchyard/core';
import { createMockTransport, createTestClock } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from './config.js';
import { createGateway } from './gateway.js';

const req = (path: string, headers: Record<string, string> = {}): SyRequest => ({ method: 'GET', scheme: 'http', authority: 'shop', path, query: '', headers, attributes: {} });

function harness(config: GatewayConfig) {
  const clock = createTestClock({ wallNow: 1_700_000_000_000 });
  const transport = createMockTransport({ clock });
  transport.respondWith(() => ({ status: 200, headers: { 'set-cookie': 'app=1; Path=/' }, delayMs: 1 }));
  const gateway = createGateway(config, { transport, clock });
  const send = async (r: SyRequest): Promise<SyResponse> => {
    let out: SyResponse | undefined;
    void gateway.handle(r).then((x) => (out = x));
    while (out === undefined) await clock.advanceAsync(1);
    return out;
  };
  return { clock, transport, gateway, send };
}

const setCookies = (res: SyResponse): string[] => {
  const v = res.headers['set-cookie'];
  return v === undefined ? [] : typeof v === 'string' ? [v] : [...v];
};

const RING: GatewayConfig = {
  routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }] }],
  upstreams: {
    api: {
      endpoints: Array.from({ length: 8 }, (_, i) => ({ id: `e${i}`, url: `http://10.0.0.${i + 1}:80` })),
      balancer: { policy: 'ring-hash', hashPolicies: [{ kind: 'cookie', name: 'sy-affinity', ttlMs: 3_600_000, path: '/api' }] },
    },
  },
};

describe('endpoint affinity: cookie hash policy with ttlMs (Istio httpCookie, Envoy hash_policy cookie ttl)', () => {
  it('generates the cookie when absent, sets it on the response next to the upstream cookies, and never forwards it', async () => {
    const h = harness(RING);
    const first = await h.send(req('/api/x'));
    const cookies = setCookies(first);
    expect(cookies[0]).toBe('app=1; Path=/');
    expect(cookies[1]).toMatch(/^sy-affinity=[0-9a-f]{16}; Max-Age=3600; Path=\/api; HttpOnly$/);
    expect(h.transport.requests[0]?.request.headers['cookie']).toBeUndefined();
    const value = cookieValue((cookies[1] as string).split(';')[0], 'sy-affinity') as string;
    const endpoint = h.transport.requests[0]?.endpoint.id;
    for (let i = 0; i < 10; i++) {
      const res = await h.send(req('/api/x', { cookie: `other=1; sy-affinity=${value}` }));
      expect(setCookies(res)).toEqual(['app=1; Path=/']); // present: not set again
      expect(h.transport.requests.at(-1)?.endpoint.id).toBe(endpoint);
    }
  });

  it('keeps a user on one endpoint across unrelated reloads (property)', async () => {
    const change = fc.oneof(
      fc.record({ kind: fc.constant('timeout' as const), ms: fc.integer({ min: 100, max: 60_000 }) }),
      fc.record({ kind: fc.constant('route' as const), n: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ kind: fc.constant('retry' as const), n: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('upstream' as const), n: fc.integer({ min: 1, max: 3 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((n) => n.toString(16).padStart(16, '0')), { minLength: 1, maxLength: 5 }), fc.array(change, { minLength: 1, maxLength: 6 }), async (users, changes) => {
        const h = harness(RING);
        const where = async (u: string) => {
          await h.send(req('/api/x', { cookie: `sy-affinity=${u}` }));
          return h.transport.requests.at(-1)?.endpoint.id;
        };
        const before = new Map<string, string | undefined>();
        for (const u of users) before.set(u, await where(u));
        let config = RING;
        for (const c of changes) {
          const route = config.routes[0] as NonNullable<GatewayConfig['routes'][0]>;
          if (c.kind === 'timeout') config = { ...config, routes: [{ ...route, timeoutMs: c.ms }, ...config.routes.slice(1)] };
          else if (c.kind === 'retry') config = { ...config, routes: [{ ...route, retry: { numRetries: c.n } }, ...config.routes.slice(1)] };
          else if (c.kind === 'route') config = { ...config, routes: [...config.routes, { name: `other-${config.routes.length}-${c.n}`, matches: [{ path: { type: 'PathPrefix', value: `/other${config.routes.length}` } }], backends: [{ upstream: 'api' }] }] };
          else config = { ...config, upstreams: { ...config.upstreams, [`extra${c.n}`]: { endpoints: [{ url: `http://10.9.0.${c.n}:80` }] } } };
          h.gateway.reload(config);
          for (const u of users) expect(await where(u)).toBe(before.get(u));
        }
      }),
      { numRuns: 25 },
    );
  });
});

const ROLLOUT: GatewayConfig = {
  routes: [
    {
      name: 'catalog',
      matches: [{ path: { type: 'PathPrefix', value: '/catalog' } }],
      backends: [
        { name: 'v1', upstream: 'catalog', subset: { version: 'v1' } },
        { name: 'v2', upstream: 'catalog', subset: { version: 'v2' } },
      ],
      rollout: { name: 'catalog-v2', canary: 'v2', baseline: 'v1', steps: [10, 50, 100], analysisIntervalMs: 3_600_000 },
      sessionPersistence: { sessionName: 'sy-session', absoluteTimeoutMs: 86_400_000, idleTimeoutMs: 1_800_000 },
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

describe('version affinity: Gateway API sessionPersistence on a rollout', () => {
  it('keeps each session on its version across rollout steps while it has weight, and moves it (rewriting the cookie) when it has none', async () => {
    const h = harness(ROLLOUT);
    const version = () => (h.transport.requests.at(-1)?.endpoint.id === 'v2a' ? 'v2' : 'v1');
    const sessions: Array<{ cookie: string; version: string }> = [];
    for (let i = 0; i < 60; i++) {
      const res = await h.send(req('/catalog/x'));
      const c = setCookies(res).find((x) => x.startsWith('sy-session=')) as string;
      expect(c).toMatch(/^sy-session=v[12]\.1700000000; Max-Age=1800; Path=\/; HttpOnly$/);
      sessions.push({ cookie: c.split(';')[0] as string, version: version() });
    }
    expect(sessions.filter((s) => s.version === 'v2').length).toBeGreaterThan(0);
    expect((await h.gateway.rollouts.promote('catalog')).kind).toBe('done'); // 50 %
    for (const s of sessions) {
      await h.send(req('/catalog/x', { cookie: s.cookie }));
      expect(version()).toBe(s.version);
    }
    expect((await h.gateway.rollouts.abort('catalog', 'bad canary')).kind).toBe('done'); // v2 at 0 %
    for (const s of sessions.filter((x) => x.version === 'v2')) {
      const res = await h.send(req('/catalog/x', { cookie: s.cookie }));
      expect(version()).toBe('v1');
      expect(setCookies(res).find((x) => x.startsWith('sy-session='))).toMatch(/^sy-session=v1\./);
    }
  });

  it('a session older than absoluteTimeoutMs is split afresh; the Header type echoes the session header', async () => {
    const route = ROLLOUT.routes[0] as NonNullable<GatewayConfig['routes'][0]>;
    const h = harness({ ...ROLLOUT, routes: [{ ...route, sessionPersistence: { sessionName: 'X-Session', type: 'Header', absoluteTimeoutMs: 60_000 } }] });
    const first = await h.send(req('/catalog/x'));
    const value = first.headers['x-session'] as string;
    expect(value).toMatch(/^v[12]\.1700000000$/);
    const again = await h.send(req('/catalog/x', { 'x-session': value }));
    expect(again.headers['x-session']).toBe(value);
    h.clock.advance(61_000);
    const later = await h.send(req('/catalog/x', { 'x-session': value }));
    expect(later.headers['x-session']).toMatch(/^v[12]\.17000000(6[1-9]|[7-9]\d)$/);
  });
});
