import { describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createEndpoint, createLightAbortController } from '@switchyard/core';
import { createMockTransport, createTestClock, createTestJwks } from './index.js';

const T0 = Date.UTC(2026, 0, 1);
const endpoint = createEndpoint({ url: 'https://issuer.test' });

describe('createTestJwks', () => {
  it('sign - tokens verify with jose against the published key, times from the fake clock', async () => {
    const clock = createTestClock({ wallNow: T0 });
    const idp = await createTestJwks({ clock, algorithms: ['ES256', 'EdDSA'] });
    const token = await idp.sign({ scope: 'x' }, { alg: 'EdDSA', expiresInS: 60 });
    const { payload, protectedHeader } = await jwtVerify(token, idp.publicKey(idp.currentKid('EdDSA')), { currentDate: new Date(clock.wallNow()) });
    expect(payload).toMatchObject({ iss: 'https://issuer.test/', aud: 'api', sub: 'user-1', iat: T0 / 1000, exp: T0 / 1000 + 60, scope: 'x' });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: idp.currentKid('EdDSA'), typ: 'JWT' });
    expect(idp.jwks().keys.map((k) => k.alg)).toEqual(['ES256', 'EdDSA']);
    expect(idp.jwks().keys.every((k) => k['d'] === undefined)).toBe(true);
  });

  it('sign - claims override the defaults; undefined removes one; expiresInS: null leaves exp out', async () => {
    const clock = createTestClock({ wallNow: T0 });
    const idp = await createTestJwks({ clock, algorithms: ['ES256'], audience: ['a', 'b'] });
    clock.advance(5_000);
    const token = await idp.sign({ sub: 'bob', aud: undefined }, { expiresInS: null, notBeforeInS: 10, typ: 'at+jwt' });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(idp.jwks()), { currentDate: new Date(clock.wallNow() + 10_000) });
    expect(payload).toEqual({ iss: 'https://issuer.test/', sub: 'bob', iat: T0 / 1000 + 5, nbf: T0 / 1000 + 15 });
    expect(protectedHeader.typ).toBe('at+jwt');
  });

  it('rotate and retire - the set publishes the new key and drops the retired one', async () => {
    const clock = createTestClock({ wallNow: T0 });
    const idp = await createTestJwks({ clock, algorithms: ['ES256'] });
    const first = idp.currentKid();
    const second = await idp.rotate();
    expect(idp.currentKid()).toBe(second);
    expect(idp.jwks().keys.map((k) => k.kid)).toEqual([first, second]);
    expect(decodeProtectedHeader(await idp.sign()).kid).toBe(second);
    idp.retire(first);
    expect(idp.jwks().keys.map((k) => k.kid)).toEqual([second]);
    // A kid the set never had signs with a key the set cannot verify.
    const stray = await idp.sign({}, { kid: 'nobody' });
    await expect(jwtVerify(stray, createLocalJWKSet(idp.jwks()), { currentDate: new Date(clock.wallNow()) })).rejects.toThrow();
  });

  it('transport - serves the set, counts fetches, fakes outages and delays on the clock', async () => {
    const clock = createTestClock({ wallNow: T0 });
    const idp = await createTestJwks({ clock, algorithms: ['ES256'] });
    const signal = createLightAbortController().signal;
    const ok = await idp.transport.send({ method: 'GET', path: '/.well-known/jwks.json', headers: {} }, endpoint, { signal });
    expect(ok.kind === 'response' && JSON.parse(ok.response.body as string)).toEqual(idp.jwks());
    idp.transport.outage(503);
    const down = await idp.transport.send({ method: 'GET', path: '/', headers: {} }, endpoint, { signal });
    expect(down.kind === 'response' && down.response.status).toBe(503);
    idp.transport.outage(undefined);
    idp.transport.delay(100);
    let settled = false;
    const slow = idp.transport.send({ method: 'GET', path: '/', headers: {} }, endpoint, { signal }).then((r) => ((settled = true), r));
    await clock.advanceAsync(99);
    expect(settled).toBe(false);
    await clock.advanceAsync(1);
    expect((await slow).kind).toBe('response');
    expect(idp.transport.fetches).toBe(3);
    expect(idp.jwksUri).toBe('https://issuer.test/.well-known/jwks.json');
  });

  it('reply - the set as a mock transport reply', async () => {
    const clock = createTestClock({ wallNow: T0 });
    const idp = await createTestJwks({ clock, algorithms: ['ES256'] });
    const mock = createMockTransport({ clock }).respondWith(() => idp.reply());
    const r = await mock.send({ method: 'GET', path: '/', headers: {} }, endpoint, { signal: createLightAbortController().signal });
    expect(r.kind === 'response' && JSON.parse(r.response.body as string)).toEqual(idp.jwks());
  });
});
