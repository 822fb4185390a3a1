/**
 * Istio `VirtualService` + `DestinationRule` (`networking.istio.io` v1 / v1beta1 / v1alpha3: one
 * schema) as switchyard routes and upstream policies.
 *
 * Sources: istio/api `networking/v1alpha3/virtual_service.proto`, `destination_rule.proto`
 * (commit b8f8791d9), the validation webhook's rules in istio/istio `pkg/config/validation`
 * (the important ones, re-checked here by path), and semantics.md §3. Routing is first match in
 * order (`selection: 'first-match'`): "the first rule matching an incoming request is used".
 *
 * Defaults that differ from switchyard's are written out so that the imported config behaves as
 * Istio would: no route timeout unless `timeout` is set; the mesh default retry policy (2 retries
 * on connect failures and refused streams) when `retries` is absent; `LEAST_REQUEST` balancing;
 * effectively unlimited connection pools; outlier detection's Istio defaults (5 consecutive 5xx,
 * 10 s interval, 30 s base ejection, 10 % max ejected, panic threshold `minHealthPercent` 0).
 *
 * This file reads VirtualServices and their HTTP routes; beside it, under `internal/istio/`:
 * `destination-rule.ts` (traffic policies → upstreams), `match.ts` (match blocks),
 * `route-policies.ts` (retries, faults, header operations, CORS), `values.ts` (shared field syntax).
 */
import type { BackendConfig, RouteConfig } from '@switchyard/gateway';
import type { ImportContext, SourcedDocument } from './internal/context.js';
import { k8sRef, uniqueRouteName } from './internal/context.js';
import { attachCorsPolicy, setCorsOptions } from './internal/cors.js';
import { destination, destinationRule, serviceOf, type Ctx } from './internal/istio/destination-rule.js';
import { httpMatch, type ParsedMatch } from './internal/istio/match.js';
import { corsPolicy, faultPolicy, headerOperations, meshDefaultRetry, retryPolicy } from './internal/istio/route-policies.js';
import { durationField, type Draft, type Mutable } from './internal/istio/values.js';
import { arr, at, get, has, int, isObj, obj, sinkFor, str, unmapped, type Obj, type Sink } from './internal/util.js';
import type { ImportedRoute } from './types.js';

const REDIRECT_CODES = [301, 302, 303, 307, 308] as const;

/** Imports VirtualServices (routes, in order) and the DestinationRules of the hosts they use. */
export function istioRoutes(ctx: ImportContext, sources: readonly SourcedDocument[]): ImportedRoute[] {
  const defaultNs = ctx.options.defaultNamespace ?? 'default';
  const c: Ctx = { ctx, domain: ctx.options.clusterDomain ?? 'cluster.local', rules: new Map(), configured: new Set() };
  for (const src of sources) if (get(src.value, 'kind') === 'DestinationRule') destinationRule(c, src, defaultNs);
  const routes: ImportedRoute[] = [];
  for (const src of sources) if (get(src.value, 'kind') === 'VirtualService') routes.push(...virtualService(c, src, defaultNs));
  for (const [key, r] of c.rules) if (!r.used) r.sink.warn('spec.host', `no imported VirtualService routes to ${key}: its traffic policy is not imported`);
  return routes;
}

// ---------------------------------------------------------------------------------------------
// VirtualService

