/**
 * `pnpm bench router`: method + path matching against find-my-way, Hono's RegExpRouter and
 * TrieRouter, memoirist and rou3, on Hono's 12-route set (7 requests) and the 203-route GitHub
 * API set of go-http-routing-benchmark; plus the cost of three header conditions and of reading
 * the params. Every implementation is checked for the right route and params before anything is
 * timed. Candidates of a case run in alternating rounds (`interleaved`, median of the rounds), each
 * op repeating the case's requests enough times that the harness's per-call cost is negligible.
 */
import FindMyWay from 'find-my-way';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { TrieRouter } from 'hono/router/trie-router';
import { Memoirist } from 'memoirist';
import { addRoute, createRouter, findRoute } from 'rou3';
import { compileRoutes, match } from '@switchyard/router';
import type { MatchRequest, RouteConfig } from '@switchyard/router';
import { interleavedRounds, round, writeResults } from './harness.ts';
import type { CaseResult } from './harness.ts';
import { honoRequests, honoRoutes } from './fixtures/router-hono.ts';
import { fillParams, githubParam, githubRoutes, githubStatic } from './fixtures/router-github.ts';

export interface Route {
  readonly method: string;
  readonly path: string;
}
export interface Probe {
  readonly method: string;
  readonly path: string;
  readonly route: number;
  readonly params: Readonly<Record<string, string>>;
}
/** Returns [route index, named params] or undefined. */
export type Find = (method: string, path: string) => readonly [number, Record<string, string>] | undefined;

function named(p: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(p ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) if (k !== '*' && !k.startsWith('_') && !/^\d+$/.test(k)) out[k] = v;
  return out;
}

const wildcard = (path: string, style: string): string => (path.endsWith('/*') ? path.slice(0, -1) + style : path);

export function adapters(routes: readonly Route[]): Record<string, { find: Find; hot: (m: string, p: string) => unknown }> {
  const fmw = FindMyWay();
  routes.forEach((r, i) => fmw.on(r.method as 'GET', r.path, () => i, { i }));
  const regexp = new RegExpRouter<number>();
  const trie = new TrieRouter<number>();
  routes.forEach((r, i) => {
    regexp.add(r.method, r.path, i);
    trie.add(r.method, r.path, i);
  });
  const memo = new Memoirist<number>();
  routes.forEach((r, i) => memo.add(r.method, r.path, i));
  const rou = createRouter<number>();
  routes.forEach((r, i) => addRoute(rou, r.method, wildcard(r.path, '**'), i));
  return {
    'find-my-way': {
      find: (m, p) => {
        const f = fmw.find(m as 'GET', p);
        return f ? [(f.store as { i: number }).i, named(f.params as Record<string, string>)] : undefined;
      },
      hot: (m, p) => fmw.find(m as 'GET', p),
    },
    'hono RegExpRouter': {
      find: (m, p) => {
        const [handlers, stash] = regexp.match(m, p) as unknown as [[number, Record<string, number>][], string[]];
        const h = handlers[0];
        if (!h) return undefined;
        const params: Record<string, string> = {};
        for (const [k, idx] of Object.entries(h[1])) params[k] = stash[idx] as string;
        return [h[0], named(params)];
      },
      hot: (m, p) => regexp.match(m, p),
    },
    'hono TrieRouter': {
      find: (m, p) => {
        const [handlers] = trie.match(m, p) as unknown as [[number, Record<string, string>][]];
        const h = handlers[0];
        return h ? [h[0], named(h[1])] : undefined;
      },
      hot: (m, p) => trie.match(m, p),
    },
    memoirist: {
      find: (m, p) => {
        const f = memo.find(m, p);
        return f ? [f.store, named(f.params)] : undefined;
      },
      hot: (m, p) => memo.find(m, p),
    },
    rou3: {
      // rou3 takes (router, method, path).
      find: (m, p) => {
        const f = findRoute(rou, m, p);
        return f ? [f.data, named(f.params as Record<string, string>)] : undefined;
      },
      hot: (m, p) => findRoute(rou, m, p),
    },
  };
}

