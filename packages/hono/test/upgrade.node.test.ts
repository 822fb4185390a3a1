/**
 * WebSocket upgrades of a Hono app on `@hono/node-server`, over real sockets on 127.0.0.1: `ws`
 * upstreams, the switchyard middleware for HTTP and `attachUpgrade` from `@switchyard/hono/node`
 * on the server `serve()` returns. Every server and socket is closed in afterEach.
 */
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { serve, type ServerType } from '@hono/node-server';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { attachUpgrade } from '@switchyard/hono/node';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
// The same `ws` upstreams, config and client helpers as the Express and Fastify upgrade suites.
import { cleanups, configFor, deadUrl, echo, open, refusal, runCleanups, until, wsUpstream } from '../../express/test/ws-fixture.js';
import { switchyard } from '../src/index.js';

afterEach(runCleanups);

function serveApp(app: Hono): Promise<{ server: ServerType; port: number }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve({ server, port: info.port }));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          server.close(() => r());
        }),
    );
  });
}

/** The fixture's routes, plus `/private` refused by an `ip-restriction` policy (403). */
function honoConfig(a: string, b: string, dead: string): GatewayConfig {
  const base = configFor(a, b, dead);
  return {
    ...base,
    policies: { 'no-loopback': { type: 'ip-restriction', options: { deny: ['127.0.0.1', '::1'] } } },
    routes: [...base.routes, { name: 'private', matches: [{ path: { type: 'PathPrefix', value: '/private' } }], backends: [{ upstream: 'chat' }], policies: { inbound: ['no-loopback'] } }],
  };
}

/** A Hono app proxying `/api` over HTTP through the middleware, with upgrades attached to its server. */
async function setup() {
  const a = await wsUpstream('a');
  const b = await wsUpstream('b');
  const gateway = createGateway(honoConfig(a.url, b.url, await deadUrl()), { transport: createUndiciTransport() });
  cleanups.push(() => gateway.stop());
  const app = new Hono();
  app.use(switchyard({ gateway }));
  app.get('/own', (c) => c.text('own'));
  const { server, port } = await serveApp(app);
  const dispatcher = attachUpgrade(server, gateway); // the one line a user adds
  // Test-only: the client side of each spliced connection, to watch its write buffer.
  const clientSockets: Duplex[] = [];
  server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => clientSockets.push(socket));
  return { url: `127.0.0.1:${port}`, server, gateway, dispatcher, a, b, clientSockets };
}

/** Resolves with the first upstream socket that opens on either instance. */
async function upstreamSocket(s: Awaited<ReturnType<typeof setup>>): Promise<WebSocket> {
  await until(() => s.a.open.size + s.b.open.size > 0);
  return [...s.a.open, ...s.b.open][0]!;
}

/** Waits without a wall clock: lets the event loop turn (I/O included) until `predicate` holds. */
async function eventually(predicate: () => boolean, turns = 1_000_000): Promise<void> {
  for (let i = 0; i < turns && !predicate(); i++) await new Promise<void>((r) => setImmediate(r));
  expect(predicate()).toBe(true);
}

