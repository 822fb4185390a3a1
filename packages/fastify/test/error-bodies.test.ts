/**
 * Error bodies never show an upstream's internal address (host, IP, port, URL): each way an
 * upstream can fail over real sockets (connect refused, connection reset, timeout, DNS
 * failure) through the plugin, with the gateway's default error format; the same failures
 * with `exposeErrorDetails` (the debug option) show the address in `detail`. The timeout runs
 * on the test clock: the upstream holds the request and the test moves time past the deadline.
 */
import type { AddressInfo } from 'node:net';
import { createGateway, type Gateway } from '@switchyard/gateway';
import { createTestClock } from '@switchyard/testing';
import { createUndiciTransport } from '@switchyard/transport-undici';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServers, failing, type Failure, type Kind } from '../../express/test/failing-upstreams.js';
import { switchyard } from '../src/index.js';

const apps: FastifyInstance[] = [];
const gateways: Gateway[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
  for (const g of gateways.splice(0)) await g.stop();
  await closeServers();
});



async function proxyTo(f: Failure, exposeErrorDetails: boolean): Promise<{ status: number; text: string }> {
  const clock = createTestClock();
  const gateway = createGateway(
    {
      routes: [{ name: 'orders', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'orders' }], timeoutMs: 5_000, ...(f.perTryTimeoutMs !== undefined ? { perTryTimeoutMs: f.perTryTimeoutMs } : {}), retry: { numRetries: 0 } }],
      upstreams: { orders: { endpoints: [{ url: f.url }] } },
    },
    { transport: createUndiciTransport({ clock }), clock, exposeErrorDetails },
  );
  gateways.push(gateway);
  const app = Fastify();
  apps.push(app);
  await app.register(switchyard, { gateway, prefix: '/api' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const pending = fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/orders/7`);
  if (f.held !== undefined) {
    await f.held;
    await clock.advanceAsync(5_000);
  }
  const res = await pending;
  // Headers and body together: an address must not hide in either.
  let text = '';
  res.headers.forEach((v, k) => (text += `${k}: ${v}\n`));
  return { status: res.status, text: text + (await res.text()) };
}

describe('fastify - error bodies keep upstream addresses private', () => {
  const KINDS: readonly Kind[] = ['connect refused', 'connection reset', 'per-try timeout', 'route timeout', 'DNS failure'];

  it.each(KINDS)('%s: the default body names the error, not the upstream', async (kind) => {
    const f = await failing(kind);
    const { status, text } = await proxyTo(f, false);
    expect([502, 503, 504]).toContain(status);
    expect(text).toMatch(/"error":"SY_(UPSTREAM_[A-Z_]+|DEADLINE_EXCEEDED)"/);
    for (const secret of f.secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/https?:\/\//);
  });

  it.each(KINDS)('%s: exposeErrorDetails (debug) shows the internal message in detail', async (kind) => {
    const f = await failing(kind);
    const { text } = await proxyTo(f, true);
    expect(text).toMatch(/"detail":"/);
    // A timeout's internal message names the timeout, not the upstream; every other one names the upstream.
    if (kind.endsWith('timeout')) expect(text).toMatch(/timeout of (2000|5000) ms exceeded/);
    else expect(f.secrets.some((s) => text.includes(s))).toBe(true);
  });
});
