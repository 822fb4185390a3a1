import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isSendableHeaderValue, type PolicyContinue, type SyResponse } from '@switchyard/core';
import { compileHeaderTemplate, setHeadersPolicy } from './set-headers.js';
import { createFrom, policyContext, sync, syRequest, validate } from '../test/traffic-context.js';

const identity = { sub: 'acme', data: { tier: 'pro', seats: 12, nested: { plan: 'gold' }, obj: { a: 1 } }, via: 'keys' };

describe('set-headers policy', () => {
  it('request headers - templates over identity, attributes, requestId, route, clientIp, backend', () => {
    const p = createFrom(setHeadersPolicy, {
      request: [
        { name: 'X-Consumer', value: '${identity.sub}' },
        { name: 'x-tier', value: 'tier=${identity.data.tier};seats=${identity.data.seats}' },
        { name: 'x-plan', value: '${ identity.data.nested.plan }' },
        { name: 'x-country', value: '${attributes.country}' },
        { name: 'x-meta', value: '${requestId} ${route.name} ${clientIp} ${backend} $${literal} $5' },
      ],
    });
    const ctx = policyContext({ identity, attributes: { country: 'DE' }, clientIp: '203.0.113.7', backend: 'eu', requestId: 'abc', route: 'orders' });
    const r = p.inbound!(syRequest({ headers: { accept: '*/*' } }), ctx) as PolicyContinue;
    expect(r.kind).toBe('continue');
    expect(r.request!.headers).toEqual({
      accept: '*/*',
      'x-consumer': 'acme',
      'x-tier': 'tier=pro;seats=12',
      'x-plan': 'gold',
      'x-country': 'DE',
      'x-meta': 'abc orders 203.0.113.7 eu ${literal} $5',
    });
  });

  it('absent values render empty, and an empty header is not set (Envoy keep_empty_value false); objects never render', () => {
    const p = createFrom(setHeadersPolicy, { request: [{ name: 'x-consumer', value: '${identity.sub}' }, { name: 'x-obj', value: '${identity.data.obj}' }, { name: 'x-proto', value: '${attributes.constructor}${attributes.__proto__}' }] });
    const r = p.inbound!(syRequest(), policyContext()) as PolicyContinue;
    expect(r.request!.headers).toEqual({});
    const r2 = p.inbound!(syRequest(), policyContext({ identity })) as PolicyContinue;
    expect(r2.request!.headers).toEqual({ 'x-consumer': 'acme' });
  });

  it('overwrite false keeps the header the client sent; true (default) replaces it; remove runs first', () => {
    const p = createFrom(setHeadersPolicy, {
      request: [
        { name: 'x-a', value: 'gateway', overwrite: false },
        { name: 'x-b', value: 'gateway' },
        { name: 'x-c', value: 'gateway', overwrite: false },
      ],
      remove: { request: ['x-c', 'X-Debug'] },
    });
    const r = p.inbound!(syRequest({ headers: { 'x-a': 'client', 'x-b': 'client', 'x-c': 'client', 'x-debug': '1' } }), policyContext()) as PolicyContinue;
    expect(r.request!.headers).toEqual({ 'x-a': 'client', 'x-b': 'gateway', 'x-c': 'gateway' });
  });

  it('unsendable rendered request value - 400 SY_BAD_REQUEST with a fixed message (the client data, never the upstream)', () => {
    const p = createFrom(setHeadersPolicy, { request: [{ name: 'x-country', value: '${attributes.country}' }] });
    for (const bad of ['DE\r\nx-admin: 1', 'a\u0000b', 'caf\u00e9\u2603']) {
      expect(p.inbound!(syRequest(), policyContext({ attributes: { country: bad } }))).toEqual({
        kind: 'reject',
        code: 'SY_BAD_REQUEST',
        message: 'A request header derived from the request is not a valid header value.',
      });
    }
    // obs-text (latin-1) is sendable.
    expect((p.inbound!(syRequest(), policyContext({ attributes: { country: 'caf\u00e9' } })) as PolicyContinue).request!.headers['x-country']).toBe('caf\u00e9');
  });

  it('response headers - set, overwrite, remove, every status; an unsendable rendered value is dropped', () => {
    const p = createFrom(setHeadersPolicy, {
      response: [
        { name: 'x-served-by', value: 'edge-1', overwrite: false },
        { name: 'x-consumer', value: '${identity.sub}' },
        { name: 'set-cookie', value: 'region=${attributes.region}' },
      ],
      remove: { response: ['server'] },
    });
    expect(p.inbound).toBeUndefined();
    const upstream: SyResponse = { status: 503, headers: { server: 'nginx', 'x-served-by': 'origin', 'set-cookie': ['a=1', 'b=2'] }, body: null };
    const res = p.outbound!(upstream, syRequest(), policyContext({ identity, attributes: { region: 'US-CA' } })) as SyResponse;
    expect(res).toEqual({ status: 503, headers: { 'x-served-by': 'origin', 'x-consumer': 'acme', 'set-cookie': 'region=US-CA' }, body: null });
    const bad = p.outbound!({ status: 200, headers: {}, body: null }, syRequest(), policyContext({ identity: { sub: 'a\nb', data: {} } })) as SyResponse;
    // Only a value that renders wholly empty is skipped: 'region=' is still set.
    expect(bad.headers).toEqual({ 'x-served-by': 'edge-1', 'set-cookie': 'region=' });
  });

  it('options - hop-by-hop and gateway-owned names refused, templates checked, duplicates refused, by path', () => {
    const r = validate(setHeadersPolicy, {
      request: [
        { name: 'Connection', value: 'close' },
        { name: 'transfer-encoding', value: 'chunked' },
        { name: 'host', value: 'evil.test' },
        { name: 'x ok', value: 'v' },
        { name: 'x-a', value: '${identity}' },
        { name: 'x-b', value: '${env.SECRET}' },
        { name: 'x-c', value: 'a${identity.sub' },
        { name: 'x-d', value: 'bad\r\nvalue' },
      ],
      remove: { response: ['content-length'] },
    });
    expect(r.ok).toBe(false);
    const paths = (r as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(['request.0.name', 'request.1.name', 'request.2.name', 'request.3.name', 'request.4.value', 'request.5.value', 'request.6.value', 'request.7.value', 'remove.response.0']);
    expect(validate(setHeadersPolicy, { response: [{ name: 'x-a', value: '1' }, { name: 'X-A', value: '2' }] })).toMatchObject({ ok: false, issues: [{ path: 'response.1', message: "sets 'x-a' twice" }] });
    expect(validate(setHeadersPolicy, {})).toMatchObject({ ok: false, issues: [{ message: 'sets or removes nothing' }] });
    expect(validate(setHeadersPolicy, { request: [{ name: 'x', value: 'y', overwrite: 'yes' }] })).toMatchObject({ ok: false, issues: [{ path: 'request.0.overwrite' }] });
  });

  it('compileHeaderTemplate - text and references in order', () => {
    expect(compileHeaderTemplate('a${identity.sub}b$${c}')).toEqual({ parts: ['a', { root: 'identity', path: ['sub'] }, 'b${c}'] });
    expect(compileHeaderTemplate('${route.id}')).toMatchObject({ problem: expect.stringContaining('route.name') });
    expect(compileHeaderTemplate('${requestId.x}')).toMatchObject({ problem: expect.stringContaining('no fields') });
  });

  it('property - every request header the policy sets is sendable, whatever the attribute holds', () => {
    const p = createFrom(setHeadersPolicy, { request: [{ name: 'x-v', value: 'v=${attributes.v}' }] });
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 24 }), fc.integer(), fc.constant(undefined)), (value) => {
        const r = sync(p.inbound!(syRequest(), policyContext({ attributes: { v: value } })));
        if (r.kind === 'continue') {
          for (const v of Object.values(r.request!.headers)) expect(isSendableHeaderValue(v!)).toBe(true);
        } else {
          expect(r).toMatchObject({ kind: 'reject', code: 'SY_BAD_REQUEST' });
        }
      }),
      { numRuns: 500 },
    );
  });
});