function virtualService(c: Ctx, src: SourcedDocument, defaultNs: string): ImportedRoute[] {
  const ref = k8sRef(src.value, 'VirtualService', src, defaultNs);
  const sink = sinkFor(c.ctx.messages, ref);
  const ns = ref.namespace ?? defaultNs;
  if (ref.name === undefined) return (sink.problem('metadata.name', 'is required'), []);
  const spec = obj(sink, src.value, 'spec', '');
  if (spec === undefined) return (sink.problem('spec', 'is required'), []);
  unmapped(sink, spec, ['hosts', 'gateways', 'exportTo', 'http', 'tls', 'tcp'], 'spec');
  for (const k of ['tls', 'tcp']) if (arr(sink, spec, k, 'spec').length > 0) sink.warn(at('spec', k), `${k} routes have no switchyard counterpart (HTTP only): ignored`);
  const docProblems = c.ctx.messages.problems.length;
  const hostsRaw = arr(sink, spec, 'hosts', 'spec');
  if (hostsRaw.length === 0) sink.problem('spec.hosts', 'virtual service must have at least one host');
  const hostnames: string[] = [];
  let anyHost = false;
  hostsRaw.forEach((h, i) => {
    if (typeof h !== 'string' || h === '') return sink.problem(`spec.hosts[${i}]`, 'must be a non-empty string');
    if (h === '*') return void (anyHost = true);
    const svc = serviceOf(h, ns, c.domain);
    // A mesh service is reached as `name`, `name.ns`, `name.ns.svc` or the FQDN.
    // (The bare name only from the service's own namespace, where it resolves to that service.)
    const names =
      svc.host !== undefined
        ? [svc.host]
        : [...(svc.namespace === ns ? [svc.name] : []), `${svc.name}.${svc.namespace}`, `${svc.name}.${svc.namespace}.svc`, `${svc.name}.${svc.namespace}.svc.${c.domain}`];
    for (const n of names) if (!hostnames.includes(n)) hostnames.push(n);
  });
  // A host problem leaves the VirtualService out: dropping the host would widen its routes to every host.
  if (c.ctx.messages.problems.length > docProblems) return [];
  const routes: ImportedRoute[] = [];
  arr(sink, spec, 'http', 'spec').forEach((h, i) => {
    const hp = `spec.http[${i}]`;
    if (!isObj(h)) return sink.problem(hp, 'must be an object');
    const before = c.ctx.messages.problems.length;
    const drafts = httpRoute(c, sink, h, hp, ns);
    if (c.ctx.messages.problems.length > before) return;
    const base = `${ns}/${ref.name as string}/${typeof get(h, 'name') === 'string' ? (get(h, 'name') as string) : String(i)}`;
    drafts.forEach((d, j) => {
      d.name = uniqueRouteName(c.ctx, drafts.length > 1 ? `${base}/match-${j}` : base, { document: ref, path: drafts.length > 1 ? `${hp}.match[${j}]` : hp });
      const own = (d as { authority?: string }).authority;
      delete (d as { authority?: string }).authority;
      if (own !== undefined) d.hostnames = [own];
      else if (!anyHost && hostnames.length > 0) d.hostnames = hostnames;
      // The cors policy is named after the route: fill in its reference now that the name is known.
      attachCorsPolicy(c.ctx, d);
      routes.push(d);
    });
  });
  return routes;
}


