import { isSwitchyardError, type ConfigIssue, type SyRequest } from '@switchyard/core';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from './config.js';
import type { GatewayEvent } from './events.js';
import { createGateway } from './gateway.js';
import { editDistance, suggestKey, unknownKeyMessage } from './internal/did-you-mean.js';

function req(path: string, init: Partial<SyRequest> = {}): SyRequest {
  return { method: 'GET', scheme: 'http', authority: 'api.example.com', path, query: '', headers: {}, clientAddress: '198.51.100.7', attributes: {}, ...init };
}

const U = { endpoints: [{ id: 'a', url: 'http://10.0.0.1:80' }] };

function issuesOf(config: unknown): readonly ConfigIssue[] {
  const clock = createTestClock();
  try {
    createGateway(config as GatewayConfig, { transport: createMockTransport({ clock }), clock });
  } catch (err) {
    if (isSwitchyardError(err) && err.code === 'SY_CONFIG_INVALID') return (err as unknown as { issues: ConfigIssue[] }).issues;
    throw err;
  }
  return [];
}

describe('routes with no backend, or all-zero weights (Gateway API)', () => {
  const config: GatewayConfig = {
    routes: [
      { name: 'empty', matches: [{ path: { value: '/empty' } }] },
      { name: 'zero', matches: [{ path: { value: '/zero' } }], backends: [{ upstream: 'u', weight: 0 }] },
      { name: 'ok', matches: [{ path: { value: '/ok' } }], backends: [{ upstream: 'u' }] },
    ],
    upstreams: { u: U },
  };
  const WARNINGS = [
    { path: 'routes[0].backends', message: 'no backend and no redirect: requests to this route are answered 500' },
    { path: 'routes[1].backends', message: 'every backend has weight 0: requests to this route are answered 500' },
  ];

  it('load with warnings in plan().warnings, answer 500, and the rest of the config works', async () => {
    const clock = createTestClock();
    const transport = createMockTransport({ clock }).respondWith(() => ({ status: 200 }));
    const gateway = createGateway(config, { transport, clock, rng: seededRng(1) });
    expect(gateway.plan().warnings).toEqual(WARNINGS);
    expect((await gateway.handle(req('/empty'))).status).toBe(500);
    expect((await gateway.handle(req('/zero'))).status).toBe(500);
    expect((await gateway.handle(req('/ok'))).status).toBe(200);
    expect(transport.requests).toHaveLength(1);
  });

  it('emit a config-warning event per warning on create (deps.onEvent) and on reload (subscribe)', () => {
    const clock = createTestClock();
    const created: GatewayEvent[] = [];
    const gateway = createGateway(config, { transport: createMockTransport({ clock }), clock, onEvent: (e) => created.push(e) });
    expect(created.filter((e) => e.kind === 'config-warning')).toEqual(WARNINGS.map((w) => ({ kind: 'config-warning', at: 0, ...w })));

    const reloaded: GatewayEvent[] = [];
    gateway.subscribe((e) => reloaded.push(e));
    gateway.reload({ ...config, routes: [config.routes[2] as GatewayConfig['routes'][number], { name: 'zero2', backends: [{ upstream: 'u', weight: 0 }] }] });
    expect(reloaded.filter((e) => e.kind === 'config-warning')).toEqual([{ kind: 'config-warning', at: 0, path: 'routes[1].backends', message: 'every backend has weight 0: requests to this route are answered 500' }]);
    expect(gateway.plan().warnings).toHaveLength(1);
  });

  it('a canary rule can still pick a weight-0 backend: the warning says so', async () => {
    const clock = createTestClock();
    const transport = createMockTransport({ clock }).respondWith(() => ({ status: 200 }));
    const gateway = createGateway(
      { routes: [{ name: 'r', backends: [{ name: 'b', upstream: 'u', weight: 0 }], split: { canary: [{ backend: 'b', when: { header: 'x-canary' } }] } }], upstreams: { u: U } },
      { transport, clock },
    );
    expect(gateway.plan().warnings).toEqual([{ path: 'routes[0].backends', message: 'every backend has weight 0: requests to this route are answered 500 unless a canary rule picks a backend' }]);
    expect((await gateway.handle(req('/', { headers: { 'x-canary': '1' } }))).status).toBe(200);
    expect((await gateway.handle(req('/'))).status).toBe(500);
  });
});

