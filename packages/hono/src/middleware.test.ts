import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { decideModeConfig, describeAdapterFixture, type AdapterHarness } from '@switchyard/testing/vitest';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { switchyard, type SwitchyardVariables } from './middleware.js';

function headersOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((v, k) => (out[k] = v));
  return out;
}

/** The fixture's harness over Hono's own request path, `app.request()`. */
function harness(app: Hono<{ Variables: SwitchyardVariables }>, close: () => Promise<void>): AdapterHarness {
  const send = (r: { method: string; path: string; headers?: Readonly<Record<string, string>>; body?: string }) =>
    app.request(`http://api.example.com${r.path}`, { method: r.method, headers: { ...r.headers }, ...(r.body !== undefined ? { body: r.body } : {}) });
  return {
    async request(r) {
      const res = await send(r);
      return { status: res.status, headers: headersOf(res), body: await res.text() };
    },
    async stream(r) {
      const res = await send(r);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      return {
        status: res.status,
        headers: headersOf(res),
        read: async () => {
          const { done, value } = await reader.read();
          return done ? undefined : decoder.decode(value);
        },
        abort: () => void reader.cancel().catch(() => {}),
      };
    },
    close,
  };
}

describeAdapterFixture('hono', {
  setup: ({ config, transport, clock, rng }) => {
    const gateway = createGateway(config as GatewayConfig, { transport, clock, rng });
    const app = new Hono<{ Variables: SwitchyardVariables }>();
    app.use(switchyard({ gateway }));
    return harness(app, () => gateway.stop());
  },
});

const CONFIG = decideModeConfig('per-user') as GatewayConfig;

function decideApp(notFound?: 'next' | 'respond') {
  const clock = createTestClock();
  const transport = createMockTransport({ clock });
  const gateway = createGateway(CONFIG, { transport, clock, rng: seededRng(3) });
  const app = new Hono<{ Variables: SwitchyardVariables }>();
  app.use(switchyard({ gateway, mode: 'decide', ...(notFound !== undefined ? { notFound } : {}), attributes: (c) => ({ tenant: c.req.header('x-tenant') ?? 'none' }) }));
  app.get('/api/items', (c) => {
    const d = c.get('switchyard');
    return c.json({ route: d.route, backend: d.backend, variant: d.variant, tenant: d.request.attributes['tenant'] });
  });
  app.get('/own', (c) => c.text('own handler'));
  return { app, transport };
}

describe('hono - decide mode', () => {
  it('runs the app handler with the decision on the context and adds the gateway headers', async () => {
    const { app, transport } = decideApp();
    const res = await app.request('/api/items', { headers: { 'x-user-id': 'u1', 'x-stage': 'canary', 'x-tenant': 't1' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ route: 'api', backend: 'v2', tenant: 't1' });
    expect(['a', 'b']).toContain(body['variant']);
    expect(res.headers.get('x-experiment')).toBe(`layout-${String(body['variant'])}`);
    expect(res.headers.get('ratelimit') ?? res.headers.get('ratelimit-remaining')).not.toBeNull();
    expect(transport.requests).toHaveLength(0);
  });

  it('answers 429 itself once the limit is spent, without running the handler', async () => {
    const { app } = decideApp();
    expect((await app.request('/api/items', { headers: { 'x-user-id': 'u2' } })).status).toBe(200);
    const limited = await app.request('/api/items', { headers: { 'x-user-id': 'u2' } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({ error: 'SY_RATE_LIMITED' });
  });

  it('lets unmatched paths through to the app by default, or answers 404 SY_NO_ROUTE when told to', async () => {
    expect(await (await decideApp().app.request('/own')).text()).toBe('own handler');
    const strict = await decideApp('respond').app.request('/own');
    expect(strict.status).toBe(404);
    expect(await strict.json()).toMatchObject({ error: 'SY_NO_ROUTE' });
  });
});

describe('hono - proxy mode', () => {
  it('falls through to the app for unmatched paths and answers gateway routes itself', async () => {
    const clock = createTestClock();
    const transport = createMockTransport({ clock }).respondWith(() => ({ status: 201, headers: { 'x-from': 'upstream' }, body: 'created' }));
    const gateway = createGateway(CONFIG, { transport, clock, rng: seededRng(1) });
    const app = new Hono();
    app.use(switchyard({ gateway }));
    app.get('/own', (c) => c.text('own handler'));
    expect(await (await app.request('/own')).text()).toBe('own handler');
    const res = await app.request('/api/x', { method: 'POST', body: 'hello', headers: { 'x-user-id': 'u9' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-from')).toBe('upstream');
    expect(await res.text()).toBe('created');
    expect(transport.requests[0]?.request.path).toBe('/api/x');
  });
});

describe('hono on @hono/node-server - the client address', () => {
  const servers: ServerType[] = [];
  afterEach(async () => {
    // Stopped even when a test failed: idle keep-alive sockets closed, then the listener.
    await Promise.all(
      servers.splice(0).map(
        (server) =>
          new Promise<void>((resolve) => {
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => resolve());
          }),
      ),
    );
  });

  /** Listens on 127.0.0.1 through Hono's real Node request path. */
  function listen(app: Hono<{ Variables: SwitchyardVariables }>): Promise<string> {
    return new Promise((resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(`http://127.0.0.1:${info.port}`));
      servers.push(server);
    });
  }

  function perClientApp(clientAddress?: () => string | undefined) {
    const clock = createTestClock();
    const gateway = createGateway(decideModeConfig('per-client') as GatewayConfig, { transport: createMockTransport({ clock }), clock, rng: seededRng(3) });
    const app = new Hono<{ Variables: SwitchyardVariables }>();
    app.use(switchyard({ gateway, mode: 'decide', ...(clientAddress !== undefined ? { clientAddress } : {}) }));
    app.get('/api/items', (c) => c.json({ client: c.get('switchyard').request.clientAddress ?? null }));
    return { app, gateway };
  }

  it('regression - derives the TCP peer by default, so a client-ip limit counts per client instead of refusing (or admitting) everyone', async () => {
    const { app, gateway } = perClientApp();
    const url = await listen(app);
    const first = await fetch(`${url}/api/items`);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ client: '127.0.0.1' });
    // One token per minute per client: the same client is limited next.
    const second = await fetch(`${url}/api/items`);
    expect(second.status).toBe(429);
    await second.body?.cancel();
    await gateway.stop();
  });

  it('an explicit clientAddress wins over the socket; without any address a client-ip limit refuses (fail closed)', async () => {
    const custom = perClientApp(() => '198.51.100.9');
    const url = await listen(custom.app);
    expect(await (await fetch(`${url}/api/items`)).json()).toEqual({ client: '198.51.100.9' });
    // app.request() has no Node request behind it: no address, so the per-client limit denies.
    const none = perClientApp();
    const refused = await none.app.request('/api/items');
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: 'SY_RATE_LIMITED' });
    await custom.gateway.stop();
    await none.gateway.stop();
  });
});
