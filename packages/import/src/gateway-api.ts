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
 */
import type { BackendConfig, RetryConfig, RouteConfig } from '@switchyard/gateway';
import type { ImportContext, SourcedDocument } from './internal/context.js';
import { k8sRef, uniqueRouteName } from './internal/context.js';
import { arr, at, bool, gatewayDuration, get, has, int, isObj, obj, sinkFor, str, unmapped, type Obj, type Sink } from './internal/util.js';
import type { ImportedRoute, SessionPersistenceConfig } from './types.js';

type MatchConfig = NonNullable<RouteConfig['matches']>[number];
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type RouteDraft = Mutable<ImportedRoute>;

// -- patterns of the CRD schema (shared_types.go / httproute_types.go)
const HOSTNAME_RE = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PRECISE_HOSTNAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HEADER_NAME_RE = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const PATH_VALUE_RE = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;
const CORS_ORIGIN_RE = /(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)/;
const GRPC_SERVICE_RE = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;
const GRPC_METHOD_RE = /^[A-Za-z_][A-Za-z_0-9]*$/;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
const HTTP_FILTERS = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite', 'ExtensionRef', 'CORS', 'ExternalAuth'] as const;
const GRPC_FILTERS = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef'] as const;
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

type Kind = 'HTTPRoute' | 'GRPCRoute';

interface Doc {
  readonly kind: Kind;
  readonly src: SourcedDocument;
  readonly namespace: string;
  readonly name: string;
  readonly createdAtMs: number | undefined;
}

/**
 * The spec's order across routes: oldest `metadata.creationTimestamp` first (a manifest without
 * one, as in git, counts as newer than any with one: it is created when applied), then
 * `{namespace}/{name}` alphabetically (`HTTPRouteRule.Matches`, httproute_types.go). The rules
 * of one route keep their order.
 */
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
    const kind = get(v, 'kind') as Kind;
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
    const cors = (draft as { corsOptions?: Record<string, unknown> }).corsOptions;
    if (cors !== undefined) {
      delete (draft as { corsOptions?: unknown }).corsOptions;
      const policyName = `cors:${draft.name}`;
      ctx.policies[policyName] = { type: 'cors', options: cors };
      draft.policies = { inbound: [policyName] };
    }
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

function httpMatch(sink: Sink, m: unknown, mp: string): MatchConfig | undefined {
  if (!isObj(m)) {
    sink.problem(mp, 'must be an object');
    return undefined;
  }
  unmapped(sink, m, ['path', 'headers', 'queryParams', 'method'], mp);
  const out: Mutable<MatchConfig> = {};
  const path = get(m, 'path') === undefined ? { type: 'PathPrefix', value: '/' } : obj(sink, m, 'path', mp);
  if (path !== undefined) {
    const pp = at(mp, 'path');
    const type = get(path, 'type') ?? 'PathPrefix';
    const value = get(path, 'value') ?? '/';
    if (typeof value !== 'string') sink.problem(at(pp, 'value'), 'must be a string');
    else if (value.length > 1024) sink.problem(at(pp, 'value'), 'must be at most 1024 characters');
    // httproute_types.go HTTPPathMatch XValidations, in their order.
    else if (type !== 'Exact' && type !== 'PathPrefix' && type !== 'RegularExpression') sink.problem(at(pp, 'type'), "type must be one of ['Exact', 'PathPrefix', 'RegularExpression']");
    else if (type === 'RegularExpression') {
      if (!validRegex(value)) sink.problem(at(pp, 'value'), 'is not a valid regular expression');
      else out.path = { type: 'RegularExpression', value };
    } else {
      const bad = pathValueProblem(value);
      if (bad !== undefined) sink.problem(at(pp, 'value'), bad);
      else out.path = { type, value };
    }
  }
  const headers = headerMatches(sink, m, mp, 'headers');
  if (headers.length > 0) out.headers = headers.map((h) => ({ name: h.name, type: h.type, value: h.value }));
  const query = headerMatches(sink, m, mp, 'queryParams');
  if (query.length > 0) out.queryParams = query.map((h) => ({ name: h.name, type: h.type, value: h.value }));
  const method = get(m, 'method');
  if (method !== undefined) {
    if (typeof method !== 'string' || !METHODS.includes(method)) sink.problem(at(mp, 'method'), `must be one of ${METHODS.join(', ')}`);
    else out.method = method;
  }
  return out;
}

