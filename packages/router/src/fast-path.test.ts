import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seededRng } from '@switchyard/testing';
import { compileRoutes, match } from './index.js';
import type { CompileOptions, MatchConfig, MatchRequest, MatchResult, RouteConfig } from './index.js';

// Regression tests for the static-path fast path (a precomputed result returned before
// normalization), the per-method tries and the compiled condition checks: each must give
// exactly what the general walk gives.

const tpl = (value: string, extra: Partial<MatchConfig> = {}): MatchConfig => ({ path: { type: 'Template', value }, ...extra });
const exact = (value: string, extra: Partial<MatchConfig> = {}): MatchConfig => ({ path: { type: 'Exact', value }, ...extra });

function ids(routes: RouteConfig<string>[], options: CompileOptions = {}): (r: Partial<MatchRequest> & { path: string }) => string {
  const t = compileRoutes({ routes: routes.map((r, i) => ({ value: r.id ?? `r${i}`, ...r })) }, options);
  return (r) => {
    const res = match(t, { method: 'GET', ...r });
    return res.kind === 'matched' ? (res.route.value as string) : res.kind === 'no-route' ? '404' : '400';
  };
}

/** A comparable view of a result. */
function view(r: MatchResult): unknown {
  return r.kind === 'matched' ? [r.route.id, r.matchIndex, r.params, r.path] : r.kind;
}

describe('static fast path', () => {
  it('honours the method: a static GET route does not answer POST, a method-less one does', () => {
    const m = ids([
      { id: 'get', matches: [exact('/a', { method: 'GET' })] },
      { id: 'any', matches: [exact('/b')] },
    ]);
    expect([m({ path: '/a' }), m({ path: '/a', method: 'POST' }), m({ path: '/b', method: 'POST' }), m({ path: '/b', method: 'BREW' })]).toEqual([
      'get',
      '404',
      'any',
      'any',
    ]);
  });

  it('honours header conditions and falls back to the next candidate when they fail', () => {
    const m = ids([
      { id: 'canary', matches: [exact('/a', { headers: [{ name: 'x-canary', value: '1' }] })] },
      { id: 'plain', matches: [exact('/a')] },
      { id: 'rest', matches: [{ path: { type: 'PathPrefix', value: '/' } }] },
    ]);
    expect([m({ path: '/a', headers: { 'x-canary': '1' } }), m({ path: '/a', headers: { 'x-canary': '2' } }), m({ path: '/a' })]).toEqual([
      'canary',
      'plain',
      'plain',
    ]);
  });

  it('honours query, attribute and client-address conditions on a static path', () => {
    const m = ids([
      { id: 'q', matches: [exact('/a', { queryParams: [{ name: 'v', value: '2' }] })] },
      { id: 'attr', matches: [exact('/a', { attributes: [{ key: 'apiKey.tier', equals: 'gold' }] })] },
      { id: 'ip', matches: [exact('/a', { clientCidrs: ['10.0.0.0/8'] })] },
    ]);
    expect([
      m({ path: '/a?v=2' }),
      m({ path: '/a', query: 'v=2' }),
      m({ path: '/a', attributes: { apiKey: { tier: 'gold' } } }),
      m({ path: '/a', clientAddress: '10.1.1.1' }),
      m({ path: '/a', clientAddress: '11.1.1.1' }),
    ]).toEqual(['q', 'q', 'attr', 'ip', '404']);
  });

  it('a more specific host route wins over a static host-agnostic route (gateway)', () => {
    const m = ids([
      { id: 'any', matches: [exact('/a')] },
      { id: 'host', hostnames: ['api.example.com'], matches: [{ path: { type: 'PathPrefix', value: '/' } }] },
      { id: 'wild', hostnames: ['*.example.com'], matches: [tpl('/:x')] },
    ]);
    expect([m({ path: '/a' }), m({ path: '/a', authority: 'api.example.com:443' }), m({ path: '/a', authority: 'www.example.com' })]).toEqual([
      'any',
      'host',
      'wild',
    ]);
  });

  it('first-match: an earlier host-restricted route still comes before a static route', () => {
    const m = ids(
      [
        { id: 'host', hostnames: ['api.example.com'], matches: [tpl('/:x')] },
        { id: 'static', matches: [exact('/a')] },
      ],
      { selection: 'first-match' },
    );
    expect([m({ path: '/a', authority: 'api.example.com' }), m({ path: '/a', authority: 'other.example.com' }), m({ path: '/a' })]).toEqual([
      'host',
      'static',
      'static',
    ]);
  });

  it('first-match: an earlier parameter route beats a later static route on the same path', () => {
    const m = ids([{ id: 'param', matches: [tpl('/:x')] }, { id: 'static', matches: [tpl('/a')] }], { selection: 'first-match' });
    expect(m({ path: '/a' })).toBe('param');
  });

  it('a sampled static route draws from the rng and falls through when it loses', () => {
    const t = compileRoutes({
      routes: [
        { id: 'canary', matches: [exact('/a', { runtimeFraction: { percent: 50 } })] },
        { id: 'stable', matches: [exact('/a')] },
      ],
    });
    const rng = seededRng(7);
    const seen = new Set<string>();
    for (let i = 0; i < 64; i++) {
      const r = match(t, { method: 'GET', path: '/a' }, { rng });
      if (r.kind === 'matched') seen.add(r.route.id);
    }
    expect([...seen].sort()).toEqual(['canary', 'stable']);
  });

  it('a static path spelled unnormalized matches the same route with the normalized path', () => {
    const m = compileRoutes({ routes: [{ id: 'admin', matches: [exact('/admin')] }] });
    const r = match(m, { method: 'GET', path: '//public/../%61dmin' });
    expect(view(r)).toEqual(['admin', 0, {}, '/admin']);
  });

  it('results of static routes are frozen, so sharing them between requests is safe', () => {
    const t = compileRoutes({ routes: [{ matches: [exact('/a')] }] });
    const r = match(t, { method: 'GET', path: '/a' });
    expect(Object.isFrozen(r)).toBe(true);
    expect(r.kind === 'matched' && Object.isFrozen(r.params)).toBe(true);
  });
});

