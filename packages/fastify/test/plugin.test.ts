import { Agent, createServer, request as httpRequest } from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import type { SyRequest } from '@switchyard/core';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { decideModeConfig } from '@switchyard/testing/vitest';
import { createUndiciTransport } from '@switchyard/transport-undici';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';

const CONFIG = decideModeConfig('per-user', { clientIdentity: true }) as GatewayConfig;

/** `async`: every decision arrives as a promise (as with a Redis limiter store). */
function mocked(async = false) {
  const clock = createTestClock();
  const transport = createMockTransport({ clock }).respondWith(() => ({ status: 200, headers: { 'x-from': 'upstream' }, body: 'proxied' }));
  const gateway = createGateway(CONFIG, { transport, clock, rng: seededRng(2) });
  return { transport, gateway: async ? { ...gateway, decideNow: (r: SyRequest) => Promise.resolve(gateway.decideNow(r)) } : gateway };
}

describe('fastify - decide mode', () => {
  async function app(notFound?: 'next' | 'respond', asyncStore = false) {
    const { transport, gateway } = mocked(asyncStore);
    const fastify = Fastify();
    await fastify.register(async (scope) => {
      await scope.register(switchyard, { gateway, mode: 'decide', ...(notFound !== undefined ? { notFound } : {}) });
      scope.get('/api/items', async (request) => ({ route: request.switchyard?.route, backend: request.switchyard?.backend, same: scope.switchyard === gateway }));
      scope.get('/own', async () => 'own handler');
    });
    // A sibling scope: encapsulation keeps the hook away from it.
    await fastify.register(async (sibling) => {
      sibling.get('/api/sibling', async (request) => ({ decided: (request.switchyard ?? null) !== null }));
    });
    return { fastify, transport };
  }

  it('sets request.switchyard and the gateway headers, and decorates the instance with the gateway', async () => {
    const { fastify, transport } = await app();
    const res = await fastify.inject({ url: '/api/items', headers: { 'x-user-id': 'u1', 'x-stage': 'canary' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ route: 'api', backend: 'v2', same: true });
    expect(res.headers['x-experiment']).toMatch(/^layout-(a|b)$/);
    expect(transport.requests).toHaveLength(0);
  });

  it('answers 429 from the hook without running the handler', async () => {
    const { fastify } = await app();
    expect((await fastify.inject({ url: '/api/items', headers: { 'x-user-id': 'u2' } })).statusCode).toBe(200);
    const limited = await fastify.inject({ url: '/api/items', headers: { 'x-user-id': 'u2' } });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.json()).toMatchObject({ error: 'SY_RATE_LIMITED' });
  });

  it('decides alike when the decision arrives as a promise (an asynchronous limiter store)', async () => {
    const { fastify } = await app(undefined, true);
    const first = await fastify.inject({ url: '/api/items', headers: { 'x-user-id': 'u4', 'x-stage': 'canary' } });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ route: 'api', backend: 'v2', same: true });
    expect(first.headers['x-experiment']).toMatch(/^layout-(a|b)$/);
    const limited = await fastify.inject({ url: '/api/items', headers: { 'x-user-id': 'u4' } });
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: 'SY_RATE_LIMITED' });
  });

  it("hands a throwing attributes function to Fastify's error handling (500), the handler never runs", async () => {
    const { gateway } = mocked();
    const fastify = Fastify();
    let ran = false;
    await fastify.register(switchyard, { gateway, mode: 'decide', attributes: () => { throw new Error('attributes failed'); } });
    fastify.get('/api/items', async () => { ran = true; return 'handler'; });
    const res = await fastify.inject({ url: '/api/items', headers: { 'x-user-id': 'u5' } });
    expect(res.statusCode).toBe(500);
    expect(ran).toBe(false);
  });

  it('respects encapsulation: a sibling scope never sees the hook', async () => {
    const { fastify } = await app();
    for (let i = 0; i < 3; i++) {
      const res = await fastify.inject({ url: '/api/sibling', headers: { 'x-user-id': 'u3' } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ decided: false });
    }
  });

  it('lets unmatched routes through by default, or answers 404 SY_NO_ROUTE', async () => {
    expect((await (await app()).fastify.inject({ url: '/own' })).body).toBe('own handler');
    const strict = await (await app('respond')).fastify.inject({ url: '/own' });
    expect(strict.statusCode).toBe(404);
    expect(strict.json()).toMatchObject({ error: 'SY_NO_ROUTE' });
  });

  it("takes the client address from Fastify's trustProxy, or from the socket when told", async () => {
    const seen = async (fastifyOptions: { trustProxy?: boolean }, clientAddress: 'fastify' | 'socket', headers: Record<string, string>): Promise<string> => {
      const fastify = Fastify(fastifyOptions);
      await fastify.register(switchyard, { gateway: mocked().gateway, mode: 'decide', clientAddress });
      fastify.get('/api/items', async (request) => request.switchyard?.request.clientAddress ?? 'none');
      const res = await fastify.inject({ url: '/api/items', remoteAddress: '10.0.0.1', headers: { 'x-user-id': 'u9', ...headers } });
      return res.body;
    };
    const xff = { 'x-forwarded-for': '203.0.113.9' };
    expect(await seen({ trustProxy: true }, 'fastify', xff)).toBe('203.0.113.9');
    expect(await seen({ trustProxy: true }, 'fastify', {})).toBe('10.0.0.1');
    expect(await seen({ trustProxy: true }, 'fastify', { 'x-forwarded-for': '' })).toBe('10.0.0.1');
    expect(await seen({}, 'fastify', xff)).toBe('10.0.0.1');
    expect(await seen({ trustProxy: true }, 'socket', xff)).toBe('10.0.0.1');
  });

  it('reads the peer address once per connection, and each connection its own', async () => {
    const fastify = Fastify();
    await fastify.register(switchyard, { gateway: mocked().gateway, mode: 'decide' });
    fastify.get('/api/items', async (request) => request.switchyard?.request.clientAddress ?? 'none');
    await fastify.listen({ host: '127.0.0.1', port: 0 });
    // Count Node's peer-name reads (what remoteAddress's getter calls, and the memory spares).
    const proto = Socket.prototype as unknown as { _getpeername: (this: Socket) => unknown };
    const original = proto._getpeername;
    let reads = 0;
    proto._getpeername = function (this: Socket) {
      reads++;
      return original.call(this);
    };
    const origin = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
    // Two keep-alive agents of one socket each: two connections.
    const one = new Agent({ keepAlive: true, maxSockets: 1 });
    const other = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const get = (agent: Agent, user: string) =>
        new Promise<string>((resolve, reject) => {
          const req = httpRequest(`${origin}/api/items`, { agent, headers: { 'x-user-id': user } }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve(body));
          });
          req.on('error', reject);
          req.end();
        });
      expect([await get(one, 'a'), await get(one, 'b'), await get(one, 'c'), await get(other, 'd')]).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1']);
      expect(reads).toBe(2);
    } finally {
      proto._getpeername = original;
      one.destroy();
      other.destroy();
      await fastify.close();
    }
  });
});

