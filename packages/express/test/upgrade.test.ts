import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGateway, type Gateway, type GatewayConfig, type GatewayEvent } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { attachUpgrade, switchyard } from '../src/index.js';
import { yieldToIo } from './harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A `ws` echo upstream that tags replies with its id and counts its open sockets. */
async function wsUpstream(id: string): Promise<{ url: string; open: Set<WebSocket>; paths: string[] }> {
  const server = createServer((_req, res) => res.end(`http from ${id}`));
  const wss = new WebSocketServer({ server });
  const open = new Set<WebSocket>();
  const paths: string[] = [];
  wss.on('connection', (ws, req) => {
    open.add(ws);
    paths.push(req.url ?? '');
    ws.on('close', () => open.delete(ws));
    ws.on('message', (data) => ws.send(`${id}:${String(data)}`));
  });
  const port = await listen(server);
  cleanups.push(async () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    await closeServer(server);
  });
  return { url: `http://127.0.0.1:${port}`, open, paths };
}

async function deadUrl(): Promise<string> {
  const s = createServer();
  const port = await listen(s);
  await closeServer(s);
  return `http://127.0.0.1:${port}`;
}

function configFor(a: string, b: string, dead: string): GatewayConfig {
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

interface Setup {
  readonly url: string;
  readonly gateway: Gateway;
  readonly a: Awaited<ReturnType<typeof wsUpstream>>;
  readonly b: Awaited<ReturnType<typeof wsUpstream>>;
  readonly events: GatewayEvent[];
  readonly server: Server;
}

/** An Express app proxying `/api` over HTTP, with WebSocket upgrades on the same server. */
async function setup(): Promise<Setup> {
  const a = await wsUpstream('a');
  const b = await wsUpstream('b');
  const transport = createUndiciTransport();
  const gateway = createGateway(configFor(a.url, b.url, await deadUrl()), { transport });
  const events: GatewayEvent[] = [];
  gateway.subscribe((e) => events.push(e));
  const app = express();
  app.use(switchyard({ gateway }));
  const server = createServer(app);
  attachUpgrade(server, gateway);
  const port = await listen(server);
  cleanups.push(async () => {
    await closeServer(server);
    await gateway.stop();
  });
  return { url: `127.0.0.1:${port}`, gateway, a, b, events, server };
}

async function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  cleanups.push(() => {
    ws.on('error', () => {});
    if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  });
  await once(ws, 'open');
  return ws;
}

async function echo(ws: WebSocket, message: string): Promise<string> {
  ws.send(message);
  const [data] = (await once(ws, 'message')) as [Buffer];
  return String(data);
}

/** Expects the upgrade to be refused: the status, the JSON body and that the socket closed. */
async function refusal(url: string): Promise<{ status: number; body: { error?: string }; headers: IncomingMessage['headers'] }> {
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

async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !predicate(); i++) await yieldToIo();
  expect(predicate()).toBe(true);
}

describe('@switchyard/express attachUpgrade - WebSocket through the gateway', () => {
  it('proxies messages both ways through the matched route, with the path rewritten', async () => {
    const s = await setup();
    const ws = await open(`ws://${s.url}/ws/room`);
    const reply = await echo(ws, 'hi');
    expect(['a:hi', 'b:hi']).toContain(reply);
    expect([...s.a.paths, ...s.b.paths]).toEqual(['/socket/room']);
    // The same server still proxies plain HTTP through the middleware.
    const res = await fetch(`http://${s.url}/api/x`);
    expect(await res.text()).toMatch(/^http from [ab]$/);
  });

  it('least-request balances open connections: two connections, one on each instance', async () => {
    const s = await setup();
    const c1 = await open(`ws://${s.url}/ws`);
    const c2 = await open(`ws://${s.url}/ws`);
    const replies = [await echo(c1, 'x'), await echo(c2, 'x')].sort();
    expect(replies).toEqual(['a:x', 'b:x']);
    expect([s.a.open.size, s.b.open.size]).toEqual([1, 1]);
  });

  it('closing clients closes the upstream sockets and frees their in-flight slots', async () => {
    const s = await setup();
    const c1 = await open(`ws://${s.url}/ws`);
    const c2 = await open(`ws://${s.url}/ws`);
    await echo(c1, 'x');
    await echo(c2, 'x');
    c1.close();
    c2.close();
    await until(() => s.a.open.size + s.b.open.size === 0);
    // Both slots were released: the next two connections again land one on each instance.
    const c3 = await open(`ws://${s.url}/ws`);
    const c4 = await open(`ws://${s.url}/ws`);
    expect([await echo(c3, 'y'), await echo(c4, 'y')].sort()).toEqual(['a:y', 'b:y']);
  });

  it('the upstream closing closes the client', async () => {
    const s = await setup();
    const ws = await open(`ws://${s.url}/ws`);
    await echo(ws, 'x');
    const closed = once(ws, 'close');
    for (const up of [...s.a.open, ...s.b.open]) up.close(1001, 'going away');
    const [code] = (await closed) as [number];
    expect(code).toBe(1001);
  });

  it('an upgrade no route matches gets 404 and the socket closes', async () => {
    const s = await setup();
    const r = await refusal(`ws://${s.url}/nowhere`);
    expect(r.status).toBe(404);
    expect(r.body.error).toBe('SY_NO_ROUTE');
    expect(r.headers['connection']).toBe('close');
  });

  it('a rate-limited route answers 429 with the limiter headers', async () => {
    const s = await setup();
    const first = await open(`ws://${s.url}/limited`);
    expect(await echo(first, 'ok')).toMatch(/^[ab]:ok$/);
    const r = await refusal(`ws://${s.url}/limited`);
    expect(r.status).toBe(429);
    expect(r.body.error).toBe('SY_RATE_LIMITED');
    expect(r.headers['retry-after']).toBeDefined();
  });

  it('an upstream that refuses gets 502, the failure reaches outlier detection, and the next upgrade gets 503', async () => {
    const s = await setup();
    const r = await refusal(`ws://${s.url}/down`);
    expect(r.status).toBe(502);
    expect(r.body.error).toBe('SY_UPSTREAM_CONNECT');
    expect(s.events.some((e) => e.kind === 'health' && e.upstream === 'down' && e.event.kind === 'ejected')).toBe(true);
    const next = await refusal(`ws://${s.url}/down`);
    expect(next.status).toBe(503);
    expect(next.body.error).toBe('SY_NO_ENDPOINT');
  });

  it('attaching a second dispatcher to the same server throws', async () => {
    const s = await setup();
    expect(() => attachUpgrade(s.server, s.gateway)).toThrow(/already has a switchyard upgrade dispatcher/);
  });
});
