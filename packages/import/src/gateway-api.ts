/**
 * Kubernetes Gateway API `HTTPRoute` and `GRPCRoute` (`gateway.networking.k8s.io/v1`) as
 * switchyard routes.
 *
 * Sources: kubernetes-sigs/gateway-api `apis/v1/httproute_types.go`, `grpcroute_types.go`,
 * `shared_types.go`, `object_reference_types.go` (commit 4564255a, 2026-08-21): the CRD schema
 * rules (`+kubebuilder:validation:*`) and the CEL rules (`XValidation`) the API server enforces
 * are re-checked here, each reported at the manifest's field path with the CRD's own message.
 *
 * Mapping: one switchyard route per rule, `selection: 'gateway'` (the router implements the
 * spec's precedence: Exact, longest prefix, method, most headers, most query params). The
 * cross-route tie-breaks ("the oldest Route based on creation timestamp", then "alphabetical
 * order by {namespace}/{name}", then the first rule: `HTTPRouteRule.Matches`) are obtained by
 * emitting the routes in that order, since the gateway's own last tie-break is the route's
 * position in `routes`.

/**
 * The spec's order across routes: oldest `metadata.creationTimestamp` first (a manifest without
 * one, as in git, counts as newer than any with one: it is created when applied), then
 * `{namespace}/{name}` alphabetically (`HTTPRouteRule.Matches`, httproute_types.go). The rules
 * of one route keep their order.
 */
import type { ImportContext, SourcedDocument } from './internal/context.js';
import { k8sRef, uniqueRouteName } from './internal/context.js';
import { attachCorsPolicy } from './internal/cors.js';
import { applyBackends } from './internal/gateway-api/backends.js';
import { HOSTNAME_RE, type Doc, type MatchConfig, type Mutable, type RouteDraft } from './internal/gateway-api/common.js';
import { applyFilters, checkFilterList } from './internal/gateway-api/filters.js';
import { headerMatches, httpMatch, validRegex } from './internal/gateway-api/match.js';
import { applyRetry, applySessionPersistence, applyTimeouts } from './internal/gateway-api/rule-policies.js';
import { arr, at, get, has, isObj, obj, sinkFor, str, unmapped, type Obj, type Sink } from './internal/util.js';
import type { ImportedRoute } from './types.js';

