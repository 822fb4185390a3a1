/**
 * The fleet test of issue #20: ONE real redis-server (append-only file, fsync always), five
 * gateways in this process, each with its own fake clock (the same wall time), its own Redis
 * connections, its own share of the traffic (mock transport), sharing one rollout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { SyRequest } from '@switchyard/core';
import { createGateway, type Gateway, type GatewayConfig, type GatewayEvent } from '@switchyard/gateway';
import { createMockTransport, createTestClock, type TestClock } from '@switchyard/testing';
import { createRedisRolloutStore, fromIoredis, subscribeWithIoredis } from './index.js';
import { describeWithRedis, serverPool, type RedisServer } from '../test/redis-server.js';

const WALL = 1_700_000_000_000;
const INTERVAL = 10_000;
const TTL = 6000;
const POLL = 1000;

function config(name: string, intervalMs = INTERVAL): GatewayConfig {
  return {
    routes: [
      {
        name: 'catalog',
        matches: [{ path: { type: 'PathPrefix', value: '/catalog' } }],
        backends: [
          { name: 'v1', upstream: 'catalog', subset: { version: 'v1' } },
          { name: 'v2', upstream: 'catalog', subset: { version: 'v2' } },
        ],
        split: { key: { header: 'x-user-id' } },
        rollout: { name, canary: 'v2', baseline: 'v1', steps: [10, 30, 60, 100], analysisIntervalMs: intervalMs, minRequests: 10, minLatencySamples: 10 },
      },
    ],
    upstreams: {
      catalog: {
        endpoints: [
          { id: 'v1a', url: 'http://10.0.1.1:80', metadata: { version: 'v1' } },
          { id: 'v2a', url: 'http://10.0.2.1:80', metadata: { version: 'v2' } },
        ],
      },
    },
  };
}

interface Replica {
  readonly id: number;
  readonly clock: TestClock;
  readonly gateway: Gateway;
  readonly events: GatewayEvent[];
  readonly redis: Redis;
  readonly sub: Redis | undefined;
  alive: boolean;
  handled: number;
}

describeWithRedis('fleet rollout on one real redis-server', () => {
  let server: RedisServer;
  let dir: string;
  const pool = serverPool();
  const replicas: Replica[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sy-fleet-'));
    server = await pool.start(undefined, { persistDir: dir });
  });
  afterEach(async () => {
    for (const r of replicas.splice(0)) {
      await r.gateway.stop().catch(() => {});
      r.redis.disconnect();
      r.sub?.disconnect();
    }
  });
  afterAll(async () => {
    await pool.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  function connect(): Redis {
    // Fail fast while disconnected (no offline queue, no resend): the store then reports an
    // outage instead of waiting; reconnect quickly.
    const c = new Redis({ port: server.port, host: '127.0.0.1', enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 0, retryStrategy: () => 20 });
    c.on('error', () => {}); // connection errors while Redis is down are what the test is about
    return c;
  }

  async function fleet(n: number, name: string, intervalMs = INTERVAL): Promise<Replica[]> {
    for (let i = 0; i < n; i++) {
      const clock = createTestClock({ wallNow: WALL });
      const transport = createMockTransport({ clock });
      transport.respondWith(() => ({ status: 200, delayMs: 5 }));
      const redis = connect();
      // Replicas 0–2 also get pushed revisions (pub/sub); 3 and 4 rely on polling alone.
      const sub = i < 3 ? new Redis({ port: server.port, host: '127.0.0.1', retryStrategy: () => 20 }) : undefined;
      sub?.on('error', () => {});
      await new Promise<void>((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', () => resolve())));
      const store = createRedisRolloutStore({ client: fromIoredis(redis), time: 'client', clock, timeoutMs: 500, ...(sub !== undefined ? { subscribe: subscribeWithIoredis(sub) } : {}) });
      const gateway = createGateway(config(name, intervalMs), { transport, clock, rollouts: { store, owner: `replica-${i}`, pollIntervalMs: POLL, leaseTtlMs: TTL } });
      const events: GatewayEvent[] = [];
      gateway.subscribe((e) => events.push(e));
      replicas.push({ id: i, clock, gateway, events, redis, sub, alive: true, handled: 0 });
    }
    const mine = replicas.slice(-n);
    for (const r of mine) r.gateway.start();
    for (const r of mine) await r.gateway.rollouts.settled();
    return mine;
  }

  let user = 0;
  /** One second of the whole fleet: each live replica serves `rps` requests, then its clock reaches the next second. */
  async function second(fleetOf: readonly Replica[], rps = 10): Promise<void> {
    for (const r of fleetOf) {
      if (!r.alive) continue;
      for (let k = 0; k < rps; k++) {
        let done = false;
        const req: SyRequest = { method: 'GET', scheme: 'http', authority: 'shop', path: '/catalog/x', query: '', headers: { 'x-user-id': `u${user++}` }, attributes: {} };
        void r.gateway.handle(req).then(() => (done = true));
        while (!done) await r.clock.advanceAsync(5);
        r.handled++;
      }
      await r.clock.advanceAsync(1000 - rps * 5);
    }
    for (const r of fleetOf) if (r.alive) await r.gateway.rollouts.settled();
  }

  const weights = (fleetOf: readonly Replica[]): number[] => fleetOf.filter((r) => r.alive).map((r) => r.gateway.rollouts.status()[0]?.weightPercent ?? -1);
  const leaders = (fleetOf: readonly Replica[]): Replica[] => fleetOf.filter((r) => r.alive && r.gateway.rollouts.status()[0]?.leader === true);
  const transitions = (r: Replica): string[] => r.events.flatMap((e) => (e.kind === 'rollout' && e.event.type !== 'held' ? [`${e.event.type}:${e.event.toPercent}@${Math.round((e.event.at - WALL) / 1000)}`] : []));

  it('five replicas: one check per interval, the same weights within one poll interval, and a killed lease holder handed over within the TTL with no step lost or repeated', async () => {
    const f = await fleet(5, 'fleet-a');
    expect(leaders(f)).toHaveLength(1);
    const seen: number[][] = [];
    let killedAt = -1;
    let handedOverAfter = -1;
    let old: Replica | undefined;
    for (let s = 1; s <= 60; s++) {
      await second(f);
      seen.push(weights(f));
      if (s === 15) {
        old = leaders(f)[0];
        if (old !== undefined) old.alive = false; // a crash: no more ticks, no release
        killedAt = s;
      }
      if (killedAt > 0 && handedOverAfter < 0 && leaders(f).length === 1) handedOverAfter = s - killedAt;
    }
    // Replicas run one after the other within a second, so a replica that ran before the leader
    // moved sees the new weight one second (one poll interval) later: never more.
    for (let s = 1; s < seen.length; s++) {
      const now = seen[s] as number[];
      if (new Set(now).size > 1) expect(new Set(seen[s + 1] ?? []).size).toBe(1);
    }
    expect(seen.some((w) => new Set(w).size > 1)).toBe(true); // the case above did happen
    expect(handedOverAfter).toBeGreaterThan(0);
    expect(handedOverAfter * 1000).toBeLessThanOrEqual(TTL);
    const live = f.filter((r) => r.alive);
    for (const r of live) {
      // Every surviving replica saw each transition exactly once, one per interval: the check
      // due during the handover ran late (by the new holder), none ran twice.
      const t = transitions(r);
      expect(t.map((x) => x.split('@')[0])).toEqual(['started:10', 'promoted:30', 'promoted:60', 'succeeded:100']);
      const at = t.map((x) => Number(x.split('@')[1]));
      for (let i = 1; i < at.length; i++) {
        expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(INTERVAL / 1000);
        expect((at[i] as number) - (at[i - 1] as number)).toBeLessThanOrEqual((INTERVAL + TTL + 2 * POLL) / 1000);
      }
      expect(r.gateway.rollouts.status()[0]).toMatchObject({ phase: 'succeeded', weightPercent: 100 });
    }
    // The old holder wakes up (a long GC pause): its token is stale, it cannot move the state.
    if (old !== undefined) {
      const before = live[0]?.gateway.rollouts.status()[0]?.revision;
      old.alive = true;
      for (let s = 0; s < 45; s++) {
        await old.clock.advanceAsync(1000);
        await old.gateway.rollouts.settled();
      }
      expect(old.gateway.rollouts.status()[0]).toMatchObject({ phase: 'succeeded', weightPercent: 100 });
      await second(f);
      expect(live[0]?.gateway.rollouts.status()[0]?.revision).toBe(before);
    }
  });

  it('Redis restarted mid-rollout: the fleet freezes its weights and says so, then loses no flushed or buffered outcome and keeps the state', async () => {
    // A long interval: the rollout stays at its first step, so every outcome is recorded.
    const f = await fleet(5, 'fleet-b', 120_000);
    for (let s = 0; s < 5; s++) await second(f);
    const before = f[0]?.gateway.rollouts.status()[0];
    expect(before).toMatchObject({ phase: 'progressing', weightPercent: 10 });
    const port = server.port;
    await server.stop();
    for (let s = 0; s < 5; s++) await second(f);
    for (const r of f) {
      expect(r.gateway.rollouts.status()[0]).toMatchObject({ weightPercent: 10, storeAvailable: false });
      expect(r.events.some((e) => e.kind === 'rollout-store' && !e.available)).toBe(true);
    }
    server = await pool.start(port, { persistDir: dir });
    await Promise.all(f.map((r) => new Promise<void>((resolve) => (r.redis.status === 'ready' ? resolve() : r.redis.once('ready', () => resolve())))));
    for (let s = 0; s < 3; s++) await second(f);
    for (const r of f) expect(r.gateway.rollouts.status()[0]).toMatchObject({ phase: 'progressing', weightPercent: 10, storeAvailable: true });
    expect(f[0]?.gateway.rollouts.status()[0]?.revision).toBeGreaterThanOrEqual(before?.revision ?? 0);
    // Stop (flushes what is buffered), then count what Redis holds against what was served.
    const served = f.reduce((n, r) => n + r.handled, 0);
    for (const r of f) await r.gateway.stop();
    const check = connect();
    await new Promise<void>((resolve) => check.once('ready', () => resolve()));
    let stored = 0;
    for (const key of await check.keys('sy:ro:{fleet-b}:m:*')) {
      const [c, b] = await check.hmget(key, 'c:n', 'b:n');
      stored += Number(c ?? 0) + Number(b ?? 0);
    }
    check.disconnect();
    expect(stored).toBe(served);
  });
});
