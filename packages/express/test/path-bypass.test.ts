/**
 * Decide mode over real sockets: a route that denies `/admin` cannot be skipped by any spelling
 * of the request target that Express 4 or 5 routes to its `/admin` handler (issue #17).
 */
import { connect } from 'node:net';
import type { Server } from 'node:http';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { createMockTransport, createTestClock } from '@switchyard/testing';
import { ADMIN_HANDLER_BODY, describePathBypassChecks, pathBypassConfig } from '@switchyard/testing/vitest';
import express from 'express';
import express4 from 'express4';
import { afterEach, describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';
import { closeServer, listen } from './harness.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
});

/** Sends `GET <target>` byte for byte (no client-side URL parsing) and returns status and body. */
function rawGet(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(`GET ${target} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`);
  });
}

describe.each([
  ['express 5', () => express()],
  ['express 4', () => express4()],
])('%s - decide mode: a deny route on /admin cannot be bypassed', (_name, makeApp) => {
  async function start(): Promise<number> {
    const gateway = createGateway(pathBypassConfig() as GatewayConfig, { transport: createMockTransport({ clock: createTestClock() }), clock: createTestClock() });
    const app = makeApp();
    app.use(switchyard({ gateway, mode: 'decide' }));
    app.get('/admin', (_req, res) => res.send(ADMIN_HANDLER_BODY));
    app.use((req, res) => res.status(404).send(`other ${req.path}`));
    const { server, url } = await listen(app);
    servers.push(server);
    return Number(new URL(url).port);
  }

  describePathBypassChecks('Express', async () => {
    const port = await start();
    return (target) => rawGet(port, target);
  });

  it('absolute-form targets are decided on their path, as Express routes them', async () => {
    const port = await start();
    expect((await rawGet(port, 'http://h/admin')).status).toBe(403);
    expect((await rawGet(port, 'HTTP://h/Admin?x=1')).status).toBe(403);
    expect(await rawGet(port, 'http://h/public')).toEqual({ status: 404, body: 'other /public' });
    expect((await rawGet(port, 'ftp://h/admin')).status).toBe(400);
  });
});
