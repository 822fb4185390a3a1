/**
 * Compiling a route table and matching requests against it.
 *
 * Selection models: Gateway API HTTPRoute precedence (`HTTPRouteRule.Matches`,
 * kubernetes-sigs/gateway-api `apis/v1/httproute_types.go`) and Envoy's first match in route
 * order (`route_components.proto`, `RouteMatch`), which Istio's VirtualService `http[]` shares.
 */
import { ConfigError, IssueCollector, checkRegexSafety, formatPath, parseCidr } from '@switchyard/core';
import type { Cidr, Rng } from '@switchyard/core';
import { isTrivial, normalizePath } from './normalize.js';
import type { NormalizeOptions } from './normalize.js';
import { compileCheck, hostOf } from './internal/conditions.js';
import type { AttrCond, Check, HeaderCond, HostSet, QueryCond } from './internal/conditions.js';
import { NO_RANK, TrieNode, cleanWin, consider, considerRegexes, insert, newCtx, walk } from './internal/engine.js';
import type { Ctx, Entry } from './internal/engine.js';
import { regexMatched, staticMatched, templateMatched } from './internal/result.js';
import { buildFastRe, fastMatch } from './internal/fast-regex.js';
import type { FastRe } from './internal/fast-regex.js';
import type {
  AttributeScalar,
  CompileOptions,
  CompileWarning,
  CompiledRoute,
  HeaderMatchType,
  MatchRequest,
  MatchResult,
  PathMatchType,
  QueryMatchType,
  RouteTableConfig,
  SelectionModel,
} from './types.js';

const ENGINE = Symbol('switchyard.router.engine');

interface StaticBucket {
  readonly entries: Entry[];
  shadowRank: number;
  /**
   * The entry that wins outright whenever its own conditions hold (nothing else in this matcher
   * can match this path at a better rank), or undefined.
   */
  fast: Entry | undefined;
}

interface Matcher {
  readonly staticMap: Map<string, StaticBucket>;
  /**
   * A filter in front of `staticMap`: bit `c & 15` of `staticShape[n]` is set when some static
   * key has length `n` and last character `c`. Most non-static paths skip the hash lookup. A
   * plain array of small integers (typed-array loads cost more here).
   */
  readonly staticShape: readonly number[];
  readonly cs: TrieNode;
  readonly ci: TrieNode;
  readonly hasCs: boolean;
  readonly hasCi: boolean;
  readonly regexes: Entry[];
  /** The parameter fast path (see `internal/fast-regex.ts`), tried before the walk on non-static paths. */
  readonly fast: FastRe | undefined;
  /**
   * Walk the raw path first and normalize only when the walk saw something that needs it. Off
   * when a sampled entry could draw randomness twice.
   */
  readonly optimistic: boolean;
}

/**
 * One matcher per method named by some route (with the method-less routes in each), plus one for
 * other methods. Methods are compared in a short array (commonest first), not hashed.
 */
interface Split {
  readonly methods: readonly string[];
  readonly matchers: readonly Matcher[];
  readonly other: Matcher | undefined;
}

interface Engine {
  readonly any: Split | undefined;
  readonly exactHosts: Map<string, Split>;
  readonly wildcardHosts: Map<string, Split>;
  readonly usesHosts: boolean;
  readonly firstMatchHosts: boolean;
  readonly normalize: NormalizeOptions;
  readonly ctx: Ctx;
}

/**
 * A compiled, frozen route table. Build it once with {@link compileRoutes}, match with
 * {@link match}; swap in a new one to reconfigure.
 */
export interface RouteTable<T = unknown> {
  readonly selection: SelectionModel;
  readonly routes: readonly CompiledRoute<T>[];
  /** Unreachable routes and ignored duplicate conditions found at compile time. */
  readonly warnings: readonly CompileWarning[];
  /** @internal */
  readonly [ENGINE]: Engine;
}

