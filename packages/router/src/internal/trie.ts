/**
 * The compiled candidate ({@link Entry}), the scratch of one match ({@link Ctx}) and the segment
 * trie they are walked in: per-segment static children, one parameter child, catch-all, exact,
 * segment-prefix and byte-prefix candidate lists per node, in the style of httprouter /
 * find-my-way (the whole-path static map in front of it, as rou3 and Hono's RegExpRouter have,
 * is in `matcher.ts`). Every candidate carries a precomputed global rank (its place in the
 * selection model's total order), so matching is "the lowest-ranked candidate whose path
 * matches and whose other conditions hold"; subtrees whose best rank cannot win are pruned.
 */
import { chance } from '@switchyard/core';
import type { Rng } from '@switchyard/core';
import type { CompiledRoute, MatchRequest, MatchResult, PathMatchType } from '../types.js';
import { hostMatches } from './conditions.js';
import type { Check, HostSet } from './conditions.js';

/** One (route, match) pair, compiled. */
export interface Entry {
  readonly rank: number;
  readonly route: CompiledRoute<unknown>;
  readonly matchIndex: number;
  readonly pathType: PathMatchType;
  /** The path value as configured (for prefixes: without the trailing `/` for segment prefixes). */
  readonly pathValue: string;
  readonly ignoreCase: boolean;
  readonly re: RegExp | undefined;
  readonly reHasGroups: boolean;
  readonly paramNames: readonly string[];
  /**
   * Templates: for each parameter, the length of the literal segments (each with its `/`)
   * between the previous parameter (or the path's leading `/`) and it: `/repos/:owner/:repo` →
   * `[6, 0]`. A matched path has the template's literal segments character for character, so
   * params are read back from the path alone, on demand (see `Matched`).
   */
  readonly paramGaps: readonly number[];
  /** Templates: the last parameter is a catch-all (`*name`), taking the rest of the path. */
  readonly catchAll: boolean;
  /** Set when the entry lives in the whole-path static map under this key. */
  staticKey: string | undefined;
  readonly method: string | undefined;
  readonly hosts: HostSet | undefined;
  readonly percent: number;
  /** Only method (and host) to check. */
  readonly simple: boolean;
  /** Headers, query, attributes and client CIDRs compiled into one function; undefined when there are none. */
  readonly check: Check | undefined;
  /** For entries in the static map: the frozen result every match of this entry returns. */
  staticResult: MatchResult<unknown> | undefined;
}

interface BytePrefix {
  readonly rest: string;
  readonly entries: Entry[];
}

/**
 * "No rank": above every real rank (ranks count the table's matches). A small integer rather
 * than `Infinity`, so rank fields stay unboxed small integers in V8.
 */
export const NO_RANK = 0x3fffffff;

export class TrieNode {
  children: TrieNode[] = [];
  /** Wide nodes: children bucketed by the low 6 bits of their label's first char code. */
  buckets: TrieNode[][] | undefined = undefined;
  /** The child for an empty segment (`/a//` cannot occur, but `/a/` has one). */
  emptyChild: TrieNode | undefined = undefined;
  param: TrieNode | undefined = undefined;
  catchAll: Entry[] = [];
  exact: Entry[] = [];
  prefix: Entry[] = [];
  bytePrefix: BytePrefix[] = [];
  minRank = NO_RANK;
  /** Anything to try besides a static child (a parameter, catch-all, byte or segment prefix). */
  hasOther = false;
  /** Anything to try after the parameter child (a catch-all, byte or segment prefix). */
  hasTail = false;
  readonly label: string;
  /** The label's first character code (-1 for the empty label). */
  readonly first: number;
  /** Children with a non-empty label (those findChild compares). */
  labelled: TrieNode[] = [];
  constructor(label: string) {
    this.label = label;
    this.first = label === '' ? -1 : label.charCodeAt(0);
  }

  child(label: string): TrieNode {
    let c = this.children.find((x) => x.label === label);
    if (c === undefined) {
      c = new TrieNode(label);
      this.children.push(c);
    }
    return c;
  }

  /** Sorts candidate lists, builds maps for wide nodes and computes subtree minimum ranks. */
  finish(): number {
    const byRank = (a: Entry, b: Entry): number => a.rank - b.rank;
    let min = NO_RANK;
    for (const list of [this.catchAll, this.exact, this.prefix, ...this.bytePrefix.map((b) => b.entries)]) {
      list.sort(byRank);
      if (list.length > 0) min = Math.min(min, (list[0] as Entry).rank);
    }
    for (const c of this.children) min = Math.min(min, c.finish());
    if (this.param) min = Math.min(min, this.param.finish());
    this.emptyChild = this.children.find((c) => c.label === '');
    this.labelled = this.children.filter((c) => c.label !== '');
    if (this.children.length > 4) {
      const buckets: TrieNode[][] = Array.from({ length: 64 }, () => []);
      for (const c of this.children) if (c.label !== '') (buckets[c.label.charCodeAt(0) & 63] as TrieNode[]).push(c);
      this.buckets = buckets;
    }
    this.hasTail = this.catchAll.length > 0 || this.bytePrefix.length > 0 || this.prefix.length > 0;
    this.hasOther = this.param !== undefined || this.hasTail;
    this.minRank = min;
    return min;
  }
}