describe('@switchyard/hono/node attachUpgrade - WebSocket through the gateway on @hono/node-server', () => {
  it('proxies text through the matched route with the path rewritten, next to the middleware and the app routes', async () => {
    const s = await setup();
    const ws = await open(`ws://${s.url}/ws/room?x=1`);
    expect(['a:hi', 'b:hi']).toContain(await echo(ws, 'hi'));
    expect([...s.a.paths, ...s.b.paths]).toEqual(['/socket/room?x=1']);
    expect(await (await fetch(`http://${s.url}/api/x`)).text()).toMatch(/^http from [ab]$/);
    expect(await (await fetch(`http://${s.url}/own`)).text()).toBe('own');
  });

  it('binary frames, ping/pong and close codes pass through both ways', async () => {
    const s = await setup();
    const ws = await open(`ws://${s.url}/ws`);
    const up = await upstreamSocket(s);

    // Binary, client → upstream and back, byte for byte.
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff);
    const received = once(up, 'message') as Promise<[Buffer, boolean]>;
    const fixtureEcho = once(ws, 'message'); // the fixture upstream answers every message with text
    ws.send(bytes);
    const [data, isBinary] = await received;
    expect(isBinary).toBe(true);
    expect(new Uint8Array(data)).toEqual(bytes);
    await fixtureEcho;
    const back = once(ws, 'message') as Promise<[Buffer, boolean]>;
    up.send(Buffer.from([0, 1, 2, 255]), { binary: true });
    const [echoed, backBinary] = await back;
    expect(backBinary).toBe(true);
    expect([...echoed]).toEqual([0, 1, 2, 255]);

    // A ping from the client reaches the upstream, whose automatic pong comes back.
    const pinged = once(up, 'ping') as Promise<[Buffer]>;
    const ponged = once(ws, 'pong') as Promise<[Buffer]>;
    ws.ping('are-you-there');
    expect(String((await pinged)[0])).toBe('are-you-there');
    expect(String((await ponged)[0])).toBe('are-you-there');
    // And the other way round.
    const upPong = once(up, 'pong') as Promise<[Buffer]>;
    up.ping('upstream-ping');
    expect(String((await upPong)[0])).toBe('upstream-ping');

    // The client's close code and reason reach the upstream.
    const upClosed = once(up, 'close') as Promise<[number, Buffer]>;
    ws.close(4001, 'bye from client');
    const [code, reason] = await upClosed;
    expect(code).toBe(4001);
    expect(String(reason)).toBe('bye from client');
    await until(() => s.dispatcher.active === 0);
  });

  it('the upstream closing with a code closes the client with the same code and reason', async () => {
    const s = await setup();
    const ws = await open(`ws://${s.url}/ws`);
    const up = await upstreamSocket(s);
    const closed = once(ws, 'close') as Promise<[number, Buffer]>;
    up.close(4002, 'server says bye');
    const [code, reason] = await closed;
    expect(code).toBe(4002);
    expect(String(reason)).toBe('server says bye');
  });

  it('backpressure: a paused client stalls the upstream instead of buffering in the proxy', async () => {
    const s = await setup();
    const ws = await open(`ws://${s.url}/ws`);
    const up = await upstreamSocket(s);
    const proxySide = s.clientSockets[0]!;
    ws.pause();

    // An upstream that writes as fast as its socket accepts (64 KiB messages while its own send
    // buffer is under 1 MiB), up to a cap that it reaches only if the proxy reads without limit.
    const chunk = Buffer.alloc(64 * 1024, 7);
    const capBytes = 64 * 1024 * 1024;
    let sentBytes = 0;
    const pump = (): void => {
      while (up.bufferedAmount < 1024 * 1024 && sentBytes < capBytes) {
        up.send(chunk);
        sentBytes += chunk.length;
      }
    };
    // Stalled: what the upstream has handed to the kernel stops growing for a thousand turns of
    // the event loop (I/O polled on each), while the client reads nothing.
    let flushed = -1;
    let still = 0;
    await eventually(() => {
      pump();
      const nowFlushed = sentBytes - up.bufferedAmount;
      if (nowFlushed === flushed) still++;
      else [flushed, still] = [nowFlushed, 0];
      return still >= 1000 || sentBytes >= capBytes;
    });
    expect(sentBytes).toBeLessThan(capBytes);
    // The proxy holds at most a pipe's high-water mark plus one read, not the stream.
    expect(proxySide.writableLength).toBeLessThan(1024 * 1024);

    // Resuming delivers everything sent, in order and complete.
    let receivedBytes = 0;
    ws.on('message', (data: Buffer) => {
      receivedBytes += data.length;
    });
    ws.resume();
    await eventually(() => receivedBytes === sentBytes);
  });

  it('refusals are HTTP answers and the socket closes: 404 no route, 429 limited, 403 by a policy, 502 unreachable', async () => {
    const s = await setup();
    const none = await refusal(`ws://${s.url}/nowhere`);
    expect(none).toMatchObject({ status: 404, body: { error: 'SY_NO_ROUTE' } });
    expect(none.headers['connection']).toBe('close');

    await open(`ws://${s.url}/limited`);
    const limited = await refusal(`ws://${s.url}/limited`);
    expect(limited).toMatchObject({ status: 429, body: { error: 'SY_RATE_LIMITED' } });
    expect(limited.headers['retry-after']).toBeDefined();

    expect(await refusal(`ws://${s.url}/private`)).toMatchObject({ status: 403, body: { error: 'SY_FORBIDDEN' } });
    expect(s.a.open.size + s.b.open.size).toBe(1);

    const down = await refusal(`ws://${s.url}/down`);
    expect(down).toMatchObject({ status: 502, body: { error: 'SY_UPSTREAM_CONNECT' } });
    expect(JSON.stringify(down.body)).not.toContain('127.0.0.1');
  });

  it('least-request balances open connections; detach() removes the listener and a second attach throws', async () => {
    const s = await setup();
    const c1 = await open(`ws://${s.url}/ws`);
    const c2 = await open(`ws://${s.url}/ws`);
    expect([await echo(c1, 'x'), await echo(c2, 'x')].sort()).toEqual(['a:x', 'b:x']);
    expect(s.dispatcher.active).toBe(2);
    expect(() => attachUpgrade(s.server, s.gateway)).toThrow(/already has a switchyard upgrade dispatcher/);
    s.dispatcher.detach();
    // Spliced connections outlive detach().
    expect(['a:y', 'b:y']).toContain(await echo(c1, 'y'));
  });
});
