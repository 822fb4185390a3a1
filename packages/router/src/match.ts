/**
 * Matching a request against a compiled table: the static and parameter fast paths, the walk on
 * the raw path, normalization when the path needs it, host selection, and the result.
 */
import type { Rng } from '@switchyard/core';
import { isTrivial, normalizePath } from './normalize.js';
import { hostOf } from './internal/conditions.js';
import { fastMatch } from './internal/fast-regex.js';
import { matchPath, matchSplit, methodMatcher, staticBucket } from './internal/matcher.js';
import type { Engine } from './internal/matcher.js';
import { regexMatched, templateMatched } from './internal/result.js';
import { NO_RANK, cleanWin } from './internal/trie.js';
import type { Ctx } from './internal/trie.js';
import { ENGINE } from './route-table.js';
import type { RouteTable } from './route-table.js';
import type { CompiledRoute, MatchRequest, MatchResult } from './types.js';

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
      const groups = matchPath(only, full, ctx, bucket);
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
    const groups = matchPath(only, path, ctx, staticBucket(only, path));
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
  if (exact !== undefined) groups = matchSplit(exact, method, path, ctx);
  for (let dot = host.indexOf('.'); ctx.best === undefined && dot >= 0; dot = host.indexOf('.', dot + 1)) {
    const w = engine.wildcardHosts.get(host.slice(dot));
    if (w !== undefined && dot > 0) groups = matchSplit(w, method, path, ctx);
  }
  if (ctx.best === undefined && engine.any !== undefined) groups = matchSplit(engine.any, method, path, ctx);
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
