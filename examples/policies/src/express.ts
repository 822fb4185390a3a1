/** Express: the shared gateway mounted in proxy mode (before any body parser). */
import { createServer } from 'node:http';
import { switchyard } from '@switchyard/express';
import type { Gateway } from '@switchyard/gateway';
import express from 'express';
import { closeServer, listen } from './upstreams.js';

/** Serves `gateway` with Express on 127.0.0.1:`port`; resolves its URL and a stop function (the gateway is the caller's). */
export async function serveExpress(gateway: Gateway, port = 0): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  // 'socket': the TCP peer is the client as the gateway sees it; its clientIdentity applies X-Forwarded-For.
  app.use(switchyard({ gateway, clientAddress: 'socket' }));
  app.get('/health', (_req, res) => res.send('ok\n'));
  const server = createServer(app);
  const actual = await listen(server, port);
  return { url: `http://127.0.0.1:${actual}`, close: () => closeServer(server) };
}