const METHOD_RE = /^[A-Z][A-Z0-9!#$%&'*+.^_`|~-]*$/;
const GATEWAY_PATH_RE = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/;
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HOST_RE = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const PARAM_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PATH_TYPES: readonly PathMatchType[] = ['Exact', 'PathPrefix', 'Prefix', 'Template', 'RegularExpression'];
const HEADER_TYPES: readonly HeaderMatchType[] = ['Exact', 'Prefix', 'Suffix', 'Contains', 'RegularExpression', 'Present', 'Absent'];
const QUERY_TYPES: readonly QueryMatchType[] = ['Exact', 'RegularExpression', 'Present'];

const ROUTE_KEYS = ['id', 'value', 'hostnames', 'matches', 'createdAtMs', 'name'];
const MATCH_KEYS = ['path', 'method', 'headers', 'queryParams', 'attributes', 'clientCidrs', 'runtimeFraction'];
const PATH_KEYS = ['type', 'value', 'ignoreCase'];
const HEADER_KEYS = ['name', 'type', 'value', 'invert', 'ignoreCase'];
const QUERY_KEYS = ['name', 'type', 'value'];
const ATTR_KEYS = ['key', 'equals', 'oneOf', 'present', 'cidrs'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownKeys(obj: Record<string, unknown>, allowed: readonly string[], path: (string | number)[], issues: IssueCollector): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) issues.add(formatPath([...path, k]), 'unknown field');
}

