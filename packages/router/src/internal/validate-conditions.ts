/**
 * Validating the non-path conditions of a match (headers, query params, attributes, client
 * CIDRs) into their compiled forms (`conditions.ts`), and the field checks every part of the
 * route config shares (objects, unknown keys, match types, screened regexes). Problems are
 * reported by path (`routes[0].matches[1].headers[2].name`).
 */
import { checkRegexSafety, formatPath, parseCidr } from '@switchyard/core';
import type { Cidr, IssueCollector } from '@switchyard/core';
import type { AttrCond, HeaderCond, QueryCond } from './conditions.js';
import type { AttributeScalar, CompileWarning, HeaderMatchType, QueryMatchType } from '../types.js';

const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_TYPES: readonly HeaderMatchType[] = ['Exact', 'Prefix', 'Suffix', 'Contains', 'RegularExpression', 'Present', 'Absent'];
const QUERY_TYPES: readonly QueryMatchType[] = ['Exact', 'RegularExpression', 'Present'];
const HEADER_KEYS = ['name', 'type', 'value', 'invert', 'ignoreCase'];
const QUERY_KEYS = ['name', 'type', 'value'];
const ATTR_KEYS = ['key', 'equals', 'oneOf', 'present', 'cidrs'];

/** Where a value sits in the config (`['routes', 2, 'matches', 0]`). */
export type ConfigPath = (string | number)[];

/** A plain object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reports every key of `obj` not in `allowed` (`routes[0].foo: unknown field`). */
export function unknownKeys(obj: Record<string, unknown>, allowed: readonly string[], path: ConfigPath, issues: IssueCollector): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) issues.add(formatPath([...path, k]), 'unknown field');
}

/** `obj.type` (or `fallback` when absent) if it is one of `types`; otherwise reported. */
export function matchType<K extends string>(obj: Record<string, unknown>, p: ConfigPath, types: readonly K[], fallback: K, issues: IssueCollector): K | undefined {
  const type = (obj['type'] ?? fallback) as K;
  if (types.includes(type)) return type;
  issues.add(formatPath([...p, 'type']), `must be one of ${types.join(', ')}`);
  return undefined;
}

/** An optional array field: empty when absent; reported (`must be <what>`) and empty when not an array. */
export function optionalArray(raw: unknown, p: ConfigPath, what: string, issues: IssueCollector): readonly unknown[] {
  if (raw === undefined) return [];
  if (Array.isArray(raw)) return raw;
  issues.add(formatPath(p), `must be ${what}`);
  return [];
}

/**
 * An optional array of condition objects (`headers`, `queryParams`, `attributes`): each element
 * must be an object with known keys, then `read` turns it into a condition (undefined: reported
 * or ignored).
 */
function validateList<C>(
  raw: unknown,
  p: ConfigPath,
  keys: readonly string[],
  issues: IssueCollector,
  read: (obj: Record<string, unknown>, op: ConfigPath) => C | undefined,
): C[] {
  const out: C[] = [];
  optionalArray(raw, p, 'an array', issues).forEach((o: unknown, i) => {
    const op = [...p, i];
    if (!isObject(o)) {
      issues.add(formatPath(op), 'must be an object');
      return;
    }
    unknownKeys(o, keys, op, issues);
    const c = read(o, op);
    if (c !== undefined) out.push(c);
  });
  return out;
}

/**
 * Gateway API: of several conditions on one name only the first counts; a repeat is warned
 * about and dropped (true). First-match tables keep every condition.
 */
function isRepeat(seen: Set<string>, name: string, what: string, gateway: boolean, op: ConfigPath, warnings: CompileWarning[]): boolean {
  if (seen.has(name) && gateway) {
    warnings.push({ path: formatPath(op), message: `duplicate ${what} "${name}": only the first entry counts (Gateway API)` });
    return true;
  }
  seen.add(name);
  return false;
}

/** An operator regex, screened for catastrophic backtracking (core's `checkRegexSafety`), anchored to the whole value. */
export function compileRegex(source: unknown, ignoreCase: boolean, path: ConfigPath, issues: IssueCollector): RegExp | undefined {
  if (typeof source !== 'string' || source === '') {
    issues.add(formatPath(path), 'must be a non-empty regular expression');
    return undefined;
  }
  const safety = checkRegexSafety(source, { ignoreCase });
  if (safety.kind === 'unsafe') {
    issues.add(formatPath(path), `rejected regular expression: ${safety.reason}`);
    return undefined;
  }
  return new RegExp(`^(?:${source})$`, ignoreCase ? 'i' : '');
}

