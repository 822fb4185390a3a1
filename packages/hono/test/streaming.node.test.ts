/**
 * Proxy mode streams both ways on `@hono/node-server` with the undici transport: over real
 * sockets on 127.0.0.1, an upload reaches the upstream before the client has finished sending
 * it, and a large download from a fast upstream to a client that does not read stalls the
 * upstream (backpressure through the proxy) instead of being buffered. No wall clock: "stalled"
 * is a thousand event-loop turns (I/O polled on each) without progress.
 */
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createGateway } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return (server.address() as AddressInfo).port;
}

async function eventually(predicate: () => boolean, turns = 1_000_000): Promise<void> {
  for (let i = 0; i < turns && !predicate(); i++) await new Promise<void>((r) => setImmediate(r));
  expect(predicate()).toBe(true);
}

/** A Hono app on @hono/node-server whose middleware proxies everything to `upstream`. */
async function proxyTo(upstream: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const upstreamPort = await listen(createServer(upstream));
  const gateway = createGateway(
    {
      routes: [{ name: 'all', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'up' }] }],
      upstreams: { up: { endpoints: [{ url: `http://127.0.0.1:${upstreamPort}` }] } },
    },
    { transport: createUndiciTransport() },
  );
  cleanups.push(() => gateway.stop());
  const app = new Hono();
  app.use(switchyard({ gateway }));
  const port = await new Promise<number>((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          server.close(() => r());
        }),
    );
  });
  return port;
}

describe('hono proxy mode - streams request and response bodies on Node', () => {
  it('an upload reaches the upstream while the client is still sending it', async () => {
    let upstreamBytes = 0;
    let upstreamDone = false;
    const port = await proxyTo((req, res) => {
      req.on('data', (c: Buffer) => (upstreamBytes += c.length));
      req.on('end', () => {
        upstreamDone = true;
        res.end(`got ${upstreamBytes}`);
      });
    });
    const client = request({ host: '127.0.0.1', port, method: 'POST', path: '/upload', headers: { 'transfer-encoding': 'chunked' } });
    cleanups.push(() => void client.destroy());
    const answered = once(client, 'response') as Promise<[IncomingMessage]>;
    const part = Buffer.alloc(256 * 1024, 1);
    client.write(part);
    // The first part arrives upstream before the second is even written: nothing waits for the end.
    await eventually(() => upstreamBytes === part.length);
    expect(upstreamDone).toBe(false);
    client.write(part);
    await eventually(() => upstreamBytes === 2 * part.length);
    client.end(part);
    const [res] = await answered;
    let text = '';
    for await (const c of res) text += String(c);
    expect(text).toBe(`got ${3 * part.length}`);
  });

  it('a download to a client that does not read stalls the upstream instead of filling the proxy', async () => {
    const capBytes = 256 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 9);
    let limit = capBytes;
    let written = 0;
    let writable = true;
    let upstreamRes: ServerResponse | undefined;
    const pump = (): void => {
      const res = upstreamRes;
      if (res === undefined) return;
      while (writable && written < limit) {
        written += chunk.length;
        writable = res.write(chunk);
      }
      if (written >= limit && !res.writableEnded) res.end();
    };
    const port = await proxyTo((_req, res) => {
      upstreamRes = res;
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.on('drain', () => {
        writable = true;
        pump();
      });
      pump();
    });
    const client = request({ host: '127.0.0.1', port, path: '/big' });
    cleanups.push(() => void client.destroy());
    client.end();
    const [res] = (await once(client, 'response')) as [IncomingMessage];
    res.pause();
    expect(res.statusCode).toBe(200);
    // Stalled: the upstream's written total stops growing for a thousand turns.
    let last = -1;
    let still = 0;
    await eventually(() => {
      if (written === last) still++;
      else [last, still] = [written, 0];
      return (still >= 1000 && !writable) || written >= capBytes;
    });
    expect(written).toBeLessThan(capBytes);
    expect(writable).toBe(false);

    // Reading resumes the flow: the upstream sends 1 MiB more and ends; the client gets every byte.
    limit = written + 16 * chunk.length;
    let received = 0;
    res.on('data', (c: Buffer) => (received += c.length));
    res.resume();
    await eventually(() => res.complete);
    expect(written).toBe(limit);
    expect(received).toBe(written);
  });
});