function asciiLower(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

function compileRegex(source: unknown, ignoreCase: boolean, path: (string | number)[], issues: IssueCollector): RegExp | undefined {
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

interface PathFacts {
  readonly type: PathMatchType;
  readonly value: string;
  readonly ignoreCase: boolean;
  readonly re: RegExp | undefined;
  readonly paramNames: string[];
  readonly pathClass: number;
  readonly specificity: number;
  /** Literal text every matching path starts with (for shadowing analysis). */
  readonly head: string;
  readonly shape: string;
}

function validatePath(raw: unknown, p: (string | number)[], issues: IssueCollector, norm: NormalizeOptions): PathFacts | undefined {
  const cfg = raw === undefined ? {} : raw;
  if (!isObject(cfg)) {
    issues.add(formatPath(p), 'must be an object');
    return undefined;
  }
  unknownKeys(cfg, PATH_KEYS, p, issues);
  const type = (cfg['type'] ?? 'PathPrefix') as PathMatchType;
  if (!PATH_TYPES.includes(type)) {
    issues.add(formatPath([...p, 'type']), `must be one of ${PATH_TYPES.join(', ')}`);
    return undefined;
  }
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
  if (type === 'Template') {
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

function validateHeaders(raw: unknown, p: (string | number)[], issues: IssueCollector, warnings: CompileWarning[], gateway: boolean): HeaderCond[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    issues.add(formatPath(p), 'must be an array');
    return [];
  }
  const out: HeaderCond[] = [];
  const seen = new Set<string>();
  raw.forEach((h: unknown, i) => {
    const hp = [...p, i];
    if (!isObject(h)) {
      issues.add(formatPath(hp), 'must be an object');
      return;
    }
    unknownKeys(h, HEADER_KEYS, hp, issues);
    const name = h['name'];
    if (typeof name !== 'string' || !HEADER_NAME_RE.test(name)) {
      issues.add(formatPath([...hp, 'name']), 'must be a header name (an HTTP token)');
      return;
    }
    const type = (h['type'] ?? 'Exact') as HeaderMatchType;
    if (!HEADER_TYPES.includes(type)) {
      issues.add(formatPath([...hp, 'type']), `must be one of ${HEADER_TYPES.join(', ')}`);
      return;
    }
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
      if (re === undefined) return;
    } else if (typeof value !== 'string' || value.length > 4096 || (type === 'Exact' ? false : value === '')) {
      issues.add(formatPath([...hp, 'value']), type === 'Exact' ? 'must be a string of at most 4096 characters' : 'must be a non-empty string');
      return;
    }
    const lname = name.toLowerCase();
    if (seen.has(lname) && gateway) {
      warnings.push({ path: formatPath(hp), message: `duplicate header "${lname}": only the first entry counts (Gateway API)` });
      return;
    }
    seen.add(lname);
    out.push({
      name: lname,
      type,
      value: typeof value === 'string' ? (ignoreCase ? value.toLowerCase() : value) : '',
      re,
      invert: h['invert'] === true,
      ignoreCase,
    });
  });
  return out;
}

function validateQuery(raw: unknown, p: (string | number)[], issues: IssueCollector, warnings: CompileWarning[], gateway: boolean): QueryCond[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    issues.add(formatPath(p), 'must be an array');
    return [];
  }
  const out: QueryCond[] = [];
  const seen = new Set<string>();
  raw.forEach((q: unknown, i) => {
    const qp = [...p, i];
    if (!isObject(q)) {
      issues.add(formatPath(qp), 'must be an object');
      return;
    }
    unknownKeys(q, QUERY_KEYS, qp, issues);
    const name = q['name'];
    if (typeof name !== 'string' || name === '' || /[&=#\s]/.test(name)) {
      issues.add(formatPath([...qp, 'name']), 'must be a non-empty name without "&", "=", "#" or spaces');
      return;
    }
    const type = (q['type'] ?? 'Exact') as QueryMatchType;
    if (!QUERY_TYPES.includes(type)) {
      issues.add(formatPath([...qp, 'type']), `must be one of ${QUERY_TYPES.join(', ')}`);
      return;
    }
    let re: RegExp | undefined;
    const value = q['value'];
    if (type === 'Present') {
      if (value !== undefined) issues.add(formatPath([...qp, 'value']), 'must be omitted for Present');
    } else if (type === 'RegularExpression') {
      re = compileRegex(value, false, [...qp, 'value'], issues);
      if (re === undefined) return;
    } else if (typeof value !== 'string') {
      issues.add(formatPath([...qp, 'value']), 'must be a string');
      return;
    }
    if (seen.has(name) && gateway) {
      warnings.push({ path: formatPath(qp), message: `duplicate query parameter "${name}": only the first entry counts (Gateway API)` });
      return;
    }
    seen.add(name);
    out.push({ name, type, value: typeof value === 'string' ? value : '', re });
  });
  return out;
}

function validateCidrs(raw: unknown, p: (string | number)[], issues: IssueCollector): Cidr[] | undefined {
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

function validateAttributes(raw: unknown, p: (string | number)[], issues: IssueCollector): AttrCond[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    issues.add(formatPath(p), 'must be an array');
    return [];
  }
  const out: AttrCond[] = [];
  raw.forEach((a: unknown, i) => {
    const ap = [...p, i];
    if (!isObject(a)) {
      issues.add(formatPath(ap), 'must be an object');
      return;
    }
    unknownKeys(a, ATTR_KEYS, ap, issues);
    const key = a['key'];
    if (typeof key !== 'string' || key === '' || key.split('.').some((k) => k === '')) {
      issues.add(formatPath([...ap, 'key']), 'must be a dotted attribute path such as "claims.tier"');
      return;
    }
    const given = ['equals', 'oneOf', 'present', 'cidrs'].filter((k) => a[k] !== undefined);
    if (given.length !== 1) {
      issues.add(formatPath(ap), 'needs exactly one of equals, oneOf, present, cidrs');
      return;
    }
    const keyPath = key.split('.');
    const base = { keyPath, values: [] as AttributeScalar[], present: true, cidrs: [] as Cidr[] };
    const kind = given[0] as AttrCond['kind'];
    if (kind === 'equals') {
      if (!isScalar(a['equals'])) return issues.add(formatPath([...ap, 'equals']), 'must be a string, number or boolean');
      out.push({ ...base, kind, values: [a['equals']] });
    } else if (kind === 'oneOf') {
      const vs = a['oneOf'];
      if (!Array.isArray(vs) || vs.length === 0 || !vs.every(isScalar)) {
        return issues.add(formatPath([...ap, 'oneOf']), 'must be a non-empty array of strings, numbers or booleans');
      }
      out.push({ ...base, kind, values: vs });
    } else if (kind === 'present') {
      if (typeof a['present'] !== 'boolean') return issues.add(formatPath([...ap, 'present']), 'must be a boolean');
      out.push({ ...base, kind, present: a['present'] });
    } else {
      const cidrs = validateCidrs(a['cidrs'], [...ap, 'cidrs'], issues);
      if (cidrs) out.push({ ...base, kind, cidrs });
    }
    return undefined;
  });
  return out;
}

function validateHostnames(raw: unknown, p: (string | number)[], issues: IssueCollector): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    issues.add(formatPath(p), 'must be an array of hostnames');
    return [];
  }
  const out: string[] = [];
  raw.forEach((h: unknown, i) => {
    if (typeof h !== 'string' || !HOST_RE.test(h) || h.length > 253) {
      issues.add(formatPath([...p, i]), 'must be a lower-case hostname, optionally with a leading "*." wildcard label');
    } else if (!out.includes(h)) out.push(h);
  });
  return out;
}

function hostSetOf(hostnames: readonly string[]): HostSet {
  return {
    exact: new Set(hostnames.filter((h) => !h.startsWith('*.'))),
    suffixes: hostnames.filter((h) => h.startsWith('*.')).map((h) => h.slice(1)),
  };
}

