/**
 * The `matched` result, with its params built on first read (as Hono's RegExpRouter hands back a
 * param-index map and its match array instead of an object): a request that never reads
 * `params` never pays for them.
 */
import type { CompiledRoute, MatchResult } from '../types.js';
import type { Entry } from './engine.js';

const EMPTY_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * A `matched` result. Own enumerable fields: `kind`, `route`, `matchIndex`, `path`; `params` is
 * an accessor on the prototype that builds the object on first read and caches it, so
 * `{ ...result }` and `Object.keys` do not see it (read `result.params`; `JSON.stringify` includes
 * it through `toJSON`).
 */
export class Matched<T = unknown> {
  readonly kind = 'matched' as const;
  readonly route: CompiledRoute<T>;
  readonly matchIndex: number;
  readonly path: string;
  #entry: Entry | undefined;
  #groups: RegExpExecArray | undefined;
  #params: Readonly<Record<string, string>> | undefined;

  constructor(
    route: CompiledRoute<T>,
    matchIndex: number,
    path: string,
    entry: Entry | undefined,
    groups: RegExpExecArray | undefined,
    params: Readonly<Record<string, string>> | undefined,
  ) {
    this.route = route;
    this.matchIndex = matchIndex;
    this.path = path;
    this.#entry = entry;
    this.#groups = groups;
    this.#params = params;
  }

  /** Template captures and named regex groups, percent-decoded. Built once, on first read. */
  get params(): Readonly<Record<string, string>> {
    let p = this.#params;
    if (p === undefined) {
      p = this.#groups !== undefined ? groupParams(this.#groups) : templateParams(this.#entry as Entry, this.path);
      this.#params = p;
      this.#entry = undefined;
      this.#groups = undefined;
    }
    return p;
  }

  toJSON(): { kind: 'matched'; route: CompiledRoute<T>; matchIndex: number; params: Readonly<Record<string, string>>; path: string } {
    return { kind: this.kind, route: this.route, matchIndex: this.matchIndex, params: this.params, path: this.path };
  }
}

/** The frozen result every match of a parameter-free entry on `path` returns. */
export function staticMatched<T>(route: CompiledRoute<T>, matchIndex: number, path: string): MatchResult<T> {
  return Object.freeze(new Matched(route, matchIndex, path, undefined, undefined, EMPTY_PARAMS));
}

/** A result whose params come from `entry`'s template (or are none) on `path`. */
export function templateMatched<T>(route: CompiledRoute<T>, matchIndex: number, path: string, entry: Entry): MatchResult<T> {
  return new Matched(route, matchIndex, path, entry, undefined, entry.paramNames.length === 0 ? EMPTY_PARAMS : undefined);
}

/** A result whose params are the named groups of a regular-expression match. */
export function regexMatched<T>(route: CompiledRoute<T>, matchIndex: number, path: string, groups: RegExpExecArray): MatchResult<T> {
  return new Matched(route, matchIndex, path, undefined, groups, undefined);
}

function decodeParam(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function groupParams(groups: RegExpExecArray): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(groups.groups ?? {})) if (v !== undefined) out[k] = decodeParam(v);
  return out;
}

/**
 * A path matched by a template has the template's segments one for one (`:name` one non-empty
 * segment, a final `*name` the rest, possibly empty), so each value is found by counting `/`.
 */
function templateParams(entry: Entry, path: string): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  const names = entry.paramNames;
  const segs = entry.paramSegs;
  const escaped = path.includes('%');
  const len = path.length;
  let seg = 0;
  let start = 1;
  for (let i = 0; i < names.length; i++) {
    const target = segs[i] as number;
    while (seg < target && start <= len) {
      const slash = path.indexOf('/', start);
      start = slash < 0 ? len + 1 : slash + 1;
      seg++;
    }
    let v = '';
    if (start <= len) {
      if (entry.catchAll && i === names.length - 1) v = path.slice(start);
      else {
        const end = path.indexOf('/', start);
        v = path.slice(start, end < 0 ? len : end);
      }
    }
    out[names[i] as string] = escaped ? decodeParam(v) : v;
  }
  return out;
}
