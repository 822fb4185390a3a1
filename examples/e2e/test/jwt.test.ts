/**
 * The `jwt` policy through the real gateway over real sockets: the gateway (node:http + the
 * Node bridge + the undici transport) with `jwtPolicy` registered, an identity provider's JSON
 * Web Key Set served over HTTP on 127.0.0.1 (fetched through the gateway's own transport), and
 * an echo upstream. Tokens come from `createTestJwks` on the system clock (the gateway's).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { systemClock } from '@switchyard/core';
import { createGateway, fromNodeRequest, writeNodeResponse, type Gateway } from '@switchyard/gateway';
import { jwtPolicy } from '@switchyard/jwt';
import { createTestJwks, type TestJwks } from '@switchyard/testing';
import { createUndiciTransport, type UndiciTransport } from '@switchyard/transport-undici';
import { client, startUpstream, type Upstream } from './harness.js';

let idp: TestJwks;
let jwksServer: Server;
let jwksFetches = 0;
let upstream: Upstream;
let gateway: Gateway;
let transport: UndiciTransport;
let gatewayServer: Server;
let base: string;
const dispatcher = client(8);

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  idp = await createTestJwks({ clock: systemClock, algorithms: ['ES256'], issuer: 'https://login.example.test/', audience: 'orders-api' });
  jwksServer = createServer((_req, res) => {
    jwksFetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(idp.jwks()));
  });
  const jwksPort = await listen(jwksServer);
  upstream = await startUpstream((req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ headers: req.headers }));
  });
  transport = createUndiciTransport();
  gateway = createGateway(
    {
      policies: {
        auth: {
          type: 'jwt',
          options: {
            providers: [{ issuer: idp.issuer, audiences: ['orders-api'], jwksUri: `http://127.0.0.1:${jwksPort}/.well-known/jwks.json`, algorithms: ['ES256'] }],
            requiredScopes: ['orders:read'],
            claimsToHeaders: { sub: 'x-user-id' },
          },
        },
      },
      routes: [{ name: 'orders', matches: [{ path: { type: 'PathPrefix', value: '/orders' } }], policies: { inbound: ['auth'] }, backends: [{ upstream: 'orders' }] }],
      upstreams: { orders: { endpoints: [{ url: upstream.url }] } },
    },
    { transport, policies: [jwtPolicy] },
  );
  gatewayServer = createServer((req, res) => {
    void gateway.handle(fromNodeRequest(req)).then((r) => writeNodeResponse(res, r));
  });
  base = `http://127.0.0.1:${await listen(gatewayServer)}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    gatewayServer?.close(() => resolve());
    gatewayServer?.closeAllConnections();
  });
  await gateway?.stop?.();
  await transport?.close();
  await upstream?.close();
  await new Promise<void>((resolve) => {
    jwksServer?.close(() => resolve());
    jwksServer?.closeAllConnections();
  });
  await dispatcher.close();
});

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const r = await request(`${base}${path}`, { headers, dispatcher });
  return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
}

describe('jwt policy through the gateway (real HTTP)', () => {
  it('a valid token reaches the upstream with x-user-id and without Authorization; the key set is fetched once', async () => {
    const token = await idp.sign({ sub: 'alice', scope: 'orders:read' });
    for (let i = 0; i < 3; i++) {
      const r = await get('/orders/7', { authorization: `Bearer ${token}`, 'x-user-id': 'mallory' });
      expect(r.status).toBe(200);
      const seen = JSON.parse(r.body) as { headers: Record<string, string> };
      expect(seen.headers['x-user-id']).toBe('alice');
      expect(seen.headers['authorization']).toBeUndefined();
    }
    expect(jwksFetches).toBe(1);
  });

  it('no token: 401 with the Bearer challenge; the upstream is not called', async () => {
    const before = upstream.requests();
    const r = await get('/orders/7');
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(r.body).toContain('SY_UNAUTHORIZED');
    expect(upstream.requests()).toBe(before);
  });

  it('a forged or expired token: 401 invalid_token; a missing scope: 403 insufficient_scope', async () => {
    const forged = `${(await idp.sign({ sub: 'alice', scope: 'orders:read' })).slice(0, -4)}AAAA`;
    const bad = await get('/orders/7', { authorization: `Bearer ${forged}` });
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_token", error_description="The access token is invalid"');
    const expired = await idp.sign({ sub: 'alice', scope: 'orders:read' }, { expiresInS: -61 });
    expect((await get('/orders/7', { authorization: `Bearer ${expired}` })).headers['www-authenticate']).toContain('The access token expired');
    const noScope = await get('/orders/7', { authorization: `Bearer ${await idp.sign({ sub: 'alice', scope: 'profile' })}` });
    expect(noScope.status).toBe(403);
    expect(noScope.headers['www-authenticate']).toContain('error="insufficient_scope"');
  });
});
