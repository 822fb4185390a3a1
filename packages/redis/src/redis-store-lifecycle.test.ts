/**
 * The Redis store's operational edges on a real redis-server: a first connection that is not
 * ready yet (waited for, not an outage), the size of the keys it writes, and the gateway's
 * answer when the store fails closed (503 SY_STORE_UNAVAILABLE), with Redis stopped mid-test.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { SyRequest } from '@switchyard/core';
import { createGateway } from '@switchyard/gateway';
import { storageKey, tokenBucket, type LimitDecision } from '@switchyard/limiter';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { createRedisStore, fromIoredis, fromNodeRedis } from './index.js';
import { describeWithRedis, freePort, serverPool, type RedisServer } from '../test/redis-server.js';

describeWithRedis('Redis store lifecycle on a real redis-server', () => {
  let server: RedisServer;
  let admin: Redis;
  const shared = serverPool();
  const own = serverPool();
  const cleanups: Array<() => unknown> = [];
  beforeAll(async () => {
    server = await shared.start();
    admin = new Redis({ port: server.port, host: '127.0.0.1' });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await own.stopAll();
  });
  afterAll(async () => {
    admin?.disconnect();
    await shared.stopAll();
  });

  /** A fresh ioredis client as we recommend it (commands fail at once while disconnected), not connected yet. */
  function ioredis(port: number, extra: Record<string, unknown> = {}): Redis {
    const c = new Redis({ port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50, ...extra });
    c.on('error', () => {});
    cleanups.push(() => c.disconnect());
    return c;
  }

  const take = (store: ReturnType<typeof createRedisStore>, key: string, policy = tokenBucket({ id: 'p', maxTokens: 5, fillIntervalMs: 60_000 })): Promise<LimitDecision> =>
    store.take({ namespace: 'life', policy, key, cost: 1, now: 0 });

  it("regression - decisions made before the first connection is ready wait for it: 'deny' does not refuse at start", async () => {
    const client = ioredis(server.port);
    expect(client.status).not.toBe('ready');
    // The test clock never fires the store timeout by itself: only readiness can settle these.
    const store = createRedisStore({ client: fromIoredis(client), onStoreError: 'deny', timeoutMs: 1000, clock: createTestClock() });
    const decisions = await Promise.all([take(store, 'start-a'), take(store, 'start-a'), take(store, 'start-b')]);
    expect(decisions.map((d) => [d.kind, d.storeError])).toEqual([
      ['allowed', undefined],
      ['allowed', undefined],
      ['allowed', undefined],
    ]);
    expect(store.stats.failures).toBe(0);
  });

  it("regression - a fleet starting at once with 'local' admits the shared limit, not the limit per instance", async () => {
    const policy = tokenBucket({ id: `fleet-${server.port}`, maxTokens: 3, tokensPerFill: 1, fillIntervalMs: 3_600_000 });
    const stores = [ioredis(server.port), ioredis(server.port)].map((c) => createRedisStore({ client: fromIoredis(c), onStoreError: 'local', timeoutMs: 1000, clock: createTestClock() }));
    const decisions = (await Promise.all(stores.map((s) => Promise.all([1, 2, 3, 4].map(() => take(s, 'fleet', policy)))))).flat();
    expect(decisions.filter((d) => d.storeError !== undefined)).toEqual([]);
    expect(decisions.filter((d) => d.kind === 'allowed')).toHaveLength(3);
  });

  it('waits for node-redis (offline queue off) and for a lazyConnect ioredis client, which it connects', async () => {
    const node = createClient({ url: `redis://127.0.0.1:${server.port}`, disableOfflineQueue: true });
    node.on('error', () => {});
    cleanups.push(() => node.destroy());
    void node.connect();
    const viaNode = createRedisStore({ client: fromNodeRedis(node), onStoreError: 'deny', timeoutMs: 1000, clock: createTestClock() });
    expect(await take(viaNode, 'node-start')).toMatchObject({ kind: 'allowed' });
    expect((await take(viaNode, 'node-start')).storeError).toBeUndefined();

    const lazy = ioredis(server.port, { lazyConnect: true });
    expect(lazy.status).toBe('wait');
    const viaLazy = createRedisStore({ client: fromIoredis(lazy), onStoreError: 'deny', timeoutMs: 1000, clock: createTestClock() });
    expect((await take(viaLazy, 'lazy-start')).storeError).toBeUndefined();
  });

  it('a connection that does not become ready within the timeout is a timeout, answered by the fallback', async () => {
    const clock = createTestClock();
    const nowhere = ioredis(await freePort()); // nothing listens there
    const store = createRedisStore({ client: fromIoredis(nowhere), onStoreError: 'deny', timeoutMs: 100, clock });
    const pending = take(store, 'never');
    await clock.advanceAsync(100);
    expect(await pending).toMatchObject({ kind: 'limited', storeError: { reason: 'timeout', fallback: 'deny' } });
  });

  it('regression - keys over 64 characters (or starting with #) are written as their 28-character digest, shorter ones as they are', async () => {
    const client = ioredis(server.port);
    const store = createRedisStore({ client: fromIoredis(client), onStoreError: 'deny', prefix: 'ks', timeoutMs: 1000, clock: createTestClock() });
    const long = 'k'.repeat(8192);
    const exact = 'u'.repeat(64);
    for (const key of [long, '#x', exact]) expect((await take(store, key)).storeError).toBeUndefined();
    const written = (await admin.keys('ks:life:p:*')).sort();
    expect(written).toEqual([`ks:life:p:${storageKey(long)}`, `ks:life:p:${storageKey('#x')}`, `ks:life:p:${exact}`].sort());
    expect(Math.max(...written.map((k) => k.length))).toBe('ks:life:p:'.length + 64);
    // The same long key keeps counting in its bucket.
    expect((await take(store, long)).remaining).toBe(3);
  });

  it('regression - with Redis stopped mid-test, a fail-closed store answers 503 SY_STORE_UNAVAILABLE through the gateway, not 429', async () => {
    const mine = await own.start();
    const client = ioredis(mine.port);
    const store = createRedisStore({ client: fromIoredis(client), onStoreError: 'deny', timeoutMs: 2000, retryAfterFailureMs: 1000 });
    const clock = createTestClock();
    const gateway = createGateway(
      {
        routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }], limits: ['everyone'] }],
        upstreams: { api: { endpoints: [{ url: 'http://10.0.0.1:8080' }] } },
        limits: { everyone: { key: 'global', policy: { maxTokens: 100, tokensPerFill: 100, fillIntervalMs: 60_000 } } },
      },
      { transport: createMockTransport({ clock }), clock, rng: seededRng(1), store },
    );
    cleanups.push(() => gateway.stop());
    const req = (): SyRequest => ({ method: 'GET', scheme: 'http', authority: 'api', path: '/api/x', query: '', headers: {}, attributes: {}, clientAddress: '198.51.100.1' });
    expect((await gateway.handle(req())).status).toBe(200);

    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await mine.stop();
    await closed;
    for (let i = 0; i < 2; i++) {
      const res = await gateway.handle(req());
      expect(res.status).toBe(503);
      expect(JSON.parse(String(res.body))).toMatchObject({ error: 'SY_STORE_UNAVAILABLE' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(store.stats.failures).toBe(1); // the second answer came from the back-off, without asking Redis
  });
});
