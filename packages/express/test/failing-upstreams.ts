/**
 * Upstreams that fail each way an upstream can over real sockets on 127.0.0.1 (connect refused,
 * connection reset, held past a timeout, DNS failure), with the strings that identify each one:
 * the error-bodies tests of the Express and Fastify adapters share them, with the gateway they
 * proxy through, the request, and the two checks both adapters make. `closeServers` (in
 * afterEach) stops every server `serve` started.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGateway, type Gateway } from '@switchyard/gateway';
import { createTestClock, type TestClock } from '@switchyard/testing';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { expect } from 'vitest';

const servers: Server[] = [];

/** Closes every server {@link serve} started (their open connections first). */
export async function closeServers(): Promise<void> {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
}

/** Serves `handler` on 127.0.0.1 (closed by {@link closeServers}); resolves with the port. */
export async function serve(handler: NonNullable<Parameters<typeof createServer>[1]>): Promise<number> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

export type Kind = 'connect refused' | 'connection reset' | 'per-try timeout' | 'route timeout' | 'DNS failure';

export interface Failure {
  readonly url: string;
  /** Strings that identify the upstream: none may appear in a default body. */
  readonly secrets: readonly string[];
  /** Resolves when the upstream holds the request (timeouts only). */
  readonly held?: Promise<void>;
  /** The route's per-try timeout, for `per-try timeout`. */
  readonly perTryTimeoutMs?: number;
}

export async function failing(kind: Kind): Promise<Failure> {
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

/**
 * A gateway with one route to `f`'s upstream (5 s deadline, `f`'s per-try timeout, no retries) on
 * the undici transport and a test clock; the caller stops it.
 */
export function gatewayFor(f: Failure, exposeErrorDetails: boolean): { gateway: Gateway; clock: TestClock } {
  const clock = createTestClock();
  const gateway = createGateway(
    {
      routes: [{ name: 'orders', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'orders' }], timeoutMs: 5_000, ...(f.perTryTimeoutMs !== undefined ? { perTryTimeoutMs: f.perTryTimeoutMs } : {}), retry: { numRetries: 0 } }],
      upstreams: { orders: { endpoints: [{ url: f.url }] } },
    },
    { transport: createUndiciTransport({ clock }), clock, exposeErrorDetails },
  );
  return { gateway, clock };
}

/**
 * GETs `url` through the adapter; for a held upstream, moves the test clock past the 5 s deadline
 * once the request is held. Resolves with the status and the headers and body as one text (an
 * address must not hide in either).
 */
export async function fetchThrough(url: string, f: Failure, clock: TestClock): Promise<{ status: number; text: string }> {
  const pending = fetch(url);
  if (f.held !== undefined) {
    await f.held;
    await clock.advanceAsync(5_000);
  }
  const res = await pending;
  let text = '';
  res.headers.forEach((v, k) => (text += `${k}: ${v}\n`));
  return { status: res.status, text: text + (await res.text()) };
}

/** The default body names the error, not the upstream. */
export function expectNoAddress(f: Failure, status: number, text: string): void {
  expect([502, 503, 504]).toContain(status);
  expect(text).toMatch(/"error":"SY_(UPSTREAM_[A-Z_]+|DEADLINE_EXCEEDED)"/);
  for (const secret of f.secrets) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/https?:\/\//);
}

/** With exposeErrorDetails, `detail` holds the internal message: a timeout's names the timeout, every other one the upstream. */
export function expectDetail(kind: Kind, f: Failure, text: string): void {
  expect(text).toMatch(/"detail":"/);
  if (kind.endsWith('timeout')) expect(text).toMatch(/timeout of (2000|5000) ms exceeded/);
  else expect(f.secrets.some((s) => text.includes(s))).toBe(true);
}
