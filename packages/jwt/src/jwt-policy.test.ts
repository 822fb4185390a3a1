import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SignJWT, base64url, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { isSendableHeaderValue, isSwitchyardError, type InboundResult, type Policy, type PolicyContext, type PolicyReject, type SyRequest, type Transport } from '@switchyard/core';
import { createMockTransport, createTestClock, createTestJwks, seededRng, type TestClock, type TestJwks, type TestJwksAlgorithm } from '@switchyard/testing';
import { createJwtPolicy, jwtPolicy, parseJwtOptions, type JwtPolicyInput } from './index.js';

const T0 = Date.UTC(2026, 0, 1);

function ctx(clock: TestClock): PolicyContext {
  return {
    requestId: 'req-1',
    route: { name: 'orders', metadata: {} },
    policy: 'auth',
    clock,
    rng: seededRng(1),
    now: clock.now(),
    identity: undefined,
    attributes: {},
    backend: undefined,
    clientIp: '203.0.113.7',
    trustedPeer: false,
    geo: () => undefined,
  };
}

function request(headers: Record<string, string> = {}, query = ''): SyRequest {
  return { method: 'GET', scheme: 'https', authority: 'api.test', path: '/orders', query, headers, attributes: {} };
}

const bearer = (token: string, extra: Record<string, string> = {}): SyRequest => request({ authorization: `Bearer ${token}`, 'x-other': 'kept', ...extra });

interface Setup {
  readonly clock: TestClock;
  readonly idp: TestJwks;
  readonly policy: Policy;
  run(req: SyRequest): Promise<InboundResult>;
}

/** A policy on a local issuer. ES256 by default (key generation in a millisecond); RS256 where the test is about RSA. */
async function setup(options: Partial<JwtPolicyInput> = {}, provider: Record<string, unknown> = {}, algorithms: readonly TestJwksAlgorithm[] = ['ES256']): Promise<Setup> {
  const clock = createTestClock({ wallNow: T0 });
  const idp = await createTestJwks({ clock, algorithms });
  const policy = make(clock, { providers: [idp.provider(provider)], ...options } as JwtPolicyInput, idp.transport);
  return { clock, idp, policy, run: (req) => Promise.resolve((policy.inbound as NonNullable<Policy['inbound']>)(req, ctx(clock))) };
}

function make(clock: TestClock, input: JwtPolicyInput, transport?: Transport): Policy {
  return createJwtPolicy(input, { name: 'auth', clock, rng: seededRng(1), ...(transport !== undefined ? { transport } : {}), policy: () => undefined });
}

function expectReject(result: InboundResult, status: 401 | 403, reason: string): PolicyReject {
  expect(result.kind).toBe('reject');
  const r = result as PolicyReject;
  expect(r.code).toBe(status === 401 ? 'SY_UNAUTHORIZED' : 'SY_FORBIDDEN');
  expect(r.detail?.['reason']).toBe(reason);
  expect(r.headers?.['www-authenticate']).toMatch(/^Bearer realm="api"/);
  return r;
}

function expectContinue(result: InboundResult): Extract<InboundResult, { kind: 'continue' }> {
  if (result.kind !== 'continue') throw new Error(`expected continue, got ${JSON.stringify(result)}`);
  return result;
}

/** A compact JWS by hand: header and payload as given, signature bytes as given. */
function compact(header: object, payload: object, signature = ''): string {
  return `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}.${signature}`;
}

describe('jwt policy - valid tokens', () => {
  it('inbound - a valid token continues with the identity, and the token is stripped', async () => {
    const { idp, run } = await setup({}, {}, ['RS256']);
    const token = await idp.sign({ sub: 'alice', tenant: 'acme' });
    const result = expectContinue(await run(bearer(token)));
    expect(result.identity).toEqual({ sub: 'alice', data: expect.objectContaining({ tenant: 'acme', iss: idp.issuer, aud: 'api' }), via: 'auth' });
    expect(result.identity?.data).not.toHaveProperty('sub');
    expect(result.request?.headers['authorization']).toBeUndefined();
    expect(result.request?.headers['x-other']).toBe('kept');
  });

  it('inbound - forwardToken: true keeps the Authorization header', async () => {
    const { idp, run } = await setup({ forwardToken: true });
    const token = await idp.sign();
    const result = expectContinue(await run(bearer(token)));
    expect(result.request).toBeUndefined();
    expect(result.identity?.sub).toBe('user-1');
  });

  it('inbound - the Bearer scheme is case-insensitive (RFC 9110 §11.1)', async () => {
    const { idp, run } = await setup();
    const token = await idp.sign();
    expectContinue(await run(request({ authorization: `bEaReR   ${token}` })));
  });

  it('jwtPolicy - is a Standard Schema policy definition whose validation fills the defaults', async () => {
    const result = await jwtPolicy.options?.['~standard'].validate({ providers: [{ issuer: 'i', jwks: { keys: [] }, algorithms: ['ES256'] }] });
    expect(result?.issues).toBeUndefined();
    const value = (result as { value: unknown } as { value: Record<string, unknown> }).value;
    expect(value).toMatchObject({ requireExp: true, clockSkewSeconds: 60, token: { from: 'bearer' }, forwardToken: false, allowAnonymous: false, verifiedCacheSize: 0 });
    expect((value['providers'] as Record<string, unknown>[])[0]).toMatchObject({ cacheMaxAgeMs: 600_000, cooldownMs: 30_000, subjectClaim: 'sub' });
    expect(jwtPolicy.type).toBe('jwt');
  });

  it('policy - provides identity and describes itself', async () => {
    const { policy, idp } = await setup();
    expect(policy.provides).toEqual(['identity']);
    expect(policy.describe?.()).toBe(`jwt: issuer ${idp.issuer}; token from Authorization: Bearer (stripped); exp required; clock skew 60 s`);
  });
});

