import { createEndpoint, murmur3, type LoadBalancer, type SyRequest } from '@switchyard/core';
import { seededRng } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