interface Draft {
  readonly entry: Omit<Entry, 'rank'> & { rank: number };
  readonly facts: PathFacts;
  readonly createdAtMs: number;
  readonly name: string;
  readonly hostnames: readonly string[];
  readonly nConditions: number;
}

/** Gateway API precedence as a comparator (lower sorts first, i.e. wins). */
function gatewayOrder(a: Draft, b: Draft): number {
  const ea = a.entry;
  const eb = b.entry;
  return (
    ea.pathClass - eb.pathClass ||
    eb.specificity - ea.specificity ||
    Number(eb.method !== undefined) - Number(ea.method !== undefined) ||
    eb.headers.length - ea.headers.length ||
    eb.query.length - ea.query.length ||
    b.nConditions - a.nConditions ||
    a.createdAtMs - b.createdAtMs ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
    ea.route.index - eb.route.index ||
    ea.matchIndex - eb.matchIndex
  );
}

/** Does `a` (unconditional) match every path `b` matches? Conservative: false when unsure. */
function pathCovers(a: PathFacts, b: PathFacts): boolean {
  if (a.type === 'RegularExpression' || b.type === 'RegularExpression') return false;
  if (b.ignoreCase && !a.ignoreCase) return false;
  const bh = a.ignoreCase ? asciiLower(b.head) : b.head;
  const bShape = a.ignoreCase ? asciiLower(b.shape) : b.shape;
  switch (a.type) {
    case 'Exact':
      return b.pathClass === 0 && bh === a.head;
    case 'Template':
      if (a.pathClass === 0) return b.pathClass === 0 && bh === a.head;
      if (b.pathClass === 0) return shapeMatches(a.shape, bh);
      return b.type === 'Template' && bShape === a.shape;
    case 'PathPrefix': {
      if (a.head === '/') return true;
      if (b.type === 'Prefix' || (b.type === 'Template' && b.pathClass !== 0)) return bh.startsWith(`${a.head}/`);
      return bh === a.head || bh.startsWith(`${a.head}/`);
    }
    case 'Prefix':
      return bh.startsWith(a.head);
  }
}

/** Does the literal path `p` match the template shape (`users/:/x`, `files/*`)? */
function shapeMatches(shape: string, p: string): boolean {
  const t = shape.split('/');
  const segs = p.slice(1).split('/');
  for (let i = 0; i < t.length; i++) {
    const x = t[i] as string;
    if (x === '*') return i < segs.length;
    const s = segs[i];
    if (s === undefined) return false;
    if (x === ':' ? s === '' : x !== s) return false;
  }
  return t.length === segs.length;
}

function sameHosts(a: readonly string[], b: readonly string[]): boolean {
  if (a.length === 0) return true;
  return b.length > 0 && b.every((h) => a.includes(h));
}

/**
 * Validates and compiles a route table. Every problem is reported at once, with its path
 * (`routes[2].matches[0].path.value: must start with "/"`), as a `ConfigError`
 * (`SY_CONFIG_INVALID`). Routes that can never be selected (shadowed by an earlier or more
 * specific unconditional route) are listed in `warnings` (thrown with `strict: true`).
 *
 * Use it once per config; the result is frozen and safe to share. Hot reload = compile a new
 * table and swap the reference.
 *
 * @example
 * ```ts
 * import { compileRoutes, match } from '@switchyard/router';
 * const table = compileRoutes({
 *   routes: [
 *     { id: 'users', matches: [{ path: { type: 'Template', value: '/users/:id' }, method: 'GET' }], value: 'users-svc' },
 *     { id: 'rest', value: 'web' }, // PathPrefix "/"
 *   ],
 * });
 * const r = match(table, { method: 'GET', path: '/users/42' });
 * if (r.kind === 'matched') console.log(r.route.value, r.params.id); // users-svc 42
 * ```
 */
