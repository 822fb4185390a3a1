/**
 * Side by side with `http-proxy-middleware` 3 on Express 5: the same mounts, the same origin,
 * what the origin saw through each. hpm 3 proxies `req.url` (the path below the mount:
 * `HttpProxyMiddleware.prepareProxyRequest`; the `req.url = req.originalUrl` patch is only for
 * `legacyCreateProxyMiddleware`), joined to the target's path by http-proxy's
 * `common.urlJoin`. Its README: "`app.use('/api', proxy)` with `target: 'http://host/api'` keeps
 * the same base path".
 */
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { createGateway, type Gateway, type GatewayConfig } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import express from 'express';
import { createProxyMiddleware, legacyCreateProxyMiddleware } from 'http-proxy-middleware';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { switchyard, type SwitchyardExpressOptions } from '../src/index.js';
import { closeServer, listen } from './harness.js';

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A raw GET (no URL parser in between). */
function get(url: string, path: string): Promise<Reply> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: Number(port), path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let origin: Server;
let originUrl = '';
beforeAll(async () => {
  const o = await listen((req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`origin:${req.url}`));
  origin = o.server;
  originUrl = o.url;
});
afterAll(() => closeServer(origin));

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function gatewayOf(config?: Partial<GatewayConfig>): Gateway {
  const g = createGateway(
    { routes: [{ name: 'all', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'origin' }] }], upstreams: { origin: { endpoints: [{ url: originUrl }] } }, ...config },
    { transport: createUndiciTransport() },
  );
  closers.push(() => g.stop());
  return g;
}

async function serve(app: express.Express): Promise<string> {
  const { server, url } = await listen(app);
  closers.push(() => closeServer(server));
  return url;
}

interface Case {
  /** `app.use(mount, …)`; undefined: at the root. */
  readonly mount: string | undefined;
  /** hpm's target path (`http://host<path>`). */
  readonly targetPath: string;
  /** switchyard's options for the same. */
  readonly sy: Partial<SwitchyardExpressOptions>;
}

async function both(c: Case): Promise<{ before: string; after: string }> {
  const before = express();
  const hpm = createProxyMiddleware({ target: `${originUrl}${c.targetPath}` });
  if (c.mount === undefined) before.use(hpm);
  else before.use(c.mount, hpm);
  const after = express();
  const sy = switchyard({ gateway: gatewayOf(), ...c.sy });
  if (c.mount === undefined) after.use(sy);
  else after.use(c.mount, sy);
  return { before: await serve(before), after: await serve(after) };
}

describe('express - path mapping side by side with http-proxy-middleware 3', () => {
  const ROOT: Case = { mount: undefined, targetPath: '', sy: {} };
  const API: Case = { mount: '/api', targetPath: '', sy: {} };
  const API_KEEP: Case = { mount: '/api', targetPath: '/api', sy: { rewritePrefix: '/api' } };
  const API_BASE: Case = { mount: '/api', targetPath: '/base', sy: { rewritePrefix: '/base' } };
  const ROOT_BASE: Case = { mount: undefined, targetPath: '/base', sy: { rewritePrefix: '/base' } };
  const NESTED: Case = { mount: '/api/v1', targetPath: '', sy: {} };
  // [case, request path, what the origin sees through both]
  const CASES: readonly (readonly [string, Case, string, string])[] = [
    ['root', ROOT, '/', '/'],
    ['root', ROOT, '/a/b?x=1&x=2', '/a/b?x=1&x=2'],
    ["app.use('/api'): the mount is stripped", API, '/api/users', '/users'],
    ["app.use('/api')", API, '/api/users/7?expand=1', '/users/7?expand=1'],
    ["app.use('/api')", API, '/api', '/'],
    ["app.use('/api')", API, '/api/', '/'],
    ["app.use('/api'), Express matches the mount case-insensitively", API, '/API/users', '/users'],
    ["app.use('/api') + target …/api (the README's 'keep the same base path')", API_KEEP, '/api/foo/bar', '/api/foo/bar'],
    ["app.use('/api') + target …/base", API_BASE, '/api/x', '/base/x'],
    ["app.use('/api') + target …/base: http-proxy's urlJoin keeps the slash", API_BASE, '/api', '/base/'],
    ['root + target …/base', ROOT_BASE, '/x?q=1', '/base/x?q=1'],
    ["app.use('/api/v1')", NESTED, '/api/v1/orders', '/orders'],
  ];

  it.each(CASES)('%s: GET %s', async (_name, c, path, expected) => {
    const { before, after } = await both(c);
    const a = await get(before, path);
    const b = await get(after, path);
    expect(a.body).toBe(`origin:${expected}`);
    expect(b.body).toBe(`origin:${expected}`);
    expect(b.status).toBe(a.status);
  });

  it("mountPath: 'keep' is http-proxy-middleware 2's (and legacyCreateProxyMiddleware's) req.originalUrl", async () => {
    const before = express();
    before.use('/api', legacyCreateProxyMiddleware({ target: originUrl, logger: { info() {}, warn() {}, error() {} } }));
    const after = express();
    after.use('/api', switchyard({ gateway: gatewayOf(), mountPath: 'keep' }));
    const [b, a] = [await serve(before), await serve(after)];
    for (const path of ['/api/users?x=1', '/api']) {
      expect((await get(a, path)).body).toBe((await get(b, path)).body);
    }
    expect((await get(a, '/api/users?x=1')).body).toBe('origin:/api/users?x=1');
  });

  it('a path that dot segments move out of the mount is refused (400) instead of reaching the origin elsewhere', async () => {
    const app = express();
    app.use('/api', switchyard({ gateway: gatewayOf() }));
    const url = await serve(app);
    expect((await get(url, '/api/../admin')).status).toBe(400);
    expect((await get(url, '/api/x/../y')).body).toBe('origin:/y');
  });

  it('pathRewrite → the route rewrite (which then decides the whole upstream path, from the full path)', async () => {
    const before = express();
    before.use('/api', createProxyMiddleware({ target: originUrl, pathRewrite: { '^/v1': '/v2' } }));
    const after = express();
    const gateway = gatewayOf({
      routes: [{ name: 'v1', matches: [{ path: { type: 'PathPrefix', value: '/api/v1' } }], backends: [{ upstream: 'origin' }], rewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } } }],
    });
    after.use('/api', switchyard({ gateway }));
    const [b, a] = [await serve(before), await serve(after)];
    expect((await get(b, '/api/v1/users')).body).toBe('origin:/v2/users');
    expect((await get(a, '/api/v1/users')).body).toBe('origin:/v2/users');
  });

  it('router → gateway routes with their own upstreams', async () => {
    const second = await listen((req, res) => res.end(`second:${req.url}`));
    closers.push(() => closeServer(second.server));
    const before = express();
    before.use('/api', createProxyMiddleware({ target: originUrl, router: { '/beta': second.url } }));
    const after = express();
    const gateway = gatewayOf({
      routes: [
        { name: 'beta', matches: [{ path: { type: 'PathPrefix', value: '/api/beta' } }], backends: [{ upstream: 'second' }] },
        { name: 'all', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'origin' }] },
      ],
      upstreams: { origin: { endpoints: [{ url: originUrl }] }, second: { endpoints: [{ url: second.url }] } },
    });
    after.use('/api', switchyard({ gateway }));
    const [b, a] = [await serve(before), await serve(after)];
    for (const port of [b, a]) {
      expect((await get(port, '/api/beta/x')).body).toBe('second:/beta/x');
      expect((await get(port, '/api/other')).body).toBe('origin:/other');
    }
  });
});
