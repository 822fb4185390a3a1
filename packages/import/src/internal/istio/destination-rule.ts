/**
 * Istio `DestinationRule`s: reading them (traffic policy → upstream settings: balancer,
 * connection pool, retry budget, outlier detection; subsets) and applying them, once, to the
 * upstream a VirtualService destination names.
 *
 * Sources: istio/api `networking/v1alpha3/destination_rule.proto` (commit b8f8791d9), the
 * validation webhook's rules in istio/istio `pkg/config/validation`, semantics.md §3.2.
 */
import type { BalancerConfig, UpstreamConfig } from '@switchyard/gateway';
import type { ImportContext, SourcedDocument } from '../context.js';
import { k8sRef } from '../context.js';
import { arr, at, bool, get, has, int, isObj, obj, protoDuration, sinkFor, str, unmapped, type Obj, type Sink } from '../util.js';
import { DNS_LABEL_RE, durationField, HEADER_NAME_RE, type Mutable } from './values.js';

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

/** One Istio import's state: the DestinationRules read so far and the upstreams already configured. */
export interface Ctx {
  readonly ctx: ImportContext;
  readonly domain: string;
  /** DestinationRules by `name.namespace`. */
  readonly rules: Map<string, RuleInfo>;
  /** Upstreams already given their policy. */
  readonly configured: Set<string>;
}

/** A host as `name` + `namespace` when it is a cluster service name, else the host itself. */
export function serviceOf(host: string, namespace: string, domain: string): { name: string; namespace: string; host?: string } {
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

/** Reads one DestinationRule into `c.rules` (its problems and warnings reported by path). */
export function destinationRule(c: Ctx, src: SourcedDocument, defaultNs: string): void {
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

/** Merges a subset's policy over its host's, field by field (Istio's `MergeTrafficPolicy`: a subset's `loadBalancer`, `connectionPool`, … replace the host's). */
function mergedPolicy(host: Obj | undefined, subset: Obj | undefined): Obj | undefined {
  if (subset === undefined) return host;
  if (host === undefined) return subset;
  return { ...host, ...subset };
}

/** The upstream for a destination, with its DestinationRule policy applied once. */
export function destination(c: Ctx, sink: Sink, d: Obj, p: string, namespace: string): string | undefined {
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