describe('jwt policy - refused tokens', () => {
  it('inbound - no token: 401 with a challenge and no error code (RFC 6750 §3.1)', async () => {
    const { run } = await setup();
    const r = expectReject(await run(request()), 401, 'missing');
    expect(r.headers?.['www-authenticate']).toBe('Bearer realm="api"');
    // Another scheme is not a bearer token either.
    expectReject(await run(request({ authorization: 'Basic YTpi' })), 401, 'missing');
  });

  it('inbound - expired token: 401 invalid_token "expired"', async () => {
    const { idp, run, clock } = await setup();
    const token = await idp.sign({}, { expiresInS: 10 });
    clock.advance(10_000 + 60_000);
    const r = expectReject(await run(bearer(token)), 401, 'expired');
    expect(r.headers?.['www-authenticate']).toBe('Bearer realm="api", error="invalid_token", error_description="The access token expired"');
  });

  it('inbound - not yet valid (nbf beyond the skew): 401', async () => {
    const { idp, run } = await setup();
    const token = await idp.sign({}, { notBeforeInS: 61 });
    expectReject(await run(bearer(token)), 401, 'not-yet-valid');
  });

  it('inbound - wrong audience: 401', async () => {
    const { idp, run } = await setup();
    expectReject(await run(bearer(await idp.sign({ aud: 'billing' }))), 401, 'invalid');
    expectReject(await run(bearer(await idp.sign({ aud: undefined }))), 401, 'invalid');
    // Any one of the audiences is enough (an intersection, as Envoy and jose).
    expectContinue(await run(bearer(await idp.sign({ aud: ['billing', 'api'] }))));
  });

  it('inbound - wrong issuer: 401, even when signed by the right key', async () => {
    const { idp, run } = await setup();
    expectReject(await run(bearer(await idp.sign({ iss: 'https://evil.test/' }))), 401, 'invalid');
  });

  it('inbound - several providers: the unverified iss only picks the keys; an unknown iss fetches nothing', async () => {
    const clock = createTestClock({ wallNow: T0 });
    const a = await createTestJwks({ clock, issuer: 'https://a.test/', algorithms: ['ES256'] });
    const b = await createTestJwks({ clock, issuer: 'https://b.test/', algorithms: ['ES256'] });
    const policy = make(clock, { providers: [{ ...a.provider(), jwksUri: undefined, jwks: a.jwks() }, { ...b.provider(), jwksUri: undefined, jwks: b.jwks() }] } as JwtPolicyInput);
    const run = (r: SyRequest) => Promise.resolve(policy.inbound?.(r, ctx(clock)) as InboundResult);
    expect(expectContinue(await run(bearer(await a.sign({ sub: 'from-a' })))).identity?.sub).toBe('from-a');
    expect(expectContinue(await run(bearer(await b.sign({ sub: 'from-b' })))).identity?.sub).toBe('from-b');
    // Signed by b, claiming to be a: a's keys do not verify it.
    expectReject(await run(bearer(await b.sign({ iss: 'https://a.test/' }))), 401, 'invalid');
    expectReject(await run(bearer(await a.sign({ iss: 'https://c.test/' }))), 401, 'invalid');
    expectReject(await run(bearer('not.a.jwt')), 401, 'invalid');
  });

  it('inbound - wrong algorithm: an HS256 token against an RS256 provider is refused before any key lookup', async () => {
    const { idp, run } = await setup({}, {}, ['RS256']);
    await run(bearer(await idp.sign())); // the set is fetched once
    const fetches = idp.transport.fetches;
    const secret = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
    const hs = await new SignJWT({ iss: idp.issuer, aud: 'api', sub: 'mallory', exp: T0 / 1000 + 300 }).setProtectedHeader({ alg: 'HS256', kid: idp.currentKid() }).sign(secret);
    expectReject(await run(bearer(hs)), 401, 'invalid');
    expect(idp.transport.fetches).toBe(fetches);
  });

  it('inbound - algorithm confusion: HS256 signed with the RSA public key as the HMAC secret is refused', async () => {
    const { idp, run } = await setup({}, {}, ['RS256']);
    const kid = idp.currentKid();
    const publicKey = idp.publicKey(kid);
    const claims = { iss: idp.issuer, aud: 'api', sub: 'mallory', exp: T0 / 1000 + 300 };
    // The classic attack: the public key bytes an attacker can download, used as an HMAC key.
    const pem = new TextEncoder().encode(await exportSPKI(publicKey));
    const jwkBytes = new TextEncoder().encode(JSON.stringify(await exportJWK(publicKey)));
    const nBytes = base64url.decode((await exportJWK(publicKey)).n as string);
    for (const secret of [pem, jwkBytes, nBytes]) {
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).sign(secret);
      expectReject(await run(bearer(forged)), 401, 'invalid');
    }
  });

  it('inbound - alg "none": an unsecured token is refused (and "none" is refused in config)', async () => {
    const { idp, run } = await setup();
    const claims = { iss: idp.issuer, aud: 'api', sub: 'mallory', exp: T0 / 1000 + 300 };
    expectReject(await run(bearer(compact({ alg: 'none', typ: 'JWT' }, claims))), 401, 'invalid');
    expectReject(await run(bearer(compact({ alg: 'none' }, claims, 'AAAA'))), 401, 'invalid');
    expectReject(await run(bearer(compact({ alg: 'NONE', kid: idp.currentKid() }, claims))), 401, 'invalid');
    expect(() => parseJwtOptions({ providers: [{ issuer: 'i', jwks: { keys: [] }, algorithms: ['none'] }] })).toThrow(/providers\[0\]\.algorithms\[0\]: alg "none" is refused/);
  });

  it('inbound - missing exp is refused by default, accepted with requireExp: false', async () => {
    const strict = await setup();
    expectReject(await strict.run(bearer(await strict.idp.sign({}, { expiresInS: null }))), 401, 'invalid');
    const lax = await setup({ requireExp: false });
    expectContinue(await lax.run(bearer(await lax.idp.sign({}, { expiresInS: null }))));
  });

  it('inbound - a token without the subject claim is refused; subjectClaim picks another claim', async () => {
    const { idp, run } = await setup();
    expectReject(await run(bearer(await idp.sign({ sub: undefined }))), 401, 'invalid');
    const oid = await setup({}, { subjectClaim: 'oid' });
    const result = expectContinue(await oid.run(bearer(await oid.idp.sign({ oid: 42 }))));
    expect(result.identity?.sub).toBe('42');
    expect(result.identity?.data['sub']).toBe('user-1');
  });

  it('inbound - typ pins the token type (RFC 8725 §3.11): an ID token is not an access token', async () => {
    const { idp, run } = await setup({}, { typ: 'at+jwt' });
    expectReject(await run(bearer(await idp.sign({}, { typ: 'JWT' }))), 401, 'invalid');
    expectContinue(await run(bearer(await idp.sign({}, { typ: 'at+jwt' }))));
    expectContinue(await run(bearer(await idp.sign({}, { typ: 'application/at+jwt' }))));
  });

  it('inbound - requiredClaims must be present', async () => {
    const { idp, run } = await setup({}, { requiredClaims: ['jti'] });
    expectReject(await run(bearer(await idp.sign())), 401, 'invalid');
    expectContinue(await run(bearer(await idp.sign({ jti: 'x1' }))));
  });

  it('inbound - an empty, oversized or malformed token is invalid, not missing', async () => {
    const { run } = await setup({ allowAnonymous: true });
    expectReject(await run(request({ authorization: 'Bearer ' + 'a'.repeat(20_000) })), 401, 'invalid');
    expectReject(await run(request({ authorization: 'Bearer a.b' })), 401, 'invalid');
    expectReject(await run(request({ authorization: 'Bearer  ' })), 401, 'invalid');
  });

  it('property - any change to a valid token\'s payload or signature bytes is refused', async () => {
    // RS256: a deterministic signature scheme (an ECDSA signature has a second valid form).
    const { idp, run } = await setup({}, {}, ['RS256']);
    const token = await idp.sign({ sub: 'alice', scope: 'orders:read', n: 12345 });
    expectContinue(await run(bearer(token)));
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = base64url.decode(p);
    const signature = base64url.decode(s);
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), async (inPayload, at, xor) => {
        const bytes = new Uint8Array(inPayload ? payload : signature);
        const i = at % bytes.length;
        bytes[i] = (bytes[i] as number) ^ xor;
        const mutated = inPayload ? `${h}.${base64url.encode(bytes)}.${s}` : `${h}.${p}.${base64url.encode(bytes)}`;
        const result = await run(bearer(mutated));
        expect(result.kind).toBe('reject');
        expect((result as PolicyReject).status ?? 401).toBe(401);
        expect((result as PolicyReject).code).toBe('SY_UNAUTHORIZED');
      }),
      { numRuns: 150, seed: 19 },
    );
  });
});

