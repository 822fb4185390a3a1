/**
 * Gateway API route filters (`HTTPRouteFilter` / `GRPCRouteFilter`, at rule and backend level):
 * the filter-list rules, and each filter type written onto the draft route: header modifiers,
 * mirror, redirect, URL rewrite, CORS; a filter with no counterpart answers 500, as the spec asks.
 */
import type { ImportContext } from '../context.js';
import { corsOptions, setCorsOptions } from '../cors.js';
import { arr, at, bool, get, has, int, isObj, obj, str, unmapped, type Obj, type Sink } from '../util.js';
import { HEADER_NAME_RE, METHODS, PRECISE_HOSTNAME_RE, resolveRef, type Doc, type RouteDraft } from './common.js';

const CORS_ORIGIN_RE = /(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)/;
/** The field each filter type carries (`HTTPRouteFilter`: "filter.x must be nil if the filter.type is not X"). */
const FILTER_FIELD: Readonly<Record<string, string>> = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestMirror: 'requestMirror',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  ExtensionRef: 'extensionRef',
  CORS: 'cors',
  ExternalAuth: 'externalAuth',
};

/** The filter-list rules: known types, field/type agreement, at most one of each but mirrors and extensions, redirect XOR rewrite. */
export function checkFilterList(sink: Sink, filters: readonly unknown[], fp: string, allowed: readonly string[]): void {
  if (filters.length > 16) sink.problem(fp, 'must have at most 16 items');
  const types = filters.map((f) => get(f, 'type'));
  filters.forEach((f, k) => {
    const p = `${fp}[${k}]`;
    if (!isObj(f)) return sink.problem(p, 'must be an object');
    const type = get(f, 'type');
    if (typeof type !== 'string' || !allowed.includes(type)) return sink.problem(at(p, 'type'), `must be one of ${allowed.join(', ')}`);
    for (const [t, field] of Object.entries(FILTER_FIELD)) {
      if (!allowed.includes(t)) continue;
      if (has(f, field) && type !== t) sink.problem(at(p, field), `filter.${field} must be nil if the filter.type is not ${t}`);
      if (!has(f, field) && type === t) sink.problem(at(p, field), `filter.${field} must be specified for ${t} filter.type`);
    }
  });
  if (types.includes('RequestRedirect') && types.includes('URLRewrite')) sink.problem(fp, 'May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both');
  for (const t of ['CORS', 'RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite']) {
    if (allowed.includes(t) && types.filter((x) => x === t).length > 1) sink.problem(fp, `${t} filter cannot be repeated`);
  }
}

/** `HTTPHeaderFilter` → `{ set, add, remove }`. */
function headerFilter(sink: Sink, f: Obj, fp: string): { set?: Record<string, string>; add?: Record<string, string>; remove?: string[] } {
  unmapped(sink, f, ['set', 'add', 'remove'], fp);
  const out: { set?: Record<string, string>; add?: Record<string, string>; remove?: string[] } = {};
  for (const op of ['set', 'add'] as const) {
    const list = arr(sink, f, op, fp);
    if (list.length > 16) sink.problem(at(fp, op), 'must have at most 16 items');
    const map: Record<string, string> = Object.create(null) as Record<string, string>;
    list.forEach((h, k) => {
      const hp = `${fp}.${op}[${k}]`;
      const name = str(sink, h, 'name', hp);
      const value = str(sink, h, 'value', hp);
      if (name === undefined) return sink.problem(at(hp, 'name'), 'is required');
      if (value === undefined) return sink.problem(at(hp, 'value'), 'is required');
      if (name.length > 256 || !HEADER_NAME_RE.test(name)) return sink.problem(at(hp, 'name'), `must match ${HEADER_NAME_RE.source}`);
      if (value.length < 1 || value.length > 4096) return sink.problem(at(hp, 'value'), 'must be 1 to 4096 characters');
      if (Object.keys(map).some((n) => n.toLowerCase() === name.toLowerCase())) return sink.problem(at(hp, 'name'), `Duplicate value: ${JSON.stringify(name)} (a list map keyed by name)`);
      map[name] = value;
    });
    if (list.length > 0) out[op] = { ...map };
  }
  const remove = arr(sink, f, 'remove', fp);
  if (remove.length > 16) sink.problem(at(fp, 'remove'), 'must have at most 16 items');
  const names: string[] = [];
  remove.forEach((n, k) => {
    if (typeof n !== 'string' || n.length > 256 || !HEADER_NAME_RE.test(n)) return sink.problem(`${fp}.remove[${k}]`, `must match ${HEADER_NAME_RE.source}`);
    if (names.includes(n)) return sink.problem(`${fp}.remove[${k}]`, `Duplicate value: ${JSON.stringify(n)} (a set)`);
    names.push(n);
  });
  if (names.length > 0) out.remove = names;
  return out;
}

