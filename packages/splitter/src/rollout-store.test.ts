import fc from 'fast-check';
import { createEndpoint } from '@switchyard/core';
import { createTestClock } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { createSideWindow, observeSide } from './analysis.js';
import { createRolloutDriver, type RolloutDriver } from './rollout-driver.js';
import { createMemoryRolloutStore } from './rollout-store.js';
import { startRollout, type RolloutConfig, type RolloutEvent } from './rollout.js';

const config: RolloutConfig = { name: 'api-v2', steps: [10, 50, 100], analysisIntervalMs: 10_000, minRequests: 20, minLatencySamples: 20 };
const ep = createEndpoint({ id: 'e', url: 'http://10.0.0.1:80' });

describe('memory rollout store', () => {
  it('a stale fencing token never changes the state (property)', async () => {
    type Cmd = { kind: 'acquire'; owner: number } | { kind: 'advance'; ms: number } | { kind: 'write'; owner: number; tokenDelta: number };
    const cmd: fc.Arbitrary<Cmd> = fc.oneof(
      fc.record({ kind: fc.constant('acquire' as const), owner: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 2000 }) }),
      fc.record({ kind: fc.constant('write' as const), owner: fc.integer({ min: 0, max: 3 }), tokenDelta: fc.integer({ min: -3, max: 0 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { maxLength: 60 }), async (cmds) => {
        const store = createMemoryRolloutStore();
        let now = 0;
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
            const next = { ...base, weightPercent: Math.round(now) % 100 };
            const r = await store.writeState('r', next, before?.revision ?? 0, { kind: 'leader', owner: `o${c.owner}`, token }, now);
            const after = await store.readState('r');
            if (token < maxIssued) {
              // Stale: someone acquired a newer token since.
              expect(r.kind).toBe('fenced');
              expect(after).toEqual(before);
            }
            if (r.kind === 'written') expect(after?.token).toBe(token);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('metrics merge by addition across replicas and buckets, read by [from, to)', async () => {
    const store = createMemoryRolloutStore();
    const side = (n: number, lat: number) => {
      const w = createSideWindow();
      for (let i = 0; i < n; i++) observeSide(w, { kind: 'response', endpoint: ep, status: i === 0 ? 500 : 200, latencyMs: lat, at: 0 });
      return w;
    };
    await store.addMetrics('r', [{ start: 0, canary: side(3, 10), baseline: side(5, 10) }]);
    await store.addMetrics('r', [{ start: 0, canary: side(2, 20), baseline: side(1, 10) }, { start: 1000, canary: side(4, 30), baseline: side(0, 1) }]);
    const a = await store.readMetrics('r', 0, 1000, 1000);
    expect([a.canary.requests, a.canary.failures, a.canary.latency.count, a.baseline.requests]).toEqual([5, 2, 5, 6]);
    const b = await store.readMetrics('r', 0, 2000, 1000);
    expect(b.canary.requests).toBe(9);
  });

  it('operators write by compare-and-set: the leader then sees a conflict instead of overwriting', async () => {
    const store = createMemoryRolloutStore();
    const lease = await store.acquireLease('r', 'a', 1000, 0);
    const token = lease.kind === 'acquired' ? lease.token : -1;
    const s = startRollout(config, 0);
    expect(await store.writeState('r', s, 0, { kind: 'leader', owner: 'a', token }, 0)).toEqual({ kind: 'written', revision: 1 });
    expect(await store.writeState('r', { ...s, phase: 'aborted' }, 1, { kind: 'operator' }, 1)).toEqual({ kind: 'written', revision: 2 });
    expect(await store.writeState('r', s, 1, { kind: 'leader', owner: 'a', token }, 2)).toEqual({ kind: 'conflict', revision: 2 });
    expect((await store.readState('r'))?.state.phase).toBe('aborted');
    // An expired lease fences even its own holder.
    expect((await store.writeState('r', s, 2, { kind: 'leader', owner: 'a', token }, 5000)).kind).toBe('fenced');
  });
});

describe('rollout driver on the memory store', () => {
  async function fleet(n: number) {
    const store = createMemoryRolloutStore();
    const clocks = Array.from({ length: n }, () => createTestClock({ wallNow: 1_700_000_000_000 }));
    const events: RolloutEvent[][] = clocks.map(() => []);
    const drivers: RolloutDriver[] = clocks.map((clock, i) =>
      createRolloutDriver({ store, clock, config, owner: `r${i}`, leaseTtlMs: 3000, pollIntervalMs: 500, onEvent: (e) => events[i]?.push(e) }),
    );
    for (const d of drivers) d.start();
    const second = async (live: readonly boolean[]) => {
      for (let i = 0; i < n; i++) {
        if (!live[i]) continue;
        const d = drivers[i] as RolloutDriver;
        const clock = clocks[i] as ReturnType<typeof createTestClock>;
        for (let k = 0; k < 20; k++) {
          const side = (k * 7 + i) % 100 < d.weightPercent() ? 'canary' : 'baseline';
          d.observe(side, { kind: 'response', endpoint: ep, status: 200, latencyMs: 20 + (k % 5), at: clock.now() });
        }
      }
      for (let i = 0; i < n; i++) if (live[i]) await (clocks[i] as ReturnType<typeof createTestClock>).advanceAsync(500);
      for (let i = 0; i < n; i++) if (live[i]) await (drivers[i] as RolloutDriver).idle();
      for (let i = 0; i < n; i++) if (live[i]) await (clocks[i] as ReturnType<typeof createTestClock>).advanceAsync(500);
      for (let i = 0; i < n; i++) if (live[i]) await (drivers[i] as RolloutDriver).idle();
    };
    return { store, clocks, drivers, events, second };
  }

  it('three replicas promote once per step, every replica seeing every event once; operations work from any replica', async () => {
    const f = await fleet(3);
    const live = [true, true, true];
    for (let s = 0; s < 25; s++) await f.second(live);
    expect(f.drivers.map((d) => d.weightPercent())).toEqual([100, 100, 100]);
    for (const evs of f.events) expect(evs.filter((e) => e.type !== 'held').map((e) => [e.type, e.toPercent])).toEqual([['started', 10], ['promoted', 50], ['succeeded', 100]]);
    expect(f.drivers.filter((d) => d.status().leader)).toHaveLength(1);
    // Retry from a replica that is not the leader.
    const follower = f.drivers.find((d) => !d.status().leader) as RolloutDriver;
    expect((await follower.retry('again')).kind).toBe('not-applicable'); // succeeded: nothing to retry
    for (const d of f.drivers) await d.stop();
  });

  it('a store outage freezes the weights and says so; the fleet resumes afterwards', async () => {
    const f = await fleet(2);
    const statuses: boolean[] = [];
    const live = [true, true];
    for (let s = 0; s < 3; s++) await f.second(live);
    expect(f.drivers.map((d) => d.weightPercent())).toEqual([10, 10]);
    f.store.fail = true;
    for (let s = 0; s < 30; s++) await f.second(live);
    expect(f.drivers.map((d) => d.weightPercent())).toEqual([10, 10]);
    expect(f.drivers.map((d) => d.status().storeAvailable)).toEqual([false, false]);
    statuses.push(...f.drivers.map((d) => d.status().storeAvailable));
    f.store.fail = false;
    for (let s = 0; s < 3; s++) await f.second(live);
    expect(f.drivers.map((d) => d.status().storeAvailable)).toEqual([true, true]);
    for (const d of f.drivers) await d.stop();
  });

  it('regression - an analysis interval no longer than the settle time judges the interval, not an empty window (no rollback for "no data")', async () => {
    // pollIntervalMs 1 000 → settle 2 000 ms, analysis every 1 000 ms: the leader used to read
    // [windowStart, t - settle) = nothing at each due time and fail every check for no data.
    const short: RolloutConfig = { name: 'short', steps: [10, 50, 100], analysisIntervalMs: 1000, minRequests: 20, minLatencySamples: 20 };
    const store = createMemoryRolloutStore();
    const clock = createTestClock({ wallNow: 1_700_000_000_000 });
    const events: RolloutEvent[] = [];
    const d = createRolloutDriver({ store, clock, config: short, owner: 'r0', pollIntervalMs: 1000, onEvent: (e) => events.push(e) });
    d.start();
    for (let s = 0; s < 40; s++) {
      for (let k = 0; k < 100; k++) {
        const side = k % 100 < d.weightPercent() ? 'canary' : 'baseline';
        d.observe(side, { kind: 'response', endpoint: ep, status: 200, latencyMs: 20 + (k % 5), at: clock.now() });
      }
      await clock.advanceAsync(250);
      await d.idle();
    }
    expect(events.map((e) => e.type)).not.toContain('rolled-back');
    expect(events.filter((e) => e.type !== 'held').map((e) => [e.type, e.toPercent])).toEqual([['started', 10], ['promoted', 50], ['succeeded', 100]]);
    await d.stop();
  });
});