export function compileRoutes<T = unknown>(config: RouteTableConfig<T>, options: CompileOptions = {}): RouteTable<T> {
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
  const drafts: Draft[] = [];
  const ids = new Set<string>();
  // Matches with the same header conditions (and nothing else to check) share one compiled check.
  const sharedChecks = new Map<string, Check | undefined>();
  const checkFor = (headers: readonly HeaderCond[], query: readonly QueryCond[], attrs: readonly AttrCond[], cidrs: readonly Cidr[] | undefined): Check | undefined => {
    if (query.length > 0 || attrs.length > 0 || cidrs !== undefined) return compileCheck(headers, query, attrs, cidrs);
    const key = JSON.stringify(headers.map((h) => [h.name, h.type, h.value, h.re?.source, h.re?.flags, h.invert, h.ignoreCase]));
    if (!sharedChecks.has(key)) sharedChecks.set(key, compileCheck(headers, query, attrs, cidrs));
    return sharedChecks.get(key);
  };
  config.routes.forEach((r: unknown, ri) => {
    const rp: (string | number)[] = ['routes', ri];
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
    const matches = r['matches'] ?? [{}];
    if (!Array.isArray(matches) || matches.length === 0) {
      issues.add(formatPath([...rp, 'matches']), 'must be a non-empty array (omit it to match every request)');
      return;
    }
    matches.forEach((m: unknown, mi) => {
      const mp = [...rp, 'matches', mi];
      if (!isObject(m)) {
        issues.add(formatPath(mp), 'must be an object');
        return;
      }
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
      if (facts === undefined) return;
      const simple = headers.length === 0 && query.length === 0 && attrs.length === 0 && cidrs === undefined && percent >= 100;
      drafts.push({
        entry: {
          rank: 0,
          route,
          matchIndex: mi,
          configPath: formatPath(mp),
          pathType: facts.type,
          pathValue: facts.value,
          ignoreCase: facts.ignoreCase,
          re: facts.re,
          reHasGroups: facts.paramNames.length > 0,
          paramNames: facts.paramNames,
          paramGaps: facts.type === 'Template' ? templateParamGaps(facts.value) : [],
          catchAll: facts.type === 'Template' && facts.pathClass === 2,
          staticKey: undefined,
          method: typeof method === 'string' ? method : undefined,
          hosts: !gateway && hostnames.length > 0 ? hostSetOf(hostnames) : undefined,
          headers,
          query,
          attrs,
          cidrs,
          percent,
          simple,
          check: checkFor(headers, query, attrs, cidrs),
          staticResult: undefined,
          specificity: facts.specificity,
          pathClass: facts.pathClass,
        },
        facts,
        createdAtMs: typeof createdAtMs === 'number' ? createdAtMs : 0,
        name: typeof name === 'string' ? name : '',
        hostnames,
        nConditions: attrs.length + (cidrs === undefined ? 0 : 1),
      });
    });
  });
  issues.throwIfAny();

  const ordered = gateway ? [...drafts].sort(gatewayOrder) : drafts;
  ordered.forEach((d, i) => (d.entry.rank = i));
  findShadowed(ordered, gateway, warnings);
  if (options.strict && warnings.length > 0) throw new ConfigError(warnings);

  const entries = (ds: readonly Draft[]): Entry[] => ds.map((d) => d.entry as Entry);
  let any: Split | undefined;
  const exactHosts = new Map<string, Split>();
  const wildcardHosts = new Map<string, Split>();
  const ctx = newCtx();
  if (!gateway) any = buildSplit(entries(ordered), ctx);
  else {
    const noHost = ordered.filter((d) => d.hostnames.length === 0);
    if (noHost.length > 0) any = buildSplit(entries(noHost), ctx);
    const patterns = new Set(ordered.flatMap((d) => d.hostnames));
    for (const h of patterns) {
      const m = buildSplit(entries(ordered.filter((d) => d.hostnames.includes(h))), ctx);
      if (h.startsWith('*.')) wildcardHosts.set(h.slice(1), m);
      else exactHosts.set(h, m);
    }
  }
  const engine: Engine = {
    any,
    exactHosts,
    wildcardHosts,
    usesHosts: exactHosts.size + wildcardHosts.size > 0,
    firstMatchHosts: !gateway && drafts.some((d) => d.hostnames.length > 0),
    normalize: Object.freeze({ ...norm }),
    ctx,
  };
  return Object.freeze({
    selection,
    routes: Object.freeze(routes),
    warnings: Object.freeze(warnings),
    [ENGINE]: engine,
  });
}

/** Literal characters before each parameter of a template, from the previous one (`/a/:x/bc/*y` → `[2, 3]`). */
function templateParamGaps(value: string): number[] {
  const out: number[] = [];
  let acc = 0;
  for (const s of value.slice(1).split('/')) {
    if (s.startsWith(':') || s.startsWith('*')) {
      out.push(acc);
      acc = 0;
    } else acc += s.length + 1;
  }
  return out;
}

