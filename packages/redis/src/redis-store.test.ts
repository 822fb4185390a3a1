import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { systemClock } from '@switchyard/core';
import { createKeyedLimiter, createRateLimiter, gcra, keys, slidingWindow, tokenBucket, type LimitDecision } from '@switchyard/limiter';
import { createTestClock } from '@switchyard/testing';
import { createRedisStore, fromIoredis, fromNodeRedis, type RedisLike } from './index.js';
import { describeWithRedis, serverPool, type RedisServer } from '../test/redis-server.js';

/** Resolves once `client` is ready: at once if it already is, so the event can never be missed. */
function readyOf(client: Redis): Promise<void> {
  return client.status === 'ready' ? Promise.resolve() : new Promise((resolve) => client.once('ready', () => resolve()));
}

describeWithRedis('Redis store on a real redis-server', () => {
  let server: RedisServer;
  let io: Redis;
  let node: ReturnType<typeof createClient>;
  // The file's shared server (afterAll) and each test's own servers, clients and children
  // (afterEach): stopped whether the test passed, failed or timed out.
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

  describe.each(clients)('createRedisStore with %s', (name, client) => {
    it('makes the same decisions as the in-memory token bucket on the same trace', async () => {
      const clock = createTestClock({ wallNow: 1_700_000_000_000 });
      const policy = tokenBucket({ id: `same-${name}`, maxTokens: 5, tokensPerFill: 2, fillIntervalMs: 1000 });
      const store = createRedisStore({ client: client(), onStoreError: 'deny', time: 'client', clock, timeoutMs: 5000 });
      const local = createKeyedLimiter({ policy });
      const gaps = [0, 0, 0, 0, 0, 0, 0, 250, 250, 0, 0, 1000, 0, 0, 0, 0, 5000, 0, 0, 0, 0, 0, 0];
      for (const gap of gaps) {
        clock.advance(gap);
        const a = await store.take({ namespace: 'trace', policy, key: 'k', cost: 1, now: clock.now() });
        const b = local.take('k', clock.now());
        expect(a.storeError).toBeUndefined();
        expect([a.kind, a.remaining, a.resetAfterMs]).toEqual([b.kind, b.remaining, b.resetAfterMs]);
        if (a.kind === 'limited' && b.kind === 'limited') expect(a.retryAfterMs).toBe(b.retryAfterMs);
      }
    });

    it('decides like the in-memory bucket when the numbers are fractional (the exact text reply) and on Redis time', async () => {
      const clock = createTestClock({ wallNow: 1_700_000_000_000 });
      // A fill interval of 1000.5 ms makes the scaled cost fractional: the script replies with text.
      const policy = tokenBucket({ id: `frac-${name}`, maxTokens: 3, tokensPerFill: 1, fillIntervalMs: 1000.5 });
      const store = createRedisStore({ client: client(), onStoreError: 'deny', time: 'client', clock, timeoutMs: 5000 });
      const local = createKeyedLimiter({ policy });
      for (const gap of [0, 0, 0, 0, 1500, 0, 0, 3000, 0, 0]) {
        clock.advance(gap);
        const a = await store.take({ namespace: 'frac', policy, key: 'k', cost: 1, now: clock.now() });
        const b = local.take('k', clock.now());
        expect(a.storeError).toBeUndefined();
        expect([a.kind, a.remaining]).toEqual([b.kind, b.remaining]);
      }
      // Redis' own clock (the default): a burst of 3, then a refusal (one token per hour).
      const onRedisTime = createRedisStore({ client: client(), onStoreError: 'deny', timeoutMs: 5000 });
      const slow = tokenBucket({ id: `redis-time-${name}`, maxTokens: 3, tokensPerFill: 1, fillIntervalMs: 3_600_000 });
      const kinds: string[] = [];
      for (let i = 0; i < 4; i++) kinds.push((await onRedisTime.take({ namespace: 'rt', policy: slow, key: 'k', cost: 1, now: 0 })).kind);
      expect(kinds).toEqual(['allowed', 'allowed', 'allowed', 'limited']);
    });

    it('reloads the script after SCRIPT FLUSH (NOSCRIPT) and keeps one call per decision otherwise', async () => {
      const store = createRedisStore({ client: client(), onStoreError: 'deny', timeoutMs: 5000 });
      const policy = gcra({ id: `flush-${name}`, maxTokens: 3, fillIntervalMs: 1000 });
      await io.script('FLUSH');
      expect((await store.take({ namespace: 'ns', policy, key: 'a', cost: 1, now: 0 })).kind).toBe('allowed');
      expect(store.stats.scriptLoads).toBe(1);
      for (let i = 0; i < 5; i++) await store.take({ namespace: 'ns', policy, key: 'a', cost: 1, now: 0 });
      expect(store.stats.scriptLoads).toBe(1);
    });
  });

  describe('createRedisStore', () => {
    it('namespaces keys per limiter and policy, with a TTL equal to the time until full', async () => {
      const store = createRedisStore({ client: fromIoredis(io), onStoreError: 'deny', prefix: 'app1', timeoutMs: 5000 });
      const policy = tokenBucket({ id: 'ttl', maxTokens: 10, tokensPerFill: 1, fillIntervalMs: 2000 });
      await store.take({ namespace: 'limiterA', policy, key: 'user:1', cost: 3, now: 0 });
      await store.take({ namespace: 'limiterB', policy, key: 'user:1', cost: 1, now: 0 });
      const ttlA = await io.pttl('app1:limiterA:ttl:user:1');
      const ttlB = await io.pttl('app1:limiterB:ttl:user:1');
      // 3 tokens at 0.5 token/s refill in ~6 s; 1 token in ~2 s.
      expect(ttlA).toBeGreaterThan(5000);
      expect(ttlA).toBeLessThanOrEqual(6002);
      expect(ttlB).toBeGreaterThan(1000);
      expect(ttlB).toBeLessThanOrEqual(2002);
    });

    it('refuses sliding-window policies loudly instead of miscounting', async () => {
      const store = createRedisStore({ client: fromIoredis(io), onStoreError: 'deny' });
      await expect(store.take({ namespace: 'n', policy: slidingWindow({ limit: 1, windowMs: 1000 }), key: 'k', cost: 1, now: 0 })).rejects.toThrow(/sliding-window/);
    });

    it('answers from the fallback when the store does not answer within the timeout', async () => {
      const clock = createTestClock();
      const hung: RedisLike = { evalsha: () => new Promise(() => {}), scriptLoad: () => new Promise(() => {}) };
      const policy = tokenBucket({ maxTokens: 2, fillIntervalMs: 1000 });
      for (const mode of ['allow', 'deny', 'local'] as const) {
        const store = createRedisStore({ client: hung, onStoreError: mode, timeoutMs: 100, clock });
        const pending = store.take({ namespace: 'n', policy, key: 'k', cost: 1, now: clock.now() });
        await clock.advanceAsync(100);
        const d = await pending;
        expect(d.storeError).toEqual({ reason: 'timeout', message: 'Redis did not answer within 100 ms', fallback: mode });
        expect(d.kind).toBe(mode === 'deny' ? 'limited' : 'allowed');
        // While backing off, decisions come from the fallback at once, without waiting again.
        const next = await store.take({ namespace: 'n', policy, key: 'k', cost: 1, now: clock.now() });
        expect(next.storeError?.reason).toBe('unavailable');
      }
    });

    it('times out each pending decision at its own deadline, and never one that was answered', async () => {
      const clock = createTestClock();
      const replies: Array<(v: unknown) => void> = [];
      const slow: RedisLike = { evalsha: () => new Promise((resolve) => replies.push(resolve)), scriptLoad: async () => 'sha' };
      const policy = tokenBucket({ maxTokens: 5, fillIntervalMs: 1000 });
      const store = createRedisStore({ client: slow, onStoreError: 'deny', timeoutMs: 100, clock });
      const settled: Array<string | undefined> = [undefined, undefined, undefined];
      const start = (i: number) => void store.take({ namespace: 'n', policy, key: `k${i}`, cost: 1, now: clock.now() }).then((d) => (settled[i] = d.storeError?.reason ?? d.kind));
      start(0);
      await clock.advanceAsync(40);
      start(1);
      await clock.advanceAsync(40);
      start(2);
      await clock.advanceAsync(10);
      replies[1]?.(4 * 1_000_000); // the script's reply: an integer level = admitted
      await clock.advanceAsync(10); // t = 100: the first decision's deadline
      expect(settled).toEqual(['timeout', 'allowed', undefined]);
      await clock.advanceAsync(79); // t = 179: the third is still within its 100 ms
      expect(settled[2]).toBeUndefined();
      await clock.advanceAsync(1);
      expect(settled[2]).toBe('timeout');
      replies[0]?.(0); // a late reply is dropped
      await clock.advanceAsync(1);
      expect(settled).toEqual(['timeout', 'allowed', 'timeout']);
    });

    it('concurrency - 4 clients in this process and 2 child processes admit exactly the bucket size', async () => {
      const key = `hot-${Date.now()}`;
      const policy = tokenBucket({ id: 'hammer', maxTokens: 500, tokensPerFill: 1, fillIntervalMs: 3_600_000 });
      const extra = [new Redis({ port: server.port, host: '127.0.0.1' }), new Redis({ port: server.port, host: '127.0.0.1' })];
      cleanups.push(() => extra.forEach((c) => c.disconnect()));
      const stores = [fromIoredis(io), fromNodeRedis(node), ...extra.map((c) => fromIoredis(c))].map((c) => createRedisStore({ client: c, onStoreError: 'deny', timeoutMs: 10_000 }));
      const child = fileURLToPath(new URL('../test/hammer-child.ts', import.meta.url));
      const spawnChild = () => {
        const p = spawn(process.execPath, ['--import', 'tsx', child, String(server.port), '300', key], {
          cwd: fileURLToPath(new URL('..', import.meta.url)),
          env: { ...process.env, TSX_TSCONFIG_PATH: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        cleanups.push(() => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL'));
        let out = '';
        let err = '';
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        const ready = new Promise<void>((resolve, reject) => {
          p.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            if (out.includes('ready\n')) resolve();
          });
          p.once('exit', (code) => reject(new Error(`child exited ${code} before ready: ${err}`)));
        });
        const done = new Promise<{ admitted: number; failed: number }>((resolve, reject) => {
          p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.slice(out.indexOf('ready\n') + 6)) as { admitted: number; failed: number }) : reject(new Error(`child exited ${code}: ${err}`))));
        });
        return { ready, done, go: () => p.stdin.end('go\n') };
      };
      const children = [spawnChild(), spawnChild()];
      await Promise.all(children.map((c) => c.ready));
      children.forEach((c) => c.go());
      // Each in-process client runs 5 workers of 30 sequential requests (150 per client).
      const hammer = (s: (typeof stores)[number]) =>
        Promise.all(
          Array.from({ length: 5 }, async () => {
            const mine: LimitDecision[] = [];
            for (let i = 0; i < 30; i++) mine.push(await s.take({ namespace: 'hammer', policy, key, cost: 1, now: 0 }));
            return mine;
          }),
        );
      const local = (await Promise.all(stores.map(hammer))).flat(2);
      const fromChildren = await Promise.all(children.map((c) => c.done));
      extra.forEach((c) => c.disconnect());
      const admittedHere = local.filter((d) => d.kind === 'allowed').length;
      const total = admittedHere + fromChildren.reduce((n, c) => n + c.admitted, 0);
      expect(local.every((d) => d.storeError === undefined)).toBe(true);
      expect(fromChildren.every((c) => c.failed === 0)).toBe(true);
      // 600 requests here + 600 from the children against a bucket of 500.
      console.log(`[redis concurrency] 1200 requests, 6 clients in 3 processes: admitted ${total} of 500 allowed (${admittedHere} here, ${fromChildren.map((c) => c.admitted).join(' + ')} in children)`);
      expect(total).toBe(500);
    });

    it('Redis killed mid-run - the local fallback answers, then decisions return to Redis when it is back', async () => {
      const mine = await own.start();
      const clock = createTestClock();
      const client = new Redis({ port: mine.port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 20 });
      cleanups.push(() => client.disconnect());
      client.on('error', () => {}); // reconnect attempts while Redis is down are expected
      await readyOf(client);
      const store = createRedisStore({ client: fromIoredis(client), onStoreError: 'local', timeoutMs: 200, retryAfterFailureMs: 1000, clock });
      const limiter = createRateLimiter({ id: 'svc', store, clock, rules: [{ name: 'global', key: keys.global(), policy: tokenBucket({ id: 'g', maxTokens: 1000, tokensPerFill: 1, fillIntervalMs: 60_000 }) }] });
      const req = () => ({ method: 'GET', scheme: 'https' as const, authority: 'a', path: '/', query: '', headers: {}, attributes: {} });
      const answers: Array<{ storeFailed: boolean; kind: string }> = [];
      for (let i = 0; i < 20; i++) answers.push(await limiter.check(req()));
      expect(answers.every((a) => !a.storeFailed && a.kind === 'allowed')).toBe(true);

      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      await mine.stop();
      await closed;
      const during: LimitDecision[] = [];
      const started = performance.now();
      for (let i = 0; i < 50; i++) during.push(...(await limiter.check(req())).decisions.map((d) => d.decision));
      const elapsed = performance.now() - started;
      expect(during.every((d) => d.kind === 'allowed' && d.storeError?.fallback === 'local')).toBe(true);
      expect(during[0]?.storeError?.reason).toBe('error');
      expect(during.slice(1).every((d) => d.storeError?.reason === 'unavailable')).toBe(true);
      console.log(`[redis outage] 50 decisions answered by the local fallback in ${elapsed.toFixed(1)} ms while Redis was down`);

      // Registered before the server is back: the client may reconnect before startRedis returns.
      const readyAgain = new Promise<void>((resolve) => client.once('ready', () => resolve()));
      await own.start(mine.port);
      await readyAgain;
      clock.advance(1000);
      const after = await limiter.check(req());
      expect(after.storeFailed).toBe(false);
      expect(await client.exists('sy:rl:svc:global:g:*')).toBe(1);
    });

    it('Redis frozen (SIGSTOP) - the store timeout hands over to the fallback', async () => {
      const mine = await own.start();
      const client = new Redis({ port: mine.port, host: '127.0.0.1' });
      cleanups.push(() => client.disconnect());
      // Resumed even when an assertion fails, before the server is killed.
      cleanups.push(() => mine.process.kill('SIGCONT'));
      const store = createRedisStore({ client: fromIoredis(client), onStoreError: 'allow', timeoutMs: 100, clock: systemClock });
      const policy = tokenBucket({ maxTokens: 10, fillIntervalMs: 1000 });
      expect((await store.take({ namespace: 'n', policy, key: 'k', cost: 1, now: 0 })).storeError).toBeUndefined();
      mine.process.kill('SIGSTOP');
      const started = performance.now();
      const d = await store.take({ namespace: 'n', policy, key: 'k', cost: 1, now: 0 });
      const elapsed = performance.now() - started;
      mine.process.kill('SIGCONT');
      expect(d).toMatchObject({ kind: 'allowed', storeError: { reason: 'timeout', fallback: 'allow' } });
      console.log(`[redis frozen] fallback answered after ${elapsed.toFixed(1)} ms (store timeout 100 ms)`);
    });
  });
});
