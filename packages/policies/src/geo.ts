/**
 * The `geo` policy: looks the caller's location up once and puts it where later steps read it
 * (Zuplo's `context.incomingRequestProperties`, as request attributes): `attributes.geo` (the
 * {@link GeoInfo}), `attributes.country` (`DE`), `attributes.region` (the full ISO 3166-2 code,
 * `US-CA`, so it is unambiguous on its own) and `attributes.continent` (`EU`). Routes, canary
 * rules (`when: { attribute: 'country', in: [...] }`), limits keyed by attribute and rewrite
 * templates read them; the pipeline makes `ctx.geo()` return `attributes.geo` for later policies.
 *
 * Optionally it picks a backend by location (`backends`: first rule that matches, else
 * `defaultBackend`): the "EU callers to the EU backend" case in configuration alone. What happens
 * when that backend is unhealthy is the gateway's: see the policies guide (the `eu` backend's
 * upstream lists fallback endpoints at a lower priority, Envoy's priority failover).
 *
 * @module
 */
import * as v from 'valibot';
import { CONTINUE, definePolicy, type GeoInfo, type InboundResult, type PolicyContext, type SyRequest } from '@switchyard/core';
import type { GeoSourceSpec } from './geo-sources.js';
import { geoLookupFor } from './internal/geo-lookup.js';
import { countryCodeSchema, geoSourceSchema } from './internal/traffic-schema.js';

/**
 * The 27 member states of the European Union (ISO 3166-1 alpha-2; Greece is `GR`, not the EU's
 * own `EL`), for `backends: [{ backend: 'eu', countries: EU_COUNTRIES }]` in code.
 */
export const EU_COUNTRIES: readonly string[] = Object.freeze([
  'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK',
]);

/** One backend rule of the `geo` policy: any listed dimension that matches selects `backend`. */
export interface GeoBackendRule {
  /** A backend of the route, by name. */
  readonly backend: string;
  readonly countries?: readonly string[] | undefined;
  /** Continent codes: `AF`, `AN`, `AS`, `EU`, `NA`, `OC`, `SA`. */
  readonly continents?: readonly string[] | undefined;
  /** Full ISO 3166-2 codes (`US-CA`). */
  readonly regions?: readonly string[] | undefined;
}

/** Options of the `geo` policy. */
export interface GeoOptions {
  /**
   * Where the location comes from: `'cloudflare' | 'cloudfront' | 'vercel'`, header names of
   * your own (`{ headers: { country: 'x-geo-country' } }`), a {@link @switchyard/core!GeoSource} object in code
   * (`@switchyard/geoip`), or a list tried in order. Default: the gateway's source (`ctx.geo()`).
   */
  readonly source?: GeoSourceSpec | readonly GeoSourceSpec[] | undefined;
  /** Pick a backend by location: the first rule that matches wins. */
  readonly backends?: readonly GeoBackendRule[] | undefined;
  /** The backend when no rule matches (also when the location is unknown); unset: the route's split decides. */
  readonly defaultBackend?: string | undefined;
}

const CONTINENT_CODES = ['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'] as const;

/** `US-CA`: a country, a dash, one to three letters or digits; upper-cased. */
export const regionCodeSchema = v.pipe(
  v.string('must be a string'),
  v.regex(/^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$/, "must be a full ISO 3166-2 code such as 'US-CA'"),
  v.transform((s) => s.toUpperCase()),
);

const continentSchema = v.pipe(
  v.string('must be a string'),
  v.transform((s) => s.toUpperCase()),
  v.picklist(CONTINENT_CODES, `must be one of ${CONTINENT_CODES.join(', ')}`),
);

const backendName = v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'));

const ruleSchema = v.pipe(
  v.strictObject({
    backend: backendName,
    countries: v.optional(v.array(countryCodeSchema, 'must be an array of country codes')),
    continents: v.optional(v.array(continentSchema, 'must be an array of continent codes')),
    regions: v.optional(v.array(regionCodeSchema, 'must be an array of ISO 3166-2 codes')),
  }),
  v.check((r) => (r.countries?.length ?? 0) + (r.continents?.length ?? 0) + (r.regions?.length ?? 0) > 0, 'must list at least one of countries, continents, regions'),
);