/** The `HTTPPathMatch` CEL rules for `Exact` / `PathPrefix` values, with the CRD's messages. */
export function pathValueProblem(value: string): string | undefined {
  const types = "when type one of ['Exact', 'PathPrefix']";
  if (!value.startsWith('/')) return `value must be an absolute path and start with '/' ${types}`;
  if (value.includes('//')) return `must not contain '//' ${types}`;
  if (value.includes('/./')) return `must not contain '/./' ${types}`;
  if (value.includes('/../')) return `must not contain '/../' ${types}`;
  if (value.includes('%2f')) return `must not contain '%2f' ${types}`;
  if (value.includes('%2F')) return `must not contain '%2F' ${types}`;
  if (value.includes('#')) return `must not contain '#' ${types}`;
  if (value.endsWith('/..')) return `must not end with '/..' ${types}`;
  if (value.endsWith('/.')) return `must not end with '/.' ${types}`;
  if (!PATH_VALUE_RE.test(value)) return `must only contain valid characters (matching ${PATH_VALUE_RE.source}) for types ['Exact', 'PathPrefix']`;
  return undefined;
}

function validRegex(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

interface NameValueMatch {
  readonly name: string;
  readonly type: 'Exact' | 'RegularExpression';
  readonly value: string;
}

/**
 * `headers` / `queryParams` of a match (`+listType=map +listMapKey=name`: the API server refuses
 * a name twice; header names are case-insensitive, so `Foo` and `foo` both pass it and "only the
 * first entry with an equivalent name MUST be considered").
 */
function headerMatches(sink: Sink, m: Obj, mp: string, key: 'headers' | 'queryParams'): NameValueMatch[] {
  const list = arr(sink, m, key, mp);
  if (list.length > 16) sink.problem(at(mp, key), 'must have at most 16 items');
  const out: NameValueMatch[] = [];
  const seen: string[] = [];
  list.forEach((h, k) => {
    const hp = `${mp}.${key}[${k}]`;
    if (!isObj(h)) return sink.problem(hp, 'must be an object');
    const name = str(sink, h, 'name', hp);
    const value = str(sink, h, 'value', hp);
    const type = get(h, 'type') ?? 'Exact';
    if (name === undefined) return sink.problem(at(hp, 'name'), 'is required');
    if (value === undefined) return sink.problem(at(hp, 'value'), 'is required');
    if (name.length > 256 || !HEADER_NAME_RE.test(name)) return sink.problem(at(hp, 'name'), `must match ${HEADER_NAME_RE.source}`);
    if (value.length < 1 || value.length > (key === 'headers' ? 4096 : 1024)) return sink.problem(at(hp, 'value'), `must be 1 to ${key === 'headers' ? 4096 : 1024} characters`);
    if (type !== 'Exact' && type !== 'RegularExpression') return sink.problem(at(hp, 'type'), "must be one of 'Exact', 'RegularExpression'");
    if (type === 'RegularExpression' && !validRegex(value)) return sink.problem(at(hp, 'value'), 'is not a valid regular expression');
    if (seen.includes(name)) return sink.problem(at(hp, 'name'), `Duplicate value: ${JSON.stringify(name)} (a list map keyed by name)`);
    const folded = key === 'headers' ? name.toLowerCase() : name;
    if (seen.some((s) => (key === 'headers' ? s.toLowerCase() : s) === folded)) {
      seen.push(name);
      return sink.warn(hp, `same header name as an earlier entry: only the first is considered (Gateway API HTTPHeaderMatch)`);
    }
    seen.push(name);
    out.push({ name, type, value });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Filters

/** The filter-list rules: known types, field/type agreement, at most one of each but mirrors and extensions, redirect XOR rewrite. */
function checkFilterList(sink: Sink, filters: readonly unknown[], fp: string, allowed: readonly string[]): void {
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
function applyFilters(ctx: ImportContext, sink: Sink, route: RouteDraft, filters: readonly unknown[], fp: string, d: Doc, level: 'rule' | 'backend'): void {
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
        if (opts !== undefined) (route as { corsOptions?: Record<string, unknown> }).corsOptions = opts;
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
  return {
    origins,
    ...(methods.length > 0 ? { methods } : {}),
    ...(allowHeaders.length > 0 ? { allowHeaders } : {}),
    ...(exposeHeaders.length > 0 ? { exposeHeaders } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
    ...(maxAge !== undefined ? { maxAgeSeconds: maxAge } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Backends

/** A `BackendObjectReference` (Service by default) → upstream name, through the resolver. */
function resolveRef(ctx: ImportContext, sink: Sink, ref: Obj, rp: string, d: Doc): string | undefined {
  const name = str(sink, ref, 'name', rp);
  if (name === undefined) return (sink.problem(at(rp, 'name'), 'is required'), undefined);
  const group = get(ref, 'group') ?? '';
  const kind = get(ref, 'kind') ?? 'Service';
  // object_reference_types.go BackendObjectReference: "Must have port for Service reference".
  if (group === '' && kind === 'Service' && !has(ref, 'port')) return (sink.problem(rp, 'Must have port for Service reference'), undefined);
  const port = int(sink, ref, 'port', rp, 1, 65535);
  if (group !== '' || kind !== 'Service') {
    sink.warn(rp, `${String(group) === '' ? '' : `${String(group)}/`}${String(kind)} backends have no switchyard counterpart (only core Services resolve): the requests it would get are answered 500 (Gateway API: an invalid backendRef)`);
    return undefined;
  }
  const namespace = typeof get(ref, 'namespace') === 'string' ? (get(ref, 'namespace') as string) : d.namespace;
  if (namespace !== d.namespace) sink.warn(at(rp, 'namespace'), `a reference to namespace ${JSON.stringify(namespace)} needs a ReferenceGrant in the cluster; switchyard does not check one`);
  return ctx.upstreams.service(sink, rp, { kind: 'service', name, namespace, ...(port !== undefined ? { port } : {}) });
}

function applyBackends(ctx: ImportContext, sink: Sink, route: RouteDraft, refs: readonly unknown[], bp: string, d: Doc, allowed: readonly string[]): void {
  const backends: BackendConfig[] = [];
  const single = refs.length === 1;
  let total = 0;
  let invalidWeight = 0;
  refs.forEach((b, k) => {
    const p = `${bp}[${k}]`;
    if (!isObj(b)) return sink.problem(p, 'must be an object');
    unmapped(sink, b, ['group', 'kind', 'name', 'namespace', 'port', 'weight', 'filters'], p);
    const weight = has(b, 'weight') ? int(sink, b, 'weight', p, 0, 1_000_000) : 1;
    const filters = arr(sink, b, 'filters', p);
    checkFilterList(sink, filters, at(p, 'filters'), allowed);
    const upstream = resolveRef(ctx, sink, b, p, d);
    if (filters.length > 0) {
      if (single) {
        // The only backend: its filters apply to every request of the rule.
        applyFilters(ctx, sink, route, filters, at(p, 'filters'), d, 'backend');
      } else {
        sink.warn(at(p, 'filters'), 'per-backend filters with several backends have no switchyard counterpart (a route\'s rewrite applies to every backend): ignored');
      }
    }
    if (weight === undefined) return;
    total += weight;
    if (upstream === undefined) {
      // A reference of another kind (a warning, not a problem): the spec's invalid backendRef.
      if (!ctx.messages.problems.some((m) => m.document === sink.doc && m.path.startsWith(p))) invalidWeight += weight;
      return;
    }
    backends.push({ upstream, ...(weight !== 1 ? { weight } : {}), ...(backends.some((x) => x.upstream === upstream) ? { name: `${upstream}#${k}` } : {}) });
  });
  if (route.redirect !== undefined) return; // a redirect answers: its backends (only per-backend redirects get here) are unused
  if (backends.length > 0) route.backends = backends;
  // "Requests that would have been routed to an invalid backendRef MUST receive a 500, in proportion
  // to its weight" (HTTPBackendRef, httproute_types.go): the fault abort takes exactly that share
  // before the split, and the valid backends keep their relative weights. With no valid backend the
  // route has none and answers 500 anyway.
  if (invalidWeight > 0 && backends.length > 0 && route.fault === undefined && backends.some((b) => (b.weight ?? 1) > 0)) {
    route.fault = { abort: { httpStatus: 500, percent: (100 * invalidWeight) / total } };
  }
}

// ---------------------------------------------------------------------------------------------
// Timeouts, retry, session persistence

function duration(sink: Sink, o: Obj, key: string, p: string): number | undefined {
  const v = get(o, key);
  if (v === undefined || v === null) return undefined;
  const ms = typeof v === 'string' ? gatewayDuration(v) : undefined;
  if (ms === undefined) sink.problem(at(p, key), 'must be a Gateway API duration (GEP-2257: ^([0-9]{1,5}(h|m|s|ms)){1,4}$, e.g. "10s", "1h30m", "500ms")');
  return ms;
}

function applyTimeouts(sink: Sink, route: RouteDraft, t: Obj, tp: string): void {
  unmapped(sink, t, ['request', 'backendRequest'], tp);
  const request = duration(sink, t, 'request', tp);
  const backend = duration(sink, t, 'backendRequest', tp);
  // httproute_types.go HTTPRouteTimeouts: "backendRequest timeout cannot be longer than request timeout" (unless request is 0s).
  if (request !== undefined && backend !== undefined && request !== 0 && backend > request) return sink.problem(tp, 'backendRequest timeout cannot be longer than request timeout');
  // "0s" SHOULD disable the timeout: switchyard's 0 does.
  if (request !== undefined) route.timeoutMs = request;
  if (backend !== undefined && backend > 0) {
    route.perTryTimeoutMs = backend;
    // Unset request timeout is implementation-specific: without one, do not cut a try shorter than asked.
    if (request === undefined && backend > 15_000) route.timeoutMs = 0;
  }
}

function applyRetry(sink: Sink, route: RouteDraft, r: Obj, rp: string): void {
  unmapped(sink, r, ['codes', 'attempts', 'backoff'], rp);
  const codes: number[] = [];
  arr(sink, r, 'codes', rp).forEach((c, i) => {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 400 || c > 599) return sink.problem(`${rp}.codes[${i}]`, 'must be an HTTP status between 400 and 599');
    if (!codes.includes(c)) codes.push(c);
  });
  const attempts = has(r, 'attempts') ? int(sink, r, 'attempts', rp, 1, Number.MAX_SAFE_INTEGER) : undefined;
  const backoff = duration(sink, r, 'backoff', rp);
  const retry: Mutable<RetryConfig> = {
    // GEP-1731: "Implementations SHOULD retry on connection errors … if a retry stanza is configured".
    retryOn: codes.length > 0 ? ['connect-failure', 'reset', 'retriable-status-codes'] : ['connect-failure', 'reset'],
    // Envoy-based implementations retry every method; the Gateway API does not restrict them.
    retryNonIdempotent: true,
  };
  if (codes.length > 0) retry.retriableStatusCodes = codes;
  if (attempts !== undefined) {
    if (attempts > 100) sink.warn(at(rp, 'attempts'), 'switchyard allows at most 100 retries: 100 imported');
    retry.numRetries = Math.min(attempts, 100);
  }
  if (backoff !== undefined) {
    if (backoff < 1) sink.warn(at(rp, 'backoff'), 'a back-off below 1 ms is raised to 1 ms');
    retry.baseIntervalMs = Math.max(1, backoff);
  }
  route.retry = retry;
}

/** The session cookie / header name when a `sessionPersistence` gives none. */
const DEFAULT_SESSION_NAME = 'sy-session';

/** GEP-1619 `sessionPersistence`: the v1.6 shape (`sessionName`, `cookieConfig`) and the newer one (`cookie`, `header`). */
function applySessionPersistence(sink: Sink, route: RouteDraft, s: Obj, sp: string): void {
  unmapped(sink, s, ['sessionName', 'absoluteTimeout', 'idleTimeout', 'type', 'cookieConfig', 'cookie', 'header'], sp);
  const type = get(s, 'type') ?? 'Cookie';
  if (type !== 'Cookie' && type !== 'Header') return sink.problem(at(sp, 'type'), "must be one of 'Cookie', 'Header'");
  // shared_types.go SessionPersistence XValidations (newer shape).
  if (has(s, 'cookie') && type !== 'Cookie') sink.problem(at(sp, 'cookie'), 'cookie must be nil if type is not Cookie');
  if (has(s, 'header') && type !== 'Header') sink.problem(at(sp, 'header'), 'header must be nil if type is not Header');
  const lifetime = get(get(s, 'cookie'), 'lifetimeType') ?? get(get(s, 'cookieConfig'), 'lifetimeType');
  if (lifetime === 'Permanent' && !has(s, 'absoluteTimeout')) sink.problem(sp, 'AbsoluteTimeout must be specified when cookie lifetimeType is Permanent');
  const name = str(sink, s, 'sessionName', sp) ?? (typeof get(get(s, 'cookie'), 'name') === 'string' ? (get(get(s, 'cookie'), 'name') as string) : undefined) ?? (typeof get(get(s, 'header'), 'name') === 'string' ? (get(get(s, 'header'), 'name') as string) : undefined);
  if (name !== undefined && name.length > 128) sink.problem(at(sp, 'sessionName'), 'must be at most 128 characters');
  const absolute = duration(sink, s, 'absoluteTimeout', sp);
  const idle = duration(sink, s, 'idleTimeout', sp);
  if (lifetime !== undefined) sink.warn(has(s, 'cookie') ? `${sp}.cookie.lifetimeType` : `${sp}.cookieConfig.lifetimeType`, 'has no switchyard counterpart: a cookie gets Max-Age from absoluteTimeout when one is set, else it is a session cookie');
  if (has(get(s, 'cookie'), 'path')) sink.warn(`${sp}.cookie.path`, 'has no switchyard counterpart in route session persistence: ignored');
  // GEP-1619 leaves the name to the implementation when `sessionName` is absent; the gateway's
  // route `sessionPersistence` needs one (affinity.ts), so a fixed default is given.
  const out: Mutable<SessionPersistenceConfig> = { type, sessionName: name ?? DEFAULT_SESSION_NAME };
  if (absolute !== undefined) out.absoluteTimeoutMs = absolute;
  if (idle !== undefined) out.idleTimeoutMs = idle;
  route.sessionPersistence = out;
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
