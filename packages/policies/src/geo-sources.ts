/**
 * {@link GeoSource}s that read the client's location from the headers a CDN adds: Cloudflare,
 * CloudFront, Vercel, and a configurable one for any other (Fastly copies its VCL
 * `client.geo.*` variables into headers you choose).
 *
 * The spoofing rule: anyone can send `CF-IPCountry: US`. A header source believes these headers
 * only when the request reached the gateway through a trusted proxy (`info.trusted`: the TCP peer
 * is one of the gateway's configured trusted proxies, the rule `X-Forwarded-For` follows) and
 * answers `undefined` otherwise. Values are validated, never passed through: a country is two
 * ASCII letters (upper-cased), a region one to three letters or digits, coordinates finite and in
 * range; anything else is treated as absent. The CDNs' "unknown" code (`XX`) is no country, and
 * Cloudflare's Tor code (`T1`) is reported as `country: undefined, anonymous: 'tor'`.
 *
 * Sources:
 * - Cloudflare: https://developers.cloudflare.com/fundamentals/reference/http-headers/
 *   (`CF-IPCountry`; `XX` unknown, `T1` Tor) and the "Add visitor location headers" managed
 *   transform (`cf-ipcity`, `cf-ipcontinent`, `cf-iplatitude`, `cf-iplongitude`, `cf-region`,
 *   `cf-region-code`, `cf-metro-code`, `cf-postal-code`, `cf-timezone`):
 *   https://developers.cloudflare.com/rules/transform/managed-transforms/reference/
 * - CloudFront: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/adding-cloudfront-headers.html
 *   (`CloudFront-Viewer-Country`, `-Country-Region` (the first-level ISO 3166-2 subdivision,
 *   up to three characters), `-City`, `-Latitude`, `-Longitude`, `-Time-Zone`, `-ASN`), present
 *   only when an origin request policy adds them.
 * - Vercel: https://vercel.com/docs/headers/request-headers (`x-vercel-ip-country`,
 *   `x-vercel-ip-country-region`, `x-vercel-ip-city` (percent-encoded: `@vercel/functions`
 *   decodes it with `decodeURIComponent`), `x-vercel-ip-latitude`, `x-vercel-ip-longitude`,
 *   `x-vercel-ip-timezone`).
 * - Fastly: https://www.fastly.com/documentation/reference/vcl/variables/geolocation (no
 *   headers by default: `set req.http.x-geo-country = client.geo.country_code;` in VCL, then
 *   {@link headerGeoSource} with those names).
 *
 * @module
 */
import type { GeoInfo, GeoSource, SyRequest } from '@switchyard/core';

/** Which request header carries each field, for {@link headerGeoSource}. Names are lower-cased. */
export interface GeoHeaderNames {
  // Deliberately alike: core/src/policy.ts (GeoInfo), policies/src/rate-limit.ts (RateLimitOptions) — the header that carries each GeoInfo field (names, all strings) beside the values themselves (numbers for latitude, longitude, asn); a data type's list of optional readonly fields: alike in shape only
  /** ISO 3166-1 alpha-2 country code. */
  readonly country?: string | undefined;
  /** The subdivision part of the ISO 3166-2 code (`CA` for California), up to three characters. */
  readonly region?: string | undefined;
  readonly city?: string | undefined;
  /** Two-letter continent code (`EU`, `NA`, …). */
  readonly continent?: string | undefined;
  readonly latitude?: string | undefined;
  readonly longitude?: string | undefined;
  /** IANA time zone name (`Europe/Paris`). */
  readonly timezone?: string | undefined;
  /** Autonomous system number (`13335` or `AS13335`). */
  readonly asn?: string | undefined;
}

