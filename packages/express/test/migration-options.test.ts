/**
 * Rows of the Express migration table (docs/guides/migrating.md) that the side-by-side file
 * does not cover: `changeOrigin`, `xfwd`, `headers`, `pathFilter`, `on.proxyRes` header edits,
 * `onLimitReached`-style events, `ipv6Subnet`, `skip`, and exceptions with `errors`.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createGateway, type GatewayConfig, type GatewayEvent } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';
import { closeServer, listen } from './harness.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** An upstream that answers with the request line and headers it received. */
async function echo(): Promise<string> {
  const up = await listen(createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: req.url, headers: req.headers }))));
  closers.push(() => closeServer(up.server));
  return up.url;
}

async function serve(app: express.Express): Promise<string> {
  const { server, url } = await listen(app);
  closers.push(() => closeServer(server));
  return url;
}

function gatewayOf(config: GatewayConfig, onEvent?: (e: GatewayEvent) => void) {
  const g = createGateway(config, { transport: createUndiciTransport(), ...(onEvent !== undefined ? { onEvent } : {}) });
  closers.push(() => g.stop());
  return g;
}

const route = (upstream: string, extra: Partial<GatewayConfig['routes'][number]> = {}): GatewayConfig => ({
  routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'up' }], ...extra }],
  upstreams: { up: { endpoints: [{ url: upstream }] } },
});

async function json(url: string, init?: RequestInit): Promise<{ url: string; headers: IncomingHttpHeaders }> {
  return (await (await fetch(url, init)).json()) as { url: string; headers: IncomingHttpHeaders };
}

describe('express - migration table rows', () => {
  it("changeOrigin: true → rewrite.host: 'upstream'; headers → rewrite.requestHeaders.set; on.proxyRes edits → rewrite.responseHeaders", async () => {
    const upstream = await echo();
    const app = express();
    app.use('/api', switchyard({ gateway: gatewayOf(route(upstream, { rewrite: { host: 'upstream', requestHeaders: { set: { 'x-api-version': '2' } }, responseHeaders: { set: { 'x-proxied-by': 'edge' } } } })) }));
    const base = await serve(app);
    const res = await fetch(`${base}/api/x`);
    const seen = (await res.json()) as { headers: IncomingHttpHeaders };
    expect(seen.headers.host).toBe(new URL(upstream).host);
    expect(seen.headers['x-api-version']).toBe('2');
    expect(res.headers.get('x-proxied-by')).toBe('edge');
  });

  it('xfwd: true → X-Forwarded-For/Proto/Host (rewrite.forwarded, on by default)', async () => {
    const upstream = await echo();
    const app = express();
    app.use('/api', switchyard({ gateway: gatewayOf({ ...route(upstream), clientIdentity: { trustedProxies: [] } }) }));
    const base = await serve(app);
    const seen = await json(`${base}/api/x`);
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe(new URL(base).host);
  });

  it('pathFilter → the route matches: what no route matches goes to next()', async () => {
    const upstream = await echo();
    const app = express();
    app.use('/api', switchyard({ gateway: gatewayOf({ ...route(upstream), routes: [{ name: 'orders', matches: [{ path: { type: 'PathPrefix', value: '/api/orders' } }], backends: [{ upstream: 'up' }] }] }) }));
    app.use('/api', (_req, res) => void res.send('the app'));
    const base = await serve(app);
    expect((await json(`${base}/api/orders/1`)).url).toBe('/orders/1');
    expect(await (await fetch(`${base}/api/users`)).text()).toBe('the app');
  });

  it("onLimitReached → gateway.subscribe's limited event; skip → mode: 'shadow' (counted, never refused)", async () => {
    const upstream = await echo();
    const events: GatewayEvent[] = [];
    const config: GatewayConfig = {
      ...route(upstream, { limits: ['enforced', 'observed'] }),
      clientIdentity: { trustedProxies: [] },
      limits: {
        enforced: { key: { header: 'x-user' }, policy: { maxTokens: 1, fillIntervalMs: 60_000 } },
        observed: { key: 'client-ip', mode: 'shadow', policy: { maxTokens: 1, fillIntervalMs: 60_000 } },
      },
    };
    const app = express();
    app.use(switchyard({ gateway: gatewayOf(config, (e) => events.push(e)) }));
    const base = await serve(app);
    expect((await fetch(`${base}/api/a`, { headers: { 'x-user': 'u1' } })).status).toBe(200);
    expect((await fetch(`${base}/api/a`, { headers: { 'x-user': 'u2' } })).status).toBe(200); // the shadow limit is over, and nothing is refused
    expect((await fetch(`${base}/api/a`, { headers: { 'x-user': 'u1' } })).status).toBe(429);
    expect(events.filter((e) => e.kind === 'limited').map((e) => (e.kind === 'limited' ? e.rule : ''))).toEqual(['enforced']);
  });

  it('ipv6Subnet → clientIdentity.ipv6Prefix: two addresses of one /56 share a bucket', async () => {
    const upstream = await echo();
    const config: GatewayConfig = {
      ...route(upstream, { limits: ['per-client'] }),
      clientIdentity: { trustedProxies: [], ipv6Prefix: 56 },
      limits: { 'per-client': { key: 'client-ip', policy: { maxTokens: 1, fillIntervalMs: 60_000 } } },
    };
    const app = express();
    app.use(switchyard({ gateway: gatewayOf(config), clientAddress: (req) => String(req.headers['x-test-ip']) }));
    const base = await serve(app);
    expect((await fetch(`${base}/api/a`, { headers: { 'x-test-ip': '2001:db8:0:ab01::1' } })).status).toBe(200);
    expect((await fetch(`${base}/api/a`, { headers: { 'x-test-ip': '2001:db8:0:ab02::2' } })).status).toBe(429);
    expect((await fetch(`${base}/api/a`, { headers: { 'x-test-ip': '2001:db8:0:cd00::1' } })).status).toBe(200);
  });

  it("an exception answers the gateway's 500 (no message, no stack); errors: 'next' hands it to the app", async () => {
    const upstream = await echo();
    const gateway = gatewayOf(route(upstream));
    const attributes = () => {
      throw new Error('secret at 10.1.2.3');
    };
    const app = express();
    app.use('/a', switchyard({ gateway, attributes }));
    app.use('/n', switchyard({ gateway, attributes, errors: 'next' }));
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(500).send(`app handler: ${err.message}`));
    const base = await serve(app);
    const answered = await fetch(`${base}/a/api/x`);
    expect(answered.status).toBe(500);
    const text = await answered.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'SY_INTERNAL' });
    expect(text).not.toContain('10.1.2.3');
    expect(await (await fetch(`${base}/n/api/x`)).text()).toBe('app handler: secret at 10.1.2.3');
  });
});