/** `matches[].headers`: header names lower-cased, values too when `ignoreCase`. */
export function validateHeaders(raw: unknown, p: ConfigPath, issues: IssueCollector, warnings: CompileWarning[], gateway: boolean): HeaderCond[] {
  const seen = new Set<string>();
  return validateList(raw, p, HEADER_KEYS, issues, (h, hp) => {
    const name = h['name'];
    if (typeof name !== 'string' || !HEADER_NAME_RE.test(name)) {
      issues.add(formatPath([...hp, 'name']), 'must be a header name (an HTTP token)');
      return undefined;
    }
    const type = matchType(h, hp, HEADER_TYPES, 'Exact', issues);
    if (type === undefined) return undefined;
    for (const flag of ['invert', 'ignoreCase']) {
      if (h[flag] !== undefined && typeof h[flag] !== 'boolean') issues.add(formatPath([...hp, flag]), 'must be a boolean');
    }
    const ignoreCase = h['ignoreCase'] === true;
    const value = h['value'];
    let re: RegExp | undefined;
    if (type === 'Present' || type === 'Absent') {
      if (value !== undefined) issues.add(formatPath([...hp, 'value']), `must be omitted for ${type}`);
    } else if (type === 'RegularExpression') {
      re = compileRegex(value, ignoreCase, [...hp, 'value'], issues);
      if (re === undefined) return undefined;
    } else if (typeof value !== 'string' || value.length > 4096 || (type === 'Exact' ? false : value === '')) {
      issues.add(formatPath([...hp, 'value']), type === 'Exact' ? 'must be a string of at most 4096 characters' : 'must be a non-empty string');
      return undefined;
    }
    const lname = name.toLowerCase();
    if (isRepeat(seen, lname, 'header', gateway, hp, warnings)) return undefined;
    return {
      name: lname,
      type,
      value: typeof value === 'string' ? (ignoreCase ? value.toLowerCase() : value) : '',
      re,
      invert: h['invert'] === true,
      ignoreCase,
    };
  });
}

/** `matches[].queryParams`: matched against the raw (undecoded) value, as Envoy does. */
export function validateQuery(raw: unknown, p: ConfigPath, issues: IssueCollector, warnings: CompileWarning[], gateway: boolean): QueryCond[] {
  const seen = new Set<string>();
  return validateList(raw, p, QUERY_KEYS, issues, (q, qp) => {
    const name = q['name'];
    if (typeof name !== 'string' || name === '' || /[&=#\s]/.test(name)) {
      issues.add(formatPath([...qp, 'name']), 'must be a non-empty name without "&", "=", "#" or spaces');
      return undefined;
    }
    const type = matchType(q, qp, QUERY_TYPES, 'Exact', issues);
    if (type === undefined) return undefined;
    let re: RegExp | undefined;
    const value = q['value'];
    if (type === 'Present') {
      if (value !== undefined) issues.add(formatPath([...qp, 'value']), 'must be omitted for Present');
    } else if (type === 'RegularExpression') {
      re = compileRegex(value, false, [...qp, 'value'], issues);
      if (re === undefined) return undefined;
    } else if (typeof value !== 'string') {
      issues.add(formatPath([...qp, 'value']), 'must be a string');
      return undefined;
    }
    if (isRepeat(seen, name, 'query parameter', gateway, qp, warnings)) return undefined;
    return { name, type, value: typeof value === 'string' ? value : '', re };
  });
}

/** `clientCidrs` or an attribute's `cidrs`: a non-empty list of CIDR ranges. */
export function validateCidrs(raw: unknown, p: ConfigPath, issues: IssueCollector): Cidr[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) {
    issues.add(formatPath(p), 'must be a non-empty array of CIDR ranges');
    return undefined;
  }
  const out: Cidr[] = [];
  raw.forEach((c: unknown, i) => {
    const parsed = typeof c === 'string' ? parseCidr(c) : undefined;
    if (parsed === undefined) issues.add(formatPath([...p, i]), 'must be a CIDR range such as 10.0.0.0/8 or 2001:db8::/32');
    else out.push(parsed);
  });
  return out;
}

function isScalar(v: unknown): v is AttributeScalar {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** `matches[].attributes`: a dotted key and exactly one of equals, oneOf, present, cidrs. */
export function validateAttributes(raw: unknown, p: ConfigPath, issues: IssueCollector): AttrCond[] {
  return validateList(raw, p, ATTR_KEYS, issues, (a, ap): AttrCond | undefined => {
    const key = a['key'];
    if (typeof key !== 'string' || key === '' || key.split('.').some((k) => k === '')) {
      issues.add(formatPath([...ap, 'key']), 'must be a dotted attribute path such as "claims.tier"');
      return undefined;
    }
    const given = ['equals', 'oneOf', 'present', 'cidrs'].filter((k) => a[k] !== undefined);
    if (given.length !== 1) {
      issues.add(formatPath(ap), 'needs exactly one of equals, oneOf, present, cidrs');
      return undefined;
    }
    const keyPath = key.split('.');
    const base = { keyPath, values: [] as AttributeScalar[], present: true, cidrs: [] as Cidr[] };
    const kind = given[0] as AttrCond['kind'];
    if (kind === 'equals') {
      if (!isScalar(a['equals'])) {
        issues.add(formatPath([...ap, 'equals']), 'must be a string, number or boolean');
        return undefined;
      }
      return { ...base, kind, values: [a['equals']] };
    }
    if (kind === 'oneOf') {
      const vs = a['oneOf'];
      if (!Array.isArray(vs) || vs.length === 0 || !vs.every(isScalar)) {
        issues.add(formatPath([...ap, 'oneOf']), 'must be a non-empty array of strings, numbers or booleans');
        return undefined;
      }
      return { ...base, kind, values: vs };
    }
    if (kind === 'present') {
      if (typeof a['present'] !== 'boolean') {
        issues.add(formatPath([...ap, 'present']), 'must be a boolean');
        return undefined;
      }
      return { ...base, kind, present: a['present'] };
    }
    const cidrs = validateCidrs(a['cidrs'], [...ap, 'cidrs'], issues);
    return cidrs ? { ...base, kind, cidrs } : undefined;
  });
}
