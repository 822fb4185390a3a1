/**
 * Gateway API `HTTPRouteMatch` → switchyard match conditions (path, method, headers, query
 * parameters), with the CRD's schema and CEL rules re-checked by path.
 */
import { arr, at, get, isObj, obj, str, unmapped, type Obj, type Sink } from '../util.js';
import { HEADER_NAME_RE, METHODS, type MatchConfig, type Mutable } from './common.js';

const PATH_VALUE_RE = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;

export function httpMatch(sink: Sink, m: unknown, mp: string): MatchConfig | undefined {
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

export function validRegex(s: string): boolean {
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
export function headerMatches(sink: Sink, m: Obj, mp: string, key: 'headers' | 'queryParams'): NameValueMatch[] {
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
