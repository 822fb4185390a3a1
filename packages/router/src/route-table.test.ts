import { describe, expect, it } from 'vitest';
import { ConfigError } from '@switchyard/core';
import { seededRng } from '@switchyard/testing';
import { Router, compileRoutes, match } from './index.js';
import type { MatchConfig, RouteConfig } from './index.js';
import { bytes, exact, prefix, regex, req, table, tpl } from './test-helpers.js';

describe('path conditions', () => {
  it('Exact matches the whole path only: not a trailing slash, other case or a longer path', () => {
    const m = table([{ id: 'one', matches: [exact('/one')] }]);
    expect(['/one', '/one/', '/One', '/one/x', '/onex', '/'].map(m)).toEqual(['one', '404', '404', '404', '404', '404']);
  });

  it('PathPrefix is segment-aware: /v2 matches /v2, /v2/ and /v2/x but not /v2example', () => {
    const m = table([{ id: 'v2', matches: [prefix('/v2')] }]);
    expect(['/v2', '/v2/', '/v2/x', '/v2example', '/v', '/'].map(m)).toEqual(['v2', 'v2', 'v2', '404', '404', '404']);
  });

  it('PathPrefix ignores a trailing slash in the configured value', () => {
    const m = table([{ id: 'm', matches: [prefix('/match/')] }]);
    expect(['/match', '/match/', '/match/any', '/matchx'].map(m)).toEqual(['m', 'm', 'm', '404']);
  });

  it('PathPrefix "/" matches everything', () => {
    const m = table([{ id: 'all' }]);
    expect(['/', '/a', '/a/b/c/'].map(m)).toEqual(['all', 'all', 'all']);
  });

  it('Prefix is a raw string prefix (Envoy, Istio): /v2 matches /v2example', () => {
    const m = table([{ id: 'v2', matches: [bytes('/v2')] }, { id: 'api', matches: [bytes('/api/')] }, { id: 'dot', matches: [bytes('/x/.w')] }]);
    expect(['/v2', '/v2example', '/v2/x', '/v', '/api/', '/api/x', '/api', '/x/.well-known'].map(m)).toEqual(['v2', 'v2', 'v2', '404', 'api', 'api', '404', 'dot']);
  });

  it('Template captures named segments, percent-decoded', () => {
    const t = compileRoutes({ routes: [{ matches: [tpl('/users/:id/posts/:post')] }] });
    const r = match(t, req({ path: '/users/42/posts/hello%20world' }));
    expect(r).toMatchObject({ kind: 'matched', params: { id: '42', post: 'hello world' } });
    expect(match(t, req({ path: '/users//posts/x' })).kind).toBe('no-route'); // merged to /users/posts/x
    expect(match(t, req({ path: '/users/42/posts' })).kind).toBe('no-route');
  });

  it('a parameter never matches an empty segment', () => {
    const m = table([{ id: 'u', matches: [tpl('/users/:id')] }]);
    expect(['/users/', '/users', '/users/7'].map(m)).toEqual(['404', '404', 'u']);
  });

  it('a catch-all captures the rest of the path, possibly empty, but needs its segment', () => {
    const t = compileRoutes({ routes: [{ matches: [tpl('/files/*path')] }, { id: 'star', matches: [tpl('/static/*')] }] });
    expect(match(t, req({ path: '/files/a/b/c.txt' }))).toMatchObject({ params: { path: 'a/b/c.txt' } });
    expect(match(t, req({ path: '/files/' }))).toMatchObject({ params: { path: '' } });
    expect(match(t, req({ path: '/files' })).kind).toBe('no-route');
    expect(match(t, req({ path: '/static/index.html' }))).toMatchObject({ params: { '*': 'index.html' } });
  });

  it('a static segment is preferred to a parameter, which is preferred to a catch-all (gateway)', () => {
    const m = table([
      { id: 'all', matches: [tpl('/a/*rest')] },
      { id: 'param', matches: [tpl('/a/:x')] },
      { id: 'static', matches: [tpl('/a/b')] },
    ]);
    expect(['/a/b', '/a/c', '/a/c/d'].map(m)).toEqual(['static', 'param', 'all']);
  });

  it('the trie backtracks from a static branch to a parameter branch', () => {
    const m = table([{ id: 's', matches: [tpl('/a/b/c')] }, { id: 'p', matches: [tpl('/a/:x/d')] }]);
    expect(['/a/b/c', '/a/b/d', '/a/q/d', '/a/b/e'].map(m)).toEqual(['s', 'p', 'p', '404']);
  });

  it('RegularExpression must match the entire path; named groups become params', () => {
    const t = compileRoutes({ routes: [{ matches: [regex('/orders/(?<id>[0-9]+)')] }] });
    expect(match(t, req({ path: '/orders/17' }))).toMatchObject({ kind: 'matched', params: { id: '17' } });
    expect(match(t, req({ path: '/orders/17/x' })).kind).toBe('no-route');
    expect(match(t, req({ path: '/x/orders/17' })).kind).toBe('no-route');
  });

  it('ignoreCase matches paths case-insensitively and keeps the original case in params', () => {
    const t = compileRoutes({
      routes: [
        { id: 'ex', matches: [{ path: { type: 'Exact', value: '/Admin', ignoreCase: true } }] },
        { id: 'tp', matches: [{ path: { type: 'Template', value: '/Users/:name', ignoreCase: true } }] },
        { id: 're', matches: [{ path: { type: 'RegularExpression', value: '/img/[a-z]+\\.png', ignoreCase: true } }] },
      ],
    });
    expect(match(t, req({ path: '/aDMIN' }))).toMatchObject({ route: { id: 'ex' } });
    expect(match(t, req({ path: '/USERS/MiXeD' }))).toMatchObject({ route: { id: 'tp' }, params: { name: 'MiXeD' } });
    expect(match(t, req({ path: '/IMG/LOGO.PNG' }))).toMatchObject({ route: { id: 're' } });
  });

  it('the query string is never part of the path', () => {
    const m = table([{ id: 'a', matches: [exact('/a')] }]);
    expect(m('/a?x=1')).toBe('a');
    const t = compileRoutes({ routes: [{ id: 'p', matches: [{ path: { type: 'Template', value: '/u/:id' } }] }] });
    expect(match(t, req({ path: '/u/7?x=1' }))).toMatchObject({ path: '/u/7', params: { id: '7' } });
    expect(match(t, req({ path: '/u?id=7' }))).toMatchObject({ kind: 'no-route', path: '/u' });
  });

  it('a path value with "?" is refused: it could never match', () => {
    for (const type of ['Template', 'Prefix'] as const) {
      expect(() => compileRoutes({ routes: [{ matches: [{ path: { type, value: '/a?b' } }] }] })).toThrow(/must not contain "\?"/);
    }
  });
});

