/**
 * One contender of `pnpm bench proxy`, as its own process on 127.0.0.1:0:
 *
 *     contender.ts <name> <originUrl> [<originUrl> …]
 *
 * Proxies (forwarding `/api/*` to the origin): `undici-pool` (the floor: bare `Pool.request`
 * piped to the response), `fastify-http-proxy`, `express-hpm` (http-proxy-middleware),
 * `hono-proxy` (hono's `proxy()` on @hono/node-server), `sy-node` (switchyard's gateway on a
 * plain `node:http` server through the bridge), `sy-express`, `sy-fastify`, `sy-hono`.
 * Peers proxy to the first origin; switchyard balances over all of them (least-request P2C).
 *
 * Local apps (answering `/api/*` themselves, for the decide-only overhead): `fastify-bare`,
 * `fastify-rate-limit`, `sy-fastify-decide`, `express-bare`, `express-rate-limit`,
 * `sy-express-decide`.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { pipeline } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Gateway } from '@switchyard/gateway';
import { announce } from './process.js';
import { LOCAL_BODY, benchGatewayConfig } from './shared.js';

const [name, ...origins] = process.argv.slice(2);
if (name === undefined || origins.length === 0) throw new Error('usage: contender.ts <name> <originUrl> [<originUrl> …]');
const origin = origins[0]!;
const HOST = '127.0.0.1';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

function withoutHopByHop(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k in headers) {
    const v = headers[k];
    if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  }
  return out;
}

async function listenNode(server: Server): Promise<number> {
  server.listen(0, HOST);
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

/**
 * Decide-only rows send the same rate-limit header family as the peer they are compared with:
 * X-RateLimit-* like @fastify/rate-limit's defaults, IETF RateLimit like express-rate-limit's
 * `standardHeaders: 'draft-8'`. Proxy rows keep the gateway's default (none, as Envoy), but for
 * `sy-fastify-headers` (both families: what five more fields cost).
 */
async function gateway(extra: { rateLimitHeaders?: 'both' | 'ietf' | 'legacy' } = {}): Promise<Gateway> {
  const { createGateway } = await import('@switchyard/gateway');
  const { createUndiciTransport } = await import('@switchyard/transport-undici');
  const gw = createGateway({ ...benchGatewayConfig(origins), ...extra }, { transport: createUndiciTransport() });
  gw.start();
  return gw;
}

/** switchyard's Fastify plugin in proxy mode, in front of `gw`. */
async function syFastify(gw: Gateway): Promise<number> {
  const { default: Fastify } = await import('fastify');
  const plugin = await fastifyPlugin();
  const app = Fastify({ logger: false });
  await app.register(plugin as never, { gateway: gw } as never);
  await app.listen({ host: HOST, port: 0 });
  return (app.server.address() as { port: number }).port;
}

const localBody = LOCAL_BODY;

/** The upstream request both bare undici contenders send for `req`. */
function upstreamOf(req: IncomingMessage) {
  const method = req.method ?? 'GET';
  return { method: method as 'GET', path: req.url ?? '/', headers: withoutHopByHop(req.headers), body: method === 'GET' || method === 'HEAD' ? null : req };
}