/** Options of {@link headerGeoSource}. */
export interface HeaderGeoSourceOptions {
  /** `GeoInfo.source` of what it answers (default `headers`). */
  readonly name?: string | undefined;
  readonly headers: GeoHeaderNames;
  /** Country codes meaning "unknown" (default `['XX']`); anything not two letters is unknown anyway. */
  readonly unknownCountries?: readonly string[] | undefined;
  /** Country codes meaning "Tor exit node" (default `['T1']`). */
  readonly torCountries?: readonly string[] | undefined;
  /** The city header is percent-encoded (Vercel): decode it (default false). */
  readonly decodeCity?: boolean | undefined;
}

const CONTINENTS: ReadonlySet<string> = new Set(['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA']);

/** Two ASCII letters, upper-cased; `undefined` for anything else (`X1`, `USA`, `U S`, `US, DE`). */
export function normalizeCountryCode(value: string | undefined): string | undefined {
  if (value === undefined || value.length !== 2) return undefined;
  const a = value.charCodeAt(0) | 0x20;
  const b = value.charCodeAt(1) | 0x20;
  if (a < 0x61 || a > 0x7a || b < 0x61 || b > 0x7a) return undefined;
  return String.fromCharCode(a - 0x20, b - 0x20);
}

/** One to three ASCII letters or digits (the subdivision part of ISO 3166-2), upper-cased. */
export function normalizeRegionCode(value: string | undefined): string | undefined {
  if (value === undefined || value.length < 1 || value.length > 3) return undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) return undefined;
  }
  return value.toUpperCase();
}

function continentOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const up = value.toUpperCase();
  return CONTINENTS.has(up) ? up : undefined;
}

// A decimal number as CDNs write coordinates (`37.78`, `-122.4`): no exponent, no hex, no spaces.
const DECIMAL = /^-?\d{1,3}(\.\d{1,12})?$/;

function coordinate(value: string | undefined, limit: number): number | undefined {
  if (value === undefined || !DECIMAL.test(value)) return undefined;
  const n = Number(value);
  return n >= -limit && n <= limit ? n : undefined;
}

// IANA zone names: `Europe/Paris`, `America/Argentina/Buenos_Aires`, `Etc/GMT+3`, `UTC`.
const TIMEZONE = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;

function timezoneOf(value: string | undefined): string | undefined {
  return value !== undefined && TIMEZONE.test(value) ? value : undefined;
}

const ASN = /^(?:AS)?(\d{1,10})$/i;

function asnOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = ASN.exec(value);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return n <= 0xffffffff ? n : undefined;
}

/**
 * Header values reach a policy as byte strings (Node and Fetch `Headers` map each byte to the
 * code point of the same number), so a CDN's UTF-8 city name (`Zürich`) arrives as `ZÃ¼rich`.
 * When every character is a byte and the bytes are well-formed UTF-8, this decodes them;
 * anything else is returned as it is (a genuinely Latin-1 value, or already decoded text).
 */
export function utf8FromByteString(value: string): string {
  let ascii = true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff) return value;
    if (c >= 0x80) ascii = false;
  }
  if (ascii) return value;
  let out = '';
  for (let i = 0; i < value.length; ) {
    const b0 = value.charCodeAt(i);
    if (b0 < 0x80) {
      out += value[i];
      i++;
      continue;
    }
    // Lead byte: sequence length and the smallest code point it may encode (no overlongs).
    const len = b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 : b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > value.length) return value;
    let cp = b0 & (len === 2 ? 0x1f : len === 3 ? 0x0f : 0x07);
    for (let k = 1; k < len; k++) {
      const b = value.charCodeAt(i + k);
      if ((b & 0xc0) !== 0x80) return value;
      cp = (cp << 6) | (b & 0x3f);
    }
    if ((len === 3 && cp < 0x800) || (len === 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) return value;
    out += String.fromCodePoint(cp);
    i += len;
  }
  return out;
}

/** A city name: 1-128 characters, no control characters (the header carries the CDN's spelling). */
function cityOf(value: string | undefined, decode: boolean): string | undefined {
  if (value === undefined) return undefined;
  let s: string;
  if (decode) {
    try {
      s = decodeURIComponent(value);
    } catch {
      return undefined;
    }
  } else {
    s = utf8FromByteString(value);
  }
  s = s.trim();
  if (s.length === 0 || s.length > 128) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return undefined;
  }
  return s;
}

