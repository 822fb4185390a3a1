import type { SyRequest } from '@switchyard/core';
import { createMemoryRolloutStore, type RolloutStore } from '@switchyard/splitter';
import { createMockTransport, createTestClock } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from './config.js';
import type { GatewayEvent } from './events.js';
import { createGateway } from './gateway.js';

const CONFIG: GatewayConfig = {
  routes: [
    {
      name: 'catalog',
      matches: [{ path: { type: 'PathPrefix', value: '/catalog' } }],
      backends: [
        { name: 'v1', upstream: 'catalog', subset: { version: 'v1' } },
        { name: 'v2', upstream: 'catalog', subset: { version: 'v2' } },
      ],
      split: { key: { header: 'x-user-id' } },
      rollout: { name: 'catalog-v2', canary: 'v2', baseline: 'v1', steps: [10, 50, 100], analysisIntervalMs: 10_000, minRequests: 10, minLatencySamples: 10 },
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

const req = (user: string): SyRequest => ({ method: 'GET', scheme: 'http', authority: 'shop', path: '/catalog/x', query: '', headers: { 'x-user-id': user }, attributes: {} });

function replica(i: number, store: RolloutStore | undefined) {
  const clock = createTestClock({ wallNow: 1_700_000_000_000 });
  const transport = createMockTransport({ clock });
  transport.respondWith(() => ({ status: 200, delayMs: 5 }));
  const gateway = createGateway(CONFIG, { transport, clock, ...(store !== undefined ? { rollouts: { store, owner: `gw${i}`, pollIntervalMs: 1000, leaseTtlMs: 5000 } } : {}) });
  const events: GatewayEvent[] = [];
  gateway.subscribe((e) => events.push(e));
  let n = 0;
  /** One second of this replica: `rps` requests from distinct users, then the rest of the second. */
  const second = async (rps: number): Promise<number> => {
    let v2 = 0;
    for (let k = 0; k < rps; k++) {
      let done = false;
      void gateway.handle(req(`u${i}-${n++}`)).then(() => (done = true));
      while (!done) await clock.advanceAsync(5);
      if (transport.requests.at(-1)?.endpoint.id === 'v2a') v2++;
    }
    await clock.advanceAsync(1000 - rps * 5);
    return v2;
  };
  return { clock, gateway, events, second };
}

const rolloutTypes = (events: readonly GatewayEvent[]) => events.flatMap((e) => (e.kind === 'rollout' && e.event.type !== 'held' ? [`${e.event.type}:${e.event.toPercent}`] : []));

describe('gateway rollouts in fleet mode (shared memory store)', () => {
  it('three replicas run one rollout: each transition once, seen by every replica, the same weights everywhere', async () => {
    const store = createMemoryRolloutStore();
    const fleet = [0, 1, 2].map((i) => replica(i, store));
    for (const r of fleet) r.gateway.start();
    for (let s = 0; s < 45; s++) for (const r of fleet) await r.second(20);
    for (const r of fleet) expect(rolloutTypes(r.events)).toEqual(['started:10', 'promoted:50', 'succeeded:100']);
    for (const r of fleet) expect(r.gateway.rollouts.status()[0]).toMatchObject({ name: 'catalog-v2', phase: 'succeeded', weightPercent: 100 });
    expect(fleet.filter((r) => r.gateway.rollouts.status()[0]?.leader === true)).toHaveLength(1);
    for (const r of fleet) expect(r.gateway.prometheus()).toMatch(/switchyard_rollout_weight_percent\{http_route="catalog",switchyard_rollout="catalog-v2"\} 100/);
    for (const r of fleet) await r.gateway.stop();
  });

  it('abort from any replica reaches every replica within one poll interval; retry starts over', async () => {
    const store = createMemoryRolloutStore();
    const fleet = [0, 1, 2].map((i) => replica(i, store));
    for (const r of fleet) r.gateway.start();
    for (let s = 0; s < 3; s++) for (const r of fleet) await r.second(10);
    const follower = fleet.find((r) => r.gateway.rollouts.status()[0]?.leader === false);
    const result = await follower?.gateway.rollouts.abort('catalog', 'pager: checkout errors');
    expect(result?.kind).toBe('done');
    for (const r of fleet) await r.second(10);
    for (const r of fleet) expect(r.gateway.rollouts.status()[0]).toMatchObject({ phase: 'aborted', weightPercent: 0 });
    let v2 = 0;
    for (const r of fleet) v2 += await r.second(20);
    expect(v2).toBe(0);
    expect((await fleet[0]?.gateway.rollouts.retry('catalog'))?.kind).toBe('done');
    for (const r of fleet) await r.second(10);
    for (const r of fleet) expect(r.gateway.rollouts.status()[0]).toMatchObject({ phase: 'progressing', weightPercent: 10, failedChecks: 0 });
    for (const r of fleet) await r.gateway.stop();
  });

  it('a store outage freezes every replica at its weight and says so (event and gauge)', async () => {
    const store = createMemoryRolloutStore();
    const fleet = [0, 1].map((i) => replica(i, store));
    for (const r of fleet) r.gateway.start();
    for (let s = 0; s < 3; s++) for (const r of fleet) await r.second(10);
    store.fail = true;
    for (let s = 0; s < 30; s++) for (const r of fleet) await r.second(10);
    for (const r of fleet) {
      expect(r.gateway.rollouts.status()[0]).toMatchObject({ weightPercent: 10, storeAvailable: false });
      expect(r.events.some((e) => e.kind === 'rollout-store' && !e.available && /weights frozen at 10%/.test(e.reason))).toBe(true);
      expect(r.gateway.prometheus()).toMatch(/switchyard_rollout_store_available\{http_route="catalog",switchyard_rollout="catalog-v2"\} 0/);
    }
    store.fail = false;
    for (let s = 0; s < 2; s++) for (const r of fleet) await r.second(10);
    for (const r of fleet) expect(r.gateway.rollouts.status()[0]?.storeAvailable).toBe(true);
    for (const r of fleet) await r.gateway.stop();
  });
});

describe('gateway rollout webhooks (one process)', () => {
  it('calls the webhooks through the gateway transport; a confirm-promotion gate holds the last step until approved', async () => {
    const clock = createTestClock({ wallNow: 1_700_000_000_000 });
    const transport = createMockTransport({ clock });
    let approve = false;
    const hooks: string[] = [];
    transport.respondWith((request, endpoint) => {
      if (!endpoint.id.startsWith('webhook:')) return { status: 200, delayMs: 5 };
      hooks.push(`${endpoint.url}${request.path}`);
      return { status: request.path === '/approve' && !approve ? 403 : 200 };
    });
    const route = CONFIG.routes[0] as NonNullable<GatewayConfig['routes'][0]>;
    const config: GatewayConfig = {
      ...CONFIG,
      routes: [{ ...route, rollout: { ...(route.rollout as NonNullable<typeof route.rollout>), webhooks: [{ name: 'smoke', url: 'http://tester.test/smoke' }, { name: 'gate', type: 'confirm-promotion', url: 'http://gate.test/approve' }] } }],
    };
    const gateway = createGateway(config, { transport, clock });
    const events: GatewayEvent[] = [];
    gateway.subscribe((e) => events.push(e));
    gateway.start();
    let n = 0;
    const seconds = async (count: number) => {
      for (let s = 0; s < count; s++) {
        for (let k = 0; k < 20; k++) {
          let done = false;
          void gateway.handle(req(`u${n++}`)).then(() => (done = true));
          while (!done) await clock.advanceAsync(5);
        }
        await clock.advanceAsync(900);
        await gateway.rollouts.settled();
      }
    };
    await seconds(35);
    expect(gateway.rollouts.status()[0]).toMatchObject({ phase: 'progressing', weightPercent: 50 });
    expect(hooks).toContain('http://tester.test/smoke');
    expect(hooks).toContain('http://gate.test/approve');
    approve = true;
    await seconds(12);
    expect(gateway.rollouts.status()[0]).toMatchObject({ phase: 'succeeded', weightPercent: 100 });
    expect(rolloutTypes(events).at(-1)).toBe('succeeded:100');
    await gateway.stop();
  });
});

describe('gateway rollout operations (one process)', () => {
  it('status, abort, retry and promote on the in-memory rollout', async () => {
    const r = replica(0, undefined);
    r.gateway.start();
    expect(r.gateway.rollouts.status()).toEqual([expect.objectContaining({ name: 'catalog-v2', phase: 'progressing', weightPercent: 10, leader: true })]);
    expect((await r.gateway.rollouts.abort('catalog', 'by hand')).kind).toBe('done');
    expect(r.gateway.rollouts.status()[0]).toMatchObject({ phase: 'aborted', weightPercent: 0 });
    expect((await r.gateway.rollouts.abort('catalog', 'twice')).kind).toBe('not-applicable');
    expect((await r.gateway.rollouts.retry('catalog')).kind).toBe('done');
    expect((await r.gateway.rollouts.promote('catalog')).kind).toBe('done');
    expect(r.gateway.rollouts.status()[0]).toMatchObject({ phase: 'progressing', weightPercent: 50 });
    expect((await r.gateway.rollouts.promote('catalog', { full: true })).kind).toBe('done');
    expect(r.gateway.rollouts.status()[0]).toMatchObject({ phase: 'succeeded', weightPercent: 100 });
    expect((await r.gateway.rollouts.promote('nope')).kind).toBe('not-applicable');
    expect(rolloutTypes(r.events)).toEqual(['aborted:0', 'retried:10', 'promoted:50', 'succeeded:100']);
    await r.gateway.stop();
  });
});
