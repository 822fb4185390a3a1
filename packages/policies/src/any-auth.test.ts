import { describe, expect, it } from 'vitest';
import type { InboundResult, Policy, PolicyContinue, PolicyReject } from '@switchyard/core';
import { createTestClock } from '@switchyard/testing';
import { anyAuth, apiKey } from './index.js';
import { hasErrorParam } from './any-auth.js';
import { build, ctx, request } from '../test/context.js';

const KEY = 'key-of-acme-000000';
const TOKEN_KEY = 'token-of-bob-00000';

function sync(r: InboundResult | Promise<InboundResult>): InboundResult {
  if (r instanceof Promise) throw new Error('expected a synchronous answer');
  return r;
}

/** Two api-key instances standing for two schemes: Bearer in Authorization, and x-api-key. */
function members(clock = createTestClock(), extra: Record<string, unknown> = {}) {
  const header = build(apiKey, { consumers: [{ id: 'acme', tier: 'free', keys: [KEY] }], header: 'x-api-key', ...extra }, { clock, name: 'keys' });
  const bearer = build(apiKey, { consumers: [{ id: 'bob', keys: [TOKEN_KEY] }], realm: 'tokens', allow: { consumers: ['bob'] } }, { clock, name: 'tokens' });
  return { keys: header, tokens: bearer } as Record<string, Policy>;
}

