import type { SyRequest } from '@switchyard/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RewriteConfig } from './config.js';
import { HOP_BY_HOP_HEADERS } from './headers.js';
import { pathNormalForm } from './internal/path-check.js';
import { replacePrefixMatch } from './path-rewrite.js';
import { applyRewrite, compileRewrite, requestFromForward } from './rewrite.js';

const CONFIGURED = 'https://orders.internal';
const ALLOWED = ['https://eu.orders.internal', 'https://us.orders.internal'];

/** One plan per rule type, plus the unsafe-but-stripping variants. */
const CONFIGS: readonly RewriteConfig[] = [
  {},
  { url: 'https://orders.internal/orders/${params.id}?ref=${query.ref}' },
  { url: '${upstream}/a/${params.id}/b/${headers.x-tenant}' },
  { url: 'https://${headers.x-region}.orders.internal/x/${params.name}', allowedUpstreams: ALLOWED },
  { path: { type: 'Template', template: '/reviews/${params.id}.json' }, query: { set: { productId: '${params.id}' }, remove: ['a'], rename: { b: 'c' }, add: { t: '${headers.x-tenant}' } } },
  { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/xyz/' } },
  { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '', prefix: '/' } },
  { path: { type: 'StripPrefix', prefix: '/v1' }, upstream: 'http://users.internal:8080/base' },
  { path: { type: 'PrefixRewrite', prefixRewrite: '/' } },
  { path: { type: 'RegexRewrite', pattern: '^/([^/]+)/([^/]*)', substitution: '/\\2/\\1' } },
  { path: { type: 'RegexRewrite', pattern: 'a', substitution: '.' } },
  { path: { type: 'ReplaceFullPath', replaceFullPath: '/one' }, requestHeaders: { set: { 'x-a': 'b' }, remove: ['x-tenant'] }, forwarded: { mode: 'overwrite', headers: 'both' }, query: { remove: ['ref'] } },
  { host: { fromHeader: 'x-region' }, allowedUpstreams: ALLOWED, requestHeaders: { set: { 'x-t': '${headers.x-tenant}', 'x-c': '${attributes.country}' }, add: { 'x-p': '${params.id}' } } },
  { unsafeHeaders: 'strip', connectionHeader: 'ignore', forwarded: { mode: 'append', headers: 'both' }, requestHeaders: { set: { 'x-t': '${headers.x-tenant}' } } },
  { forwarded: { mode: 'off' }, unsafeHeaders: 'strip', connectionHeader: 'ignore' },
  { forwarded: { mode: 'overwrite' }, requestHeaders: { set: { 'x-a': '1' }, remove: ['x-tenant'] }, query: { set: { v: '2 3' }, remove: ['ref'] } },
  { path: { type: 'Template', template: '/static/index.html' }, forwarded: { mode: 'off' }, unsafeHeaders: 'strip', connectionHeader: 'ignore', host: 'upstream' },
  { redirect: { scheme: 'https', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' } } },
  { redirect: { hostname: 'example.net', port: 8443, statusCode: 308 } },
];
const PLANS = CONFIGS.map((c) => compileRewrite(c));

const anyText = fc.string({ unit: 'binary', maxLength: 12 });
const tricky = fc.constantFrom('', '.', '..', '%2e', '%2E%2e', '/', '//evil.example', 'a/../b', '\r\nx-admin: 1', '\0', '%0d%0a', '?', '#', '@', ':', ' ', 'é', '\ud800', 'v1', 'foo', 'eu', 'us', 'eu.orders.internal');
const value = fc.oneof(tricky, anyText);
const cleanSegment = fc.stringMatching(/^[a-z0-9._~-]{1,5}$/).filter((s) => s !== '.' && s !== '..');
const normalizedPath = fc
  .tuple(fc.array(fc.oneof(cleanSegment, fc.constantFrom('v1', 'foo', 'a', '%2F', '%C3%A9')), { maxLength: 5 }), fc.boolean())
  .map(([segs, slash]) => `/${segs.join('/')}${slash && segs.length > 0 ? '/' : ''}`);
const path = fc.oneof({ weight: 4, arbitrary: normalizedPath }, { weight: 1, arbitrary: fc.oneof(tricky, anyText).map((s) => `/${s}`) }, { weight: 1, arbitrary: anyText });
const headerName = fc.oneof(fc.constantFrom('connection', 'x-forwarded-for', 'forwarded', 'te', 'x-tenant', 'x-region', 'host', 'upgrade', 'keep-alive', 'x-a', '__proto__'), fc.string({ unit: 'binary-ascii', maxLength: 8 }));
const headers = fc.dictionary(headerName, value, { maxKeys: 6 });
const query = fc.oneof(fc.constantFrom('', 'ref=1&a=2&b=3', 'ref=%zz&b', 'a=%0d%0a'), anyText);

const request: fc.Arbitrary<SyRequest> = fc.record({
  method: fc.constantFrom('GET', 'POST'),
  scheme: fc.constantFrom('http' as const, 'https' as const),
  authority: fc.oneof(fc.constantFrom('example.org', 'example.org:8080', '[::1]:443', 'evil.example/x', 'a\r\nb'), anyText),
  path,
  query,
  headers,
  clientAddress: fc.oneof(fc.constantFrom('203.0.113.7', '2001:db8::1'), anyText),
  attributes: fc.dictionary(fc.constantFrom('country', 'tenant'), value),
});
const input = fc.record({
  plan: fc.integer({ min: 0, max: PLANS.length - 1 }),
  request,
  params: fc.dictionary(fc.constantFrom('id', 'name', 'constructor'), value),
  matchedPrefix: fc.constantFrom('/', '/v1', '/foo', '/prefix/'),
  listenerPort: fc.constantFrom(80, 443, 8080),
});

const HOP = new Set(HOP_BY_HOP_HEADERS);
const NUM_RUNS = 3000;

function hasDotOrEmptySegment(p: string): boolean {
  const segs = p.split('/').slice(1);
  return segs.some((s, i) => {
    const d = s.replace(/%2e/gi, '.');
    return d === '.' || d === '..' || (s === '' && i < segs.length - 1);
  });
}

describe('applyRewrite - properties over arbitrary requests', () => {
  it('never throws and always returns a known result kind', () => {
    fc.assert(
      fc.property(input, (i) => {
        const r = applyRewrite(PLANS[i.plan]!, { request: i.request, params: i.params, matchedPrefix: i.matchedPrefix, upstream: CONFIGURED, listenerPort: i.listenerPort });
        expect(['forward', 'redirect', 'rejected']).toContain(r.kind);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('the upstream origin is the configured one or in the allow-list', () => {
    const allowed = new Set([CONFIGURED, ...ALLOWED, 'http://users.internal:8080']);
    fc.assert(
      fc.property(input, (i) => {
        const r = applyRewrite(PLANS[i.plan]!, { request: i.request, params: i.params, matchedPrefix: i.matchedPrefix, upstream: CONFIGURED });
        if (r.kind === 'forward') expect(allowed).toContain(r.upstream.origin);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('no output path contains // or a dot segment, and every path is already normalized', () => {
    fc.assert(
      fc.property(input, (i) => {
        const r = applyRewrite(PLANS[i.plan]!, { request: i.request, params: i.params, matchedPrefix: i.matchedPrefix, upstream: CONFIGURED, listenerPort: i.listenerPort });
        let full: string | undefined;
        if (r.kind === 'forward') full = r.request.path;
        if (r.kind === 'redirect') full = r.location.replace(/^https?:\/\/[^/]+/, '');
        if (full === undefined) return;
        const q = full.indexOf('?');
        const p = q === -1 ? full : full.slice(0, q);
        expect(p.includes('//')).toBe(false);
        expect(hasDotOrEmptySegment(p)).toBe(false);
        expect(pathNormalForm(p)).toBe(p);
        // Nothing outside RFC 3986 path/query characters reaches the request line.
        expect(full).toMatch(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$/);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('no output header name or value contains CR, LF or NUL, and no hop-by-hop header survives', () => {
    fc.assert(
      fc.property(input, (i) => {
        const r = applyRewrite(PLANS[i.plan]!, { request: i.request, params: i.params, matchedPrefix: i.matchedPrefix, upstream: CONFIGURED, listenerPort: i.listenerPort });
        const hs = r.kind === 'forward' ? r.request.headers : r.kind === 'redirect' ? r.response.headers : {};
        for (const [name, v] of Object.entries(hs)) {
          expect(name).toMatch(/^[!#$%&'*+\-.^_`|~0-9a-z]+$/);
          for (const s of Array.isArray(v) ? v : [v]) expect(String(s)).not.toMatch(/[\r\n\0]/);
          if (HOP.has(name)) expect([name, v]).toEqual(['te', expect.stringMatching(/^\s*trailers\s*$/i)]);
        }
        if (r.kind === 'redirect') expect(r.location).not.toMatch(/[\r\n\0\s]/);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('rules that claim idempotence are idempotent', () => {
    const idempotent = PLANS.map((p, idx) => [p, idx] as const).filter(([p]) => p.idempotent);
    expect(idempotent.length).toBeGreaterThan(2);
    fc.assert(
      fc.property(input, fc.integer({ min: 0, max: idempotent.length - 1 }), (i, k) => {
        const plan = idempotent[k]![0];
        const args = { params: i.params, matchedPrefix: i.matchedPrefix, upstream: CONFIGURED };
        const once = applyRewrite(plan, { request: i.request, ...args });
        if (once.kind !== 'forward') return;
        const twice = applyRewrite(plan, { request: requestFromForward(i.request, once.request), ...args });
        expect(twice).toEqual(once);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('replacePrefixMatch - properties', () => {
  const p = fc.array(cleanSegment, { maxLength: 4 });
  it('never yields an empty path or //, keeps the trailing slash, and is normalized', () => {
    fc.assert(
      fc.property(p, p, p, fc.boolean(), fc.boolean(), fc.boolean(), (prefix, rest, repl, slash, prefixSlash, replSlash) => {
        const pre = `/${prefix.join('/')}${prefixSlash ? '/' : ''}`;
        const pathSegs = [...prefix, ...rest];
        const reqPath = `/${pathSegs.join('/')}${slash && pathSegs.length > 0 ? '/' : ''}`;
        const replacement = repl.length === 0 && !replSlash ? '' : `/${repl.join('/')}${replSlash ? '/' : ''}`;
        const out = replacePrefixMatch(reqPath, pre, replacement);
        expect(out).not.toBe('');
        expect(out.includes('//')).toBe(false);
        expect(pathNormalForm(out)).toBe(out);
        if (slash && pathSegs.length > 0 && out !== '/') expect(out.endsWith('/')).toBe(true);
        const expected = `/${[...repl, ...rest].join('/')}`;
        expect(out.replace(/\/$/, '') || '/').toBe(expected === '/' ? '/' : expected);
      }),
      { numRuns: 2000 },
    );
  });
});