describe('jwt policy - clock skew', () => {
  it('exp - accepted until exp + 60 s, refused from exactly exp + 60 s (fake clock)', async () => {
    const clock = createTestClock({ wallNow: T0 });
    const idp = await createTestJwks({ clock, algorithms: ['ES256'] });
    const policy = make(clock, { providers: [{ ...idp.provider(), jwksUri: undefined, jwks: idp.jwks() }] } as JwtPolicyInput);
    const run = (r: SyRequest) => Promise.resolve(policy.inbound?.(r, ctx(clock)) as InboundResult);
    const token = await idp.sign({}, { expiresInS: 100 });
    const exp = T0 + 100_000;
    clock.advance(exp + 60_000 - 1 - clock.wallNow());
    expectContinue(await run(bearer(token)));
    clock.advance(1);
    expect(clock.wallNow()).toBe(exp + 60_000);
    expectReject(await run(bearer(token)), 401, 'expired');
  });

  it('nbf - accepted from exactly nbf - 60 s, refused 1 ms before', async () => {
    const clock = createTestClock({ wallNow: T0 });
    const idp = await createTestJwks({ clock, algorithms: ['ES256'] });
    const policy = make(clock, { providers: [{ ...idp.provider(), jwksUri: undefined, jwks: idp.jwks() }] } as JwtPolicyInput);
    const run = (r: SyRequest) => Promise.resolve(policy.inbound?.(r, ctx(clock)) as InboundResult);
    const nbf = T0 / 1000 + 200;
    const token = await idp.sign({ nbf }, { expiresInS: 1000 });
    clock.advance((nbf - 60) * 1000 - 1 - clock.wallNow());
    expectReject(await run(bearer(token)), 401, 'not-yet-valid');
    clock.advance(1);
    expectContinue(await run(bearer(token)));
  });

  it('clockSkewSeconds: 0 - jose\'s strict check at exp', async () => {
    const clock = createTestClock({ wallNow: T0 });
    const idp = await createTestJwks({ clock, algorithms: ['ES256'] });
    const policy = make(clock, { clockSkewSeconds: 0, providers: [{ ...idp.provider(), jwksUri: undefined, jwks: idp.jwks() }] } as JwtPolicyInput);
    const token = await idp.sign({}, { expiresInS: 5 });
    clock.advance(4_999);
    expectContinue(await Promise.resolve(policy.inbound?.(bearer(token), ctx(clock)) as InboundResult));
    clock.advance(1);
    expectReject(await Promise.resolve(policy.inbound?.(bearer(token), ctx(clock)) as InboundResult), 401, 'expired');
  });
});

