/**
 * Side by side with `@fastify/http-proxy` 11: the same Fastify app shape, the same origin, the
 * path cases of its own test suite (`test/test.js`: "prefixed proxy", "rewritePrefix",
 * "rewritePrefix without prefix", "prefix stripping handles URL-encoded prefixes", "rewrite
 * location headers", "multiple prefixes with multiple plugins"; `test/http-prefix-rewrite.js`:
 * "HTTP paths cannot escape rewritePrefix"). Each case asserts what the origin saw through
 * both proxies, so a difference shows as a failing row, not as a doc claim.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastifyHttpProxy from '@fastify/http-proxy';
import { createGateway, type Gateway } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A raw GET (no URL parser in between: `/%61pi` and `/a/../b` reach the server as written). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
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
let secretHits = 0;

beforeAll(async () => {
  // Echoes the path it received; `/redirect...` answers with a relative Location.
  origin = createServer((req, res) => {
    if (req.url === '/secret') secretHits++;
    if (req.url?.startsWith('/redirect')) res.setHeader('location', '/something');
    res.writeHead(200, { 'content-type': 'text/plain', 'x-origin': 'yes' }).end(`origin:${req.url}`);
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
});

afterAll(async () => {
  origin.closeAllConnections();
  await new Promise((r) => origin.close(r));
});

const open: FastifyInstance[] = [];
const gateways: Gateway[] = [];
afterEach(async () => {
  for (const app of open.splice(0)) await app.close();
  for (const g of gateways.splice(0)) await g.stop();
});

/** Everything to one upstream, as `@fastify/http-proxy` sends everything under its prefix to `upstream`. */
function gatewayTo(url: string): Gateway {
  const g = createGateway(
    { routes: [{ name: 'all', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'origin' }] }], upstreams: { origin: { endpoints: [{ url }] } } },
    { transport: createUndiciTransport() },
  );
  gateways.push(g);
  return g;
}

