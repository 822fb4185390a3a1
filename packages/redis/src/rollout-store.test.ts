import fc from 'fast-check';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEndpoint } from '@switchyard/core';
import { createSideWindow, observeSide, startRollout, type RolloutConfig } from '@switchyard/splitter';
import { createRedisRolloutStore, fromIoredis, fromNodeRedis, subscribeWithIoredis, type RedisLike } from './index.js';
import { describeWithRedis, serverPool, type RedisServer } from '../test/redis-server.js';

const config: RolloutConfig = { name: 'r', steps: [10, 50], analysisIntervalMs: 1000 };
const ep = createEndpoint({ id: 'e', url: 'http://10.0.0.1:80' });

describeWithRedis('Redis rollout store on a real redis-server', () => {
  let server: RedisServer;
  let io: Redis;
  let node: ReturnType<typeof createClient>;
  const pool = serverPool();
  beforeAll(async () => {
    server = await pool.start();
    io = new Redis({ port: server.port, host: '127.0.0.1' });
    node = createClient({ url: `redis://127.0.0.1:${server.port}` });
    await node.connect();
  });
  afterAll(async () => {
    io?.disconnect();
    await node?.destroy();
    await pool.stopAll();
  });
  let n = 0;
  const clients: Array<[string, () => RedisLike]> = [
    ['ioredis', () => fromIoredis(io)],
    ['node-redis', () => fromNodeRedis(node)],
  ];

  describe.each(clients)('with %s', (_name, client) => {
    it('a stale fencing token never changes the state (property, in the Lua script)', async () => {
      type Cmd = { kind: 'acquire'; owner: number } | { kind: 'advance'; ms: number } | { kind: 'write'; owner: number; tokenDelta: number };
      const cmd: fc.Arbitrary<Cmd> = fc.oneof(
        fc.record({ kind: fc.constant('acquire' as const), owner: fc.integer({ min: 0, max: 2 }) }),
        fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 2000 }) }),
        fc.record({ kind: fc.constant('write' as const), owner: fc.integer({ min: 0, max: 2 }), tokenDelta: fc.integer({ min: -2, max: 0 }) }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(cmd, { maxLength: 25 }), async (cmds) => {
          const store = createRedisRolloutStore({ client: client(), time: 'client', prefix: `p${n++}` });
          let now = 1_000_000;
          let maxIssued = 0;
          const tokens = new Map<number, number>();
          const base = startRollout(config, 0);
          for (const c of cmds) {
            if (c.kind === 'advance') now += c.ms;
            else if (c.kind === 'acquire') {
              const r = await store.acquireLease('r', `o${c.owner}`, 1000, now);
              if (r.kind === 'acquired') {
                tokens.set(c.owner, r.token);
                maxIssued = Math.max(maxIssued, r.token);
              }
            } else {
              const token = (tokens.get(c.owner) ?? 0) + c.tokenDelta;
              const before = await store.readState('r');
              const r = await store.writeState('r', { ...base, weightPercent: now % 100 }, before?.revision ?? 0, { kind: 'leader', owner: `o${c.owner}`, token }, now);
              const after = await store.readState('r');
              if (token < maxIssued) {
                expect(r.kind).toBe('fenced');
                expect(after).toEqual(before);
              }
            }
          }
        }),
        { numRuns: 30 },
      );
    });

    it('metrics add across flushes and read back merged; operators write by compare-and-set; scripts reload after SCRIPT FLUSH', async () => {
      const store = createRedisRolloutStore({ client: client(), time: 'client', prefix: `p${n++}` });
      const side = (k: number, lat: number) => {
        const w = createSideWindow();
        for (let i = 0; i < k; i++) observeSide(w, { kind: 'response', endpoint: ep, status: i === 0 ? 503 : 200, latencyMs: lat, at: 0 });
        return w;
      };
      await store.addMetrics('r', [{ start: 0, canary: side(3, 10), baseline: side(5, 10) }]);
      await io.script('FLUSH');
      await store.addMetrics('r', [{ start: 0, canary: side(2, 20), baseline: side(1, 10) }, { start: 1000, canary: side(4, 30), baseline: createSideWindow() }]);
      const a = await store.readMetrics('r', 0, 1000, 1000);
      expect([a.canary.requests, a.canary.failures, a.canary.latency.count, a.baseline.requests]).toEqual([5, 2, 5, 6]);
      expect((await store.readMetrics('r', 0, 2000, 1000)).canary.requests).toBe(9);
      const s = startRollout(config, 0);
      const lease = await store.acquireLease('r', 'a', 1000, 0);
      const token = lease.kind === 'acquired' ? lease.token : -1;
      expect(await store.acquireLease('r', 'b', 1000, 10)).toEqual({ kind: 'held', owner: 'a' });
      expect(await store.writeState('r', s, 0, { kind: 'leader', owner: 'a', token }, 0)).toEqual({ kind: 'written', revision: 1 });
      expect(await store.writeState('r', { ...s, phase: 'aborted' }, 1, { kind: 'operator' }, 1)).toEqual({ kind: 'written', revision: 2 });
      expect(await store.writeState('r', s, 1, { kind: 'leader', owner: 'a', token }, 2)).toEqual({ kind: 'conflict', revision: 2 });
      expect((await store.readState('r'))?.state.phase).toBe('aborted');
      expect(await store.renewLease('r', 'a', token, 1000, 500)).toBe(true);
      expect((await store.writeState('r', s, 2, { kind: 'leader', owner: 'a', token }, 5000)).kind).toBe('fenced');
    });
  });

  it('publishes every new revision on the rollout channel', async () => {
    const sub = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      const store = createRedisRolloutStore({ client: fromIoredis(io), subscribe: subscribeWithIoredis(sub), time: 'client', prefix: 'pubsub' });
      const got: number[] = [];
      const off = store.subscribe?.('r', (rev) => got.push(rev));
      // Same connection, commands in order: once this one is confirmed, so is the store's.
      await sub.subscribe('pubsub:{r}:ev');
      const heard = new Promise<void>((resolve) => sub.once('message', () => resolve()));
      expect(await store.writeState('r', startRollout(config, 0), 0, { kind: 'operator' }, 0)).toEqual({ kind: 'written', revision: 1 });
      await heard;
      expect(got).toEqual([1]);
      off?.();
    } finally {
      sub.disconnect();
    }
  });
});
