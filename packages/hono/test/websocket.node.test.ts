/**
 * The middleware's runtime-neutral WebSocket path (`webSocket` option), over real sockets on
 * 127.0.0.1. Node has no `Deno.upgradeWebSocket`, so a Deno-shaped runtime is emulated: a Node
 * server hands each upgrade to `app.fetch` as a Web `Request`, and the injected
 * `upgradeWebSocket` completes the handshake with `ws` (what Deno does natively), while the
 * upstream is opened with `ws`'s WHATWG-style client (what `new WebSocket()` is on Deno). The
 * gateway decision, the upstream connection, the relay and the refusals are the package's own
 * code; the Deno, Bun and Workers glue itself is not run here (no such runtime on this machine).
 */
import { once } from 'node:events';
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createGateway, type Gateway, type GatewayConfig } from '@switchyard/gateway';
import { createTestClock } from '@switchyard/testing';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { cleanups, configFor, deadUrl, echo, listen, open, refusal, runCleanups, until, wsUpstream } from '../../express/test/ws-fixture.js';
import { denoWebSocket, switchyard, type DenoUpgradeWebSocket, type SwitchyardHonoOptions, type WebSocketLike } from '../src/index.js';

afterEach(runCleanups);

interface NodeUpgrade {
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
}

/**
 * A Deno-like front on Node: every upgrade becomes `app.fetch(request)`; a returned response
 * that did not upgrade is written to the raw socket as HTTP (Deno does the same with a
 * non-upgrade response).
 */
async function denoLikeFront(app: Hono): Promise<{ url: string; upgradeWebSocket: DenoUpgradeWebSocket }> {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => [...offered][0] ?? false });
  const pending = new Map<Request, NodeUpgrade>();
  const upgraded = new Set<Request>();
  const upgradeWebSocket: DenoUpgradeWebSocket = (request, options) => {
    const u = pending.get(request);
    if (u === undefined) throw new Error('not an upgrade of this front');
    if (options?.protocol !== undefined) u.req.headers['sec-websocket-protocol'] = options.protocol;
    else delete u.req.headers['sec-websocket-protocol'];
    let socket: WebSocket | undefined;
    // ws completes the handshake synchronously when nothing verifies the client.
    wss.handleUpgrade(u.req, u.socket, u.head, (ws) => (socket = ws));
    if (socket === undefined) throw new Error('handshake did not complete synchronously');
    const s = socket;
    cleanups.push(() => s.terminate());
    upgraded.add(request);
    return { socket: s as unknown as WebSocketLike, response: new Response(null) };
  };
  const server: Server = createServer((_req, res) => res.end('plain http'));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
    const request = new Request(`http://${req.headers.host}${req.url}`, { headers });
    pending.set(request, { req, socket, head });
    void Promise.resolve(app.fetch(request, { incoming: req })).then(async (res) => {
      pending.delete(request);
      if (upgraded.has(request)) return;
      const body = Buffer.from(await res.arrayBuffer());
      let head = `HTTP/1.1 ${res.status} ${STATUS_CODES[res.status] ?? ''}\r\n`;
      res.headers.forEach((v, k) => (head += `${k}: ${v}\r\n`));
      socket.end(Buffer.concat([Buffer.from(`${head}content-length: ${body.length}\r\nconnection: close\r\n\r\n`), body]));
    });
  });
  const port = await listen(server);
  cleanups.push(async () => {
    for (const ws of wss.clients) ws.terminate();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `127.0.0.1:${port}`, upgradeWebSocket };
}

/** `ws`'s client is a WHATWG-style WebSocket (addEventListener, binaryType): the runtime's `new WebSocket()`. */
const wsClient = (url: string, protocols: readonly string[]): WebSocketLike => {
  const ws = new WebSocket(url, [...protocols]);
  cleanups.push(() => {
    ws.on('error', () => {});
    ws.terminate();
  });
  return ws as unknown as WebSocketLike;
};

