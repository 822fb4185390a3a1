/**
 * Error bodies never show an upstream's internal address (host, IP, port, URL): each way an
 * upstream can fail over real sockets (connect refused, connection reset, timeout, DNS
 * failure) through the plugin, with the gateway's default error format; the same failures
 * with `exposeErrorDetails` (the debug option) show the address in `detail`. The timeout runs
 * on the test clock: the upstream holds the request and the test moves time past the deadline.
 */
import type { AddressInfo } from 'node:net';
import type { Gateway } from '@switchyard/gateway';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, it } from 'vitest';
import { closeServers, expectDetail, expectNoAddress, failing, fetchThrough, gatewayFor, type Failure, type Kind } from '../../express/test/failing-upstreams.js';
import { switchyard } from '../src/index.js';

const apps: FastifyInstance[] = [];
const gateways: Gateway[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
  for (const g of gateways.splice(0)) await g.stop();
  await closeServers();
});



async function proxyTo(f: Failure, exposeErrorDetails: boolean): Promise<{ status: number; text: string }> {
  const { gateway, clock } = gatewayFor(f, exposeErrorDetails);
  gateways.push(gateway);
  const app = Fastify();
  apps.push(app);
  await app.register(switchyard, { gateway, prefix: '/api' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return fetchThrough(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/orders/7`, f, clock);
}

describe('fastify - error bodies keep upstream addresses private', () => {
  const KINDS: readonly Kind[] = ['connect refused', 'connection reset', 'per-try timeout', 'route timeout', 'DNS failure'];

  it.each(KINDS)('%s: the default body names the error, not the upstream', async (kind) => {
    const f = await failing(kind);
    const { status, text } = await proxyTo(f, false);
    expectNoAddress(f, status, text);
  });

  it.each(KINDS)('%s: exposeErrorDetails (debug) shows the internal message in detail', async (kind) => {
    const f = await failing(kind);
    const { text } = await proxyTo(f, true);
    expectDetail(kind, f, text);
  });
});
