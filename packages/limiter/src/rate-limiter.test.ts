import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { SyRequest } from '@switchyard/core';
import { createTestClock } from '@switchyard/testing';
import { createClientIdentity } from './client-ip.js';
import { keys } from './descriptors.js';
import { rateLimitHeaders } from './headers.js';
import { tokenBucket, slidingWindow } from './policy.js';
import { createRateLimiter } from './rate-limiter.js';
import { createMemoryStore, type LimiterStore } from './store.js';
import { take } from './take.js';
import { tiers } from './tiers.js';

function req(attrs: Record<string, unknown> = {}, headers: Record<string, string> = {}, clientAddress = '198.51.100.1'): SyRequest {
  return { method: 'GET', scheme: 'https', authority: 'api', path: '/orders', query: '', headers, attributes: attrs, clientAddress };
}

const perMinute = (id: string, n: number) => tokenBucket({ id, maxTokens: n, tokensPerFill: n, fillIntervalMs: 60_000 });

describe('createRateLimiter', () => {
  it('tiers - free and enterprise users get their own limits, chosen by attributes', async () => {
    const clock = createTestClock();
    const limiter = createRateLimiter({
      clock,
      rules: [
        {
          name: 'per-user',
          key: keys.attribute('user'),
          policy: tiers({ policies: { free: perMinute('free', 2), enterprise: perMinute('enterprise', 5) }, match: [{ tier: 'enterprise', attributes: { plan: 'enterprise' } }], default: 'free' }),
        },
      ],
    });
    const admitted = async (attrs: Record<string, unknown>, n: number) => {
      let ok = 0;
      for (let i = 0; i < n; i++) if ((await limiter.check(req(attrs))).kind === 'allowed') ok++;
      return ok;
    };
    expect(await admitted({ user: 'u1' }, 10)).toBe(2);
    expect(await admitted({ user: 'u2', plan: 'enterprise' }, 10)).toBe(5);
  });

  it('tiers - chosen by a function, unknown tiers rejected at compile time', () => {
    const pick = tiers({ policies: { a: perMinute('a', 1), b: perMinute('b', 2) }, select: (r) => r.headers['x-plan'] });
    expect(pick(req({}, { 'x-plan': 'b' }))?.id).toBe('b');
    expect(pick(req())).toBeUndefined();
    expect(() => tiers({ policies: { a: perMinute('a', 1) }, default: 'zzz' })).toThrow(/default/);
  });

  it('several limits - slowest first, stop at the first rejection, no refund', async () => {
    const clock = createTestClock();
    const store = createMemoryStore();
    const limiter = createRateLimiter({
      clock,
      store,
      rules: [
        { name: 'per-route', key: keys.route(), policy: tokenBucket({ id: 'route', maxTokens: 100, tokensPerFill: 100, fillIntervalMs: 1000 }) },
        { name: 'per-user', key: keys.attribute('user'), policy: tokenBucket({ id: 'user', maxTokens: 2, tokensPerFill: 1, fillIntervalMs: 1000 }) },
      ],
    });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await limiter.check(req({ user: 'u' })));
    expect(results.map((r) => r.kind)).toEqual(['allowed', 'allowed', 'limited', 'limited']);
    // The per-user bucket (slower) is consulted first; once it rejects the route bucket is untouched.
    expect(results[0]?.decisions.map((d) => d.rule)).toEqual(['per-user', 'per-route']);
    expect(results[2]?.decisions.map((d) => d.rule)).toEqual(['per-user']);
    const route = await store.take({ namespace: 'default:per-route', policy: tokenBucket({ id: 'route', maxTokens: 100, tokensPerFill: 100, fillIntervalMs: 1000 }), key: 'GET /orders', cost: 1, now: 0 });
    expect(route.remaining).toBe(97);
  });

  it('several limits - tokens taken before a later rejection are not refunded', async () => {
    const clock = createTestClock();
    const store = createMemoryStore();
    const fast = tokenBucket({ id: 'fast', maxTokens: 1, tokensPerFill: 10, fillIntervalMs: 1000 });
    const slow = tokenBucket({ id: 'slow', maxTokens: 5, tokensPerFill: 1, fillIntervalMs: 1000 });
    const limiter = createRateLimiter({ clock, store, rules: [{ name: 'fast', key: keys.global(), policy: fast }, { name: 'slow', key: keys.global(), policy: slow }] });
    expect((await limiter.check(req())).kind).toBe('allowed');
    const second = await limiter.check(req());
    expect(second).toMatchObject({ kind: 'limited', rule: 'fast' });
    // 'slow' (consumed first) lost its token to the rejected request: 5 − 2 = 3 left.
    expect(second.decisions[0]?.decision.remaining).toBe(3);
  });

  it('headers on an allowed response - IETF and legacy fields of the tightest limit', async () => {
    const limiter = createRateLimiter({ clock: createTestClock(), rules: [{ name: 'free', key: keys.global(), policy: perMinute('free', 100) }] });
    const d = await limiter.check(req());
    expect(d.headers).toEqual({ 'ratelimit-policy': '"free";q=100;w=60', ratelimit: '"free";r=99;t=1', 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '99', 'x-ratelimit-reset': '1' });
  });

  it('headers on a limited response - Retry-After in whole seconds, rounded up', async () => {
    const clock = createTestClock();
    const limiter = createRateLimiter({ clock, headers: 'legacy', rules: [{ name: 'r', key: keys.global(), policy: tokenBucket({ maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 1500 }) }] });
    await limiter.check(req());
    clock.advance(100);
    const d = await limiter.check(req());
    expect(d.kind).toBe('limited');
    expect(d.headers).toEqual({ 'x-ratelimit-limit': '1', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2', 'retry-after': '2' });
    expect(d.kind === 'limited' && d.retryAfterMs).toBe(1400);
  });

  it('headers - the policy name is an RFC 8941 sf-string: quotes and backslashes escaped, anything else verbatim', () => {
    const p = tokenBucket({ maxTokens: 5, fillIntervalMs: 1000 });
    const d = take(undefined, 1, 0, p);
    expect(rateLimitHeaders(d, p, { style: 'ietf', name: 'per-user' })['ratelimit']).toBe('"per-user";r=4;t=1');
    expect(rateLimitHeaders(d, p, { style: 'ietf', name: 'a"b\\c' })['ratelimit-policy']).toBe('"a\\"b\\\\c";q=5;w=5');
  });

  it('headers - a cost above capacity says one window, never "Infinity"', () => {
    const p = tokenBucket({ maxTokens: 2, fillIntervalMs: 1000 });
    expect(rateLimitHeaders(take(undefined, 3, 0, p), p, { style: 'none' })).toEqual({ 'retry-after': '2' });
  });

  it('per-IP limits over a spoofable header stay per client', async () => {
    const limiter = createRateLimiter({
      clock: createTestClock(),
      rules: [{ name: 'ip', key: keys.clientIp(createClientIdentity({ trustedProxies: ['10.0.0.0/8'] })), policy: perMinute('ip', 3) }],
    });
    let allowed = 0;
    for (let i = 0; i < 20; i++) {
      const d = await limiter.check(req({}, { 'x-forwarded-for': `7.7.7.${i}, 203.0.113.5` }, '10.0.0.1'));
      if (d.kind === 'allowed') allowed++;
    }
    expect(allowed).toBe(3);
  });

  it('counts a request once even if checked twice', async () => {
    const limiter = createRateLimiter({ clock: createTestClock(), rules: [{ name: 'g', key: keys.global(), policy: perMinute('g', 2) }] });
    const r = req();
    await limiter.check(r);
    await limiter.check(r);
    expect((await limiter.check(req())).kind).toBe('allowed');
  });

  it('skips a rule whose descriptor is absent', async () => {
    const limiter = createRateLimiter({ clock: createTestClock(), rules: [{ name: 'key', key: keys.apiKey(), policy: perMinute('k', 1) }] });
    expect((await limiter.check(req())).decisions).toEqual([]);
    expect((await limiter.check(req({}, { authorization: 'Bearer abc' }))).decisions[0]?.key).toBe('abc');
  });

  it('property - shadow mode never rejects, and flags the first-consulted limit exactly when enforcing rejects on it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ gap: fc.integer({ min: 0, max: 300 }), user: fc.integer({ min: 0, max: 3 }) }), { maxLength: 60 }), async (trace) => {
        const clockA = createTestClock();
        const clockB = createTestClock();
        const rules = [
          { name: 'user', key: keys.attribute('user'), policy: tokenBucket({ id: 'u', maxTokens: 3, tokensPerFill: 1, fillIntervalMs: 200 }) },
          { name: 'all', key: keys.global(), policy: slidingWindow({ id: 'w', limit: 8, windowMs: 1000 }) },
        ];
        const shadow = createRateLimiter({ clock: clockA, mode: 'shadow', rules });
        const enforce = createRateLimiter({ clock: clockB, rules: rules.map((r) => ({ ...r, mode: 'enforce' as const })) });
        for (const { gap, user } of trace) {
          clockA.advance(gap);
          clockB.advance(gap);
          const s = await shadow.check(req({ user }));
          if (s.kind !== 'allowed') return false;
          // Shadow consumes every bucket (no early exit), so compare only the first-consulted rule.
          const e = await enforce.check(req({ user }));
          if ((e.kind === 'limited' && e.rule === 'user') !== s.shadowLimited.some((d) => d.rule === 'user')) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
  it('asks a store with a synchronous path without a promise per rule, and falls back to take when it declines', async () => {
    const memory = createMemoryStore();
    const calls: string[] = [];
    // Decides the per-user rule synchronously, declines the per-route one (as a remote store would).
    const store: LimiterStore = {
      scope: 'local',
      takeSync: (r) => {
        calls.push(`sync ${r.namespace}`);
        return r.namespace.endsWith(':per-route') ? undefined : memory.takeSync(r);
      },
      take: (r) => {
        calls.push(`async ${r.namespace}`);
        return memory.take(r);
      },
    };
    const limiter = createRateLimiter({
      id: 'api',
      store,
      clock: createTestClock(),
      rules: [
        { name: 'per-user', key: keys.attribute('user'), policy: perMinute('u', 2) },
        { name: 'per-route', key: () => 'orders', policy: perMinute('r', 100) },
      ],
    });
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await limiter.check(req({ user: 'a' }))).kind);
    expect(results).toEqual(['allowed', 'allowed', 'limited']);
    // Slowest rate first: per-user (2/min) synchronously, then per-route through take; the third request stops at per-user.
    expect(calls).toEqual(['sync api:per-user', 'sync api:per-route', 'async api:per-route', 'sync api:per-user', 'sync api:per-route', 'async api:per-route', 'sync api:per-user']);
  });

  it('checkNow answers without a promise while the store is synchronous, with a promise once it is not, counting alike', async () => {
    const memory = createMemoryStore();
    let remote = false;
    const store: LimiterStore = { scope: 'local', takeSync: (r) => (remote ? undefined : memory.takeSync(r)), take: (r) => memory.take(r) };
    const limiter = createRateLimiter({ store, clock: createTestClock(), rules: [{ name: 'g', key: keys.global(), policy: perMinute('g', 2) }] });
    const first = limiter.checkNow(req());
    expect(first).not.toBeInstanceOf(Promise);
    expect((first as { kind: string }).kind).toBe('allowed');
    remote = true;
    const second = limiter.checkNow(req());
    expect(second).toBeInstanceOf(Promise);
    expect((await second).kind).toBe('allowed');
    remote = false;
    const third = limiter.checkNow(req());
    expect((third as { kind: string; headers: Record<string, string> }).kind).toBe('limited');
    expect((third as { headers: Record<string, string> }).headers['retry-after']).toBeDefined();
  });

  it('checkNow and check share the once-per-request memory', async () => {
    const limiter = createRateLimiter({ clock: createTestClock(), rules: [{ name: 'g', key: keys.global(), policy: perMinute('g', 2) }] });
    const r = req();
    const now = limiter.checkNow(r);
    expect(await limiter.check(r)).toBe(now);
    expect(limiter.checkNow(r)).toBe(now);
    expect((await limiter.check(req())).kind).toBe('allowed');
    expect((await limiter.check(req())).kind).toBe('limited');
  });

  it("checkNow counts at the caller's clock reading when given one, at its own clock otherwise", () => {
    const clock = createTestClock();
    const limiter = createRateLimiter({ clock, dedupeRequests: false, rules: [{ name: 'g', key: keys.global(), policy: perMinute('g', 1) }] });
    expect((limiter.checkNow(req()) as { kind: string }).kind).toBe('allowed');
    expect((limiter.checkNow(req()) as { kind: string }).kind).toBe('limited');
    // The limiter's clock has not moved; the caller says a minute has passed: refilled.
    expect((limiter.checkNow(req(), 60_000) as { kind: string }).kind).toBe('allowed');
    // Without a reading, the limiter's own clock (still 0): the bucket is empty again at 60 s.
    clock.advance(60_000);
    expect((limiter.checkNow(req()) as { kind: string }).kind).toBe('limited');
  });

  it('checkNow turns a throwing key function into a rejected promise, never a throw', async () => {
    const limiter = createRateLimiter({ rules: [{ name: 'bad', key: () => { throw new Error('boom'); }, policy: perMinute('b', 1) }] });
    const d = limiter.checkNow(req());
    expect(d).toBeInstanceOf(Promise);
    await expect(d).rejects.toThrow('boom');
  });

  it('rejects the check (never throws) when a key function throws on the synchronous path', async () => {
    const limiter = createRateLimiter({ rules: [{ name: 'bad', key: () => { throw new Error('boom'); }, policy: perMinute('b', 1) }] });
    let thrown: unknown;
    const p = limiter.check(req());
    await p.catch((e: unknown) => (thrown = e));
    expect(thrown).toBeInstanceOf(Error);
  });
});

describe('createRateLimiter - onMissingKey', () => {
  const noAddress = (): SyRequest => ({ method: 'GET', scheme: 'https', authority: 'api', path: '/', query: '', headers: {}, attributes: {}, clientAddress: undefined });
  const perIp = () => keys.clientIp(createClientIdentity({ trustedProxies: [] }));

  it('regression - a client-ip limit with no client address refuses the request by default (fail closed), without touching the store', async () => {
    let takes = 0;
    const memory = createMemoryStore();
    const counting: LimiterStore = { scope: 'local', take: (r) => (takes++, memory.take(r)) };
    const limiter = createRateLimiter({ clock: createTestClock(), store: counting, rules: [{ name: 'per-ip', key: perIp(), policy: perMinute('ip', 100) }] });
    const d = await limiter.check(noAddress());
    expect(d).toMatchObject({ kind: 'limited', reason: 'missing-key', rule: 'per-ip', retryAfterMs: 60_000 });
    expect(d.headers['retry-after']).toBe('60');
    expect(takes).toBe(0);
    // With an address, the same limit counts as usual.
    expect(await limiter.check(req())).toMatchObject({ kind: 'allowed' });
  });

  it("'allow' lets keyless requests through uncounted (Envoy skip_if_absent); 'shared' gives them one bucket", async () => {
    const allow = createRateLimiter({ clock: createTestClock(), rules: [{ name: 'per-ip', key: perIp(), onMissingKey: 'allow', policy: perMinute('ip', 1) }] });
    for (let i = 0; i < 3; i++) expect(await allow.check(noAddress())).toMatchObject({ kind: 'allowed', decisions: [] });
    const shared = createRateLimiter({ clock: createTestClock(), rules: [{ name: 'per-ip', key: perIp(), onMissingKey: 'shared', policy: perMinute('ip', 2) }] });
    const kinds = [];
    for (let i = 0; i < 3; i++) kinds.push((await shared.check(noAddress())).kind);
    expect(kinds).toEqual(['allowed', 'allowed', 'limited']);
    // Clients with an address keep their own buckets.
    expect((await shared.check(req())).kind).toBe('allowed');
  });

  it("other keys keep skipping by default; 'deny' makes a missing header refuse; a composite with the client IP denies", async () => {
    const header = createRateLimiter({ clock: createTestClock(), rules: [{ name: 'per-user', key: keys.header('x-user'), policy: perMinute('u', 1) }] });
    expect((await header.check(noAddress())).kind).toBe('allowed');
    const strict = createRateLimiter({ clock: createTestClock(), rules: [{ name: 'per-user', key: keys.header('x-user'), onMissingKey: 'deny', policy: perMinute('u', 1) }] });
    expect(await strict.check(noAddress())).toMatchObject({ kind: 'limited', reason: 'missing-key' });
    const both = createRateLimiter({ clock: createTestClock(), rules: [{ name: 'ip-route', key: keys.all(perIp(), keys.route()), policy: perMinute('ir', 5) }] });
    expect(await both.check(noAddress())).toMatchObject({ kind: 'limited', reason: 'missing-key' });
  });

  it('a denying rule without a key goes first and costs the other rules no token; in shadow mode it only reports', async () => {
    const limiter = createRateLimiter({
      clock: createTestClock(),
      rules: [
        { name: 'global', key: keys.global(), policy: perMinute('g', 1) },
        { name: 'per-ip', key: perIp(), policy: perMinute('ip', 100) },
      ],
    });
    expect(await limiter.check(noAddress())).toMatchObject({ kind: 'limited', reason: 'missing-key', rule: 'per-ip' });
    expect((await limiter.check(req())).kind).toBe('allowed'); // the global token was not spent
    const shadow = createRateLimiter({ clock: createTestClock(), mode: 'shadow', rules: [{ name: 'per-ip', key: perIp(), policy: perMinute('ip', 100) }] });
    const d = await shadow.check(noAddress());
    expect(d.kind).toBe('allowed');
    expect(d.shadowLimited.map((s) => s.rule)).toEqual(['per-ip']);
  });

  it('rejects an unknown onMissingKey by path', () => {
    expect(() => createRateLimiter({ rules: [{ name: 'x', key: keys.global(), onMissingKey: 'skip' as never, policy: perMinute('x', 1) }] })).toThrow(/rules\[0\]\.onMissingKey/);
  });
});

describe('createRateLimiter - reason', () => {
  it("says 'store-unavailable' when a store failed closed, and 'limit' when a bucket is empty", async () => {
    const policy = perMinute('p', 1);
    const failing: LimiterStore = {
      scope: 'shared',
      take: async () => ({ kind: 'limited', limit: 1, remaining: 0, resetAfterMs: 1000, retryAfterMs: 1000, storeError: { reason: 'error', message: 'down', fallback: 'deny' } }),
    };
    const down = createRateLimiter({ clock: createTestClock(), store: failing, rules: [{ name: 'g', key: keys.global(), policy }] });
    expect(await down.check(req())).toMatchObject({ kind: 'limited', reason: 'store-unavailable', storeFailed: true });
    const up = createRateLimiter({ clock: createTestClock(), rules: [{ name: 'g', key: keys.global(), policy }] });
    await up.check(req());
    expect(await up.check(req())).toMatchObject({ kind: 'limited', reason: 'limit' });
  });
});
