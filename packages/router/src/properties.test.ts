import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileRoutes, match } from './index.js';
import type { MatchConfig, RouteConfig } from './index.js';

const seg = fc.constantFrom('a', 'b', 'c', 'users', 'v2');
const literal = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`);
const requestPath = fc.array(fc.constantFrom('a', 'b', 'c', 'users', 'v2', 'x', ''), { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`);

/** A random match: path of any kind, optional method and header conditions. */
const matchConfig: fc.Arbitrary<MatchConfig> = fc.record(
  {
    path: fc.oneof(
      literal.map((value) => ({ type: 'Exact' as const, value })),
      literal.map((value) => ({ type: 'PathPrefix' as const, value })),
      literal.map((value) => ({ type: 'Prefix' as const, value })),
      fc.array(fc.constantFrom('a', 'b', ':p1', ':p2'), { minLength: 1, maxLength: 3 }).map((s) => {
        const seen = new Set<string>();
        return { type: 'Template' as const, value: `/${s.map((x) => (x.startsWith(':') && seen.has(x) ? 'a' : (seen.add(x), x))).join('/')}` };
      }),
    ),
    method: fc.constantFrom('GET', 'POST'),
    headers: fc.array(fc.record({ name: fc.constantFrom('h1', 'h2', 'h3'), value: fc.constantFrom('1', '2') }), { maxLength: 3 }).map((hs) => {
      const seen = new Set<string>();
      return hs.filter((h) => !seen.has(h.name) && (seen.add(h.name), true));
    }),
  },
  { requiredKeys: ['path'] },
);

const request = fc.record({
  path: requestPath,
  method: fc.constantFrom('GET', 'POST'),
  headers: fc.record({ h1: fc.constantFrom('1', '2'), h2: fc.constantFrom('1', '2') }, { requiredKeys: [] }),
});

/** Gateway precedence key of a match, lower = wins (the spec's criteria, for literal paths). */
function key(m: MatchConfig): number[] {
  const p = m.path ?? {};
  const exact = p.type === 'Exact' || (p.type === 'Template' && !p.value?.includes(':')) ? 0 : 1;
  const template = p.type === 'Template' && p.value?.includes(':');
  // Templates with parameters rank by their literal characters (docs/guides/routing.md), prefixes by length.
  const literalChars = (v: string) => v.split('/').slice(1).filter((s) => !s.startsWith(':')).reduce((n, s) => n + s.length + 1, 0);
  const length = template ? literalChars(p.value ?? '') : (p.value?.length ?? 1);
  return [exact, template ? 0 : 1, -(exact ? length : 0), m.method ? 0 : 1, -(m.headers?.length ?? 0)];
}

describe('properties', () => {
  it('match never throws on arbitrary input', () => {
    const t = compileRoutes({
      routes: [
        { matches: [{ path: { type: 'Template', value: '/u/:id/*rest' } }] },
        { matches: [{ path: { type: 'RegularExpression', value: '/r/[0-9]+' }, queryParams: [{ name: 'q', type: 'Present' }] }] },
        { hostnames: ['*.example.com'], matches: [{ headers: [{ name: 'x', type: 'Contains', value: 'y' }], attributes: [{ key: 'a.b', oneOf: ['c'] }] }] },
        { matches: [{ clientCidrs: ['10.0.0.0/8'], path: { type: 'Prefix', value: '/p', ignoreCase: true } }] },
      ],
    });
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60 }),
        fc.string({ maxLength: 8 }),
        fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
        fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 10 })),
        fc.anything(),
        fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
        (path, method, authority, headers, attrs, clientAddress) => {
          const r = match(t, { path, method, ...(authority !== undefined ? { authority } : {}), headers, attributes: { a: attrs }, clientAddress });
          expect(['matched', 'no-route', 'bad-request']).toContain(r.kind);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('the most specific matching route wins under Gateway precedence (vs a brute-force reference)', () => {
    fc.assert(
      fc.property(fc.array(matchConfig, { minLength: 1, maxLength: 6 }), request, (matches, req) => {
        const routes: RouteConfig<number>[] = matches.map((m, i) => ({ value: i, matches: [m] }));
        const t = compileRoutes({ routes });
        const r = match(t, req);
        // Reference: the same table with one route at a time tells which routes match at all.
        const matching = matches.map((m, i) => ({ m, i })).filter(({ m }) => match(compileRoutes({ routes: [{ matches: [m] }] }), req).kind === 'matched');
        if (matching.length === 0) {
          expect(r.kind).toBe('no-route');
          return;
        }
        expect(r.kind).toBe('matched');
        const winner = (r as { route: { value: number } }).route.value;
        expect(matching.map((x) => x.i)).toContain(winner);
        const cmp = (a: number[], b: number[]) => a.findIndex((x, k) => x !== b[k]);
        for (const { m } of matching) {
          const ka = key(matches[winner] as MatchConfig);
          const kb = key(m);
          const k = cmp(ka, kb);
          // No matching candidate is strictly more specific than the winner.
          if (k >= 0 && !(p(matches[winner]) === 'Prefix' || p(m) === 'Prefix')) expect(ka[k] as number).toBeLessThan(kb[k] as number);
        }
      }),
      {
        numRuns: 400,
        // Regression (CI seed 287311112): literal characters, not the template's length, rank templates.
        examples: [
          [
            [{ path: { type: 'Template', value: '/:p1/:p2' } }, { path: { type: 'Template', value: '/b/:p2' } }, { path: { type: 'Template', value: '/a' } }],
            { path: '/b/a', method: 'GET', headers: {} },
          ],
        ],
      },
    );
  });

  it('adding a strictly less specific route never changes an existing match', () => {
    fc.assert(
      fc.property(fc.array(matchConfig, { minLength: 1, maxLength: 5 }), request, fc.constantFrom('/', '/a', '/users'), (matches, req, pfx) => {
        const routes: RouteConfig<number>[] = matches.map((m, i) => ({ value: i, matches: [m] }));
        const before = match(compileRoutes({ routes }), req);
        if (before.kind !== 'matched') return;
        const winner = matches[before.route.value as number] as MatchConfig;
        // Strictly less specific than the winner: a shorter prefix, no method, no headers.
        const wp = winner.path;
        if (wp?.type === 'PathPrefix' || wp?.type === 'Prefix') {
          if ((wp.value ?? '/').length <= pfx.length) return;
        }
        const extra: RouteConfig<number> = { value: 99, matches: [{ path: { type: 'PathPrefix', value: pfx } }] };
        for (const at of [0, routes.length]) {
          const next = [...routes];
          next.splice(at, 0, extra);
          const after = match(compileRoutes({ routes: next }), req);
          expect(after.kind === 'matched' && after.route.value).toBe(before.route.value);
        }
      }),
      { numRuns: 400 },
    );
  });
});

function p(m: MatchConfig | undefined): string | undefined {
  return m?.path?.type;
}
