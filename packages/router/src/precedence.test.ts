import { describe, expect, it } from 'vitest';
import { ConfigError } from '@switchyard/core';
import { compileRoutes, match } from './index.js';
import type { RouteConfig } from './index.js';
import { bytes, exact, prefix, regex, req, table, tpl } from './test-helpers.js';

describe('Gateway API precedence', () => {
  it('Exact beats PathPrefix; the longest prefix (in characters) wins', () => {
    const m = table([
      { id: 'short', matches: [prefix('/match/')] },
      { id: 'long', matches: [prefix('/match/prefix/')] },
      { id: 'exact', matches: [exact('/match/prefix/x')] },
    ]);
    expect(['/match/prefix/x', '/match/prefix/y', '/match/other'].map(m)).toEqual(['exact', 'long', 'short']);
  });

  it('path beats method, method beats headers, headers beat query params', () => {
    const m = table([
      { id: 'query', matches: [{ queryParams: [{ name: 'animal', value: 'hydra' }] }] },
      { id: 'header', matches: [{ headers: [{ name: 'version', value: 'four' }] }] },
      { id: 'method', matches: [{ method: 'PATCH' }] },
      { id: 'path', matches: [prefix('/path5')] },
    ]);
    expect(m({ path: '/path5', method: 'PATCH' })).toBe('path');
    expect(m({ path: '/', method: 'PATCH', headers: { version: 'four' } })).toBe('method');
    expect(m({ path: '/?animal=hydra', headers: { version: 'four' } })).toBe('header');
    expect(m({ path: '/?animal=hydra' })).toBe('query');
  });

  it('more header matches win over fewer, then more query matches', () => {
    const m = table([
      { id: 'one', matches: [{ headers: [{ name: 'a', value: '1' }] }] },
      { id: 'two', matches: [{ headers: [{ name: 'a', value: '1' }, { name: 'b', value: '2' }] }] },
      { id: 'q1', matches: [{ queryParams: [{ name: 'x', type: 'Present' }] }] },
      { id: 'q2', matches: [{ queryParams: [{ name: 'x', type: 'Present' }, { name: 'y', type: 'Present' }] }] },
    ]);
    expect(m({ path: '/', headers: { a: '1', b: '2' } })).toBe('two');
    expect(m({ path: '/', headers: { a: '1' } })).toBe('one');
    expect(m({ path: '/?x&y' })).toBe('q2');
    expect(m({ path: '/?x' })).toBe('q1');
  });

  it('ties: the oldest route, then namespace/name, then rule order, then match order', () => {
    const base = (id: string, extra: Partial<RouteConfig<string>>): RouteConfig<string> => ({ id, matches: [prefix('/a')], ...extra });
    expect(table([base('young', { createdAtMs: 2 }), base('old', { createdAtMs: 1 })])('/a')).toBe('old');
    expect(table([base('zeta', { createdAtMs: 1, name: 'ns/zeta' }), base('alpha', { createdAtMs: 1, name: 'ns/alpha' })])('/a')).toBe('alpha');
    expect(table([base('rule0', { name: 'ns/r' }), base('rule1', { name: 'ns/r' })])('/a')).toBe('rule0');
    const t = compileRoutes({ routes: [{ matches: [prefix('/a'), prefix('/a')] }] });
    expect(match(t, req({ path: '/a' }))).toMatchObject({ matchIndex: 0 });
  });

  it('applies across routes, not per route: a later route with an Exact match beats an earlier prefix', () => {
    const m = table([{ id: 'first', matches: [prefix('/')] }, { id: 'second', matches: [exact('/x')] }]);
    expect(m('/x')).toBe('second');
  });

  it('a more specific route that fails a condition falls back to the next candidate', () => {
    const m = table([{ id: 'fallback', matches: [prefix('/a')] }, { id: 'specific', matches: [exact('/a/b', { headers: [{ name: 'v', value: '2' }] })] }]);
    expect([m({ path: '/a/b', headers: { v: '2' } }), m({ path: '/a/b' })]).toEqual(['specific', 'fallback']);
  });

  it('documented slots for extensions: Exact > Template > prefixes by length > RegularExpression', () => {
    const m = table([
      { id: 're', matches: [regex('/u/.*')] },
      { id: 'prefix', matches: [prefix('/u')] },
      { id: 'tpl', matches: [tpl('/u/:id')] },
      { id: 'exact', matches: [exact('/u/me')] },
    ]);
    expect(['/u/me', '/u/7', '/u/7/x', '/u'].map(m)).toEqual(['exact', 'tpl', 'prefix', 'prefix']);
  });
});

describe('first-match selection', () => {
  const routes: RouteConfig<string>[] = [
    { id: 'catch', matches: [tpl('/users/:id')] },
    { id: 'me', matches: [exact('/users/me')] },
    { id: 'root', matches: [bytes('/')] },
    { id: 'never', matches: [exact('/x')] },
  ];

  it('the first matching route in declaration order wins, whatever its specificity', () => {
    const m = table(routes, { selection: 'first-match' });
    expect(['/users/me', '/users/7', '/x'].map(m)).toEqual(['catch', 'catch', 'root']);
  });

  it('reports routes an earlier unconditional route shadows', () => {
    const t = compileRoutes({ routes }, { selection: 'first-match' });
    expect(t.warnings.map((w) => w.path)).toEqual(['routes[1].matches[0]', 'routes[3].matches[0]']);
    expect(t.warnings[0]?.message).toContain('routes[0].matches[0]');
  });

  it('strict mode throws on unreachable routes', () => {
    expect(() => compileRoutes({ routes }, { selection: 'first-match', strict: true })).toThrow(ConfigError);
  });

  it('a conditional earlier route does not shadow', () => {
    const t = compileRoutes({ routes: [{ matches: [{ method: 'GET' }] }, { matches: [{}] }] }, { selection: 'first-match' });
    expect(t.warnings).toEqual([]);
  });
});

describe('unreachable routes under gateway precedence', () => {
  it('reports an identical match declared later and a same-shape template', () => {
    const t = compileRoutes({ routes: [{ matches: [exact('/a')] }, { matches: [exact('/a')] }, { matches: [tpl('/u/:id')] }, { matches: [tpl('/u/:name')] }] });
    expect(t.warnings.map((w) => w.path)).toEqual(['routes[1].matches[0]', 'routes[3].matches[0]']);
  });

  it('does not report a less specific route that still catches other paths', () => {
    const t = compileRoutes({ routes: [{ matches: [exact('/a')] }, { matches: [prefix('/')] }] });
    expect(t.warnings).toEqual([]);
  });
});