async function setup(extra: Partial<SwitchyardHonoOptions> = {}, config?: (a: string, b: string, dead: string) => GatewayConfig) {
  const a = await wsUpstream('a');
  const b = await wsUpstream('b');
  const gateway = createGateway((config ?? configFor)(a.url, b.url, await deadUrl()), { transport: createUndiciTransport() });
  cleanups.push(() => gateway.stop());
  const app = new Hono();
  let upgradeWebSocket: DenoUpgradeWebSocket = () => {
    throw new Error('not yet');
  };
  const upgrader = denoWebSocket({ upgradeWebSocket: (r, o) => upgradeWebSocket(r, o), create: wsClient });
  app.use(switchyard({ gateway, webSocket: upgrader, ...extra }));
  app.get('/own', (c) => c.text('own'));
  const front = await denoLikeFront(app);
  upgradeWebSocket = front.upgradeWebSocket;
  return { url: front.url, gateway, a, b };
}

describe('hono middleware webSocket - the runtime-neutral path (Deno-shaped runtime emulated on Node)', () => {
  it('relays text and binary both ways through the matched route with the path rewritten', async () => {
    const s = await setup();
    const ws = await open(`ws://${s.url}/ws/room?x=1`);
    expect(['a:hi', 'b:hi']).toContain(await echo(ws, 'hi'));
    expect([...s.a.paths, ...s.b.paths]).toEqual(['/socket/room?x=1']);
    const up = [...s.a.open, ...s.b.open][0]!;
    const fromUpstream = once(ws, 'message') as Promise<[Buffer, boolean]>;
    up.send(Buffer.from([1, 2, 3, 250]), { binary: true });
    const [data, isBinary] = await fromUpstream;
    expect(isBinary).toBe(true);
    expect([...data]).toEqual([1, 2, 3, 250]);
    const atUpstream = once(up, 'message') as Promise<[Buffer, boolean]>;
    const fixtureEcho = once(ws, 'message');
    ws.send(Uint8Array.from([9, 8, 7]));
    const [got, gotBinary] = await atUpstream;
    expect(gotBinary).toBe(true);
    expect([...got]).toEqual([9, 8, 7]);
    await fixtureEcho;
  });

  it('the upstream\'s subprotocol choice is the one the client gets', async () => {
    const s = await setup();
    const ws = new WebSocket(`ws://${s.url}/ws`, ['chat.v2', 'chat.v1']);
    cleanups.push(() => ws.terminate());
    await once(ws, 'open');
    // ws upstreams pick the first offered protocol.
    expect(ws.protocol).toBe('chat.v2');
  });

  it('close codes and reasons pass through both ways; closing frees the balancer slot', async () => {
    const s = await setup();
    const c1 = await open(`ws://${s.url}/ws`);
    const c2 = await open(`ws://${s.url}/ws`);
    expect([await echo(c1, 'x'), await echo(c2, 'x')].sort()).toEqual(['a:x', 'b:x']);
    const ups = [...s.a.open, ...s.b.open];
    const closedUp = ups.map((u) => once(u, 'close') as Promise<[number, Buffer]>);
    c1.close(4001, 'client bye');
    const codes = await Promise.race(closedUp);
    expect(codes[0]).toBe(4001);
    expect(String(codes[1])).toBe('client bye');
    const c2Closed = once(c2, 'close') as Promise<[number, Buffer]>;
    for (const u of s.a.open) u.close(4002, 'server bye');
    for (const u of s.b.open) u.close(4002, 'server bye');
    const [code, reason] = await c2Closed;
    expect(code).toBe(4002);
    expect(String(reason)).toBe('server bye');
    await until(() => s.a.open.size + s.b.open.size === 0);
    // Both slots were released: the next two connections land one on each instance again.
    const c3 = await open(`ws://${s.url}/ws`);
    const c4 = await open(`ws://${s.url}/ws`);
    expect([await echo(c3, 'y'), await echo(c4, 'y')].sort()).toEqual(['a:y', 'b:y']);
  });

  it('refusals are HTTP answers: 404 (notFound respond), 429 with Retry-After, 403 by a policy', async () => {
    const s = await setup({ notFound: 'respond' }, (a, b, dead) => {
      const base = configFor(a, b, dead);
      return {
        ...base,
        policies: { 'no-loopback': { type: 'ip-restriction', options: { deny: ['127.0.0.1', '::1'] } } },
        routes: [...base.routes, { name: 'private', matches: [{ path: { type: 'PathPrefix', value: '/private' } }], backends: [{ upstream: 'chat' }], policies: { inbound: ['no-loopback'] } }],
      };
    });
    expect(await refusal(`ws://${s.url}/nowhere`)).toMatchObject({ status: 404, body: { error: 'SY_NO_ROUTE' } });
    await open(`ws://${s.url}/limited`);
    const limited = await refusal(`ws://${s.url}/limited`);
    expect(limited).toMatchObject({ status: 429, body: { error: 'SY_RATE_LIMITED' } });
    expect(limited.headers['retry-after']).toBeDefined();
    expect(await refusal(`ws://${s.url}/private`)).toMatchObject({ status: 403, body: { error: 'SY_FORBIDDEN' } });
    expect(s.a.open.size + s.b.open.size).toBe(1);
  });

  it('an unrouted upgrade falls through to the app with notFound next (the default)', async () => {
    const s = await setup();
    const ws = new WebSocket(`ws://${s.url}/own`);
    cleanups.push(() => ws.terminate());
    ws.on('error', () => {});
    // The app's GET /own answers 200 'own': not an upgrade, so the client sees an unexpected response.
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
    expect(res.statusCode).toBe(200);
    let text = '';
    for await (const c of res) text += String(c);
    expect(text).toBe('own');
  });

  it('an unreachable upstream gets 502 through the error formatter and reaches outlier detection (then 503)', async () => {
    const s = await setup();
    const events: string[] = [];
    s.gateway.subscribe((e) => {
      if (e.kind === 'health' && e.event.kind === 'ejected') events.push(e.upstream);
    });
    const down = await refusal(`ws://${s.url}/down`);
    expect(down).toMatchObject({ status: 502, body: { error: 'SY_UPSTREAM_CONNECT' } });
    expect(down.body).toHaveProperty('requestId');
    expect(JSON.stringify(down.body)).not.toContain('127.0.0.1');
    expect(events).toEqual(['down']);
    expect(await refusal(`ws://${s.url}/down`)).toMatchObject({ status: 503, body: { error: 'SY_NO_ENDPOINT' } });
  });
});

