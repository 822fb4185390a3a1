import type { SyRequest } from '@switchyard/core';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from './config.js';
import { createGateway } from './gateway.js';

function setup(config: GatewayConfig) {
  const clock = createTestClock();
  const transport = createMockTransport({ clock }).respondWith((r) => ({ status: 200, headers: {}, body: r.path }));
  const gateway = createGateway(config, { transport, clock, rng: seededRng(1) });
  return { transport, gateway };
}

const req = (path: string, query = ''): SyRequest => ({ method: 'GET', scheme: 'http', authority: 'gw.local', path, query, headers: {}, attributes: {} });

const routes = (rewrite?: GatewayConfig['routes'][number]['rewrite']): GatewayConfig => ({
  routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'u' }], ...(rewrite !== undefined ? { rewrite } : {}) }],
  upstreams: { u: { endpoints: [{ url: 'http://10.0.0.1:80' }] } },
});

const strip = (path: string): string | undefined => (path === '/api' ? '/' : path.startsWith('/api/') ? path.slice(4) : undefined);

describe('HandleOptions.upstreamPath - an adapter mount mapping', () => {
  it('maps the path the upstream sees (query kept); routing still sees the full path', async () => {
    const { transport, gateway } = setup(routes());
    expect((await gateway.handle(req('/api/orders/7', 'x=1'), { upstreamPath: strip })).status).toBe(200);
    expect(transport.requests[0]?.request.path).toBe('/orders/7?x=1');
    expect((await gateway.handle(req('/elsewhere'), { upstreamPath: strip })).status).toBe(404);
  });

  it("a route's own path rewrite wins over the mapping", async () => {
    const { transport, gateway } = setup(routes({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } }));
    await gateway.handle(req('/api/orders'), { upstreamPath: strip });
    expect(transport.requests[0]?.request.path).toBe('/v2/orders');
  });

  it('undefined answers 400 SY_BAD_REQUEST and sends nothing', async () => {
    const { transport, gateway } = setup(routes());
    const res = await gateway.handle(req('/api/x'), { upstreamPath: () => undefined });
    expect(res.status).toBe(400);
    expect(String(res.body)).toContain('SY_BAD_REQUEST');
    expect(transport.requests).toHaveLength(0);
  });

  it('a mapped path that is not normalized is refused by the rewrite (400), never sent', async () => {
    const { transport, gateway } = setup(routes());
    const res = await gateway.handle(req('/api/x'), { upstreamPath: () => '/a/../b' });
    expect(res.status).toBe(400);
    expect(transport.requests).toHaveLength(0);
  });
});
