/** `gateway.admin()` mounted in Fastify beside the switchyard plugin (docs/guides/dashboard.md), over Fastify's own request path. */
import { createGateway, fromNodeRequest, writeNodeResponse, type GatewayConfig } from '@switchyard/gateway';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
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

const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

async function app() {
  const clock = createTestClock();
  const transport = createMockTransport({ clock }).respondWith(() => ({ status: 200, body: 'ok' }));
  const gateway = createGateway(CONFIG, { transport, clock, rng: seededRng(5) });
  const admin = gateway.admin({ operationsToken: 'fastify-token' });
  const fastify = Fastify();
  apps.push(fastify);
  // The Node bridge writes the answer: hijack the reply, hand the raw request over.
  const serveAdmin = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.hijack();
    await writeNodeResponse(reply.raw, await admin(fromNodeRequest(request.raw)));
  };
  fastify.all('/admin', serveAdmin);
  fastify.all('/admin/*', serveAdmin);
  await fastify.register(switchyard, { gateway });
  return { fastify, clock, gateway };
}

describe('fastify - gateway.admin() mounted under /admin', () => {
  it('serves the page and a snapshot of the traffic the plugin proxied', async () => {
    const { fastify, clock } = await app();
    for (let i = 0; i < 10; i++) {
      expect((await fastify.inject({ url: '/shop/item', headers: { 'x-user-id': `u${i}` } })).statusCode).toBe(200);
      clock.advance(100);
    }
    const page = await fastify.inject({ url: '/admin' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('api/snapshot');
    const snap = await fastify.inject({ url: '/admin/api/snapshot' });
    expect(snap.json()).toMatchObject({ windowMs: 1_000, routes: [{ name: 'shop', requests: { total: 10, window: 10, perSecond: 10 }, successRate: 1 }], rollouts: [{ route: 'shop', phase: 'progressing', weightPercent: 10 }] });
  });

  it('operations: 401 problem details without the token, done with it', async () => {
    const { fastify, gateway } = await app();
    const denied = await fastify.inject({ method: 'POST', url: '/admin/api/rollouts/shop/abort' });
    expect(denied.statusCode).toBe(401);
    expect(denied.headers['content-type']).toBe('application/problem+json');
    expect(denied.json()).toMatchObject({ code: 'SY_UNAUTHORIZED' });
    const done = await fastify.inject({ method: 'POST', url: '/admin/api/rollouts/shop/abort?reason=from+fastify', headers: { authorization: 'Bearer fastify-token' } });
    expect(done.statusCode).toBe(200);
    expect(gateway.rollouts.status()[0]).toMatchObject({ phase: 'aborted', reasons: ['aborted: from fastify'] });
  });
});
