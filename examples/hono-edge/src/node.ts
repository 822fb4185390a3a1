/**
 * Node entry: `pnpm --filter @switchyard/example-hono-edge start`. Starts a local upstream on
 * 127.0.0.1 and the same app as the Worker on @hono/node-server, PORT (default 8080).
 */
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { createApp, createEdgeGateway } from './app.js';

function listen(app: Hono, port: number): Promise<{ port: number; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) =>
      resolve({ port: info.port, close: () => new Promise<void>((r) => server.close(() => r())) }),
    );
  });
}

/** Starts the upstream and the app; returns its URL and a stop function. */
export async function start(port = 0): Promise<{ url: string; stop: () => Promise<void> }> {
  const upstream = new Hono().all('*', (c) => c.text(`edge upstream: ${c.req.method} ${new URL(c.req.url).pathname}\n`));
  const up = await listen(upstream, 0);
  const gateway = createEdgeGateway(`http://127.0.0.1:${up.port}`);
  const app = createApp(gateway, (c) => getConnInfo(c as never).remote.address);
  const front = await listen(app, port);
  return {
    url: `http://127.0.0.1:${front.port}`,
    async stop() {
      await front.close();
      await up.close();
      await gateway.stop();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await start(Number(process.env['PORT'] ?? 8080));
  console.log(`hono-edge on ${url}: try ${url}/api/hello`);
}
