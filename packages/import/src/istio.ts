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
 */
import type { BackendConfig, BalancerConfig, RetryConfig, RouteConfig, UpstreamConfig } from '@switchyard/gateway';
import type { ImportContext, SourcedDocument } from './internal/context.js';
import { k8sRef, uniqueRouteName } from './internal/context.js';
import { arr, at, bool, get, has, int, isObj, obj, protoDuration, sinkFor, str, unmapped, type Obj, type Sink } from './internal/util.js';
import type { ImportedRoute } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MatchConfig = NonNullable<RouteConfig['matches']>[number];
type HeaderMatch = NonNullable<MatchConfig['headers']>[number];
type RetryOn = NonNullable<RetryConfig['retryOn']>[number];

const HEADER_NAME_RE = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const REDIRECT_CODES = [301, 302, 303, 307, 308] as const;
const UNLIMITED = 4_294_967_295; // 2^32 - 1: Istio's connection pool defaults (semantics.md §3.2)

interface SubsetInfo {
  readonly labels: Readonly<Record<string, string>>;
  readonly trafficPolicy: Obj | undefined;
  readonly path: string;
}

interface RuleInfo {
  readonly sink: Sink;
  readonly trafficPolicy: Obj | undefined;
  readonly subsets: Map<string, SubsetInfo>;
  used: boolean;
}

interface Ctx {
  readonly ctx: ImportContext;
  readonly domain: string;
  /** DestinationRules by `name.namespace`. */
  readonly rules: Map<string, RuleInfo>;
  /** Upstreams already given their policy. */
  readonly configured: Set<string>;
}

/** A host as `name` + `namespace` when it is a cluster service name, else the host itself. */
function serviceOf(host: string, namespace: string, domain: string): { name: string; namespace: string; host?: string } {
  const h = host.toLowerCase();
  if (!h.includes('.')) return { name: h, namespace };
  const suffix = `.svc.${domain}`;
  if (h.endsWith(suffix)) {
    const parts = h.slice(0, -suffix.length).split('.');
    if (parts.length === 2) return { name: parts[0] as string, namespace: parts[1] as string };
  }
  // A name with dots that is not `name.namespace.svc.<domain>` is an external host (Istio reads only dotless names as short names).
  return { name: h, namespace, host: h };
}

const ruleKey = (s: { name: string; namespace: string; host?: string }): string => s.host ?? `${s.name}.${s.namespace}`;

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
// DestinationRule

function destinationRule(c: Ctx, src: SourcedDocument, defaultNs: string): void {
  const ref = k8sRef(src.value, 'DestinationRule', src, defaultNs);
  const sink = sinkFor(c.ctx.messages, ref);
  if (ref.name === undefined) return sink.problem('metadata.name', 'is required');
  const spec = obj(sink, src.value, 'spec', '');
  if (spec === undefined) return sink.problem('spec', 'is required');
  unmapped(sink, spec, ['host', 'trafficPolicy', 'subsets', 'exportTo', 'workloadSelector'], 'spec');
  const host = str(sink, spec, 'host', 'spec');
  if (host === undefined || host === '') return sink.problem('spec.host', 'destination rule must have an associated host');
  const tp = obj(sink, spec, 'trafficPolicy', 'spec');
  const before = c.ctx.messages.problems.length;
  if (tp !== undefined) upstreamPolicy(sink, tp, 'spec.trafficPolicy');
  const subsets = new Map<string, SubsetInfo>();
  arr(sink, spec, 'subsets', 'spec').forEach((s, i) => {
    const sp = `spec.subsets[${i}]`;
    if (!isObj(s)) return sink.problem(sp, 'must be an object');
    unmapped(sink, s, ['name', 'labels', 'trafficPolicy'], sp);
    const name = str(sink, s, 'name', sp);
    if (name === undefined || name === '') return sink.problem(at(sp, 'name'), 'subset name cannot be empty');
    if (!DNS_LABEL_RE.test(name)) return sink.problem(at(sp, 'name'), `subset name is invalid: ${name}`);
    if (subsets.has(name)) return sink.problem(at(sp, 'name'), `duplicate subset name ${JSON.stringify(name)}`);
    const labels: Record<string, string> = {};
    const l = obj(sink, s, 'labels', sp);
    for (const [k, v] of Object.entries(l ?? {})) {
      if (typeof v !== 'string') sink.problem(`${sp}.labels.${k}`, 'must be a string');
      else labels[k] = v;
    }
    const stp = obj(sink, s, 'trafficPolicy', sp);
    if (stp !== undefined) upstreamPolicy(sink, stp, `${sp}.trafficPolicy`);
    subsets.set(name, { labels, trafficPolicy: stp, path: sp });
  });
  if (c.ctx.messages.problems.length > before) return;
  const svc = serviceOf(host, ref.namespace ?? defaultNs, c.domain);
  c.rules.set(ruleKey(svc), { sink, trafficPolicy: tp, subsets, used: false });
}

/**
 * A `TrafficPolicy` as switchyard upstream settings (and the warnings of what has no
 * counterpart). Subset policies are merged over the host's field by field, as Istio does
 * ("settings specified at the subset level override the corresponding settings at the
 * destination level").
 */
