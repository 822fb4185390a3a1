/**
 * A {@link GeoSource} over MaxMind databases (GeoLite2 / GeoIP2 City, Country, ASN, and any
 * database of the same record shape), read with `maxmind` (node-maxmind, on `mmdb-lib`): the
 * whole file in memory, lookups synchronous, decoded records kept in an LRU cache (node-maxmind's
 * `cache.max`, default 10 000).
 *
 * Looks up `info.clientIp`: the client address the gateway derived with its client-identity
 * rule (trusted proxies applied), never a header. An address source needs no trusted peer; the
 * address is only as good as that rule.
 *
 * Mapping to {@link GeoInfo} (GeoIP2 record fields, https://dev.maxmind.com/geoip/docs/databases/city-and-country):
 * `country.iso_code` → `country` (the country of the user, not `registered_country`, which is
 * the ISP's registration); `subdivisions[0].iso_code` (the most general subdivision, without the
 * country prefix) → `region`; `city.names[language]` → `city`; `continent.code` → `continent`;
 * `location.latitude` / `longitude` / `time_zone`; `traits.autonomous_system_number` or a
 * GeoLite2-ASN record's `autonomous_system_number` → `asn`; `traits.is_tor_exit_node` →
 * `anonymous: 'tor'`, `traits.is_anonymous` / `is_anonymous_proxy` → `anonymous: 'proxy'`
 * (GeoIP2 Enterprise and Anonymous IP data; GeoLite2 has none).
 *
 * @module
 */
import { unwatchFile } from 'node:fs';
import { formatIp, parseIp, type GeoInfo, type GeoSource, type SyRequest } from '@switchyard/core';
import { open, Reader, type Response } from 'maxmind';

/** A database given by path (read at creation; optionally reloaded on change) or by its bytes. */
export type MaxMindDatabase = { readonly path: string; readonly watchForUpdates?: boolean | undefined } | { readonly buffer: Uint8Array };

/** Options of {@link createMaxMindGeoSource}. */
export type MaxMindGeoSourceOptions = MaxMindDatabase & {
  /** A second database for ASNs (GeoLite2-ASN), merged into the first one's answer. */
  readonly asn?: MaxMindDatabase | undefined;
  /** Language of `city` names (default `en`); falls back to `en` when absent. */
  readonly language?: string | undefined;
  /** Decoded records kept per database (default 10 000, node-maxmind's). */
  readonly cacheSize?: number | undefined;
  /** `GeoInfo.source` (default `maxmind`). */
  readonly name?: string | undefined;
};

/** The source, with what it was built from. */
export interface MaxMindGeoSource extends GeoSource {
  /** `database_type` of each database (`GeoLite2-City`, `GeoLite2-ASN`, …). */
  readonly databaseTypes: readonly string[];
  /** Looks an address up directly (what `lookup` does with `info.clientIp`). */
  lookupAddress(address: string): GeoInfo | undefined;
  /**
   * Stops watching the database files (`watchForUpdates`); lookups keep working on the data
   * loaded last. Call it when the gateway stops or reloads to a config without this source.
   * Node's `fs.unwatchFile(path)` removes every `watchFile` listener of that path.
   */
  close(): void;
}

/** A small LRU over a Map (insertion order), for readers built from a buffer. */
function lru(max: number): { get(key: string | number): unknown; set(key: string | number, value: unknown): void } {
  const map = new Map<string | number, unknown>();
  return {
    get(key) {
      if (!map.has(key)) return undefined;
      const v = map.get(key);
      map.delete(key);
      map.set(key, v);
      return v;
    },
    set(key, value) {
      map.delete(key);
      map.set(key, value);
      if (map.size > max) map.delete(map.keys().next().value as string | number);
    },
  };
}

async function openDatabase(db: MaxMindDatabase, cacheSize: number): Promise<Reader<Response>> {
  if ('buffer' in db) {
    const bytes = db.buffer;
    const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return new Reader<Response>(buffer, { cache: lru(cacheSize) });
  }
  return open<Response>(db.path, { cache: { max: cacheSize }, ...(db.watchForUpdates === true ? { watchForUpdates: true, watchForUpdatesNonPersistent: true } : {}) });
}

type Rec = Readonly<Record<string, unknown>>;

function obj(v: unknown): Rec | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

const COUNTRY = /^[A-Z]{2}$/;
const REGION = /^[A-Z0-9]{1,3}$/;

