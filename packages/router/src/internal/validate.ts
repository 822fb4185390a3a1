/**
 * Validating a route table config: the routes, their matches and path conditions here, the
 * other conditions in `validate-conditions.ts`. Every problem is reported at once with its path
 * (`routes[2].matches[0].path.value: must start with "/"`), repeated Gateway API conditions are
 * warned about, and what passes comes out as one {@link ValidMatch} per (route, match) pair, in
 * config order, for precedence (`precedence.ts`) and compilation (`compile.ts`).
 */
import { IssueCollector, formatPath } from '@switchyard/core';
import type { Cidr } from '@switchyard/core';
import { asciiLower, normalizePath } from '../normalize.js';
import type { NormalizeOptions } from '../normalize.js';
import type { AttrCond, HeaderCond, QueryCond } from './conditions.js';
import { compileRegex, isObject, matchType, optionalArray, unknownKeys, validateAttributes, validateCidrs, validateHeaders, validateQuery } from './validate-conditions.js';
import type { ConfigPath } from './validate-conditions.js';
import type { CompileOptions, CompileWarning, CompiledRoute, PathMatchType, RouteTableConfig, SelectionModel } from '../types.js';

const METHOD_RE = /^[A-Z][A-Z0-9!#$%&'*+.^_`|~-]*$/;
const GATEWAY_PATH_RE = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/;
const HOST_RE = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const PARAM_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PATH_TYPES: readonly PathMatchType[] = ['Exact', 'PathPrefix', 'Prefix', 'Template', 'RegularExpression'];

const ROUTE_KEYS = ['id', 'value', 'hostnames', 'matches', 'createdAtMs', 'name'];
const MATCH_KEYS = ['path', 'method', 'headers', 'queryParams', 'attributes', 'clientCidrs', 'runtimeFraction'];
const PATH_KEYS = ['type', 'value', 'ignoreCase'];

/** What a valid path condition says, for compilation and for precedence and shadowing. */
export interface PathFacts {
  readonly type: PathMatchType;
  readonly value: string;
  readonly ignoreCase: boolean;
  readonly re: RegExp | undefined;
  readonly paramNames: string[];
  /** Path precedence class: 0 exact (or parameter-less template), 1 template with parameters, 2 prefix or catch-all, 3 regex. */
  readonly pathClass: number;
  readonly specificity: number;
  /** Literal text every matching path starts with (for shadowing analysis). */
  readonly head: string;
  readonly shape: string;
}

/** One valid (route, match) pair: everything precedence and compilation read. */
export interface ValidMatch {
  readonly route: CompiledRoute<unknown>;
  readonly matchIndex: number;
  /** `routes[i].matches[j]`, for warnings. */
  readonly configPath: string;
  readonly facts: PathFacts;
  readonly method: string | undefined;
  /** The route's hostnames, deduplicated. */
  readonly hostnames: readonly string[];
  readonly headers: readonly HeaderCond[];
  readonly query: readonly QueryCond[];
  readonly attrs: readonly AttrCond[];
  readonly cidrs: readonly Cidr[] | undefined;
  readonly percent: number;
  /** The route's `createdAtMs` (0 when absent) and `name` ('' when absent): Gateway API tie-breakers. */
  readonly createdAtMs: number;
  readonly name: string;
}

/** A validated config: the compiled routes (in config order) and their valid matches. */
export interface ValidConfig<T> {
  readonly selection: SelectionModel;
  readonly routes: CompiledRoute<T>[];
  readonly matches: ValidMatch[];
  /** Ignored repeated conditions; precedence adds unreachable routes. */
  readonly warnings: CompileWarning[];
}

function validatePath(raw: unknown, p: ConfigPath, issues: IssueCollector, norm: NormalizeOptions): PathFacts | undefined {
  const cfg = raw === undefined ? {} : raw;
  if (!isObject(cfg)) {
    issues.add(formatPath(p), 'must be an object');
    return undefined;
  }
  unknownKeys(cfg, PATH_KEYS, p, issues);
  const type = matchType(cfg, p, PATH_TYPES, 'PathPrefix', issues);
  if (type === undefined) return undefined;
  const ignoreCase = cfg['ignoreCase'] ?? false;
  if (typeof ignoreCase !== 'boolean') issues.add(formatPath([...p, 'ignoreCase']), 'must be a boolean');
  const ic = ignoreCase === true;
  const value = cfg['value'] ?? '/';
  const vp = formatPath([...p, 'value']);
  if (typeof value !== 'string') {
    issues.add(vp, 'must be a string');
    return undefined;
  }
  if (type === 'RegularExpression') {
    const re = compileRegex(value, ic, [...p, 'value'], issues);
    if (re === undefined) return undefined;
    const paramNames = Object.keys(new RegExp(`${value}|`).exec('')?.groups ?? {});
    return { type, value, ignoreCase: ic, re, paramNames, pathClass: 3, specificity: 0, head: '', shape: value };
  }
  if (!value.startsWith('/')) {
    issues.add(vp, 'must start with "/"');
    return undefined;
  }
  if (value.length > 1024) issues.add(vp, 'must be at most 1024 characters');
  if (value.includes('?')) {
    issues.add(vp, 'must not contain "?" (the query string is not part of the path), so it could never match');
    return undefined;
  }
  if ((type === 'Exact' || type === 'PathPrefix') && !GATEWAY_PATH_RE.test(value)) {
    issues.add(vp, 'contains characters a path cannot carry unencoded');
    return undefined;
  }
  if (type !== 'Prefix' && value.includes('//')) {
    issues.add(vp, 'must not contain "//" (requests are normalized, so it could never match)');
    return undefined;
  }
  if (type === 'Template') return validateTemplate(value, ic, vp, issues, norm);
  // Literal values must already be normalized: requests are, so anything else never matches.
  // A byte prefix may end inside a segment (`/api/.` for `/api/.well-known`): complete it first.
  const probe = type === 'Prefix' ? `${value}x` : value;
  const n = normalizePath(probe, norm);
  if (n.kind !== 'ok' || n.path !== probe) {
    issues.add(vp, `is not in normalized form${n.kind === 'ok' ? ` (would be ${n.path})` : ''}, so it could never match`);
    return undefined;
  }
  const v = ic ? asciiLower(value) : value;
  if (type === 'Exact') return { type, value, ignoreCase: ic, re: undefined, paramNames: [], pathClass: 0, specificity: 0, head: v, shape: v };
  if (type === 'PathPrefix') {
    const trimmed = v.length > 1 && v.endsWith('/') ? v.slice(0, -1) : v;
    return { type, value, ignoreCase: ic, re: undefined, paramNames: [], pathClass: 2, specificity: value.length, head: trimmed, shape: trimmed };
  }
  return { type, value, ignoreCase: ic, re: undefined, paramNames: [], pathClass: 2, specificity: value.length, head: v, shape: v };
}

/** A `Template` value (`/users/:id/*rest`), already known to start with `/` and hold no `//` or `?`. */
function validateTemplate(value: string, ic: boolean, vp: string, issues: IssueCollector, norm: NormalizeOptions): PathFacts | undefined {
  const type = 'Template';
  const segs = value.slice(1).split('/');
  const names: string[] = [];
  let head = '/';
  let literal = 0;
  let headDone = false;
  let catchAll = false;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i] as string;
    if (s.startsWith(':') || s.startsWith('*')) {
      const name = s.startsWith('*') && s.length === 1 ? '*' : s.slice(1);
      if (name !== '*' && !PARAM_RE.test(name)) {
        issues.add(vp, `invalid parameter name ${JSON.stringify(s)} (a parameter is a whole segment, ":name" or "*name")`);
        return undefined;
      }
      if (s.startsWith('*')) {
        if (i !== segs.length - 1) {
          issues.add(vp, 'a catch-all "*name" must be the last segment');
          return undefined;
        }
        catchAll = true;
      }
      if (names.includes(name)) {
        issues.add(vp, `duplicate parameter name ${JSON.stringify(name)}`);
        return undefined;
      }
      names.push(name);
      headDone = true;
    } else {
      if (/[:*]/.test(s)) {
        issues.add(vp, `segment ${JSON.stringify(s)} mixes literal text and a parameter`);
        return undefined;
      }
      const n = normalizePath(`/${s}`, norm);
      if (n.kind !== 'ok' || n.path !== `/${s}`) {
        issues.add(vp, `segment ${JSON.stringify(s)} is not in normalized form, so it could never match`);
        return undefined;
      }
      literal += s.length + 1;
      if (!headDone) head += i < segs.length - 1 ? `${s}/` : s;
    }
  }
  const shape = segs.map((s) => (s.startsWith(':') ? ':' : s.startsWith('*') ? '*' : s)).join('/');
  if (names.length === 0) {
    return { type, value, ignoreCase: ic, re: undefined, paramNames: names, pathClass: 0, specificity: 0, head: value, shape };
  }
  return {
    type,
    value,
    ignoreCase: ic,
    re: undefined,
    paramNames: names,
    pathClass: catchAll ? 2 : 1,
    specificity: literal + 1,
    head: ic ? asciiLower(head) : head,
    shape: ic ? asciiLower(shape) : shape,
  };
}