type PathModifier = { type: 'ReplaceFullPath'; replaceFullPath: string } | { type: 'ReplacePrefixMatch'; replacePrefixMatch: string };

/** `HTTPPathModifier` with its four CEL rules. */
function pathModifier(sink: Sink, p: Obj, pp: string): PathModifier | undefined {
  const type = get(p, 'type');
  const full = get(p, 'replaceFullPath');
  const prefix = get(p, 'replacePrefixMatch');
  let ok = true;
  if (type !== 'ReplaceFullPath' && type !== 'ReplacePrefixMatch') {
    sink.problem(at(pp, 'type'), "must be one of 'ReplaceFullPath', 'ReplacePrefixMatch'");
    return undefined;
  }
  if (type === 'ReplaceFullPath' && full === undefined) ok = (sink.problem(pp, "replaceFullPath must be specified when type is set to 'ReplaceFullPath'"), false);
  if (full !== undefined && type !== 'ReplaceFullPath') ok = (sink.problem(pp, "type must be 'ReplaceFullPath' when replaceFullPath is set"), false);
  if (type === 'ReplacePrefixMatch' && prefix === undefined) ok = (sink.problem(pp, "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'"), false);
  if (prefix !== undefined && type !== 'ReplacePrefixMatch') ok = (sink.problem(pp, "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set"), false);
  if (!ok) return undefined;
  const value = type === 'ReplaceFullPath' ? full : prefix;
  const vp = at(pp, type === 'ReplaceFullPath' ? 'replaceFullPath' : 'replacePrefixMatch');
  if (typeof value !== 'string') return (sink.problem(vp, 'must be a string'), undefined);
  if (value.length > 1024) return (sink.problem(vp, 'must be at most 1024 characters'), undefined);
  // "+kubebuilder:validation:Pattern" on ReplaceFullPath / ReplacePrefixMatch (experimental) and the
  // spec text: the value must be an absolute path.
  if (!value.startsWith('/')) return (sink.problem(vp, "must be an absolute path and start with '/'"), undefined);
  return type === 'ReplaceFullPath' ? { type, replaceFullPath: value } : { type, replacePrefixMatch: value };
}

