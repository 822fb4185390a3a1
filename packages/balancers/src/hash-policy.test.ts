import { createEndpoint, murmur3, type LoadBalancer, type SyRequest } from '@switchyard/core';
import { seededRng } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHashMemo, HASH_MEMO_MAX_KEY_LENGTH } from './hash-policy.js';
import { computeRequestHash, maglev, ringHash, hashByAttribute, hashByCookie, hashByHeader, hashByQueryParameter, hashBySourceIp, hashPolicyValue } from './index.js';

const req: SyRequest = {
  method: 'GET',
  scheme: 'https',
  authority: 'api.example.com',
  path: '/x',
  query: 'a=1&user=u%2042&user=second',
  headers: { 'x-user': 'alice', cookie: 'theme=dark; session="abc"' },
  clientAddress: '203.0.113.7',
  attributes: { tenant: 'acme', tier: 3 },
};

describe('hash policies', () => {
  it('read header, cookie, first query value, source IP and attributes', () => {
    expect(hashPolicyValue(hashByHeader('X-User'), req)).toBe('alice');
    expect(hashPolicyValue(hashByCookie('session'), req)).toBe('abc');
    expect(hashPolicyValue(hashByQueryParameter('user'), req)).toBe('u%2042');
    expect(hashPolicyValue(hashBySourceIp(), req)).toBe('203.0.113.7');
    expect(hashPolicyValue(hashByAttribute('tier'), req)).toBe('3');
    expect(hashPolicyValue(hashByCookie('missing'), req)).toBeUndefined();
  });

  it('combine as rotl(hash, 1) ^ h, stop at a terminal policy that produced a hash, and skip absent ones', () => {
    const h1 = murmur3('alice');
    const h2 = murmur3('203.0.113.7');
    expect(computeRequestHash([hashByHeader('x-user'), hashBySourceIp()], req)).toBe((((h1 << 1) | (h1 >>> 31)) ^ h2) >>> 0);
    expect(computeRequestHash([hashByHeader('x-user', true), hashBySourceIp()], req)).toBe(h1);
    expect(computeRequestHash([hashByHeader('x-none', true), hashBySourceIp()], req)).toBe(h2);
    expect(computeRequestHash([hashByHeader('x-none')], req)).toBeUndefined();
  });

  it('a hashing balancer keys on exactly computeRequestHash (single header policy, several, absent)', () => {
    const eps = Array.from({ length: 7 }, (_, i) => createEndpoint({ id: `h${i}`, url: `http://h${i}:80` }));
    for (const policies of [[hashByHeader('X-User')], [hashByHeader('x-none'), hashByCookie('session'), hashBySourceIp()], [hashByHeader('x-user', true), hashBySourceIp()]]) {
      for (const make of [() => maglev({ tableSize: 251, hashPolicy: policies }) as LoadBalancer<unknown>, () => ringHash({ minimumRingSize: 64, hashPolicy: policies }) as LoadBalancer<unknown>]) {
        const withPolicy = make();
        const s1 = withPolicy.create(eps, 0);
        fc.assert(
          fc.property(fc.option(fc.string({ unit: 'grapheme', maxLength: 20 }), { nil: undefined }), (user) => {
            const request: SyRequest = { ...req, headers: user === undefined ? {} : { 'x-user': user } };
            const expected = computeRequestHash(policies, request);
            const a = withPolicy.pick(s1, { eligible: eps, now: 0, rng: seededRng(9), request });
            const b = withPolicy.pick(s1, { eligible: eps, now: 0, rng: seededRng(9), ...(expected === undefined ? {} : { hash: expected }) });
            expect(a).toEqual(b);
          }),
          { numRuns: 200 },
        );
      }
    }
  });
});

describe('hash memo (hashCacheSize)', () => {
  const pool = ['alice', 'bob', 'carol', 'dave', 'ünïcødé', '🙂-emoji', 'x'.repeat(HASH_MEMO_MAX_KEY_LENGTH + 1), ''];
  const keyStream = fc.array(fc.oneof(fc.constantFrom(...pool), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ maxLength: 200 })), { maxLength: 300 });

  it('answers exactly murmur3 for every key, repeated or not, and never holds more than 2 × size keys', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), keyStream, (size, keys) => {
        const memo = createHashMemo(size);
        for (const key of keys) {
          // A fresh copy too: equal content, another string object.
          expect(memo(key)).toBe(murmur3(key));
          expect(memo(key.split('').join(''))).toBe(murmur3(key));
          expect(memo.retained()).toBeLessThanOrEqual(2 * size);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('steps aside when keys do not repeat, and remembers a hot set again afterwards', () => {
    const size = 4;
    const memo = createHashMemo(size);
    for (let i = 0; i < size; i++) memo(`cold-${i}`);
    expect(memo.retained()).toBe(size);
    memo('cold-next'); // young is full with no hits: the memo drops everything
    expect(memo.retained()).toBe(0);
    for (let i = 0; i < 16 * size; i++) expect(memo(`bypassed-${i}`)).toBe(murmur3(`bypassed-${i}`));
    expect(memo.retained()).toBe(0);
    for (let round = 0; round < 10; round++) for (const key of ['a', 'b']) expect(memo(key)).toBe(murmur3(key));
    expect(memo.retained()).toBe(2);
  });

  it(`does not retain keys longer than ${HASH_MEMO_MAX_KEY_LENGTH} characters`, () => {
    const memo = createHashMemo(16);
    const long = 'k'.repeat(HASH_MEMO_MAX_KEY_LENGTH + 1);
    expect(memo(long)).toBe(murmur3(long));
    expect(memo.retained()).toBe(0);
  });

  it('picks the same endpoints with the memo off (default), tiny or large', () => {
    const eps = Array.from({ length: 9 }, (_, i) => createEndpoint({ id: `m${i}`, url: `http://m${i}:80` }));
    const policies = [hashByHeader('x-user')];
    const variants = [undefined, 2, 1024].flatMap((hashCacheSize) => {
      const options = { hashPolicy: policies, ...(hashCacheSize === undefined ? {} : { hashCacheSize }) };
      return [maglev({ tableSize: 251, ...options }) as LoadBalancer<unknown>, ringHash({ minimumRingSize: 64, ...options }) as LoadBalancer<unknown>];
    });
    const states = variants.map((lb) => lb.create(eps, 0));
    fc.assert(
      fc.property(keyStream, (keys) => {
        for (const user of keys) {
          const input = { eligible: eps, now: 0, rng: seededRng(1), request: { ...req, headers: { 'x-user': user } } };
          const got = variants.map((lb, i) => {
            const r = lb.pick(states[i], input);
            return r.kind === 'picked' ? r.endpoint.id : r.reason;
          });
          // Maglev variants agree with each other, ring-hash variants with each other.
          for (let i = 2; i < got.length; i++) expect(got[i]).toBe(got[i % 2]);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('config - rejects a negative or fractional hashCacheSize', () => {
    expect(() => maglev({ hashCacheSize: -1 })).toThrow(/hashCacheSize/);
    expect(() => ringHash({ hashCacheSize: 1.5 })).toThrow(/hashCacheSize/);
  });
});