describe('hono middleware webSocket - handshake timeout and opt-out', () => {
  it('an upstream that accepts TCP but never answers the handshake gets 504 when the gateway clock says so', async () => {
    const silent = createTcpServer((socket: Socket) => socket.on('error', () => {}));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const silentSockets = new Set<Socket>();
    silent.on('connection', (s: Socket) => silentSockets.add(s));
    cleanups.push(async () => {
      for (const s of silentSockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    });
    const clock = createTestClock();
    const gateway: Gateway = createGateway(
      {
        routes: [{ name: 'ws', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'silent' }] }],
        upstreams: { silent: { endpoints: [{ url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` }] } },
      },
      { transport: createUndiciTransport(), clock },
    );
    cleanups.push(() => gateway.stop());
    const app = new Hono();
    const upgrader = denoWebSocket({ upgradeWebSocket: () => { throw new Error('must not upgrade the client'); }, create: wsClient });
    app.use(switchyard({ gateway, webSocket: { upgrader, clock, handshakeTimeoutMs: 5_000 } }));
    const front = await denoLikeFront(app);
    const answer = refusal(`ws://${front.url}/`);
    await until(() => silentSockets.size === 1 && clock.pending() > 0);
    await clock.advanceAsync(5_000);
    expect(await answer).toMatchObject({ status: 504, body: { error: 'SY_UPSTREAM_TIMEOUT' } });
  });

  it('webSocket: false, or no upgrader on this runtime: the upgrade request is proxied as plain HTTP, as before', async () => {
    for (const webSocket of [false, {}] as const) {
      const a = await wsUpstream('a');
      const gateway = createGateway(configFor(a.url, a.url, await deadUrl()), { transport: createUndiciTransport() });
      cleanups.push(() => gateway.stop());
      const app = new Hono();
      app.use(switchyard({ gateway, webSocket }));
      const res = await app.request('http://gw.test/api/x', { headers: { upgrade: 'websocket', connection: 'upgrade' } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('http from a');
    }
  });
});