describe('path normalization before matching', () => {
  const m = table([{ id: 'admin', matches: [prefix('/admin')] }, { id: 'public', matches: [prefix('/public')] }]);

  it.each(['/%61dmin', '//admin', '/public/../admin', '/admin/.', '/./admin', '/%2e%2E/admin', '/public/%2e%2e/admin'])('%s cannot bypass the /admin route', (p) => {
    expect(m(p)).toBe('admin');
  });

  it('encoded slashes and backslashes are a 400 by default', () => {
    expect(['/admin%2Fx', '/public%2f..%2fadmin', '/public\\..\\admin', '/a%5Cb'].map(m)).toEqual(['400', '400', '400', '400']);
  });

  it('malformed escapes, control characters and relative paths are a 400', () => {
    expect(['/a%zz', '/a%4', '/a\u0000b', '/a b', 'admin', ''].map(m)).toEqual(['400', '400', '400', '400', '400', '400']);
  });

  it('regression: a "#" in the path or query is a 400, whichever matcher (static, template fast path, trie, catch-all) would see it', () => {
    // Before: `/admin#x` was in normalized form, matched the catch-all, and Express/Fastify then ran `/admin`.
    const all = table([
      { id: 'admin', matches: [prefix('/admin')] },
      { id: 'exact', matches: [{ path: { type: 'Exact', value: '/exact' } }] },
      { id: 'user', matches: [tpl('/users/:id')] },
      { id: 'files', matches: [tpl('/files/*rest')] },
      { id: 'any', matches: [prefix('/')] },
    ]);
    for (const p of ['/admin#x', '/admin#', '/#/admin', '/exact#', '/users/1#x', '/users/#', '/files/a#b', '/x#', '/admin#/../x']) expect(all(p)).toBe('400');
    expect(all('/admin')).toBe('admin');
    // After the query too (Express ends the query at "#", Fastify keeps it: nothing to read two ways).
    for (const r of [{ path: '/admin', query: 'x#y' }, { path: '/exact', query: '#' }, { path: '/users/1', query: 'a=1#&debug=1' }, { path: '/exact?a#b' }, { path: '/x?#' }]) expect(all(r)).toBe('400');
    expect(all({ path: '/exact', query: 'a=%23' })).toBe('exact');
  });

  it('escapedSlashes: keep treats %2F as a character inside a segment', () => {
    const k = compileRoutes({ routes: [{ matches: [tpl('/projects/:id')] }] }, { normalize: { escapedSlashes: 'keep' } });
    expect(match(k, req({ path: '/projects/group%2fname' }))).toMatchObject({ path: '/projects/group%2Fname', params: { id: 'group/name' } });
  });

  it('escapedSlashes: decode turns them into separators before dot segments are resolved', () => {
    const d = table([{ id: 'admin', matches: [prefix('/admin')] }], { normalize: { escapedSlashes: 'decode' } });
    expect(d('/public%2F..%2Fadmin')).toBe('admin');
  });

  it('the result carries the normalized path for later stages', () => {
    const t = compileRoutes({ routes: [{}] });
    expect(match(t, req({ path: '/a//b/./c/../%7Euser' }))).toMatchObject({ path: '/a/b/~user' });
  });
});

