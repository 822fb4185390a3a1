import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SyRequest } from '@switchyard/core';
import { createClientIdentity, forwardedFor } from './client-ip.js';

function req(clientAddress: string | undefined, headers: Record<string, string> = {}): SyRequest {
  return { method: 'GET', scheme: 'https', authority: 'api', path: '/', query: '', headers, attributes: {}, ...(clientAddress === undefined ? {} : { clientAddress }) };
}

describe('createClientIdentity', () => {
  const behindLb = createClientIdentity({ trustedProxies: ['10.0.0.0/8'] });

  it('spoofed X-Forwarded-For - a client cannot choose its key by prepending addresses', () => {
    // The client sent "X-Forwarded-For: 1.1.1.1"; our proxy appended the real address.
    const r = behindLb(req('10.0.0.2', { 'x-forwarded-for': '1.1.1.1, 198.51.100.9' }));
    expect(r).toEqual({ address: '198.51.100.9', key: '198.51.100.9/32' });
    // Rotating the spoofed part does not change the key.
    expect(behindLb(req('10.0.0.2', { 'x-forwarded-for': '2.2.2.2, 3.3.3.3, 198.51.100.9' }))?.key).toBe('198.51.100.9/32');
  });

  it('spoofed X-Forwarded-For - ignored entirely when the peer is not a trusted proxy', () => {
    expect(behindLb(req('198.51.100.9', { 'x-forwarded-for': '10.0.0.5' }))?.address).toBe('198.51.100.9');
  });

  it('walks right to left over every trusted hop', () => {
    expect(behindLb(req('10.0.0.2', { 'x-forwarded-for': '203.0.113.1, 10.1.1.1, 10.2.2.2' }))?.address).toBe('203.0.113.1');
  });

  it('hop count - takes the entry N hops left of the peer, never further', () => {
    const two = createClientIdentity({ trustedHops: 2 });
    expect(two(req('192.0.2.1', { 'x-forwarded-for': '6.6.6.6, 203.0.113.4, 192.0.2.9' }))?.address).toBe('203.0.113.4');
    expect(two(req('192.0.2.1', { 'x-forwarded-for': '192.0.2.9' }))?.address).toBe('192.0.2.9');
    expect(createClientIdentity({ trustedHops: 0 })(req('192.0.2.1', { 'x-forwarded-for': '6.6.6.6' }))?.address).toBe('192.0.2.1');
  });

  it('IPv6 rotation within a /56 maps to one key; another /56 gets another', () => {
    const direct = createClientIdentity({ trustedProxies: [] });
    const a = direct(req('2001:db8:1:1ff:aaaa::1'))?.key;
    const b = direct(req('2001:db8:1:100:ffff:ffff:ffff:ffff'))?.key;
    const c = direct(req('2001:db8:1:200::1'))?.key;
    expect(a).toBe('2001:db8:1:100::/56');
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(createClientIdentity({ trustedProxies: [], ipv6Prefix: 64 })(req('2001:db8:1:1ff:aaaa::1'))?.key).toBe('2001:db8:1:1ff::/64');
  });

  it('IPv4-mapped IPv6 is the IPv4 client', () => {
    const direct = createClientIdentity({ trustedProxies: [] });
    expect(direct(req('::ffff:203.0.113.7'))).toEqual({ address: '203.0.113.7', key: '203.0.113.7/32' });
  });

  it('reads Forwarded (RFC 7239) with quotes, ports and IPv6 brackets', () => {
    expect(forwardedFor('for=192.0.2.43, for="[2001:db8:cafe::17]:4711";proto=https, for=198.51.100.17:80;by=x')).toEqual(['192.0.2.43', '[2001:db8:cafe::17]', '198.51.100.17']);
    const fwd = createClientIdentity({ trustedProxies: ['10.0.0.0/8'], header: 'forwarded' });
    expect(fwd(req('10.0.0.1', { forwarded: 'for=6.6.6.6, for="[2001:db8:cafe::17]:4711"' }))?.address).toBe('2001:db8:cafe::17');
  });

  it('a trusted proxy forwarding garbage yields the nearest address we can vouch for', () => {
    expect(behindLb(req('10.0.0.2', { 'x-forwarded-for': 'unknown' }))?.address).toBe('10.0.0.2');
  });

  it('requires an explicit trust setting and valid CIDRs', () => {
    expect(() => createClientIdentity({} as never)).toThrow(/trustedProxies/);
    expect(() => createClientIdentity({ trustedProxies: ['10.0.0.0/33', 'nope'] })).toThrow(/trustedProxies\[0\][\s\S]*trustedProxies\[1\]/);
  });

  it('returns undefined without a peer address', () => {
    expect(behindLb(req(undefined))).toBeUndefined();
  });
});

describe('createClientIdentity - remembered peers', () => {
  it('property: a resolver that has seen many peers (past its cache bound) answers as a fresh one, call by call', () => {
    const peer = fc.oneof(
      fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `10.0.${a}.${b}`),
      fc.constantFrom('2001:db8::1', '2001:db8:0:1ff::2', '::ffff:192.0.2.1', '10.0.0.1', 'not-an-ip'),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(peer, fc.option(fc.constantFrom('198.51.100.9', '6.6.6.6, 10.0.0.3', 'garbage'), { nil: undefined })), { maxLength: 60 }), fc.nat(5000), (calls, warmup) => {
        const options = { trustedProxies: ['10.0.0.0/24'] };
        const used = createClientIdentity(options);
        // Fill the cache past its bound with other peers first.
        for (let i = 0; i < warmup; i++) used(req(`172.16.${i >> 8}.${i & 255}`));
        for (const [clientAddress, xff] of calls) {
          const r = req(clientAddress, xff !== undefined ? { 'x-forwarded-for': xff } : {});
          expect(used(r)).toEqual(createClientIdentity(options)(r));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('identities handed out are frozen (a caller cannot alter what the next request gets)', () => {
    const clientOf = createClientIdentity({ trustedProxies: [] });
    const id = clientOf(req('192.0.2.7'));
    expect(Object.isFrozen(id)).toBe(true);
    expect(clientOf(req('192.0.2.7'))).toBe(id);
  });
});