describe('parameter fast path (one expression per method for a few parameter routes)', () => {
  const pv = (t: ReturnType<typeof compileRoutes>, path: string, extra: Partial<MatchRequest> = {}): unknown => view(match(t, { method: 'GET', path, ...extra }));

  it('takes the best-ranked of several templates and reads params back from the path', () => {
    const t = compileRoutes({
      routes: [
        { id: 'short', matches: [tpl('/event/:id')] },
        { id: 'long', matches: [tpl('/event/:id/comments')] },
        { id: 'rest', matches: [tpl('/static/*file')] },
        { id: 'two', matches: [tpl('/repos/:owner/:repo')] },
      ],
    });
    expect([
      pv(t, '/event/a1'),
      pv(t, '/event/a1/comments'),
      pv(t, '/event/a1/comment'),
      pv(t, '/static/css/x.css'),
      pv(t, '/static/'),
      pv(t, '/repos/o/r'),
    ]).toEqual([
      ['short', 0, { id: 'a1' }, '/event/a1'],
      ['long', 0, { id: 'a1' }, '/event/a1/comments'],
      'no-route',
      ['rest', 0, { file: 'css/x.css' }, '/static/css/x.css'],
      ['rest', 0, { file: '' }, '/static/'],
      ['two', 0, { owner: 'o', repo: 'r' }, '/repos/o/r'],
    ]);
  });

  it('leaves paths that need normalization to the walk, which decodes and resolves them', () => {
    const t = compileRoutes({ routes: [{ id: 'u', matches: [tpl('/u/:id')] }, { id: 'f', matches: [tpl('/f/*rest')] }] });
    expect([
      pv(t, '/u/%61b'),
      pv(t, '/u/.x'),
      pv(t, '//u/x'),
      pv(t, '/u/x/'),
      pv(t, '/u/x?y=1'),
      pv(t, '/f/a//b'),
      pv(t, '/f/a/./b'),
      pv(t, '/u/%2F'),
    ]).toEqual([
      ['u', 0, { id: 'ab' }, '/u/ab'],
      ['u', 0, { id: '.x' }, '/u/.x'],
      ['u', 0, { id: 'x' }, '/u/x'],
      'no-route',
      ['u', 0, { id: 'x' }, '/u/x'],
      ['f', 0, { rest: 'a/b' }, '/f/a/b'],
      ['f', 0, { rest: 'a/b' }, '/f/a/b'],
      'bad-request',
    ]);
  });

  it('a template whose conditions fail falls through to the next candidate', () => {
    const t = compileRoutes({
      routes: [
        { id: 'canary', matches: [tpl('/u/:id', { headers: [{ name: 'x-canary', value: '1' }] })] },
        { id: 'plain', matches: [tpl('/u/:id')] },
      ],
    });
    expect([pv(t, '/u/1', { headers: { 'x-canary': '1' } }), pv(t, '/u/1', { headers: { 'x-canary': '2' } }), pv(t, '/u/1')]).toEqual([
      ['canary', 0, { id: '1' }, '/u/1'],
      ['plain', 0, { id: '1' }, '/u/1'],
      ['plain', 0, { id: '1' }, '/u/1'],
    ]);
  });

  it('a route outside the expression that outranks a template still wins (first match, case-insensitive, regex)', () => {
    const first = compileRoutes(
      {
        routes: [
          { id: 'prefix', matches: [{ path: { type: 'PathPrefix', value: '/u/admin' } }] },
          { id: 'ci', matches: [{ path: { type: 'Template', value: '/CI/:x', ignoreCase: true } }] },
          { id: 'u', matches: [tpl('/u/:id')] },
          { id: 'ci2', matches: [tpl('/ci/:x')] },
        ],
      },
      { selection: 'first-match' },
    );
    expect([pv(first, '/u/admin'), pv(first, '/u/bob'), pv(first, '/ci/1')]).toEqual([
      ['prefix', 0, {}, '/u/admin'],
      ['u', 0, { id: 'bob' }, '/u/bob'],
      ['ci', 0, { x: '1' }, '/ci/1'],
    ]);
    const re = compileRoutes({ routes: [{ id: 're', matches: [{ path: { type: 'RegularExpression', value: '/u/[0-9]+' } }] }, { id: 'u', matches: [tpl('/u/:id')] }] }, { selection: 'first-match' });
    expect([pv(re, '/u/12'), pv(re, '/u/ab')]).toEqual([
      ['re', 0, {}, '/u/12'],
      ['u', 0, { id: 'ab' }, '/u/ab'],
    ]);
  });

  it('a static route on the same path still wins under Gateway precedence', () => {
    const t = compileRoutes({ routes: [{ id: 'param', matches: [tpl('/u/:id')] }, { id: 'me', matches: [tpl('/u/me')] }] });
    expect([pv(t, '/u/me'), pv(t, '/u/you')]).toEqual([
      ['me', 0, {}, '/u/me'],
      ['param', 0, { id: 'you' }, '/u/you'],
    ]);
  });

  it('path prefixes: whole segments only, a trailing slash in the value ignored, outranked as Gateway API ranks them', () => {
    const prefix = (value: string): MatchConfig => ({ path: { type: 'PathPrefix', value } });
    const m = ids([
      { id: 'api', matches: [prefix('/api')] },
      { id: 'v2', matches: [prefix('/api/v2/')] },
      { id: 'user', matches: [tpl('/api/users/:id')] },
      { id: 'root', matches: [prefix('/')] },
    ]);
    expect(['/api', '/api/', '/api/x/y', '/apix', '/api/v2', '/api/v2/a', '/api/v2x', '/api/users/7', '/api/users/7/x', '/', '/other'].map((path) => m({ path }))).toEqual([
      'api',
      'api',
      'api',
      'root',
      'v2',
      'v2',
      'api',
      'user',
      'api',
      'root',
      'root',
    ]);
  });

  it('literal segments with characters special to regular expressions are matched verbatim', () => {
    const t = compileRoutes({ routes: [{ id: 'x', matches: [tpl('/a.b/$(c)+/:id')] }] });
    expect([pv(t, '/a.b/$(c)+/1'), pv(t, '/aXb/$(c)+/1'), pv(t, '/a.b/$c+/1')]).toEqual([['x', 0, { id: '1' }, '/a.b/$(c)+/1'], 'no-route', 'no-route']);
  });

  it('routes with identical header conditions share a check, and conditions differing in value, type or flags are kept apart', () => {
    const h = (value: string, extra: Record<string, unknown> = {}) => ({ headers: [{ name: 'x', value, ...extra }] });
    const m = ids([
      { id: 'a1', matches: [tpl('/a/:id', h('1'))] },
      { id: 'b1', matches: [tpl('/b/:id', h('1'))] },
      { id: 'b2', matches: [tpl('/b/:id', h('2'))] },
      { id: 'bp', matches: [tpl('/b/:id', h('3', { type: 'Prefix' }))] },
      { id: 'bi', matches: [tpl('/b/:id', h('4', { invert: true }))] },
    ]);
    expect([
      m({ path: '/a/1', headers: { x: '1' } }),
      m({ path: '/a/1', headers: { x: '2' } }),
      m({ path: '/b/1', headers: { x: '1' } }),
      m({ path: '/b/1', headers: { x: '2' } }),
      m({ path: '/b/1', headers: { x: '3x' } }),
      m({ path: '/b/1', headers: { x: '5' } }),
    ]).toEqual(['a1', '404', 'b1', 'b2', 'bp', 'bi']);
  });

  for (const selection of ['gateway', 'first-match'] as const) {
    it(`${selection}: property: any path gives the same result as its unnormalized spelling, which skips every fast path`, () => {
      const segment = fc.constantFrom('a', 'b', 'x.y', '.z', '', '%61', 'é', 'a b', 'q?r', ':');
      const template = fc
        .array(fc.constantFrom('a', 'b', 'x.y', ':p', ':q', '*rest'), { minLength: 1, maxLength: 4 })
        .map((s) => {
          const out: string[] = [];
          for (const x of s) {
            out.push(out.includes(x) && x.startsWith(':') ? 'b' : x);
            if (x === '*rest') break;
          }
          return `/${out.join('/')}`;
        });
      const cfg: fc.Arbitrary<MatchConfig> = fc.record(
        {
          path: fc.oneof(
            { weight: 4, arbitrary: template.map((value) => ({ type: 'Template' as const, value })) },
            template.map((value) => ({ type: 'Template' as const, value, ignoreCase: true })),
            fc.constantFrom('/a', '/a/b', '/x.y', '/a/', '/', '/:').map((value) => ({ type: 'PathPrefix' as const, value })),
            fc.constantFrom('/a', '/a/b').map((value) => ({ type: 'Exact' as const, value })),
          ),
          method: fc.constantFrom('GET', 'POST'),
          headers: fc.constantFrom([], [{ name: 'h1', value: '1' }]),
        },
        { requiredKeys: ['path'] },
      );
      fc.assert(
        fc.property(
          fc.array(cfg.map((m) => ({ matches: [m] })), { minLength: 1, maxLength: 8 }),
          fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`),
          fc.constantFrom('GET', 'POST'),
          fc.constantFrom({}, { h1: '1' }),
          (routes, path, method, headers) => {
            const t = compileRoutes({ routes }, { selection });
            const direct = match(t, { method, path, headers });
            const walked = match(t, { method, path: `/.${path}`, headers });
            expect(view(direct)).toEqual(view(walked));
          },
        ),
        { numRuns: 1000 },
      );
    });
  }
});

describe('per-method tries', () => {
  it('a method with no route of its own only sees method-less routes', () => {
    const m = ids([
      { id: 'get', matches: [tpl('/u/:id', { method: 'GET' })] },
      { id: 'all', matches: [tpl('/u/*rest')] },
    ]);
    expect([m({ path: '/u/1' }), m({ path: '/u/1', method: 'PATCH' })]).toEqual(['get', 'all']);
  });

  it('a table with only method-specific routes answers other methods with no-route, and still 400 for a bad path', () => {
    const m = ids([{ id: 'get', matches: [tpl('/u/:id', { method: 'GET' })] }]);
    expect([m({ path: '/u/1', method: 'PUT' }), m({ path: '/u/%2F', method: 'PUT' })]).toEqual(['404', '400']);
  });
});

describe('property: the fast path agrees with the general path', () => {
  const seg = fc.constantFrom('a', 'b', 'users');
  const lit = fc.array(seg, { minLength: 1, maxLength: 3 }).map((s) => `/${s.join('/')}`);
  const matchConfig: fc.Arbitrary<MatchConfig> = fc.record(
    {
      path: fc.oneof(
        lit.map((value) => ({ type: 'Exact' as const, value })),
        lit.map((value) => ({ type: 'PathPrefix' as const, value })),
        lit.map((value) => ({ type: 'Template' as const, value })),
        fc.array(fc.constantFrom('a', 'b', ':p', '*rest'), { minLength: 1, maxLength: 3 }).map((s) => {
          const out: string[] = [];
          for (const x of s) {
            if (out.includes(':p') && x === ':p') out.push('a');
            else out.push(x);
            if (x === '*rest') break;
          }
          return { type: 'Template' as const, value: `/${out.join('/')}` };
        }),
      ),
      method: fc.constantFrom('GET', 'POST'),
      headers: fc.constantFrom([], [{ name: 'h1', value: '1' }], [{ name: 'h2', type: 'Present' as const }]),
      queryParams: fc.constantFrom([], [{ name: 'q', value: '1' }]),
    },
    { requiredKeys: ['path'] },
  );
  // Hostnames are rare: under Gateway precedence any of them takes the whole table off the fast path.
  const hostnames = fc.oneof({ weight: 8, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.constantFrom(['a.example.com'], ['*.example.com']) });
  const route: fc.Arbitrary<RouteConfig<number>> = fc
    .tuple(hostnames, fc.array(matchConfig, { minLength: 1, maxLength: 2 }))
    .map(([h, matches]) => (h.length > 0 ? { hostnames: h, matches } : { matches }));
  const request = fc.record({
    path: fc.array(fc.constantFrom('a', 'b', 'users', 'x'), { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`),
    method: fc.constantFrom('GET', 'POST', 'PUT'),
    authority: fc.constantFrom('a.example.com', 'b.example.com', 'other.org'),
    headers: fc.record({ h1: fc.constantFrom('1', '2'), h2: fc.constant('') }, { requiredKeys: [] }),
    query: fc.constantFrom('', 'q=1', 'q=2'),
  });

  for (const selection of ['gateway', 'first-match'] as const) {
    it(`${selection}: a path and its unnormalized spelling (which skips the fast path) give the same result`, () => {
      fc.assert(
        fc.property(fc.array(route, { minLength: 1, maxLength: 6 }), request, (routes, req) => {
          const t = compileRoutes({ routes }, { selection });
          const fast = match(t, req);
          const slow = match(t, { ...req, path: `/.${req.path}` });
          expect(view(slow)).toEqual(view(fast));
        }),
        { numRuns: 500 },
      );
    });

    it(`${selection}: a query string carried in the path (walked raw first) gives the same result as a separate query`, () => {
      fc.assert(
        fc.property(fc.array(route, { minLength: 1, maxLength: 6 }), request, fc.constantFrom('', '/', 'x', '/x'), (routes, req, tail) => {
          const t = compileRoutes({ routes }, { selection });
          const { query, ...rest } = req;
          // `tail` puts the `?` inside a segment, after a slash, or inside a catch-all's rest.
          const separate = match(t, { ...rest, path: `${req.path}${tail}`, query });
          const inPath = match(t, { ...rest, path: `${req.path}${tail}?${query}` });
          expect(view(inPath)).toEqual(view(separate));
        }),
        { numRuns: 500 },
      );
    });
  }
});
