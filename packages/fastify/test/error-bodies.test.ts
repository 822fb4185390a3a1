/**
 * Error bodies never show an upstream's internal address (host, IP, port, URL): each way an
 * upstream can fail over real sockets (connect refused, connection reset, timeout, DNS
 * failure) through the plugin, with the gateway's default error format; the same failures
 * with `exposeErrorDetails` (the debug option) show the address in `detail`. The timeout runs
 * on the test clock: the upstream holds the request and the test moves time past the deadline.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGateway, type Gateway } from '@switchyard/gateway';
import { createTestClock } from '@switchyard/testing';
import { createUndiciTransport } from '@switchyard/transport-undici';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';

const servers: Server[] = [];
const apps: FastifyInstance[] = [];
const gateways: Gateway[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
  for (const g of gateways.splice(0)) await g.stop();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<number> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

type Kind = 'connect refused' | 'connection reset' | 'per-try timeout' | 'route timeout' | 'DNS failure';

interface Failure {
  readonly url: string;
  /** Strings that identify the upstream: none may appear in a default body. */
  readonly secrets: readonly string[];
  /** Resolves when the upstream holds the request (timeouts only). */
  readonly held?: Promise<void>;
  /** The route's per-try timeout, for `per-try timeout`. */
  readonly perTryTimeoutMs?: number;
}

async function failing(kind: Kind): Promise<Failure> {
  switch (kind) {
    case 'connect refused': {
      const s = createServer();
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      const port = (s.address() as AddressInfo).port;
      await new Promise((r) => s.close(r));
      return { url: `http://127.0.0.1:${port}`, secrets: ['127.0.0.1', `:${port}`] };
    }
    case 'connection reset': {
      const port = await serve((req) => req.socket.destroy());
      return { url: `http://127.0.0.1:${port}`, secrets: ['127.0.0.1', `:${port}`] };
    }
    case 'per-try timeout':
    case 'route timeout': {
      let arrived!: () => void;
      const held = new Promise<void>((r) => (arrived = r));
      const port = await serve(() => arrived());
      return { url: `http://127.0.0.1:${port}`, secrets: ['127.0.0.1', `:${port}`], held, ...(kind === 'per-try timeout' ? { perTryTimeoutMs: 2_000 } : {}) };
    }
    case 'DNS failure':
      return { url: 'http://orders-db.internal.invalid:8443', secrets: ['orders-db', 'internal.invalid', ':8443'] };
  }
}

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