/** Applies one filter list (the rule's, or a backend's when it is the only backend) to the route. */
export function applyFilters(ctx: ImportContext, sink: Sink, route: RouteDraft, filters: readonly unknown[], fp: string, d: Doc, level: 'rule' | 'backend'): void {
  filters.forEach((f, k) => {
    const p = `${fp}[${k}]`;
    if (!isObj(f)) return;
    const type = get(f, 'type');
    const field = typeof type === 'string' ? FILTER_FIELD[type] : undefined;
    const body = field === undefined ? undefined : get(f, field);
    if (!isObj(body)) return; // reported by checkFilterList
    const bp = at(p, field as string);
    switch (type) {
      case 'RequestHeaderModifier':
      case 'ResponseHeaderModifier': {
        const mod = headerFilter(sink, body, bp);
        const key = type === 'RequestHeaderModifier' ? 'requestHeaders' : 'responseHeaders';
        const prev = route.rewrite?.[key];
        // A backend's modifier runs after the rule's (the rule's filters apply first, then the chosen backend's).
        const merged = {
          ...(prev?.set !== undefined || mod.set !== undefined ? { set: { ...prev?.set, ...mod.set } } : {}),
          ...(prev?.add !== undefined || mod.add !== undefined ? { add: { ...prev?.add, ...mod.add } } : {}),
          ...(prev?.remove !== undefined || mod.remove !== undefined ? { remove: [...(prev?.remove ?? []), ...(mod.remove ?? [])] } : {}),
        };
        route.rewrite = { ...route.rewrite, [key]: merged };
        return;
      }
      case 'RequestRedirect': {
        unmapped(sink, body, ['scheme', 'hostname', 'path', 'port', 'statusCode'], bp);
        const r: { scheme?: 'http' | 'https'; hostname?: string; port?: number; path?: PathModifier; statusCode?: 301 | 302 | 303 | 307 | 308 } = {};
        const scheme = get(body, 'scheme');
        if (scheme !== undefined) {
          if (scheme !== 'http' && scheme !== 'https') sink.problem(at(bp, 'scheme'), "must be one of 'http', 'https'");
          else r.scheme = scheme;
        }
        const hostname = str(sink, body, 'hostname', bp);
        if (hostname !== undefined) {
          if (!PRECISE_HOSTNAME_RE.test(hostname) || hostname.length > 253) sink.problem(at(bp, 'hostname'), `must match ${PRECISE_HOSTNAME_RE.source}`);
          else r.hostname = hostname;
        }
        const path = obj(sink, body, 'path', bp);
        if (path !== undefined) {
          const pm = pathModifier(sink, path, at(bp, 'path'));
          if (pm !== undefined) r.path = pm;
        }
        const port = int(sink, body, 'port', bp, 1, 65535);
        if (port !== undefined) r.port = port;
        const status = get(body, 'statusCode');
        if (status !== undefined) {
          if (status !== 301 && status !== 302 && status !== 303 && status !== 307 && status !== 308) sink.problem(at(bp, 'statusCode'), 'must be one of 301, 302, 303, 307, 308');
          else r.statusCode = status;
        }
        route.redirect = r;
        return;
      }
      case 'URLRewrite': {
        unmapped(sink, body, ['hostname', 'path'], bp);
        const hostname = str(sink, body, 'hostname', bp);
        if (hostname !== undefined) {
          if (!PRECISE_HOSTNAME_RE.test(hostname) || hostname.length > 253) sink.problem(at(bp, 'hostname'), `must match ${PRECISE_HOSTNAME_RE.source}`);
          else route.rewrite = { ...route.rewrite, host: { literal: hostname } };
        }
        const path = obj(sink, body, 'path', bp);
        if (path !== undefined) {
          const pm = pathModifier(sink, path, at(bp, 'path'));
          if (pm !== undefined) route.rewrite = { ...route.rewrite, path: pm };
        }
        return;
      }
      case 'RequestMirror': {
        unmapped(sink, body, ['backendRef', 'percent', 'fraction'], bp);
        if (has(body, 'percent') && has(body, 'fraction')) return sink.problem(bp, 'Only one of percent or fraction may be specified in HTTPRequestMirrorFilter');
        let percent: number | undefined;
        if (has(body, 'percent')) percent = int(sink, body, 'percent', bp, 0, 100);
        const fraction = obj(sink, body, 'fraction', bp);
        if (fraction !== undefined) {
          const fpp = at(bp, 'fraction');
          const num = int(sink, fraction, 'numerator', fpp, 0, 2_147_483_647);
          const den = has(fraction, 'denominator') ? int(sink, fraction, 'denominator', fpp, 1, 2_147_483_647) : 100;
          if (num === undefined && !has(fraction, 'numerator')) sink.problem(at(fpp, 'numerator'), 'is required');
          if (num !== undefined && den !== undefined) {
            if (num > den) return sink.problem(fpp, 'numerator must be less than or equal to denominator');
            percent = (num / den) * 100;
          }
        }
        const ref = obj(sink, body, 'backendRef', bp);
        if (ref === undefined) return sink.problem(at(bp, 'backendRef'), 'is required');
        const upstream = resolveRef(ctx, sink, ref, at(bp, 'backendRef'), d);
        if (upstream === undefined) return;
        if (route.mirror !== undefined) {
          return sink.warn(p, 'a second RequestMirror: switchyard mirrors a route to one upstream; only the first mirror is imported');
        }
        route.mirror = { upstream, ...(percent !== undefined && percent !== 100 ? { percent } : {}) };
        return;
      }
      case 'CORS': {
        const opts = corsFilter(sink, body, bp);
        if (opts !== undefined) setCorsOptions(route, opts);
        return;
      }
      case 'ExtensionRef':
      case 'ExternalAuth': {
        if (type === 'ExtensionRef') for (const k2 of ['group', 'kind', 'name']) if (!has(body, k2)) sink.problem(at(bp, k2), 'is required');
        // "An unresolvable ExtensionRef MUST NOT be skipped": the requests get an error (500) instead.
        route.fault = { abort: { httpStatus: 500, percent: 100 } };
        return sink.warn(p, `${String(type)} has no switchyard counterpart: requests matching this ${level} are answered 500 (Gateway API: a filter that cannot be applied must not be skipped)`);
      }
    }
  });
}

