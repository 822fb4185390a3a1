import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect as connectTcp, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createEndpoint, type Endpoint, type Outcome, type SyRequest } from '@switchyard/core';
import { attachUpgrade, type AcquireLike, type UpgradeDispatcher } from '@switchyard/transport-undici';

/** A `ws` echo server on loopback that tags replies with its id and tracks its open sockets. */
interface Upstream {
  readonly id: string;
  readonly endpoint: Endpoint;
  readonly wss: WebSocketServer;
  readonly open: Set<WebSocket>;
  readonly paths: string[];
  /** The raw server-side sockets of the accepted upgrades. */
  readonly rawSockets: Socket[];
  close(): Promise<void>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function startUpstream(id: string): Promise<Upstream> {
  const server = createServer((_req, res) => res.writeHead(426).end('upgrade required'));
  const wss = new WebSocketServer({ server, handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false) });
  const open = new Set<WebSocket>();
  const paths: string[] = [];
  const rawSockets: Socket[] = [];
  wss.on('connection', (ws, req) => {
    open.add(ws);
    paths.push(req.url ?? '');
    rawSockets.push(req.socket);
    ws.on('close', () => open.delete(ws));
    ws.on('message', (data) => ws.send(`${id}:${String(data)}`));
  });
  const port = await listen(server);
  const up: Upstream = {
    id,
    endpoint: createEndpoint({ id, url: `http://127.0.0.1:${port}` }),
    wss,
    open,
    paths,
    rawSockets,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  cleanups.push(() => up.close());
  return up;
}

/** The front server: plain 426 for HTTP, upgrades through the dispatcher. */
async function startFront(acquire: (r: SyRequest) => Promise<AcquireLike>): Promise<{ server: Server; url: string; dispatcher: UpgradeDispatcher; errors: unknown[] }> {
  const server = createServer((_req, res) => res.writeHead(426).end());
  const errors: unknown[] = [];
  const dispatcher = attachUpgrade(server, { acquire, onError: (e) => errors.push(e) });
  const port = await listen(server);
  cleanups.push(async () => {
    dispatcher.detach();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { server, url: `ws://127.0.0.1:${port}`, dispatcher, errors };
}

/** A least-request picker over `endpoints` that records every release, standing in for gateway.acquire. */
function leastRequest(endpoints: readonly Endpoint[], rewrite: (path: string) => string = (p) => p) {
  const inFlight = new Map(endpoints.map((e) => [e.id, 0]));
  const released: (Outcome | undefined)[] = [];
  const requests: SyRequest[] = [];
  const acquire = async (r: SyRequest): Promise<AcquireLike> => {
    requests.push(r);
    const endpoint = [...endpoints].sort((a, b) => inFlight.get(a.id)! - inFlight.get(b.id)!)[0]!;
    inFlight.set(endpoint.id, inFlight.get(endpoint.id)! + 1);
    // Like the rewriter: hop-by-hop headers (connection, upgrade) are stripped.
    const { connection: _c, upgrade: _u, ...headers } = r.headers;
    return {
      kind: 'endpoint',
      route: 'ws',
      endpoint,
      request: { method: r.method, path: rewrite(r.path) + (r.query === '' ? '' : `?${r.query}`), headers },
      release(outcome) {
        inFlight.set(endpoint.id, inFlight.get(endpoint.id)! - 1);
        released.push(outcome);
      },
    };
  };
  return { acquire, inFlight, released, requests };
}

async function connect(url: string, protocols?: string[]): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols);
  cleanups.push(() => {
    ws.on('error', () => {});
    if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  });
  await once(ws, 'open');
  return ws;
}

async function roundTrip(ws: WebSocket, message: string): Promise<string> {
  ws.send(message);
  const [data] = (await once(ws, 'message')) as [Buffer];
  return String(data);
}

/** Connects expecting a refusal: resolves with the status, body and headers the client saw. */
async function refused(url: string): Promise<{ status: number; body: string; headers: IncomingMessage['headers']; socketClosed: Promise<unknown> }> {
  const ws = new WebSocket(url);
  cleanups.push(() => {
    ws.on('error', () => {});
    if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  });
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
  const socketClosed = once(res.socket, 'close');
  const parts: Buffer[] = [];
  for await (const chunk of res) parts.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, body: Buffer.concat(parts).toString(), headers: res.headers, socketClosed };
}