/**
 * `headers`: `same` gives every route the same three header conditions (the case);
 * `distinct` makes the third one differ per route (`x-route-<i>` Absent), so no two routes share
 * a compiled check.
 */
export function ours(routes: readonly Route[], selection: 'gateway' | 'first-match', headers: false | 'same' | 'distinct' = false) {
  const config: RouteConfig<number>[] = routes.map((r, i) => ({
    value: i,
    matches: [
      {
        path: { type: 'Template', value: r.path },
        method: r.method,
        ...(headers
          ? {
              headers: [
                { name: 'x-tenant', value: 'acme' },
                { name: 'x-env', type: 'Prefix', value: 'prod' },
                headers === 'same' ? { name: 'x-version', type: 'Present' } : { name: `x-route-${i}`, type: 'Absent' },
              ],
            }
          : {}),
      },
    ],
  }));
  const table = compileRoutes({ routes: config }, { selection });
  const find: Find = (m, p) => {
    const r = match(table, { method: m, path: p, headers: HEADERS });
    return r.kind === 'matched' ? [r.route.value as number, named(r.params as Record<string, string>)] : undefined;
  };
  return { table, find };
}

export const HEADERS = { 'x-tenant': 'acme', 'x-env': 'production', 'x-version': '3', accept: '*/*' };

export function verify(impl: string, find: Find, probes: readonly Probe[]): void {
  for (const pr of probes) {
    const got = find(pr.method, pr.path);
    const want = JSON.stringify([pr.route, named(pr.params as Record<string, string>)]);
    if (JSON.stringify(got) !== want) throw new Error(`${impl}: ${pr.method} ${pr.path} → ${JSON.stringify(got)}, expected ${want}`);
  }
}

export interface BenchSet {
  readonly name: string;
  readonly routes: readonly Route[];
  readonly cases: { name: string; probes: readonly Probe[] }[];
}

/** The two route sets and their cases (requests with the expected route and params). */
export function benchSets(): BenchSet[] {
  const sets: BenchSet[] = [];

  const honoProbes: Probe[] = honoRequests.map((r) => ({ method: r.method, path: r.path, route: r.route, params: r.params }));
  sets.push({
    name: 'hono-12',
    routes: honoRoutes,
    cases: [...honoProbes.map((p, i) => ({ name: (honoRequests[i] as { name: string }).name, probes: [p] })), { name: 'all together', probes: honoProbes }],
  });
  const ghProbes: Probe[] = githubRoutes.map((r, i) => {
    const params: Record<string, string> = {};
    for (const m of r.path.matchAll(/:([A-Za-z_]+)/g)) params[m[1] as string] = `${m[1]}-val`;
    return { method: r.method, path: fillParams(r.path), route: i, params };
  });
  const ghIndex = (p: string) => githubRoutes.findIndex((r) => r.method === 'GET' && r.path === p);
  sets.push({
    name: 'github-203',
    routes: githubRoutes,
    cases: [
      { name: 'static', probes: [{ ...githubStatic, route: ghIndex('/user/repos'), params: {} }] },
      {
        name: 'param',
        probes: [{ ...githubParam, route: ghIndex('/repos/:owner/:repo/stargazers'), params: { owner: 'julienschmidt', repo: 'httprouter' } }],
      },
      { name: 'all 203 routes', probes: ghProbes },
    ],
  });

  return sets;
}

/** Passes over a case's requests per timed call: at least ~32 matches, so a call is not all harness. */
function repeatsFor(requests: number): number {
  return Math.max(1, Math.ceil(32 / requests));
}

/** A candidate's fresh requests for the current round, and how far it has read them. */
interface Fresh {
  paths: string[];
  reqs: MatchRequest[];
  next: number;
}

interface FreshCandidate {
  readonly impl: string;
  /** The timed call: k passes over the case's requests, read from `src` onwards. */
  readonly timed: (src: Fresh) => () => unknown;
}

