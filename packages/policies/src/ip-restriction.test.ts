import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CONTINUE, cidrContains, formatIp, parseCidr, parseIp } from '@switchyard/core';
import { compileIpRestriction, ipRestrictionPolicy } from './ip-restriction.js';
import { createFrom, policyContext, syRequest, validate } from '../test/traffic-context.js';

const FORBIDDEN = { kind: 'reject', code: 'SY_FORBIDDEN', message: 'Access from this address is not allowed.' };
const run = (options: unknown, clientIp: string | undefined, request = syRequest()) => createFrom(ipRestrictionPolicy, options).inbound!(request, policyContext({ clientIp }));

describe('ip-restriction policy', () => {
  it('IPv4 allow list: inside passes, outside 403 SY_FORBIDDEN', () => {
    const opts = { allow: ['10.0.0.0/8', '192.0.2.7'] };
    expect(run(opts, '10.200.3.4')).toBe(CONTINUE);
    expect(run(opts, '192.0.2.7')).toBe(CONTINUE);
    expect(run(opts, '192.0.2.8')).toEqual(FORBIDDEN);
    expect(run(opts, '11.0.0.1')).toEqual(FORBIDDEN);
  });

  it('IPv6 ranges, any spelling of the address', () => {
    const opts = { allow: ['2001:db8::/32'] };
    expect(run(opts, '2001:db8:0:0::1')).toBe(CONTINUE);
    expect(run(opts, '[2001:DB8::abcd]')).toBe(CONTINUE);
    expect(run(opts, '2001:db9::1')).toEqual(FORBIDDEN);
    // An IPv6 address never matches an IPv4 range and the other way round.
    expect(run({ allow: ['0.0.0.0/0'] }, '2001:db8::1')).toEqual(FORBIDDEN);
    expect(run({ allow: ['::/0'] }, '10.0.0.1')).toEqual(FORBIDDEN);
  });

  it('IPv4-mapped IPv6 addresses are the IPv4 address they carry, on both sides', () => {
    expect(run({ allow: ['10.0.0.0/8'] }, '::ffff:10.1.2.3')).toBe(CONTINUE);
    expect(run({ deny: ['10.0.0.0/8'] }, '::ffff:10.1.2.3')).toEqual(FORBIDDEN);
    expect(run({ allow: ['::ffff:10.0.0.0/104'] }, '10.9.9.9')).toBe(CONTINUE);
  });

  it('deny wins over allow', () => {
    const opts = { allow: ['203.0.113.0/24'], deny: ['203.0.113.66'] };
    expect(run(opts, '203.0.113.65')).toBe(CONTINUE);
    expect(run(opts, '203.0.113.66')).toEqual(FORBIDDEN);
  });

  it('deny list alone: everything else passes', () => {
    expect(run({ deny: ['198.51.100.0/24'] }, '198.51.100.9')).toEqual(FORBIDDEN);
    expect(run({ deny: ['198.51.100.0/24'] }, '8.8.8.8')).toBe(CONTINUE);
  });

  it('no client address: denied by default, onMissingAddress allow lets it through; an unparsable one counts as none', () => {
    expect(run({ deny: ['10.0.0.0/8'] }, undefined)).toEqual(FORBIDDEN);
    expect(run({ deny: ['10.0.0.0/8'], onMissingAddress: 'allow' }, undefined)).toBe(CONTINUE);
    expect(run({ allow: ['10.0.0.0/8'] }, 'not-an-ip')).toEqual(FORBIDDEN);
  });

  it('trusted-proxy aware - decides on ctx.clientIp, never on headers or the raw peer', () => {
    // The pipeline derived 10.1.1.1 (the client behind a trusted proxy); a spoofed header and
    // the proxy's own peer address change nothing.
    const request = syRequest({ clientAddress: '192.0.2.1', headers: { 'x-forwarded-for': '192.0.2.50', 'true-client-ip': '192.0.2.50' } });
    expect(run({ allow: ['10.0.0.0/8'] }, '10.1.1.1', request)).toBe(CONTINUE);
    expect(run({ allow: ['192.0.2.0/24'] }, '10.1.1.1', request)).toEqual(FORBIDDEN);
  });

  it('options - invalid entries by path; an empty config is refused', () => {
    expect(validate(ipRestrictionPolicy, { allow: ['10.0.0.0/8', '10.0.0.0/33', 'example.com'] })).toMatchObject({
      ok: false,
      issues: [{ path: 'allow.1' }, { path: 'allow.2' }],
    });
    expect(validate(ipRestrictionPolicy, { allow: [] })).toMatchObject({ ok: false, issues: [{ message: 'needs at least one address in allow or deny' }] });
    expect(validate(ipRestrictionPolicy, { deny: ['::1'], onMissingAddress: 'maybe' })).toMatchObject({ ok: false, issues: [{ path: 'onMissingAddress' }] });
    expect(validate(ipRestrictionPolicy, { deny: ['::1'], block: ['::2'] })).toMatchObject({ ok: false, issues: [{ path: 'block' }] });
  });

  it('property - agrees with cidrContains for random addresses and ranges (v4, v6, mapped)', () => {
    const v4 = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })).map((b) => b.join('.'));
    const v6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((w) => w.map((x) => x.toString(16)).join(':'));
    const addr = fc.oneof(v4, v6, v4.map((a) => `::ffff:${a}`));
    const range = fc.oneof(
      fc.tuple(v4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`),
      fc.tuple(v6, fc.integer({ min: 0, max: 128 })).map(([a, p]) => `${a}/${p}`),
    );
    fc.assert(
      fc.property(fc.array(range, { maxLength: 3 }), fc.array(range, { maxLength: 3 }), addr, (allow, deny, address) => {
        if (allow.length + deny.length === 0) return;
        const ip = parseIp(address)!;
        const inAllow = allow.some((c) => cidrContains(parseCidr(c)!, ip));
        const inDeny = deny.some((c) => cidrContains(parseCidr(c)!, ip));
        const expected = !inDeny && (allow.length === 0 || inAllow);
        const allows = compileIpRestriction({ allow, deny });
        expect(allows(address)).toBe(expected);
        // The address's canonical spelling decides the same.
        expect(allows(formatIp(ip))).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });
});
