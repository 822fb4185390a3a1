/**
 * Decide mode: a route that denies `/admin` cannot be skipped by any spelling of the request
 * target that Hono routes to its `/admin` handler, over real sockets (@hono/node-server) and
 * through Hono's own `app.request()` (issue #17).
 */
import { connect } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { ADMIN_HANDLER_BODY, PATH_BYPASS_TARGETS, createMockTransport, createTestClock, pathBypassConfig } from '@switchyard/testing';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';

const servers: ServerType[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
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
    socket.end(`GET ${target} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`);
  });
}

function app(): Hono {
  const gateway = createGateway(pathBypassConfig() as GatewayConfig, { transport: createMockTransport({ clock: createTestClock() }), clock: createTestClock() });
  const a = new Hono();
  a.use(switchyard({ gateway, mode: 'decide' }));
  a.get('/admin', (c) => c.text(ADMIN_HANDLER_BODY));
  a.all('*', (c) => c.text(`other ${c.req.path}`, 404));
  return a;
}

function listen(a: Hono): Promise<number> {
  return new Promise((resolve) => {
    servers.push(serve({ fetch: a.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port)));
  });
}

describe('hono - decide mode: a deny route on /admin cannot be bypassed', () => {
  it('the deny route holds for /admin, and other paths reach the app', async () => {
    const port = await listen(app());
    expect((await rawGet(port, '/admin')).status).toBe(403);
    expect(await rawGet(port, '/public')).toEqual({ status: 404, body: 'other /public' });
  });

  it.each(PATH_BYPASS_TARGETS)('%s never runs the /admin handler (real socket)', async (target) => {
    const port = await listen(app());
    const res = await rawGet(port, target);
    expect(res.body).not.toContain(ADMIN_HANDLER_BODY);
  });

  it.each(['/admin#x', '/admin?#', '/%61dmin', '/ad%6Din?x', '/x/../admin', '/admin/.', 'http://h/admin', 'http://h/%61dmin#f'])('%s never runs the /admin handler (app.request)', async (target) => {
    const res = await app().request(target);
    expect(await res.text()).not.toContain(ADMIN_HANDLER_BODY);
    expect(res.status).toBe(403);
  });
});
