/**
 * Regression tests for the hot-path shortcuts (char-code scans instead of regexes, the
 * per-plan header-name cache, pre-trimmed prefixes, the query fast path, the specialised
 * path rewriters): each must give exactly the answer of the general definition it replaces,
 * and none may weaken a safety check.
 */
import type { SyRequest } from '@switchyard/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RewriteConfig } from './config.js';
import { HOP_BY_HOP_HEADERS, connectionOptions, connectionOptionsGeneral, isHopByHop } from './headers.js';
import { HEADER_UNSAFE_TEST, TOKEN, encodePathComponent, encodeQueryComponent, hasUnsafeHeaderChar, tokenCase, wellFormed } from './internal/encode.js';
import { replacePrefixMatch, replaceTrimmedPrefixMatch, trimTrailingSlashes } from './path-rewrite.js';
import { compilePathRewriter } from './path-rewriter.js';
import { planInternals } from './plan.js';
import { rewriteResponseHeaders } from './response.js';
import { applyRewrite, compileRewrite } from './rewrite.js';
import type { RewritePlan, RewriteResult } from './rewrite.js';

/** Strings full of the characters the shortcuts must notice. */
const edgy = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('a', 'Z', '-', ' ', '\t', ',', '\r', '\n', '\0', '\u00a0', '\ufeff', '\u2028', '"', '/', '\ud800', 'é'), maxLength: 12 }),
);
const RUNS = { numRuns: 2000 };

function req(headers: Record<string, string>, over: Partial<SyRequest> = {}): SyRequest {
  return { method: 'GET', scheme: 'https', authority: 'api.example.com', path: '/a/b', query: '', headers, attributes: {}, clientAddress: '203.0.113.7', ...over };
}

function forwardHeaders(r: RewriteResult): Readonly<Record<string, string | undefined>> {
  if (r.kind !== 'forward') throw new Error(`expected forward, got ${r.kind}${r.kind === 'rejected' ? ` (${r.reason})` : ''}`);
  return r.request.headers;
}

function reason(r: RewriteResult): string {
  if (r.kind !== 'rejected') throw new Error(`expected rejected, got ${r.kind}`);
  return r.reason;
}

describe('char-code scans - same answers as the regexes they replace', () => {
  it('hasUnsafeHeaderChar is HEADER_UNSAFE_TEST', () => {
    fc.assert(
      fc.property(edgy, (s) => {
        expect(hasUnsafeHeaderChar(s)).toBe(HEADER_UNSAFE_TEST.test(s));
      }),
      RUNS,
    );
    for (const bad of ['\r', '\n', '\0', 'a\r\nx-admin: 1', 'x\0', `${'a'.repeat(100)}\n`]) expect(hasUnsafeHeaderChar(bad)).toBe(true);
  });

  it('tokenCase is TOKEN, and says whether lower-casing is needed', () => {
    fc.assert(
      fc.property(edgy, (s) => {
        const k = tokenCase(s);
        expect(k !== -1).toBe(TOKEN.test(s));
        if (k !== -1) expect(k === 0).toBe(s === s.toLowerCase());
      }),
      RUNS,
    );
  });

  it('encodePathComponent and encodeQueryComponent are encodeURIComponent of the well-formed string', () => {
    fc.assert(
      fc.property(edgy, (s) => {
        expect(encodePathComponent(s)).toBe(encodeURIComponent(wellFormed(s)));
        expect(encodeQueryComponent(s)).toBe(encodeURIComponent(wellFormed(s)));
      }),
      RUNS,
    );
    for (const v of ['/', '?', '#', '@', ':', '%2e', '&', '=', '+']) expect(encodePathComponent(`a${v}`)).toMatch(/^a%[0-9A-F]{2}(2e)?$/);
  });

  it('isHopByHop is exactly the RFC 9110 list', () => {
    for (const name of HOP_BY_HOP_HEADERS) expect(isHopByHop(name)).toBe(true);
    fc.assert(
      fc.property(fc.oneof(edgy, fc.constantFrom('tE', 'trailers', 'upgrades', 'keep_alive', 'x-connection')), (s) => {
        expect(isHopByHop(s)).toBe(HOP_BY_HOP_HEADERS.includes(s));
      }),
      RUNS,
    );
  });

  it('connectionOptions (one-pass) is connectionOptionsGeneral (split, trim, token check)', () => {
    fc.assert(
      fc.property(edgy, (s) => {
        expect(connectionOptions(s)).toEqual(connectionOptionsGeneral(s));
      }),
      RUNS,
    );
    expect(connectionOptions(' Keep-Alive ,\tX-Foo,,')).toEqual(['keep-alive', 'x-foo']);
    expect(connectionOptions('a b')).toBeNull();
    expect(connectionOptions('x-foo\u00a0')).toEqual(['x-foo']); // trim removes NBSP: the general path decides
    expect(connectionOptions('x-foo\r\nx-admin: 1')).toBeNull();
  });
});