/** `HTTPCORSFilter` → options of the built-in `cors` policy. */
function corsFilter(sink: Sink, c: Obj, cp: string): Record<string, unknown> | undefined {
  unmapped(sink, c, ['allowOrigins', 'allowCredentials', 'allowMethods', 'allowHeaders', 'exposeHeaders', 'maxAge'], cp);
  const list = (key: string, max: number, check: (s: string) => boolean, what: string): string[] => {
    const l = arr(sink, c, key, cp);
    if (l.length > max) sink.problem(at(cp, key), `must have at most ${max} items`);
    const out: string[] = [];
    l.forEach((x, i) => {
      if (typeof x !== 'string' || !check(x)) return sink.problem(`${cp}.${key}[${i}]`, what);
      out.push(x);
    });
    return out;
  };
  const origins = list('allowOrigins', 64, (s) => CORS_ORIGIN_RE.test(s), `must match ${CORS_ORIGIN_RE.source}`);
  if (origins.includes('*') && origins.length > 1) sink.problem(at(cp, 'allowOrigins'), "AllowOrigins cannot contain '*' alongside other origins");
  const methods = list('allowMethods', 9, (s) => [...METHODS, '*'].includes(s), `must be one of ${[...METHODS, '*'].join(', ')}`);
  if (methods.includes('*') && methods.length > 1) sink.problem(at(cp, 'allowMethods'), "AllowMethods cannot contain '*' alongside other methods");
  const allowHeaders = list('allowHeaders', 64, (s) => s === '*' || HEADER_NAME_RE.test(s), `must match ${HEADER_NAME_RE.source}`);
  if (allowHeaders.includes('*') && allowHeaders.length > 1) sink.problem(at(cp, 'allowHeaders'), "AllowHeaders cannot contain '*' alongside other methods");
  const exposeHeaders = list('exposeHeaders', 64, (s) => s === '*' || HEADER_NAME_RE.test(s), `must match ${HEADER_NAME_RE.source}`);
  const credentials = bool(sink, c, 'allowCredentials', cp);
  const maxAge = has(c, 'maxAge') ? int(sink, c, 'maxAge', cp, 1, 2_147_483_647) : 5;
  return corsOptions({ origins, methods, allowHeaders, exposeHeaders, credentials, maxAgeSeconds: maxAge });
}
