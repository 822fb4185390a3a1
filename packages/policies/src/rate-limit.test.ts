import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { Identity, InboundResult, PolicyContinue, PolicyReject, SyResponse } from '@switchyard/core';
import { createMemoryStore, type LimiterStore, type StoreTake } from '@switchyard/limiter';
import { createTestClock, type TestClock } from '@switchyard/testing';
import { apiKey, createMemoryKeyStore, rateLimit, rateLimitPolicy } from './index.js';
import { build, ctx, request } from '../test/context.js';

function sync(r: InboundResult | Promise<InboundResult>): InboundResult {
  if (r instanceof Promise) throw new Error('expected a synchronous answer');
  return r;
}

const who = (sub: string, tier?: string): Identity => ({ sub, data: tier === undefined ? {} : { tier }, via: 'auth' });

/** Sends `n` requests at the current time; returns how many were allowed. */
function burst(clock: TestClock, n: number, run: () => InboundResult | Promise<InboundResult>): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (sync(run()).kind === 'continue') ok++;
  void clock;
  return ok;
}

describe('rate-limit', () => {
  it('by ip (the default) - limit per window per client address, then 429 with Retry-After and detail', () => {
    const clock = createTestClock();
    const p = build(rateLimit, { limit: 3, windowMs: 60_000 }, { clock, name: 'per-ip' });
    const a = () => p.inbound!(request(), ctx({ clock, clientIp: '203.0.113.7' }));
    expect(burst(clock, 3, a)).toBe(3);
    const r = sync(a()) as PolicyReject;
    expect(r).toMatchObject({ kind: 'reject', code: 'SY_RATE_LIMITED', message: 'Too many requests: rate limit exceeded.' });
    expect(Number(r.headers?.['retry-after'])).toBeGreaterThan(0);
    expect(r.detail).toEqual({ limit: 3, remaining: 0, windowMs: 60_000, retryAfterSeconds: Number(r.headers?.['retry-after']) });
    // Another address has its own counter.
    expect(sync(p.inbound!(request(), ctx({ clock, clientIp: '198.51.100.1' }))).kind).toBe('continue');
  });

  it('IPv6 clients are counted per /56 (rotating addresses inside one allocation do not walk around it)', () => {
    const clock = createTestClock();
    const p = build(rateLimit, { limit: 2, windowMs: 60_000 }, { clock });
    expect(sync(p.inbound!(request(), ctx({ clock, clientIp: '2001:db8:0:1::1' }))).kind).toBe('continue');
    expect(sync(p.inbound!(request(), ctx({ clock, clientIp: '2001:db8:0:2::9' }))).kind).toBe('continue');
    expect(sync(p.inbound!(request(), ctx({ clock, clientIp: '2001:db8:0:3::5' }))).kind).toBe('reject');
    expect(sync(p.inbound!(request(), ctx({ clock, clientIp: '2001:db8:1:0::5' }))).kind).toBe('continue');
  });

  it('by ip with no client address - refused by default (onMissingKey deny), allowed with onMissingKey allow', () => {
    const clock = createTestClock();
    const deny = build(rateLimit, { limit: 3, windowMs: 1000 }, { clock });
    expect(sync(deny.inbound!(request(), ctx({ clock })))).toMatchObject({ code: 'SY_RATE_LIMITED', message: 'Too many requests: the request has nothing to count it by.' });
    const allow = build(rateLimit, { limit: 1, windowMs: 1000, onMissingKey: 'allow' }, { clock });
    expect(burst(clock, 5, () => allow.inbound!(request(), ctx({ clock })))).toBe(5);
    const shared = build(rateLimit, { limit: 2, windowMs: 1000, onMissingKey: 'shared' }, { clock });
    expect(burst(clock, 5, () => shared.inbound!(request(), ctx({ clock })))).toBe(2);
  });

  it('the window slides: requests are allowed again as the window moves on (fake clock)', () => {
    const clock = createTestClock();
    const p = build(rateLimit, { limit: 2, windowMs: 1000 }, { clock });
    const a = () => p.inbound!(request(), ctx({ clock, clientIp: '203.0.113.7' }));
    expect(burst(clock, 3, a)).toBe(2);
    clock.advance(2000);
    expect(burst(clock, 3, a)).toBe(2);
  });

  it('by consumer with tiers - 100 a minute for free, 5 000 for enterprise; declares requires identity', () => {
    const clock = createTestClock();
    const p = build(rateLimit, { by: 'consumer', limit: 100, windowMs: 60_000, tiers: { enterprise: { limit: 5000 } } }, { clock });
    expect(p.requires).toEqual(['identity']);
    expect(burst(clock, 150, () => p.inbound!(request(), ctx({ clock, identity: who('bob', 'free') })))).toBe(100);
    expect(burst(clock, 5100, () => p.inbound!(request(), ctx({ clock, identity: who('acme', 'enterprise') })))).toBe(5000);
    // A caller with no tier gets the default limit.
    expect(burst(clock, 150, () => p.inbound!(request(), ctx({ clock, identity: who('carol') })))).toBe(100);
  });

  it('per-consumer counters are distinct: one consumer at its limit does not limit another', () => {
    const clock = createTestClock();
    const p = build(rateLimit, { by: 'consumer', limit: 2, windowMs: 60_000 }, { clock });
    expect(burst(clock, 5, () => p.inbound!(request(), ctx({ clock, identity: who('a') })))).toBe(2);
    expect(burst(clock, 5, () => p.inbound!(request(), ctx({ clock, identity: who('b') })))).toBe(2);
  });

  it('by consumer without identity - not limited by default (onMissingKey allow); shared puts anonymous callers in one bucket', () => {
    const clock = createTestClock();
    const p = build(rateLimit, { by: 'consumer', limit: 1, windowMs: 60_000 }, { clock });
    expect(burst(clock, 3, () => p.inbound!(request(), ctx({ clock })))).toBe(3);
    const shared = build(rateLimit, { by: 'consumer', limit: 1, windowMs: 60_000, onMissingKey: 'shared' }, { clock });
    expect(burst(clock, 3, () => shared.inbound!(request(), ctx({ clock })))).toBe(1);
  });

  it('by attribute, by header and all', () => {
    const clock = createTestClock();
    const attr = build(rateLimit, { by: { attribute: 'tenant' }, limit: 1, windowMs: 60_000 }, { clock });
    expect(burst(clock, 2, () => attr.inbound!(request(), ctx({ clock, attributes: { tenant: 't1' } })))).toBe(1);
    expect(burst(clock, 2, () => attr.inbound!(request(), ctx({ clock, attributes: { tenant: 7 } })))).toBe(1);
    const header = build(rateLimit, { by: { header: 'X-Tenant' }, limit: 1, windowMs: 60_000 }, { clock });
    expect(burst(clock, 2, () => header.inbound!(request({ headers: { 'x-tenant': 'a' } }), ctx({ clock })))).toBe(1);
    expect(burst(clock, 2, () => header.inbound!(request({ headers: { 'x-tenant': 'b' } }), ctx({ clock })))).toBe(1);
    const all = build(rateLimit, { by: 'all', limit: 3, windowMs: 60_000 }, { clock });
    expect(burst(clock, 2, () => all.inbound!(request(), ctx({ clock, clientIp: '1.1.1.1' }))) + burst(clock, 2, () => all.inbound!(request(), ctx({ clock, clientIp: '2.2.2.2' })))).toBe(3);
  });

  it('two instances never share a counter, even on one shared store', () => {
    const clock = createTestClock();
    const store = createMemoryStore();
    const a = build(rateLimit, { by: 'all', limit: 1, windowMs: 60_000, store }, { clock, name: 'a' });
    const b = build(rateLimit, { by: 'all', limit: 1, windowMs: 60_000, store }, { clock, name: 'b' });
    expect(sync(a.inbound!(request(), ctx({ clock }))).kind).toBe('continue');
    expect(sync(b.inbound!(request(), ctx({ clock }))).kind).toBe('continue');
    expect(sync(a.inbound!(request(), ctx({ clock }))).kind).toBe('reject');
  });

  it('token-bucket and gcra algorithms: a bucket of limit refilled over windowMs', () => {
    for (const algorithm of ['token-bucket', 'gcra'] as const) {
      const clock = createTestClock();
      const p = build(rateLimit, { by: 'all', limit: 10, windowMs: 1000, algorithm }, { clock });
      expect(burst(clock, 12, () => p.inbound!(request(), ctx({ clock })))).toBe(10);
      clock.advance(100);
      expect(burst(clock, 3, () => p.inbound!(request(), ctx({ clock })))).toBe(1);
    }
  });

  it('headers: RateLimit headers on allowed responses (outbound) and on the 429', () => {
    const clock = createTestClock();
    const p = build(rateLimit, { by: 'all', limit: 2, windowMs: 60_000, headers: 'both' }, { clock, name: 'lim' });
    const r = sync(p.inbound!(request(), ctx({ clock }))) as PolicyContinue;
    const attributes = r.attributes ?? {};
    const res: SyResponse = { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
    const out = p.outbound!(res, request(), ctx({ clock, attributes })) as SyResponse;
    expect(out.headers).toMatchObject({ 'content-type': 'text/plain', 'ratelimit-policy': '"lim";q=2;w=60', ratelimit: expect.stringMatching(/^"lim";r=1;t=\d+$/), 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '1' });
    sync(p.inbound!(request(), ctx({ clock })));
    const limited = sync(p.inbound!(request(), ctx({ clock }))) as PolicyReject;
    expect(limited.headers).toMatchObject({ 'retry-after': expect.any(String), 'x-ratelimit-remaining': '0', ratelimit: expect.stringContaining('r=0') });
  });

  it('headers: none (the default) - no outbound step, no attribute, only Retry-After on the 429', () => {
    const clock = createTestClock();
    const p = build(rateLimit, { by: 'all', limit: 1, windowMs: 60_000 }, { clock });
    expect(p.outbound).toBeUndefined();
    expect(sync(p.inbound!(request(), ctx({ clock })))).toEqual({ kind: 'continue' });
    expect(Object.keys((sync(p.inbound!(request(), ctx({ clock }))) as PolicyReject).headers ?? {})).toEqual(['retry-after']);
  });

  it('rateLimitPolicy({ key }) - a function key; undefined skips limiting; its limit and window override per request', () => {
    const clock = createTestClock();
    const def = rateLimitPolicy({
      type: 'per-tenant',
      key: (req) => {
        const t = req.headers['x-tenant'];
        if (t === undefined || t === 'internal') return undefined;
        return t === 'big' ? { key: t, limit: 5 } : { key: t };
      },
    });
    const p = build(def, { limit: 2, windowMs: 60_000 }, { clock });
    const send = (tenant?: string) => p.inbound!(request({ headers: tenant === undefined ? {} : { 'x-tenant': tenant } }), ctx({ clock }));
    expect(burst(clock, 10, () => send('internal'))).toBe(10);
    expect(burst(clock, 10, () => send())).toBe(10);
    expect(burst(clock, 10, () => send('small'))).toBe(2);
    expect(burst(clock, 10, () => send('big'))).toBe(5);
    expect(() => build(def, { by: 'ip', limit: 1, windowMs: 1000 })).toThrow(/by: is set in code/);
  });

  it('rateLimitPolicy({ key }) - an async key function makes the step asynchronous', async () => {
    const clock = createTestClock();
    const def = rateLimitPolicy({ key: async () => ({ key: 'k' }) });
    const p = build(def, { limit: 1, windowMs: 60_000 }, { clock });
    expect((await p.inbound!(request(), ctx({ clock }))).kind).toBe('continue');
    expect((await p.inbound!(request(), ctx({ clock }))).kind).toBe('reject');
  });

  it('an asynchronous store is awaited; a store that failed closed is 503 SY_STORE_UNAVAILABLE', async () => {
    const clock = createTestClock();
    const take = vi.fn((r: StoreTake) => Promise.resolve(createMemoryStore().takeSync(r)));
    const asyncStore: LimiterStore = { scope: 'shared', take };
    expect(() => build(rateLimit, { by: 'all', limit: 1, windowMs: 1000, store: asyncStore })).toThrow(/algorithm: set it with a shared store/);
    const p = build(rateLimit, { by: 'all', limit: 1, windowMs: 1000, store: asyncStore, algorithm: 'sliding-window' }, { clock, name: 'x' });
    expect(p.inbound!(request(), ctx({ clock }))).toBeInstanceOf(Promise);
    expect(take.mock.calls[0]?.[0]).toMatchObject({ namespace: 'policy:x', key: '*', cost: 1 });
    const failing: LimiterStore = {
      scope: 'shared',
      take: () => Promise.resolve({ kind: 'limited', limit: 1, remaining: 0, resetAfterMs: 1000, retryAfterMs: 1000, storeError: { reason: 'timeout', message: 't', fallback: 'deny' } as const }),
    };
    const q = build(rateLimit, { by: 'all', limit: 1, windowMs: 1000, store: failing, algorithm: 'gcra' }, { clock });
    expect(await q.inbound!(request(), ctx({ clock }))).toMatchObject({ code: 'SY_STORE_UNAVAILABLE' });
    const rejecting: LimiterStore = { scope: 'shared', take: () => Promise.reject(new Error('sliding-window unsupported')) };
    const z = build(rateLimit, { by: 'all', limit: 1, windowMs: 1000, store: rejecting, algorithm: 'sliding-window' }, { clock });
    expect(await z.inbound!(request(), ctx({ clock }))).toMatchObject({ code: 'SY_STORE_UNAVAILABLE' });
  });

  it('options - validated with paths; credential headers refused as keys', () => {
    const issues = (input: unknown) => {
      const r = rateLimit.options!['~standard'].validate(input);
      return 'issues' in r && r.issues !== undefined ? r.issues.map((i) => `${(i.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.')}: ${i.message}`) : [];
    };
    expect(issues({ limit: 0, windowMs: 1000 })).toEqual(['limit: must be > 0']);
    expect(issues({ limit: 1, windowMs: 10 })).toEqual(['windowMs: must be >= 50 (the limiter refills at most every 50 ms)']);
    expect(issues({ limit: 1, windowMs: 1000, by: 'user' })).toEqual(["by: must be 'ip', 'consumer', 'all', { attribute } or { header }"]);
    expect(issues({ limit: 1, windowMs: 1000, tiers: { gold: { limit: -1 } } })).toEqual(['tiers.gold.limit: must be > 0']);
    expect(issues({ limit: 1, windowMs: 1000, algorithm: 'leaky' })).toEqual(["algorithm: must be 'sliding-window', 'token-bucket' or 'gcra'"]);
    expect(issues({ limit: 1, windowMs: 1000, by: { header: 'Authorization' } }).join()).toMatch(/credential header/);
    expect(issues({ limit: 1 })).toEqual(['windowMs: is required']);
    expect(issues({ limit: 1, windowMs: 1000, tiers: { gold: { limt: 5 } } })).toEqual(['tiers.gold.limit: is required', 'tiers.gold.limt: is not a tier field (limit, windowMs)']);
  });

  it('describe - one line for explain()', () => {
    expect(build(rateLimit, { by: 'consumer', limit: 100, windowMs: 60_000, tiers: { enterprise: { limit: 5000 } } }).describe?.()).toBe('100 per 60000 ms by consumer (sliding-window), tiers enterprise');
    expect(build(rateLimit, { by: { header: 'x-tenant' }, limit: 5, windowMs: 1000, algorithm: 'gcra' }).describe?.()).toBe('5 per 1000 ms by header x-tenant (gcra)');
  });

  it('property - behind api-key, the limiter key for a consumer is its id, never the API key', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[!-~]{8,64}$/), fc.stringMatching(/^[a-z0-9-]{1,20}$/), (key, id) => {
        const clock = createTestClock();
        const seen: StoreTake[] = [];
        const store = createMemoryStore();
        const spy: LimiterStore = { scope: 'local', take: (r) => store.take(r), takeSync: (r) => (seen.push(r), store.takeSync(r)) };
        const auth = build(apiKey, { store: createMemoryKeyStore([{ id, tier: 'free', keys: [key] }]) }, { clock, name: 'auth' });
        const limit = build(rateLimit, { by: 'consumer', limit: 5, windowMs: 1000, store: spy }, { clock, name: 'limit' });
        const authed = sync(auth.inbound!(request({ headers: { authorization: `Bearer ${key}` } }), ctx({ clock }))) as PolicyContinue;
        sync(limit.inbound!(authed.request ?? request(), ctx({ clock, identity: authed.identity })));
        expect(seen).toHaveLength(1);
        expect(seen[0]?.key).toBe(id);
        if (!id.includes(key)) expect(JSON.stringify(seen[0])).not.toContain(key);
      }),
      { numRuns: 200 },
    );
  });
});