describe('method and host conditions', () => {
  it('method is exact: HEAD does not match a GET rule', () => {
    const m = table([{ id: 'get', matches: [{ method: 'GET' }] }]);
    expect([m({ path: '/', method: 'GET' }), m({ path: '/', method: 'HEAD' })]).toEqual(['get', '404']);
  });

  it('hostnames: exact and *.wildcard (one or more labels, not the apex), port ignored', () => {
    const m = table([
      { id: 'exact', hostnames: ['api.example.com'] },
      { id: 'wild', hostnames: ['*.example.com'] },
      { id: 'any', matches: [exact('/only-any')] },
    ]);
    expect(
      ['api.example.com:8443', 'API.example.com', 'a.b.example.com', 'x.example.com', 'example.com'].map((authority) => m({ path: '/', authority })),
    ).toEqual(['exact', 'exact', 'wild', 'wild', '404']);
  });

  it('gateway: the most specific hostname wins before path precedence, falling through when it has no match', () => {
    const m = table([
      { id: 'wild-exact-path', hostnames: ['*.example.com'], matches: [exact('/x')] },
      { id: 'exact-host', hostnames: ['foo.example.com'], matches: [prefix('/')] },
      { id: 'exact-host-y', hostnames: ['foo.example.com'], matches: [exact('/y')] },
      { id: 'any-host', matches: [exact('/z')] },
    ]);
    expect(m({ path: '/x', authority: 'foo.example.com' })).toBe('exact-host');
    expect(m({ path: '/x', authority: 'bar.example.com' })).toBe('wild-exact-path');
    expect(m({ path: '/z', authority: 'bar.example.com' })).toBe('any-host');
    expect(m({ path: '/y', authority: 'foo.example.com' })).toBe('exact-host-y');
  });

  it('first-match: hostnames are a condition evaluated in order', () => {
    const m = table(
      [
        { id: 'wild', hostnames: ['*.example.com'] },
        { id: 'exact', hostnames: ['foo.example.com'] },
      ],
      { selection: 'first-match' },
    );
    expect(m({ path: '/', authority: 'foo.example.com' })).toBe('wild');
    expect(m({ path: '/', authority: 'other.org' })).toBe('404');
  });
});

