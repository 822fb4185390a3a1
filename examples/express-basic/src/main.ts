/**
 * Express + switchyard: `pnpm --filter @switchyard/example-express-basic start`.
 * Starts two local upstreams on 127.0.0.1, then an Express app on PORT (default 8080) whose
 * /api is proxied by switchyard (least-request balancing, 2 retries, a per-client limit) while
 * /health stays the app's own route.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { switchyard } from '@switchyard/express';
import { createGateway } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import express from 'express';

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** Starts the upstreams and the app; returns its URL and a stop function. */
export async function start(port = 0): Promise<{ url: string; stop: () => Promise<void> }> {
  const upstreams = ['a', 'b'].map((name) => createServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`upstream ${name}: ${req.method} ${req.url}\n`)));
  const ports = await Promise.all(upstreams.map((u) => listen(u, 0)));
  const gateway = createGateway(
    {
      clientIdentity: { trustedProxies: [] }, // req.ip (Express's trust proxy) is the client
      routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }], retry: { numRetries: 2 }, limits: ['per-client'] }],
      upstreams: { api: { endpoints: ports.map((p) => ({ url: `http://127.0.0.1:${p}` })), balancer: { policy: 'least-request' } } },
      limits: { 'per-client': { key: 'client-ip', policy: { maxTokens: 20, tokensPerFill: 10, fillIntervalMs: 1_000 } } },
      // Tell clients their budget (IETF RateLimit-Policy / RateLimit); the default sends none.
      rateLimitHeaders: 'ietf',
    },
    { transport: createUndiciTransport() },
  );
  const app = express();
  app.use(switchyard({ gateway })); // before any body parser
  app.get('/health', (_req, res) => res.send('ok\n'));
  const server = createServer(app);
  const actual = await listen(server, port);
  return {
    url: `http://127.0.0.1:${actual}`,
    async stop() {
      for (const s of [server, ...upstreams]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
      await gateway.stop();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await start(Number(process.env['PORT'] ?? 8080));
  console.log(`express-basic on ${url}: try ${url}/api/hello and ${url}/health`);
}
