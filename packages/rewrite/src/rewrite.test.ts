import { ConfigError, isSwitchyardError } from '@switchyard/core';
import type { SyRequest } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { rewriteResponseHeaders } from './response.js';
import { applyRewrite, compileRewrite } from './rewrite.js';
import type { RewriteInput, RewriteResult } from './rewrite.js';
import type { RewriteConfig } from './config.js';

function req(over: Partial<SyRequest> = {}): SyRequest {
  return { method: 'GET', scheme: 'http', authority: 'example.org', path: '/', query: '', headers: {}, attributes: {}, clientAddress: '203.0.113.7', ...over };
}

function forward(config: RewriteConfig, input: Partial<RewriteInput> & { request: SyRequest }) {
  const r = applyRewrite(compileRewrite(config), { upstream: 'http://backend.internal', ...input });
  if (r.kind !== 'forward') throw new Error(`expected forward, got ${JSON.stringify(r)}`);
  return r;
}

function rejected(r: RewriteResult): string {
  if (r.kind !== 'rejected') throw new Error(`expected rejected, got ${JSON.stringify(r)}`);
  expect(isSwitchyardError(r.error)).toBe(true);
  return r.reason;
}

describe('compileRewrite - config validation', () => {
  it('reports every problem with its path', () => {
    let err: unknown;
    try {
      compileRewrite({
        upstream: 'ftp://x',
        allowedUpstreams: ['https://a.internal/base'],
        path: { type: 'RegexRewrite', pattern: '(', substitution: '' },
        requestHeaders: { set: { 'X-A': 'a\r\nb', connection: 'x' }, remove: ['x-a'] },
        redirect: { statusCode: 304 as 301, port: 0 },
        host: { fromHeader: 'x-target' },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const paths = (err as ConfigError).issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'upstream',
        'allowedUpstreams[0]',
        'path.pattern',
        'requestHeaders.set["X-A"]',
        'requestHeaders.set["connection"]',
        'requestHeaders.remove[0]',
        'redirect.statusCode',
        'redirect.port',
        'host',
        'path',
      ]),
    );
  });

  it('rejects unknown template sources and unterminated placeholders', () => {
    expect(() => compileRewrite({ path: { type: 'Template', template: '/a/${cookies.x}' } })).toThrow(/unknown placeholder source/);
    expect(() => compileRewrite({ path: { type: 'Template', template: '/a/${params.x' } })).toThrow(/unterminated/);
    expect(() => compileRewrite({ path: { type: 'Template', template: '/a/../${params.x}' } })).toThrow(/normalized/);
  });

  it('requires an allow-list for request-derived origins', () => {
    expect(() => compileRewrite({ url: 'https://${headers.x-region}.orders.internal/x' })).toThrow(/allowedUpstreams/);
  });
});

describe('applyRewrite - the README examples', () => {
  it('/api/v2/orders/:id goes to https://orders.internal/orders/:id', () => {
    const r = forward({ url: 'https://orders.internal/orders/${params.id}' }, { request: req({ path: '/api/v2/orders/42', query: 'expand=items' }), params: { id: '42' } });
    expect(r.upstream.origin).toBe('https://orders.internal');
    expect(r.request.path).toBe('/orders/42?expand=items');
  });

  it('/products/:id/reviews becomes /reviews?productId=:id', () => {
    const r = forward(
      { path: { type: 'Template', template: '/reviews' }, query: { set: { productId: '${params.id}' } } },
      { request: req({ path: '/products/p-9/reviews', query: 'page=2' }), params: { id: 'p-9' } },
    );
    expect(r.request.path).toBe('/reviews?page=2&productId=p-9');
  });

  it('a version prefix disappears', () => {
    const r = forward({ path: { type: 'StripPrefix', prefix: '/v1' } }, { request: req({ path: '/v1/users/7' }) });
    expect(r.request.path).toBe('/users/7');
  });
});

