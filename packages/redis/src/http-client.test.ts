import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyedLimiter, tokenBucket } from '@switchyard/limiter';
import { startRollout } from '@switchyard/splitter';
import { createTestClock } from '@switchyard/testing';
import { ACQUIRE_LUA, ADD_METRICS_LUA, READ_METRICS_LUA, READ_STATE_LUA, RELEASE_LUA, RENEW_LUA, WRITE_STATE_LUA } from './rollout-scripts.js';
import { TOKEN_BUCKET_LUA } from './script.js';
import { sha1Hex } from './sha1.js';
import { createRedisRolloutStore, createRedisStore, fromHttpRedis, type FetchLike } from './index.js';
import { describeWithRedis, serverPool, type RedisServer } from '../test/redis-server.js';

describe('sha1Hex (no node:crypto)', () => {
  it('matches node:crypto on the scripts and on any text', () => {
    for (const s of [TOKEN_BUCKET_LUA, ADD_METRICS_LUA, READ_METRICS_LUA, ACQUIRE_LUA, RENEW_LUA, RELEASE_LUA, READ_STATE_LUA, WRITE_STATE_LUA, '', 'abc']) {
      expect(sha1Hex(s)).toBe(createHash('sha1').update(s).digest('hex'));
    }
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (s) => sha1Hex(s) === createHash('sha1').update(s).digest('hex')));
  });
});

describeWithRedis('HTTP Redis client (Upstash-style REST) through a local HTTP-to-Redis shim', () => {
  let server: RedisServer;
  let redis: Redis;
  let shim: Server;
  let url = '';
  const commands: string[][] = [];
  const pool = serverPool();

  beforeAll(async () => {
    server = await pool.start();
    redis = new Redis({ port: server.port, host: '127.0.0.1' });
    // The shim: POST a JSON command array with the bearer token, get { result } or { error }.
    shim = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const reply = (status: number, json: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(json));
        };
        if (req.headers['authorization'] !== 'Bearer secret') return reply(401, { error: 'Unauthorized' });
        const args = JSON.parse(body) as string[];
        commands.push(args);
        redis.call(args[0] as string, ...args.slice(1)).then(
          (result) => reply(200, { result }),
          (e: Error) => reply(400, { error: e.message }),
        );
      });
    });
    await new Promise<void>((resolve) => shim.listen(0, '127.0.0.1', () => resolve()));
    const addr = shim.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (shim ? shim.close(() => resolve()) : resolve()));
    redis?.disconnect();
    await pool.stopAll();
  });

  const fetchLike: FetchLike = (u, init) => fetch(u, init as RequestInit);

  it('the limiter store decides like the in-memory bucket, one HTTP round trip per decision (EVAL once after NOSCRIPT)', async () => {
    const clock = createTestClock({ wallNow: 1_700_000_000_000 });
    const policy = tokenBucket({ id: 'http', maxTokens: 3, tokensPerFill: 1, fillIntervalMs: 1000 });
    const store = createRedisStore({ client: fromHttpRedis({ url, token: 'secret', fetch: fetchLike }), onStoreError: 'deny', time: 'client', clock, timeoutMs: 5000 });
    const local = createKeyedLimiter({ policy });
    await redis.script('FLUSH');
    commands.length = 0;
    const gaps = [0, 0, 0, 0, 500, 500, 0, 2000, 0, 0];
    for (const gap of gaps) {
      clock.advance(gap);
      const a = await store.take({ namespace: 'http', policy, key: 'k', cost: 1, now: clock.now() });
      const b = local.take('k', clock.now());
      expect(a.storeError).toBeUndefined();
      expect([a.kind, a.remaining]).toEqual([b.kind, b.remaining]);
    }
    // The first EVALSHA found no script and was answered by one EVAL; every other decision is one EVALSHA.
    expect(commands.map((c) => c[0])).toEqual(['EVALSHA', 'EVAL', ...gaps.slice(1).map(() => 'EVALSHA')]);
  });

  it('a wrong token is a store error (deny answers limited, not a throw)', async () => {
    const store = createRedisStore({ client: fromHttpRedis({ url, token: 'wrong', fetch: fetchLike }), onStoreError: 'deny', timeoutMs: 5000 });
    const d = await store.take({ namespace: 'http', policy: tokenBucket({ id: 'x', maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 1000 }), key: 'k', cost: 1, now: 0 });
    expect(d.storeError).toMatchObject({ reason: 'error', message: 'Unauthorized', fallback: 'deny' });
    expect(d.kind).toBe('limited');
  });

  it('the rollout store works over HTTP too: fenced writes, one request per call', async () => {
    const store = createRedisRolloutStore({ client: fromHttpRedis({ url, token: 'secret', fetch: fetchLike }), time: 'client', prefix: 'http' });
    const config = { name: 'r', analysisIntervalMs: 1000 };
    const a = await store.acquireLease('r', 'a', 1000, 0);
    const token = a.kind === 'acquired' ? a.token : -1;
    expect((await store.writeState('r', startRollout(config, 0), 0, { kind: 'leader', owner: 'a', token }, 0)).kind).toBe('written');
    const b = await store.acquireLease('r', 'b', 1000, 2000);
    expect(b.kind).toBe('acquired');
    commands.length = 0;
    expect((await store.writeState('r', startRollout(config, 0), 1, { kind: 'leader', owner: 'a', token }, 2001)).kind).toBe('fenced');
    expect(commands).toHaveLength(1);
    expect((await store.readState('r'))?.revision).toBe(1);
  });
});
