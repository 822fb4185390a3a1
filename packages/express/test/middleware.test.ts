import { createServer } from 'node:http';
import type { SyRequest } from '@switchyard/core';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { decideModeConfig } from '@switchyard/testing/vitest';
import { createUndiciTransport } from '@switchyard/transport-undici';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { switchyard, type SwitchyardExpressOptions } from '../src/index.js';
import { closeServer, listen } from './harness.js';

async function bodyText(body: unknown): Promise<string> {
  let out = '';
  for await (const c of body as AsyncIterable<Uint8Array>) out += new TextDecoder().decode(c);
  return out;
}

const CONFIG = decideModeConfig('per-client') as GatewayConfig;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function start(app: express.Express): Promise<string> {
  const { server, url } = await listen(app);
  closers.push(() => closeServer(server));
  return url;
}

function mocked(config: GatewayConfig = CONFIG) {
  const clock = createTestClock();
  const transport = createMockTransport({ clock }).respondWith((r) => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: `${r.headers['content-length'] ?? '-'}|${r.headers['content-type'] ?? '-'}` }));
  const gateway = createGateway(config, { transport, clock, rng: seededRng(5) });
  return { transport, gateway };
}

/** `async`: every decision arrives as a promise (as with a Redis limiter store). */
function decideApp(options: Partial<SwitchyardExpressOptions> = {}, trustProxy = false, async = false) {
  const { transport, gateway: sync } = mocked();
  const gateway = async ? { ...sync, decideNow: (r: SyRequest) => Promise.resolve(sync.decideNow(r)) } : sync;
  const app = express();
  if (trustProxy) app.set('trust proxy', true);
  app.use(switchyard({ gateway, mode: 'decide', ...options }));
  app.get('/api/items', (req, res) => {
    const d = req.switchyard;
    res.json({ route: d?.route, backend: d?.backend, variant: d?.variant, client: d?.request.clientAddress });
  });
  app.get('/own', (_req, res) => res.send('own handler'));
  return { app, transport };
}

describe('express - decide mode', () => {
  it('calls next() with the decision on req.switchyard and its headers on res', async () => {
    const { app, transport } = decideApp();
    const url = await start(app);
    const res = await fetch(`${url}/api/items`, { headers: { 'x-user-id': 'u1', 'x-stage': 'canary' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ route: 'api', backend: 'v2', client: '127.0.0.1' });
    expect(res.headers.get('x-experiment')).toBe(`layout-${String(body['variant'])}`);
    expect(res.headers.get('ratelimit') ?? res.headers.get('ratelimit-remaining')).not.toBeNull();
    expect(transport.requests).toHaveLength(0);
  });

  it('answers 429 itself and never reaches the handler', async () => {
    const url = await start(decideApp().app);
    expect((await fetch(`${url}/api/items`)).status).toBe(200);
    const limited = await fetch(`${url}/api/items`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('decides alike when the decision arrives as a promise (an asynchronous limiter store)', async () => {
    const url = await start(decideApp({}, false, true).app);
    const first = await fetch(`${url}/api/items`, { headers: { 'x-user-id': 'u1', 'x-stage': 'canary' } });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ route: 'api', backend: 'v2', client: '127.0.0.1' });
    expect(first.headers.get('x-experiment')).toMatch(/^layout-(a|b)$/);
    const limited = await fetch(`${url}/api/items`);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: 'SY_RATE_LIMITED' });
  });

  it("answers a throwing attributes function with the gateway's 500 (no message), or passes it to Express's error handling with errors: 'next'; the handler never runs", async () => {
    const { app } = decideApp({ attributes: () => { throw new Error('attributes failed'); } });
    const res = await fetch(`${await start(app)}/api/items`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'SY_INTERNAL' });
    expect(text).not.toContain('attributes failed');
    const passed = decideApp({ attributes: () => { throw new Error('attributes failed'); }, errors: 'next' }).app;
    passed.use((err: Error, _req: express.Request, r: express.Response, _next: express.NextFunction) => void r.status(500).send(`app: ${err.message}`));
    expect(await (await fetch(`${await start(passed)}/api/items`)).text()).toBe('app: attributes failed');
  });

  it('falls through on unmatched paths by default, or answers 404 SY_NO_ROUTE when configured', async () => {
    expect(await (await fetch(`${await start(decideApp().app)}/own`)).text()).toBe('own handler');
    const strict = await fetch(`${await start(decideApp({ notFound: 'respond' }).app)}/own`);
    expect(strict.status).toBe(404);
    expect(await strict.json()).toMatchObject({ error: 'SY_NO_ROUTE' });
  });

  it("keys client-ip limits on req.ip, so the app's trust proxy setting decides", async () => {
    // trust proxy on: two clients behind one proxy get a bucket each.
    const trusting = await start(decideApp({}, true).app);
    expect((await fetch(`${trusting}/api/items`, { headers: { 'x-forwarded-for': '203.0.113.1' } })).status).toBe(200);
    const other = await fetch(`${trusting}/api/items`, { headers: { 'x-forwarded-for': '203.0.113.2' } });
    expect(other.status).toBe(200);
    expect(((await other.json()) as Record<string, unknown>)['client']).toBe('203.0.113.2');
    // trust proxy off: X-Forwarded-For is ignored, both share the socket's bucket.
    const plain = await start(decideApp().app);
    expect((await fetch(`${plain}/api/items`, { headers: { 'x-forwarded-for': '203.0.113.1' } })).status).toBe(200);
    expect((await fetch(`${plain}/api/items`, { headers: { 'x-forwarded-for': '203.0.113.2' } })).status).toBe(429);
  });
});

