/**
 * `resourceLimits.maxConnections` and `maxPendingRequests` over real sockets: the gateway with
 * the undici transport against a `node:http` upstream on 127.0.0.1 that holds its answers, so
 * every request stays in flight until the test lets it go.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyRequest, SyResponse } from '@switchyard/core';
import { createGateway, responseCode, type Gateway, type GatewayConfig, type GatewayEvent } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';

interface HoldingUpstream {
  readonly url: string;
  /** Most server-side sockets ever open at once. */
  maxSockets(): number;
  accepted(): number;
  /** Resolves once `n` requests are being held. */
  holding(n: number): Promise<void>;
  /** Answers every held request (and later ones at once). */
  releaseAll(): void;
  close(): Promise<void>;
}

async function holdingUpstream(): Promise<HoldingUpstream> {
  const held: (() => void)[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let releasing = false;
  const server: Server = createServer({ keepAliveTimeout: 60_000 }, (_req, res) => {
    const answer = (): void => {
      res.end('ok');
    };
    if (releasing) {
      answer();
      return;
    }
    held.push(answer);
    for (const w of waiters.splice(0)) if (held.length >= w.n) w.resolve();
    else waiters.push(w);
  });
  const sockets = new Set<Socket>();
  let max = 0;
  let accepted = 0;
  server.on('connection', (s: Socket) => {
    accepted++;
    sockets.add(s);
    max = Math.max(max, sockets.size);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    maxSockets: () => max,
    accepted: () => accepted,
    holding: (n) => new Promise<void>((resolve) => (held.length >= n ? resolve() : waiters.push({ n, resolve }))),
    releaseAll() {
      releasing = true;
      for (const answer of held.splice(0)) answer();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      }),
  };
}

const upstreams: HoldingUpstream[] = [];
const gateways: Gateway[] = [];
afterEach(async () => {
  for (const u of upstreams) u.releaseAll();
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

function req(): SyRequest {
  return { method: 'GET', scheme: 'http', authority: 'gw.test', path: '/', query: '', headers: {}, clientAddress: '127.0.0.1', attributes: {} };
}

async function text(res: SyResponse): Promise<string> {
  const b = res.body;
  if (b === null || typeof b === 'string') return b ?? '';
  if (b instanceof Uint8Array) return new TextDecoder().decode(b);
  let s = '';
  for await (const c of b) s += typeof c === 'string' ? c : new TextDecoder().decode(c);
  return s;
}

function config(url: string, resourceLimits: NonNullable<GatewayConfig['upstreams'][string]['resourceLimits']>): GatewayConfig {
  return {
    routes: [{ name: 'all', backends: [{ upstream: 'up' }] }],
    upstreams: { up: { endpoints: [{ url }], resourceLimits } },
  };
}

describe('resource limits over real sockets (undici transport)', () => {
  it('maxConnections 2 - the upstream never sees more than 2 connections; the other requests wait and succeed', async () => {
    const up = await holdingUpstream();
    upstreams.push(up);
    const gateway = createGateway(config(up.url, { maxConnections: 2 }), { transport: createUndiciTransport() });
    gateways.push(gateway);
    const answers = Array.from({ length: 6 }, () => gateway.handle(req()));
    await up.holding(2);
    expect(up.maxSockets()).toBe(2);
    up.releaseAll();
    const responses = await Promise.all(answers);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await Promise.all(responses.map(text))).toEqual(Array(6).fill('ok'));
    expect(up.maxSockets()).toBe(2);
    expect(up.accepted()).toBe(2);
  });

  it('maxPendingRequests 1 - with 2 connections busy and 1 request waiting, the 4th is answered 503 x-envoy-overloaded at once', async () => {
    const up = await holdingUpstream();
    upstreams.push(up);
    const gateway = createGateway(config(up.url, { maxConnections: 2, maxPendingRequests: 1 }), { transport: createUndiciTransport() });
    gateways.push(gateway);
    const events: GatewayEvent[] = [];
    gateway.subscribe((e) => events.push(e));
    const first = [gateway.handle(req()), gateway.handle(req()), gateway.handle(req())];
    await up.holding(2);
    const fourth = await gateway.handle(req());
    expect(fourth.status).toBe(503);
    expect(fourth.headers['x-envoy-overloaded']).toBe('true');
    expect(responseCode(fourth)).toBe('SY_OVERLOADED');
    expect(JSON.parse(await text(fourth))).toMatchObject({ error: 'SY_OVERLOADED' });
    expect(events).toContainEqual(expect.objectContaining({ kind: 'overloaded', upstream: 'up', reason: 'max-pending-requests' }));
    expect(gateway.plan().upstreams.get('up')?.limits.counters).toMatchObject({ connections: 2, pendingRequests: 1 });
    up.releaseAll();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200, 200]);
    // Everything released: the queue takes requests again.
    expect(gateway.plan().upstreams.get('up')?.limits.counters).toMatchObject({ connections: 0, pendingRequests: 0 });
    expect((await gateway.handle(req())).status).toBe(200);
    expect(up.maxSockets()).toBe(2);
  });
});
