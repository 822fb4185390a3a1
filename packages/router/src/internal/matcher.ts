/**
 * The matcher structure a table's entries are compiled into, and how one is run: an
 * {@link Engine} holds a {@link Split} for host-agnostic entries and one per hostname pattern;
 * a split holds one {@link Matcher} per method; a matcher holds a whole-path static map (with a
 * length/last-character filter in front), the case-sensitive and case-insensitive segment tries
 * (`trie.ts`), the regex candidates and the parameter fast path (`fast-regex.ts`).
 *
 * Building and running live together: building a matcher runs it on each static key to learn
 * which static hits need no walk.
 */
import { asciiLower } from '../normalize.js';
import type { NormalizeOptions } from '../normalize.js';
import { compileFastRe } from './fast-regex.js';
import type { FastRe } from './fast-regex.js';
import { staticMatched } from './result.js';
import { NO_RANK, TrieNode, consider, considerRegexes, insert, newCtx, walk } from './trie.js';
import type { Ctx, Entry } from './trie.js';

/** The entries of one static key in one matcher. */
export interface StaticBucket {
  readonly entries: Entry[];
  shadowRank: number;
  /**
   * The entry that wins outright whenever its own conditions hold (nothing else in this matcher
   * can match this path at a better rank), or undefined.
   */
  fast: Entry | undefined;
}

/** Everything one method (or the method-less rest) can match. */
export interface Matcher {
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
export interface Split {
  readonly methods: readonly string[];
  readonly matchers: readonly Matcher[];
  readonly other: Matcher | undefined;
}

/** A compiled table's matching structure (held by the `RouteTable` behind a symbol). */
export interface Engine {
  readonly any: Split | undefined;
  readonly exactHosts: Map<string, Split>;
  readonly wildcardHosts: Map<string, Split>;
  readonly usesHosts: boolean;
  readonly firstMatchHosts: boolean;
  readonly normalize: NormalizeOptions;
  readonly ctx: Ctx;
}

/**
 * The engine for `entries` (in rank order). Under Gateway precedence a request is matched
 * against its host's split (exact name, then each wildcard suffix) and then the host-agnostic
 * one; under first match every entry is in the one split and checks its own hosts.
 */
export function compileEngine(entries: readonly Entry[], gateway: boolean, norm: NormalizeOptions): Engine {
  let any: Split | undefined;
  const exactHosts = new Map<string, Split>();
  const wildcardHosts = new Map<string, Split>();
  const ctx = newCtx();
  if (!gateway) any = compileSplit(entries, ctx);
  else {
    const noHost = entries.filter((e) => e.route.hostnames.length === 0);
    if (noHost.length > 0) any = compileSplit(noHost, ctx);
    const patterns = new Set(entries.flatMap((e) => e.route.hostnames));
    for (const h of patterns) {
      const m = compileSplit(entries.filter((e) => e.route.hostnames.includes(h)), ctx);
      if (h.startsWith('*.')) wildcardHosts.set(h.slice(1), m);
      else exactHosts.set(h, m);
    }
  }
  return {
    any,
    exactHosts,
    wildcardHosts,
    usesHosts: exactHosts.size + wildcardHosts.size > 0,
    firstMatchHosts: !gateway && entries.some((e) => e.route.hostnames.length > 0),
    normalize: Object.freeze({ ...norm }),
    ctx,
  };
}

const COMMON_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

function compileSplit(list: readonly Entry[], ctx: Ctx): Split {
  const popularity = (m: string): number => (COMMON_METHODS.includes(m) ? COMMON_METHODS.indexOf(m) : COMMON_METHODS.length);
  const methods = [...new Set(list.flatMap((e) => (e.method === undefined ? [] : [e.method])))].sort((a, b) => popularity(a) - popularity(b));
  const matchers = methods.map((m) => compileMatcher(list.filter((x) => x.method === undefined || x.method === m), ctx));
  const generic = list.filter((x) => x.method === undefined);
  return { methods, matchers, other: generic.length > 0 ? compileMatcher(generic, ctx) : undefined };
}

function compileMatcher(list: readonly Entry[], ctx: Ctx): Matcher {
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
  const fast = compileFastRe(list, (e) => e.staticKey !== undefined);
  const m: Matcher = { staticMap, staticShape, cs, ci, hasCs, hasCi, regexes, fast, optimistic: list.every((e) => e.percent >= 100) };
  // For each static path, the best rank any *other* candidate could reach on that path,
  // whatever the request's other properties: a static hit ranked below it needs no walk.
  for (const [key, b] of staticMap) {
    b.entries.sort((x, y) => x.rank - y.rank);
    resetCtx(ctx);
    ctx.pathOnlyExclude = key;
    matchPath(m, key, ctx, undefined);
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

/** The matcher for `method` in `split` (the method-less one for a method no route names). */
export function methodMatcher(split: Split, method: string): Matcher | undefined {
  const ms = split.methods;
  for (let i = 0; i < ms.length; i++) if (ms[i] === method) return split.matchers[i];
  return split.other;
}

/** The static bucket whose key is `path`, or undefined (most misses without hashing). */
export function staticBucket(m: Matcher, path: string): StaticBucket | undefined {
  const len = path.length;
  const shape = m.staticShape;
  if (len >= shape.length || (((shape[len] as number) >> (path.charCodeAt(len - 1) & 15)) & 1) === 0) return undefined;
  return m.staticMap.get(path);
}

/**
 * Fills `ctx.best`; returns regex groups when a regex with named groups won. `b` is the static
 * bucket of `path` (undefined when there is none, or at compile time).
 */
export function matchPath(m: Matcher, path: string, ctx: Ctx, b: StaticBucket | undefined): RegExpExecArray | undefined {
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

/** {@link matchPath} with the matcher of `method` in `split`, if any. */
export function matchSplit(split: Split, method: string, path: string, ctx: Ctx): RegExpExecArray | undefined {
  const m = methodMatcher(split, method);
  return m === undefined ? undefined : matchPath(m, path, ctx, staticBucket(m, path));
}