describe('pre-trimmed prefixes - same answers as replacePrefixMatch', () => {
  it('replaceTrimmedPrefixMatch with trimmed values is replacePrefixMatch', () => {
    const seg = fc.constantFrom('', 'a', 'ab', 'v1', 'x');
    const p = fc.array(seg, { maxLength: 4 }).map((s) => s.join('/'));
    fc.assert(
      fc.property(p, p, p, (path, prefix, repl) => {
        const [pa, pr, re] = [`/${path}`, prefix === '' ? '' : `/${prefix}`, repl === '' ? '' : `/${repl}`];
        expect(replaceTrimmedPrefixMatch(pa, trimTrailingSlashes(pr), trimTrailingSlashes(re))).toBe(replacePrefixMatch(pa, pr, re));
      }),
      RUNS,
    );
  });

  it('compilePathRewriter fast paths keep their answers and refusals', () => {
    const strip = compilePathRewriter({ type: 'StripPrefix', prefix: '/v1/' });
    expect([strip('/v1'), strip('/v1/'), strip('/v1/users/7'), strip('/v10/x'), strip('/')]).toEqual(['/', '/', '/users/7', '/v10/x', '/']);
    const t = compilePathRewriter({ type: 'Template', template: '/o/${params.id}' });
    expect([t('/', { id: '42' }), t('/', { id: 'a b/c' }), t('/', { id: '..' }), t('/', { id: '' }), t('/', {}), t('/', { id: '\ud800' })]).toEqual([
      '/o/42',
      '/o/a%20b%2Fc',
      undefined,
      undefined,
      undefined,
      '/o/%EF%BF%BD',
    ]);
    expect(t('/', { id: 'constructor' })).toBe('/o/constructor');
    expect(t('/', {} as Record<string, string>)).toBeUndefined(); // no inherited function as a value (`${params.constructor}`)
    expect(compilePathRewriter({ type: 'Template', template: '/o/${params.constructor}' })('/', {})).toBeUndefined();
  });
});