describe('express - proxy mode and body parsers', () => {
  const open: GatewayConfig = { ...CONFIG, routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }] }], limits: {} };

  it('re-serialises a JSON body a parser already read, with content-length fixed', async () => {
    const { transport, gateway } = mocked(open);
    const app = express();
    app.use(express.json());
    app.use(switchyard({ gateway }));
    const url = await start(app);
    const payload = JSON.stringify({ name: 'ada', tags: ['x'] }, null, 2);
    const res = await fetch(`${url}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
    expect(res.status).toBe(200);
    const compact = JSON.stringify({ name: 'ada', tags: ['x'] });
    expect(await res.text()).toBe(`${compact.length}|application/json`);
    expect(await bodyText(transport.requests[0]?.request.body)).toBe(compact);
  });

  it('re-serialises a urlencoded body', async () => {
    const { transport, gateway } = mocked(open);
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(switchyard({ gateway }));
    const url = await start(app);
    const res = await fetch(`${url}/api/form`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=two%20words' });
    expect(res.status).toBe(200);
    expect(await bodyText(transport.requests[0]?.request.body)).toBe('a=1&b=two%20words');
  });

  it('answers 500 SY_BODY_CONSUMED when a body was read and nothing can rebuild it', async () => {
    const { transport, gateway } = mocked(open);
    const app = express();
    app.use((req, _res, next) => {
      req.resume();
      req.on('end', () => next());
    });
    app.use(switchyard({ gateway }));
    const url = await start(app);
    const res = await fetch(`${url}/api/blob`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'raw bytes' });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: 'SY_BODY_CONSUMED' });
    expect(transport.requests).toHaveLength(0);
  });

  it('answers SY_BODY_CONSUMED through the gateway\'s error formatter: request id by default, problem+json when configured', async () => {
    for (const format of ['switchyard', 'problem+json'] as const) {
      const { gateway } = mocked({ ...CONFIG, errors: { format } });
      const app = express();
      app.use((req, _res, next) => {
        req.resume();
        req.on('end', () => next());
      });
      app.use(switchyard({ gateway }));
      const url = await start(app);
      const res = await fetch(`${url}/api/blob`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'x-request-id': 'body-1' }, body: 'raw bytes' });
      expect(res.status).toBe(500);
      if (format === 'switchyard') {
        expect(res.headers.get('content-type')).toBe('application/json');
        expect(await res.json()).toEqual({ error: 'SY_BODY_CONSUMED', message: 'The request body could not be replayed.', requestId: 'body-1' });
      } else {
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(await res.json()).toMatchObject({ type: 'about:blank', title: 'Internal Server Error', status: 500, code: 'SY_BODY_CONSUMED', requestId: 'body-1' });
      }
    }
  });

  it('matches gateway routes on the full originalUrl when mounted under a path, and sends the path below the mount (or all of it with mountPath: keep)', async () => {
    const { transport, gateway } = mocked({ ...open, routes: [{ name: 'all', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'api' }] }] });
    const app = express();
    app.use('/api', switchyard({ gateway }));
    app.use('/kept', switchyard({ gateway, mountPath: 'keep' }));
    const url = await start(app);
    expect((await fetch(`${url}/api/v1/x?y=2`)).status).toBe(200);
    expect(transport.requests[0]?.request.path).toBe('/v1/x?y=2');
    expect((await fetch(`${url}/kept/v1/x?y=2`)).status).toBe(200);
    expect(transport.requests[1]?.request.path).toBe('/kept/v1/x?y=2');
  });
});

describe('express - real HTTP with the undici transport', () => {
  it('proxies to a node:http upstream on 127.0.0.1, streaming an upload both ways', async () => {
    const upstream = createServer((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': 'node' });
        res.end(`${req.method} ${req.url} ${n}`);
      });
    });
    const up = await listen(upstream);
    closers.push(() => closeServer(up.server));
    const gateway = createGateway(
      { routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }] }], upstreams: { api: { endpoints: [{ url: up.url }], balancer: { policy: 'least-request' } } } },
      { transport: createUndiciTransport() },
    );
    closers.push(() => gateway.stop());
    const app = express();
    app.use(switchyard({ gateway }));
    app.get('/own', (_req, res) => res.send('own'));
    const url = await start(app);
    const res = await fetch(`${url}/api/items?x=1`);
    expect(res.headers.get('x-upstream')).toBe('node');
    expect(await res.text()).toBe('GET /api/items?x=1 0');
    const post = await fetch(`${url}/api/upload`, { method: 'POST', body: 'x'.repeat(1_000_000) });
    expect(await post.text()).toBe('POST /api/upload 1000000');
    expect(await (await fetch(`${url}/own`)).text()).toBe('own');
  });
});