/** Maps one GeoIP2/GeoLite2 record (City, Country, ASN, Enterprise) to a {@link GeoInfo}. */
export function geoInfoFromRecord(record: unknown, source: string, language = 'en'): GeoInfo | undefined {
  const r = obj(record);
  if (r === undefined) return undefined;
  const geo: { -readonly [K in keyof GeoInfo]: GeoInfo[K] } = { source };
  const country = str(obj(r['country'])?.['iso_code']);
  if (country !== undefined && COUNTRY.test(country)) geo.country = country;
  const subdivisions = r['subdivisions'];
  const region = Array.isArray(subdivisions) ? str(obj(subdivisions[0])?.['iso_code']) : undefined;
  if (geo.country !== undefined && region !== undefined && REGION.test(region)) geo.region = region;
  const names = obj(obj(r['city'])?.['names']);
  const city = str(names?.[language]) ?? str(names?.['en']);
  if (city !== undefined) geo.city = city;
  const continent = str(obj(r['continent'])?.['code']);
  if (continent !== undefined) geo.continent = continent;
  const location = obj(r['location']);
  const latitude = num(location?.['latitude']);
  const longitude = num(location?.['longitude']);
  if (latitude !== undefined && longitude !== undefined) {
    geo.latitude = latitude;
    geo.longitude = longitude;
  }
  const timezone = str(location?.['time_zone']);
  if (timezone !== undefined) geo.timezone = timezone;
  const traits = obj(r['traits']);
  const asn = num(traits?.['autonomous_system_number']) ?? num(r['autonomous_system_number']);
  if (asn !== undefined) geo.asn = asn;
  if (traits?.['is_tor_exit_node'] === true || r['is_tor_exit_node'] === true) geo.anonymous = 'tor';
  else if (traits?.['is_anonymous'] === true || traits?.['is_anonymous_proxy'] === true || r['is_anonymous'] === true) geo.anonymous = 'proxy';
  return Object.keys(geo).length === 1 ? undefined : Object.freeze(geo);
}

/**
 * One record, or `undefined`. An IPv4-only database (`ip_version` 4) has no answer for an IPv6
 * address (the reader would walk its 32-bit tree with the address's first bits and answer some
 * IPv4 network's record); a lookup that throws (a damaged file) is no answer either, never a
 * failed request.
 */
function get(reader: Reader<Response>, version: 4 | 6, address: string): unknown {
  if (version === 6 && reader.metadata.ipVersion === 4) return undefined;
  try {
    return reader.get(address);
  } catch {
    return undefined;
  }
}

/**
 * Opens MaxMind database(s) and returns a {@link GeoSource} over them. Async only because a
 * path is read from disk; lookups are synchronous.
 *
 * @example
 * ```ts
 * import { createMaxMindGeoSource } from '@switchyard/geoip';
 * const maxmind = await createMaxMindGeoSource({ path: '/var/lib/GeoIP/GeoLite2-City.mmdb', asn: { path: '/var/lib/GeoIP/GeoLite2-ASN.mmdb' } });
 * maxmind.lookupAddress('81.2.69.160'); // { source: 'maxmind', country: 'GB', city: 'London', … }
 * // In a gateway config (code): policies: { where: { type: 'geo', options: { source: maxmind } } }
 * ```
 */
export async function createMaxMindGeoSource(options: MaxMindGeoSourceOptions): Promise<MaxMindGeoSource> {
  const cacheSize = options.cacheSize ?? 10_000;
  if (!Number.isInteger(cacheSize) || cacheSize < 1) throw new TypeError('createMaxMindGeoSource: cacheSize must be a positive integer');
  const name = options.name ?? 'maxmind';
  const language = options.language ?? 'en';
  const main = await openDatabase(options, cacheSize);
  const asnDb = options.asn === undefined ? undefined : await openDatabase(options.asn, cacheSize);
  const watched = [options, options.asn].flatMap((db) => (db !== undefined && 'path' in db && db.watchForUpdates === true ? [db.path] : []));
  const lookupAddress = (address: string): GeoInfo | undefined => {
    const ip = parseIp(address);
    if (ip === undefined) return undefined;
    // Canonical text: a mapped `::ffff:1.2.3.4` is looked up as the IPv4 address it carries.
    const text = formatIp(ip);
    const geo = geoInfoFromRecord(get(main, ip.version, text), name, language);
    if (asnDb === undefined) return geo;
    const asn = num(obj(get(asnDb, ip.version, text))?.['autonomous_system_number']);
    if (asn === undefined || geo?.asn !== undefined) return geo;
    return Object.freeze({ ...(geo ?? { source: name }), asn });
  };
  return Object.freeze({
    name,
    databaseTypes: Object.freeze([main.metadata.databaseType, ...(asnDb === undefined ? [] : [asnDb.metadata.databaseType])]),
    lookupAddress,
    close() {
      for (const path of watched.splice(0)) unwatchFile(path);
    },
    lookup(_request: SyRequest, info: { readonly trusted: boolean; readonly clientIp: string | undefined }): GeoInfo | undefined {
      return info.clientIp === undefined ? undefined : lookupAddress(info.clientIp);
    },
  });
}