describe('jwt policy - remote JWKS', () => {
  it('fetch - the set is fetched once through the transport, with Host and Accept', async () => {
    const { idp, run } = await setup();
    for (let i = 0; i < 5; i++) expectContinue(await run(bearer(await idp.sign())));
    expect(idp.transport.fetches).toBe(1);
    expect(idp.transport.requests[0]).toMatchObject({ method: 'GET', path: '/.well-known/jwks.json', headers: { host: 'issuer.test', accept: 'application/json, application/jwk-set+json' } });
  });

  it('fetch - concurrent first requests share one fetch', async () => {
    const { idp, run, clock } = await setup();
    idp.transport.delay(50);
    const tokens = await Promise.all(Array.from({ length: 10 }, () => idp.sign()));
    const pending = tokens.map((t) => run(bearer(t)));
    await clock.advanceAsync(50);
    for (const r of await Promise.all(pending)) expectContinue(r);
    expect(idp.transport.fetches).toBe(1);
  });

  it('unknown kid - refetched once after the cooldown, then 401', async () => {
    const { idp, run, clock } = await setup();
    expectContinue(await run(bearer(await idp.sign())));
    expect(idp.transport.fetches).toBe(1);
    const stranger = await idp.sign({}, { kid: 'unknown-1' });
    // Within the cooldown of the fetch: refused without fetching.
    expectReject(await run(bearer(stranger)), 401, 'invalid');
    expect(idp.transport.fetches).toBe(1);
    clock.advance(30_000);
    expectReject(await run(bearer(stranger)), 401, 'invalid');
    expect(idp.transport.fetches).toBe(2);
    // A token without kid that no key matches behaves the same (jose matches by alg/kty).
    expectReject(await run(bearer(await idp.sign({}, { kid: 'unknown-2', omitKid: true }))), 401, 'invalid');
    expect(idp.transport.fetches).toBe(2);
  });

  it('cooldown - a flood of unknown kids makes at most one fetch per cooldown', async () => {
    const { idp, run, clock } = await setup();
    expectContinue(await run(bearer(await idp.sign())));
    const strangers = await Promise.all(Array.from({ length: 20 }, (_, i) => idp.sign({}, { kid: `bogus-${i}` })));
    const fetchesAt: number[] = [];
    // 5 minutes of floods: 20 concurrent unknown kids every 1.5 s.
    for (let t = 0; t < 300_000; t += 1_500) {
      const results = await Promise.all(strangers.map((s) => run(bearer(s))));
      for (const r of results) expectReject(r, 401, 'invalid');
      fetchesAt.push(idp.transport.fetches);
      clock.advance(1_500);
    }
    // One fetch at start, then at most one per 30 s window.
    expect(idp.transport.fetches).toBeLessThanOrEqual(1 + Math.ceil(300_000 / 30_000));
    expect(idp.transport.fetches).toBeGreaterThanOrEqual(1 + Math.floor(300_000 / 30_000) - 1);
  });

  it('rotation - a new key is accepted after the refetch; a removed key is refused after the cache expires', async () => {
    const { idp, run, clock } = await setup();
    const oldKid = idp.currentKid();
    const old = await idp.sign({}, { expiresInS: 3600 });
    expectContinue(await run(bearer(old)));
    const newKid = await idp.rotate();
    expect(newKid).not.toBe(oldKid);
    const fresh = await idp.sign({}, { expiresInS: 3600 });
    // Within the cooldown the new kid is not known yet.
    expectReject(await run(bearer(fresh)), 401, 'invalid');
    clock.advance(30_000);
    expectContinue(await run(bearer(fresh)));
    expect(idp.transport.fetches).toBe(2);
    // The issuer retires the old key: still in the cached set until it expires (10 min)...
    idp.retire(oldKid);
    clock.advance(500_000);
    expectContinue(await run(bearer(old)));
    clock.advance(100_000);
    // ...then the set is refetched and the old key is gone.
    expectReject(await run(bearer(old)), 401, 'invalid');
    expect(idp.transport.fetches).toBe(3);
    expectContinue(await run(bearer(fresh)));
  });

  it('rotation - a key retired with the rotation is refused as soon as the new set is fetched (no key remembered from the old set)', async () => {
    const { idp, run, clock } = await setup();
    const oldKid = idp.currentKid();
    const old = await idp.sign({}, { expiresInS: 3600 });
    expectContinue(await run(bearer(old)));
    expectContinue(await run(bearer(old)));
    await idp.rotate();
    idp.retire(oldKid);
    clock.advance(30_000);
    expectContinue(await run(bearer(await idp.sign({}, { expiresInS: 3600 }))));
    expect(idp.transport.fetches).toBe(2);
    expectReject(await run(bearer(old)), 401, 'invalid');
  });

  it('failure - no set yet: 401 "could not be verified"; retried after failedRefetchMs', async () => {
    const { idp, run, clock } = await setup();
    idp.transport.outage(503);
    const token = await idp.sign();
    const r = expectReject(await run(bearer(token)), 401, 'unverifiable');
    expect(r.headers?.['www-authenticate']).toBe('Bearer realm="api", error="invalid_token", error_description="The access token could not be verified"');
    expect(idp.transport.fetches).toBe(1);
    idp.transport.outage(undefined);
    // Within 1 s of the failure: no new fetch.
    expectReject(await run(bearer(token)), 401, 'unverifiable');
    expect(idp.transport.fetches).toBe(1);
    clock.advance(1_000);
    expectContinue(await run(bearer(token)));
    expect(idp.transport.fetches).toBe(2);
  });

  it('failure - an expired set whose refetch fails stays in use (retried once per failedRefetchMs)', async () => {
    const { idp, run, clock } = await setup();
    expectContinue(await run(bearer(await idp.sign())));
    clock.advance(600_000);
    idp.transport.outage(500);
    const token = await idp.sign();
    expectContinue(await run(bearer(token)));
    expect(idp.transport.fetches).toBe(2);
    expectContinue(await run(bearer(token)));
    expect(idp.transport.fetches).toBe(2);
    clock.advance(1_000);
    expectContinue(await run(bearer(token)));
    expect(idp.transport.fetches).toBe(3);
  });

  it('failure - a fetch that hangs is aborted after timeoutMs', async () => {
    const { idp, run, clock } = await setup({}, { timeoutMs: 2_000 });
    idp.transport.delay(10_000);
    const token = await idp.sign();
    const pending = run(bearer(token));
    await clock.advanceAsync(2_000);
    expectReject(await pending, 401, 'unverifiable');
  });

  it('failure - a body that is not a key set, or a redirect, is a failed fetch', async () => {
    const clock = createTestClock({ wallNow: T0 });
    const idp = await createTestJwks({ clock, algorithms: ['ES256'] });
    const mock = createMockTransport({ clock }).enqueue({ status: 200, body: '{"keys": 1}' }, { status: 302, headers: { location: 'https://evil.test/jwks' } }, { status: 200, body: 'not json' }).respondWith(() => idp.reply());
    const policy = make(clock, { providers: [idp.provider()] } as JwtPolicyInput, mock);
    const token = await idp.sign();
    for (let i = 0; i < 3; i++) {
      expectReject(await Promise.resolve(policy.inbound?.(bearer(token), ctx(clock)) as InboundResult), 401, 'unverifiable');
      clock.advance(1_000);
    }
    expectContinue(await Promise.resolve(policy.inbound?.(bearer(token), ctx(clock)) as InboundResult));
    expect(mock.requests.map((r) => r.endpoint.url)).toEqual(Array(4).fill('https://issuer.test'));
  });

  it('config - a jwksUri needs the gateway transport', () => {
    const clock = createTestClock();
    expect(() => make(clock, { providers: [{ issuer: 'i', jwksUri: 'https://idp.test/jwks', algorithms: ['RS256'] }] })).toThrow(/providers\[0\]\.jwksUri: a remote key set needs the gateway transport/);
  });
});

