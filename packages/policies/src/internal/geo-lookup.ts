/** How the geo policies find a request's location: their own source, or the gateway's. */
import type { GeoInfo, PolicyContext, SyRequest } from '@switchyard/core';
import { firstGeoSource, geoSourceFor, type GeoSourceSpec } from '../geo-sources.js';

/** Looks a request's location up. */
export type GeoLookup = (request: SyRequest, ctx: PolicyContext) => GeoInfo | undefined;

/**
 * The lookup for a policy's `source` option: that source (or the first of a list that answers),
 * asked with the pipeline's `trustedPeer` and `clientIp`; without one, `ctx.geo()` (a `geo`
 * policy earlier on the route, else the gateway's own source).
 */
export function geoLookupFor(spec: GeoSourceSpec | readonly GeoSourceSpec[] | undefined): { readonly lookup: GeoLookup; readonly name: string | undefined } {
  if (spec === undefined) return { lookup: (_request, ctx) => ctx.geo(), name: undefined };
  const source = Array.isArray(spec) ? firstGeoSource((spec as readonly GeoSourceSpec[]).map(geoSourceFor)) : geoSourceFor(spec as GeoSourceSpec);
  return {
    name: source.name,
    lookup: (request, ctx) => source.lookup(request, { trusted: ctx.trustedPeer, clientIp: ctx.clientIp }),
  };
}
