/**
 * Decide mode: a route that denies `/admin` cannot be skipped by any spelling of the request
 * target that Hono routes to its `/admin` handler, over real sockets (@hono/node-server) and
 * through Hono's own `app.request()` (issue #17).
 */
import { serve, type ServerType } from '@hono/node-server';
import { createAbortController, createEndpoint } from '@switchyard/core';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { createMockTransport, createTestClock } from '@switchyard/testing';
import { ADMIN_HANDLER_BODY, PATH_BYPASS_TARGETS, pathBypassConfig } from '@switchyard/testing/vitest';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { Hono } from 'hono';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';

const client = createUndiciTransport();
afterAll(() => client.close());
const servers: ServerType[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/**
 * Sends `GET <target>` with the target as it is (undici writes the request line verbatim: no
 * client-side URL parsing, no fragment stripping); `undefined` when undici refuses the target.
 * This package's tests run on every runtime, so no `node:net` here.
 */
async function rawGet(port: number, target: string): Promise<{ status: number; body: string } | undefined> {
  const r = await client
    .send({ method: 'GET', path: target, headers: { host: 'h' } }, createEndpoint({ url: `http://127.0.0.1:${port}` }), { signal: createAbortController().signal })
    .catch(() => undefined);
  if (r === undefined || r.kind !== 'response') return undefined;
  let body = '';
  const decoder = new TextDecoder();
  for await (const chunk of r.response.body as AsyncIterable<Uint8Array>) body += decoder.decode(chunk, { stream: true });
  return { status: r.response.status, body };
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
    expect((await rawGet(port, '/admin'))?.status).toBe(403);
    expect(await rawGet(port, '/public')).toEqual({ status: 404, body: 'other /public' });
    expect((await rawGet(port, '/admin#x'))?.status).toBe(403);
  });

  it.each(PATH_BYPASS_TARGETS)('%s never runs the /admin handler (real socket)', async (target) => {
    const port = await listen(app());
    const res = await rawGet(port, target);
    expect(res?.body ?? '').not.toContain(ADMIN_HANDLER_BODY);
  });

  it.each(['/admin#x', '/admin?#', '/%61dmin', '/ad%6Din?x', '/x/../admin', '/admin/.', 'http://h/admin', 'http://h/%61dmin#f'])('%s never runs the /admin handler (app.request)', async (target) => {
    const res = await app().request(target);
    expect(await res.text()).not.toContain(ADMIN_HANDLER_BODY);
    expect(res.status).toBe(403);
  });
});
