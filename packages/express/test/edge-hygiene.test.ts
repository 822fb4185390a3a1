/**
 * Issue #17 over real sockets (proxy mode: Express → gateway → undici transport → a Node
 * upstream): forwarded headers trusted only from trusted proxies, the upstream's
 * `Connection`-named headers never reaching the client, invalid Host values refused with 400.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';
import { closeServer, listen } from './harness.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** An upstream that answers with the request headers it received; `/hop` also names a header in its `Connection`. */
async function upstream(): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/hop') {
      res.writeHead(200, { connection: 'close, x-secret, X-Internal-Route', 'x-secret': 'upstream-internal', 'x-internal-route': 'db-7', 'x-public': 'yes' });
      res.end('hop');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.headers));
  }).listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  closers.push(() => closeServer(server));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function gatewayApp(upstreamUrl: string, extra: Partial<GatewayConfig> = {}): Promise<number> {
  const transport = createUndiciTransport();
  const gateway = createGateway(
    { routes: [{ name: 'all', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'u' }] }], upstreams: { u: { endpoints: [{ url: upstreamUrl }] } }, ...extra } as GatewayConfig,
    { transport },
  );
  closers.push(async () => {
    await gateway.stop();
    await transport.close();
  });
  const app = express();
  app.use(switchyard({ gateway, clientAddress: 'socket' }));
  const { server, url } = await listen(app);
  closers.push(() => closeServer(server));
  return Number(new URL(url).port);
}

/** One raw HTTP/1.1 exchange (header values sent byte for byte), `Connection: close`. */
function raw(port: number, head: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), headers: text.slice(0, split).toLowerCase(), body: text.slice(split + 4) });
    });
    socket.write(`${head}\r\nConnection: close\r\n\r\n`);
  });
}

const SPOOFED = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'admin.internal', 'x-forwarded-for': '1.2.3.4', forwarded: 'for=1.2.3.4;proto=https;host=admin.internal' };

describe('forwarded headers (default mode: trusted proxies only)', () => {
  it('regression: a direct client cannot make the upstream believe it came over HTTPS, to another host, from another address', async () => {
    const up = await upstream();
    const port = await gatewayApp(up.url);
    const res = await fetch(`http://127.0.0.1:${port}/x`, { headers: SPOOFED });
    const seen = (await res.json()) as Record<string, string>;
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${port}`);
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['forwarded']).toBeUndefined();
  });

  it('a peer inside clientIdentity.trustedProxies keeps the chain, and this hop is appended', async () => {
    const up = await upstream();
    const port = await gatewayApp(up.url, { clientIdentity: { trustedProxies: ['127.0.0.1/32'] } });
    const seen = (await (await fetch(`http://127.0.0.1:${port}/x`, { headers: SPOOFED })).json()) as Record<string, string>;
    expect(seen['x-forwarded-proto']).toBe('https, http');
    expect(seen['x-forwarded-host']).toBe(`admin.internal, 127.0.0.1:${port}`);
    expect(seen['x-forwarded-for']).toBe('1.2.3.4, 127.0.0.1');
    expect(seen['forwarded']).toBe(SPOOFED.forwarded);
  });

  it("a route's explicit forwarded.mode 'append' still keeps what any client sent", async () => {
    const up = await upstream();
    const port = await gatewayApp(up.url);
    const appendUp = await upstream();
    const appendPort = await gatewayApp(appendUp.url, {
      routes: [{ name: 'all', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'u' }], rewrite: { forwarded: { mode: 'append' } } }],
    });
    expect(((await (await fetch(`http://127.0.0.1:${appendPort}/x`, { headers: SPOOFED })).json()) as Record<string, string>)['x-forwarded-proto']).toBe('https, http');
    expect(((await (await fetch(`http://127.0.0.1:${port}/x`, { headers: SPOOFED })).json()) as Record<string, string>)['x-forwarded-proto']).toBe('http');
  });
});

describe('response hygiene', () => {
  it("regression: headers the upstream's Connection names never reach the client (RFC 9110 §7.6.1)", async () => {
    const up = await upstream();
    const port = await gatewayApp(up.url);
    const res = await raw(port, 'GET /hop HTTP/1.1\r\nHost: h');
    expect(res.status).toBe(200);
    expect(res.body).toContain('hop');
    expect(res.headers).toContain('x-public: yes');
    expect(res.headers).not.toContain('x-secret');
    expect(res.headers).not.toContain('upstream-internal');
    expect(res.headers).not.toContain('x-internal-route');
  });

  // (A control character in Host never gets this far: Node's parser answers 400 itself.)
  it.each(['[::1', 'a b', 'x:99999', ':80', 'user@h', '[::1]junk', 'h\u00e9'])('regression: Host %j is refused with 400 and never forwarded', async (host) => {
    const up = await upstream();
    const port = await gatewayApp(up.url);
    const res = await raw(port, `GET /x HTTP/1.1\r\nHost: ${host}`);
    expect(res.status).toBe(400);
    expect(res.body).toContain('SY_BAD_REQUEST');
    expect(up.seen).toHaveLength(0);
    // The same gateway still serves a valid Host.
    expect((await raw(port, 'GET /x HTTP/1.1\r\nHost: api.example.com:8080')).status).toBe(200);
    expect(up.seen[0]?.host).toBe('api.example.com:8080');
  });
});
