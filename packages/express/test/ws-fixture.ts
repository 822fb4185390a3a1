/**
 * The WebSocket-upgrade fixture shared by the Express and Fastify adapters' upgrade tests: `ws`
 * echo upstreams, a dead origin, the gateway config both suites route through, and client
 * helpers. Every resource is registered for cleanup; call `runCleanups` in `afterEach`.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewayConfig } from '@switchyard/gateway';
import { expect } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';

const setImmediatePromise = (): Promise<void> => new Promise((r) => setImmediate(r));

export const cleanups: (() => Promise<void> | void)[] = [];

/** Runs (and forgets) every registered cleanup, last first. */
export async function runCleanups(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}
export async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A `ws` echo upstream that tags replies with its id and counts its open sockets; `paths` and `headers` of each handshake it accepted. */
export async function wsUpstream(id: string): Promise<{ url: string; open: Set<WebSocket>; paths: string[]; headers: IncomingMessage['headers'][] }> {
  const server = createServer((_req, res) => res.end(`http from ${id}`));
  const wss = new WebSocketServer({ server });
  const open = new Set<WebSocket>();
  const paths: string[] = [];
  const headers: IncomingMessage['headers'][] = [];
  wss.on('connection', (ws, req) => {
    open.add(ws);
    paths.push(req.url ?? '');
    headers.push(req.headers);
    ws.on('close', () => open.delete(ws));
    ws.on('message', (data) => ws.send(`${id}:${String(data)}`));
  });
  const port = await listen(server);
  cleanups.push(async () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    await closeServer(server);
  });
  return { url: `http://127.0.0.1:${port}`, open, paths, headers };
}

export async function deadUrl(): Promise<string> {
  const s = createServer();
  const port = await listen(s);
  await closeServer(s);
  return `http://127.0.0.1:${port}`;
}

export function configFor(a: string, b: string, dead: string): GatewayConfig {
  return {
    clientIdentity: { trustedProxies: [] },
    routes: [
      {
        name: 'ws',
        matches: [{ path: { type: 'PathPrefix', value: '/ws' } }],
        backends: [{ upstream: 'chat' }],
        rewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/socket' } },
      },
      { name: 'limited', matches: [{ path: { type: 'PathPrefix', value: '/limited' } }], backends: [{ upstream: 'chat' }], limits: ['one-per-client'] },
      { name: 'down', matches: [{ path: { type: 'PathPrefix', value: '/down' } }], backends: [{ upstream: 'down' }] },
      { name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'chat' }] },
    ],
    upstreams: {
      chat: {
        endpoints: [
          { id: 'a', url: a },
          { id: 'b', url: b },
        ],
        // Distinct draws: with two endpoints the less loaded one always wins (with replacement both draws may coincide).
        balancer: { policy: 'least-request', choiceCount: 2, sampling: 'distinct' },
      },
      down: {
        endpoints: [{ id: 'dead', url: dead }],
        outlierDetection: { consecutive5xx: 1, maxEjectionPercent: 100 },
        // No panic routing: with its only endpoint ejected the upstream has none to offer.
        panicThresholdPercent: 0,
      },
    },
    limits: { 'one-per-client': { key: 'client-ip', policy: { maxTokens: 1, fillIntervalMs: 60_000 } } },
  };
}

export async function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  cleanups.push(() => {
    ws.on('error', () => {});
    if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  });
  await once(ws, 'open');
  return ws;
}

export async function echo(ws: WebSocket, message: string): Promise<string> {
  ws.send(message);
  const [data] = (await once(ws, 'message')) as [Buffer];
  return String(data);
}

/** Expects the upgrade to be refused: the status, the JSON body and that the socket closed. */
export async function refusal(url: string): Promise<{ status: number; body: { error?: string }; headers: IncomingMessage['headers'] }> {
  const ws = new WebSocket(url);
  cleanups.push(() => {
    ws.on('error', () => {});
    if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  });
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
  const closed = once(res.socket, 'close');
  let text = '';
  for await (const chunk of res) text += String(chunk);
  await closed;
  return { status: res.statusCode ?? 0, body: JSON.parse(text) as { error?: string }, headers: res.headers };
}

export async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !predicate(); i++) await setImmediatePromise();
  expect(predicate()).toBe(true);
}
