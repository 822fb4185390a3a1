/** `gateway.admin()` mounted in Hono beside the switchyard middleware (docs/guides/dashboard.md), over Hono's own `app.request()`. */
import { createGateway, fromFetchRequest, toFetchResponse, type GatewayConfig } from '@switchyard/gateway';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';

const CONFIG: GatewayConfig = {
  routes: [
    {
      name: 'shop',
      matches: [{ path: { type: 'PathPrefix', value: '/shop' } }],
      backends: [
        { name: 'v1', upstream: 'shop', subset: { version: 'v1' } },
        { name: 'v2', upstream: 'shop', subset: { version: 'v2' } },
      ],
      split: { key: { header: 'x-user-id' } },
      rollout: { name: 'shop-v2', canary: 'v2', baseline: 'v1', steps: [10, 50, 100], analysisIntervalMs: 600_000 },
    },
  ],
  upstreams: { shop: { endpoints: [{ id: 'v1a', url: 'http://10.0.1.1:80', metadata: { version: 'v1' } }, { id: 'v2a', url: 'http://10.0.2.1:80', metadata: { version: 'v2' } }] } },
};

function app() {
  const clock = createTestClock();
  const transport = createMockTransport({ clock }).respondWith(() => ({ status: 200, body: 'ok' }));
  const gateway = createGateway(CONFIG, { transport, clock, rng: seededRng(5) });
  const admin = gateway.admin({ operationsToken: 'hono-token' });
  const hono = new Hono();
  const serveAdmin = async (c: { req: { raw: Request } }): Promise<Response> => toFetchResponse(await admin(fromFetchRequest(c.req.raw))) as Response;
  hono.all('/admin', serveAdmin);
  hono.all('/admin/*', serveAdmin);
  hono.use(switchyard({ gateway }));
  return { hono, clock, gateway };
}

describe('hono - gateway.admin() mounted under /admin', () => {
  it('serves the page and a snapshot of the traffic the middleware proxied', async () => {
    const { hono, clock } = app();
    for (let i = 0; i < 10; i++) {
      expect((await hono.request('/shop/item', { headers: { 'x-user-id': `u${i}` } })).status).toBe(200);
      clock.advance(100);
    }
    const page = await hono.request('/admin/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('api/snapshot');
    const snap = await hono.request('/admin/api/snapshot');
    expect(await snap.json()).toMatchObject({ windowMs: 1_000, routes: [{ name: 'shop', requests: { total: 10, window: 10, perSecond: 10 }, successRate: 1 }], rollouts: [{ route: 'shop', phase: 'progressing', weightPercent: 10 }] });
  });

  it('operations: 401 problem details without the token, done with it', async () => {
    const { hono, gateway } = app();
    const denied = await hono.request('/admin/api/rollouts/shop/abort', { method: 'POST' });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('content-type')).toBe('application/problem+json');
    expect(await denied.json()).toMatchObject({ code: 'SY_UNAUTHORIZED' });
    const done = await hono.request('/admin/api/rollouts/shop/abort?reason=from+hono', { method: 'POST', headers: { authorization: 'Bearer hono-token' } });
    expect(done.status).toBe(200);
    expect(gateway.rollouts.status()[0]).toMatchObject({ phase: 'aborted', reasons: ['aborted: from hono'] });
  });
});