function validateHostnames(raw: unknown, p: ConfigPath, issues: IssueCollector): string[] {
  const out: string[] = [];
  optionalArray(raw, p, 'an array of hostnames', issues).forEach((h: unknown, i) => {
    if (typeof h !== 'string' || !HOST_RE.test(h) || h.length > 253) {
      issues.add(formatPath([...p, i]), 'must be a lower-case hostname, optionally with a leading "*." wildcard label');
    } else if (!out.includes(h)) out.push(h);
  });
  return out;
}

/** What a match takes from its route. */
type RouteFacts = Pick<ValidMatch, 'route' | 'hostnames' | 'createdAtMs' | 'name'>;

/** One match object (`routes[i].matches[j]`); undefined when its path is invalid. */
function validateMatch(
  m: Record<string, unknown>,
  mi: number,
  mp: ConfigPath,
  of: RouteFacts,
  issues: IssueCollector,
  warnings: CompileWarning[],
  gateway: boolean,
  norm: NormalizeOptions,
): ValidMatch | undefined {
  unknownKeys(m, MATCH_KEYS, mp, issues);
  const facts = validatePath(m['path'], [...mp, 'path'], issues, norm);
  const method = m['method'];
  if (method !== undefined && (typeof method !== 'string' || !METHOD_RE.test(method))) {
    issues.add(formatPath([...mp, 'method']), 'must be an upper-case HTTP method such as GET');
  }
  const headers = validateHeaders(m['headers'], [...mp, 'headers'], issues, warnings, gateway);
  const query = validateQuery(m['queryParams'], [...mp, 'queryParams'], issues, warnings, gateway);
  const attrs = validateAttributes(m['attributes'], [...mp, 'attributes'], issues);
  const cidrs = m['clientCidrs'] === undefined ? undefined : validateCidrs(m['clientCidrs'], [...mp, 'clientCidrs'], issues);
  let percent = 100;
  const rf = m['runtimeFraction'];
  if (rf !== undefined) {
    const pct = isObject(rf) ? rf['percent'] : undefined;
    if (typeof pct !== 'number' || !(pct >= 0 && pct <= 100)) issues.add(formatPath([...mp, 'runtimeFraction', 'percent']), 'must be a number from 0 to 100');
    else percent = pct;
  }
  if (facts === undefined) return undefined;
  return {
    route: of.route,
    matchIndex: mi,
    configPath: formatPath(mp),
    facts,
    method: typeof method === 'string' ? method : undefined,
    hostnames: of.hostnames,
    headers,
    query,
    attrs,
    cidrs,
    percent,
    createdAtMs: of.createdAtMs,
    name: of.name,
  };
}