/**
 * A server's parser makes a new path string for every request: flat, not internalized, never
 * the string a router saw before. Each candidate gets its own such strings (and, for
 * switchyard, its own request objects) before every round; none is shared across candidates or
 * rounds, so no router profits from a property-load cache keyed by one constant string.
 */
function freshPool(ms: readonly string[], ps: readonly string[], passes: number): Fresh {
  const bytes = Buffer.from(ps.join(''), 'latin1');
  const offsets = [0];
  for (const p of ps) offsets.push((offsets[offsets.length - 1] as number) + p.length);
  const paths: string[] = [];
  const reqs: MatchRequest[] = [];
  for (let r = 0; r < passes; r++) {
    for (let i = 0; i < ps.length; i++) {
      const path = bytes.toString('latin1', offsets[i], offsets[i + 1]);
      paths.push(path);
      reqs.push({ method: ms[i] as string, path, headers: HEADERS });
    }
  }
  return { paths, reqs, next: 0 };
}

/** The candidates of a case over fresh requests (see {@link freshPool}); rows are ns per pass over the case's requests. */
async function freshRounds(c: string, cands: readonly FreshCandidate[], ms: readonly string[], ps: readonly string[], k: number, ops: number): Promise<CaseResult[]> {
  const sources: Fresh[] = cands.map(() => ({ paths: [], reqs: [], next: 0 }));
  const fns = cands.map((cand, j) => [cand.impl, cand.timed(sources[j] as Fresh)] as const);
  const passes = (1 + ops) * k; // interleaved() calls every fn once untimed before the ops
  return interleavedRounds(c, fns, {
    rounds: 41,
    warm: 4,
    ops,
    per: k,
    before: () => {
      for (const src of sources) Object.assign(src, freshPool(ms, ps, passes));
    },
    after: () => {
      for (const [j, src] of sources.entries()) {
        if (src.next !== passes * ps.length) throw new Error(`${(cands[j] as FreshCandidate).impl}: read ${src.next} requests, expected ${passes * ps.length}`);
      }
    },
  });
}