describe('jwt policy - token sources', () => {
  it('cookie - read from a cookie and only that cookie is stripped', async () => {
    const { idp, run } = await setup({ token: { from: 'cookie', name: 'session' } });
    const token = await idp.sign();
    const result = expectContinue(await run(request({ cookie: `theme=dark; session=${token}; lang=fr` })));
    expect(result.request?.headers['cookie']).toBe('theme=dark; lang=fr');
    const only = expectContinue(await run(request({ cookie: `session=${token}` })));
    expect(only.request?.headers).not.toHaveProperty('cookie');
    expectReject(await run(request({ cookie: 'theme=dark' })), 401, 'missing');
  });

  it('query - read from a query parameter, which is removed before forwarding', async () => {
    const { idp, run } = await setup({ token: { from: 'query', name: 'access_token' } });
    const token = await idp.sign();
    const result = expectContinue(await run(request({}, `a=1&access_token=${token}&b=2`)));
    expect(result.request?.query).toBe('a=1&b=2');
    expectReject(await run(request({}, 'a=1')), 401, 'missing');
    expectReject(await run(request({}, 'access_token=%E0%A4%A')), 401, 'invalid');
  });

  it('header - a custom header with an optional prefix', async () => {
    const { idp, run } = await setup({ token: { from: 'header', name: 'X-Api-Token', prefix: 'JWT ' } });
    const token = await idp.sign();
    const result = expectContinue(await run(request({ 'x-api-token': `jwt ${token}`, authorization: 'Basic YTpi' })));
    expect(result.request?.headers).not.toHaveProperty('x-api-token');
    expect(result.request?.headers['authorization']).toBe('Basic YTpi');
    expectReject(await run(request({ 'x-api-token': token })), 401, 'missing');
  });
});

