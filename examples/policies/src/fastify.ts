/** Fastify: the shared gateway registered as a plugin in proxy mode. */
import type { AddressInfo } from 'node:net';
import { switchyard } from '@switchyard/fastify';
import type { Gateway } from '@switchyard/gateway';
import Fastify from 'fastify';

/** Serves `gateway` with Fastify on 127.0.0.1:`port`; resolves its URL and a stop function (the gateway is the caller's). */
export async function serveFastify(gateway: Gateway, port = 0): Promise<{ url: string; close: () => Promise<void> }> {
  const app = Fastify({ forceCloseConnections: true });
  await app.register(switchyard, { gateway, clientAddress: 'socket' });
  app.get('/health', async () => 'ok\n');
  await app.listen({ port, host: '127.0.0.1' });
  const address = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}
