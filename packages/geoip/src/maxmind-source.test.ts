import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { cidrContains, parseCidr, parseIp } from '@switchyard/core';
import { createMaxMindGeoSource, geoInfoFromRecord } from './maxmind-source.js';
import { writeMmdb, type MmdbNetwork } from '../test/mmdb-writer.js';

// Records shaped as GeoLite2-City's (names trimmed to what the mapping reads).
const LONDON = {
  continent: { code: 'EU', geoname_id: 6255148, names: { en: 'Europe' } },
  country: { iso_code: 'GB', geoname_id: 2635167, names: { en: 'United Kingdom' } },
  registered_country: { iso_code: 'GB', geoname_id: 2635167, names: { en: 'United Kingdom' } },
  subdivisions: [{ iso_code: 'ENG', geoname_id: 6269131, names: { en: 'England' } }],
  city: { geoname_id: 2643743, names: { en: 'London', de: 'London', fr: 'Londres' } },
  location: { accuracy_radius: 100, latitude: 51.5142, longitude: -0.0931, time_zone: 'Europe/London' },
};
const SWEDEN = {
  continent: { code: 'EU', geoname_id: 6255148, names: { en: 'Europe' } },
  country: { iso_code: 'SE', geoname_id: 2661886, names: { en: 'Sweden' } },
  location: { accuracy_radius: 100, latitude: 62, longitude: 15, time_zone: 'Europe/Stockholm' },
};
const US_CA = {
  continent: { code: 'NA', geoname_id: 6255149, names: { en: 'North America' } },
  country: { iso_code: 'US', geoname_id: 6252001, names: { en: 'United States' } },
  subdivisions: [{ iso_code: 'CA', geoname_id: 5332921, names: { en: 'California' } }],
  city: { geoname_id: 5391959, names: { en: 'San Francisco' } },
  location: { accuracy_radius: 5, latitude: 37.7749, longitude: -122.4194, time_zone: 'America/Los_Angeles' },
  traits: { is_anonymous_proxy: true },
};
const TOR = { country: { iso_code: 'DE' }, traits: { is_tor_exit_node: true, is_anonymous: true } };
const REGISTERED_ONLY = { registered_country: { iso_code: 'JP' } };

const CITY_NETWORKS: MmdbNetwork[] = [
  { cidr: '81.2.69.0/24', data: LONDON },
  { cidr: '89.160.20.0/24', data: SWEDEN },
  { cidr: '2001:db8::/32', data: US_CA },
  { cidr: '198.51.100.0/24', data: TOR },
  { cidr: '203.0.113.0/24', data: REGISTERED_ONLY },
];
const ASN_NETWORKS: MmdbNetwork[] = [
  { cidr: '81.2.69.0/24', data: { autonomous_system_number: 20712, autonomous_system_organization: 'Andrews & Arnold Ltd' } },
  { cidr: '2001:db8::/32', data: { autonomous_system_number: 6939, autonomous_system_organization: 'Hurricane Electric' } },
];

const city = writeMmdb({ databaseType: 'GeoLite2-City', recordSize: 28, networks: CITY_NETWORKS });
const asn = writeMmdb({ databaseType: 'GeoLite2-ASN', recordSize: 24, networks: ASN_NETWORKS });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sy-geoip-'));
  await writeFile(join(dir, 'GeoLite2-City.mmdb'), city);
  await writeFile(join(dir, 'GeoLite2-ASN.mmdb'), asn);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const req = { method: 'GET', scheme: 'https', authority: 'a', path: '/', query: '', headers: {}, attributes: {} } as const;