function upstreamPolicy(sink: Sink, tp: Obj, p: string): Omit<UpstreamConfig, 'endpoints'> {
  unmapped(sink, tp, ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls', 'portLevelSettings', 'tunnel', 'proxyProtocol', 'retryBudget'], p);
  for (const k of ['tls', 'portLevelSettings', 'tunnel', 'proxyProtocol']) if (has(tp, k)) sink.warn(at(p, k), 'has no switchyard counterpart (the transport owns TLS and ports): ignored');
  const out: Mutable<Omit<UpstreamConfig, 'endpoints'>> = {};
  const lb = obj(sink, tp, 'loadBalancer', p);
  const balancer = lb === undefined ? ({ policy: 'least-request' } as BalancerConfig) : loadBalancer(sink, lb, at(p, 'loadBalancer'), out);
  if (balancer !== undefined) out.balancer = balancer;
  const cp = obj(sink, tp, 'connectionPool', p);
  // Istio's pools are effectively unlimited where Envoy's (and switchyard's) default is 1024 / 3.
  // (maxPendingRequests and maxConnections are only set when asked: the fetch transport refuses them.)
  const limits: Mutable<NonNullable<UpstreamConfig['resourceLimits']>> = { maxRequests: UNLIMITED, maxRetries: UNLIMITED };
  if (cp !== undefined) connectionPool(sink, cp, at(p, 'connectionPool'), limits);
  const rb = obj(sink, tp, 'retryBudget', p);
  if (rb !== undefined) {
    const rbp = at(p, 'retryBudget');
    unmapped(sink, rb, ['percent', 'minRetryConcurrency', 'budgetInterval'], rbp);
    const percent = get(get(rb, 'percent'), 'value') ?? get(rb, 'percent');
    const min = int(sink, rb, 'minRetryConcurrency', rbp, 0, UNLIMITED);
    if (percent !== undefined && (typeof percent !== 'number' || percent < 0 || percent > 100)) sink.problem(at(rbp, 'percent'), 'must be between 0 and 100');
    if (has(rb, 'budgetInterval')) sink.warn(at(rbp, 'budgetInterval'), 'has no switchyard counterpart (the budget counts active requests, as Envoy): ignored');
    limits.retryBudget = { budgetPercent: typeof percent === 'number' ? percent : 20, minRetryConcurrency: min ?? 3 };
    delete limits.maxRetries;
  }
  out.resourceLimits = limits;
  const od = obj(sink, tp, 'outlierDetection', p);
  if (od !== undefined) outlierDetection(sink, od, at(p, 'outlierDetection'), out);
  return out;
}

function loadBalancer(sink: Sink, lb: Obj, p: string, out: Mutable<Omit<UpstreamConfig, 'endpoints'>>): BalancerConfig | undefined {
  unmapped(sink, lb, ['simple', 'consistentHash', 'localityLbSetting', 'warmupDurationSecs', 'warmup'], p);
  if (has(lb, 'simple') && has(lb, 'consistentHash')) sink.problem(p, 'only one of simple or consistentHash may be set');
  let balancer: BalancerConfig | undefined = { policy: 'least-request' };
  const simple = get(lb, 'simple');
  if (simple !== undefined) {
    switch (simple) {
      case 'UNSPECIFIED':
      case 'LEAST_REQUEST':
      case 'LEAST_CONN': // deprecated alias of LEAST_REQUEST (destination_rule.proto)
        balancer = { policy: 'least-request' };
        break;
      case 'ROUND_ROBIN':
        balancer = { policy: 'round-robin' };
        break;
      case 'RANDOM':
        balancer = { policy: 'random' };
        break;
      case 'PASSTHROUGH':
        sink.warn(at(p, 'simple'), 'PASSTHROUGH (original destination) has no switchyard counterpart: least-request is used');
        break;
      default:
        sink.problem(at(p, 'simple'), 'must be one of UNSPECIFIED, RANDOM, PASSTHROUGH, ROUND_ROBIN, LEAST_REQUEST, LEAST_CONN');
    }
  }
  const ch = obj(sink, lb, 'consistentHash', p);
  if (ch !== undefined) balancer = consistentHash(sink, ch, at(p, 'consistentHash'));
  const loc = obj(sink, lb, 'localityLbSetting', p);
  if (loc !== undefined) {
    const lp = at(p, 'localityLbSetting');
    unmapped(sink, loc, ['enabled', 'distribute', 'failover', 'failoverPriority'], lp);
    const set = ['distribute', 'failover', 'failoverPriority'].filter((k) => arr(sink, loc, k, lp).length > 0);
    if (set.length > 1) sink.problem(lp, 'can not simultaneously set more than one of distribute, failover and failoverPriority');
    const distribute = arr(sink, loc, 'distribute', lp);
    distribute.forEach((d, i) => {
      const total = Object.values(isObj(get(d, 'to')) ? (get(d, 'to') as Obj) : {}).reduce<number>((n, v) => n + (typeof v === 'number' ? v : 0), 0);
      if (total !== 100) sink.problem(`${lp}.distribute[${i}].to`, 'total weight must be 100');
    });
    for (const k of set) sink.warn(at(lp, k), `has no switchyard counterpart (switchyard weighs every locality equally and prefers \`localZone\`): ignored`);
    if (bool(sink, loc, 'enabled', lp) !== false) out.locality = {};
  }
  const warmup = obj(sink, lb, 'warmup', p);
  const warmupSecs = get(lb, 'warmupDurationSecs');
  if (warmup !== undefined || warmupSecs !== undefined) {
    const wp = warmup !== undefined ? at(p, 'warmup') : at(p, 'warmupDurationSecs');
    const windowMs = warmup !== undefined ? durationField(sink, warmup, 'duration', wp, true) : typeof warmupSecs === 'string' ? protoDuration(warmupSecs) : undefined;
    const minimumPercent = warmup !== undefined ? (get(get(warmup, 'minimumPercent'), 'value') ?? get(warmup, 'minimumPercent')) : undefined;
    const aggression = warmup !== undefined ? (get(get(warmup, 'aggression'), 'value') ?? get(warmup, 'aggression')) : undefined;
    if (typeof aggression === 'number' && aggression < 1) sink.problem(at(wp, 'aggression'), 'aggression should be greater than or equal to 1');
    if (typeof minimumPercent === 'number' && (minimumPercent < 0 || minimumPercent > 100)) sink.problem(at(wp, 'minimumPercent'), 'minimumPercent value should be less than or equal to 100');
    if (windowMs === undefined) sink.problem(at(wp, 'duration'), 'duration is required');
    else {
      const slowStart = { slowStartWindowMs: windowMs, ...(typeof aggression === 'number' ? { aggression } : {}), minWeightPercent: typeof minimumPercent === 'number' ? minimumPercent : 10 };
      // Istio: warmup only applies to ROUND_ROBIN and LEAST_REQUEST.
      if (balancer?.policy === 'least-request') balancer = { ...balancer, slowStart };
      else if (balancer?.policy === 'round-robin') balancer = { policy: 'weighted-round-robin', slowStart };
      else sink.warn(wp, 'warmup only applies to ROUND_ROBIN and LEAST_REQUEST (Istio): ignored');
    }
  }
  return balancer;
}

function consistentHash(sink: Sink, ch: Obj, p: string): BalancerConfig | undefined {
  unmapped(sink, ch, ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName', 'ringHash', 'maglev', 'minimumRingSize'], p);
  const keys = ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'].filter((k) => has(ch, k) && get(ch, k) !== false);
  if (keys.length !== 1) {
    sink.problem(p, 'consistent hash must set exactly one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName');
    return undefined;
  }
  type Hash = { kind: string; name?: string; ttlMs?: number; path?: string };
  let hash: Hash;
  const key = keys[0] as string;
  if (key === 'httpHeaderName') {
    const name = str(sink, ch, key, p);
    if (name === undefined || !HEADER_NAME_RE.test(name)) return (sink.problem(at(p, key), 'must be a valid header name'), undefined);
    hash = { kind: 'header', name };
  } else if (key === 'httpQueryParameterName') {
    const name = str(sink, ch, key, p);
    if (name === undefined || name === '') return (sink.problem(at(p, key), 'must be a non-empty name'), undefined);
    hash = { kind: 'query-parameter', name };
  } else if (key === 'useSourceIp') {
    hash = { kind: 'source-ip' };
  } else {
    const cookie = obj(sink, ch, 'httpCookie', p);
    const cp = at(p, 'httpCookie');
    const name = str(sink, cookie, 'name', cp);
    if (name === undefined || name === '') return (sink.problem(at(cp, 'name'), 'name required for HttpCookie'), undefined);
    unmapped(sink, cookie ?? {}, ['name', 'path', 'ttl', 'attributes'], cp);
    if (has(cookie, 'attributes')) sink.warn(at(cp, 'attributes'), 'has no switchyard counterpart: ignored');
    hash = { kind: 'cookie', name };
    // Envoy generates the cookie when `ttl` is set (0s: a session cookie).
    const ttl = cookie === undefined ? undefined : durationField(sink, cookie, 'ttl', cp, false);
    if (ttl !== undefined) hash.ttlMs = ttl;
    const path = str(sink, cookie, 'path', cp);
    if (path !== undefined) hash.path = path;
  }
  const hashPolicies = [hash] as unknown as readonly never[];
  if (has(ch, 'ringHash') && has(ch, 'maglev')) return (sink.problem(p, 'only one of ringHash or maglev may be set'), undefined);
  if (has(ch, 'minimumRingSize') && (has(ch, 'ringHash') || has(ch, 'maglev'))) return (sink.problem(p, 'only one of MinimumRingSize or Maglev/Ringhash can be specified'), undefined);
  if (has(ch, 'minimumRingSize')) sink.warn(at(p, 'minimumRingSize'), "consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead");
  const maglev = obj(sink, ch, 'maglev', p);
  if (maglev !== undefined) {
    const mp = at(p, 'maglev');
    const size = get(maglev, 'tableSize');
    // istio/istio pkg/config/validation validateLoadBalancer.
    if (size === undefined || size === 0) return (sink.problem(at(mp, 'tableSize'), 'tableSize must be set for maglev'), undefined);
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) return (sink.problem(at(mp, 'tableSize'), 'must be a positive integer'), undefined);
    if (size >= 5_000_011) return (sink.problem(at(mp, 'tableSize'), 'tableSize must be less than 5000011 for maglev'), undefined);
    if (!isPrime(size)) return (sink.problem(at(mp, 'tableSize'), 'tableSize must be a prime number for maglev'), undefined);
    return { policy: 'maglev', hashPolicies, ...(size !== undefined ? { tableSize: size } : {}) };
  }
  const ring = obj(sink, ch, 'ringHash', p);
  const min = ring !== undefined ? int(sink, ring, 'minimumRingSize', at(p, 'ringHash'), 1, 8_388_608) : int(sink, ch, 'minimumRingSize', p, 1, 8_388_608);
  // Istio's default ring: 1024 (destination_rule.proto RingHash.minimum_ring_size).
  return { policy: 'ring-hash', hashPolicies, minimumRingSize: min ?? 1024 };
}

/** Envoy's `isPrime` (source/common/common/utility.cc), which Istio copies: 1, 2 and 3 count as prime. */
function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  for (let f = 3; f * f <= x; f += 2) if (x % f === 0) return false;
  return true;
}