function header(request: SyRequest, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const v = request.headers[name];
  return v === undefined ? undefined : v.trim();
}

/**
 * A {@link GeoSource} over request headers you name (a CDN not built in, or Fastly, whose VCL
 * copies `client.geo.*` into headers of your choice). Believed only from trusted peers.
 *
 * @example
 * ```ts
 * import { headerGeoSource } from '@switchyard/policies';
 * // Fastly VCL: set req.http.x-geo-country = client.geo.country_code;
 * const fastly = headerGeoSource({ name: 'fastly', headers: { country: 'x-geo-country', region: 'x-geo-region' } });
 * ```
 */
export function headerGeoSource(options: HeaderGeoSourceOptions): GeoSource {
  const name = options.name ?? 'headers';
  const h = Object.freeze({ ...options.headers });
  for (const key of Object.keys(h) as (keyof GeoHeaderNames)[]) {
    const n = h[key];
    if (n !== undefined && n !== n.toLowerCase()) throw new TypeError(`headerGeoSource: header names are lower case (headers.${key}: '${n}')`);
  }
  const unknown = new Set((options.unknownCountries ?? ['XX']).map((c) => c.toUpperCase()));
  const tor = new Set((options.torCountries ?? ['T1']).map((c) => c.toUpperCase()));
  const decodeCity = options.decodeCity === true;
  return Object.freeze({
    name,
    lookup(request: SyRequest, info: { readonly trusted: boolean; readonly clientIp: string | undefined }): GeoInfo | undefined {
      // The spoofing rule: a CDN header from a peer that is not a trusted proxy is the client's own.
      if (!info.trusted) return undefined;
      const rawCountry = header(request, h.country);
      let country: string | undefined;
      let anonymous: 'tor' | undefined;
      if (rawCountry !== undefined) {
        const upper = rawCountry.toUpperCase();
        if (tor.has(upper)) anonymous = 'tor';
        else if (!unknown.has(upper)) country = normalizeCountryCode(rawCountry);
      }
      const region = country === undefined ? undefined : normalizeRegionCode(header(request, h.region));
      const geo: {
        -readonly [K in keyof GeoInfo]: GeoInfo[K];
      } = { source: name };
      if (country !== undefined) geo.country = country;
      if (region !== undefined) geo.region = region;
      if (anonymous !== undefined) geo.anonymous = anonymous;
      const city = cityOf(header(request, h.city), decodeCity);
      if (city !== undefined) geo.city = city;
      const continent = continentOf(header(request, h.continent));
      if (continent !== undefined) geo.continent = continent;
      const latitude = coordinate(header(request, h.latitude), 90);
      const longitude = coordinate(header(request, h.longitude), 180);
      // A coordinate alone is no position.
      if (latitude !== undefined && longitude !== undefined) {
        geo.latitude = latitude;
        geo.longitude = longitude;
      }
      const timezone = timezoneOf(header(request, h.timezone));
      if (timezone !== undefined) geo.timezone = timezone;
      const asn = asnOf(header(request, h.asn));
      if (asn !== undefined) geo.asn = asn;
      // Nothing usable: no answer (so a chain of sources can try the next one).
      return Object.keys(geo).length === 1 ? undefined : Object.freeze(geo);
    },
  });
}

/**
 * Cloudflare's headers: `CF-IPCountry` (`XX` unknown, `T1` Tor) and the visitor-location
 * headers of the "Add visitor location headers" managed transform (`cf-region-code`,
 * `cf-ipcity`, `cf-ipcontinent`, `cf-iplatitude`, `cf-iplongitude`, `cf-timezone`).
 * Believed only when the TCP peer is a trusted proxy (Cloudflare's ranges in `clientIdentity`).
 *
 * @example
 * ```ts
 * import { cloudflareGeoSource } from '@switchyard/policies';
 * const geo = cloudflareGeoSource().lookup(
 *   { method: 'GET', scheme: 'https', authority: 'a', path: '/', query: '', headers: { 'cf-ipcountry': 'de' }, attributes: {} },
 *   { trusted: true, clientIp: '203.0.113.7' },
 * ); // { source: 'cloudflare', country: 'DE' }
 * ```
 */