const GRPC_SERVICE_RE = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;
const GRPC_METHOD_RE = /^[A-Za-z_][A-Za-z_0-9]*$/;
const HTTP_FILTERS = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite', 'ExtensionRef', 'CORS', 'ExternalAuth'] as const;
const GRPC_FILTERS = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef'] as const;
export function compareRouteDocuments(a: { createdAtMs: number | undefined; namespace: string; name: string }, b: { createdAtMs: number | undefined; namespace: string; name: string }): number {
  const ta = a.createdAtMs ?? Number.POSITIVE_INFINITY;
  const tb = b.createdAtMs ?? Number.POSITIVE_INFINITY;
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.namespace}/${a.name}`;
  const kb = `${b.namespace}/${b.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Imports HTTPRoutes and GRPCRoutes into `ctx`; returns the routes in precedence tie-break order. */
export function gatewayApiRoutes(ctx: ImportContext, sources: readonly SourcedDocument[]): ImportedRoute[] {
  const defaultNs = ctx.options.defaultNamespace ?? 'default';
  const docs: Doc[] = [];
  for (const src of sources) {
    const v = src.value;
    const kind = get(v, 'kind') as Doc['kind'];
    const ref = k8sRef(v, kind, src, defaultNs);
    const sink = sinkFor(ctx.messages, ref);
    if (ref.name === undefined) {
      sink.problem('metadata.name', 'is required');
      continue;
    }
    const ts = get(get(v, 'metadata'), 'creationTimestamp');
    let createdAtMs: number | undefined;
    if (typeof ts === 'string') {
      const t = Date.parse(ts);
      if (Number.isNaN(t)) sink.problem('metadata.creationTimestamp', 'must be an RFC 3339 date-time');
      else createdAtMs = t;
    } else if (ts instanceof Date) {
      createdAtMs = ts.getTime();
    }
    docs.push({ kind, src, namespace: ref.namespace ?? defaultNs, name: ref.name, createdAtMs });
  }
  docs.sort(compareRouteDocuments);
  const routes: ImportedRoute[] = [];
  for (const d of docs) routes.push(...routeDocument(ctx, d));
  return routes;
}

function routeDocument(ctx: ImportContext, d: Doc): ImportedRoute[] {
  const ref = k8sRef(d.src.value, d.kind, d.src, d.namespace);
  const sink = sinkFor(ctx.messages, ref);
  const apiVersion = get(d.src.value, 'apiVersion');
  if (typeof apiVersion === 'string' && !/^gateway\.networking\.k8s\.io\/v1(beta1|alpha2)?$/.test(apiVersion)) {
    sink.warn('apiVersion', `${apiVersion} is not a known Gateway API version: read as v1`);
  }
  const spec = obj(sink, d.src.value, 'spec', '');
  if (spec === undefined) {
    sink.problem('spec', 'is required');
    return [];
  }
  const grpc = d.kind === 'GRPCRoute';
  unmapped(sink, spec, ['parentRefs', 'hostnames', 'rules'], 'spec');
  const docProblems = ctx.messages.problems.length;
  checkParentRefs(sink, spec);

  const hostnames: string[] = [];
  const hs = arr(sink, spec, 'hostnames', 'spec');
  if (hs.length > 16) sink.problem('spec.hostnames', 'must have at most 16 items');
  hs.forEach((h, i) => {
    const p = `spec.hostnames[${i}]`;
    if (typeof h !== 'string') return sink.problem(p, 'must be a string');
    if (h.length < 1 || h.length > 253 || !HOSTNAME_RE.test(h)) return sink.problem(p, `must match ${HOSTNAME_RE.source} (RFC 1123 with an optional leading "*.")`);
    hostnames.push(h);
  });

  // CRD default: one rule matching every path (and, without backendRefs, answered 500).
  const rules = get(spec, 'rules') === undefined ? [{}] : arr(sink, spec, 'rules', 'spec');
  if (rules.length > 16) sink.problem('spec.rules', 'must have at most 16 items');
  // httproute_types.go HTTPRouteSpec.Rules: "the total number of matches across all rules in a route must be less than 128".
  const totalMatches = rules.slice(0, 16).reduce<number>((n, r) => n + (Array.isArray(get(r, 'matches')) ? (get(r, 'matches') as unknown[]).length : 0), 0);
  if (totalMatches > 128) sink.problem('spec.rules', 'While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128');
  // Experimental channel: "Rule name must be unique within the route".
  const ruleNames = rules.map((r) => get(r, 'name')).filter((n): n is string => typeof n === 'string');
  ruleNames.forEach((n, i) => {
    if (ruleNames.indexOf(n) !== i) sink.problem('spec.rules', `Rule name must be unique within the route (${JSON.stringify(n)})`);
  });

  // The API server refuses the whole object: a route-level problem (a bad hostname dropped would
  // widen the route to every host) leaves the document out.
  if (ctx.messages.problems.length > docProblems) return [];
  const out: ImportedRoute[] = [];
  rules.forEach((rule, i) => {
    const rp = `spec.rules[${i}]`;
    if (!isObj(rule)) return sink.problem(rp, 'must be an object');
    const before = ctx.messages.problems.length;
    const draft = grpc ? grpcRule(ctx, sink, rule, rp, d) : httpRule(ctx, sink, rule, rp, d);
    if (draft === undefined || ctx.messages.problems.length > before) return;
    const ruleName = typeof get(rule, 'name') === 'string' ? (get(rule, 'name') as string) : `rule-${i}`;
    draft.name = uniqueRouteName(ctx, `${d.namespace}/${d.name}/${ruleName}`, { document: ref, path: rp });
    if (hostnames.length > 0) draft.hostnames = hostnames;
    // The cors policy is named after the route: fill in its reference now that the name is known.
    attachCorsPolicy(ctx, draft);
    out.push(draft);
  });
  return out;
}

function checkParentRefs(sink: Sink, spec: Obj): void {
  const refs = arr(sink, spec, 'parentRefs', 'spec');
  if (refs.length > 32) sink.problem('spec.parentRefs', 'must have at most 32 items');
  // shared_types.go CommonRouteSpec.ParentRefs: two references to the same parent need distinct sectionNames.
  const keyOf = (p: unknown): string => `${String(get(p, 'group') ?? 'gateway.networking.k8s.io')}/${String(get(p, 'kind') ?? 'Gateway')}/${String(get(p, 'namespace') ?? '')}/${String(get(p, 'name'))}`;
  refs.forEach((p, i) => {
    if (!has(p, 'name')) sink.problem(`spec.parentRefs[${i}].name`, 'is required');
    const same = refs.filter((q) => keyOf(q) === keyOf(p));
    if (same.length < 2) return;
    const sec = (q: unknown): string => String(get(q, 'sectionName') ?? '');
    if (same.some((q) => (sec(q) === '') !== (sec(p) === ''))) sink.problem(`spec.parentRefs[${i}]`, 'sectionName must be specified when parentRefs includes 2 or more references to the same parent');
    else if (same.filter((q) => sec(q) === sec(p) && String(get(q, 'port') ?? '') === String(get(p, 'port') ?? '')).length > 1) {
      sink.problem(`spec.parentRefs[${i}]`, 'sectionName must be unique when parentRefs includes 2 or more references to the same parent');
    }
  });
}

// ---------------------------------------------------------------------------------------------
// HTTPRoute rules

function httpRule(ctx: ImportContext, sink: Sink, rule: Obj, rp: string, d: Doc): RouteDraft | undefined {
  unmapped(sink, rule, ['name', 'matches', 'filters', 'backendRefs', 'timeouts', 'retry', 'sessionPersistence'], rp);
  const route: RouteDraft = { name: '' };
  // Absent (or empty) matches: the CRD default, one PathPrefix "/" match.
  const noMatches = get(rule, 'matches') === undefined || (Array.isArray(get(rule, 'matches')) && (get(rule, 'matches') as unknown[]).length === 0);
  const rawMatches = noMatches ? [{ path: { type: 'PathPrefix', value: '/' } }] : arr(sink, rule, 'matches', rp);
  if (rawMatches.length > 64) sink.problem(at(rp, 'matches'), 'must have at most 64 items');
  const matches: MatchConfig[] = [];
  rawMatches.forEach((m, j) => {
    const mc = httpMatch(sink, m, `${rp}.matches[${j}]`);
    if (mc !== undefined) matches.push(mc);
  });
  route.matches = matches;

  const filters = arr(sink, rule, 'filters', rp);
  const backendRefs = arr(sink, rule, 'backendRefs', rp);
  if (backendRefs.length > 16) sink.problem(at(rp, 'backendRefs'), 'must have at most 16 items');
  checkFilterList(sink, filters, at(rp, 'filters'), HTTP_FILTERS);
  // httproute_types.go HTTPRouteRule XValidations.
  if (backendRefs.length > 0 && filters.some((f) => has(f, 'requestRedirect'))) sink.problem(at(rp, 'filters'), 'RequestRedirect filter must not be used together with backendRefs');
  const onePrefix = rawMatches.length === 1 && get(get(rawMatches[0], 'path'), 'type') === 'PathPrefix';
  const needsPrefix = (fs: readonly unknown[], field: string): boolean => fs.some((f) => get(get(get(f, field), 'path'), 'type') === 'ReplacePrefixMatch' && has(get(get(f, field), 'path'), 'replacePrefixMatch'));
  // `get(rule, 'matches') === undefined` defaults to one PathPrefix match, which satisfies the rule.
  const prefixOk = noMatches || onePrefix;
  if (!prefixOk && needsPrefix(filters, 'requestRedirect')) sink.problem(at(rp, 'filters'), 'When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified');
  if (!prefixOk && needsPrefix(filters, 'urlRewrite')) sink.problem(at(rp, 'filters'), 'When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified');
  const backendFilters = backendRefs.map((b) => (Array.isArray(get(b, 'filters')) ? (get(b, 'filters') as unknown[]) : []));
  if (!prefixOk && backendFilters.some((fs) => needsPrefix(fs, 'requestRedirect'))) sink.problem(at(rp, 'backendRefs'), 'Within backendRefs, when using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified');
  if (!prefixOk && backendFilters.some((fs) => needsPrefix(fs, 'urlRewrite'))) sink.problem(at(rp, 'backendRefs'), 'Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified');

  applyFilters(ctx, sink, route, filters, at(rp, 'filters'), d, 'rule');
  applyBackends(ctx, sink, route, backendRefs, at(rp, 'backendRefs'), d, HTTP_FILTERS);

  const timeouts = obj(sink, rule, 'timeouts', rp);
  if (timeouts !== undefined) applyTimeouts(sink, route, timeouts, at(rp, 'timeouts'));
  const retry = obj(sink, rule, 'retry', rp);
  if (retry !== undefined) applyRetry(sink, route, retry, at(rp, 'retry'));
  const sp = obj(sink, rule, 'sessionPersistence', rp);
  if (sp !== undefined) applySessionPersistence(sink, route, sp, at(rp, 'sessionPersistence'));
  return route;
}

// ---------------------------------------------------------------------------------------------
// GRPCRoute

function grpcRule(ctx: ImportContext, sink: Sink, rule: Obj, rp: string, d: Doc): RouteDraft | undefined {
  unmapped(sink, rule, ['name', 'matches', 'filters', 'backendRefs', 'sessionPersistence'], rp);
  const route: RouteDraft = { name: '' };
  const rawMatches = arr(sink, rule, 'matches', rp);
  if (rawMatches.length > 64) sink.problem(at(rp, 'matches'), 'must have at most 64 items');
  const matches: MatchConfig[] = [];
  rawMatches.forEach((m, j) => {
    const mp = `${rp}.matches[${j}]`;
    if (!isObj(m)) return sink.problem(mp, 'must be an object');
    unmapped(sink, m, ['method', 'headers'], mp);
    const out: Mutable<MatchConfig> = {};
    const method = obj(sink, m, 'method', mp);
    if (method !== undefined) {
      const path = grpcMethodPath(sink, method, at(mp, 'method'));
      if (path === undefined) return;
      out.path = path;
    }
    const headers = headerMatches(sink, m, mp, 'headers');
    if (headers.length > 0) out.headers = headers.map((h) => ({ name: h.name, type: h.type, value: h.value }));
    matches.push(out);
  });
  // No matches: every gRPC request (grpcroute_types.go GRPCRouteRule.Matches).
  if (matches.length > 0) route.matches = matches;
  const filters = arr(sink, rule, 'filters', rp);
  checkFilterList(sink, filters, at(rp, 'filters'), GRPC_FILTERS);
  applyFilters(ctx, sink, route, filters, at(rp, 'filters'), d, 'rule');
  const backendRefs = arr(sink, rule, 'backendRefs', rp);
  if (backendRefs.length > 16) sink.problem(at(rp, 'backendRefs'), 'must have at most 16 items');
  applyBackends(ctx, sink, route, backendRefs, at(rp, 'backendRefs'), d, GRPC_FILTERS);
  const sp = obj(sink, rule, 'sessionPersistence', rp);
  if (sp !== undefined) applySessionPersistence(sink, route, sp, at(rp, 'sessionPersistence'));
  return route;
}

/**
 * `GRPCMethodMatch` → a path match: gRPC calls are `POST /<service>/<method>` (gRPC over HTTP/2
 * spec). Exact service + method is an `Exact` path; service alone a `PathPrefix`; a method alone or
 * a `RegularExpression` match a regex over the whole path.
 */
function grpcMethodPath(sink: Sink, m: Obj, mp: string): MatchConfig['path'] | undefined {
  const type = get(m, 'type') ?? 'Exact';
  if (type !== 'Exact' && type !== 'RegularExpression') return (sink.problem(at(mp, 'type'), "must be one of 'Exact', 'RegularExpression'"), undefined);
  const service = str(sink, m, 'service', mp);
  const method = str(sink, m, 'method', mp);
  if (service === undefined && method === undefined) return (sink.problem(mp, "One or both of 'service' or 'method' must be specified"), undefined);
  if (type === 'Exact') {
    if (service !== undefined && !GRPC_SERVICE_RE.test(service)) return (sink.problem(at(mp, 'service'), `service must only contain valid characters (matching ^(?i)${GRPC_SERVICE_RE.source.slice(1)})`), undefined);
    if (method !== undefined && !GRPC_METHOD_RE.test(method)) return (sink.problem(at(mp, 'method'), `method must only contain valid characters (matching ${GRPC_METHOD_RE.source})`), undefined);
    if (service !== undefined && method !== undefined) return { type: 'Exact', value: `/${service}/${method}` };
    if (service !== undefined) return { type: 'PathPrefix', value: `/${service}` };
    return { type: 'RegularExpression', value: `/[^/]+/${method as string}` };
  }
  for (const [k, v] of [['service', service], ['method', method]] as const) if (v !== undefined && !validRegex(v)) return (sink.problem(at(mp, k), 'is not a valid regular expression'), undefined);
  return { type: 'RegularExpression', value: `/(?:${service ?? '[^/]+'})/(?:${method ?? '[^/]+'})` };
}
