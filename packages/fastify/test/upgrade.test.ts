import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { attachUpgrade, switchyard } from '../src/index.js';

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

/** A Fastify app proxying `/api` over HTTP through the plugin, with WebSocket upgrades on the same server. */
async function setup() {
  const a = await wsUpstream('a');
  const b = await wsUpstream('b');
  const gateway = createGateway(configFor(a.url, b.url, await deadUrl()), { transport: createUndiciTransport() });
  const app = Fastify();
  await app.register(switchyard, { gateway });
  const dispatcher = attachUpgrade(app, gateway);
  await app.listen({ port: 0, host: '127.0.0.1' });
  let closed = false;
  cleanups.push(async () => {
    if (!closed) await app.close();
    await gateway.stop();
  });
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: `127.0.0.1:${port}`,
    app,
    gateway,
    dispatcher,
    a,
    b,
    close: async () => {
      closed = true;
      await app.close();
    },
  };
}

describe('@switchyard/fastify attachUpgrade - WebSocket through the gateway', () => {
  it('proxies messages through the matched route next to the plugin\'s HTTP proxying', async () => {
    const s = await setup();
    const ws = await open(`ws://${s.url}/ws/room`);
    expect(['a:hi', 'b:hi']).toContain(await echo(ws, 'hi'));
    expect([...s.a.paths, ...s.b.paths]).toEqual(['/socket/room']);
    const res = await fetch(`http://${s.url}/api/x`);
    expect(await res.text()).toMatch(/^http from [ab]$/);
  });

  it('least-request balances open connections and closing them frees the upstream sockets', async () => {
    const s = await setup();
    const c1 = await open(`ws://${s.url}/ws`);
    const c2 = await open(`ws://${s.url}/ws`);
    expect([await echo(c1, 'x'), await echo(c2, 'x')].sort()).toEqual(['a:x', 'b:x']);
    expect(s.dispatcher.active).toBe(2);
    const upstreamClosed = [...s.a.open, ...s.b.open].map((u) => once(u, 'close'));
    c1.close();
    c2.close();
    await Promise.all(upstreamClosed);
    expect(s.a.open.size + s.b.open.size).toBe(0);
  });

  it('answers 404 for an unrouted upgrade, 429 when limited and 502 for a refusing upstream', async () => {
    const s = await setup();
    expect(await refusal(`ws://${s.url}/nowhere`)).toMatchObject({ status: 404, body: { error: 'SY_NO_ROUTE' } });
    await open(`ws://${s.url}/limited`);
    expect(await refusal(`ws://${s.url}/limited`)).toMatchObject({ status: 429, body: { error: 'SY_RATE_LIMITED' } });
    expect(await refusal(`ws://${s.url}/down`)).toMatchObject({ status: 502, body: { error: 'SY_UPSTREAM_CONNECT' } });
  });

  it('a second attach on the same instance throws; fastify.close() detaches the dispatcher', async () => {
    const s = await setup();
    expect(() => attachUpgrade(s.app, s.gateway)).toThrow(/already has a switchyard upgrade dispatcher/);
    expect(s.app.server.listenerCount('upgrade')).toBe(1);
    await s.close();
    expect(s.app.server.listenerCount('upgrade')).toBe(0);
  });
});