function connectionPool(sink: Sink, cp: Obj, p: string, limits: Mutable<NonNullable<UpstreamConfig['resourceLimits']>>): void {
  unmapped(sink, cp, ['tcp', 'http'], p);
  if (!has(cp, 'tcp') && !has(cp, 'http')) sink.problem(p, 'connection pool must have at least one field');
  for (const [k, sub, what] of [['maxConnections', 'tcp', 'max connections'], ['http1MaxPendingRequests', 'http', 'http1 max pending requests'], ['http2MaxRequests', 'http', 'http2 max requests'], ['maxRequestsPerConnection', 'http', 'max requests per connection'], ['maxRetries', 'http', 'max retries']] as const) {
    const v = get(get(cp, sub), k);
    if (typeof v === 'number' && v < 0) sink.problem(`${p}.${sub}.${k}`, `${what} must be non-negative`);
  }
  const tcp = obj(sink, cp, 'tcp', p);
  if (tcp !== undefined) {
    const tp = at(p, 'tcp');
    const max = int(sink, tcp, 'maxConnections', tp, 0, UNLIMITED);
    if (max !== undefined) limits.maxConnections = max;
    if (has(tcp, 'connectTimeout')) durationField(sink, tcp, 'connectTimeout', tp, true);
    for (const k of Object.keys(tcp)) if (k !== 'maxConnections') sink.warn(at(tp, k), 'has no switchyard counterpart (the transport owns sockets): ignored');
  }
  const http = obj(sink, cp, 'http', p);
  if (http !== undefined) {
    const hp = at(p, 'http');
    const pending = int(sink, http, 'http1MaxPendingRequests', hp, 0, UNLIMITED);
    if (pending !== undefined) limits.maxPendingRequests = pending;
    const reqs = int(sink, http, 'http2MaxRequests', hp, 0, UNLIMITED);
    if (reqs !== undefined) limits.maxRequests = reqs;
    const retries = int(sink, http, 'maxRetries', hp, 0, UNLIMITED);
    if (retries !== undefined) limits.maxRetries = retries;
    if (has(http, 'maxRequestsPerConnection')) int(sink, http, 'maxRequestsPerConnection', hp, 0, 536_870_912);
    if (has(http, 'idleTimeout')) durationField(sink, http, 'idleTimeout', hp, false);
    for (const k of Object.keys(http)) if (!['http1MaxPendingRequests', 'http2MaxRequests', 'maxRetries'].includes(k)) sink.warn(at(hp, k), 'has no switchyard counterpart (the transport owns connections): ignored');
  }
}