const contenders: Record<string, () => Promise<number>> = {
  async 'undici-pool'() {
    const { Pool } = await import('undici');
    const pool = new Pool(origin, { connections: 256 });
    return listenNode(
      createServer((req, res) => {
        pool
          .request(upstreamOf(req))
          .then(
            ({ statusCode, headers, body }) => {
              res.writeHead(statusCode, withoutHopByHop(headers));
              pipeline(body, res, () => {});
            },
            () => {
              res.writeHead(502).end();
            },
          );
      }),
    );
  },

  async 'undici-stream'() {
    const { Pool } = await import('undici');
    const pool = new Pool(origin, { connections: 256 });
    return listenNode(
      createServer((req, res) => {
        pool
          .stream(upstreamOf(req), ({ statusCode, headers }) => {
            res.writeHead(statusCode, withoutHopByHop(headers));
            return res;
          })
          .catch(() => {
            if (!res.headersSent) res.writeHead(502);
            res.end();
          });
      }),
    );
  },

  async 'fastify-http-proxy'() {
    const { default: Fastify } = await import('fastify');
    const { default: proxy } = await import('@fastify/http-proxy');
    const app = Fastify({ logger: false });
    await app.register(proxy, { upstream: origin, prefix: '/api', rewritePrefix: '/api' });
    await app.listen({ host: HOST, port: 0 });
    return (app.server.address() as { port: number }).port;
  },

  async 'express-hpm'() {
    const express = await loadExpress();
    const { createProxyMiddleware } = await import('http-proxy-middleware');
    const app = express();
    app.use(createProxyMiddleware({ target: origin, pathFilter: '/api' }));
    return listenNode(createServer(app));
  },

  async 'hono-proxy'() {
    const { Hono } = await import('hono');
    const { proxy } = await import('hono/proxy');
    const { serve } = await import('@hono/node-server');
    const app = new Hono();
    app.all('/api/*', (c) => {
      const url = new URL(c.req.url);
      return proxy(`${origin}${url.pathname}${url.search}`, { ...c.req, headers: { ...c.req.header(), host: undefined } });
    });
    return servePort(serve, app.fetch);
  },

  async 'sy-node'() {
    const gw = await gateway();
    const { clientAbortSignal, fromNodeRequest, writeNodeResponse } = await import('@switchyard/gateway');
    return listenNode(
      createServer((req, res) => {
        void gw.handle(fromNodeRequest(req), { signal: clientAbortSignal(res) }).then((response) => writeNodeResponse(res, response));
      }),
    );
  },

  async 'sy-express'() {
    const gw = await gateway();
    const express = await loadExpress();
    const { switchyard } = await import('@switchyard/express');
    const app = express();
    app.use(switchyard({ gateway: gw }));
    return listenNode(createServer(app));
  },

  async 'sy-hono'() {
    const gw = await gateway();
    const { Hono } = await import('hono');
    const { serve } = await import('@hono/node-server');
    const { getConnInfo } = await import('@hono/node-server/conninfo');
    const { switchyard } = await import('@switchyard/hono');
    const app = new Hono();
    app.use(switchyard({ gateway: gw, clientAddress: (c) => getConnInfo(c).remote.address }));
    return servePort(serve, app.fetch);
  },

  async 'sy-fastify'() {
    return syFastify(await gateway());
  },

  /** The same with every rate-limit header family on (`rateLimitHeaders: 'both'`: five more fields). */
  async 'sy-fastify-headers'() {
    return syFastify(await gateway({ rateLimitHeaders: 'both' }));
  },

  async 'fastify-bare'() {
    return localFastify(async () => {});
  },

  async 'fastify-rate-limit'() {
    const { default: rateLimit } = await import('@fastify/rate-limit');
    return localFastify(async (app) => {
      await app.register(rateLimit, { max: 1_000_000_000, timeWindow: 1000 });
    });
  },

  async 'sy-fastify-decide'() {
    const gw = await gateway({ rateLimitHeaders: 'legacy' });
    const plugin = await fastifyPlugin();
    return localFastify(async (app) => {
      await app.register(plugin as never, { gateway: gw, mode: 'decide' } as never);
    });
  },

  async 'express-bare'() {
    return localExpress(() => {});
  },

  async 'express-rate-limit'() {
    const { rateLimit } = await import('express-rate-limit');
    return localExpress((app) => app.use(rateLimit({ windowMs: 1000, limit: 1_000_000_000, standardHeaders: 'draft-8', legacyHeaders: false })));
  },

  async 'sy-express-decide'() {
    const gw = await gateway({ rateLimitHeaders: 'ietf' });
    const { switchyard } = await import('@switchyard/express');
    return localExpress((app) => app.use(switchyard({ gateway: gw, mode: 'decide' })));
  },
};

/** The part of Express the contenders use (benchmarks has no @types/express). */
interface ExpressApp {
  (req: IncomingMessage, res: ServerResponse): void;
  use(...handlers: unknown[]): unknown;
  get(path: string, handler: (req: never, res: never) => void): unknown;
}

async function loadExpress(): Promise<() => ExpressApp> {
  const specifier: string = 'express';
  return ((await import(specifier)) as { default: () => ExpressApp }).default;
}

type FetchHandler = (request: Request, ...rest: never[]) => Response | Promise<Response>;
type Serve = (options: { fetch: FetchHandler; port: number; hostname: string }, listening: (info: { port: number }) => void) => unknown;

function servePort(serve: unknown, fetch: unknown): Promise<number> {
  return new Promise((resolve) => {
    (serve as Serve)({ fetch: fetch as FetchHandler, port: 0, hostname: HOST }, (info) => resolve(info.port));
  });
}

/** The fastify adapter's plugin, whatever it is exported as (it is being written alongside). */
async function fastifyPlugin(): Promise<(app: never, opts: Record<string, unknown>) => unknown> {
  const mod = (await import('@switchyard/fastify')) as Record<string, unknown>;
  const plugin = mod['switchyard'] ?? mod['default'] ?? mod['switchyardPlugin'];
  if (typeof plugin !== 'function') throw new Error(`@switchyard/fastify exports no plugin (exports: ${Object.keys(mod).join(', ') || 'none'})`);
  return plugin as (app: never, opts: Record<string, unknown>) => unknown;
}

async function localFastify(setup: (app: FastifyInstance) => Promise<void>): Promise<number> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  await setup(app);
  app.get('/api/*', async (_req, reply) => reply.header('content-type', 'application/json').send(localBody));
  await app.listen({ host: HOST, port: 0 });
  return (app.server.address() as { port: number }).port;
}

async function localExpress(setup: (app: ExpressApp) => void): Promise<number> {
  const express = await loadExpress();
  const app = express();
  setup(app);
  app.get('/api/*splat', (_req: unknown, res: { type(t: string): { send(body: string): unknown } }) => {
    res.type('application/json').send(localBody);
  });
  return listenNode(createServer(app));
}

const start = contenders[name];
if (start === undefined) throw new Error(`unknown contender ${name}; known: ${Object.keys(contenders).join(', ')}`);
announce(await start());
