import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { PolicyContinue, PolicyReject } from '@switchyard/core';
import { apiKeyPolicy, digestApiKey, generateApiKey, rateLimit } from '@switchyard/policies';
import { createTestClock, seededRng } from '@switchyard/testing';
import { createRedisKeyStore, createRedisStore, fromIoredis, fromNodeRedis, KEY_LOOKUP_LUA, KEY_SCRIPT_SHA1, PUT_CONSUMER_LUA, REMOVE_CONSUMER_LUA, REVOKE_KEY_LUA, type RedisLike } from './index.js';
import { describeWithRedis, serverPool, type RedisServer } from '../test/redis-server.js';

const hex = (key: string) => digestApiKey(key).slice(7);

describe('key store scripts', () => {
  it('KEY_SCRIPT_SHA1 holds the SHA1 of each script (edit a script, update its SHA1)', () => {
    const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
    expect(KEY_SCRIPT_SHA1).toEqual({ lookup: sha1(KEY_LOOKUP_LUA), putConsumer: sha1(PUT_CONSUMER_LUA), revokeKey: sha1(REVOKE_KEY_LUA), removeConsumer: sha1(REMOVE_CONSUMER_LUA) });
  });
});

describeWithRedis('Redis key store on a real redis-server', () => {
  let server: RedisServer;
  let io: Redis;
  let node: ReturnType<typeof createClient>;
  const shared = serverPool();
  const own = serverPool();
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await own.stopAll();
  });

  beforeAll(async () => {
    server = await shared.start();
    io = new Redis({ port: server.port, host: '127.0.0.1' });
    node = createClient({ url: `redis://127.0.0.1:${server.port}` });
    await node.connect();
  });

  afterAll(async () => {
    io?.disconnect();
    await node?.destroy();
    await shared.stopAll();
  });

  const clients: Array<[string, () => RedisLike]> = [
    ['ioredis', () => fromIoredis(io)],
    ['node-redis', () => fromNodeRedis(node)],
  ];

  describe.each(clients)('createRedisKeyStore with %s', (name, client) => {
    it('stores only digests; a lookup by digest returns the consumer (id, tier, metadata)', async () => {
      const prefix = `t1-${name}`;
      const store = createRedisKeyStore({ client: client(), prefix });
      const key = generateApiKey({ prefix: 'sk' });
      await store.putConsumer({ id: 'acme', tier: 'enterprise', metadata: { plan: 'gold', seats: 5 }, keys: [key, digestApiKey('second-key')] });
      expect(await store.lookup(hex(key))).toEqual({ id: 'acme', tier: 'enterprise', metadata: { plan: 'gold', seats: 5 } });
      expect(await store.lookup(hex('second-key'))).toMatchObject({ id: 'acme' });
      expect(await store.lookup(hex('unknown'))).toBeUndefined();
      // Nothing in Redis holds the plaintext key.
      const keys = await io.keys(`${prefix}:*`);
      expect(keys.sort()).toEqual([`${prefix}:c:acme`, `${prefix}:k:${hex(key)}`, `${prefix}:k:${hex('second-key')}`].sort());
      for (const k of keys) {
        const dump = k.includes(':c:') ? (await io.smembers(k)).join() : JSON.stringify(await io.hgetall(k));
        expect(dump.includes(key)).toBe(false);
        expect(k.includes(key)).toBe(false);
      }
    });

    it('a lookup is one round trip (EVALSHA), the script loaded once after NOSCRIPT', async () => {
      const calls: string[] = [];
      const base = client();
      const counting: RedisLike = {
        evalsha: (sha, k, a) => (calls.push('evalsha'), base.evalsha(sha, k, a)),
        scriptLoad: (s) => (calls.push('scriptLoad'), base.scriptLoad(s)),
      };
      await io.script('FLUSH');
      const store = createRedisKeyStore({ client: counting, prefix: `t2-${name}` });
      await store.lookup(hex('x'));
      expect(calls).toEqual(['evalsha', 'scriptLoad', 'evalsha']);
      calls.length = 0;
      await store.lookup(hex('y'));
      expect(calls).toEqual(['evalsha']);
    });

    it('putConsumer replaces the consumer\'s keys; revokeKey and removeConsumer; a key held by another consumer is refused', async () => {
      const store = createRedisKeyStore({ client: client(), prefix: `t3-${name}` });
      await store.putConsumer({ id: 'a', keys: ['k1', 'k2'] });
      await store.putConsumer({ id: 'a', tier: 'free', keys: ['k3'] });
      expect(await store.lookup(hex('k1'))).toBeUndefined();
      expect(await store.lookup(hex('k3'))).toEqual({ id: 'a', tier: 'free' });
      await expect(store.putConsumer({ id: 'b', keys: ['k3'] })).rejects.toThrow(/consumer "b" lists a key consumer "a" already has/);
      await store.putConsumer({ id: 'b', keys: ['k4', 'k5'] });
      expect(await store.revokeKey('k4')).toBe(true);
      expect(await store.revokeKey(digestApiKey('k4'))).toBe(false);
      expect(await store.lookup(hex('k5'))).toMatchObject({ id: 'b' });
      expect(await store.removeConsumer('b')).toBe(1);
      expect(await store.lookup(hex('k5'))).toBeUndefined();
    });

    it('behind the api-key policy: accepted, revoked, still accepted within cacheTtlMs, refused after it', async () => {
      const store = createRedisKeyStore({ client: client(), prefix: `t4-${name}` });
      const key = generateApiKey({ prefix: 'sk' });
      await store.putConsumer({ id: 'acme', tier: 'enterprise', keys: [key] });
      const clock = createTestClock();
      const def = apiKeyPolicy({ type: 'api-key-redis', store });
      const p = def.create({ prefix: 'sk', checksum: true, cacheTtlMs: 60_000 }, { name: 'keys', clock, rng: seededRng(1), policy: () => undefined });
      const req = { method: 'GET', scheme: 'https' as const, authority: 'a', path: '/', query: '', headers: { authorization: `Bearer ${key}` }, attributes: {} };
      const c = () => ({ requestId: 'r', route: { name: 'r', metadata: {} }, policy: 'keys', clock, rng: seededRng(1), now: clock.now(), identity: undefined, attributes: {}, backend: undefined, clientIp: undefined, trustedPeer: false, geo: () => undefined });
      const first = p.inbound!(req, c());
      expect(first).toBeInstanceOf(Promise);
      expect(((await first) as PolicyContinue).identity).toEqual({ sub: 'acme', data: { tier: 'enterprise' }, via: 'keys' });
      await store.revokeKey(key);
      clock.advance(59_000);
      expect(((await p.inbound!(req, c())) as PolicyContinue).identity?.sub).toBe('acme');
      clock.advance(1_000);
      expect(((await p.inbound!(req, c())) as PolicyReject).code).toBe('SY_UNAUTHORIZED');
    });
  });

  it('a Redis that is down: the lookup rejects and the policy answers 503 SY_STORE_UNAVAILABLE', async () => {
    const gone = await own.start();
    const client = new Redis({ port: gone.port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    cleanups.push(() => client.disconnect());
    await client.connect();
    await gone.stop();
    const store = createRedisKeyStore({ client: fromIoredis(client), timeoutMs: 2000 });
    await expect(store.lookup(hex('k'))).rejects.toThrow();
    const clock = createTestClock();
    const p = apiKeyPolicy({ store }).create({}, { name: 'keys', clock, rng: seededRng(1), policy: () => undefined });
    const r = await p.inbound!(
      { method: 'GET', scheme: 'https', authority: 'a', path: '/', query: '', headers: { authorization: 'Bearer k-k-k-k-k' }, attributes: {} },
      { requestId: 'r', route: { name: 'r', metadata: {} }, policy: 'keys', clock, rng: seededRng(1), now: 0, identity: undefined, attributes: {}, backend: undefined, clientIp: undefined, trustedPeer: false, geo: () => undefined },
    );
    expect(r).toMatchObject({ kind: 'reject', code: 'SY_STORE_UNAVAILABLE' });
  });

  it('the rate-limit policy counts on the Redis limiter store, one counter per instance and consumer', async () => {
    const clock = createTestClock();
    const store = createRedisStore({ client: fromIoredis(io), onStoreError: 'deny', timeoutMs: 5000, prefix: 'rl-policy' });
    const make = (name: string) => rateLimit.create({ by: 'consumer', limit: 2, windowMs: 60_000, algorithm: 'gcra', store }, { name, clock, rng: seededRng(1), policy: () => undefined });
    const ctxFor = (sub: string) => ({ requestId: 'r', route: { name: 'r', metadata: {} }, policy: 'p', clock, rng: seededRng(1), now: clock.now(), identity: { sub, data: {} }, attributes: {}, backend: undefined, clientIp: undefined, trustedPeer: false, geo: () => undefined });
    const req = { method: 'GET', scheme: 'https' as const, authority: 'a', path: '/', query: '', headers: {}, attributes: {} };
    const a = make('limit-a');
    const b = make('limit-b');
    const kinds = async (p: typeof a, sub: string, n: number) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push((await p.inbound!(req, ctxFor(sub))).kind);
      return out;
    };
    expect(await kinds(a, 'acme', 3)).toEqual(['continue', 'continue', 'reject']);
    expect(await kinds(a, 'bob', 1)).toEqual(['continue']);
    expect(await kinds(b, 'acme', 1)).toEqual(['continue']);
    expect((await io.keys('rl-policy:*')).sort()).toEqual(['rl-policy:policy:limit-a:default:acme', 'rl-policy:policy:limit-a:default:bob', 'rl-policy:policy:limit-b:default:acme']);
  });

  it('a lookup slower than timeoutMs rejects (fake clock)', async () => {
    const clock = createTestClock();
    const never: RedisLike = { evalsha: () => new Promise(() => {}), scriptLoad: () => Promise.resolve('') };
    const store = createRedisKeyStore({ client: never, timeoutMs: 100, clock });
    const pending = store.lookup(hex('k'));
    clock.advance(100);
    await expect(pending).rejects.toThrow(/did not answer within 100 ms/);
  });
});