describe('header-name cache - a warm plan decides exactly as a cold one', () => {
  const CONFIGS: readonly RewriteConfig[] = [
    {},
    { requestHeaders: { remove: ['x-secret'], set: { 'x-a': '1' } }, forwarded: { mode: 'overwrite', headers: 'both' } },
    { unsafeHeaders: 'strip', connectionHeader: 'ignore', host: 'upstream' },
    { forwarded: { mode: 'off' }, requestHeaders: { add: { 'x-b': '${headers.x-tenant}' } } },
  ];
  const names = fc.oneof(
    fc.constantFrom('accept', 'Accept', 'connection', 'Connection', 'keep-alive', 'Keep-Alive', 'te', 'TE', 'host', 'Host', 'x-secret', 'X-Secret', 'x-forwarded-for', 'Forwarded', 'x-tenant', 'x-foo', 'upgrade', '__proto__', 'bad name', 'bad\r'),
    fc.string({ unit: 'binary-ascii', maxLength: 6 }),
  );
  const values = fc.oneof(fc.constantFrom('trailers', ' Trailers ', 'gzip', 'x-foo', 'x-foo, te', 'keep-alive', 'x-secret', 'ok\r\nx-admin: 1', 'nul\0', 'a b'), edgy);
  const request = fc.record({ headers: fc.dictionary(names, values, { maxKeys: 6 }), authority: fc.constantFrom('api.example.com', 'a\r\nb', '') });

  it('property - a sequence of requests through one plan gives what fresh plans give', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: CONFIGS.length - 1 }), fc.array(request, { minLength: 1, maxLength: 8 }), (k, requests) => {
        const warm = compileRewrite(CONFIGS[k]!);
        for (const r of requests) {
          const input = { request: req(r.headers, { authority: r.authority }), upstream: 'http://backend.internal' };
          expect(applyRewrite(warm, input)).toEqual(applyRewrite(compileRewrite(CONFIGS[k]!), input));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a cached name still gets its value checked: CR/LF/NUL rejected (or stripped) after a clean request', () => {
    const plan = compileRewrite({});
    expect(forwardHeaders(applyRewrite(plan, { request: req({ 'x-tenant': 'acme' }), upstream: 'http://b.internal' }))['x-tenant']).toBe('acme');
    for (const bad of ['acme\r\nx-admin: 1', 'acme\n', 'acme\0']) expect(reason(applyRewrite(plan, { request: req({ 'x-tenant': bad }), upstream: 'http://b.internal' }))).toBe('unsafe-header');
    const strip = compileRewrite({ unsafeHeaders: 'strip' });
    applyRewrite(strip, { request: req({ 'x-tenant': 'acme' }), upstream: 'http://b.internal' });
    expect(forwardHeaders(applyRewrite(strip, { request: req({ 'x-tenant': 'ac\r\nme' }), upstream: 'http://b.internal' }))['x-tenant']).toBe('acme');
  });

  it('hop-by-hop and Connection-named headers are stripped on every request, whatever the case of the name', () => {
    const plan = compileRewrite({});
    for (let i = 0; i < 3; i++) {
      const h = forwardHeaders(
        applyRewrite(plan, {
          request: req({ Connection: 'x-foo', connection: 'X-Foo, te', 'Keep-Alive': 't=5', 'x-foo': '1', te: 'trailers', 'Transfer-Encoding': 'chunked', Upgrade: 'h2c', accept: '*/*' }),
          upstream: 'http://b.internal',
        }),
      );
      expect(h).toEqual({ accept: '*/*', host: 'api.example.com', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' });
    }
    // te is kept only as `trailers`, and not when Connection names it.
    expect(forwardHeaders(applyRewrite(plan, { request: req({ te: 'trailers' }), upstream: 'http://b.internal' }))['te']).toBe('trailers');
    expect(forwardHeaders(applyRewrite(plan, { request: req({ te: 'gzip' }), upstream: 'http://b.internal' }))['te']).toBeUndefined();
    expect(forwardHeaders(applyRewrite(plan, { request: req({ te: 'trailers', connection: 'te' }), upstream: 'http://b.internal' }))['te']).toBeUndefined();
  });

  it('non-token names are refused on every request, cached or not', () => {
    const plan = compileRewrite({});
    for (let i = 0; i < 3; i++) {
      for (const bad of ['bad name', 'x:y', '', '__proto__', `${'x'.repeat(100)} `]) {
        const headers = JSON.parse(`{${JSON.stringify(bad)}: "v"}`) as Record<string, string>;
        expect(reason(applyRewrite(plan, { request: req(headers), upstream: 'http://b.internal' }))).toBe('unsafe-header');
      }
    }
  });

  it('decisions are per plan: one rule removing a header does not remove it for another', () => {
    const removing = compileRewrite({ requestHeaders: { remove: ['x-secret'] } });
    const keeping = compileRewrite({});
    const input = { request: req({ 'X-Secret': 's' }), upstream: 'http://b.internal' };
    expect(forwardHeaders(applyRewrite(removing, input))['x-secret']).toBeUndefined();
    expect(forwardHeaders(applyRewrite(keeping, input))['x-secret']).toBe('s');
  });

  it('is bounded: many distinct or long names do not grow it without limit', () => {
    const plan = compileRewrite({}) as RewritePlan;
    for (let i = 0; i < 2000; i++) applyRewrite(plan, { request: req({ [`x-h${i}`]: 'v', [`x-${'l'.repeat(80)}${i}`]: 'v' }), upstream: 'http://b.internal' });
    expect(planInternals(plan).headerNames.size).toBeLessThanOrEqual(512);
    for (const name of planInternals(plan).headerNames.keys()) expect(name.length).toBeLessThanOrEqual(64);
  });
});

describe('response header names memoised on the plan', () => {
  it('gives the same headers on every call, whatever the spelling of a name, and keeps drops dropped', () => {
    const plan = compileRewrite({ responseHeaders: { remove: ['x-internal'] } }) as RewritePlan;
    for (let i = 0; i < 3; i++) {
      expect(rewriteResponseHeaders(plan, { 'Content-Type': 'a', 'x-internal': '1', 'X-Internal': '2', 'keep-alive': 'x', 'bad name': 'v', vary: 'accept' })).toEqual({ 'content-type': 'a', vary: 'accept' });
      expect(rewriteResponseHeaders(plan, { connection: 'close, vary', vary: 'accept', etag: '"1"' })).toEqual({ etag: '"1"' });
    }
  });

  it('is bounded: many distinct or long names do not grow it without limit', () => {
    const plan = compileRewrite({}) as RewritePlan;
    for (let i = 0; i < 2000; i++) rewriteResponseHeaders(plan, { [`x-h${i}`]: 'v', [`x-${'l'.repeat(80)}${i}`]: 'v' });
    expect(planInternals(plan).responseNames.size).toBeLessThanOrEqual(512);
    for (const name of planInternals(plan).responseNames.keys()) expect(name.length).toBeLessThanOrEqual(64);
  });
});

describe('other shortcuts', () => {
  it('the upstream target is a frozen object with exactly the documented fields', () => {
    const r = applyRewrite(compileRewrite({ upstream: 'https://api.internal:8443/base' }), { request: req({}) });
    if (r.kind !== 'forward') throw new Error(r.kind);
    expect(Object.isFrozen(r.upstream)).toBe(true);
    expect(r.upstream).toStrictEqual({ scheme: 'https', host: 'api.internal', port: 8443, origin: 'https://api.internal:8443' });
  });

  it('query set on an empty query: names that collide once encoded still replace each other', () => {
    // '\ud800' is encoded as U+FFFD, so both names become %EF%BF%BD: the second set replaces the first.
    const plan = compileRewrite({ query: { set: { '\ud800': 'a', '\ufffd': 'b' } } });
    const r = applyRewrite(plan, { request: req({}), upstream: 'http://b.internal' });
    expect(r.kind === 'forward' && r.request.path).toBe('/a/b?%EF%BF%BD=b');
    const plain = compileRewrite({ query: { set: { a: '1', b: '${params.id}' }, add: { c: 'x y' } } });
    const p = applyRewrite(plain, { request: req({}), params: { id: 'p/9&z=1' }, upstream: 'http://b.internal' });
    expect(p.kind === 'forward' && p.request.path).toBe('/a/b?a=1&b=p%2F9%26z%3D1&c=x%20y');
  });

  it('a request authority with CR/LF never reaches Host, with or without the forwarding headers', () => {
    // Not a valid host[:port]: refused before anything is built, even where unsafe header values are stripped.
    for (const forwarded of ['append', 'off'] as const) {
      expect(reason(applyRewrite(compileRewrite({ forwarded: { mode: forwarded } }), { request: req({}, { authority: 'a\r\nb' }), upstream: 'http://b.internal' }))).toBe('invalid-authority');
    }
    const stripped = applyRewrite(compileRewrite({ forwarded: { mode: 'off' }, unsafeHeaders: 'strip' }), { request: req({}, { authority: 'a\r\nb' }), upstream: 'http://b.internal' });
    expect(reason(stripped)).toBe('invalid-authority');
  });
});