describe('header conditions', () => {
  const h = (headers: Record<string, string>) => ({ path: '/', headers });
  const one = (hm: NonNullable<MatchConfig['headers']>[number]) => table([{ id: 'y', matches: [{ headers: [hm] }] }]);

  it('Exact compares the value, names are case-insensitive', () => {
    const m = one({ name: 'X-Version', value: 'two' });
    expect([m(h({ 'x-version': 'two' })), m(h({ 'x-version': 'Two' })), m(h({}))]).toEqual(['y', '404', '404']);
  });

  it('Prefix, Suffix, Contains and RegularExpression', () => {
    expect(one({ name: 'a', type: 'Prefix', value: 'ab' })(h({ a: 'abc' }))).toBe('y');
    expect(one({ name: 'a', type: 'Prefix', value: 'ab' })(h({ a: 'cab' }))).toBe('404');
    expect(one({ name: 'a', type: 'Suffix', value: 'bc' })(h({ a: 'abc' }))).toBe('y');
    expect(one({ name: 'a', type: 'Contains', value: 'b' })(h({ a: 'abc' }))).toBe('y');
    expect(one({ name: 'a', type: 'Contains', value: 'z' })(h({ a: 'abc' }))).toBe('404');
    expect(one({ name: 'a', type: 'RegularExpression', value: '[0-9]+' })(h({ a: '123' }))).toBe('y');
    expect(one({ name: 'a', type: 'RegularExpression', value: '[0-9]+' })(h({ a: '123x' }))).toBe('404');
  });

  it('Present and Absent', () => {
    expect([one({ name: 'a', type: 'Present' })(h({ a: '' })), one({ name: 'a', type: 'Present' })(h({}))]).toEqual(['y', '404']);
    expect([one({ name: 'a', type: 'Absent' })(h({ a: 'x' })), one({ name: 'a', type: 'Absent' })(h({}))]).toEqual(['404', 'y']);
  });

  it('invert negates a value matcher but a missing header still fails it (Envoy default)', () => {
    const m = one({ name: 'a', value: 'x', invert: true });
    expect([m(h({ a: 'x' })), m(h({ a: 'y' })), m(h({}))]).toEqual(['404', 'y', '404']);
    expect(one({ name: 'a', type: 'Present', invert: true })(h({}))).toBe('y');
  });

  it('ignoreCase compares values case-insensitively', () => {
    expect(one({ name: 'a', value: 'Hello', ignoreCase: true })(h({ a: 'hELLO' }))).toBe('y');
    expect(one({ name: 'a', type: 'RegularExpression', value: 'abc', ignoreCase: true })(h({ a: 'ABC' }))).toBe('y');
  });

  it('all headers of one match must hold (AND); matches of a route are ORed', () => {
    const m = table([
      {
        id: 'y',
        matches: [
          { headers: [{ name: 'a', value: '1' }, { name: 'b', value: '2' }] },
          { headers: [{ name: 'c', value: '3' }] },
        ],
      },
    ]);
    expect([m(h({ a: '1', b: '2' })), m(h({ a: '1' })), m(h({ c: '3' }))]).toEqual(['y', '404', 'y']);
  });

  it('gateway: a duplicate header name counts once and is reported', () => {
    const t = compileRoutes({ routes: [{ matches: [{ headers: [{ name: 'a', value: '1' }, { name: 'A', value: '2' }] }] }] });
    expect(t.warnings[0]?.path).toBe('routes[0].matches[0].headers[1]');
    expect(match(t, req({ path: '/', headers: { a: '1' } })).kind).toBe('matched');
  });
});

describe('query parameter conditions', () => {
  const m = table([
    { id: 'exact', matches: [{ queryParams: [{ name: 'animal', value: 'whale' }] }] },
    { id: 're', matches: [{ queryParams: [{ name: 'n', type: 'RegularExpression', value: '\\d+' }] }] },
    { id: 'present', matches: [{ queryParams: [{ name: 'debug', type: 'Present' }] }] },
  ]);

  it('Exact on the first value of a repeated key; names are case-sensitive', () => {
    expect(['/?animal=whale', '/?animal=whale&animal=dolphin', '/?animal=dolphin&animal=whale', '/?ANIMAL=whale', '/?xanimal=whale'].map(m)).toEqual([
      'exact',
      'exact',
      '404',
      '404',
      '404',
    ]);
  });

  it('RegularExpression must match the whole value', () => {
    expect(['/?n=123', '/?n=a123', '/?n=123a'].map(m)).toEqual(['re', '404', '404']);
  });

  it('Present accepts a bare key', () => {
    expect(['/?debug', '/?debug=', '/?x=1&debug=0', '/?x=1'].map(m)).toEqual(['present', 'present', 'present', '404']);
  });

  it('uses request.query when given', () => {
    expect(m({ path: '/', query: 'animal=whale' })).toBe('exact');
  });
});