function findShadowed(ordered: readonly Draft[], gateway: boolean, warnings: CompileWarning[]): void {
  const blockers = ordered.filter((d) => d.entry.simple && d.entry.percent >= 100);
  for (const b of ordered) {
    const a = blockers.find(
      (x) =>
        x.entry.rank < b.entry.rank &&
        (x.entry.method === undefined || x.entry.method === b.entry.method) &&
        sameHosts(x.hostnames, b.hostnames) &&
        // Under Gateway precedence a host-specific route outranks any host-agnostic one.
        (!gateway || x.hostnames.length > 0 || b.hostnames.length === 0) &&
        pathCovers(x.facts, b.facts),
    );
    if (a !== undefined) {
      warnings.push({
        path: b.entry.configPath,
        message: `unreachable: every request it matches is taken first by ${a.entry.configPath} (route ${JSON.stringify(a.entry.route.id)})`,
      });
    }
  }
}

const COMMON_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

function buildSplit(list: readonly Entry[], ctx: Ctx): Split {
  const popularity = (m: string): number => (COMMON_METHODS.includes(m) ? COMMON_METHODS.indexOf(m) : COMMON_METHODS.length);
  const methods = [...new Set(list.flatMap((e) => (e.method === undefined ? [] : [e.method])))].sort((a, b) => popularity(a) - popularity(b));
  const matchers = methods.map((m) => buildMatcher(list.filter((x) => x.method === undefined || x.method === m), ctx));
  const generic = list.filter((x) => x.method === undefined);
  return { methods, matchers, other: generic.length > 0 ? buildMatcher(generic, ctx) : undefined };
}

function methodMatcher(split: Split, method: string): Matcher | undefined {
  const ms = split.methods;
  for (let i = 0; i < ms.length; i++) if (ms[i] === method) return split.matchers[i];
  return split.other;
}

function staticBucket(m: Matcher, path: string): StaticBucket | undefined {
  const len = path.length;
  const shape = m.staticShape;
  if (len >= shape.length || (((shape[len] as number) >> (path.charCodeAt(len - 1) & 15)) & 1) === 0) return undefined;
  return m.staticMap.get(path);
}

function buildMatcher(list: readonly Entry[], ctx: Ctx): Matcher {
  const cs = new TrieNode('');
  const ci = new TrieNode('');
  const regexes: Entry[] = [];
  const staticMap = new Map<string, StaticBucket>();
  let hasCs = false;
  let hasCi = false;
  for (const e of list) {
    if (e.pathType === 'RegularExpression') {
      regexes.push(e);
      continue;
    }
    const value = e.ignoreCase ? asciiLower(e.pathValue) : e.pathValue;
    insert(e.ignoreCase ? ci : cs, e, value);
    if (e.ignoreCase) hasCi = true;
    else hasCs = true;
    if (!e.ignoreCase && (e.pathType === 'Exact' || (e.pathType === 'Template' && e.paramNames.length === 0))) {
      e.staticKey = value;
      // Every match of a static entry is this very result (the path equals the key).
      e.staticResult ??= staticMatched(e.route, e.matchIndex, value);
      let b = staticMap.get(value);
      if (b === undefined) staticMap.set(value, (b = { entries: [], shadowRank: NO_RANK, fast: undefined }));
      b.entries.push(e);
    }
  }
  regexes.sort((a, b) => a.rank - b.rank);
  cs.finish();
  ci.finish();
  let maxLen = 0;
  for (const key of staticMap.keys()) maxLen = Math.max(maxLen, key.length);
  const staticShape: number[] = Array.from({ length: staticMap.size === 0 ? 0 : maxLen + 1 }, () => 0);
  for (const key of staticMap.keys()) staticShape[key.length] = (staticShape[key.length] as number) | (1 << (key.charCodeAt(key.length - 1) & 15));
  const fast = buildFastRe(list, (e) => e.staticKey !== undefined);
  const m: Matcher = { staticMap, staticShape, cs, ci, hasCs, hasCi, regexes, fast, optimistic: list.every((e) => e.percent >= 100) };
  // For each static path, the best rank any *other* candidate could reach on that path,
  // whatever the request's other properties: a static hit ranked below it needs no walk.
  for (const [key, b] of staticMap) {
    b.entries.sort((x, y) => x.rank - y.rank);
    resetCtx(ctx);
    ctx.pathOnlyExclude = key;
    runMatcher(m, key, ctx, undefined);
    b.shadowRank = ctx.bestRank;
    ctx.pathOnlyExclude = undefined;
    const top = b.entries[0] as Entry;
    // Sampled and host-restricted entries need the full context; everything else is one call.
    if (top.rank < b.shadowRank && top.hosts === undefined && top.percent >= 100) b.fast = top;
  }
  resetCtx(ctx);
  return m;
}