function outlierDetection(sink: Sink, od: Obj, p: string, out: Mutable<Omit<UpstreamConfig, 'endpoints'>>): void {
  unmapped(sink, od, ['consecutive5xxErrors', 'consecutiveGatewayErrors', 'consecutiveErrors', 'consecutiveLocalOriginFailures', 'splitExternalLocalOriginErrors', 'interval', 'baseEjectionTime', 'maxEjectionPercent', 'minHealthPercent'], p);
  const uint = (k: string): number | undefined => {
    const v = get(od, k);
    const n = isObj(v) ? get(v, 'value') : v; // google.protobuf.UInt32Value may be written { value: n }
    if (n === undefined || n === null) return undefined;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return (sink.problem(at(p, k), 'must be an integer >= 0'), undefined);
    return n;
  };
  const c5xx = uint('consecutive5xxErrors');
  const gw = uint('consecutiveGatewayErrors');
  const legacy = uint('consecutiveErrors');
  if (legacy !== undefined) sink.warn(at(p, 'consecutiveErrors'), 'is deprecated (Istio): read as consecutiveGatewayErrors');
  const gateway = gw ?? legacy;
  const local = uint('consecutiveLocalOriginFailures');
  const split = bool(sink, od, 'splitExternalLocalOriginErrors', p);
  const interval = durationField(sink, od, 'interval', p, true);
  const base = durationField(sink, od, 'baseEjectionTime', p, true);
  const maxPct = int(sink, od, 'maxEjectionPercent', p, 0, 100);
  const minHealth = int(sink, od, 'minHealthPercent', p, 0, 100);
  const five = c5xx ?? 5;
  out.outlierDetection = {
    consecutive5xx: five === 0 ? 5 : five,
    enforcingConsecutive5xx: five === 0 ? 0 : 100,
    ...(gateway !== undefined && gateway > 0 ? { consecutiveGatewayFailure: gateway, enforcingConsecutiveGatewayFailure: 100 } : { enforcingConsecutiveGatewayFailure: 0 }),
    ...(local !== undefined ? { consecutiveLocalOriginFailure: local } : {}),
    ...(split !== undefined ? { splitExternalLocalOriginErrors: split } : {}),
    intervalMs: interval ?? 10_000,
    baseEjectionTimeMs: base ?? 30_000,
    maxEjectionPercent: maxPct ?? 10,
    // Istio turns success-rate ejection off (Envoy's default would enforce it).
    enforcingSuccessRate: 0,
  };
  // minHealthPercent is Envoy's panic threshold; Istio's default 0 disables panic mode.
  out.panicThresholdPercent = minHealth ?? 0;
}

/** A protobuf Duration field, at least 1 ms when `positive` (Istio `ValidateDuration`). */
function durationField(sink: Sink, o: Obj, key: string, p: string, positive: boolean): number | undefined {
  const v = get(o, key);
  if (v === undefined || v === null) return undefined;
  const ms = typeof v === 'string' ? protoDuration(v) : undefined;
  if (ms === undefined) return (sink.problem(at(p, key), 'must be a duration such as "1s", "500ms", "1.5s"'), undefined);
  // istio/istio pkg/config/validation/agent ValidateDuration.
  if (positive && ms < 1) return (sink.problem(at(p, key), 'duration must be greater than 1ms'), undefined);
  if (!Number.isInteger(ms)) return (sink.problem(at(p, key), 'only durations to ms precision are supported'), undefined);
  return ms;
}