describe('rewrite semantics checked at load', () => {
  const route = (over: Record<string, unknown>): unknown => ({ routes: [{ name: 'r', backends: [{ upstream: 'u' }], ...over }], upstreams: { u: U } });

  it('accepts parameters the route captures: template segments, catch-alls and named regex groups, in any match', () => {
    expect(
      issuesOf(
        route({
          matches: [{ path: { type: 'Template', value: '/orders/:id' } }, { path: { type: 'Template', value: '/files/*rest' } }, { path: { type: 'RegularExpression', value: '/u/(?<user>[a-z]+)' } }],
          rewrite: { url: '${upstream}/o/${params.id}/${params.rest}', requestHeaders: { set: { 'x-user': '${ params.user }' } } },
        }),
      ),
    ).toEqual([]);
  });

  it('refuses a redirect naming a parameter its route cannot produce', () => {
    expect(issuesOf({ routes: [{ name: 'r', matches: [{ path: { type: 'PathPrefix', value: '/old' } }], redirect: { path: { type: 'ReplaceFullPath', replaceFullPath: '/new/${params.id}' } } }], upstreams: {} })).toContainEqual({
      path: 'routes[0].redirect.path.replaceFullPath',
      message: 'names ${params.id}, but no match of this route captures "id" (it captures none)',
    });
  });

  it('accepts a literal rewrite.url origin that is an endpoint of the route or in allowedUpstreams (default ports folded), refuses others', () => {
    expect(issuesOf(route({ rewrite: { url: 'HTTP://10.0.0.1/x' } }))).toEqual([]);
    expect(issuesOf(route({ rewrite: { url: 'https://eu.orders.internal:443/x', allowedUpstreams: ['https://eu.orders.internal'] } }))).toEqual([]);
    expect(issuesOf(route({ rewrite: { url: 'http://10.0.0.2:80/x' } })).map((i) => i.path)).toEqual(['routes[0].rewrite.url']);
  });

  it('a literal-origin rewrite.url gives the path and (with host: upstream) the Host header; the connection stays on the picked endpoint', async () => {
    const clock = createTestClock();
    const transport = createMockTransport({ clock }).respondWith(() => ({ status: 200 }));
    const gateway = createGateway(route({ rewrite: { url: 'https://eu.orders.internal/x', allowedUpstreams: ['https://eu.orders.internal'], host: 'upstream' } }) as GatewayConfig, { transport, clock });
    await gateway.handle(req('/'));
    expect(transport.requests[0]?.endpoint.id).toBe('a');
    expect(transport.requests[0]?.request.path).toBe('/x');
    expect(transport.requests[0]?.request.headers['host']).toBe('eu.orders.internal');
  });
});

describe('keys that used to be accepted and ignored', () => {
  it('endpoint priorities are honoured without upstream priority options (Envoy priority levels)', async () => {
    const clock = createTestClock();
    const transport = createMockTransport({ clock }).respondWith(() => ({ status: 200 }));
    const gateway = createGateway(
      { routes: [{ name: 'r', backends: [{ upstream: 'u' }] }], upstreams: { u: { endpoints: [{ id: 'primary', url: 'http://10.0.0.1:80' }, { id: 'standby', url: 'http://10.0.0.2:80', priority: 1 }] } } },
      { transport, clock, rng: seededRng(3) },
    );
    for (let i = 0; i < 20; i++) await gateway.handle(req('/'));
    expect(new Set(transport.requests.map((r) => r.endpoint.id))).toEqual(new Set(['primary']));
  });

  it('clientIdentity without a client-ip limit key loads with a warning (nothing else reads it)', () => {
    const clock = createTestClock();
    const gateway = createGateway({ clientIdentity: { trustedHops: 1 }, routes: [{ name: 'r', backends: [{ upstream: 'u' }] }], upstreams: { u: U } }, { transport: createMockTransport({ clock }), clock });
    expect(gateway.plan().warnings).toEqual([{ path: 'clientIdentity', message: "has no effect: no limit is keyed on 'client-ip'" }]);
  });

  it('limit tiers read the attribute first, then the match rules (both given)', async () => {
    const clock = createTestClock();
    const gateway = createGateway(
      {
        routes: [{ name: 'r', backends: [{ upstream: 'u' }], limits: ['l'] }],
        upstreams: { u: U },
        limits: {
          l: {
            key: { header: 'x-user' },
            tiers: { policies: { free: { maxTokens: 1, fillIntervalMs: 60_000 }, pro: { maxTokens: 3, fillIntervalMs: 60_000 } }, attribute: 'tier', match: [{ tier: 'pro', headers: { 'x-plan': 'pro' } }], default: 'free' },
          },
        },
      },
      { transport: createMockTransport({ clock }).respondWith(() => ({ status: 200 })), clock },
    );
    const statuses = async (init: Partial<SyRequest>): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < 4; i++) out.push((await gateway.handle(req('/', init))).status);
      return out;
    };
    expect(await statuses({ headers: { 'x-user': 'a', 'x-plan': 'pro' } })).toEqual([200, 200, 200, 429]);
    expect(await statuses({ headers: { 'x-user': 'b', 'x-plan': 'pro' }, attributes: { tier: 'free' } })).toEqual([200, 429, 429, 429]);
    expect(await statuses({ headers: { 'x-user': 'c' } })).toEqual([200, 429, 429, 429]);
  });
});

describe('did you mean', () => {
  it('measures the optimal string alignment distance', () => {
    expect(editDistance('timeoutMs', 'timeoutMs')).toBe(0);
    expect(editDistance('retyr', 'retry')).toBe(1);
    expect(editDistance('weigth', 'weight')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests the closest known key, case folded, by prefix when nothing is close', () => {
    const keys = ['timeoutMs', 'perTryTimeoutMs', 'retry', 'limits', 'name', 'id', 'url'];
    expect(suggestKey('timeoutMS', keys)).toBe('timeoutMs');
    expect(suggestKey('limit', keys)).toBe('limits');
    expect(suggestKey('retries', keys)).toBe('retry');
    expect(suggestKey('ur', keys)).toBe('url');
    expect(suggestKey('xyz', keys)).toBeUndefined();
    expect(suggestKey('x'.repeat(100), keys)).toBeUndefined();
  });

  it('names the known keys when it has no suggestion', () => {
    expect(unknownKeyMessage('zzz', ['a', 'b'])).toBe('unknown key "zzz" (known keys: a, b)');
    expect(unknownKeyMessage('timeoutMS', ['timeoutMs'])).toBe('unknown key "timeoutMS" (did you mean "timeoutMs"?)');
  });
});