describe('jwt policy - claims', () => {
  it('claimsToAttributes - top-level, dotted and namespaced claims become attributes', async () => {
    const { idp, run } = await setup({ claimsToAttributes: { tenant: 'tenant', 'realm_access.roles': 'roles', 'https://example.com/plan': 'plan', missing: 'none' } });
    const token = await idp.sign({ tenant: 'acme', realm_access: { roles: ['admin'] }, 'https://example.com/plan': 'pro' });
    const result = expectContinue(await run(bearer(token)));
    expect(result.attributes).toEqual({ tenant: 'acme', roles: ['admin'], plan: 'pro' });
  });

  it('claimsToHeaders - primitives become upstream headers; a client cannot supply them itself', async () => {
    const { idp, run } = await setup({ claimsToHeaders: { sub: 'X-User-Id', tenant: 'x-tenant', admin: 'x-admin', groups: 'x-groups', absent: 'x-absent' } });
    const token = await idp.sign({ sub: 'alice', tenant: 'acme', admin: true, groups: ['a'] });
    const result = expectContinue(await run(bearer(token, { 'x-user-id': 'spoofed', 'x-absent': 'spoofed', 'x-groups': 'spoofed' })));
    expect(result.request?.headers).toMatchObject({ 'x-user-id': 'alice', 'x-tenant': 'acme', 'x-admin': 'true', 'x-other': 'kept' });
    expect(result.request?.headers).not.toHaveProperty('x-absent');
    expect(result.request?.headers).not.toHaveProperty('x-groups');
  });

  it('claimsToHeaders - a claim value no transport would send is refused (401), never forwarded', async () => {
    const { idp, run } = await setup({ claimsToHeaders: { tenant: 'x-tenant' } });
    for (const bad of ['acme\r\nx-admin: true', 'acme\u0000', 'a\u0001b', '\u4e2d\u6587']) {
      expect(isSendableHeaderValue(bad) && isSendableHeaderValue(bad, 'fetch')).toBe(false);
      expectReject(await run(bearer(await idp.sign({ tenant: bad }))), 401, 'unsendable-claim');
    }
    expectContinue(await run(bearer(await idp.sign({ tenant: 'caf\u00e9' }))));
  });

  it('claimsToHeaders - header names are checked at config time', () => {
    expect(() => parseJwtOptions({ providers: [{ issuer: 'i', jwks: { keys: [] }, algorithms: ['ES256'] }], claimsToHeaders: { sub: 'Host' } })).toThrow(/claimsToHeaders\.sub: cannot carry a claim/);
    expect(() => parseJwtOptions({ providers: [{ issuer: 'i', jwks: { keys: [] }, algorithms: ['ES256'] }], claimsToHeaders: { sub: 'x user' } })).toThrow(/claimsToHeaders\.sub: must be a header name/);
  });

  it('requiredScopes - every scope must be granted by scope or scp, else 403 insufficient_scope', async () => {
    const { idp, run } = await setup({ requiredScopes: ['orders:read', 'orders:write'] });
    const r = expectReject(await run(bearer(await idp.sign({ scope: 'orders:read' }))), 403, 'insufficient-scope');
    expect(r.headers?.['www-authenticate']).toBe('Bearer realm="api", error="insufficient_scope", error_description="The access token does not grant the required scope", scope="orders:read orders:write"');
    expectContinue(await run(bearer(await idp.sign({ scope: 'profile orders:write orders:read' }))));
    expectContinue(await run(bearer(await idp.sign({ scp: ['orders:write', 'orders:read'] }))));
    expectContinue(await run(bearer(await idp.sign({ scp: 'orders:write orders:read' }))));
    expectReject(await run(bearer(await idp.sign({ scp: ['orders:read'] }))), 403, 'insufficient-scope');
  });
});

