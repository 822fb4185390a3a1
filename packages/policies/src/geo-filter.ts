/**
 * The `geo-filter` policy: allow or deny callers by country, region (full ISO 3166-2, `US-CA`)
 * and autonomous system number, answering 403 `SY_FORBIDDEN` (Zuplo's `geo-filter-inbound`:
 * `allow` / `block` with `countries`, `regionCodes`, `asns` and `ignoreUnknown`, default `true`).
 *
 * Rules, in order:
 * 1. An anonymiser (`GeoInfo.anonymous`: a Tor exit from Cloudflare's `T1`, an anonymous proxy
 *    from MaxMind) is refused by default (`anonymous: 'deny'`): its location is hidden on
 *    purpose, so neither an allow list nor a deny list can be honoured for it. With
 *    `anonymous: 'unknown'` it is treated as any request whose location is unknown (rule 2).
 * 2. For each dimension a list names (in `allow` or `deny`): a request whose value is unknown
 *    passes that dimension when `ignoreUnknown` is true (the default, as Zuplo; the CDN's `XX`
 *    is a database gap, not an attack) and is refused when it is false.
 * 3. `deny`: a known value on any deny list refuses the request (deny wins over allow).
 * 4. `allow`: every dimension with an allow list must contain the request's known value.
 *
 * @module
 */
import * as v from 'valibot';
import { CONTINUE, definePolicy, type GeoInfo, type InboundResult, type PolicyContext, type PolicyReject, type SyRequest } from '@switchyard/core';
import type { GeoSourceSpec } from './geo-sources.js';
import { fullRegionCode, regionCodeSchema } from './geo.js';
import { geoLookupFor } from './internal/geo-lookup.js';
import { countryCodeSchema, geoSourceSchema } from './internal/traffic-schema.js';

/** One list of the `geo-filter` policy. */
export interface GeoFilterList {
  /** ISO 3166-1 alpha-2 codes. */
  readonly countries?: readonly string[] | undefined;
  /** Full ISO 3166-2 codes (`US-CA`): a bare `CA` would be ambiguous across countries. */
  readonly regions?: readonly string[] | undefined;
  /** Autonomous system numbers. */
  readonly asns?: readonly number[] | undefined;
}

/** Options of the `geo-filter` policy. At least one of `allow` and `deny`. */
export interface GeoFilterOptions {
  readonly allow?: GeoFilterList | undefined;
  readonly deny?: GeoFilterList | undefined;
  /** Unknown values pass the lists that would need them (default true, as Zuplo). */
  readonly ignoreUnknown?: boolean | undefined;
  /** Anonymisers (Tor, anonymous proxies): `deny` (default) or treat their location as `unknown`. */
  readonly anonymous?: 'deny' | 'unknown' | undefined;
  /** As the `geo` policy's `source`; default: `ctx.geo()` (a `geo` policy before it, else the gateway's source). */
  readonly source?: GeoSourceSpec | readonly GeoSourceSpec[] | undefined;
}

const asnSchema = v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be >= 0'), v.maxValue(4294967295, 'must be <= 4294967295'));

const listSchema = v.pipe(
  v.strictObject({
    countries: v.optional(v.array(countryCodeSchema, 'must be an array of country codes')),
    regions: v.optional(v.array(regionCodeSchema, 'must be an array of ISO 3166-2 codes')),
    asns: v.optional(v.array(asnSchema, 'must be an array of AS numbers')),
  }),
  v.check((l) => (l.countries?.length ?? 0) + (l.regions?.length ?? 0) + (l.asns?.length ?? 0) > 0, 'must list at least one of countries, regions, asns'),
);

/** The `geo-filter` policy's option schema. */
export const geoFilterOptionsSchema = v.pipe(
  v.strictObject({
    allow: v.optional(listSchema),
    deny: v.optional(listSchema),
    ignoreUnknown: v.optional(v.boolean('must be true or false')),
    anonymous: v.optional(v.picklist(['deny', 'unknown'], "must be 'deny' or 'unknown'")),
    source: v.optional(geoSourceSchema),
  }),
  v.check((o) => o.allow !== undefined || o.deny !== undefined, 'needs an allow or a deny list'),
);

interface Dimension {
  readonly allow: ReadonlySet<string | number> | undefined;
  readonly deny: ReadonlySet<string | number> | undefined;
  readonly value: (geo: GeoInfo | undefined) => string | number | undefined;
}