describe('MaxMind geo source', () => {
  it('city database from a path - country, region, city, continent, location, time zone', async () => {
    const source = await createMaxMindGeoSource({ path: join(dir, 'GeoLite2-City.mmdb') });
    expect(source.databaseTypes).toEqual(['GeoLite2-City']);
    expect(source.lookup(req, { trusted: false, clientIp: '81.2.69.160' })).toEqual({
      source: 'maxmind',
      country: 'GB',
      region: 'ENG',
      city: 'London',
      continent: 'EU',
      latitude: 51.5142,
      longitude: -0.0931,
      timezone: 'Europe/London',
    });
    expect(source.lookupAddress('89.160.20.112')).toEqual({ source: 'maxmind', country: 'SE', continent: 'EU', latitude: 62, longitude: 15, timezone: 'Europe/Stockholm' });
  });

  it('looks up info.clientIp, trusted peer or not; no address or an unknown one is undefined', async () => {
    const source = await createMaxMindGeoSource({ buffer: city });
    expect(source.lookup(req, { trusted: true, clientIp: undefined })).toBeUndefined();
    expect(source.lookup(req, { trusted: true, clientIp: '8.8.8.8' })).toBeUndefined();
    expect(source.lookup(req, { trusted: true, clientIp: 'garbage' })).toBeUndefined();
    // Headers are never read: an address source.
    expect(source.lookup({ ...req, headers: { 'cf-ipcountry': 'FR' } }, { trusted: true, clientIp: '81.2.69.1' })?.country).toBe('GB');
  });

  it('IPv6 and IPv4-mapped addresses', async () => {
    const source = await createMaxMindGeoSource({ buffer: city });
    expect(source.lookupAddress('2001:db8:1234::1')).toMatchObject({ country: 'US', region: 'CA', city: 'San Francisco', continent: 'NA' });
    expect(source.lookupAddress('::ffff:81.2.69.160')).toMatchObject({ country: 'GB' });
    expect(source.lookupAddress('[2001:DB8::5]')).toMatchObject({ country: 'US' });
  });

  it('an IPv4-only database answers nothing for IPv6 addresses (not the record of their first 32 bits)', async () => {
    const v4 = writeMmdb({ databaseType: 'Test-Country-v4', ipVersion: 4, networks: [{ cidr: '32.0.0.0/8', data: { country: { iso_code: 'US' } } }] });
    const source = await createMaxMindGeoSource({ buffer: v4 });
    expect(source.lookupAddress('32.1.2.3')).toEqual({ source: 'maxmind', country: 'US' });
    // 2001:… starts with the bits of 32.1.…
    expect(source.lookupAddress('2001:db8::1')).toBeUndefined();
    expect(source.lookupAddress('::ffff:32.1.2.3')).toEqual({ source: 'maxmind', country: 'US' });
  });

  it('anonymisers - Tor exit nodes and anonymous proxies', async () => {
    const source = await createMaxMindGeoSource({ buffer: city });
    expect(source.lookupAddress('198.51.100.7')).toEqual({ source: 'maxmind', country: 'DE', anonymous: 'tor' });
    expect(source.lookupAddress('2001:db8::1')?.anonymous).toBe('proxy');
  });

  it('country is the user country, never registered_country', async () => {
    const source = await createMaxMindGeoSource({ buffer: city });
    expect(source.lookupAddress('203.0.113.5')).toBeUndefined();
  });

  it('an ASN database merged in; city names in another language with an English fallback', async () => {
    const source = await createMaxMindGeoSource({ path: join(dir, 'GeoLite2-City.mmdb'), asn: { path: join(dir, 'GeoLite2-ASN.mmdb') }, language: 'fr', name: 'geolite2' });
    expect(source.databaseTypes).toEqual(['GeoLite2-City', 'GeoLite2-ASN']);
    expect(source.lookupAddress('81.2.69.1')).toMatchObject({ source: 'geolite2', country: 'GB', city: 'Londres', asn: 20712 });
    expect(source.lookupAddress('2001:db8::9')).toMatchObject({ city: 'San Francisco', asn: 6939 });
    // An address only the ASN database knows.
    const asnOnly = await createMaxMindGeoSource({ buffer: asn });
    expect(asnOnly.lookupAddress('81.2.69.1')).toEqual({ source: 'maxmind', asn: 20712 });
  });

  it('watchForUpdates - close() stops watching; lookups keep the loaded data; twice is harmless', async () => {
    const path = join(dir, 'GeoLite2-City.mmdb');
    const source = await createMaxMindGeoSource({ path, watchForUpdates: true });
    expect(source.lookupAddress('81.2.69.1')?.country).toBe('GB');
    source.close();
    source.close();
    expect(source.lookupAddress('81.2.69.1')?.country).toBe('GB');
  });

  it('a missing file rejects; a bad cache size is refused', async () => {
    await expect(createMaxMindGeoSource({ path: join(dir, 'nope.mmdb') })).rejects.toThrow();
    await expect(createMaxMindGeoSource({ buffer: city, cacheSize: 0 })).rejects.toThrow(/cacheSize/);
  });

  it('geoInfoFromRecord ignores malformed fields', () => {
    expect(geoInfoFromRecord({ country: { iso_code: 'gbr' }, subdivisions: 'x', location: { latitude: 'n' } }, 'm')).toBeUndefined();
    expect(geoInfoFromRecord(null, 'm')).toBeUndefined();
  });

  it('property - every address in a network gets that network record (the cache changes nothing)', async () => {
    const source = await createMaxMindGeoSource({ buffer: city, cacheSize: 4 });
    const nets = CITY_NETWORKS.map((n) => ({ cidr: parseCidr(n.cidr)!, country: (n.data as { country?: { iso_code: string } }).country?.iso_code }));
    const v4 = fc.tuple(fc.constantFrom(81, 89, 198, 203, 8), fc.constantFrom(2, 160, 51, 0, 8), fc.constantFrom(69, 20, 100, 113, 8), fc.integer({ min: 0, max: 255 })).map((b) => b.join('.'));
    fc.assert(
      fc.property(v4, (address) => {
        const ip = parseIp(address)!;
        const net = nets.find((n) => cidrContains(n.cidr, ip));
        expect(source.lookupAddress(address)?.country).toBe(net?.country);
      }),
      { numRuns: 1000 },
    );
  });
});