function resetCtx(ctx: Ctx): void {
  ctx.best = undefined;
  ctx.bestRank = NO_RANK;
  ctx.dirty = 0;
}

/**
 * Fills `ctx.best`; returns regex groups when a regex with named groups won. `b` is the static
 * bucket of `path` (undefined when there is none, or at compile time).
 */
function runMatcher(m: Matcher, path: string, ctx: Ctx, b: StaticBucket | undefined): RegExpExecArray | undefined {
  ctx.cmp = path;
  if (b !== undefined) {
    // The path equals a normalized key: nothing left to check.
    ctx.tail = NO_RANK;
    consider(b.entries, ctx);
    if (ctx.bestRank < b.shadowRank) return undefined;
  }
  if (m.hasCs && m.cs.minRank < ctx.bestRank) walk(m.cs, 1, ctx);
  if (m.hasCi && m.ci.minRank < ctx.bestRank) {
    const before = ctx.best;
    ctx.cmp = asciiLower(path);
    walk(m.ci, 1, ctx);
    ctx.cmp = path;
    // Not tracked on the lower-cased copy: a winner here has the whole path checked.
    if (ctx.best !== before) ctx.bestTail = 0;
  }
  if (m.regexes.length > 0 && (m.regexes[0] as Entry).rank < ctx.bestRank) return considerRegexes(m.regexes, path, ctx);
  return undefined;
}

/** Options of {@link match}. */
export interface MatchOptions {
  /** Needed only by routes with `runtimeFraction`; without it such routes never match. */
  readonly rng?: Rng;
}

/**
 * Matches a request against a compiled table. Never throws for any request: a path that cannot
 * be normalized safely, or a `#` in the query, is `bad-request` (answer 400), no candidate is
 * `no-route` (404).
 *
 * The path is normalized first (see {@link normalizePath}); `path` in the result is the
 * normalized path, which is what the rewriter and the upstream request must use.
 *
 * @example
 * ```ts
 * import { compileRoutes, match } from '@switchyard/router';
 * const table = compileRoutes({ routes: [{ matches: [{ path: { type: 'Exact', value: '/admin' } }], value: 'admin' }] });
 * match(table, { method: 'GET', path: '/public/../%61dmin' }); // matched, path '/admin'
 * match(table, { method: 'GET', path: '/a%2Fb' });             // { kind: 'bad-request', ... }
 * ```
 */