/**
 * Validates a whole config and the compile options' `selection`; throws one `ConfigError`
 * (`SY_CONFIG_INVALID`) listing every issue. Routes and matches come out in config order.
 */
export function validateConfig<T>(config: RouteTableConfig<T>, options: CompileOptions): ValidConfig<T> {
  const issues = new IssueCollector();
  const warnings: CompileWarning[] = [];
  const selection = options.selection ?? 'gateway';
  if (selection !== 'gateway' && selection !== 'first-match') issues.add('selection', 'must be "gateway" or "first-match"');
  const gateway = selection === 'gateway';
  const norm = options.normalize ?? {};
  if (!isObject(config) || !Array.isArray(config.routes)) {
    issues.add('routes', 'must be an array of routes');
    issues.throwIfAny();
  }
  const routes: CompiledRoute<T>[] = [];
  const matches: ValidMatch[] = [];
  const ids = new Set<string>();
  config.routes.forEach((r: unknown, ri) => {
    const rp: ConfigPath = ['routes', ri];
    if (!isObject(r)) {
      issues.add(formatPath(rp), 'must be an object');
      return;
    }
    unknownKeys(r, ROUTE_KEYS, rp, issues);
    const id = r['id'] ?? `route-${ri}`;
    if (typeof id !== 'string' || id === '') issues.add(formatPath([...rp, 'id']), 'must be a non-empty string');
    else if (ids.has(id)) issues.add(formatPath([...rp, 'id']), `duplicate id ${JSON.stringify(id)}`);
    ids.add(String(id));
    const createdAtMs = r['createdAtMs'];
    if (createdAtMs !== undefined && (typeof createdAtMs !== 'number' || !Number.isFinite(createdAtMs))) {
      issues.add(formatPath([...rp, 'createdAtMs']), 'must be a finite number');
    }
    const name = r['name'];
    if (name !== undefined && typeof name !== 'string') issues.add(formatPath([...rp, 'name']), 'must be a string');
    const hostnames = validateHostnames(r['hostnames'], [...rp, 'hostnames'], issues);
    const route: CompiledRoute<T> = Object.freeze({
      id: String(id),
      index: ri,
      value: r['value'] as T | undefined,
      hostnames: Object.freeze(hostnames),
    });
    routes.push(route);
    const of: RouteFacts = { route, hostnames, createdAtMs: typeof createdAtMs === 'number' ? createdAtMs : 0, name: typeof name === 'string' ? name : '' };
    const ms = r['matches'] ?? [{}];
    if (!Array.isArray(ms) || ms.length === 0) {
      issues.add(formatPath([...rp, 'matches']), 'must be a non-empty array (omit it to match every request)');
      return;
    }
    ms.forEach((m: unknown, mi) => {
      const mp = [...rp, 'matches', mi];
      if (!isObject(m)) {
        issues.add(formatPath(mp), 'must be an object');
        return;
      }
      const valid = validateMatch(m, mi, mp, of, issues, warnings, gateway, norm);
      if (valid !== undefined) matches.push(valid);
    });
  });
  issues.throwIfAny();
  return { selection, routes, matches, warnings };
}
