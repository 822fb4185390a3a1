/**
 * One test per row of the Fastify migration table (docs/guides/migrating.md) that the
 * side-by-side files do not cover: prefix and encapsulation, route hooks, header rewriting,
 * decide mode under a prefix, and the adapter's own 500.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '@switchyard/core';
import { createGateway, type Gateway, type GatewayConfig } from '@switchyard/gateway';
import { createMockTransport } from '@switchyard/testing';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';

function mocked(config?: Partial<GatewayConfig>) {
  const transport = createMockTransport({ clock: systemClock }).respondWith((r) => ({
    status: r.path.startsWith('/redirect') ? 302 : 200,
    headers: { 'content-type': 'text/plain', 'x-upstream-secret': 'internal', ...(r.path.startsWith('/redirect') ? { location: '/moved' } : {}) },
    body: `upstream saw ${r.path} x-tenant=${r.headers['x-tenant'] ?? '-'}`,
  }));
  const gateway = createGateway(
    {
      routes: [{ name: 'all', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'api' }] }],
      upstreams: { api: { endpoints: [{ url: 'http://10.0.0.1:80' }] } },
      ...config,
    },
    { transport },
  );
  return { transport, gateway };
}

describe('fastify - prefix and encapsulation', () => {
  it('registered under a prefix next to its own routes: the app keeps answering its routes, also inside the prefix', async () => {
    const { transport, gateway } = mocked();
    const app = Fastify();
    app.get('/health', async () => 'ok');
    await app.register(switchyard, { gateway, prefix: '/api' });
    app.get('/api/own', async () => 'own route under the prefix');
    await app.register(async (scope) => {
      scope.get('/status', async () => 'scoped route');
    }, { prefix: '/v1' });
    expect((await app.inject({ url: '/health' })).body).toBe('ok');
    expect((await app.inject({ url: '/api/own' })).body).toBe('own route under the prefix');
    expect((await app.inject({ url: '/v1/status' })).body).toBe('scoped route');
    expect((await app.inject({ url: '/api/users' })).body).toBe('upstream saw /users x-tenant=-');
    expect((await app.inject({ url: '/elsewhere' })).statusCode).toBe(404);
    expect(transport.requests).toHaveLength(1);
  });

  it('before this fix the prefix was ignored and everything was proxied: /elsewhere now stays with Fastify (regression)', async () => {
    const { transport, gateway } = mocked();
    const app = Fastify();
    await app.register(switchyard, { gateway, prefix: '/api' });
    expect((await app.inject({ url: '/elsewhere' })).statusCode).toBe(404);
    expect(transport.requests).toHaveLength(0);
  });

  it('inside a prefixed scope, the scope prefix and its own add up', async () => {
    const { gateway } = mocked();
    const app = Fastify();
    await app.register(async (v1) => {
      await v1.register(switchyard, { gateway, prefix: '/api' });
    }, { prefix: '/v1' });
    expect((await app.inject({ url: '/v1/api/x' })).body).toBe('upstream saw /x x-tenant=-');
    expect((await app.inject({ url: '/api/x' })).statusCode).toBe(404);
  });

  it('a prefix with parameters is refused at registration', async () => {
    const app = Fastify();
    await expect(app.register(switchyard, { gateway: mocked().gateway, prefix: '/api/:tenant' })).rejects.toThrow(/parameter or wildcard/);
  });

  it('decide mode under a prefix decides only the paths under it', async () => {
    const { gateway } = mocked();
    const app = Fastify();
    await app.register(switchyard, { gateway, mode: 'decide', prefix: '/api' });
    app.get('/api/items', async (request) => ({ route: request.switchyard?.route ?? null }));
    app.get('/other', async (request) => ({ route: request.switchyard?.route ?? null }));
    expect((await app.inject({ url: '/api/items' })).json()).toEqual({ route: 'all' });
    expect((await app.inject({ url: '/other' })).json()).toEqual({ route: null });
  });
});

describe('fastify - httpMethods / routes and onExceeded', () => {
  it("routes → the catch-all's `path`; httpMethods → the gateway route's method match (others go to Fastify's 404)", async () => {
    const { transport, gateway } = mocked({ routes: [{ name: 'reads', matches: [{ method: 'GET', path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }] }] });
    const app = Fastify();
    await app.register(switchyard, { gateway, path: '/api/*' });
    app.get('/other', async () => 'own');
    expect((await app.inject({ url: '/api/a' })).body).toBe('upstream saw /api/a x-tenant=-');
    expect((await app.inject({ method: 'POST', url: '/api/a' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/other' })).body).toBe('own');
    expect(transport.requests).toHaveLength(1);
  });

  it('onExceeded → a limited event from gateway.subscribe', async () => {
    const { gateway } = mocked({ limits: { one: { key: { header: 'x-user' }, policy: { maxTokens: 1, fillIntervalMs: 60_000 } } }, routes: [{ name: 'all', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'api' }], limits: ['one'] }] });
    const limited: string[] = [];
    gateway.subscribe((e) => void (e.kind === 'limited' && limited.push(`${e.route}/${e.rule}`)));
    const app = Fastify();
    await app.register(switchyard, { gateway, prefix: '/api' });
    for (let i = 0; i < 3; i++) await app.inject({ url: '/api/a', headers: { 'x-user': 'u' } });
    expect(limited).toEqual(['all/one', 'all/one']);
  });
});

describe('fastify - hooks and header rewriting (@fastify/http-proxy preHandler, replyOptions)', () => {
  it('onRequest / preHandler / onResponse hooks run on the proxied route only', async () => {
    const { gateway } = mocked();
    const app = Fastify();
    const seen: string[] = [];
    await app.register(switchyard, {
      gateway,
      prefix: '/api',
      onRequest: async (request) => void seen.push(`onRequest ${request.url}`),
      preHandler: async (request, reply) => {
        seen.push(`preHandler ${request.url}`);
        if (request.headers['x-block'] === 'yes') return reply.code(403).send('blocked by preHandler');
        return undefined;
      },
      onResponse: async (request, reply) => void seen.push(`onResponse ${request.url} ${reply.statusCode}`),
    });
    app.get('/own', async () => 'own');
    expect((await app.inject({ url: '/api/a' })).body).toBe('upstream saw /a x-tenant=-');
    const blocked = await app.inject({ url: '/api/b', headers: { 'x-block': 'yes' } });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.body).toBe('blocked by preHandler');
    await app.inject({ url: '/own' });
    expect(seen).toEqual(['onRequest /api/a', 'preHandler /api/a', 'onResponse /api/a 200', 'onRequest /api/b', 'preHandler /api/b', 'onResponse /api/b 403']);
  });

  it('rewriteHeaders changes an upstream answer (not the gateway’s own); rewriteRequestHeaders the request', async () => {
    const { gateway } = mocked({ limits: { one: { key: { header: 'x-user' }, policy: { maxTokens: 1, fillIntervalMs: 60_000 } } }, routes: [{ name: 'all', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'api' }], limits: ['one'] }] });
    const app = Fastify();
    const rewritten: number[] = [];
    await app.register(switchyard, {
      gateway,
      prefix: '/api',
      rewriteHeaders: (headers, request) => {
        rewritten.push(1);
        const { 'x-upstream-secret': _dropped, ...rest } = headers;
        return { ...rest, 'x-req': String(request.headers['x-req'] ?? '') };
      },
      rewriteRequestHeaders: (_request, headers) => ({ ...headers, 'x-tenant': 'acme' }),
    });
    const res = await app.inject({ url: '/api/a', headers: { 'x-req': 'from-client', 'x-user': 'u1' } });
    expect(res.body).toBe('upstream saw /a x-tenant=acme');
    expect(res.headers['x-upstream-secret']).toBeUndefined();
    expect(res.headers['x-req']).toBe('from-client');
    const limited = await app.inject({ url: '/api/a', headers: { 'x-user': 'u1' } });
    expect(limited.statusCode).toBe(429);
    expect(rewritten).toHaveLength(1);
  });

  it('a throwing rewriteRequestHeaders answers the gateway’s 500 (its format, no message, no stack)', async () => {
    const { gateway } = mocked();
    const app = Fastify({ logger: false });
    await app.register(switchyard, {
      gateway,
      rewriteRequestHeaders: () => {
        throw new Error('secret internals at 10.0.0.1');
      },
    });
    const res = await app.inject({ url: '/x' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ error: 'SY_INTERNAL' });
    expect(res.body).not.toContain('10.0.0.1');
  });
});

describe('fastify - streamed answers keep onResponse', () => {
  let upstream: Server | undefined;
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.stop();
    upstream?.closeAllConnections();
    await new Promise((r) => (upstream === undefined ? r(undefined) : upstream.close(r)));
  });

  it('onResponse runs after a streamed (hijacked) proxied answer over real HTTP', async () => {
    const { createUndiciTransport } = await import('@switchyard/transport-undici');
    upstream = createServer((req, res) => {
      res.write('chunk1 ');
      res.end(`chunk2 ${req.url}`);
    });
    await new Promise<void>((r) => upstream?.listen(0, '127.0.0.1', r));
    gw = createGateway(
      { routes: [{ name: 'all', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'u' }] }], upstreams: { u: { endpoints: [{ url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` }] } } },
      { transport: createUndiciTransport() },
    );
    const app = Fastify();
    let finished: (status: number) => void = () => {};
    const done = new Promise<number>((r) => (finished = r));
    await app.register(switchyard, { gateway: gw, prefix: '/api', onResponse: async (_req, reply) => finished(reply.statusCode) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/s`);
      expect(await res.text()).toBe('chunk1 chunk2 /s');
      expect(await done).toBe(200);
    } finally {
      await app.close();
    }
  });
});