export function match<T>(table: RouteTable<T>, request: MatchRequest, options?: MatchOptions): MatchResult<T> {
  const engine = table[ENGINE];
  const full = request.path;
  if (typeof full !== 'string') return NOT_A_STRING;
  // A fragment is never part of a request target (RFC 9112 §3.2), and frameworks disagree on a
  // `#` after the query (Express ends the query there, Fastify keeps it in the query string):
  // a 400 leaves nothing for them to read differently. In the path, normalization refuses it.
  const rawQuery = request.query;
  if (rawQuery !== undefined && rawQuery.length !== 0 && rawQuery.indexOf('#') >= 0) return FRAGMENT_IN_QUERY;
  const ctx = engine.ctx;
  const any = engine.any;
  const only = engine.usesHosts || any === undefined ? undefined : methodMatcher(any, request.method);
  if (only !== undefined) {
    // Static fast path: static keys are in normalized form (and hold no `?`), so a raw path equal
    // to one needs no normalization, and the entry found wins whenever its own conditions hold.
    const bucket = staticBucket(only, full);
    if (bucket !== undefined) {
      const hit = bucket.fast;
      if (hit !== undefined && (hit.check === undefined || hit.check(request, request.query ?? ''))) return hit.staticResult as MatchResult<T>;
    } else if (only.fast !== undefined) {
      // Parameter fast path: a path in normalized form that one of the matcher's top-ranked
      // templates takes (nothing else can beat it; no static key equals the path) wins when its
      // own conditions hold.
      const e = fastMatch(only.fast, full);
      if (e !== undefined && (e.check === undefined || e.check(request, request.query ?? ''))) {
        return templateMatched(e.route as CompiledRoute<T>, e.matchIndex, full, e);
      }
    }
    if (only.optimistic && full.charCodeAt(0) === 47) {
      // Walk the raw path as if it were normalized and free of `?`, noting on the way whether it
      // is (a `?` counts as unclean); the common case then scans each character once and
      // allocates nothing but the result. Otherwise everything is redone below.
      begin(ctx, request, request.query ?? '', options, engine);
      const groups = runMatcher(only, full, ctx, bucket);
      if ((ctx.best !== undefined && cleanWin(ctx)) || isPlain(full)) return finish(ctx, full, groups);
    }
  }
  let raw = full;
  let query = request.query;
  const q = raw.indexOf('?');
  if (q >= 0) {
    query ??= raw.slice(q + 1);
    raw = raw.slice(0, q);
  }
  const qs = query ?? '';
  if (rawQuery === undefined && qs.indexOf('#') >= 0) return FRAGMENT_IN_QUERY;
  if (!engine.usesHosts) {
    if (only === undefined) return noRoute(raw, engine);
    const n = normalizePath(raw, engine.normalize);
    if (n.kind === 'invalid') return { kind: 'bad-request', reason: n.reason };
    const path = n.path;
    begin(ctx, request, qs, options, engine);
    const groups = runMatcher(only, path, ctx, staticBucket(only, path));
    return finish(ctx, path, groups);
  }
  const n = normalizePath(raw, engine.normalize);
  if (n.kind === 'invalid') return { kind: 'bad-request', reason: n.reason };
  const path = n.path;
  begin(ctx, request, qs, options, engine);
  const method = request.method;
  const host = hostOf(request.authority);
  ctx.host = host;
  let groups: RegExpExecArray | undefined;
  const exact = engine.exactHosts.get(host);
  if (exact !== undefined) groups = runSplit(exact, method, path, ctx);
  for (let dot = host.indexOf('.'); ctx.best === undefined && dot >= 0; dot = host.indexOf('.', dot + 1)) {
    const w = engine.wildcardHosts.get(host.slice(dot));
    if (w !== undefined && dot > 0) groups = runSplit(w, method, path, ctx);
  }
  if (ctx.best === undefined && engine.any !== undefined) groups = runSplit(engine.any, method, path, ctx);
  return finish(ctx, path, groups);
}

function begin(ctx: Ctx, request: MatchRequest, query: string, options: MatchOptions | undefined, engine: Engine): void {
  ctx.req = request;
  ctx.query = query;
  ctx.rng = options?.rng;
  ctx.best = undefined;
  ctx.bestRank = NO_RANK;
  ctx.dirty = 0;
  ctx.host = engine.firstMatchHosts ? hostOf(request.authority) : undefined;
}

/**
 * The result for `ctx.best` on `path`. Params are not built here: the result reads them back
 * from `path` (or the regex groups) on first access.
 */
function finish<T>(ctx: Ctx, path: string, groups: RegExpExecArray | undefined): MatchResult<T> {
  ctx.req = NO_REQUEST;
  ctx.rng = undefined;
  const best = ctx.best;
  if (best === undefined) return { kind: 'no-route', path };
  if (best.staticResult !== undefined) return best.staticResult as MatchResult<T>;
  const route = best.route as CompiledRoute<T>;
  if (groups !== undefined) return regexMatched(route, best.matchIndex, path, groups);
  return templateMatched(route, best.matchIndex, path, best);
}

function runSplit(split: Split, method: string, path: string, ctx: Ctx): RegExpExecArray | undefined {
  const m = methodMatcher(split, method);
  return m === undefined ? undefined : runMatcher(m, path, ctx, staticBucket(m, path));
}

/** `isTrivial` and free of `?`: the raw path is its own normalized form and has no query. */
function isPlain(path: string): boolean {
  return isTrivial(path) && !path.includes('?');
}

/** No matcher for this method: still a 400 for a path that cannot be normalized. */
function noRoute<T>(raw: string, engine: Engine): MatchResult<T> {
  if (raw.charCodeAt(0) === 47 && isTrivial(raw)) return { kind: 'no-route', path: raw };
  const n = normalizePath(raw, engine.normalize);
  return n.kind === 'invalid' ? { kind: 'bad-request', reason: n.reason } : { kind: 'no-route', path: n.path };
}

const NOT_A_STRING: MatchResult<never> = Object.freeze({ kind: 'bad-request', reason: 'path must be a string' });
const FRAGMENT_IN_QUERY: MatchResult<never> = Object.freeze({ kind: 'bad-request', reason: "fragment ('#') in request query" });
const NO_REQUEST: MatchRequest = Object.freeze({ method: '', path: '' });
