/** Hono on @hono/node-server: the shared gateway as middleware in proxy mode. */
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Gateway } from '@switchyard/gateway';
import { switchyard } from '@switchyard/hono';
import { Hono } from 'hono';

/** Serves `gateway` with Hono on 127.0.0.1:`port`; resolves its URL and a stop function (the gateway is the caller's). */
export function serveHono(gateway: Gateway, port = 0): Promise<{ url: string; close: () => Promise<void> }> {
  const app = new Hono();
  // The TCP peer (node-server's connection info): the gateway's clientIdentity applies X-Forwarded-For.
  app.use(switchyard({ gateway, clientAddress: (c) => getConnInfo(c as never).remote.address }));
  app.get('/health', (c) => c.text('ok\n'));
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) =>
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((r) => {
            if ('closeAllConnections' in server) server.closeAllConnections();
            server.close(() => r());
          }),
      }),
    );
  });
}