export default async function run(): Promise<void> {
  const results: CaseResult[] = [];
  const notes: string[] = [];
  const sets = benchSets();
  for (const set of sets) {
    const peers = adapters(set.routes);
    const mine = ours(set.routes, 'gateway');
    const first = ours(set.routes, 'first-match');
    const withHeaders = ours(set.routes, 'gateway', 'same');
    const distinctHeaders = ours(set.routes, 'gateway', 'distinct');
    const all = set.cases.flatMap((c) => c.probes);
    verify('switchyard', mine.find, all);
    verify('switchyard first-match', first.find, all);
    verify('switchyard +3 headers', withHeaders.find, all);
    verify('switchyard +3 headers (distinct)', distinctHeaders.find, all);
    for (const [name, a] of Object.entries(peers)) verify(name, a.find, all);
    if (mine.table.warnings.length > 0) throw new Error(`unexpected warnings: ${JSON.stringify(mine.table.warnings)}`);
    for (const c of set.cases) {
      const caseName = `${set.name}: ${c.name}`;
      const ms = c.probes.map((p) => p.method);
      const ps = c.probes.map((p) => p.path);
      const n = ps.length;
      const k = repeatsFor(n);
      // About 0.5 ms per timed sample whatever the case's size.
      const ops = Math.max(2, Math.round(2000 / (n * k)));
      // Every timed call reads the next k passes of its candidate's own fresh requests.
      const loopOurs = (t: typeof mine.table, readParams = false) => (src: Fresh) => () => {
        let s: unknown;
        const reqs = src.reqs;
        for (let r = 0; r < k * n; r++) {
          const m = match(t, reqs[src.next++] as MatchRequest);
          s = readParams && m.kind === 'matched' ? m.params : m;
        }
        return s;
      };
      const cands: FreshCandidate[] = [
        { impl: 'switchyard', timed: loopOurs(mine.table) },
        { impl: 'switchyard (+ read params)', timed: loopOurs(mine.table, true) },
      ];
      for (const [name, a] of Object.entries(peers)) {
        const hot = a.hot;
        cands.push({
          impl: name,
          timed: (src) => () => {
            let s: unknown;
            const paths = src.paths;
            for (let r = 0; r < k; r++) for (let i = 0; i < n; i++) s = hot(ms[i] as string, paths[src.next++] as string);
            return s;
          },
        });
      }
      if (c.name === 'all together' || c.name === 'all 203 routes') {
        cands.push({ impl: 'switchyard first-match', timed: loopOurs(first.table) });
        cands.push({ impl: 'switchyard +3 headers', timed: loopOurs(withHeaders.table) });
        cands.push({ impl: 'switchyard +3 headers (distinct)', timed: loopOurs(distinctHeaders.table) });
      }
      const rows = await freshRounds(caseName, cands, ms, ps, k, ops);
      results.push(...rows);
    }
  }
  notes.push('ns = median over 41 alternating rounds (harness interleaved()) of the time of one pass over the case\'s requests; "all together" = the 7 Hono requests in one pass, "all 203 routes" = one request per GitHub route. Single-request cases repeat the request 32 times per timed call (ns divided back).');
  notes.push('Fresh requests: before every round each candidate gets its own new path strings (Buffer#toString("latin1"): flat, not internalized, as a server\'s parser makes them), one per match, never shared across candidates or rounds; switchyard also gets new request objects. No router profits from a lookup cache keyed by one constant string.');
  notes.push('switchyard +3 headers: every route also requires x-tenant Exact, x-env Prefix and x-version Present (the request carries them).');
  notes.push(
    'switchyard +3 headers (distinct): the third condition is x-route-<i> Absent, different for every route, so no two routes share a compiled check (identical condition lists share one).',
  );
  notes.push(
    'Params: find-my-way, memoirist, rou3 and Hono TrieRouter build the params object during the match; Hono RegExpRouter returns its match array and a name-to-index map (params never built); switchyard builds params on first read of result.params. "switchyard (+ read params)" reads them after every match.',
  );
  notes.push('Every implementation was verified to return the expected route and named params for every request before timing.');
  // Ratios the README quotes: ours / fastest peer, ours / find-my-way, headers / path-only.
  const byCase = new Map<string, CaseResult[]>();
  for (const r of results) byCase.set(r.case, [...(byCase.get(r.case) ?? []), r]);
  const summary: CaseResult[] = [];
  for (const [c, rows] of byCase) {
    const me = rows.find((r) => r.impl === 'switchyard')?.ns as number;
    const withParams = rows.find((r) => r.impl === 'switchyard (+ read params)')?.ns as number;
    const peers = rows.filter((r) => !r.impl.startsWith('switchyard'));
    const fastest = peers.reduce((a, b) => ((a.ns as number) <= (b.ns as number) ? a : b));
    const fmw = peers.find((r) => r.impl === 'find-my-way')?.ns as number;
    const hdr = rows.find((r) => r.impl === 'switchyard +3 headers')?.ns;
    const hdrDistinct = rows.find((r) => r.impl === 'switchyard +3 headers (distinct)')?.ns;
    summary.push({
      case: c,
      impl: 'ratios',
      vsFastest: round(me / (fastest.ns as number)),
      fastestPeer: fastest.impl,
      vsFindMyWay: round(me / fmw),
      readingParamsVsFastest: round(withParams / (fastest.ns as number)),
      readingParamsVsFindMyWay: round(withParams / fmw),
      ...(hdr !== undefined ? { headersVsPathOnly: round(hdr / me) } : {}),
      ...(hdrDistinct !== undefined ? { distinctHeadersVsPathOnly: round(hdrDistinct / me) } : {}),
    });
  }
  writeResults('router', [...results, ...summary], notes);
  for (const s of summary) console.log(JSON.stringify(s));
}