describe('applyRewrite - upstream and base path', () => {
  it('uses the rule upstream over the input one and prepends its base path', () => {
    const r = forward({ upstream: 'https://api.internal:8443/base/' }, { request: req({ path: '/x/y' }) });
    expect(r.upstream).toEqual({ scheme: 'https', host: 'api.internal', port: 8443, origin: 'https://api.internal:8443' });
    expect(r.request.path).toBe('/base/x/y');
  });

  it('${upstream} in a url template is the configured base', () => {
    const r = forward({ upstream: 'http://u.internal/v2', url: '${upstream}/items/${params.id}?ref=${query.ref}' }, { request: req({ query: 'ref=a%20b&z=1' }), params: { id: '5' } });
    expect(r.upstream.origin).toBe('http://u.internal');
    expect(r.request.path).toBe('/v2/items/5?ref=a%20b');
  });

  it('without any upstream the request is rejected as a wiring error', () => {
    const r = applyRewrite(compileRewrite({}), { request: req() });
    expect(rejected(r)).toBe('no-upstream');
    expect(r.kind === 'rejected' && r.error.code).toBe('SY_INVALID_ARGUMENT');
  });

  it('a request-derived origin must be in the allow-list', () => {
    const plan = compileRewrite({ url: 'https://${headers.x-region}.orders.internal/o', allowedUpstreams: ['https://eu.orders.internal', 'https://us.orders.internal'] });
    const ok = applyRewrite(plan, { request: req({ headers: { 'x-region': 'eu' } }) });
    expect(ok.kind === 'forward' && ok.upstream.origin).toBe('https://eu.orders.internal');
    expect(rejected(applyRewrite(plan, { request: req({ headers: { 'x-region': 'evil.example/' } }) }))).toBe('upstream-not-allowed');
    expect(rejected(applyRewrite(plan, { request: req({ headers: { 'x-region': 'x@evil.example' } }) }))).toBe('upstream-not-allowed');
  });
});

describe('applyRewrite - request-derived values are encoded', () => {
  const plan = { path: { type: 'Template', template: '/files/${params.name}' } } as const;
  it.each([
    ['a/b', '/files/a%2Fb'],
    ['//evil.example', '/files/%2F%2Fevil.example'],
    ['x?y#z', '/files/x%3Fy%23z'],
    ['caf\u00e9', '/files/caf%C3%A9'],
    ['\ud800', '/files/%EF%BF%BD'],
  ])('param %j lands in one segment as %s', (name, expected) => {
    expect(forward(plan, { request: req(), params: { name } }).request.path).toBe(expected);
  });

  it('a param that is a dot segment is rejected, never sent', () => {
    expect(rejected(applyRewrite(compileRewrite(plan), { request: req(), params: { name: '..' }, upstream: 'http://b' }))).toBe('unsafe-path');
    expect(rejected(applyRewrite(compileRewrite(plan), { request: req(), params: { name: '.' }, upstream: 'http://b' }))).toBe('unsafe-path');
  });

  it('a missing or empty path param is rejected (it would name another resource)', () => {
    expect(rejected(applyRewrite(compileRewrite(plan), { request: req(), params: {}, upstream: 'http://b' }))).toBe('empty-path-value');
    expect(rejected(applyRewrite(compileRewrite(plan), { request: req(), params: { name: '' }, upstream: 'http://b' }))).toBe('empty-path-value');
  });

  it('names inherited from Object.prototype are not values', () => {
    const p = compileRewrite({ path: { type: 'Template', template: '/x/${params.constructor}' } });
    expect(rejected(applyRewrite(p, { request: req(), params: {}, upstream: 'http://b' }))).toBe('empty-path-value');
  });

  it('query values cannot add pairs', () => {
    const r = forward({ query: { set: { q: '${headers.x-q}' } } }, { request: req({ headers: { 'x-q': 'a&admin=1#x' } }) });
    expect(r.request.path).toBe('/?q=a%26admin%3D1%23x');
  });

  it('a request that was not normalized is refused', () => {
    for (const path of ['/a//b', '/a/../b', '/a/%2e%2E/b', '/a/./b', 'relative', '/a b']) {
      expect(rejected(applyRewrite(compileRewrite({}), { request: req({ path }), upstream: 'http://b' }))).toBe('path-not-normalized');
    }
  });
});