/** The `geo` policy's option schema. */
export const geoOptionsSchema = v.strictObject({
  source: v.optional(geoSourceSchema),
  backends: v.optional(v.array(ruleSchema, 'must be an array of { backend, countries?, continents?, regions? }')),
  defaultBackend: v.optional(backendName),
});

interface CompiledRule {
  readonly backend: string;
  readonly countries: ReadonlySet<string>;
  readonly continents: ReadonlySet<string>;
  readonly regions: ReadonlySet<string>;
}

/** `US` + `CA` → `US-CA`. */
export function fullRegionCode(geo: GeoInfo | undefined): string | undefined {
  return geo?.country !== undefined && geo.region !== undefined ? `${geo.country}-${geo.region}` : undefined;
}

/**
 * `geo`: sets `attributes.geo`, `country`, `region` (`US-CA`) and `continent` from a
 * {@link @switchyard/core!GeoSource}, and optionally picks a backend by location.
 *
 * @example
 * ```ts
 * // config: policies: { where: { type: 'geo', options: { source: 'cloudflare',
 * //   backends: [{ backend: 'eu', continents: ['EU'] }], defaultBackend: 'us' } } }
 * import { geoPolicy, EU_COUNTRIES } from '@switchyard/policies';
 * const policy = geoPolicy.create({ source: 'cloudflare', backends: [{ backend: 'eu', countries: EU_COUNTRIES }] }, deps);
 * ```
 */
export const geoPolicy = definePolicy<GeoOptions>({
  type: 'geo',
  summary: "Looks the caller's location up (CDN headers, MaxMind, …) and sets attributes geo, country, region, continent; optionally picks a backend by location.",
  options: geoOptionsSchema,
  create(options) {
    // Deliberately alike: policies/src/geo-filter.ts (geoFilterPolicy) — two policies defined the same way (definePolicy with type, summary, schema, create); what they share, the geo lookup, is one function (geoLookupFor)
    const { lookup, name } = geoLookupFor(options.source);
    const rules: readonly CompiledRule[] = (options.backends ?? []).map((r) => ({
      backend: r.backend,
      countries: new Set(r.countries ?? []),
      continents: new Set(r.continents ?? []),
      regions: new Set(r.regions ?? []),
    }));
    const defaultBackend = options.defaultBackend;
    const pick = (geo: GeoInfo | undefined, region: string | undefined): string | undefined => {
      if (geo !== undefined) {
        for (const r of rules) {
          if ((geo.country !== undefined && r.countries.has(geo.country)) || (region !== undefined && r.regions.has(region)) || (geo.continent !== undefined && r.continents.has(geo.continent))) return r.backend;
        }
      }
      return defaultBackend;
    };
    return {
      type: 'geo',
      provides: rules.length > 0 || defaultBackend !== undefined ? ['geo', 'backend'] : ['geo'],
      // Checked at load against each route this instance runs on (gateway compile).
      backends: [...new Set([...rules.map((r) => r.backend), ...(defaultBackend === undefined ? [] : [defaultBackend])])],
      inbound(request: SyRequest, ctx: PolicyContext): InboundResult {
        const geo = lookup(request, ctx);
        const region = fullRegionCode(geo);
        const backend = pick(geo, region);
        if (geo === undefined) return backend === undefined ? CONTINUE : { kind: 'continue', backend };
        const attributes = { geo, country: geo.country, region, continent: geo.continent };
        return backend === undefined ? { kind: 'continue', attributes } : { kind: 'continue', attributes, backend };
      },
      describe() {
        const from = name ?? "the gateway's geo source";
        const picks = rules.map((r) => `${r.backend} for ${[...r.countries, ...r.continents, ...r.regions].join(',')}`);
        if (defaultBackend !== undefined) picks.push(`${defaultBackend} otherwise`);
        return `geo from ${from}: sets attributes geo, country, region, continent${picks.length > 0 ? `; backend ${picks.join('; ')}` : ''}`;
      },
    };
  },
});
