import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import type { SyRequest } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from './config.js';
import { createGateway, responseCode } from './gateway.js';

const config: GatewayConfig = {
  routes: [
    {
      name: 'ws',
      matches: [{ path: { type: 'PathPrefix', value: '/ws' } }],
      backends: [{ upstream: 'u' }],
      rewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/socket' } },
    },
  ],
  upstreams: {
    u: {
      endpoints: [
        { id: 'a', url: 'http://10.0.0.1:80' },
        { id: 'b', url: 'http://10.0.0.2:80' },
      ],
      balancer: { policy: 'least-request', choiceCount: 2 },
      resourceLimits: { maxRequests: 2 },
    },
  },
};

const req = (path: string): SyRequest => ({ method: 'GET', scheme: 'http', authority: 'x', path, query: '', headers: { upgrade: 'websocket' }, attributes: {} });

describe('gateway.acquire (connections the gateway does not carry itself)', () => {
  it('routes, picks an endpoint and rewrites, holding a slot until release', async () => {
    const clock = createTestClock();
    const gateway = createGateway(config, { transport: createMockTransport({ clock }), clock, rng: seededRng(3) });
    const a = await gateway.acquire(req('/ws/chat'));
    expect(a.kind).toBe('endpoint');
    if (a.kind !== 'endpoint') return;
    expect(a.request.path).toBe('/socket/chat');
    const b = await gateway.acquire(req('/ws/chat'));
    // Least request: the second connection goes to the idle endpoint.
    expect(b.kind === 'endpoint' && b.endpoint.id).not.toBe(a.endpoint.id);
    // maxRequests 2: a third concurrent connection is refused with a typed code.
    const c = await gateway.acquire(req('/ws/chat'));
    expect(c.kind === 'respond' && responseCode(c.response)).toBe('SY_OVERLOADED');
    a.release();
    a.release(); // idempotent
    const d = await gateway.acquire(req('/ws/chat'));
    expect(d.kind).toBe('endpoint');
  });

  it('answers what the gateway would answer for an unroutable request', async () => {
    const clock = createTestClock();
    const gateway = createGateway(config, { transport: createMockTransport({ clock }), clock });
    const r = await gateway.acquire(req('/nope'));
    expect(r.kind === 'respond' && r.response.status).toBe(404);
  });
});

describe('responseCode', () => {
  it('names the code of gateway-made responses and nothing for upstream ones', async () => {
    const clock = createTestClock();
    const transport = createMockTransport({ clock }).respondWith(() => ({ status: 404, body: '{"error":"SY_NO_ROUTE"}' }));
    const gateway = createGateway(config, { transport, clock });
    expect(responseCode(await gateway.handle(req('/nope')))).toBe('SY_NO_ROUTE');
    // An upstream 404 whose body looks like ours is still the upstream's.
    expect(responseCode(await gateway.handle(req('/ws/x')))).toBeUndefined();
  });
});