describe('applyRewrite - Envoy prefix_rewrite and regex_rewrite', () => {
  it('prefix_rewrite uses the matched prefix and merges the double slash Envoy would send', () => {
    const r = forward({ path: { type: 'PrefixRewrite', prefixRewrite: '/' } }, { request: req({ path: '/prefix/etc' }), matchedPrefix: '/prefix' });
    expect(r.request.path).toBe('/etc');
  });
  it('regex_rewrite output that would contain a dot segment is rejected', () => {
    const p = compileRewrite({ path: { type: 'RegexRewrite', pattern: '^/(.)x(.)$', substitution: '/\\1\\2' } });
    expect(rejected(applyRewrite(p, { request: req({ path: '/.x.' }), upstream: 'http://b' }))).toBe('unsafe-path');
  });
  it('ReplacePrefixMatch defaults to the matched prefix', () => {
    expect(forward({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/xyz' } }, { request: req({ path: '/foo/' }), matchedPrefix: '/foo' }).request.path).toBe('/xyz/');
  });
  it('records the original path when asked (x-envoy-original-path)', () => {
    const r = forward({ path: { type: 'ReplaceFullPath', replaceFullPath: '/one' }, originalPathHeader: 'x-envoy-original-path' }, { request: req({ path: '/full/one/two' }) });
    expect(r.request.headers['x-envoy-original-path']).toBe('/full/one/two');
  });
});

describe('applyRewrite - query operations', () => {
  it('removes, renames, sets and adds in that order', () => {
    const r = forward(
      { query: { remove: ['debug'], rename: { q: 'search' }, set: { page: '1' }, add: { tag: 'a b' } } },
      { request: req({ query: 'q=x&debug=1&page=3&page=4&tag=z' }) },
    );
    expect(r.request.path).toBe('/?search=x&page=1&tag=z&tag=a%20b');
  });
  it('removeAll drops the request query (Envoy strip_query)', () => {
    expect(forward({ query: { removeAll: true, set: { a: '1' } } }, { request: req({ query: 'x=1' }) }).request.path).toBe('/?a=1');
  });
  it('matches encoded names', () => {
    expect(forward({ query: { remove: ['a b'] } }, { request: req({ query: 'a+b=1&a%20b=2&c=3' }) }).request.path).toBe('/?c=3');
  });
  it('a raw query with unsafe characters is percent-encoded', () => {
    expect(forward({}, { request: req({ query: 'a=b c&d=%zz' }) }).request.path).toBe('/?a=b%20c&d=%25zz');
  });
});

describe('applyRewrite - header modifiers (conformance HTTPRouteRewritePath / RequestHeaderModifier)', () => {
  const config: RewriteConfig = {
    path: { type: 'ReplaceFullPath', replaceFullPath: '/test' },
    requestHeaders: { set: { 'X-Header-Set': 'set-overwrites-values' }, add: { 'X-Header-Add': 'header-val-1', 'X-Header-Add-Append': 'header-val-2' }, remove: ['X-Header-Remove'] },
    forwarded: { mode: 'off' },
  };
  it('set overwrites, add appends with a comma, remove deletes (case-insensitive)', () => {
    const r = forward(config, { request: req({ path: '/full/rewrite-path-and-modify-headers/test', headers: { 'x-header-remove': 'remove-val', 'x-header-add-append': 'append-val-1', 'x-header-set': 'set-val' } }) });
    expect(r.request.path).toBe('/test');
    expect(r.request.headers).toEqual({ 'x-header-add': 'header-val-1', 'x-header-add-append': 'append-val-1,header-val-2', 'x-header-set': 'set-overwrites-values', host: 'example.org' });
  });
  it('header values can be templates', () => {
    const r = forward({ requestHeaders: { set: { 'x-tenant-id': '${attributes.tenant}', 'x-user': '${params.user}' } } }, { request: req({ attributes: { tenant: 'acme' } }), params: { user: 'u1' } });
    expect(r.request.headers['x-tenant-id']).toBe('acme');
    expect(r.request.headers['x-user']).toBe('u1');
  });
  it('a template value with CR/LF is rejected, or stripped when configured', () => {
    const input = { request: req({ attributes: { t: 'a\r\nx-admin: 1' } }), upstream: 'http://b' };
    expect(rejected(applyRewrite(compileRewrite({ requestHeaders: { set: { 'x-t': '${attributes.t}' } } }), input))).toBe('unsafe-header');
    const r = applyRewrite(compileRewrite({ requestHeaders: { set: { 'x-t': '${attributes.t}' } }, unsafeHeaders: 'strip' }), input);
    expect(r.kind === 'forward' && r.request.headers['x-t']).toBe('ax-admin: 1');
  });
  it('an incoming header with CR/LF/NUL or a non-token name is rejected by default', () => {
    expect(rejected(applyRewrite(compileRewrite({}), { request: req({ headers: { 'x-a': 'a\nb' } }), upstream: 'http://b' }))).toBe('unsafe-header');
    expect(rejected(applyRewrite(compileRewrite({}), { request: req({ headers: { 'x a': 'b' } }), upstream: 'http://b' }))).toBe('unsafe-header');
    const r = applyRewrite(compileRewrite({ unsafeHeaders: 'strip', forwarded: { mode: 'off' } }), { request: req({ headers: { 'x-a': 'a\0b', 'x b': 'c' } }), upstream: 'http://b' });
    expect(r.kind === 'forward' && r.request.headers).toEqual({ 'x-a': 'ab', host: 'example.org' });
  });
});

describe('applyRewrite - hop-by-hop and Connection (RFC 9110 §7.6.1)', () => {
  it('strips hop-by-hop headers and those Connection names, keeps te: trailers', () => {
    const r = forward(
      { forwarded: { mode: 'off' } },
      { request: req({ headers: { connection: 'keep-alive, X-Secret', 'keep-alive': '5', 'x-secret': 's', upgrade: 'h2c', 'transfer-encoding': 'chunked', 'proxy-authorization': 'x', te: 'trailers', accept: '*/*' } }) },
    );
    expect(r.request.headers).toEqual({ te: 'trailers', accept: '*/*', host: 'example.org' });
  });
  it('drops te other than trailers', () => {
    expect(forward({ forwarded: { mode: 'off' } }, { request: req({ headers: { te: 'gzip' } }) }).request.headers['te']).toBeUndefined();
  });
  it('a client cannot use Connection to strip the forwarding headers the gateway adds', () => {
    const r = forward({ forwarded: { mode: 'overwrite' } }, { request: req({ headers: { connection: 'x-forwarded-for', 'x-forwarded-for': '6.6.6.6' } }) });
    expect(r.request.headers['x-forwarded-for']).toBe('203.0.113.7');
  });
  it('rejects Connection options that are not tokens, or ignores them when configured', () => {
    const input = { request: req({ headers: { connection: 'close, a b, x-drop', 'x-drop': '1' } }), upstream: 'http://b' };
    expect(rejected(applyRewrite(compileRewrite({}), input))).toBe('invalid-connection-header');
    const r = applyRewrite(compileRewrite({ connectionHeader: 'ignore' }), input);
    expect(r.kind === 'forward' && r.request.headers['x-drop']).toBeUndefined();
  });
  it('response headers lose hop-by-hop and Connection-named headers too', () => {
    const plan = compileRewrite({ responseHeaders: { set: { 'x-served-by': 'sy' }, add: { vary: 'origin' }, remove: ['server'] } });
    expect(rewriteResponseHeaders(plan, { connection: 'close, x-internal', 'x-internal': '1', 'keep-alive': 'timeout=5', server: 'nginx', vary: 'accept', 'set-cookie': ['a=1', 'b=2\r\n'] })).toEqual({
      vary: 'accept,origin',
      'set-cookie': ['a=1', 'b=2'],
      'x-served-by': 'sy',
    });
  });
});

describe('applyRewrite - forwarding headers', () => {
  const base = { request: req({ scheme: 'https', authority: 'api.example.com', headers: { 'x-forwarded-for': '198.51.100.1', 'x-forwarded-proto': 'http', forwarded: 'for=198.51.100.1' } }) };
  it('append keeps the client chain and adds this hop', () => {
    const h = forward({ forwarded: { mode: 'append', headers: 'both' } }, base).request.headers;
    expect(h['x-forwarded-for']).toBe('198.51.100.1, 203.0.113.7');
    expect(h['x-forwarded-proto']).toBe('http, https');
    expect(h['x-forwarded-host']).toBe('api.example.com');
    expect(h['forwarded']).toBe('for=198.51.100.1, for=203.0.113.7;host=api.example.com;proto=https');
  });
  it('overwrite discards what the client sent', () => {
    const h = forward({ forwarded: { mode: 'overwrite', headers: 'both' } }, base).request.headers;
    expect(h['x-forwarded-for']).toBe('203.0.113.7');
    expect(h['x-forwarded-proto']).toBe('https');
    expect(h['forwarded']).toBe('for=203.0.113.7;host=api.example.com;proto=https');
  });
  it('regression: by default (trusted) a direct client cannot claim HTTPS, another host or another address', () => {
    // Before: the default kept the client's own values first (`x-forwarded-proto: http, https`...).
    const spoof = { request: req({ scheme: 'http', authority: 'api.example.com', headers: { 'x-forwarded-for': '1.2.3.4', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'admin.internal', forwarded: 'for=1.2.3.4;proto=https' } }) };
    const h = forward({}, spoof).request.headers;
    expect(h['x-forwarded-for']).toBe('203.0.113.7');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe('api.example.com');
    expect(h['forwarded']).toBeUndefined();
    const both = forward({ forwarded: { headers: 'both' } }, spoof).request.headers;
    expect(both['forwarded']).toBe('for=203.0.113.7;host=api.example.com;proto=http');
  });
  it('trusted: a peer inside trustedProxies keeps the chain and adds this hop; anyone else is overwritten', () => {
    const config: RewriteConfig = { forwarded: { mode: 'trusted', headers: 'both', trustedProxies: ['10.0.0.0/8', '2001:db8::/32'] } };
    const viaProxy = forward(config, { request: { ...base.request, clientAddress: '10.1.2.3' } }).request.headers;
    expect(viaProxy['x-forwarded-for']).toBe('198.51.100.1, 10.1.2.3');
    expect(viaProxy['x-forwarded-proto']).toBe('http, https');
    expect(viaProxy['forwarded']).toBe('for=198.51.100.1, for=10.1.2.3;host=api.example.com;proto=https');
    expect(forward(config, { request: { ...base.request, clientAddress: '2001:db8::5' } }).request.headers['x-forwarded-for']).toBe('198.51.100.1, 2001:db8::5');
    const direct = forward(config, base).request.headers;
    expect(direct['x-forwarded-for']).toBe('203.0.113.7');
    expect(direct['x-forwarded-proto']).toBe('https');
    expect(direct['forwarded']).toBe('for=203.0.113.7;host=api.example.com;proto=https');
    const { clientAddress: _drop, ...noPeer } = base.request;
    expect(forward(config, { request: noPeer }).request.headers['x-forwarded-for']).toBeUndefined();
  });
  it('trusted: trustedHops > 0 trusts the peer (Envoy xff_num_trusted_hops)', () => {
    expect(forward({ forwarded: { trustedHops: 1 } }, base).request.headers['x-forwarded-proto']).toBe('http, https');
    expect(forward({ forwarded: { trustedHops: 0 } }, base).request.headers['x-forwarded-proto']).toBe('https');
  });
  it('trust settings are validated with their paths', () => {
    const issues = (config: RewriteConfig): string[] => {
      try {
        compileRewrite(config);
        return [];
      } catch (e) {
        return (e as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
      }
    };
    expect(issues({ forwarded: { trustedProxies: ['10.0.0.0/8', 'nope'] } })).toEqual(['forwarded.trustedProxies[1]: not an address or CIDR: "nope"']);
    expect(issues({ forwarded: { trustedHops: -1 } })).toEqual(['forwarded.trustedHops: must be an integer >= 0']);
    expect(issues({ forwarded: { mode: 'append', trustedHops: 1 } })).toEqual(["forwarded.mode: trustedProxies and trustedHops only apply to mode 'trusted'"]);
    expect(issues({ forwarded: { trustedHops: 1, trustedProxies: [] } })).toEqual(['forwarded: trustedProxies and trustedHops are exclusive']);
  });
  it('off leaves them as received', () => {
    const h = forward({ forwarded: { mode: 'off' } }, base).request.headers;
    expect(h['x-forwarded-for']).toBe('198.51.100.1');
    expect(h['x-forwarded-host']).toBeUndefined();
  });
  it('RFC 7239 - IPv6 is bracketed and quoted, an unknown client is "unknown", a port forces quoting', () => {
    const h6 = forward({ forwarded: { mode: 'overwrite', headers: 'forwarded' } }, { request: req({ clientAddress: '2001:db8::1', authority: 'a.example:8080' }) }).request.headers;
    expect(h6['forwarded']).toBe('for="[2001:db8::1]";host="a.example:8080";proto=http');
    const { clientAddress: _drop, ...noClient } = req();
    expect(forward({ forwarded: { mode: 'overwrite', headers: 'forwarded' } }, { request: noClient }).request.headers['forwarded']).toBe('for=unknown;host=example.org;proto=http');
  });
});

describe('applyRewrite - Host', () => {
  it('regression: a Host that is not a valid host[:port] is refused (400), never forwarded verbatim', () => {
    for (const authority of ['[::1', 'a b', 'x:99999', 'a\u0001b', ':80', 'user@host', '[::1]x', 'h\u00e9.com']) {
      for (const host of ['preserve', 'upstream'] as const) {
        expect(rejected(applyRewrite(compileRewrite({ host }), { request: req({ authority }), upstream: 'http://backend.internal' }))).toBe('invalid-authority');
      }
    }
    for (const authority of ['api.example.com', 'api.example.com:8443', '[2001:db8::1]:443', '10.0.0.1', 'my_service:80', '']) {
      expect(forward({}, { request: req({ authority }) }).request.headers['host']).toBe(authority === '' ? undefined : authority);
    }
  });
  it('preserves the client authority by default (Envoy, Gateway API)', () => {
    expect(forward({}, { request: req({ authority: 'api.example.com' }) }).request.headers['host']).toBe('api.example.com');
  });
  it("'upstream' sends the upstream authority, literal sends the literal", () => {
    expect(forward({ host: 'upstream', upstream: 'http://u.internal:8080' }, { request: req() }).request.headers['host']).toBe('u.internal:8080');
    expect(forward({ host: { literal: 'Rewrite.Example' } }, { request: req() }).request.headers['host']).toBe('rewrite.example');
  });
  it('from a header only within the allow-list, which then selects the upstream', () => {
    const plan = compileRewrite({ host: { fromHeader: 'x-target' }, allowedUpstreams: ['https://a.internal', 'http://b.internal:8080'], upstream: 'http://default.internal' });
    const r = applyRewrite(plan, { request: req({ headers: { 'x-target': 'b.internal:8080' } }) });
    expect(r.kind === 'forward' && [r.upstream.origin, r.request.headers['host']]).toEqual(['http://b.internal:8080', 'b.internal:8080']);
    expect(rejected(applyRewrite(plan, { request: req({ headers: { 'x-target': 'evil.example' } }) }))).toBe('upstream-not-allowed');
    const none = applyRewrite(plan, { request: req() });
    expect(none.kind === 'forward' && none.upstream.origin).toBe('http://default.internal');
  });
});

describe('applyRewrite - redirects', () => {
  const redirect = (config: RewriteConfig['redirect'], input: Partial<RewriteInput> & { request: SyRequest }) => {
    const r = applyRewrite(compileRewrite({ redirect: config as NonNullable<RewriteConfig['redirect']> }), input);
    if (r.kind !== 'redirect') throw new Error(JSON.stringify(r));
    return r;
  };

  it('defaults to 302 (Gateway API) and keeps the query', () => {
    const r = redirect({ hostname: 'example.net' }, { request: req({ path: '/a', query: 'x=1' }), listenerPort: 80 });
    expect(r.status).toBe(302);
    expect(r.location).toBe('http://example.net/a?x=1');
    expect(r.response).toEqual({ status: 302, headers: { location: 'http://example.net/a?x=1' }, body: null });
  });

  it.each([301, 302, 303, 307, 308] as const)('status %i', (statusCode) => {
    expect(redirect({ statusCode }, { request: req() }).status).toBe(statusCode);
  });

  it('path redirects with ReplaceFullPath and ReplacePrefixMatch (conformance HTTPRouteRedirectPath)', () => {
    expect(redirect({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/replacement-prefix' } }, { request: req({ path: '/original-prefix/lemon' }), matchedPrefix: '/original-prefix' }).location).toBe(
      'http://example.org/replacement-prefix/lemon',
    );
    expect(redirect({ path: { type: 'ReplaceFullPath', replaceFullPath: '/full-path-replacement' } }, { request: req({ path: '/full/path/original' }) }).location).toBe('http://example.org/full-path-replacement');
    expect(redirect({ stripQuery: true }, { request: req({ query: 'a=1' }) }).location).toBe('http://example.org/');
  });

  // Conformance HTTPRouteRedirectPortAndScheme: [listener scheme, listener port, redirect scheme, redirect port, expected origin].
  it.each([
    ['http', 80, undefined, undefined, 'http://example.org'],
    ['http', 80, undefined, 80, 'http://example.org'],
    ['http', 80, undefined, 8080, 'http://example.org:8080'],
    ['http', 80, 'https', undefined, 'https://example.org'],
    ['http', 80, 'https', 443, 'https://example.org'],
    ['http', 80, 'https', 8443, 'https://example.org:8443'],
    ['http', 8080, undefined, undefined, 'http://example.org:8080'],
    ['http', 8080, undefined, 80, 'http://example.org'],
    ['http', 8080, 'https', undefined, 'https://example.org'],
    ['https', 443, undefined, undefined, 'https://example.org'],
    ['https', 443, undefined, 443, 'https://example.org'],
    ['https', 443, undefined, 8443, 'https://example.org:8443'],
    ['https', 443, 'http', undefined, 'http://example.org'],
    ['https', 443, 'http', 80, 'http://example.org'],
    ['https', 443, 'http', 8080, 'http://example.org:8080'],
  ] as const)('listener %s:%i, scheme %s, port %s redirects to %s', (scheme, listenerPort, rs, rp, expected) => {
    const config = { ...(rs === undefined ? {} : { scheme: rs }), ...(rp === undefined ? {} : { port: rp }) };
    const authority = listenerPort === 80 || listenerPort === 443 ? 'example.org' : `example.org:${listenerPort}`;
    expect(redirect(config, { request: req({ scheme, authority, path: '/p' }), listenerPort }).location).toBe(`${expected}/p`);
  });

  it('without a listener port the request authority port is the listener port', () => {
    expect(redirect({}, { request: req({ authority: 'example.org:9000' }) }).location).toBe('http://example.org:9000/');
  });

  it('an invalid request authority cannot become the Location host', () => {
    const r = applyRewrite(compileRewrite({ redirect: {} }), { request: req({ authority: 'evil.example/x' }) });
    expect(rejected(r)).toBe('invalid-authority');
  });
});

describe('applyRewrite - the final request is sendable (core checkSendable)', () => {
  const tpl = compileRewrite({ requestHeaders: { set: { 'x-tenant': '${headers.x-raw}' } }, forwarded: { mode: 'off' } });
  const cases: readonly [string, Partial<SyRequest>][] = [
    ['a control character copied into a templated header', { headers: { 'x-raw': 'a\u0001b' } }],
    ['DEL copied into a templated header', { headers: { 'x-raw': 'a\u007f' } }],
    ['a code point above U+00FF in a templated header', { headers: { 'x-raw': 'caf\u0101' } }],
    ['a control character in a header passed through', { headers: { 'x-other': '\u0007' } }],
    ['a Host undici refuses', { authority: '[::1' }],
    ['a path with a code point above U+00FF', { path: '/\u0101' }],
  ];
  for (const [name, over] of cases) {
    it(`rejects ${name}: 400 SY_BAD_REQUEST, a message naming the field, never the bytes`, () => {
      for (const plan of [tpl, compileRewrite({ requestHeaders: { set: { 'x-tenant': '${headers.x-raw}' } }, unsafeHeaders: 'strip' })]) {
        const r = applyRewrite(plan, { request: req(over), upstream: 'http://b.internal' });
        if (r.kind === 'rejected' && r.reason === 'path-not-normalized') continue; // the path case may be refused earlier
        // An invalid Host is refused by the authority check before the sendable check (both 400).
        const hostCase = over.authority !== undefined;
        expect(rejected(r)).toBe(hostCase ? 'invalid-authority' : 'unsendable');
        if (r.kind !== 'rejected') return;
        expect(r.error.code).toBe('SY_BAD_REQUEST');
        if (!hostCase) expect(r.error.message).toMatch(/^the upstream request (header x-(tenant|other|raw)|host|path) cannot be sent: /);
        // Never the bytes: printable ASCII only, and not the Host.
        expect([...r.error.message].every((c) => c >= ' ' && c <= '~')).toBe(true);
        expect(r.error.message).not.toContain('[::1');
      }
    });
  }
  it('a latin1 value and an IPv6 Host are still forwarded', () => {
    const r = applyRewrite(tpl, { request: req({ authority: '[::1]:8080', headers: { 'x-raw': 'caf\u00e9' } }), upstream: 'http://b.internal' });
    expect(r.kind === 'forward' && r.request.headers).toEqual({ 'x-raw': 'caf\u00e9', 'x-tenant': 'caf\u00e9', host: '[::1]:8080' });
  });
});

describe('applyRewrite - property: whatever the client sends, a forwarded request is sendable', () => {
  it('checkSendable(result.request) is undefined for every forward, in reject and strip modes, with and without forwarding headers', async () => {
    const { CheckedRequest, checkSendable } = await import('@switchyard/core');
    const fc = (await import('fast-check')).default;
    const text = fc.string({ unit: fc.oneof(fc.integer({ min: 0, max: 0x17f }).map((c) => String.fromCharCode(c)), fc.constantFrom('[', ']', ':', '/', '%')), maxLength: 10 });
    const plans = [
      compileRewrite({ requestHeaders: { set: { 'x-tenant': '${headers.x-raw}', 'x-id': '${params.id}' } }, originalPathHeader: 'x-original-path', path: { type: 'Template', template: '/up/${params.id}' } }),
      compileRewrite({ requestHeaders: { add: { 'x-tenant': '${headers.x-raw}' } }, unsafeHeaders: 'strip', forwarded: { mode: 'off' } }),
      compileRewrite({ forwarded: { mode: 'append', headers: 'both' }, query: { set: { q: '${headers.x-raw}' } } }),
    ];
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 2), text, text, text, text, text, (i, raw, id, authority, other, client) => {
        const r = applyRewrite(plans[i]!, {
          request: req({ authority, clientAddress: client, headers: { 'x-raw': raw, 'x-other': other }, path: '/p' }),
          params: { id },
          upstream: 'http://b.internal',
        });
        if (r.kind === 'forward') {
          expect(checkSendable(r.request)).toBeUndefined();
          // The brand the undici transport trusts instead of checking again.
          expect(r.request).toBeInstanceOf(CheckedRequest);
        }
      }),
      { numRuns: 3_000 },
    );
  });
});
