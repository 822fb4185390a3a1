/**
 * Slow clients over real sockets (#17): a client trickling its request body one byte at a time
 * gets 408 `SY_REQUEST_TIMEOUT` once the route timeout passes (whether the gateway buffers the
 * body for retries or streams it upstream through undici), and ten of them do not lock other
 * clients out of the upstream's `maxRequests` slots while they trickle. The other side too: an
 * upstream trickling or stalling its response body is cut at the route deadline or the idle
 * timeout, and its socket released.
 *
 * The trickling clients write on a timer (that is their behaviour); the test itself only waits
 * for conditions and asserts statuses and counts, never durations.
 */
import { connect, type Socket } from 'node:net';
import { setInterval as every } from 'node:timers';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { GatewayConfig } from '@switchyard/gateway';
import type { IncomingMessage } from 'node:http';
import { client, startGateway, startUpstream, text, until, type GatewayServer } from './harness.js';

const readRequestText = (req: IncomingMessage): Promise<string> => text(req);

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const TIMEOUT_MS = 400;

function config(upstreamUrl: string): GatewayConfig {
  const match = (value: string) => [{ path: { type: 'PathPrefix' as const, value } }];
  return {
    routes: [
      // Buffered for retries: the body is read before the try, under the deadline.
      { name: 'buffered', matches: match('/buffered'), backends: [{ upstream: 'u' }], timeoutMs: TIMEOUT_MS, retry: { numRetries: 1, retryNonIdempotent: true } },
      // Streamed to the upstream as it arrives.
      { name: 'streamed', matches: match('/streamed'), backends: [{ upstream: 'u' }], timeoutMs: TIMEOUT_MS },
      { name: 'other', matches: match('/'), backends: [{ upstream: 'u' }] },
    ],
    upstreams: { u: { endpoints: [{ url: upstreamUrl }], resourceLimits: { maxRequests: 2 } } },
  };
}

interface Trickler {
  /** The status line the gateway answered with, once it has. */
  status(): string | undefined;
  stop(): void;
}

/** Opens a raw connection, sends a POST announcing 1 MB, then one byte every 20 ms. */
function trickle(gatewayUrl: string, path: string): Trickler {
  const { hostname, port } = new URL(gatewayUrl);
  const socket: Socket = connect(Number(port), hostname);
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (received += d));
  socket.on('error', () => {});
  socket.write(`POST ${path} HTTP/1.1\r\nHost: api.test\r\nContent-Type: text/plain\r\nContent-Length: 1000000\r\n\r\n`);
  const timer = every(() => {
    if (!socket.destroyed) socket.write('x');
  }, 20);
  return {
    status: () => (/^HTTP\/1\.1 \d{3}[^\r]*/.exec(received) ?? [])[0],
    stop() {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

async function setup(): Promise<{ gw: GatewayServer; upstreamBodies: () => number }> {
  let bodies = 0;
  const up = await startUpstream((req, res) => {
    void readRequestText(req).then(
      (text) => {
        bodies++;
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`got ${text.length}`);
      },
      () => res.destroy(),
    );
  });
  cleanup.push(() => up.close());
  const gw = await startGateway(config(up.url));
  cleanup.push(() => gw.close());
  return { gw, upstreamBodies: () => bodies };
}

describe('slow clients over real sockets', () => {
  it('a client trickling its body on a buffering route gets 408 within the route timeout, and ten of them lock no one out', async () => {
    const { gw } = await setup();
    const tricklers = Array.from({ length: 10 }, () => trickle(gw.url, '/buffered'));
    cleanup.push(() => tricklers.forEach((t) => t.stop()));
    await until(() => gw.records.length >= 10, 'the gateway has received every trickling request');
    // maxRequests is 2: before the fix the ten buffering uploads held the slots and this got 503.
    const dispatcher = client(4);
    cleanup.push(() => dispatcher.close());
    const other = await request(`${gw.url}/other`, { dispatcher });
    expect(other.statusCode).toBe(200);
    await other.body.text();
    await until(() => tricklers.every((t) => t.status() !== undefined), () => `every trickler answered (${tricklers.map((t) => t.status() ?? '-').join(', ')})`, 1_000);
    expect(tricklers.map((t) => t.status())).toEqual(Array.from({ length: 10 }, () => 'HTTP/1.1 408 Request Timeout'));
    expect(gw.events.filter((e) => e.kind === 'request' && e.status === 408)).toHaveLength(10);
  });

  it('a client trickling its body on a streaming route (undici upstream) gets 408 within the route timeout, its upstream request canceled', async () => {
    const { gw, upstreamBodies } = await setup();
    const t = trickle(gw.url, '/streamed');
    cleanup.push(() => t.stop());
    await until(() => t.status() !== undefined, 'the trickler was answered', 1_000);
    expect(t.status()).toBe('HTTP/1.1 408 Request Timeout');
    expect(upstreamBodies()).toBe(0); // the upstream never saw a complete body
    await until(() => gw.transport.stats().every((s) => s.running === 0), 'the upstream request was released');
  });

  it('an upstream trickling its response body past the route timeout, or stalling it, is cut and its socket released', async () => {
    const up = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first\n');
      if (_req.url === '/stall') return; // then silence
      const timer = every(() => res.write('x'), 20);
      res.once('close', () => clearInterval(timer));
    });
    cleanup.push(() => up.close());
    const gw = await startGateway({
      routes: [
        { name: 'trickle', matches: [{ path: { type: 'Exact', value: '/trickle' } }], backends: [{ upstream: 'u' }], timeoutMs: TIMEOUT_MS },
        { name: 'stall', matches: [{ path: { type: 'Exact', value: '/stall' } }], backends: [{ upstream: 'u' }], timeoutMs: 0, idleTimeoutMs: 200 },
      ],
      upstreams: { u: { endpoints: [{ url: up.url }] } },
    });
    cleanup.push(() => gw.close());
    const dispatcher = client(4);
    cleanup.push(() => dispatcher.close());
    for (const path of ['/trickle', '/stall']) {
      const res = await request(`${gw.url}${path}`, { dispatcher });
      expect(res.statusCode).toBe(200);
      await expect(res.body.text()).rejects.toThrow();
    }
    await until(() => up.sockets.size === 0, () => `upstream sockets released (open: ${up.sockets.size})`, 1_000);
  });
});
