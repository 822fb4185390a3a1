/**
 * Istio `HTTPMatchRequest` and `StringMatch` → switchyard match conditions (path, method,
 * headers, query parameters, authority), validated as istio/istio `pkg/config/validation` does.
 */
import type { RouteConfig } from '@switchyard/gateway';
import { at, bool, get, has, isObj, obj, str, unmapped, type Sink } from '../util.js';
import { HEADER_NAME_RE, type Mutable } from './values.js';

type MatchConfig = NonNullable<RouteConfig['matches']>[number];
type HeaderMatch = NonNullable<MatchConfig['headers']>[number];

/** A `StringMatch` (`exact` | `prefix` | `regex`), validated. */
export function stringMatch(sink: Sink, m: unknown, p: string, allowEmpty = false): { kind: 'exact' | 'prefix' | 'regex'; value: string } | { kind: 'present' } | undefined {
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

export interface ParsedMatch {
  readonly match: MatchConfig;
  readonly pathKind: 'exact' | 'prefix' | 'regex' | undefined;
  readonly prefix: string | undefined;
  readonly authority: string | undefined;
}

export function httpMatch(sink: Sink, m: unknown, mp: string): ParsedMatch | undefined {
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
