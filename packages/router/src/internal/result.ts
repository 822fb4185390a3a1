/**
 * The `matched` result, with its params built on first read (as Hono's RegExpRouter hands back a
 * param-index map and its match array instead of an object): a request that never reads
 * `params` never pays for them.
 */
import type { CompiledRoute, MatchResult } from '../types.js';
import type { Entry } from './trie.js';

const EMPTY_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * A `matched` result. Own enumerable fields: `kind`, `route`, `matchIndex`, `path`; `params` is
 * an accessor on the prototype that builds the object on first read and caches it, so
 * `{ ...result }` and `Object.keys` do not see it (read `result.params`; `JSON.stringify` includes
 * it through `toJSON`).
 */
export class Matched<T = unknown> {
  readonly kind: 'matched';
  readonly route: CompiledRoute<T>;
  readonly matchIndex: number;
  readonly path: string;
  /** Where params come from: the template's entry, or the regex match; undefined once built. */
  #source: Entry | RegExpExecArray | undefined;
  #params: Readonly<Record<string, string>> | undefined;

  constructor(
    route: CompiledRoute<T>,
    matchIndex: number,
    path: string,
    source: Entry | RegExpExecArray | undefined,
    params: Readonly<Record<string, string>> | undefined,
  ) {
    this.kind = 'matched';
    this.route = route;
    this.matchIndex = matchIndex;
    this.path = path;
    this.#source = source;
    this.#params = params;
  }

  /** Template captures and named regex groups, percent-decoded. Built once, on first read. */
  get params(): Readonly<Record<string, string>> {
    let p = this.#params;
    if (p === undefined) {
      const source = this.#source as Entry | RegExpExecArray;
      p = Array.isArray(source) ? groupParams(source) : templateParams(source, this.path);
      this.#params = p;
      this.#source = undefined;
    }
    return p;
  }

  toJSON(): { kind: 'matched'; route: CompiledRoute<T>; matchIndex: number; params: Readonly<Record<string, string>>; path: string } {
    return { kind: this.kind, route: this.route, matchIndex: this.matchIndex, params: this.params, path: this.path };
  }
}

/** The frozen result every match of a parameter-free entry on `path` returns. */
export function staticMatched<T>(route: CompiledRoute<T>, matchIndex: number, path: string): MatchResult<T> {
  return Object.freeze(new Matched(route, matchIndex, path, undefined, EMPTY_PARAMS));
}

/** A result whose params come from `entry`'s template (or are none) on `path`. */
export function templateMatched<T>(route: CompiledRoute<T>, matchIndex: number, path: string, entry: Entry): MatchResult<T> {
  return new Matched(route, matchIndex, path, entry, entry.paramNames.length === 0 ? EMPTY_PARAMS : undefined);
}

/** A result whose params are the named groups of a regular-expression match. */
export function regexMatched<T>(route: CompiledRoute<T>, matchIndex: number, path: string, groups: RegExpExecArray): MatchResult<T> {
  return new Matched(route, matchIndex, path, groups, undefined);
}

function decodeParam(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function groupParams(groups: RegExpExecArray): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(groups.groups ?? {})) if (v !== undefined) out[k] = v.includes('%') ? decodeParam(v) : v;
  return out;
}

/**
 * A path matched by a template has the template's literal segments character for character
 * (`:name` one non-empty segment, a final `*name` the rest, possibly empty), so each value
 * starts a known number of characters after the previous one ends. One char-code scan over the
 * values only; a value is decoded only when it holds a `%`.
 */
function templateParams(entry: Entry, path: string): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  const names = entry.paramNames;
  const gaps = entry.paramGaps;
  const last = names.length - 1;
  const len = path.length;
  // The `/` before the next value's literal gap (the leading `/`, then the `/` ending a value).
  let i = 0;
  for (let k = 0; k <= last; k++) {
    const start = i + 1 + (gaps[k] as number);
    let e = start;
    let escaped = false;
    if (k === last && entry.catchAll) {
      for (; e < len; e++) if (path.charCodeAt(e) === 37) escaped = true;
    } else {
      for (; e < len; e++) {
        const c = path.charCodeAt(e);
        if (c === 47) break;
        if (c === 37) escaped = true;
      }
    }
    const v = start >= len ? '' : path.slice(start, e);
    out[names[k] as string] = escaped ? decodeParam(v) : v;
    i = e;
  }
  return out;
}