describe('attachUpgrade - proxying WebSocket upgrades', () => {
  it('echoes messages through the chosen endpoint with the rewritten path and query', async () => {
    const a = await startUpstream('a');
    const lr = leastRequest([a.endpoint], (p) => p.replace(/^\/ws/, '/socket'));
    const front = await startFront(lr.acquire);
    const ws = await connect(`${front.url}/ws/room?x=1`);
    expect(await roundTrip(ws, 'hello')).toBe('a:hello');
    expect(await roundTrip(ws, 'again')).toBe('a:again');
    expect(a.paths).toEqual(['/socket/room?x=1']);
    expect(lr.requests[0]).toMatchObject({ method: 'GET', path: '/ws/room', query: 'x=1' });
  });

  it('negotiates the subprotocol: sec-websocket-* headers reach the upstream and its 101 reaches the client', async () => {
    const a = await startUpstream('a');
    const front = await startFront(leastRequest([a.endpoint]).acquire);
    const ws = await connect(`${front.url}/ws`, ['chat', 'other']);
    expect(ws.protocol).toBe('chat');
    expect(await roundTrip(ws, 'p')).toBe('a:p');
  });

  it('balances connections: two open connections land one on each endpoint', async () => {
    const a = await startUpstream('a');
    const b = await startUpstream('b');
    const lr = leastRequest([a.endpoint, b.endpoint]);
    const front = await startFront(lr.acquire);
    const c1 = await connect(`${front.url}/ws`);
    const c2 = await connect(`${front.url}/ws`);
    const replies = [await roundTrip(c1, 'x'), await roundTrip(c2, 'x')].sort();
    expect(replies).toEqual(['a:x', 'b:x']);
    expect(Object.fromEntries(lr.inFlight)).toEqual({ a: 1, b: 1 });
    expect(front.dispatcher.active).toBe(2);
  });

  it('closing the client closes the upstream socket and releases once with a 101 outcome', async () => {
    const a = await startUpstream('a');
    const lr = leastRequest([a.endpoint]);
    const front = await startFront(lr.acquire);
    const ws = await connect(`${front.url}/ws`);
    await roundTrip(ws, 'x');
    expect(a.open.size).toBe(1);
    const [upstreamSide] = [...a.open];
    const upstreamClosed = once(upstreamSide!, 'close');
    ws.close();
    await upstreamClosed;
    await once(ws, 'close');
    expect(a.open.size).toBe(0);
    expect(lr.inFlight.get('a')).toBe(0);
    expect(lr.released).toHaveLength(1);
    expect(lr.released[0]).toMatchObject({ kind: 'response', status: 101, endpoint: { id: 'a' } });
  });

  it('the upstream closing closes the client and releases', async () => {
    const a = await startUpstream('a');
    const lr = leastRequest([a.endpoint]);
    const front = await startFront(lr.acquire);
    const ws = await connect(`${front.url}/ws`);
    await roundTrip(ws, 'x');
    const clientClosed = once(ws, 'close');
    for (const s of a.open) s.terminate();
    await clientClosed;
    expect(lr.released).toHaveLength(1);
    expect(lr.inFlight.get('a')).toBe(0);
    expect(a.open.size).toBe(0);
  });

  it('an upstream that resets mid-session closes the client and reports a reset outcome', async () => {
    const a = await startUpstream('a');
    const lr = leastRequest([a.endpoint]);
    const front = await startFront(lr.acquire);
    const ws = await connect(`${front.url}/ws`);
    ws.on('error', () => {});
    await roundTrip(ws, 'x');
    const clientClosed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    a.rawSockets[0]!.resetAndDestroy();
    await clientClosed;
    expect(lr.released).toEqual([expect.objectContaining({ kind: 'error', error: 'reset', endpoint: expect.objectContaining({ id: 'a' }) })]);
  });

  it('writes a respond answer to the raw socket with Connection: close and closes it', async () => {
    const front = await startFront(async () => ({
      kind: 'respond',
      response: { status: 429, headers: { 'content-type': 'application/json', 'retry-after': '3' }, body: '{"error":"SY_RATE_LIMITED"}' },
    }));
    const r = await refused(`${front.url}/ws`);
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('3');
    expect(r.headers['connection']).toBe('close');
    expect(r.body).toBe('{"error":"SY_RATE_LIMITED"}');
    await r.socketClosed;
    expect(front.dispatcher.active).toBe(0);
  });

  it('an upstream that refuses the connection yields 502 and a connect error outcome', async () => {
    const dead = await startUpstream('dead');
    await dead.close();
    const lr = leastRequest([dead.endpoint]);
    const front = await startFront(lr.acquire);
    const r = await refused(`${front.url}/ws`);
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'SY_UPSTREAM_CONNECT' });
    expect(lr.released).toHaveLength(1);
    expect(lr.released[0]).toMatchObject({ kind: 'error', error: 'connect', endpoint: { id: 'dead' } });
    expect(front.errors).toHaveLength(1);
  });

  it('relays a non-101 upstream answer as a response and reports its status', async () => {
    // Also a regression for RFC 9110 §7.6.1: the fields the upstream's Connection names are not relayed.
    const plain = createServer((_req, res) => res.writeHead(403, { 'x-why': 'nope', connection: 'close, X-Secret', 'x-secret': 'internal' }).end('forbidden'));
    const port = await listen(plain);
    cleanups.push(() => new Promise<void>((resolve) => plain.close(() => resolve())));
    const lr = leastRequest([createEndpoint({ id: 'p', url: `http://127.0.0.1:${port}` })]);
    const front = await startFront(lr.acquire);
    const r = await refused(`${front.url}/ws`);
    expect(r.status).toBe(403);
    expect(r.headers['x-why']).toBe('nope');
    expect(r.headers['x-secret']).toBeUndefined();
    expect(r.body).toBe('forbidden');
    await r.socketClosed;
    expect(lr.released).toEqual([expect.objectContaining({ kind: 'response', status: 403 })]);
  });

  it('a client that resets while the upgrade is being routed releases with a canceled outcome', async () => {
    const a = await startUpstream('a');
    const lr = leastRequest([a.endpoint]);
    let resume!: () => void;
    const gate = new Promise<void>((resolve) => (resume = resolve));
    let entered!: () => void;
    const inAcquire = new Promise<void>((resolve) => (entered = resolve));
    const front = await startFront(async (r) => {
      entered();
      await gate;
      return lr.acquire(r);
    });
    cleanups.push(() => resume());
    const port = Number(new URL(front.url).port);
    const client = connectTcp(port, '127.0.0.1');
    client.on('error', () => {});
    await once(client, 'connect');
    client.write('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    await inAcquire;
    client.resetAndDestroy();
    // The server side sees the reset before acquire resolves.
    for (let i = 0; i < 10_000 && front.dispatcher.active > 0; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(front.dispatcher.active).toBe(0);
    resume();
    for (let i = 0; i < 10_000 && lr.released.length === 0; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(lr.released).toEqual([expect.objectContaining({ kind: 'error', error: 'canceled' })]);
    expect(a.open.size).toBe(0);
    expect(a.paths).toEqual([]);
  });

  it('refuses a second dispatcher on the same server; detach() allows a new one', async () => {
    const server = createServer();
    const acquire = async (): Promise<AcquireLike> => ({ kind: 'respond', response: { status: 404, headers: {}, body: null } });
    const first = attachUpgrade(server, { acquire });
    expect(() => attachUpgrade(server, { acquire })).toThrow(/already has a switchyard upgrade dispatcher/);
    expect(server.listenerCount('upgrade')).toBe(1);
    first.detach();
    expect(server.listenerCount('upgrade')).toBe(0);
    const second = attachUpgrade(server, { acquire });
    expect(server.listenerCount('upgrade')).toBe(1);
    second.detach();
  });
});
