/**
 * Fastify + switchyard canary: `pnpm --filter @switchyard/example-fastify-canary start`.
 * Starts a v1 and a v2 upstream on 127.0.0.1 and a Fastify app on PORT (default 8080) that
 * sends 10 % of users (sticky by `x-user-id`) to v2, and everyone with `x-canary: always`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { switchyard } from '@switchyard/fastify';
import { createGateway } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import Fastify from 'fastify';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** Starts the upstreams and the app; returns its URL and a stop function. */
export async function start(port = 0): Promise<{ url: string; stop: () => Promise<void> }> {
  const versions = ['v1', 'v2'];
  const upstreams = versions.map((v) => createServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'x-version': v }).end(`${v} ${req.url}\n`)));
  const ports = await Promise.all(upstreams.map(listen));
  const gateway = createGateway(
    {
      routes: [
        {
          name: 'shop',
          matches: [{ path: { type: 'PathPrefix', value: '/shop' } }],
          backends: [
            { name: 'v1', upstream: 'shop', subset: { version: 'v1' }, weight: 90 },
            { name: 'v2', upstream: 'shop', subset: { version: 'v2' }, weight: 10 },
          ],
          split: { key: { header: 'x-user-id' }, canary: [{ backend: 'v2', when: { header: 'x-canary', value: 'always' } }] },
        },
      ],
      upstreams: { shop: { endpoints: versions.map((v, i) => ({ url: `http://127.0.0.1:${ports[i]}`, metadata: { version: v } })), balancer: { policy: 'peak-ewma' } } },
    },
    { transport: createUndiciTransport() },
  );
  const app = Fastify({ forceCloseConnections: true });
  await app.register(switchyard, { gateway });
  app.get('/health', async () => 'ok\n');
  await app.listen({ port, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    async stop() {
      await app.close();
      for (const s of upstreams) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
      await gateway.stop();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await start(Number(process.env['PORT'] ?? 8080));
  console.log(`fastify-canary on ${url}: curl -H 'x-user-id: alice' ${url}/shop/cart ; curl -H 'x-canary: always' ${url}/shop/cart`);
}