describe('any-auth', () => {
  it('the first member that authenticates wins; its identity (via the member) and stripped request are kept', () => {
    const clock = createTestClock();
    const p = build(anyAuth, { policies: ['keys', 'tokens'] }, { clock, name: 'auth', others: members(clock) });
    const byHeader = sync(p.inbound!(request({ headers: { 'x-api-key': KEY } }), ctx({ clock }))) as PolicyContinue;
    expect(byHeader.identity).toEqual({ sub: 'acme', data: { tier: 'free' }, via: 'keys' });
    expect(byHeader.request?.headers).toEqual({});
    const byBearer = sync(p.inbound!(request({ headers: { authorization: `Bearer ${TOKEN_KEY}` } }), ctx({ clock }))) as PolicyContinue;
    expect(byBearer.identity?.sub).toBe('bob');
    expect(byBearer.identity?.via).toBe('tokens');
    expect(p.provides).toEqual(['identity']);
  });

  it('no credentials at all - 401 with every challenge in one WWW-Authenticate (RFC 9110 §11.6.1)', () => {
    const clock = createTestClock();
    const p = build(anyAuth, { policies: ['keys', 'tokens'] }, { clock, others: members(clock) });
    const r = sync(p.inbound!(request(), ctx({ clock }))) as PolicyReject;
    expect(r).toMatchObject({ kind: 'reject', code: 'SY_UNAUTHORIZED' });
    expect(r.headers?.['www-authenticate']).toBe('ApiKey realm="api", in="header", name="x-api-key", Bearer realm="tokens"');
  });

  it('bad credentials for one member and none for the other - 401 with the invalid member\'s message and both challenges', () => {
    const clock = createTestClock();
    const p = build(anyAuth, { policies: ['keys', 'tokens'] }, { clock, others: members(clock) });
    const r = sync(p.inbound!(request({ headers: { authorization: 'Bearer wrong-wrong-wrong' } }), ctx({ clock }))) as PolicyReject;
    expect(r.message).toBe('Invalid API key.');
    expect(r.headers?.['www-authenticate']).toBe('ApiKey realm="api", in="header", name="x-api-key", Bearer realm="tokens", error="invalid_token"');
  });

  it('a non-401 answer from a member (403 outside its allow list) is returned as is; later members are not tried', () => {
    const clock = createTestClock();
    const others = members(clock);
    const tokensFirst = build(apiKey, { consumers: [{ id: 'eve', keys: [TOKEN_KEY] }], allow: { tiers: ['gold'] } }, { clock, name: 'strict' });
    const p = build(anyAuth, { policies: ['strict', 'keys'] }, { clock, others: { ...others, strict: tokensFirst } });
    const r = sync(p.inbound!(request({ headers: { authorization: `Bearer ${TOKEN_KEY}`, 'x-api-key': KEY } }), ctx({ clock }))) as PolicyReject;
    expect(r.code).toBe('SY_FORBIDDEN');
  });

  it('allowAnonymous - no credentials continue without identity; bad credentials are still a 401', () => {
    const clock = createTestClock();
    const p = build(anyAuth, { policies: ['keys', 'tokens'], allowAnonymous: true }, { clock, others: members(clock) });
    expect(sync(p.inbound!(request(), ctx({ clock })))).toEqual({ kind: 'continue' });
    expect(sync(p.inbound!(request({ headers: { 'x-api-key': 'bad-bad-bad-bad' } }), ctx({ clock })))).toMatchObject({ code: 'SY_UNAUTHORIZED' });
  });

  it('a member with its own allowAnonymous that found nothing does not end the search', () => {
    const clock = createTestClock();
    const p = build(anyAuth, { policies: ['keys', 'tokens'] }, { clock, others: members(clock, { allowAnonymous: true }) });
    expect((sync(p.inbound!(request({ headers: { authorization: `Bearer ${TOKEN_KEY}` } }), ctx({ clock }))) as PolicyContinue).identity?.sub).toBe('bob');
  });

  it('asynchronous members are awaited in order; synchronous ones keep the answer synchronous', async () => {
    const clock = createTestClock();
    const slowNo: Policy = { type: 'slow', provides: ['identity'], inbound: async () => ({ kind: 'reject', code: 'SY_UNAUTHORIZED', message: 'no', headers: { 'www-authenticate': 'Slow realm="s"' } }) };
    const p = build(anyAuth, { policies: ['slow', 'tokens'] }, { clock, others: { ...members(clock), slow: slowNo } });
    const r = p.inbound!(request({ headers: { authorization: `Bearer ${TOKEN_KEY}` } }), ctx({ clock }));
    expect(r).toBeInstanceOf(Promise);
    expect(((await r) as PolicyContinue).identity?.sub).toBe('bob');
    const none = (await p.inbound!(request(), ctx({ clock }))) as PolicyReject;
    expect(none.headers?.['www-authenticate']).toBe('Slow realm="s", Bearer realm="tokens"');
  });

  it('describe - one line for explain()', () => {
    const clock = createTestClock();
    expect(build(anyAuth, { policies: ['keys', 'tokens'], allowAnonymous: true }, { clock, others: members(clock) }).describe?.()).toBe('any of keys, tokens (anonymous allowed)');
  });

  it('hasErrorParam - an error auth-param outside quoted strings (RFC 6750 §3.1 marks bad credentials with it)', () => {
    expect(hasErrorParam('Bearer realm="api", error="invalid_token"')).toBe(true);
    expect(hasErrorParam('Bearer error=invalid_token')).toBe(true);
    expect(hasErrorParam('Bearer realm="api"')).toBe(false);
    expect(hasErrorParam('Bearer realm="a, error=b"')).toBe(false);
    expect(hasErrorParam(String.raw`Bearer realm="a\", error="b"`)).toBe(false);
    expect(hasErrorParam('Bearer realm="x", terror="y"')).toBe(false);
  });

  it('create-time checks by path: unknown names, itself, non-auth policies, duplicates', () => {
    const clock = createTestClock();
    const notAuth: Policy = { type: 'set-headers', inbound: () => ({ kind: 'continue' }) };
    expect(() => build(anyAuth, { policies: ['keys', 'nope'] }, { clock, others: members(clock) })).toThrow(/policies\[1\]: unknown policy "nope"/);
    expect(() => build(anyAuth, { policies: ['auth'] }, { clock, name: 'auth', others: members(clock) })).toThrow(/policies\[0\]: any-auth cannot list itself/);
    expect(() => build(anyAuth, { policies: ['h'] }, { clock, others: { h: notAuth } })).toThrow(/is not an auth policy/);
    expect(() => build(anyAuth, { policies: ['keys', 'keys'] }, { clock, others: members(clock) })).toThrow(/policies: lists a policy twice/);
    expect(anyAuth.options!['~standard'].validate({ policies: [] })).toMatchObject({ issues: [{ message: 'must name at least one auth policy' }] });
  });
});