describe('attribute and client IP conditions', () => {
  const m = table([
    { id: 'sandbox', matches: [{ attributes: [{ key: 'apiKey.environment', equals: 'sandbox' }] }] },
    { id: 'paid', matches: [{ attributes: [{ key: 'claims.tier', oneOf: ['pro', 'enterprise'] }] }] },
    { id: 'geo', matches: [{ attributes: [{ key: 'geo.country', equals: 'DE' }, { key: 'claims.sub', present: true }] }] },
    { id: 'office', matches: [{ clientCidrs: ['10.0.0.0/8', '2001:db8::/32'] }] },
    { id: 'vpn', matches: [{ attributes: [{ key: 'realIp', cidrs: ['192.168.0.0/16'] }] }] },
  ]);
  const a = (attributes: Record<string, unknown>, clientAddress?: string) => m({ path: '/', attributes, ...(clientAddress ? { clientAddress } : {}) });

  it('equality on nested claims and API-key metadata', () => {
    expect(a({ apiKey: { environment: 'sandbox' } })).toBe('sandbox');
    expect(a({ apiKey: { environment: 'production' } })).toBe('404');
  });

  it('one-of, and presence combined with equality', () => {
    expect([a({ claims: { tier: 'pro' } }), a({ claims: { tier: 'free' } })]).toEqual(['paid', '404']);
    expect([a({ geo: { country: 'DE' }, claims: { sub: 'u1' } }), a({ geo: { country: 'DE' } })]).toEqual(['geo', '404']);
  });

  it('client IP in CIDR ranges, IPv4-mapped IPv6 included', () => {
    expect([a({}, '10.1.2.3'), a({}, '::ffff:10.9.9.9'), a({}, '2001:db8::1'), a({}, '11.0.0.1'), a({}, 'garbage')]).toEqual([
      'office',
      'office',
      'office',
      '404',
      '404',
    ]);
  });

  it('an attribute holding an IP can be matched against CIDRs', () => {
    expect([a({ realIp: '192.168.4.4' }), a({ realIp: 42 })]).toEqual(['vpn', '404']);
  });

  it('keys never reach the prototype chain', () => {
    const t = compileRoutes({ routes: [{ matches: [{ attributes: [{ key: 'constructor', present: true }] }] }] });
    expect(match(t, req({ path: '/', attributes: {} })).kind).toBe('no-route');
  });
});

describe('sampled percentage (runtimeFraction)', () => {
  const routes: RouteConfig<string>[] = [
    { id: 'canary', value: 'canary', matches: [{ runtimeFraction: { percent: 25 } }] },
    { id: 'stable', value: 'stable' },
  ];

  it('takes about N% of otherwise-matching requests, the rest fall through', () => {
    const t = compileRoutes({ routes }, { selection: 'first-match' });
    const rng = seededRng(7);
    let canary = 0;
    for (let i = 0; i < 4000; i++) if ((match(t, req({ path: '/' }), { rng }) as { route: { id: string } }).route.id === 'canary') canary++;
    expect(canary / 4000).toBeGreaterThan(0.22);
    expect(canary / 4000).toBeLessThan(0.28);
  });

  it('uses strict < on the draw (Envoy): a draw of exactly 0.25 is outside 25%', () => {
    const t = compileRoutes({ routes }, { selection: 'first-match' });
    expect(match(t, req({ path: '/' }), { rng: { next: () => 0.25 } })).toMatchObject({ route: { id: 'stable' } });
    expect(match(t, req({ path: '/' }), { rng: { next: () => 0.2499 } })).toMatchObject({ route: { id: 'canary' } });
  });

  it('without an rng a sampled route never matches', () => {
    const t = compileRoutes({ routes }, { selection: 'first-match' });
    expect(match(t, req({ path: '/' }))).toMatchObject({ route: { id: 'stable' } });
  });

  it('draws only for otherwise-matching requests', () => {
    const t = compileRoutes({ routes: [{ matches: [{ method: 'POST', runtimeFraction: { percent: 50 } }] }] });
    let draws = 0;
    match(t, req({ path: '/' }), { rng: { next: () => (draws++, 0) } });
    expect(draws).toBe(0);
  });
});

describe('Router', () => {
  it('matches, and reload swaps the table but keeps the old one on invalid config', () => {
    const router = new Router<string>({ routes: [{ id: 'a', value: 'A' }] });
    expect(router.match({ method: 'GET', path: '/' })).toMatchObject({ route: { value: 'A' } });
    expect(() => router.reload({ routes: [{ matches: [{ method: 'bad' }] }] })).toThrow(ConfigError);
    expect(router.match({ method: 'GET', path: '/' })).toMatchObject({ route: { value: 'A' } });
    router.reload({ routes: [{ id: 'b', value: 'B' }] });
    expect(router.match({ method: 'GET', path: '/' })).toMatchObject({ route: { value: 'B' } });
  });

  it('passes its rng to sampled routes', () => {
    const router = new Router({ routes: [{ id: 'c', matches: [{ runtimeFraction: { percent: 50 } }] }] }, { rng: { next: () => 0.1 } });
    expect(router.match({ method: 'GET', path: '/' })).toMatchObject({ route: { id: 'c' } });
  });
});