export function cloudflareGeoSource(): GeoSource {
  return headerGeoSource({
    name: 'cloudflare',
    headers: {
      country: 'cf-ipcountry',
      region: 'cf-region-code',
      city: 'cf-ipcity',
      continent: 'cf-ipcontinent',
      latitude: 'cf-iplatitude',
      longitude: 'cf-iplongitude',
      timezone: 'cf-timezone',
    },
  });
}

/**
 * CloudFront's `CloudFront-Viewer-*` headers (country, country-region, city, latitude,
 * longitude, time-zone, ASN): present only when an origin request policy adds them. Believed
 * only from trusted peers.
 */
export function cloudfrontGeoSource(): GeoSource {
  return headerGeoSource({
    name: 'cloudfront',
    headers: {
      country: 'cloudfront-viewer-country',
      region: 'cloudfront-viewer-country-region',
      city: 'cloudfront-viewer-city',
      latitude: 'cloudfront-viewer-latitude',
      longitude: 'cloudfront-viewer-longitude',
      timezone: 'cloudfront-viewer-time-zone',
      asn: 'cloudfront-viewer-asn',
    },
  });
}

/**
 * Vercel's `x-vercel-ip-*` headers (country, country-region, city (percent-decoded), latitude,
 * longitude, timezone). Believed only from trusted peers.
 */
export function vercelGeoSource(): GeoSource {
  return headerGeoSource({
    name: 'vercel',
    decodeCity: true,
    headers: {
      country: 'x-vercel-ip-country',
      region: 'x-vercel-ip-country-region',
      city: 'x-vercel-ip-city',
      latitude: 'x-vercel-ip-latitude',
      longitude: 'x-vercel-ip-longitude',
      timezone: 'x-vercel-ip-timezone',
    },
  });
}

/** The built-in header sources by name. */
export type BuiltinGeoSourceName = 'cloudflare' | 'cloudfront' | 'vercel';

/**
 * How a policy names its geo source in config: a built-in CDN, header names of your own, or (in
 * code) any {@link GeoSource} object, such as `@switchyard/geoip`'s MaxMind source.
 */
export type GeoSourceSpec = BuiltinGeoSourceName | ({ readonly headers: GeoHeaderNames } & Omit<HeaderGeoSourceOptions, 'headers'>) | GeoSource;

/** True for a {@link GeoSource} object (a `name` and a `lookup` function). */
export function isGeoSource(value: unknown): value is GeoSource {
  return typeof value === 'object' && value !== null && typeof (value as { lookup?: unknown }).lookup === 'function' && typeof (value as { name?: unknown }).name === 'string';
}

/** Builds the source a {@link GeoSourceSpec} names. */
export function geoSourceFor(spec: GeoSourceSpec): GeoSource {
  if (spec === 'cloudflare') return cloudflareGeoSource();
  if (spec === 'cloudfront') return cloudfrontGeoSource();
  if (spec === 'vercel') return vercelGeoSource();
  if (isGeoSource(spec)) return spec;
  return headerGeoSource(spec);
}

/**
 * Several sources tried in order; the first answer wins (a CDN header, then a MaxMind database
 * for requests that did not come through the CDN).
 */
export function firstGeoSource(sources: readonly GeoSource[]): GeoSource {
  if (sources.length === 1) return sources[0] as GeoSource;
  const list = [...sources];
  return Object.freeze({
    name: list.map((s) => s.name).join('|'),
    lookup(request: SyRequest, info: { readonly trusted: boolean; readonly clientIp: string | undefined }): GeoInfo | undefined {
      for (const s of list) {
        const geo = s.lookup(request, info);
        if (geo !== undefined) return geo;
      }
      return undefined;
    },
  });
}
