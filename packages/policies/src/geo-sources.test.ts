import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { GeoSource } from '@switchyard/core';
import { cloudflareGeoSource, cloudfrontGeoSource, firstGeoSource, geoSourceFor, headerGeoSource, utf8FromByteString, vercelGeoSource } from './geo-sources.js';
import { syRequest } from '../test/traffic-context.js';

const TRUSTED = { trusted: true, clientIp: '203.0.113.7' } as const;
const UNTRUSTED = { trusted: false, clientIp: '203.0.113.7' } as const;

const lookup = (source: GeoSource, headers: Record<string, string>, info: { trusted: boolean; clientIp: string | undefined } = TRUSTED) => source.lookup(syRequest({ headers }), info);

describe('header geo sources', () => {
  it('spoofing - CDN headers from a peer that is not a trusted proxy are ignored (every source)', () => {
    expect(lookup(cloudflareGeoSource(), { 'cf-ipcountry': 'US', 'cf-region-code': 'CA' }, UNTRUSTED)).toBeUndefined();
    expect(lookup(cloudfrontGeoSource(), { 'cloudfront-viewer-country': 'US' }, UNTRUSTED)).toBeUndefined();
    expect(lookup(vercelGeoSource(), { 'x-vercel-ip-country': 'US' }, UNTRUSTED)).toBeUndefined();
    expect(lookup(headerGeoSource({ headers: { country: 'x-geo-country' } }), { 'x-geo-country': 'US' }, UNTRUSTED)).toBeUndefined();
  });

  it('cloudflare - country upper-cased, visitor-location headers mapped', () => {
    const geo = lookup(cloudflareGeoSource(), {
      'cf-ipcountry': 'us',
      'cf-region-code': 'ca',
      'cf-ipcity': 'San Francisco',
      'cf-ipcontinent': 'NA',
      'cf-iplatitude': '37.7749',
      'cf-iplongitude': '-122.4194',
      'cf-timezone': 'America/Los_Angeles',
    });
    expect(geo).toEqual({ source: 'cloudflare', country: 'US', region: 'CA', city: 'San Francisco', continent: 'NA', latitude: 37.7749, longitude: -122.4194, timezone: 'America/Los_Angeles' });
  });

  it('cloudflare - XX is unknown: no country, and no answer when nothing else is known', () => {
    expect(lookup(cloudflareGeoSource(), { 'cf-ipcountry': 'XX' })).toBeUndefined();
    expect(lookup(cloudflareGeoSource(), { 'cf-ipcountry': 'XX', 'cf-ipcontinent': 'EU' })).toEqual({ source: 'cloudflare', continent: 'EU' });
  });

  it('cloudflare - T1 is Tor: country undefined, anonymous tor, region ignored', () => {
    expect(lookup(cloudflareGeoSource(), { 'cf-ipcountry': 'T1', 'cf-region-code': 'CA' })).toEqual({ source: 'cloudflare', anonymous: 'tor' });
    expect(lookup(cloudflareGeoSource(), { 'cf-ipcountry': 't1' })).toEqual({ source: 'cloudflare', anonymous: 'tor' });
  });

  it.each([['USA'], ['U1'], ['US, DE'], [''], ['ü1'], ['1'], ['U S']])('garbage country %j is no country', (value) => {
    expect(lookup(cloudflareGeoSource(), { 'cf-ipcountry': value })).toBeUndefined();
  });

  it('invalid fields are dropped one by one, valid ones kept', () => {
    const geo = lookup(cloudflareGeoSource(), {
      'cf-ipcountry': 'DE',
      'cf-region-code': 'BY-X',
      'cf-ipcity': 'Mu\u0000nich',
      'cf-ipcontinent': 'XX',
      'cf-iplatitude': '91',
      'cf-iplongitude': '11.5',
      'cf-timezone': '../etc/passwd',
    });
    expect(geo).toEqual({ source: 'cloudflare', country: 'DE' });
  });

  it('a UTF-8 city name received as a byte string is decoded; Latin-1 or decoded text is kept', () => {
    const bytes = (s: string) => String.fromCharCode(...new TextEncoder().encode(s));
    expect(lookup(cloudflareGeoSource(), { 'cf-ipcountry': 'CH', 'cf-ipcity': bytes('Zürich') })?.city).toBe('Zürich');
    expect(lookup(cloudfrontGeoSource(), { 'cloudfront-viewer-country': 'JP', 'cloudfront-viewer-city': bytes('東京') })?.city).toBe('東京');
    expect(lookup(cloudflareGeoSource(), { 'cf-ipcountry': 'DE', 'cf-ipcity': 'M\u00fcnchen' })?.city).toBe('M\u00fcnchen');
    expect(lookup(cloudflareGeoSource(), { 'cf-ipcountry': 'DE', 'cf-ipcity': 'Köln' })?.city).toBe('Köln');
  });

  it('utf8FromByteString - agrees with TextDecoder on well-formed input, leaves malformed input alone', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 12 }), (s) => {
        const b = String.fromCharCode(...new TextEncoder().encode(s));
        expect(utf8FromByteString(b)).toBe(new TextDecoder().decode(new TextEncoder().encode(s)));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (u) => {
        const b = String.fromCharCode(...u);
        const out = utf8FromByteString(b);
        let strict: string | undefined;
        try {
          strict = new TextDecoder('utf-8', { fatal: true }).decode(u);
        } catch {
          strict = undefined;
        }
        expect(out).toBe(strict ?? b);
      }),
      { numRuns: 2000 },
    );
  });

  it('a latitude without a longitude is no position', () => {
    expect(lookup(cloudflareGeoSource(), { 'cf-ipcountry': 'DE', 'cf-iplatitude': '48.1' })).toEqual({ source: 'cloudflare', country: 'DE' });
    expect(lookup(cloudflareGeoSource(), { 'cf-ipcountry': 'DE', 'cf-iplatitude': '1e3', 'cf-iplongitude': '0x10' })).toEqual({ source: 'cloudflare', country: 'DE' });
  });

  it('cloudfront - viewer headers with ASN', () => {
    const geo = lookup(cloudfrontGeoSource(), {
      'cloudfront-viewer-country': 'FR',
      'cloudfront-viewer-country-region': 'IDF',
      'cloudfront-viewer-city': 'Paris',
      'cloudfront-viewer-latitude': '48.8566',
      'cloudfront-viewer-longitude': '2.3522',
      'cloudfront-viewer-time-zone': 'Europe/Paris',
      'cloudfront-viewer-asn': '3215',
    });
    expect(geo).toEqual({ source: 'cloudfront', country: 'FR', region: 'IDF', city: 'Paris', latitude: 48.8566, longitude: 2.3522, timezone: 'Europe/Paris', asn: 3215 });
  });

  it('vercel - the city is percent-decoded; a malformed encoding drops it', () => {
    expect(lookup(vercelGeoSource(), { 'x-vercel-ip-country': 'MX', 'x-vercel-ip-country-region': 'JAL', 'x-vercel-ip-city': 'Guadalajara%20Centro' })).toEqual({
      source: 'vercel',
      country: 'MX',
      region: 'JAL',
      city: 'Guadalajara Centro',
    });
    expect(lookup(vercelGeoSource(), { 'x-vercel-ip-country': 'MX', 'x-vercel-ip-city': '%E0%A4%A' })).toEqual({ source: 'vercel', country: 'MX' });
    // A decoded control character is no city either.
    expect(lookup(vercelGeoSource(), { 'x-vercel-ip-country': 'MX', 'x-vercel-ip-city': 'a%0Db' })).toEqual({ source: 'vercel', country: 'MX' });
  });

  it('generic header source (Fastly) - names, own unknown codes, ASN with an AS prefix', () => {
    const fastly = headerGeoSource({ name: 'fastly', headers: { country: 'x-geo-country', asn: 'x-geo-asn' }, unknownCountries: ['**', 'A1'] });
    expect(lookup(fastly, { 'x-geo-country': 'a1', 'x-geo-asn': 'AS13335' })).toEqual({ source: 'fastly', asn: 13335 });
    expect(lookup(fastly, { 'x-geo-country': 'se' })).toEqual({ source: 'fastly', country: 'SE' });
    expect(lookup(fastly, { 'x-geo-asn': '99999999999' })).toBeUndefined();
    expect(() => headerGeoSource({ headers: { country: 'X-Geo' } })).toThrow(/lower case/);
  });

  it('firstGeoSource - the first source that answers wins; geoSourceFor builds specs', () => {
    const both = firstGeoSource([geoSourceFor('cloudflare'), geoSourceFor({ headers: { country: 'x-country' }, name: 'own' })]);
    expect(lookup(both, { 'x-country': 'IT' })).toEqual({ source: 'own', country: 'IT' });
    expect(lookup(both, { 'cf-ipcountry': 'ES', 'x-country': 'IT' })).toEqual({ source: 'cloudflare', country: 'ES' });
    expect(both.name).toBe('cloudflare|own');
  });

  it('property - a country is always two upper-case ASCII letters or absent; untrusted is always undefined', () => {
    const cf = cloudflareGeoSource();
    fc.assert(
      fc.property(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), (country, region) => {
        const geo = lookup(cf, { 'cf-ipcountry': country, 'cf-region-code': region });
        if (geo?.country !== undefined) expect(geo.country).toMatch(/^[A-Z]{2}$/);
        if (geo?.region !== undefined) expect(geo.region).toMatch(/^[A-Z0-9]{1,3}$/);
        expect(lookup(cf, { 'cf-ipcountry': country, 'cf-region-code': region }, UNTRUSTED)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });
});