async function listen(app: FastifyInstance): Promise<number> {
  open.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

interface Mount {
  readonly prefix?: string;
  readonly rewritePrefix?: string;
}

/** The same app twice: once with `@fastify/http-proxy`, once with switchyard. */
async function both(mount: Mount): Promise<{ before: number; after: number }> {
  const before = Fastify();
  await before.register(fastifyHttpProxy, { upstream: originUrl, ...mount });
  before.get('/health', async () => 'own route');
  const after = Fastify();
  await after.register(switchyard, { gateway: gatewayTo(originUrl), ...mount });
  after.get('/health', async () => 'own route');
  return { before: await listen(before), after: await listen(after) };
}

describe('fastify - path mapping side by side with @fastify/http-proxy', () => {
  // [mount, request path, what the origin sees (both proxies)]
  const CASES: readonly (readonly [Mount, string, string])[] = [
    // "basic proxy"
    [{}, '/', '/'],
    [{}, '/a', '/a'],
    [{}, '/a?x=1&y=2', '/a?x=1&y=2'],
    // "prefixed proxy": the prefix is stripped
    [{ prefix: '/my-prefix' }, '/my-prefix/', '/'],
    [{ prefix: '/my-prefix' }, '/my-prefix', '/'],
    [{ prefix: '/my-prefix' }, '/my-prefix/a', '/a'],
    [{ prefix: '/my-prefix' }, '/my-prefix/a/b?q=1', '/a/b?q=1'],
    // "rewritePrefix"
    [{ prefix: '/api', rewritePrefix: '/api2' }, '/api/a', '/api2/a'],
    [{ prefix: '/api', rewritePrefix: '/api2' }, '/api', '/api2'],
    [{ prefix: '/api', rewritePrefix: '/api2/' }, '/api/a', '/api2/a'],
    // keeping the prefix: rewritePrefix = prefix
    [{ prefix: '/api', rewritePrefix: '/api' }, '/api/a', '/api/a'],
    // "rewritePrefix without prefix"
    [{ rewritePrefix: '/api2' }, '/a', '/api2/a'],
    // "prefix stripping handles URL-encoded prefixes"
    [{ prefix: '/api' }, '/%61pi/a', '/a'],
    [{ prefix: '/api' }, '/%61%70%69/a', '/a'],
    // "rewritePrefix rewrites URL-encoded prefixes"
    [{ prefix: '/api', rewritePrefix: '/safe' }, '/%61pi/admin/secrets', '/safe/admin/secrets'],
  ];

  it.each(CASES)('%j: GET %s reaches the origin as %s through both', async (mount, path, expected) => {
    const { before, after } = await both(mount);
    const a = await get(before, path);
    const b = await get(after, path);
    expect(a.body).toBe(`origin:${expected}`);
    expect(b.body).toBe(`origin:${expected}`);
    expect(b.status).toBe(a.status);
    expect(b.headers['x-origin']).toBe('yes');
  });

  it('an encoded unreserved character after the prefix: @fastify/http-proxy forwards it as sent, switchyard decoded (RFC 3986 §6.2.2.2: the same resource)', async () => {
    const { before, after } = await both({ prefix: '/api', rewritePrefix: '/safe' });
    expect((await get(before, '/a%70i/admin/%73ecrets')).body).toBe('origin:/safe/admin/%73ecrets');
    expect((await get(after, '/a%70i/admin/%73ecrets')).body).toBe('origin:/safe/admin/secrets');
  });

  it('the app beside the prefix keeps its own routes, and paths outside the prefix are not proxied (404 from Fastify)', async () => {
    const { before, after } = await both({ prefix: '/api' });
    for (const port of [before, after]) {
      expect((await get(port, '/health')).body).toBe('own route');
      expect((await get(port, '/elsewhere')).status).toBe(404);
      expect((await get(port, '/apix')).status).toBe(404);
    }
  });

  it('"HTTP paths cannot escape rewritePrefix": dot segments that leave the prefix answer 400 and never reach the origin', async () => {
    const { before, after } = await both({ prefix: '/pub', rewritePrefix: '/internal' });
    secretHits = 0;
    for (const path of ['/pub/dir/../../secret', '/pub/%2E%2E/secret', '/pub/..%2F..%2Fsecret']) {
      const a = await get(before, path);
      const b = await get(after, path);
      expect(a.status, path).toBe(400);
      expect(b.status, path).toBe(400);
    }
    expect(secretHits).toBe(0);
    expect((await get(after, '/pub/foo')).body).toBe('origin:/internal/foo');
  });

  it('"rewrite location headers": a relative Location gets the prefix back; internalRewriteLocationHeader: false keeps it', async () => {
    const { before, after } = await both({ prefix: '/api' });
    expect((await get(before, '/api/redirect')).headers.location).toBe('/api/something');
    expect((await get(after, '/api/redirect')).headers.location).toBe('/api/something');
    const plain = Fastify();
    await plain.register(switchyard, { gateway: gatewayTo(originUrl), prefix: '/api', internalRewriteLocationHeader: false });
    expect((await get(await listen(plain), '/api/redirect')).headers.location).toBe('/something');
  });

  it('"multiple prefixes with multiple plugins": two registrations, two prefixes, each its own upstream', async () => {
    const second = createServer((req, res) => res.end(`second:${req.url}`));
    await new Promise<void>((r) => second.listen(0, '127.0.0.1', r));
    try {
      const secondUrl = `http://127.0.0.1:${(second.address() as AddressInfo).port}`;
      const before = Fastify();
      await before.register(fastifyHttpProxy, { upstream: originUrl, prefix: '/api' });
      await before.register(fastifyHttpProxy, { upstream: secondUrl, prefix: '/api2' });
      const after = Fastify();
      await after.register(switchyard, { gateway: gatewayTo(originUrl), prefix: '/api' });
      await after.register(switchyard, { gateway: gatewayTo(secondUrl), prefix: '/api2' });
      for (const port of [await listen(before), await listen(after)]) {
        expect((await get(port, '/api')).body).toBe('origin:/');
        expect((await get(port, '/api2')).body).toBe('second:/');
        expect((await get(port, '/api2/x')).body).toBe('second:/x');
      }
    } finally {
      second.closeAllConnections();
      await new Promise((r) => second.close(r));
    }
  });

  it("an upstream URL with a path: @fastify/http-proxy's default rewritePrefix is that path; switchyard endpoints are origins, so it is rewritePrefix", async () => {
    const before = Fastify();
    await before.register(fastifyHttpProxy, { upstream: `${originUrl}/base`, prefix: '/api' });
    const after = Fastify();
    await after.register(switchyard, { gateway: gatewayTo(originUrl), prefix: '/api', rewritePrefix: '/base' });
    const [b, a] = [await listen(before), await listen(after)];
    for (const path of ['/api/x', '/api/x/y?z=1', '/api']) expect((await get(a, path)).body).toBe((await get(b, path)).body);
  });
});
