/**
 * The migration example, run: the BEFORE app (Hono `proxy()` + `hono-rate-limiter`) and the AFTER
 * app (`@switchyard/hono`) against the same local upstream on 127.0.0.1, each on
 * `@hono/node-server`, with the same requests; the assertions are the observable behaviour both
 * must share. The one difference users see is stated in the guide: the `RateLimit-*` header
 * dialect (draft-6 fields before, the IETF `RateLimit-Policy` / `RateLimit` pair after).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { attachUpgrade } from '@switchyard/hono/node';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { afterApp, afterGateway } from '../src/after.js';
import { beforeApp } from '../src/before.js';

let upstream: Server;
let wss: WebSocketServer;
let target: string;
const stops: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => res.end(`upstream saw ${req.method} ${req.url} ${bytes}`));
  });
  wss = new WebSocketServer({ server: upstream });
  wss.on('connection', (ws, req) => ws.on('message', (m) => ws.send(`${req.url} ${String(m)}`)));
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  upstream.closeAllConnections();
  await new Promise<void>((r) => upstream.close(() => r()));
});

function serveOn(app: Hono): Promise<{ server: ServerType; base: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve({ server, base: `http://127.0.0.1:${info.port}` }));
    stops.push(
      () =>
        new Promise<void>((r) => {
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          server.close(() => r());
        }),
    );
  });
}

const variants = {
  before: async () => serveOn(beforeApp(target)),
  after: async () => {
    const gateway = afterGateway(target);
    stops.push(() => gateway.stop());
    const served = await serveOn(afterApp(gateway));
    attachUpgrade(served.server, gateway);
    return served;
  },
};

describe.each(Object.keys(variants) as (keyof typeof variants)[])('migrating from hono proxy() + hono-rate-limiter: %s', (which) => {
  let base: string;
  beforeAll(async () => {
    base = (await variants[which]()).base;
  });

  it('proxies /api with the prefix stripped and the query kept, streams an upload, and leaves /health and 404s to the app', async () => {
    const get = await fetch(`${base}/api/items?x=1`);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe('upstream saw GET /items?x=1 0');
    const post = await fetch(`${base}/api/upload`, { method: 'POST', body: 'x'.repeat(200_000) });
    expect(await post.text()).toBe('upstream saw POST /upload 200000');
    expect(await (await fetch(`${base}/health`)).text()).toBe('ok');
    const missing = await fetch(`${base}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('404 Not Found');
  });

  it('the fourth /api request in a minute from one client gets 429 with Retry-After and the same message', async () => {
    // Two requests were spent by the test above (same client address).
    expect((await fetch(`${base}/api/a`)).status).toBe(200);
    const limited = await fetch(`${base}/api/a`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Both name the policy on the 429 (the header dialects differ: see the guide's table).
    expect(limited.headers.get('ratelimit-policy')).not.toBeNull();
    expect(await limited.text()).toBe('Too many requests, please try again later.');
    // /health is not limited.
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});

describe('after only: what the migration adds', () => {
  it('one line (attachUpgrade) carries WebSockets under /api through the same route, rewrite and limit', async () => {
    const { base } = await variants.after();
    const ws = new WebSocket(`${base.replace('http:', 'ws:')}/api/chat`);
    stops.push(() => ws.terminate());
    await once(ws, 'open');
    ws.send('hi');
    const [reply] = (await once(ws, 'message')) as [Buffer];
    expect(String(reply)).toBe('/chat hi');
    // The upgrade counted against the client's 3 a minute, like any request.
    expect((await fetch(`${base}/api/x`)).status).toBe(200);
    expect((await fetch(`${base}/api/x`)).status).toBe(200);
    const refused = new WebSocket(`${base.replace('http:', 'ws:')}/api/chat`);
    stops.push(() => refused.terminate());
    refused.on('error', () => {});
    const [, res] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode?: number }];
    expect(res.statusCode).toBe(429);
  });
});