const FORBIDDEN: PolicyReject = Object.freeze({ kind: 'reject', code: 'SY_FORBIDDEN', message: 'Access from this location is not allowed.' });

// The schema upper-cases codes; a caller of `create` without it gets the same rule.
function upper(list: readonly string[] | undefined): readonly string[] | undefined {
  return list?.map((s) => s.toUpperCase());
}

function setOf<T extends string | number>(list: readonly T[] | undefined): ReadonlySet<T> | undefined {
  return list === undefined || list.length === 0 ? undefined : new Set(list);
}

/**
 * Decides one request: `true` to let it through. Exported for tests and for custom policies
 * that want the same rules.
 */
export function geoFilterAllows(options: GeoFilterOptions, geo: GeoInfo | undefined): boolean {
  return compileGeoFilter(options)(geo);
}

function compileGeoFilter(options: GeoFilterOptions): (geo: GeoInfo | undefined) => boolean {
  const ignoreUnknown = options.ignoreUnknown ?? true;
  const denyAnonymous = (options.anonymous ?? 'deny') === 'deny';
  const all: Dimension[] = [
    { allow: setOf(upper(options.allow?.countries)), deny: setOf(upper(options.deny?.countries)), value: (g) => g?.country },
    { allow: setOf(upper(options.allow?.regions)), deny: setOf(upper(options.deny?.regions)), value: (g) => fullRegionCode(g) },
    { allow: setOf(options.allow?.asns), deny: setOf(options.deny?.asns), value: (g) => g?.asn },
  ];
  const dims = all.filter((d) => d.allow !== undefined || d.deny !== undefined);
  return (geo) => {
    if (geo?.anonymous !== undefined && denyAnonymous) return false;
    for (const d of dims) {
      const value = d.value(geo);
      if (value === undefined) {
        if (!ignoreUnknown) return false;
        continue;
      }
      if (d.deny?.has(value) === true) return false;
      if (d.allow !== undefined && !d.allow.has(value)) return false;
    }
    return true;
  };
}

/**
 * `geo-filter`: 403 `SY_FORBIDDEN` for callers outside the allowed (or inside the denied)
 * countries, regions or networks.
 *
 * @example
 * ```ts
 * // config: policies: { euOnly: { type: 'geo-filter', options: { source: 'cloudflare', allow: { countries: ['DE', 'FR'] } } } }
 * import { geoFilterPolicy } from '@switchyard/policies';
 * const policy = geoFilterPolicy.create({ source: 'cloudflare', deny: { countries: ['KP'] } }, deps);
 * ```
 */
export const geoFilterPolicy = definePolicy<GeoFilterOptions>({
  type: 'geo-filter',
  summary: 'Allows or denies callers by country, region and ASN (403 SY_FORBIDDEN); anonymisers denied by default.',
  options: geoFilterOptionsSchema,
  create(options) {
    // Deliberately alike: policies/src/geo.ts (geoPolicy) — two policies defined the same way (definePolicy with type, summary, schema, create); what they share, the geo lookup, is one function (geoLookupFor)
    const { lookup, name } = geoLookupFor(options.source);
    const allows = compileGeoFilter(options);
    const lists = (l: GeoFilterList | undefined): string => [...(l?.countries ?? []), ...(l?.regions ?? []), ...(l?.asns ?? []).map((a) => `AS${a}`)].join(',');
    return {
      type: 'geo-filter',
      // Without a source of its own it reads ctx.geo(): a geo policy before it, or the gateway's source.
      ...(options.source === undefined ? { requires: ['geo'] as const } : {}),
      inbound(request: SyRequest, ctx: PolicyContext): InboundResult {
        return allows(lookup(request, ctx)) ? CONTINUE : FORBIDDEN;
      },
      describe() {
        const parts: string[] = [];
        if (options.allow !== undefined) parts.push(`allow ${lists(options.allow)}`);
        if (options.deny !== undefined) parts.push(`deny ${lists(options.deny)}`);
        parts.push(`unknown ${(options.ignoreUnknown ?? true) ? 'passes' : 'refused'}`, `anonymisers ${(options.anonymous ?? 'deny') === 'deny' ? 'refused' : 'as unknown'}`);
        return `geo-filter from ${name ?? 'ctx.geo()'}: ${parts.join('; ')} (403)`;
      },
    };
  },
});