function httpRoute(c: Ctx, sink: Sink, h: Obj, hp: string, ns: string): Draft[] {
  unmapped(sink, h, ['name', 'match', 'route', 'redirect', 'directResponse', 'delegate', 'rewrite', 'timeout', 'retries', 'fault', 'mirror', 'mirrorPercentage', 'mirrorPercent', 'mirrors', 'corsPolicy', 'headers'], hp);
  const hasRoute = arr(sink, h, 'route', hp).length > 0;
  const hasRedirect = has(h, 'redirect');
  const hasDirect = has(h, 'directResponse');
  const hasDelegate = has(h, 'delegate');
  // istio/istio pkg/config/validation validateHTTPRoute.
  if (!hasRoute && !hasRedirect && !hasDirect && !hasDelegate) sink.problem(hp, 'HTTP route or redirect is required');
  if (hasRoute && hasRedirect) sink.problem(hp, 'HTTP route cannot contain both route and redirect');
  if (hasDirect && (hasRoute || hasRedirect)) sink.problem(hp, 'HTTP route cannot contain both directResponse and route or redirect');
  if (has(h, 'rewrite') && hasRedirect) sink.problem(hp, 'HTTP route rule cannot contain both rewrite and redirect');
  if (has(h, 'fault') && hasRedirect) sink.problem(hp, 'HTTP route cannot contain both fault and redirect');
  if (hasDelegate) {
    sink.warn(at(hp, 'delegate'), 'delegate (a VirtualService chain) has no switchyard counterpart: import the delegate VirtualService instead; this route is skipped');
    return [];
  }

  const matches: ParsedMatch[] = [];
  const rawMatches = arr(sink, h, 'match', hp);
  rawMatches.forEach((m, j) => {
    const pm = httpMatch(sink, m, `${hp}.match[${j}]`);
    if (pm !== undefined) matches.push(pm);
  });
  if (rawMatches.length > 0 && matches.length === 0) {
    sink.warn(at(hp, 'match'), 'no match block could be imported: this route is skipped');
    return [];
  }

  const base: Draft = { name: '' };
  // Istio: no route timeout unless one is set.
  base.timeoutMs = 0;
  const timeout = has(h, 'timeout') ? durationField(sink, h, 'timeout', hp, true) : undefined;
  if (timeout !== undefined) base.timeoutMs = timeout;

  // Destinations
  const dests = arr(sink, h, 'route', hp);
  const backends: BackendConfig[] = [];
  dests.forEach((d, k) => {
    const dp = `${hp}.route[${k}]`;
    if (!isObj(d)) return sink.problem(dp, 'must be an object');
    unmapped(sink, d, ['destination', 'weight', 'headers'], dp);
    const dest = obj(sink, d, 'destination', dp);
    if (dest === undefined) return sink.problem(at(dp, 'destination'), 'destination is required');
    const weight = int(sink, d, 'weight', dp, 0, 2_147_483_647);
    const upstream = destination(c, sink, dest, at(dp, 'destination'), ns);
    const dh = obj(sink, d, 'headers', dp);
    if (dh !== undefined) {
      if (dests.length === 1) headerOperations(sink, dh, at(dp, 'headers'), base);
      else sink.warn(at(dp, 'headers'), 'per-destination header operations with several destinations have no switchyard counterpart: ignored');
    }
    if (upstream === undefined) return;
    // "If there is only one destination in a rule, it will receive all traffic" whatever its weight.
    backends.push({ upstream, ...(dests.length > 1 && weight !== undefined && weight !== 1 ? { weight } : {}), ...(backends.some((b) => b.upstream === upstream) ? { name: `${upstream}#${k}` } : {}) });
  });
  // An absent weight is proto3's 0: two destinations without weights are refused too.
  if (dests.length > 1 && dests.every((d) => get(d, 'weight') === undefined || get(d, 'weight') === 0)) {
    sink.problem(at(hp, 'route'), 'total destination weight = 0');
  }
  if (backends.length > 0) base.backends = backends;

  // Redirect
  const redirect = obj(sink, h, 'redirect', hp);
  if (redirect !== undefined) {
    const rp = at(hp, 'redirect');
    unmapped(sink, redirect, ['uri', 'authority', 'port', 'derivePort', 'scheme', 'redirectCode'], rp);
    const r: Mutable<NonNullable<RouteConfig['redirect']>> = { statusCode: 301 };
    if (!has(redirect, 'uri') && !has(redirect, 'authority') && !has(redirect, 'port') && !has(redirect, 'scheme')) sink.problem(rp, 'redirect must specify URI, authority, scheme, or port');
    const uri = str(sink, redirect, 'uri', rp);
    if (uri !== undefined) {
      if (!uri.startsWith('/')) sink.problem(at(rp, 'uri'), 'must start with "/"');
      else r.path = { type: 'ReplaceFullPath', replaceFullPath: uri };
    }
    const authority = str(sink, redirect, 'authority', rp);
    if (authority !== undefined) r.hostname = authority;
    const port = int(sink, redirect, 'port', rp, 1, 65535);
    if (port !== undefined) r.port = port;
    const derive = get(redirect, 'derivePort');
    if (derive !== undefined && port !== undefined) sink.problem(rp, 'only one of port or derivePort may be set');
    if (derive === 'FROM_PROTOCOL_DEFAULT' && !has(redirect, 'scheme')) sink.warn(at(rp, 'derivePort'), 'FROM_PROTOCOL_DEFAULT without a scheme keeps the listener port in switchyard');
    const scheme = str(sink, redirect, 'scheme', rp);
    if (scheme !== undefined) {
      if (scheme !== 'http' && scheme !== 'https') sink.problem(at(rp, 'scheme'), 'invalid redirect scheme, must be "http" or "https"');
      else r.scheme = scheme;
    }
    const code = get(redirect, 'redirectCode');
    if (code !== undefined) {
      if (typeof code !== 'number' || !Number.isInteger(code) || code < 300 || code > 399) sink.problem(at(rp, 'redirectCode'), `${String(code)} is not a valid redirect code, must be 3xx`);
      else if (!(REDIRECT_CODES as readonly number[]).includes(code)) sink.warn(at(rp, 'redirectCode'), `${code} has no switchyard counterpart (301, 302, 303, 307, 308): 301 is answered`);
      else r.statusCode = code as (typeof REDIRECT_CODES)[number];
    }
    base.redirect = r;
  }

  const direct = obj(sink, h, 'directResponse', hp);
  if (direct !== undefined) {
    const status = int(sink, direct, 'status', at(hp, 'directResponse'), 200, 599);
    if (status !== undefined) base.fault = { abort: { httpStatus: status, percent: 100 } };
    if (has(direct, 'body')) sink.warn(at(at(hp, 'directResponse'), 'body'), 'a direct response body has no switchyard counterpart: the status is answered with the gateway\'s own body');
  }

  // Rewrite (applied per match kind below)
  const rewrite = obj(sink, h, 'rewrite', hp);
  let uriRewrite: string | undefined;
  if (rewrite !== undefined) {
    const rp = at(hp, 'rewrite');
    unmapped(sink, rewrite, ['uri', 'authority', 'uriRegexRewrite'], rp);
    uriRewrite = str(sink, rewrite, 'uri', rp);
    const rr = obj(sink, rewrite, 'uriRegexRewrite', rp);
    if (uriRewrite !== undefined && rr !== undefined) sink.problem(rp, 'rewrite may only contain one of URI or UriRegexRewrite');
    if (uriRewrite === undefined && rr === undefined && !has(rewrite, 'authority')) sink.problem(rp, 'rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of URI or UriRegexRewrite may be specified');
    if (rr !== undefined) {
      const rrp = at(rp, 'uriRegexRewrite');
      const match = str(sink, rr, 'match', rrp);
      const sub = str(sink, rr, 'rewrite', rrp);
      if (match === undefined || sub === undefined || match === '' || sub === '') sink.problem(rrp, 'UriRegexRewrite requires both Rewrite and Match fields to be specified');
      else {
        try {
          new RegExp(match);
          base.rewrite = { ...base.rewrite, path: { type: 'RegexRewrite', pattern: match, substitution: sub } };
        } catch {
          sink.problem(at(rrp, 'match'), `${JSON.stringify(match)} is not a valid regex`);
        }
      }
    }
    const authority = str(sink, rewrite, 'authority', rp);
    if (authority !== undefined) base.rewrite = { ...base.rewrite, host: { literal: authority } };
  }

  const retries = obj(sink, h, 'retries', hp);
  const retry = retries === undefined ? meshDefaultRetry() : retryPolicy(sink, retries, at(hp, 'retries'), base);
  if (retry !== undefined) base.retry = retry;

  const fault = obj(sink, h, 'fault', hp);
  if (fault !== undefined) faultPolicy(sink, fault, at(hp, 'fault'), base);

  // Mirrors: mirror + mirrorPercentage, or mirrors[]
  const mirror = obj(sink, h, 'mirror', hp);
  const mirrors = arr(sink, h, 'mirrors', hp);
  if (mirror !== undefined && mirrors.length > 0) sink.problem(hp, 'only one of mirror or mirrors may be set');
  const pct = (o: Obj, key: string, p: string): number | undefined => {
    const v = get(get(o, key), 'value');
    if (!has(o, key)) return undefined;
    if (typeof v !== 'number') return (sink.problem(at(p, key), 'must be { value: <percentage> }'), undefined);
    const what = key === 'mirrorPercentage' ? 'mirror_percentage' : 'mirror percentage';
    if (v > 100) return (sink.problem(at(p, key), `${what} must have a max value of 100 (it has ${v.toFixed(6)})`), undefined);
    if (v < 0) return (sink.problem(at(p, key), `${what} must have a min value of 0 (it has ${v.toFixed(6)})`), undefined);
    return v;
  };
  if (mirror !== undefined) {
    const up = destination(c, sink, mirror, at(hp, 'mirror'), ns);
    const percent = pct(h, 'mirrorPercentage', hp) ?? (typeof get(get(h, 'mirrorPercent'), 'value') === 'number' ? (get(get(h, 'mirrorPercent'), 'value') as number) : undefined);
    if (up !== undefined) base.mirror = { upstream: up, ...(percent !== undefined && percent !== 100 ? { percent } : {}) };
  }
  mirrors.forEach((mm, k) => {
    const mp = `${hp}.mirrors[${k}]`;
    const d = obj(sink, mm, 'destination', mp);
    if (d === undefined) return sink.problem(at(mp, 'destination'), 'destination is required');
    const up = destination(c, sink, d, at(mp, 'destination'), ns);
    const percent = isObj(mm) ? pct(mm, 'percentage', mp) : undefined;
    if (up === undefined) return;
    if (base.mirror !== undefined) return sink.warn(mp, 'a second mirror: switchyard mirrors a route to one upstream; only the first is imported');
    base.mirror = { upstream: up, ...(percent !== undefined && percent !== 100 ? { percent } : {}) };
  });

  const headers = obj(sink, h, 'headers', hp);
  if (headers !== undefined) headerOperations(sink, headers, at(hp, 'headers'), base);

  const cors = obj(sink, h, 'corsPolicy', hp);
  if (cors !== undefined) {
    const opts = corsPolicy(sink, cors, at(hp, 'corsPolicy'));
    if (opts !== undefined) setCorsOptions(base, opts);
  }

  // One switchyard route per Istio route, unless its match blocks need different rewrites
  // (`rewrite.uri` replaces the matched prefix of a prefix match, the whole path otherwise) or name
  // an authority (a hostname condition): then one route per block, consecutive, in order.
  const kinds = new Set(matches.map((m) => (m.pathKind === 'prefix' ? 'prefix' : 'full')));
  const split = matches.some((m) => m.authority !== undefined) || (uriRewrite !== undefined && kinds.size > 1);
  const groups: ParsedMatch[][] = split ? matches.map((m) => [m]) : [matches];
  return groups.map((group) => {
    const d: Draft = { ...base };
    if (group.length > 0) d.matches = group.map((m) => m.match);
    const authority = group[0]?.authority;
    if (authority !== undefined) (d as { authority?: string }).authority = authority;
    if (uriRewrite !== undefined) {
      const kind = group.length === 0 ? 'none' : group[0]?.pathKind === 'prefix' ? 'prefix' : group[0]?.pathKind === undefined ? 'none' : 'full';
      // No uri match: Istio matches prefix "/", so the rewrite replaces that "/" (Envoy prefix_rewrite).
      const path =
        kind === 'full'
          ? ({ type: 'ReplaceFullPath', replaceFullPath: uriRewrite } as const)
          : kind === 'none'
            ? ({ type: 'PrefixRewrite', prefixRewrite: uriRewrite, prefix: '/' } as const)
            : ({ type: 'PrefixRewrite', prefixRewrite: uriRewrite } as const);
      d.rewrite = { ...d.rewrite, path };
    }
    return d;
  });
}
