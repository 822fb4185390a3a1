import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { InboundResult, PolicyContinue, PolicyReject } from '@switchyard/core';
import { createTestClock } from '@switchyard/testing';
import { apiKey, apiKeyPolicy, createMemoryKeyStore, digestApiKey, generateApiKey, type Consumer, type KeyStore } from './index.js';
import { build, ctx, request } from '../test/context.js';

const ACME_KEY = 'sk_live_acme_0123456789abcdef';
const consumers = [
  { id: 'acme', tier: 'enterprise', metadata: { plan: 'gold', region: 'eu' }, keys: [ACME_KEY] },
  { id: 'bob', tier: 'free', keys: [digestApiKey('bob-key-0000000000000000')] },
];

function sync(r: InboundResult | Promise<InboundResult>): InboundResult {
  if (r instanceof Promise) throw new Error('expected a synchronous answer');
  return r;
}

function bearer(key: string) {
  return request({ headers: { authorization: `Bearer ${key}`, accept: 'application/json' } });
}

describe('api-key', () => {
  it('valid bearer key - continues with the consumer identity { sub, data: { ...metadata, tier }, via }', () => {
    const clock = createTestClock();
    const p = build(apiKey, { consumers }, { name: 'keys', clock });
    const r = sync(p.inbound!(bearer(ACME_KEY), ctx({ clock, policy: 'keys' }))) as PolicyContinue;
    expect(r.kind).toBe('continue');
    expect(r.identity).toEqual({ sub: 'acme', data: { plan: 'gold', region: 'eu', tier: 'enterprise' }, via: 'keys' });
    expect(p.provides).toEqual(['identity']);
  });

  it('a consumer given by digest in config is found by its key', () => {
    const clock = createTestClock();
    const p = build(apiKey, { consumers }, { clock });
    const r = sync(p.inbound!(bearer('bob-key-0000000000000000'), ctx({ clock }))) as PolicyContinue;
    expect(r.identity?.sub).toBe('bob');
    expect(r.identity?.data).toEqual({ tier: 'free' });
  });

  it('strips the key header before forwarding, keeping the other headers', () => {
    const clock = createTestClock();
    const p = build(apiKey, { consumers }, { clock });
    const r = sync(p.inbound!(bearer(ACME_KEY), ctx({ clock }))) as PolicyContinue;
    expect(r.request?.headers).toEqual({ accept: 'application/json' });
  });

  it('forwardKey: true - the request is forwarded unchanged', () => {
    const clock = createTestClock();
    const p = build(apiKey, { consumers, forwardKey: true }, { clock });
    const r = sync(p.inbound!(bearer(ACME_KEY), ctx({ clock }))) as PolicyContinue;
    expect(r.request).toBeUndefined();
  });

  it('missing key - 401 with a Bearer challenge without an error code (RFC 6750 §3.1)', () => {
    const clock = createTestClock();
    const p = build(apiKey, { consumers, realm: 'orders' }, { clock });
    const r = sync(p.inbound!(request(), ctx({ clock }))) as PolicyReject;
    expect(r).toMatchObject({ kind: 'reject', code: 'SY_UNAUTHORIZED', headers: { 'www-authenticate': 'Bearer realm="orders"' } });
  });

  it('another scheme in Authorization is not this policy\'s key: missing', () => {
    const clock = createTestClock();
    const p = build(apiKey, { consumers }, { clock });
    const r = sync(p.inbound!(request({ headers: { authorization: 'Basic YTpi' } }), ctx({ clock }))) as PolicyReject;
    expect(r.headers?.['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('unknown key - 401 invalid_token', () => {
    const clock = createTestClock();
    const p = build(apiKey, { consumers }, { clock });
    const r = sync(p.inbound!(bearer('nope-nope-nope'), ctx({ clock }))) as PolicyReject;
    expect(r).toMatchObject({ code: 'SY_UNAUTHORIZED', message: 'Invalid API key.', headers: { 'www-authenticate': 'Bearer realm="api", error="invalid_token"' } });
  });

  it('x-api-key header - the whole value is the key; challenge ApiKey naming the header', () => {
    const clock = createTestClock();
    const p = build(apiKey, { consumers, header: 'X-API-Key' }, { clock });
    const ok = sync(p.inbound!(request({ headers: { 'x-api-key': ACME_KEY, accept: '*/*' } }), ctx({ clock }))) as PolicyContinue;
    expect(ok.identity?.sub).toBe('acme');
    expect(ok.request?.headers).toEqual({ accept: '*/*' });
    const no = sync(p.inbound!(request(), ctx({ clock }))) as PolicyReject;
    expect(no.headers?.['www-authenticate']).toBe('ApiKey realm="api", in="header", name="x-api-key"');
  });

  it('query parameter - read (percent-decoded) and removed from the query before forwarding', () => {
    const clock = createTestClock();
    const p = build(apiKey, { consumers, header: false, query: 'api_key' }, { clock });
    const r = sync(p.inbound!(request({ query: `a=1&api_key=${encodeURIComponent(ACME_KEY)}&b=2` }), ctx({ clock }))) as PolicyContinue;
    expect(r.identity?.sub).toBe('acme');
    expect(r.request?.query).toBe('a=1&b=2');
    const no = sync(p.inbound!(request({ query: 'a=1' }), ctx({ clock }))) as PolicyReject;
    expect(no.headers?.['www-authenticate']).toBe('ApiKey realm="api", in="query", name="api_key"');
  });

  it('header first, then query: a key in both places is stripped from both', () => {
    const clock = createTestClock();
    const p = build(apiKey, { consumers, query: 'api_key' }, { clock });
    const r = sync(p.inbound!(request({ headers: { authorization: `Bearer ${ACME_KEY}` }, query: 'api_key=whatever' }), ctx({ clock }))) as PolicyContinue;
    expect(r.identity?.sub).toBe('acme');
    expect(r.request?.query).toBe('');
    expect(r.request?.headers).toEqual({});
  });

  it('a key in the query next to another scheme in Authorization: the Authorization header is forwarded untouched', () => {
    const clock = createTestClock();
    const p = build(apiKey, { consumers, query: 'api_key' }, { clock });
    const r = sync(p.inbound!(request({ headers: { authorization: 'Basic YTpi' }, query: `api_key=${ACME_KEY}&x=1` }), ctx({ clock }))) as PolicyContinue;
    expect(r.identity?.sub).toBe('acme');
    expect(r.request?.headers).toEqual({ authorization: 'Basic YTpi' });
    expect(r.request?.query).toBe('x=1');
  });

  it('allowAnonymous - no key continues without identity; an invalid key is still a 401 (Envoy allow_missing)', () => {
    const clock = createTestClock();
    const p = build(apiKey, { consumers, allowAnonymous: true }, { clock });
    expect(sync(p.inbound!(request(), ctx({ clock })))).toEqual({ kind: 'continue' });
    expect(sync(p.inbound!(bearer('bad-bad-bad'), ctx({ clock })))).toMatchObject({ code: 'SY_UNAUTHORIZED' });
  });

  it('allow - a consumer outside the tiers and consumers listed gets 403 SY_FORBIDDEN', () => {
    const clock = createTestClock();
    const p = build(apiKey, { consumers, allow: { tiers: ['enterprise'] } }, { clock });
    expect(sync(p.inbound!(bearer(ACME_KEY), ctx({ clock }))).kind).toBe('continue');
    const r = sync(p.inbound!(bearer('bob-key-0000000000000000'), ctx({ clock }))) as PolicyReject;
    expect(r).toMatchObject({ kind: 'reject', code: 'SY_FORBIDDEN', headers: { 'www-authenticate': 'Bearer realm="api", error="insufficient_scope"' } });
    const byId = build(apiKey, { consumers, allow: { consumers: ['bob'] } }, { clock });
    expect(sync(byId.inbound!(bearer('bob-key-0000000000000000'), ctx({ clock }))).kind).toBe('continue');
    expect(sync(byId.inbound!(bearer(ACME_KEY), ctx({ clock }))).kind).toBe('reject');
  });

  it('malformed keys are refused with no store call: prefix, checksum, length, characters', () => {
    const clock = createTestClock();
    const lookup = vi.fn<KeyStore['lookup']>(() => undefined);
    const p = build(apiKey, { store: { lookup }, prefix: 'sk', checksum: true, maxKeyLength: 80 }, { clock });
    const good = generateApiKey({ prefix: 'sk' });
    const typo = good.slice(0, 10) + (good[10] === 'a' ? 'b' : 'a') + good.slice(11);
    for (const bad of ['pk_' + good.slice(3), typo, good.slice(0, -1), 'sk_' + 'a'.repeat(100), 'sk_abc\u00e9_12345678', good + 'x', 'sk__00000000']) {
      expect(sync(p.inbound!(bearer(bad), ctx({ clock })))).toMatchObject({ code: 'SY_UNAUTHORIZED', message: 'Invalid API key.' });
    }
    expect(lookup).not.toHaveBeenCalled();
    p.inbound!(bearer(good), ctx({ clock }));
    expect(lookup).toHaveBeenCalledTimes(1);
  });

  it('generateApiKey keys pass the checksum, and their digest finds the consumer', () => {
    const clock = createTestClock();
    const key = generateApiKey({ prefix: 'zpka', byteLength: 16 });
    expect(key).toMatch(/^zpka_[0-9a-f]{32}_[0-9a-f]{8}$/);
    const p = build(apiKey, { consumers: [{ id: 'c', keys: [digestApiKey(key)] }], prefix: 'zpka', checksum: true }, { clock });
    expect((sync(p.inbound!(bearer(key), ctx({ clock }))) as PolicyContinue).identity?.sub).toBe('c');
  });

  it('the store is asked with the SHA-256 digest, never the key', () => {
    const clock = createTestClock();
    const lookup = vi.fn<KeyStore['lookup']>(() => ({ id: 'acme' }));
    const p = build(apiKey, { store: { lookup } }, { clock });
    p.inbound!(bearer(ACME_KEY), ctx({ clock }));
    expect(lookup).toHaveBeenCalledWith(digestApiKey(ACME_KEY).slice('sha256:'.length));
  });

  it('revoked key - still accepted within the cache TTL, refused after it', () => {
    const clock = createTestClock();
    const store = createMemoryKeyStore(consumers);
    const p = build(apiKey, { store, cacheTtlMs: 60_000 }, { clock });
    expect(sync(p.inbound!(bearer(ACME_KEY), ctx({ clock }))).kind).toBe('continue');
    expect(store.revokeKey(ACME_KEY)).toBe(true);
    clock.advance(59_999);
    expect(sync(p.inbound!(bearer(ACME_KEY), ctx({ clock }))).kind).toBe('continue');
    clock.advance(1);
    expect(sync(p.inbound!(bearer(ACME_KEY), ctx({ clock })))).toMatchObject({ code: 'SY_UNAUTHORIZED' });
  });

  it('invalid results are cached too: one lookup per unknown key per TTL', () => {
    const clock = createTestClock();
    const lookup = vi.fn<KeyStore['lookup']>(() => undefined);
    const p = build(apiKey, { store: { lookup }, cacheTtlMs: 1000 }, { clock });
    for (let i = 0; i < 5; i++) p.inbound!(bearer('unknown-key-1'), ctx({ clock }));
    expect(lookup).toHaveBeenCalledTimes(1);
    clock.advance(1000);
    p.inbound!(bearer('unknown-key-1'), ctx({ clock }));
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  it('cacheTtlMs: 0 - every request asks the store (revocation is immediate)', () => {
    const clock = createTestClock();
    const store = createMemoryKeyStore(consumers);
    const p = build(apiKey, { store, cacheTtlMs: 0 }, { clock });
    expect(sync(p.inbound!(bearer(ACME_KEY), ctx({ clock }))).kind).toBe('continue');
    store.revokeKey(ACME_KEY);
    expect(sync(p.inbound!(bearer(ACME_KEY), ctx({ clock }))).kind).toBe('reject');
  });

  it('the cache is bounded by cacheSize: the oldest digest is evicted first', () => {
    const clock = createTestClock();
    const lookup = vi.fn<KeyStore['lookup']>(() => undefined);
    const p = build(apiKey, { store: { lookup }, cacheSize: 2 }, { clock });
    for (const k of ['key-aaaa', 'key-bbbb', 'key-cccc']) p.inbound!(bearer(k), ctx({ clock }));
    expect(lookup).toHaveBeenCalledTimes(3);
    p.inbound!(bearer('key-cccc'), ctx({ clock }));
    p.inbound!(bearer('key-bbbb'), ctx({ clock }));
    expect(lookup).toHaveBeenCalledTimes(3);
    p.inbound!(bearer('key-aaaa'), ctx({ clock }));
    expect(lookup).toHaveBeenCalledTimes(4);
  });

  it('an asynchronous store - a promise on a miss, then synchronous answers from the cache; concurrent misses share one lookup', async () => {
    const clock = createTestClock();
    const lookup = vi.fn((digest: string): Promise<Consumer | undefined> => Promise.resolve(digest === digestApiKey(ACME_KEY).slice(7) ? { id: 'acme', tier: 'free' } : undefined));
    const p = build(apiKey, { store: { lookup } }, { clock });
    const a = p.inbound!(bearer(ACME_KEY), ctx({ clock }));
    const b = p.inbound!(bearer(ACME_KEY), ctx({ clock }));
    expect(a).toBeInstanceOf(Promise);
    expect(((await a) as PolicyContinue).identity?.sub).toBe('acme');
    expect(((await b) as PolicyContinue).identity?.sub).toBe('acme');
    expect(lookup).toHaveBeenCalledTimes(1);
    expect((sync(p.inbound!(bearer(ACME_KEY), ctx({ clock }))) as PolicyContinue).identity?.sub).toBe('acme');
  });

  it('a store that fails answers 503 SY_STORE_UNAVAILABLE and caches nothing', async () => {
    const clock = createTestClock();
    let down = true;
    const lookup = vi.fn((): Promise<Consumer | undefined> => (down ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve({ id: 'acme' })));
    const p = build(apiKey, { store: { lookup } }, { clock });
    expect(await p.inbound!(bearer(ACME_KEY), ctx({ clock }))).toMatchObject({ code: 'SY_STORE_UNAVAILABLE' });
    const throwing = build(apiKey, { store: { lookup: () => { throw new Error('boom'); } } }, { clock });
    expect(sync(throwing.inbound!(bearer(ACME_KEY), ctx({ clock })))).toMatchObject({ code: 'SY_STORE_UNAVAILABLE' });
    down = false;
    expect(((await p.inbound!(bearer(ACME_KEY), ctx({ clock }))) as PolicyContinue).identity?.sub).toBe('acme');
  });

  it('options are validated with their path; store and consumers are exclusive; a store is required', () => {
    const issues = (input: unknown) => {
      const r = apiKey.options!['~standard'].validate(input);
      return 'issues' in r && r.issues !== undefined ? r.issues.map((i) => `${(i.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.')}: ${i.message}`) : [];
    };
    expect(issues({ consumers, cacheTtlMs: -1 })).toEqual(['cacheTtlMs: must be >= 0']);
    expect(issues({ consumers, prefix: 'a_b' })).toEqual(['prefix: must be 1 to 16 letters or digits']);
    expect(issues({ consumers, cacheTTL: 5 })).toEqual(['cacheTTL: is not an option of api-key']);
    expect(issues({ consumers: [{ id: 'a', keys: [1] }] })).toEqual(['consumers.0.keys.0: must be a string']);
    expect(issues({ store: {} })).toEqual(['store: must be a KeyStore (an object with a lookup function)']);
    expect(() => build(apiKey, {})).toThrow(/consumers: api-key needs consumers/);
    expect(() => build(apiKey, { consumers, store: createMemoryKeyStore() })).toThrow(/store: give store or consumers, not both/);
    expect(() => build(apiKey, { consumers, header: false })).toThrow(/header: with header: false, give query/);
    expect(issues({ consumers: [{ id: 'a', keys: ['k', 'sha256:xyz'] }] })).toEqual(['consumers.0.keys.1: must be sha256: followed by 64 hex characters (digestApiKey), or a plaintext key']);
    expect(issues({ consumers: [{ id: 'a' }] })).toEqual(['consumers.0.keys: is required']);
    expect(() => build(apiKey, { consumers: [{ id: 'a', keys: ['k'] }, { id: 'b', keys: ['k'] }] })).toThrow(/consumers: consumer "b" lists a key consumer "a" already has/);
    expect(() => build(apiKey, { consumers: [{ id: 'a', keys: [] }, { id: 'a', keys: [] }] })).toThrow(/consumers: consumer "a" is given twice/);
  });

  it('apiKeyPolicy({ store }) - a type whose instances use a store fixed in code', () => {
    const clock = createTestClock();
    const def = apiKeyPolicy({ type: 'api-key-shared', store: createMemoryKeyStore(consumers) });
    expect(def.type).toBe('api-key-shared');
    const p = build(def, { realm: 'x' }, { clock });
    expect(p.type).toBe('api-key-shared');
    expect((sync(p.inbound!(bearer(ACME_KEY), ctx({ clock }))) as PolicyContinue).identity?.sub).toBe('acme');
  });

  it('instances share nothing: two instances of one definition keep their own stores and caches', () => {
    const clock = createTestClock();
    const a = build(apiKey, { consumers: [{ id: 'a', keys: [ACME_KEY] }] }, { clock, name: 'a' });
    const b = build(apiKey, { consumers: [{ id: 'b', keys: ['other-key-000'] }] }, { clock, name: 'b' });
    expect((sync(a.inbound!(bearer(ACME_KEY), ctx({ clock }))) as PolicyContinue).identity?.sub).toBe('a');
    expect(sync(b.inbound!(bearer(ACME_KEY), ctx({ clock }))).kind).toBe('reject');
    expect((sync(b.inbound!(bearer('other-key-000'), ctx({ clock }))) as PolicyContinue).identity).toEqual({ sub: 'b', data: {}, via: 'b' });
  });

  it('describe - one line for explain(), without the consumers or keys', () => {
    const p = build(apiKey, { consumers, prefix: 'sk', checksum: true, query: 'api_key', allowAnonymous: true });
    expect(p.describe?.()).toBe('api-key from header authorization (Bearer) or query api_key, prefix sk_, checksum, cache 60000 ms, anonymous allowed');
  });

  it('property - nothing the policy returns contains the raw key or its digest, whatever the key', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[!-~]{8,64}$/), fc.boolean(), fc.constantFrom('header', 'query'), (key, known, where) => {
        const clock = createTestClock();
        const store = createMemoryKeyStore(known ? [{ id: 'c1', tier: 't', metadata: { m: 1 }, keys: [key] }] : []);
        const p = build(apiKey, where === 'header' ? { store } : { store, header: false, query: 'k' }, { clock });
        const req = where === 'header' ? request({ headers: { authorization: `Bearer ${key}` } }) : request({ query: `k=${encodeURIComponent(key)}` });
        const r = sync(p.inbound!(req, ctx({ clock })));
        const text = JSON.stringify(r) + (p.describe?.() ?? '');
        const digest = digestApiKey(key).slice(7);
        expect(digest).not.toBe(key);
        // The answer never echoes the key (it may legitimately contain short substrings of it, e.g. 'api').
        expect(text.includes(key) || text.includes(JSON.stringify(key).slice(1, -1))).toBe(false);
        expect(text.includes(digest)).toBe(false);
        if (r.kind === 'continue') expect(Object.keys(r.attributes ?? {})).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
