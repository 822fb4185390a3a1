import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CONTINUE, type SyResponse } from '@switchyard/core';
import { corsPolicy, isCorsPreflight } from './cors.js';
import { createFrom, policyContext, sync, syRequest, validate } from '../test/traffic-context.js';

const preflight = (origin: string, extra: Record<string, string> = {}) =>
  syRequest({ method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PUT', ...extra } });
const ok: SyResponse = { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' };

describe('cors policy', () => {
  it('preflight from an allowed origin - answered 204 at the gateway with the allow headers', () => {
    const p = createFrom(corsPolicy, { origins: ['https://app.example.com'], maxAgeSeconds: 600, allowHeaders: ['Content-Type', 'x-api-key'] });
    const r = p.inbound!(preflight('https://app.example.com', { 'access-control-request-headers': 'content-type' }), policyContext());
    expect(r).toEqual({
      kind: 'respond',
      response: {
        status: 204,
        headers: {
          'access-control-allow-origin': 'https://app.example.com',
          'access-control-allow-methods': 'GET, HEAD, PUT, PATCH, POST, DELETE',
          'access-control-allow-headers': 'content-type, x-api-key',
          'access-control-max-age': '600',
          vary: 'Origin',
        },
        body: null,
      },
    });
  });

  it('preflight - unset allowHeaders reflects the requested ones (tokens only) and varies on them', () => {
    const p = createFrom(corsPolicy, { origins: '*' });
    const r = p.inbound!(preflight('https://x.test', { 'access-control-request-headers': 'X-Trace, Content-Type' }), policyContext());
    expect(r).toMatchObject({ kind: 'respond', response: { headers: { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'x-trace, content-type', vary: 'Access-Control-Request-Headers' } } });
    const bad = sync(p.inbound!(preflight('https://x.test', { 'access-control-request-headers': 'x-ok, bad header' }), policyContext()));
    expect(bad.kind).toBe('respond');
    expect((bad as { response: SyResponse }).response.headers['access-control-allow-headers']).toBeUndefined();
  });

  it('preflight from a disallowed origin - 403 SY_FORBIDDEN, never forwarded', () => {
    const p = createFrom(corsPolicy, { origins: ['https://app.example.com'] });
    expect(p.inbound!(preflight('https://evil.example'), policyContext())).toEqual({ kind: 'reject', code: 'SY_FORBIDDEN', message: 'CORS preflight from an origin that is not allowed.' });
    expect(p.inbound!(preflight('null'), policyContext())).toMatchObject({ kind: 'reject', code: 'SY_FORBIDDEN' });
  });

  it('not a preflight - OPTIONS without Access-Control-Request-Method, or without Origin, continues', () => {
    const p = createFrom(corsPolicy, { origins: '*' });
    expect(p.inbound!(syRequest({ method: 'OPTIONS', headers: { origin: 'https://a.test' } }), policyContext())).toBe(CONTINUE);
    expect(p.inbound!(syRequest({ method: 'OPTIONS', headers: { 'access-control-request-method': 'GET' } }), policyContext())).toBe(CONTINUE);
    expect(isCorsPreflight(syRequest({ method: 'GET', headers: { origin: 'https://a.test', 'access-control-request-method': 'GET' } }))).toBe(false);
  });

  it('simple request - any origin without credentials: *, no Vary', () => {
    const p = createFrom(corsPolicy, { origins: '*', exposeHeaders: ['X-Request-Id'] });
    const req = syRequest({ headers: { origin: 'https://a.test' } });
    expect(p.inbound!(req, policyContext())).toBe(CONTINUE);
    const res = p.outbound!(ok, req, policyContext()) as SyResponse;
    expect(res.headers).toEqual({ 'content-type': 'application/json', 'access-control-allow-origin': '*', 'access-control-expose-headers': 'x-request-id' });
    // No Origin: nothing to add.
    expect(p.outbound!(ok, syRequest(), policyContext())).toBe(ok);
  });

  it('credentials - the origin is echoed (never *), with Allow-Credentials and Vary: Origin', () => {
    const p = createFrom(corsPolicy, { origins: '*', credentials: true });
    const res = p.outbound!({ status: 200, headers: { vary: 'Accept-Encoding' }, body: null }, syRequest({ headers: { origin: 'https://a.test' } }), policyContext()) as SyResponse;
    expect(res.headers).toEqual({ vary: 'Accept-Encoding, Origin', 'access-control-allow-origin': 'https://a.test', 'access-control-allow-credentials': 'true' });
    const pre = p.inbound!(preflight('https://a.test'), policyContext());
    expect(pre).toMatchObject({ kind: 'respond', response: { headers: { 'access-control-allow-origin': 'https://a.test', 'access-control-allow-credentials': 'true' } } });
  });

  it('disallowed origin on a normal request - no CORS headers, no error, but Vary: Origin (caches)', () => {
    const p = createFrom(corsPolicy, { origins: ['https://app.example.com'] });
    const req = syRequest({ headers: { origin: 'https://evil.example' } });
    expect(p.inbound!(req, policyContext())).toBe(CONTINUE);
    expect((p.outbound!(ok, req, policyContext()) as SyResponse).headers).toEqual({ 'content-type': 'application/json', vary: 'Origin' });
    // A request without Origin still gets Vary: Origin when the answer depends on it.
    expect((p.outbound!(ok, syRequest(), policyContext()) as SyResponse).headers['vary']).toBe('Origin');
  });

  it('finalizer - a 401 from an auth policy carries the CORS headers (policies.md §7 #7)', () => {
    const p = createFrom(corsPolicy, { origins: ['https://app.example.com'], credentials: true });
    expect(p.finalizer).toBe(true);
    const unauthorized: SyResponse = { status: 401, headers: { 'www-authenticate': 'Bearer', 'content-type': 'application/problem+json' }, body: '{}' };
    const res = p.outbound!(unauthorized, syRequest({ headers: { origin: 'https://app.example.com' } }), policyContext()) as SyResponse;
    expect(res.status).toBe(401);
    expect(res.headers).toMatchObject({ 'www-authenticate': 'Bearer', 'access-control-allow-origin': 'https://app.example.com', 'access-control-allow-credentials': 'true', vary: 'Origin' });
  });

  it('outbound on its own preflight answer is idempotent (no duplicate Vary)', () => {
    const p = createFrom(corsPolicy, { origins: ['https://app.example.com'] });
    const req = preflight('https://app.example.com');
    const r = p.inbound!(req, policyContext()) as { response: SyResponse };
    const again = p.outbound!(r.response, req, policyContext()) as SyResponse;
    expect(again.headers).toEqual(r.response.headers);
  });

  it('origin patterns - one or more labels in place of *, same scheme and port, never the bare domain', () => {
    const p = createFrom(corsPolicy, { origins: ['https://*.example.com', 'http://localhost:5173', 'https://api.example.org:443'] });
    const allowed = (origin: string) => sync(p.inbound!(preflight(origin), policyContext())).kind === 'respond';
    expect(allowed('https://app.example.com')).toBe(true);
    expect(allowed('https://a.b.example.com')).toBe(true);
    expect(allowed('https://example.com')).toBe(false);
    expect(allowed('http://app.example.com')).toBe(false);
    expect(allowed('https://app.example.com:8443')).toBe(false);
    expect(allowed('https://evilexample.com')).toBe(false);
    expect(allowed('https://app.example.com.evil.test')).toBe(false);
    expect(allowed('https://.example.com')).toBe(false);
    expect(allowed('https://a..example.com')).toBe(false);
    expect(allowed('http://localhost:5173')).toBe(true);
    expect(allowed('http://localhost:5174')).toBe(false);
    // The default port is dropped as browsers do.
    expect(allowed('https://api.example.org')).toBe(true);
    // Browsers serialize origins lower-case; a path or spaces make no origin.
    expect(allowed('https://app.example.com/')).toBe(false);
    expect(allowed('https://app.example.com x')).toBe(false);
  });

  it('options - bad origins, wildcards with credentials, unknown keys by path', () => {
    expect(validate(corsPolicy, { origins: ['https://a.test/', 'null', 'https://a.*.test', '*.test'] })).toMatchObject({
      ok: false,
      issues: [{ path: 'origins.0' }, { path: 'origins.1' }, { path: 'origins.2' }, { path: 'origins.3' }],
    });
    expect(validate(corsPolicy, { origins: [] }).ok).toBe(false);
    expect(validate(corsPolicy, { origins: '*', credentials: true, allowHeaders: ['*'] })).toMatchObject({ ok: false, issues: [{ path: 'allowHeaders' }] });
    expect(validate(corsPolicy, { origins: '*', credentials: true, exposeHeaders: ['*'] })).toMatchObject({ ok: false, issues: [{ path: 'exposeHeaders' }] });
    expect(validate(corsPolicy, { origins: '*', credentials: true, methods: ['*'] })).toMatchObject({ ok: false, issues: [{ path: 'methods' }] });
    expect(validate(corsPolicy, { origins: '*', maxAgeSeconds: -1 })).toMatchObject({ ok: false, issues: [{ path: 'maxAgeSeconds' }] });
    expect(validate(corsPolicy, { origins: '*', allowedOrigins: [] })).toMatchObject({ ok: false, issues: [{ path: 'allowedOrigins' }] });
    expect(validate(corsPolicy, { origins: '*', allowHeaders: ['*'] }).ok).toBe(true);
  });

  it('property - pattern matching agrees with a URL-parsing reference (scheme, port and suffix exact, labels only)', () => {
    const p = createFrom(corsPolicy, { origins: ['https://*.example.com', 'http://localhost:3000'] });
    const allowed = (origin: string) => sync(p.inbound!(preflight(origin), policyContext())).kind === 'respond';
    const reference = (origin: string): boolean => {
      let u: URL;
      try {
        u = new URL(origin);
      } catch {
        return false;
      }
      // Only what a browser would send: the serialized origin itself.
      if (u.origin !== origin) return false;
      if (origin === 'http://localhost:3000') return true;
      return u.protocol === 'https:' && u.port === '' && u.hostname.endsWith('.example.com') && /^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(u.hostname.slice(0, -'.example.com'.length));
    };
    const label = fc.stringMatching(/^[a-z0-9-]{1,6}$/);
    const origin = fc.oneof(
      fc
        .tuple(fc.constantFrom('https', 'http', 'wss'), fc.array(label, { minLength: 0, maxLength: 3 }), fc.constantFrom('example.com', 'example.org', 'evil-example.com', 'localhost', 'example.com.evil'), fc.constantFrom('', ':443', ':3000', ':8443'))
        .map(([scheme, labels, domain, port]) => `${scheme}://${[...labels, domain].join('.')}${port}`),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(origin, (o) => {
        expect(allowed(o)).toBe(reference(o));
      }),
      { numRuns: 3000 },
    );
  });

  it('property - never Access-Control-Allow-Origin * together with credentials; an echoed origin is the request origin', () => {
    const origin = fc.oneof(
      fc.constantFrom('https://app.example.com', 'https://x.example.com', 'http://localhost:3000', 'null', 'https://evil.test'),
      fc.string({ maxLength: 30 }),
    );
    const config = fc.record({
      origins: fc.oneof(fc.constant('*' as const), fc.constant(['https://app.example.com', 'https://*.example.com'])),
      credentials: fc.boolean(),
    });
    fc.assert(
      fc.property(config, origin, fc.boolean(), fc.integer({ min: 200, max: 599 }), (cfg, o, isPreflight, status) => {
        const p = createFrom(corsPolicy, cfg);
        const req = isPreflight ? preflight(o) : syRequest({ headers: { origin: o } });
        const r = sync(p.inbound!(req, policyContext()));
        const res = r.kind === 'respond' ? r.response : (p.outbound!({ status, headers: {}, body: null }, req, policyContext()) as SyResponse);
        const acao = res.headers['access-control-allow-origin'];
        if (res.headers['access-control-allow-credentials'] === 'true') expect(acao).not.toBe('*');
        if (cfg.credentials) expect(acao).not.toBe('*');
        if (acao !== undefined && acao !== '*') expect(acao).toBe(o);
      }),
      { numRuns: 2000 },
    );
  });
});
