/**
 * Real HTTP on 127.0.0.1: a Hono upstream and the switchyard middleware, both on
 * @hono/node-server, with the undici transport in between.
 */
import { serve, type ServerType } from '@hono/node-server';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';

const servers: ServerType[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

function listen(app: Hono): Promise<number> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
    servers.push(server);
  });
}

describe('hono - real HTTP through @hono/node-server and the undici transport', () => {
  it('proxies a routed request, streams an upload through and keeps the app routes', async () => {
    const upstream = new Hono();
    upstream.all('*', async (c) => c.text(`${c.req.method} ${new URL(c.req.url).pathname} ${(await c.req.text()).length}`, 200, { 'x-upstream': 'one' }));
    const upstreamPort = await listen(upstream);
    const config: GatewayConfig = {
      routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }] }],
      upstreams: { api: { endpoints: [{ url: `http://127.0.0.1:${upstreamPort}` }], balancer: { policy: 'least-request' } } },
    };
    const gateway = createGateway(config, { transport: createUndiciTransport() });
    const app = new Hono();
    app.use(switchyard({ gateway }));
    app.get('/own', (c) => c.text('own'));
    const port = await listen(app);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/items?x=1`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-upstream')).toBe('one');
      expect(await res.text()).toBe('GET /api/items 0');
      const post = await fetch(`http://127.0.0.1:${port}/api/upload`, { method: 'POST', body: 'x'.repeat(100_000) });
      expect(await post.text()).toBe('POST /api/upload 100000');
      expect(await (await fetch(`http://127.0.0.1:${port}/own`)).text()).toBe('own');
    } finally {
      await gateway.stop();
    }
  });
});