describe('fastify - proxy mode', () => {
  it('keeps your routes first, proxies the rest, and hands unmatched paths to the not-found handler', async () => {
    const { transport, gateway } = mocked();
    const fastify = Fastify();
    await fastify.register(switchyard, { gateway });
    fastify.get('/api/own', async () => 'own route');
    fastify.post('/echo', async (request) => request.body);
    expect((await fastify.inject({ url: '/api/own' })).body).toBe('own route');
    const res = await fastify.inject({ method: 'POST', url: '/api/x', headers: { 'content-type': 'application/json', 'x-user-id': 'p1' }, payload: '{"a":1}' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-from']).toBe('upstream');
    expect(res.body).toBe('proxied');
    expect(transport.requests[0]?.request.headers['content-type']).toBe('application/json');
    // The parent's JSON parser still serves the app's own routes.
    expect((await fastify.inject({ method: 'POST', url: '/echo', payload: { b: 2 } })).json()).toEqual({ b: 2 });
    expect((await fastify.inject({ url: '/nowhere' })).statusCode).toBe(404);
  });

  it('proxies over real HTTP to a node:http upstream with the undici transport', async () => {
    const upstream = createServer((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.writeHead(200, { 'x-upstream': 'node' }).end(`${req.method} ${req.url} ${n}`));
    }).listen(0, '127.0.0.1');
    await new Promise((r) => upstream.once('listening', r));
    const gateway = createGateway(
      { routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }] }], upstreams: { api: { endpoints: [{ url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` }], balancer: { policy: 'least-request' } } } },
      { transport: createUndiciTransport() },
    );
    const fastify = Fastify({ forceCloseConnections: true });
    await fastify.register(switchyard, { gateway });
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
      const res = await fetch(`${base}/api/items?x=1`);
      expect(res.headers.get('x-upstream')).toBe('node');
      expect(await res.text()).toBe('GET /api/items?x=1 0');
      const post = await fetch(`${base}/api/upload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(500_000) }) });
      expect(await post.text()).toBe(`POST /api/upload ${500_000 + 10}`);
    } finally {
      await fastify.close();
      await gateway.stop();
      upstream.closeAllConnections();
      await new Promise((r) => upstream.close(r));
    }
  });
});