/** Where a template or literal path lands in the trie. */
export function segmentsOf(path: string): string[] {
  return path.slice(1).split('/');
}

/** Adds an entry to the trie according to its path type. */
export function insert(root: TrieNode, e: Entry, value: string): void {
  switch (e.pathType) {
    case 'Exact':
    case 'Template': {
      let node = root;
      const segs = segmentsOf(value);
      for (let i = 0; i < segs.length; i++) {
        const s = segs[i] as string;
        if (s.startsWith('*') && e.pathType === 'Template') {
          node.catchAll.push(e);
          return;
        }
        if (s.startsWith(':') && e.pathType === 'Template') node = node.param ??= new TrieNode(':');
        else node = node.child(s);
      }
      node.exact.push(e);
      return;
    }
    case 'PathPrefix': {
      let node = root;
      const trimmed = value.endsWith('/') ? value.slice(0, -1) : value;
      if (trimmed !== '') for (const s of segmentsOf(trimmed)) node = node.child(s);
      node.prefix.push(e);
      return;
    }
    case 'Prefix': {
      const segs = segmentsOf(value);
      const rest = segs.pop() as string;
      let node = root;
      for (const s of segs) node = node.child(s);
      let bp = node.bytePrefix.find((b) => b.rest === rest);
      if (bp === undefined) node.bytePrefix.push((bp = { rest, entries: [] }));
      bp.entries.push(e);
      return;
    }
    default:
      throw new Error(`unexpected path type ${e.pathType}`);
  }
}

/** Mutable per-table scratch used by one synchronous match at a time (JS is single-threaded). */
export interface Ctx {
  /** The string compared against the trie (lower-cased for case-insensitive tries). */
  cmp: string;
  best: Entry | undefined;
  bestRank: number;
  /**
   * Segments on the current branch that may not be in normalized form (a parameter value with
   * `%`, `\\`, a control character or a leading `.`; an empty segment before a `/`). The walk runs
   * on the raw path first; see {@link cleanWin}.
   */
  dirty: number;
  /** Where the unchecked rest of the path starts for the candidates being considered (`> length`: none). */
  tail: number;
  bestDirty: number;
  bestTail: number;
  req: MatchRequest;
  host: string | undefined;
  query: string;
  rng: Rng | undefined;
  /** Compile-time mode: ignore conditions, skip entries with this static key. */
  pathOnlyExclude: string | undefined;
}

export function newCtx(): Ctx {
  return {
    cmp: '',
    best: undefined,
    bestRank: NO_RANK,
    dirty: 0,
    tail: 0,
    bestDirty: 0,
    bestTail: 0,
    req: { method: '', path: '' },
    host: undefined,
    query: '',
    rng: undefined,
    pathOnlyExclude: undefined,
  };
}

/** The method is not checked here: every trie holds only entries of one method (or none). */
function passes(e: Entry, ctx: Ctx): boolean {
  if (ctx.pathOnlyExclude !== undefined) return e.staticKey !== ctx.pathOnlyExclude;
  if (e.simple) return e.hosts === undefined || hostMatches(e.hosts, ctx.host as string);
  if (e.hosts !== undefined && !hostMatches(e.hosts, ctx.host as string)) return false;
  if (e.check !== undefined && !e.check(ctx.req, ctx.query)) return false;
  // The sample is drawn last, so only otherwise-matching requests consume randomness.
  if (e.percent < 100) {
    if (ctx.rng === undefined) return false;
    return chance(ctx.rng, e.percent);
  }
  return true;
}

export function consider(list: readonly Entry[], ctx: Ctx): void {
  for (let i = 0; i < list.length; i++) {
    const e = list[i] as Entry;
    if (e.rank >= ctx.bestRank) return;
    if (passes(e, ctx)) {
      ctx.best = e;
      ctx.bestRank = e.rank;
      ctx.bestDirty = ctx.dirty;
      ctx.bestTail = ctx.tail;
      return;
    }
  }
}

/**
 * The static child whose label is the segment starting at `s`. Labels are compared in place,
 * character by character (no substring, no builtin call), after a length check against the
 * next `/`; `s` may equal `len` (an empty last segment).
 */
function findChild(node: TrieNode, path: string, s: number, len: number): TrieNode | undefined {
  if (s === len) return node.emptyChild;
  const c0 = path.charCodeAt(s);
  if (c0 === 47) return node.emptyChild;
  const buckets = node.buckets;
  const children = buckets === undefined ? node.labelled : (buckets[c0 & 63] as TrieNode[]);
  for (let i = 0; i < children.length; i++) {
    const c = children[i] as TrieNode;
    const label = c.label;
    const n = label.length;
    const end = s + n;
    if (c.first !== c0 || end > len || (end < len && path.charCodeAt(end) !== 47)) continue;
    // Short labels char by char; longer ones as one substring comparison (a flat cost).
    if (n > 3) {
      if (path.slice(s, end) === label) return c;
      continue;
    }
    let k = 1;
    while (k < n && label.charCodeAt(k) === path.charCodeAt(s + k)) k++;
    if (k === n) return c;
  }
  return undefined;
}