/** Merges a subset's policy over its host's, field by field (Istio's `MergeTrafficPolicy`: a subset's `loadBalancer`, `connectionPool`, … replace the host's). */
function mergedPolicy(host: Obj | undefined, subset: Obj | undefined): Obj | undefined {
  if (subset === undefined) return host;
  if (host === undefined) return subset;
  return { ...host, ...subset };
}

/** The upstream for a destination, with its DestinationRule policy applied once. */
function destination(c: Ctx, sink: Sink, d: Obj, p: string, namespace: string): string | undefined {
  unmapped(sink, d, ['host', 'subset', 'port'], p);
  const host = str(sink, d, 'host', p);
  if (host === undefined || host === '') return (sink.problem(at(p, 'host'), 'destination must have a host'), undefined);
  if (host === '*') return (sink.problem(at(p, 'host'), 'invalid destination host *'), undefined);
  const port = has(d, 'port') ? int(sink, get(d, 'port'), 'number', at(p, 'port'), 1, 65535) : undefined;
  const subset = str(sink, d, 'subset', p);
  if (subset !== undefined && !DNS_LABEL_RE.test(subset)) return (sink.problem(at(p, 'subset'), `subset name is invalid: ${subset}`), undefined);
  const svc = serviceOf(host, namespace, c.domain);
  const rule = c.rules.get(ruleKey(svc));
  if (rule !== undefined) rule.used = true;
  let sub: SubsetInfo | undefined;
  if (subset !== undefined) {
    sub = rule?.subsets.get(subset);
    if (sub === undefined) return (sink.problem(at(p, 'subset'), `no DestinationRule for ${ruleKey(svc)} defines subset ${JSON.stringify(subset)}`), undefined);
  }
  const upstream = c.ctx.upstreams.service(sink, p, { kind: 'service', name: svc.name, namespace: svc.namespace, ...(port !== undefined ? { port } : {}), ...(svc.host !== undefined ? { host: svc.host } : {}) }, subset !== undefined && sub !== undefined ? { name: subset, labels: sub.labels } : undefined);
  if (upstream === undefined || c.configured.has(upstream)) return upstream;
  c.configured.add(upstream);
  // The policy's messages were reported when the DestinationRule was read: this pass is silent.
  const quiet: Sink = { doc: sink.doc, warn: () => undefined, problem: () => undefined };
  const tp = mergedPolicy(rule?.trafficPolicy, sub?.trafficPolicy);
  c.ctx.upstreams.configure(upstream, upstreamPolicy(quiet, tp ?? {}, ''));
  return upstream;
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
      const cors = (d as { corsOptions?: Record<string, unknown> }).corsOptions;
      if (cors !== undefined) {
        delete (d as { corsOptions?: unknown }).corsOptions;
        const policyName = `cors:${d.name}`;
        c.ctx.policies[policyName] = { type: 'cors', options: cors };
        d.policies = { inbound: [policyName] };
      }
      routes.push(d);
    });
  });
  return routes;
}

type Draft = Mutable<ImportedRoute>;

