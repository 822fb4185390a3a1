import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CONTINUE, type GeoInfo } from '@switchyard/core';
import { geoFilterAllows, geoFilterPolicy } from './geo-filter.js';
import { createFrom, policyContext, syRequest, validate } from '../test/traffic-context.js';

const geo = (g: Omit<GeoInfo, 'source'>): GeoInfo => ({ source: 'test', ...g });
const run = (options: unknown, g: GeoInfo | undefined) => createFrom(geoFilterPolicy, options).inbound!(syRequest(), policyContext({ geo: g }));
const FORBIDDEN = { kind: 'reject', code: 'SY_FORBIDDEN', message: 'Access from this location is not allowed.' };

describe('geo-filter policy', () => {
  it('allow by country: listed passes, others 403 SY_FORBIDDEN', () => {
    const opts = { allow: { countries: ['de', 'FR'] } };
    expect(run(opts, geo({ country: 'DE' }))).toBe(CONTINUE);
    expect(run(opts, geo({ country: 'FR' }))).toBe(CONTINUE);
    expect(run(opts, geo({ country: 'US' }))).toEqual(FORBIDDEN);
  });

  it('deny by country, region (full ISO 3166-2) and ASN', () => {
    const opts = { deny: { countries: ['KP'], regions: ['UA-43'], asns: [64512] } };
    expect(run(opts, geo({ country: 'KP' }))).toEqual(FORBIDDEN);
    expect(run(opts, geo({ country: 'UA', region: '43' }))).toEqual(FORBIDDEN);
    expect(run(opts, geo({ country: 'UA', region: '30' }))).toBe(CONTINUE);
    expect(run(opts, geo({ country: 'US', asn: 64512 }))).toEqual(FORBIDDEN);
    expect(run(opts, geo({ country: 'US', asn: 13335 }))).toBe(CONTINUE);
  });

  it('deny wins over allow', () => {
    const opts = { allow: { countries: ['US'] }, deny: { regions: ['US-TX'] } };
    expect(run(opts, geo({ country: 'US', region: 'CA' }))).toBe(CONTINUE);
    expect(run(opts, geo({ country: 'US', region: 'TX' }))).toEqual(FORBIDDEN);
  });

  it('allow lists of several dimensions must all match', () => {
    const opts = { allow: { countries: ['US'], asns: [7018] } };
    expect(run(opts, geo({ country: 'US', asn: 7018 }))).toBe(CONTINUE);
    expect(run(opts, geo({ country: 'US', asn: 1 }))).toEqual(FORBIDDEN);
  });

  it('unknown location: passes by default (ignoreUnknown true, as Zuplo); refused with ignoreUnknown false', () => {
    expect(run({ allow: { countries: ['US'] } }, undefined)).toBe(CONTINUE);
    expect(run({ allow: { countries: ['US'] } }, geo({ continent: 'EU' }))).toBe(CONTINUE);
    expect(run({ allow: { countries: ['US'] }, ignoreUnknown: false }, undefined)).toEqual(FORBIDDEN);
    expect(run({ deny: { countries: ['KP'] }, ignoreUnknown: false }, geo({}))).toEqual(FORBIDDEN);
    // Only the dimensions a list names need a value.
    expect(run({ allow: { countries: ['US'] }, ignoreUnknown: false }, geo({ country: 'US' }))).toBe(CONTINUE);
  });

  it('Tor and anonymous proxies: refused by default, even with ignoreUnknown; anonymous unknown treats them as unknown', () => {
    const tor = geo({ anonymous: 'tor' });
    expect(run({ deny: { countries: ['KP'] } }, tor)).toEqual(FORBIDDEN);
    expect(run({ allow: { countries: ['US'] } }, tor)).toEqual(FORBIDDEN);
    expect(run({ allow: { countries: ['US'] }, anonymous: 'unknown' }, tor)).toBe(CONTINUE);
    expect(run({ allow: { countries: ['US'] }, anonymous: 'unknown', ignoreUnknown: false }, tor)).toEqual(FORBIDDEN);
    // A proxy whose country is known is judged by it with anonymous 'unknown'.
    expect(run({ allow: { countries: ['US'] }, anonymous: 'unknown' }, geo({ country: 'FR', anonymous: 'proxy' }))).toEqual(FORBIDDEN);
  });

  it('spoofing - with its own header source, headers from an untrusted peer are unknown', () => {
    const p = createFrom(geoFilterPolicy, { source: 'cloudflare', allow: { countries: ['US'] }, ignoreUnknown: false });
    const req = syRequest({ headers: { 'cf-ipcountry': 'US' } });
    expect(p.inbound!(req, policyContext({ trustedPeer: false }))).toEqual(FORBIDDEN);
    expect(p.inbound!(req, policyContext({ trustedPeer: true }))).toBe(CONTINUE);
    expect(p.requires).toBeUndefined();
    expect(createFrom(geoFilterPolicy, { allow: { countries: ['US'] } }).requires).toEqual(['geo']);
  });

  it('reads attributes.geo set by a geo policy before it (ctx.geo())', () => {
    const p = createFrom(geoFilterPolicy, { deny: { countries: ['RU'] } });
    expect(p.inbound!(syRequest(), policyContext({ attributes: { geo: geo({ country: 'RU' }) } }))).toEqual(FORBIDDEN);
  });

  it('options - needs a list; codes validated by path', () => {
    expect(validate(geoFilterPolicy, {})).toMatchObject({ ok: false, issues: [{ message: 'needs an allow or a deny list' }] });
    expect(validate(geoFilterPolicy, { allow: {} })).toMatchObject({ ok: false, issues: [{ path: 'allow' }] });
    expect(validate(geoFilterPolicy, { allow: { countries: ['USA'] } })).toMatchObject({ ok: false, issues: [{ path: 'allow.countries.0' }] });
    expect(validate(geoFilterPolicy, { deny: { regions: ['TX'] } })).toMatchObject({ ok: false, issues: [{ path: 'deny.regions.0' }] });
    expect(validate(geoFilterPolicy, { deny: { asns: [-1] } })).toMatchObject({ ok: false, issues: [{ path: 'deny.asns.0' }] });
    expect(validate(geoFilterPolicy, { deny: { countries: ['KP'] }, anonymous: 'allow' })).toMatchObject({ ok: false, issues: [{ path: 'anonymous' }] });
  });

  it('property - agrees with the documented rules on every dimension, unknowns and anonymisers', () => {
    const cc = fc.constantFrom('US', 'DE', 'FR');
    const rc = fc.constantFrom('CA', 'TX', 'BY');
    const asn = fc.constantFrom(1, 2, 3);
    const list = fc.record({ countries: fc.uniqueArray(cc, { maxLength: 2 }), regions: fc.uniqueArray(fc.tuple(cc, rc).map(([c, r]) => `${c}-${r}`), { maxLength: 2 }), asns: fc.uniqueArray(asn, { maxLength: 2 }) });
    const info = fc.record(
      { country: cc, region: rc, asn, anonymous: fc.constantFrom<'tor' | 'proxy'>('tor', 'proxy') },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.option(list, { nil: undefined }), fc.option(list, { nil: undefined }), info, fc.boolean(), fc.constantFrom<'deny' | 'unknown'>('deny', 'unknown'), (allow, deny, g, ignoreUnknown, anonymous) => {
        const geoInfo = geo(g);
        const value = { countries: geoInfo.country, regions: geoInfo.country !== undefined && geoInfo.region !== undefined ? `${geoInfo.country}-${geoInfo.region}` : undefined, asns: geoInfo.asn } as const;
        const expected = ((): boolean => {
          if (geoInfo.anonymous !== undefined && anonymous === 'deny') return false;
          for (const dim of ['countries', 'regions', 'asns'] as const) {
            const a = allow?.[dim] ?? [];
            const d = deny?.[dim] ?? [];
            if (a.length === 0 && d.length === 0) continue;
            const v = value[dim];
            if (v === undefined) {
              if (!ignoreUnknown) return false;
              continue;
            }
            if ((d as readonly (string | number)[]).includes(v)) return false;
            if (a.length > 0 && !(a as readonly (string | number)[]).includes(v)) return false;
          }
          return true;
        })();
        expect(geoFilterAllows({ allow, deny, ignoreUnknown, anonymous }, geoInfo)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('property - a country on the deny list is never let through; with only an allow list, a known country passes iff listed', () => {
    const cc = fc.constantFrom('US', 'DE', 'FR', 'JP', 'BR', 'KP', 'CN', 'IN');
    fc.assert(
      fc.property(fc.uniqueArray(cc, { maxLength: 4 }), fc.uniqueArray(cc, { maxLength: 4 }), cc, fc.boolean(), (allow, deny, country, ignoreUnknown) => {
        const opts = { ...(allow.length > 0 ? { allow: { countries: allow } } : {}), ...(deny.length > 0 ? { deny: { countries: deny } } : {}), ignoreUnknown };
        if (allow.length === 0 && deny.length === 0) return;
        const ok = geoFilterAllows(opts, geo({ country }));
        if (deny.includes(country)) expect(ok).toBe(false);
        else expect(ok).toBe(allow.length === 0 || allow.includes(country));
      }),
      { numRuns: 1000 },
    );
  });
});
