import { describe, expect, it } from 'vitest';
import { CONTINUE, definePolicy, type GeoSource, type InboundResult, type PolicyContinue } from '@switchyard/core';
import { EU_COUNTRIES, geoPolicy, type GeoOptions } from './geo.js';
import { createFrom, policyContext, syRequest, validate } from '../test/traffic-context.js';

const cf = (country: string, extra: Record<string, string> = {}) => syRequest({ headers: { 'cf-ipcountry': country, ...extra } });

function asContinue(r: InboundResult | Promise<InboundResult>): PolicyContinue {
  expect(r).not.toBeInstanceOf(Promise);
  const res = r as InboundResult;
  expect(res.kind).toBe('continue');
  return res as PolicyContinue;
}

describe('geo policy', () => {
  it('sets attributes geo, country, region (full ISO 3166-2) and continent from a trusted CDN', () => {
    const p = createFrom(geoPolicy, { source: 'cloudflare' });
    const r = asContinue(p.inbound!(cf('us', { 'cf-region-code': 'CA', 'cf-ipcontinent': 'NA' }), policyContext({ trustedPeer: true, clientIp: '203.0.113.7' })));
    expect(r.attributes).toEqual({ geo: { source: 'cloudflare', country: 'US', region: 'CA', continent: 'NA' }, country: 'US', region: 'US-CA', continent: 'NA' });
    expect(p.provides).toEqual(['geo']);
  });

  it('spoofing - the same headers from an untrusted peer set nothing', () => {
    const p = createFrom(geoPolicy, { source: 'cloudflare' });
    expect(p.inbound!(cf('US'), policyContext({ trustedPeer: false, clientIp: '203.0.113.7' }))).toBe(CONTINUE);
  });

  it('Tor - attributes say anonymous and no country (a stale country attribute is removed)', () => {
    const p = createFrom(geoPolicy, { source: 'cloudflare' });
    const r = asContinue(p.inbound!(cf('T1'), policyContext({ trustedPeer: true, attributes: { country: 'DE' } })));
    expect(r.attributes).toEqual({ geo: { source: 'cloudflare', anonymous: 'tor' }, country: undefined, region: undefined, continent: undefined });
    expect(Object.hasOwn(r.attributes!, 'country')).toBe(true); // undefined removes it (copy on write)
  });

  it('without a source it reads ctx.geo() (the gateway source)', () => {
    const p = createFrom(geoPolicy, {});
    const r = asContinue(p.inbound!(syRequest(), policyContext({ geo: { source: 'maxmind', country: 'JP', asn: 2497 } })));
    expect(r.attributes).toMatchObject({ country: 'JP', geo: { source: 'maxmind', asn: 2497 } });
  });

  it('a GeoSource object in code (MaxMind) is asked with the pipeline clientIp and trustedPeer', () => {
    const seen: unknown[] = [];
    const source: GeoSource = { name: 'fake', lookup: (_req, info) => (seen.push(info), { source: 'fake', country: 'BR' }) };
    const p = createFrom(geoPolicy, { source });
    asContinue(p.inbound!(syRequest(), policyContext({ clientIp: '198.51.100.1', trustedPeer: false })));
    expect(seen).toEqual([{ trusted: false, clientIp: '198.51.100.1' }]);
  });

  it('a code-registered source: a custom type over geo with a fixed source, named in config files by its type', () => {
    const maxmind: GeoSource = { name: 'maxmind', lookup: (_req, info) => (info.clientIp === '81.2.69.160' ? { source: 'maxmind', country: 'GB' } : undefined) };
    const geoMaxmind = definePolicy<GeoOptions>({
      type: 'geo-maxmind',
      options: geoPolicy.options,
      create: (options, deps) => ({ ...geoPolicy.create({ ...options, source: maxmind }, deps), type: 'geo-maxmind' }),
    });
    const p = createFrom(geoMaxmind, { backends: [{ backend: 'uk', countries: ['GB'] }] });
    expect(p.type).toBe('geo-maxmind');
    expect(asContinue(p.inbound!(syRequest(), policyContext({ clientIp: '81.2.69.160' })))).toMatchObject({ backend: 'uk', attributes: { country: 'GB' } });
  });

  it('a list of sources: the first that answers', () => {
    const fallback: GeoSource = { name: 'db', lookup: () => ({ source: 'db', country: 'NZ' }) };
    const p = createFrom(geoPolicy, { source: ['cloudflare', fallback] });
    expect(asContinue(p.inbound!(cf('AU'), policyContext({ trustedPeer: true }))).attributes).toMatchObject({ country: 'AU' });
    // Not through Cloudflare: the database answers.
    expect(asContinue(p.inbound!(cf('AU'), policyContext({ trustedPeer: false }))).attributes).toMatchObject({ country: 'NZ' });
  });

  it('EU callers to an EU backend - backend rules by country, default backend otherwise and when unknown', () => {
    const p = createFrom(geoPolicy, { source: 'cloudflare', backends: [{ backend: 'eu', countries: [...EU_COUNTRIES] }], defaultBackend: 'us' });
    expect(p.provides).toEqual(['geo', 'backend']);
    const ctx = policyContext({ trustedPeer: true });
    expect(asContinue(p.inbound!(cf('DE'), ctx)).backend).toBe('eu');
    expect(asContinue(p.inbound!(cf('fr'), ctx)).backend).toBe('eu');
    expect(asContinue(p.inbound!(cf('GB'), ctx)).backend).toBe('us');
    expect(asContinue(p.inbound!(cf('XX'), ctx)).backend).toBe('us');
    expect(asContinue(p.inbound!(cf('T1'), ctx)).backend).toBe('us');
    // Spoofed from outside the CDN: no location, the default.
    expect(asContinue(p.inbound!(cf('DE'), policyContext({ trustedPeer: false })))).toEqual({ kind: 'continue', backend: 'us' });
  });

  it('EU callers to an EU backend - the same as a custom policy reading ctx.geo() after geo', () => {
    // The pattern a team writes in code: geo sets attributes.geo; its own policy picks the backend.
    const euFirst = definePolicy<{ backend: string }>({
      type: 'eu-first',
      create: (o) => ({
        type: 'eu-first',
        inbound: (_req, ctx) => (EU_COUNTRIES.includes(ctx.geo()?.country ?? '') ? { kind: 'continue', backend: o.backend } : CONTINUE),
      }),
    });
    const geo = createFrom(geoPolicy, { source: 'vercel' });
    const pick = createFrom(euFirst, { backend: 'eu' });
    const r = asContinue(geo.inbound!(syRequest({ headers: { 'x-vercel-ip-country': 'PL' } }), policyContext({ trustedPeer: true })));
    const after = policyContext({ trustedPeer: true, attributes: r.attributes! });
    expect(pick.inbound!(syRequest(), after)).toEqual({ kind: 'continue', backend: 'eu' });
  });

  it('backend rules by continent and region, first match wins', () => {
    const p = createFrom(geoPolicy, {
      source: 'cloudflare',
      backends: [
        { backend: 'california', regions: ['us-ca'] },
        { backend: 'americas', continents: ['na', 'SA'] },
      ],
    });
    const ctx = policyContext({ trustedPeer: true });
    expect(asContinue(p.inbound!(cf('US', { 'cf-region-code': 'CA', 'cf-ipcontinent': 'NA' }), ctx)).backend).toBe('california');
    expect(asContinue(p.inbound!(cf('US', { 'cf-region-code': 'TX', 'cf-ipcontinent': 'NA' }), ctx)).backend).toBe('americas');
    // No default: the split decides.
    expect(asContinue(p.inbound!(cf('DE', { 'cf-ipcontinent': 'EU' }), ctx)).backend).toBeUndefined();
  });

  it('options - problems by path', () => {
    const r = validate(geoPolicy, { source: 'akamai', backends: [{ backend: 'eu', countries: ['DEU'] }, { backend: 'x' }], defaultBackend: '', extra: 1 });
    expect(r.ok).toBe(false);
    const paths = (r as { issues: { path: string; message: string }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['source', 'backends.0.countries.0', 'backends.1', 'defaultBackend', 'extra']));
    expect(validate(geoPolicy, { backends: [{ backend: 'eu', regions: ['CA'] }] })).toMatchObject({ ok: false, issues: [{ path: 'backends.0.regions.0' }] });
    expect(validate(geoPolicy, { source: { headers: { country: 'X-Country' } } }).ok).toBe(false);
  });

  it('describe - one line naming the source and the backend rules', () => {
    const p = createFrom(geoPolicy, { source: 'cloudfront', backends: [{ backend: 'eu', continents: ['EU'] }], defaultBackend: 'us' });
    expect(p.describe!()).toBe('geo from cloudfront: sets attributes geo, country, region, continent; backend eu for EU; us otherwise');
  });
});