/**
 * Depth-first walk: `s` is the start of the next segment, or `path.length + 1` when none is left.
 * Static children are tried first, then the parameter child, the catch-all, byte prefixes and
 * segment prefixes (the order matters only for which sampled candidates draw randomness).
 * A node with nothing but a static child, or nothing after its parameter child, is descended
 * in the loop rather than by recursion.
 */
export function walk(node: TrieNode, s: number, ctx: Ctx): void {
  const path = ctx.cmp;
  const len = path.length;
  const dirty0 = ctx.dirty;
  for (;;) {
    if (s > len) {
      ctx.tail = s;
      if (node.exact.length > 0) consider(node.exact, ctx);
      if (node.prefix.length > 0) consider(node.prefix, ctx);
      break;
    }
    let child: TrieNode | undefined;
    let next = 0;
    if (node.children.length > 0) {
      child = findChild(node, path, s, len);
      if (child !== undefined) {
        next = s + child.label.length + 1;
        if (child.minRank >= ctx.bestRank) child = undefined;
      }
    }
    // An empty segment before a `/` is a `//`, which normalization would merge.
    const gap = s < len && child !== undefined && next === s + 1 ? 1 : 0;
    if (!node.hasOther) {
      if (child === undefined) break;
      ctx.dirty += gap;
      node = child;
      s = next;
      continue;
    }
    if (child !== undefined) {
      ctx.dirty += gap;
      walk(child, next, ctx);
      ctx.dirty -= gap;
    }
    const p = node.param;
    // A parameter takes a non-empty segment; its end and cleanliness are scanned only here.
    if (p !== undefined && s < len && path.charCodeAt(s) !== 47 && p.minRank < ctx.bestRank) {
      let e = s;
      // Whether the value is certainly in normalized form.
      let clean = path.charCodeAt(s) !== 46;
      for (; e < len; e++) {
        const c = path.charCodeAt(e);
        if (c === 47) break;
        if (c <= 32 || c === 35 || c === 37 || c === 63 || c === 92 || c === 127) clean = false;
      }
      if (!clean) ctx.dirty++;
      if (!node.hasTail) {
        node = p;
        s = e + 1;
        continue;
      }
      walk(p, e + 1, ctx);
      if (!clean) ctx.dirty--;
    }
    ctx.tail = s;
    if (node.catchAll.length > 0) consider(node.catchAll, ctx);
    const bps = node.bytePrefix;
    for (let i = 0; i < bps.length; i++) {
      const bp = bps[i] as BytePrefix;
      if (path.startsWith(bp.rest, s)) consider(bp.entries, ctx);
    }
    if (node.prefix.length > 0) consider(node.prefix, ctx);
    break;
  }
  ctx.dirty = dirty0;
}

/**
 * True when `path[from..]` needs no normalization and holds no `?` (the raw path may still carry
 * its query string), given that `path[from - 1]` is `/` (or
 * `from` is 0): the test of `isTrivial` on the rest of the path.
 */
export function cleanFrom(path: string, from: number): boolean {
  const n = path.length;
  let prev = from > 0 ? 47 : 0;
  for (let i = from; i < n; i++) {
    const c = path.charCodeAt(i);
    if (c <= 32 || c === 35 || c === 37 || c === 63 || c === 92 || c === 127) return false;
    if (prev === 47 && (c === 47 || c === 46)) return false;
    prev = c;
  }
  return true;
}

/**
 * After a walk on the raw path: is the winner's match certainly the same as on the normalized
 * path? True when every segment on its branch was a normalized label or a clean parameter value
 * and the rest of the path past its prefix or catch-all needs no normalization.
 */
export function cleanWin(ctx: Ctx): boolean {
  if (ctx.bestDirty !== 0) return false;
  const path = ctx.cmp;
  return ctx.bestTail > path.length || cleanFrom(path, ctx.bestTail);
}

/** Regex candidates (sorted by rank). Named groups become params. */
export function considerRegexes(list: readonly Entry[], path: string, ctx: Ctx): RegExpExecArray | undefined {
  for (const e of list) {
    if (e.rank >= ctx.bestRank) break;
    const re = e.re as RegExp;
    // Only a regex with named groups needs its match array (for params); the others just test.
    let groups: RegExpExecArray | undefined;
    if (e.reHasGroups) {
      const m = re.exec(path);
      if (m === null) continue;
      groups = m;
    } else if (!re.test(path)) continue;
    if (passes(e, ctx)) {
      ctx.best = e;
      ctx.bestRank = e.rank;
      ctx.bestDirty = 0;
      ctx.bestTail = 0;
      return groups;
    }
  }
  return undefined;
}