describe('jwt policy - anonymous', () => {
  it('allowAnonymous - no token continues without identity, owned headers removed', async () => {
    const { run } = await setup({ allowAnonymous: true, claimsToHeaders: { sub: 'x-user-id' } });
    expect(await run(request())).toEqual({ kind: 'continue' });
    const spoofed = expectContinue(await run(request({ 'x-user-id': 'admin' })));
    expect(spoofed.identity).toBeUndefined();
    expect(spoofed.request?.headers).not.toHaveProperty('x-user-id');
  });

  it('allowAnonymous - a present but invalid token is still refused (Envoy allow_missing)', async () => {
    const { idp, run, clock } = await setup({ allowAnonymous: true });
    const token = await idp.sign({}, { expiresInS: 1 });
    clock.advance(62_000);
    expectReject(await run(bearer(token)), 401, 'expired');
  });
});

describe('jwt policy - secrets', () => {
  const secret = 'a-shared-secret-of-32-bytes-ok!!';
  it('secret - HS256 tokens verify with the shared secret; other secrets are refused', async () => {
    const clock = createTestClock({ wallNow: T0 });
    const policy = make(clock, { providers: [{ issuer: 'svc', secret, algorithms: ['HS256'] }] });
    const sign = (key: string) => new SignJWT({ iss: 'svc', sub: 'job-7', exp: T0 / 1000 + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(key));
    expect(expectContinue(await Promise.resolve(policy.inbound?.(bearer(await sign(secret)), ctx(clock)) as InboundResult)).identity?.sub).toBe('job-7');
    expectReject(await Promise.resolve(policy.inbound?.(bearer(await sign('another-secret-of-32-bytes-long!')), ctx(clock)) as InboundResult), 401, 'invalid');
  });

  it('config - a secret cannot verify asymmetric algorithms, nor be shorter than the hash (RFC 7518 §3.2)', () => {
    expect(() => parseJwtOptions({ providers: [{ issuer: 'i', secret, algorithms: ['HS256', 'RS256'] }] })).toThrow(/providers\[0\]\.algorithms: a secret verifies HS256\/HS384\/HS512 only/);
    expect(() => parseJwtOptions({ providers: [{ issuer: 'i', secret: 'short', algorithms: ['HS256'] }] })).toThrow(/providers\[0\]\.secret: the secret must be at least as long as the hash output/);
    expect(() => parseJwtOptions({ providers: [{ issuer: 'i', secret, algorithms: ['HS512'] }] })).toThrow(/64 for HS512/);
    expect(() => parseJwtOptions({ providers: [{ issuer: 'i', jwks: { keys: [] }, algorithms: ['HS256'] }] })).toThrow(/HS\* algorithms need a secret/);
  });
});

describe('jwt policy - config', () => {
  const ok = { issuer: 'i', jwksUri: 'https://idp.test/jwks', algorithms: ['RS256'] };
  const issues = (input: unknown): string[] => {
    try {
      parseJwtOptions(input);
    } catch (e) {
      if (isSwitchyardError(e)) return (e as unknown as { issues: { path: string; message: string }[] }).issues.map((i) => `${i.path}: ${i.message}`);
      throw e;
    }
    return [];
  };

  it('config - algorithms are required and not empty', () => {
    expect(issues({ providers: [{ issuer: 'i', jwksUri: 'https://idp.test/jwks' }] }).join('\n')).toMatch(/providers\[0\]\.algorithms: required/);
    expect(issues({ providers: [{ ...ok, algorithms: [] }] }).join('\n')).toMatch(/providers\[0\]\.algorithms: algorithms must name at least one algorithm/);
  });

  it('config - exactly one key source; https only (loopback excepted); public keys only', () => {
    expect(issues({ providers: [{ issuer: 'i', algorithms: ['RS256'] }] })).toEqual(['providers[0]: exactly one of jwksUri, jwks and secret must be set']);
    expect(issues({ providers: [{ ...ok, jwks: { keys: [] } }] })).toEqual(['providers[0]: exactly one of jwksUri, jwks and secret must be set']);
    expect(issues({ providers: [{ ...ok, jwksUri: 'http://idp.test/jwks' }] }).join('\n')).toMatch(/providers\[0\]\.jwksUri: jwksUri must use https/);
    expect(issues({ providers: [{ ...ok, jwksUri: 'http://127.0.0.1:8080/jwks' }] })).toEqual([]);
    expect(issues({ providers: [{ issuer: 'i', jwks: { keys: [{ kty: 'RSA', n: 'x', e: 'AQAB', d: 'secret' }] }, algorithms: ['RS256'] }] }).join('\n')).toMatch(/providers\[0\]\.jwks: jwks must hold public keys only/);
  });

  it('config - unknown options, duplicate issuers, bad realm and scopes are reported by path', () => {
    expect(issues({ providers: [ok], requireExpiry: true }).join('\n')).toMatch(/requireExpiry: unknown option/);
    expect(issues({ providers: [ok, ok] }).join('\n')).toMatch(/providers: two providers have the same issuer/);
    expect(issues({ providers: [ok], realm: 'a"b' }).join('\n')).toMatch(/realm: realm must not contain a double quote/);
    expect(issues({ providers: [ok], requiredScopes: ['a b'] }).join('\n')).toMatch(/requiredScopes\[0\]: a scope is an RFC 6749/);
    expect(issues({ providers: [ok], clockSkewSeconds: -1 }).join('\n')).toMatch(/clockSkewSeconds: clockSkewSeconds must be >= 0/);
  });

  it('config - an inline set jose cannot use is a config error at create time', () => {
    const clock = createTestClock();
    expect(() => make(clock, { providers: [{ issuer: 'i', jwks: { keys: [{ kty: 'RSA' }, 'x'] } as never, algorithms: ['RS256'] }] })).toThrow(/providers\[0\]\.jwks/);
  });
});

describe('jwt policy - verified cache', () => {
  it('verifiedCacheSize - a repeated token is answered synchronously, up to its exp', async () => {
    const { idp, policy, clock, run } = await setup({ verifiedCacheSize: 10 });
    const token = await idp.sign({}, { expiresInS: 100 });
    expectContinue(await run(bearer(token)));
    const hit = policy.inbound?.(bearer(token), ctx(clock)) as InboundResult;
    expect(hit).not.toBeInstanceOf(Promise);
    expect(expectContinue(hit).request?.headers['authorization']).toBeUndefined();
    clock.advance(100_000);
    // Past exp: no longer from the cache (jose still accepts it within the skew).
    const miss = policy.inbound?.(bearer(token), ctx(clock));
    expect(miss).toBeInstanceOf(Promise);
    expectContinue(await miss!);
  });

  it('verifiedCacheSize - a key removed from the set stops cached tokens when the set is refetched', async () => {
    const { idp, policy, clock, run } = await setup({ verifiedCacheSize: 10 });
    const kid = idp.currentKid();
    const token = await idp.sign({}, { expiresInS: 3600 });
    expectContinue(await run(bearer(token)));
    expect(policy.inbound?.(bearer(token), ctx(clock))).not.toBeInstanceOf(Promise);
    await idp.rotate();
    idp.retire(kid);
    clock.advance(600_000);
    // The set is stale: the cached entry is not used, the refetched set lacks the key.
    const after = policy.inbound?.(bearer(token), ctx(clock));
    expect(after).toBeInstanceOf(Promise);
    expectReject(await after!, 401, 'invalid');
  });

  it('verifiedCacheSize - bounded: the least recently used token is evicted', async () => {
    const { idp, policy, clock, run } = await setup({ verifiedCacheSize: 2 });
    const [a, b, c] = await Promise.all([idp.sign({ sub: 'a' }), idp.sign({ sub: 'b' }), idp.sign({ sub: 'c' })]) as [string, string, string];
    for (const t of [a, b, c]) await run(bearer(t));
    expect(policy.inbound?.(bearer(a), ctx(clock))).toBeInstanceOf(Promise);
    expect(policy.inbound?.(bearer(c), ctx(clock))).not.toBeInstanceOf(Promise);
  });
});

describe('jwt policy - key types', () => {
  it('other key types - an ES256 provider accepts ES256 tokens and refuses RS256 ones', async () => {
    const clock = createTestClock({ wallNow: T0 });
    const idp = await createTestJwks({ clock, algorithms: ['ES256', 'RS256'] });
    const policy = make(clock, { providers: [idp.provider({ algorithms: ['ES256'] })] } as JwtPolicyInput, idp.transport);
    expectContinue(await Promise.resolve(policy.inbound?.(bearer(await idp.sign({}, { alg: 'ES256' })), ctx(clock)) as InboundResult));
    expectReject(await Promise.resolve(policy.inbound?.(bearer(await idp.sign({}, { alg: 'RS256' })), ctx(clock)) as InboundResult), 401, 'invalid');
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ iss: idp.issuer, aud: 'api', sub: 'x', exp: T0 / 1000 + 60 }).setProtectedHeader({ alg: 'ES256', kid: idp.currentKid('ES256') }).sign(privateKey);
    expectReject(await Promise.resolve(policy.inbound?.(bearer(foreign), ctx(clock)) as InboundResult), 401, 'invalid');
  });
});
