/**
 * Valibot pieces shared by the traffic policies' option schemas (geo, geo-filter,
 * ip-restriction, set-headers, request-size-limit, cors). Valibot 1.x schemas are Standard
 * Schemas, which is what `PolicyDefinition.options` takes.
 */
import * as v from 'valibot';
import { isSendableHeaderName, type GeoSource } from '@switchyard/core';
import { isGeoSource, normalizeCountryCode, type GeoSourceSpec } from '../geo-sources.js';

/** A header name as `SyRequest` stores it: a token, lower case. */
export const headerNameSchema = v.pipe(
  v.string('must be a string'),
  v.check((s) => isSendableHeaderName(s), 'must be a header name (an RFC 9110 token)'),
  v.check((s) => s === s.toLowerCase(), 'must be lower case (request headers are stored lower-cased)'),
);

/** An ISO 3166-1 alpha-2 country code (case-insensitive in config, upper-cased). */
export const countryCodeSchema = v.pipe(
  v.string('must be a string'),
  v.check((s) => normalizeCountryCode(s) !== undefined, 'must be an ISO 3166-1 alpha-2 country code (two letters)'),
  v.transform((s) => normalizeCountryCode(s) as string),
);

const headerNames = v.strictObject({
  country: v.optional(headerNameSchema),
  region: v.optional(headerNameSchema),
  city: v.optional(headerNameSchema),
  continent: v.optional(headerNameSchema),
  latitude: v.optional(headerNameSchema),
  longitude: v.optional(headerNameSchema),
  timezone: v.optional(headerNameSchema),
  asn: v.optional(headerNameSchema),
});

const headerSource = v.strictObject({
  headers: headerNames,
  name: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'))),
  unknownCountries: v.optional(v.array(v.string())),
  torCountries: v.optional(v.array(v.string())),
  decodeCity: v.optional(v.boolean()),
});

const oneSource = v.union(
  [v.picklist(['cloudflare', 'cloudfront', 'vercel']), headerSource, v.custom<GeoSource>((x) => isGeoSource(x))],
  "must be 'cloudflare', 'cloudfront', 'vercel', { headers: { country: '<header>', … } } or a GeoSource object",
);

/** A geo source spec, or a list of them tried in order. */
export const geoSourceSchema = v.union(
  [oneSource, v.pipe(v.array(oneSource), v.minLength(1, 'must name at least one source'))],
  "must be 'cloudflare', 'cloudfront', 'vercel', { headers: { country: '<header>', … } }, a GeoSource object or a non-empty list of these",
) as v.GenericSchema<unknown, GeoSourceSpec | GeoSourceSpec[]>;

/** A non-negative integer. */
export const nonNegativeInt = v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be >= 0'));