/** A `StringMatch` (`exact` | `prefix` | `regex`), validated. */
function stringMatch(sink: Sink, m: unknown, p: string, allowEmpty = false): { kind: 'exact' | 'prefix' | 'regex'; value: string } | { kind: 'present' } | undefined {
  if (!isObj(m)) return (sink.problem(p, 'must be a StringMatch object (exact, prefix or regex)'), undefined);
  const keys = ['exact', 'prefix', 'regex'].filter((k) => has(m, k));
  if (keys.length === 0) {
    if (allowEmpty) return { kind: 'present' };
    return (sink.problem(p, 'must set one of exact, prefix or regex'), undefined);
  }
  if (keys.length > 1) return (sink.problem(p, 'must set only one of exact, prefix or regex'), undefined);
  const kind = keys[0] as 'exact' | 'prefix' | 'regex';
  const value = str(sink, m, kind, p);
  if (value === undefined) return undefined;
  if (kind === 'prefix' && value === '') return (sink.problem(at(p, 'prefix'), 'prefix string match should not be empty'), undefined);
  if (kind === 'regex') {
    if (value === '') return (sink.problem(at(p, 'regex'), 'regex string match should not be empty'), undefined);
    if (value.length > 1024) return (sink.problem(at(p, 'regex'), 'regex is too large, max length allowed is 1024'), undefined);
    try {
      new RegExp(value);
    } catch {
      return (sink.problem(at(p, 'regex'), `${JSON.stringify(value)} is not a valid regex`), undefined);
    }
  }
  return { kind, value };
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

interface ParsedMatch {
  readonly match: MatchConfig;
  readonly pathKind: 'exact' | 'prefix' | 'regex' | undefined;
  readonly prefix: string | undefined;
  readonly authority: string | undefined;
}

function httpMatch(sink: Sink, m: unknown, mp: string): ParsedMatch | undefined {
  if (!isObj(m)) return (sink.problem(mp, 'must be an object'), undefined);
  unmapped(sink, m, ['name', 'uri', 'scheme', 'method', 'authority', 'headers', 'withoutHeaders', 'queryParams', 'ignoreUriCase', 'port', 'sourceLabels', 'sourceNamespace', 'gateways', 'statPrefix'], mp);
  const out: Mutable<MatchConfig> = {};
  let pathKind: ParsedMatch['pathKind'];
  let prefix: string | undefined;
  let authority: string | undefined;
  const ignoreCase = bool(sink, m, 'ignoreUriCase', mp) === true;
  if (has(m, 'uri')) {
    const u = stringMatch(sink, get(m, 'uri'), at(mp, 'uri'));
    if (u === undefined || u.kind === 'present') return undefined;
    pathKind = u.kind;
    if (u.kind !== 'regex' && !u.value.startsWith('/')) return (sink.problem(at(mp, 'uri'), 'a uri match must start with "/"'), undefined);
    // Istio `prefix` is a raw string prefix (Envoy `prefix`), not segment-aware.
    if (u.kind === 'exact') out.path = { type: 'Exact', value: u.value, ...(ignoreCase ? { ignoreCase } : {}) };
    else if (u.kind === 'prefix') {
      prefix = u.value;
      out.path = { type: 'Prefix', value: u.value, ...(ignoreCase ? { ignoreCase } : {}) };
    } else {
      if (ignoreCase) sink.warn(at(mp, 'ignoreUriCase'), 'applies to exact and prefix matches only (Istio): ignored for regex');
      out.path = { type: 'RegularExpression', value: u.value };
    }
  }
  if (has(m, 'method')) {
    const mm = stringMatch(sink, get(m, 'method'), at(mp, 'method'));
    if (mm === undefined || mm.kind === 'present') return undefined;
    if (mm.kind !== 'exact') {
      sink.warn(at(mp, 'method'), `a ${mm.kind} method match has no switchyard counterpart (methods match exactly): this match block is dropped`);
      return undefined;
    }
    out.method = mm.value;
  }
  if (has(m, 'authority')) {
    const a = stringMatch(sink, get(m, 'authority'), at(mp, 'authority'));
    if (a === undefined || a.kind === 'present') return undefined;
    if (a.kind !== 'exact') {
      sink.warn(at(mp, 'authority'), `a ${a.kind} authority match has no switchyard counterpart (hostnames are exact or *.wildcards): this match block is dropped`);
      return undefined;
    }
    authority = a.value.toLowerCase();
  }
  if (has(m, 'scheme')) {
    sink.warn(at(mp, 'scheme'), 'a scheme match has no switchyard counterpart: this match block is dropped (it would otherwise match every scheme)');
    return undefined;
  }
  const headers: HeaderMatch[] = [];
  for (const [key, invert] of [['headers', false], ['withoutHeaders', true]] as const) {
    const hs = obj(sink, m, key, mp);
    for (const [name, sm] of Object.entries(hs ?? {})) {
      const hp = `${mp}.${key}.${name}`;
      // istio/istio pkg/config/validation: "header match %v must be lowercase".
      if (name !== name.toLowerCase()) return (sink.problem(hp, `header match ${name} must be lowercase`), undefined);
      if (!HEADER_NAME_RE.test(name)) return (sink.problem(hp, `invalid header name ${JSON.stringify(name)}`), undefined);
      const v = stringMatch(sink, sm, hp, true);
      if (v === undefined) return undefined;
      if (v.kind === 'present') headers.push({ name, type: invert ? 'Absent' : 'Present' });
      else headers.push({ name, type: v.kind === 'exact' ? 'Exact' : v.kind === 'prefix' ? 'Prefix' : 'RegularExpression', value: v.value, ...(invert ? { invert } : {}) });
    }
  }
  if (headers.length > 0) out.headers = headers;
  const qs = obj(sink, m, 'queryParams', mp);
  const query: NonNullable<MatchConfig['queryParams']>[number][] = [];
  for (const [name, sm] of Object.entries(qs ?? {})) {
    const v = stringMatch(sink, sm, `${mp}.queryParams.${name}`, true);
    if (v === undefined) return undefined;
    // `?key` with no value matches exact "" (virtual_service.proto); prefix becomes an anchored regex.
    if (v.kind === 'present') query.push({ name, type: 'Exact', value: '' });
    else if (v.kind === 'exact') query.push({ name, type: 'Exact', value: v.value });
    else if (v.kind === 'regex') query.push({ name, type: 'RegularExpression', value: v.value });
    else query.push({ name, type: 'RegularExpression', value: `${escapeRe(v.value)}.*` });
  }
  if (query.length > 0) out.queryParams = query;
  for (const k of ['port', 'sourceLabels', 'sourceNamespace', 'gateways']) {
    if (has(m, k)) sink.warn(at(mp, k), k === 'port' ? 'a destination port match has no switchyard counterpart (one listener): ignored' : 'selects which proxies get the rule (not a request match): ignored');
  }
  return { match: out, pathKind, prefix, authority };
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
    if (opts !== undefined) (base as { corsOptions?: Record<string, unknown> }).corsOptions = opts;
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

/** MeshConfig `defaultHttpRetryPolicy`: 2 retries on `connect-failure,refused-stream,unavailable,cancelled`. */
function meshDefaultRetry(): RetryConfig {
  // refused-stream is a reset before the upstream saw the request; switchyard's `reset` is that and more,
  // so non-idempotent requests keep switchyard's default (not retried after a reset).
  return { numRetries: 2, retryOn: ['connect-failure', 'reset'] };
}

const RETRY_ON: Readonly<Record<string, RetryOn | null>> = {
  '5xx': '5xx',
  'gateway-error': 'gateway-error',
  reset: 'reset',
  'reset-before-request': 'reset',
  'connect-failure': 'connect-failure',
  'retriable-4xx': 'retriable-4xx',
  'retriable-status-codes': 'retriable-status-codes',
  'refused-stream': 'reset',
  'envoy-ratelimited': null,
  'retriable-headers': null,
  'http3-post-connect-failure': null,
  cancelled: null,
  'deadline-exceeded': null,
  internal: null,
  'resource-exhausted': null,
  unavailable: null,
};

function retryPolicy(sink: Sink, r: Obj, rp: string, route: Draft): RetryConfig | undefined {
  unmapped(sink, r, ['attempts', 'perTryTimeout', 'retryOn', 'retryRemoteLocalities', 'retryIgnorePreviousHosts', 'backoff'], rp);
  const rawAttempts = get(r, 'attempts');
  if (typeof rawAttempts === 'number' && rawAttempts < 0) sink.problem(at(rp, 'attempts'), 'attempts cannot be negative');
  const attempts = typeof rawAttempts === 'number' && rawAttempts < 0 ? undefined : int(sink, r, 'attempts', rp, 0, 2_147_483_647);
  // proto3: an absent `attempts` is 0, so `retries: { retryOn: … }` alone is refused too.
  if ((rawAttempts === undefined || rawAttempts === 0) && (has(r, 'perTryTimeout') || has(r, 'retryOn') || has(r, 'retryRemoteLocalities'))) {
    sink.problem(rp, 'http retry policy configured when attempts are set to 0 (disabled)');
  }
  const perTry = durationField(sink, r, 'perTryTimeout', rp, true);
  if (perTry !== undefined) route.perTryTimeoutMs = perTry;
  if (attempts === 0 || attempts === undefined) return undefined; // 0 (or absent) disables retries
  const retryOn: RetryOn[] = [];
  const codes: number[] = [];
  const on = str(sink, r, 'retryOn', rp);
  for (const raw of (on ?? 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes').split(',')) {
    const t = raw.trim();
    if (t === '') continue;
    if (/^\d+$/.test(t)) {
      const n = Number(t);
      if (n < 100 || n > 599) sink.problem(at(rp, 'retryOn'), `${JSON.stringify(t)} is not a valid retryOn policy`);
      else codes.push(n);
      continue;
    }
    if (!Object.prototype.hasOwnProperty.call(RETRY_ON, t)) {
      sink.problem(at(rp, 'retryOn'), `${JSON.stringify(t)} is not a valid retryOn policy`);
      continue;
    }
    const mapped = RETRY_ON[t];
    if (mapped === null || mapped === undefined) {
      if (on !== undefined) sink.warn(at(rp, 'retryOn'), `${JSON.stringify(t)} (a gRPC status or Envoy-only condition) has no switchyard counterpart: ignored`);
      continue;
    }
    if (!retryOn.includes(mapped)) retryOn.push(mapped);
  }
  if (codes.length > 0 && !retryOn.includes('retriable-status-codes')) retryOn.push('retriable-status-codes');
  if (codes.length === 0) {
    const i = retryOn.indexOf('retriable-status-codes');
    if (i >= 0) retryOn.splice(i, 1);
  }
  if (has(r, 'retryRemoteLocalities')) sink.warn(at(rp, 'retryRemoteLocalities'), 'has no switchyard counterpart: ignored');
  if (get(r, 'retryIgnorePreviousHosts') === false) sink.warn(at(rp, 'retryIgnorePreviousHosts'), 'switchyard always tries another endpoint when it can: ignored');
  const backoff = durationField(sink, r, 'backoff', rp, true);
  return {
    // HTTPRetry.attempts: "Number of retries to be allowed for a given request"; Istio's default is 2.
    numRetries: Math.min(attempts, 100),
    retryOn,
    ...(codes.length > 0 ? { retriableStatusCodes: codes } : {}),
    ...(backoff !== undefined ? { baseIntervalMs: backoff } : {}),
    // Envoy retries every method.
    retryNonIdempotent: true,
  };
}

function faultPolicy(sink: Sink, f: Obj, fp: string, route: Draft): void {
  unmapped(sink, f, ['delay', 'abort'], fp);
  const percentage = (o: Obj, p: string): number | undefined => {
    if (has(o, 'percentage')) {
      const v = get(get(o, 'percentage'), 'value');
      if (typeof v !== 'number' || v < 0 || v > 100) return (sink.problem(at(p, 'percentage'), 'percentage must be between 0 and 100'), undefined);
      return v;
    }
    if (has(o, 'percent')) return int(sink, o, 'percent', p, 0, 100); // deprecated integer form
    // No percentage: no request is faulted (Envoy / Istio).
    sink.warn(p, 'has no percentage: it applies to no request (Istio)');
    return 0;
  };
  const out: Mutable<NonNullable<RouteConfig['fault']>> = {};
  if (!has(f, 'delay') && !has(f, 'abort')) sink.problem(fp, 'HTTP fault injection must have an abort and/or a delay');
  const delay = obj(sink, f, 'delay', fp);
  if (delay !== undefined) {
    const dp = at(fp, 'delay');
    unmapped(sink, delay, ['fixedDelay', 'exponentialDelay', 'percentage', 'percent'], dp);
    if (has(delay, 'exponentialDelay')) sink.problem(at(dp, 'exponentialDelay'), 'exponentialDelay not supported yet');
    const ms = durationField(sink, delay, 'fixedDelay', dp, true);
    if (ms === undefined && !has(delay, 'exponentialDelay')) sink.problem(at(dp, 'fixedDelay'), 'delay must have a fixedDelay');
    const percent = percentage(delay, dp);
    if (ms !== undefined && percent !== undefined) out.delay = { fixedDelayMs: ms, percent };
  }
  const abort = obj(sink, f, 'abort', fp);
  if (abort !== undefined) {
    const ap = at(fp, 'abort');
    unmapped(sink, abort, ['httpStatus', 'grpcStatus', 'http2Error', 'percentage'], ap);
    const percent = percentage(abort, ap);
    if (has(abort, 'http2Error')) sink.problem(at(ap, 'http2Error'), 'HTTP/2 abort fault injection not supported yet');
    else if (has(abort, 'grpcStatus')) sink.warn(at(ap, 'grpcStatus'), 'a gRPC status abort has no switchyard counterpart: ignored');
    else if (!has(abort, 'httpStatus')) sink.warn(ap, 'abort configured, but error type not set');
    else {
      const raw = get(abort, 'httpStatus');
      const status = typeof raw === 'number' && Number.isInteger(raw) && raw >= 200 && raw <= 599 ? raw : undefined;
      if (status === undefined) sink.problem(at(ap, 'httpStatus'), `HTTP status ${String(raw)} is not in range 200-599`);
      if (status !== undefined && percent !== undefined) out.abort = { httpStatus: status, percent };
    }
  }
  if (out.delay !== undefined || out.abort !== undefined) route.fault = { ...route.fault, ...out };
}

function headerOperations(sink: Sink, h: Obj, hp: string, route: Draft): void {
  unmapped(sink, h, ['request', 'response'], hp);
  for (const [dir, key] of [['request', 'requestHeaders'], ['response', 'responseHeaders']] as const) {
    const ops = obj(sink, h, dir, hp);
    if (ops === undefined) continue;
    const op = at(hp, dir);
    unmapped(sink, ops, ['set', 'add', 'remove'], op);
    const mod: { set?: Record<string, string>; add?: Record<string, string>; remove?: string[] } = {};
    for (const k of ['set', 'add'] as const) {
      const m = obj(sink, ops, k, op);
      if (m === undefined) continue;
      const map: Record<string, string> = {};
      for (const [name, v] of Object.entries(m)) {
        if (!HEADER_NAME_RE.test(name)) sink.problem(`${op}.${k}.${name}`, `invalid header name ${JSON.stringify(name)}`);
        else if (typeof v !== 'string') sink.problem(`${op}.${k}.${name}`, 'must be a string');
        else map[name] = v;
      }
      mod[k] = map;
    }
    const remove = arr(sink, ops, 'remove', op).filter((n, i): n is string => (typeof n === 'string' && HEADER_NAME_RE.test(n)) || (sink.problem(`${op}.remove[${i}]`, 'invalid header name'), false));
    if (remove.length > 0) mod.remove = remove;
    const prev = route.rewrite?.[key];
    route.rewrite = {
      ...route.rewrite,
      [key]: {
        ...(prev?.set !== undefined || mod.set !== undefined ? { set: { ...prev?.set, ...mod.set } } : {}),
        ...(prev?.add !== undefined || mod.add !== undefined ? { add: { ...prev?.add, ...mod.add } } : {}),
        ...(prev?.remove !== undefined || mod.remove !== undefined ? { remove: [...(prev?.remove ?? []), ...(mod.remove ?? [])] } : {}),
      },
    };
  }
}

function corsPolicy(sink: Sink, cp: Obj, p: string): Record<string, unknown> | undefined {
  unmapped(sink, cp, ['allowOrigins', 'allowOrigin', 'allowMethods', 'allowHeaders', 'exposeHeaders', 'maxAge', 'allowCredentials', 'unmatchedPreflights'], p);
  const origins: string[] = [];
  arr(sink, cp, 'allowOrigins', p).forEach((o, i) => {
    const op = `${p}.allowOrigins[${i}]`;
    const m = stringMatch(sink, o, op);
    if (m === undefined || m.kind === 'present') return;
    if (m.kind !== 'exact') return sink.warn(op, `a ${m.kind} origin match has no counterpart in the cors policy (exact origins or "*"): ignored`);
    origins.push(m.value);
  });
  arr(sink, cp, 'allowOrigin', p).forEach((o, i) => {
    if (typeof o === 'string') origins.push(o);
    else sink.problem(`${p}.allowOrigin[${i}]`, 'must be a string');
  });
  const strings = (key: string, check: (s: string) => boolean): string[] =>
    arr(sink, cp, key, p).filter((x, i): x is string => (typeof x === 'string' && check(x)) || (sink.problem(`${p}.${key}[${i}]`, key === 'allowMethods' ? `${JSON.stringify(x)} is not a supported HTTP method` : 'invalid header name'), false));
  const methods = strings('allowMethods', (s) => ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', '*'].includes(s));
  const allowHeaders = strings('allowHeaders', (s) => s === '*' || HEADER_NAME_RE.test(s));
  const exposeHeaders = strings('exposeHeaders', (s) => s === '*' || HEADER_NAME_RE.test(s));
  const maxAge = durationField(sink, cp, 'maxAge', p, true);
  if (maxAge !== undefined && maxAge % 1000 !== 0) sink.problem(at(p, 'maxAge'), 'max_age duration is accurate only to seconds precision');
  const rawCred = isObj(get(cp, 'allowCredentials')) ? get(get(cp, 'allowCredentials'), 'value') : get(cp, 'allowCredentials');
  if (rawCred !== undefined && typeof rawCred !== 'boolean') sink.problem(at(p, 'allowCredentials'), 'must be true or false');
  const credentials = typeof rawCred === 'boolean' ? rawCred : undefined;
  if (has(cp, 'unmatchedPreflights')) sink.warn(at(p, 'unmatchedPreflights'), 'has no counterpart in the cors policy: ignored');
  return {
    origins,
    ...(methods.length > 0 ? { methods } : {}),
    ...(allowHeaders.length > 0 ? { allowHeaders } : {}),
    ...(exposeHeaders.length > 0 ? { exposeHeaders } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
    ...(maxAge !== undefined ? { maxAgeSeconds: Math.floor(maxAge / 1000) } : {}),
  };
}

