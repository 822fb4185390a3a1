// The "Testing your routes" example from README.md, kept here so that it keeps running. (The
// gateway example needs the policy pipeline's `createGateway(config, { policies })`.)
import { expect, it } from 'vitest';
import type { PolicyContext, SyRequest } from '@switchyard/core';
import { createJwtPolicy, jwtPolicy } from '@switchyard/jwt';
import { createPipelineHarness, createTestClock, createTestJwks, seededRng } from '@switchyard/testing';

it('README - a jwt policy tested against a local issuer on the fake clock', async () => {
  const clock = createTestClock();
  const idp = await createTestJwks({ clock, algorithms: ['ES256'] });
  const policy = createJwtPolicy(
    { providers: [idp.provider()], claimsToHeaders: { sub: 'x-user-id' } },
    { name: 'auth', clock, rng: seededRng(1), transport: idp.transport, policy: () => undefined },
  );
  const token = await idp.sign({ sub: 'alice' });

  const ctx = { requestId: 'r', route: { name: 'orders', metadata: {} }, policy: 'auth', clock, rng: seededRng(1), now: clock.now(), identity: undefined, attributes: {}, backend: undefined, clientIp: undefined, trustedPeer: false, geo: () => undefined } satisfies PolicyContext;
  const request: SyRequest = { method: 'GET', scheme: 'https', authority: 'api.example.com', path: '/orders', query: '', headers: { authorization: `Bearer ${token}` }, attributes: {} };
  const ok = await policy.inbound?.(request, ctx);
  expect(ok).toMatchObject({ kind: 'continue', identity: { sub: 'alice', via: 'auth' }, request: { headers: { 'x-user-id': 'alice' } } });
  expect(idp.transport.fetches).toBe(1);

  clock.advance(300_000 + 60_000); // past exp (5 min) and the 60 s skew
  expect(await policy.inbound?.(request, ctx)).toMatchObject({ kind: 'reject', code: 'SY_UNAUTHORIZED', detail: { reason: 'expired' } });
});

it('README - through createPipelineHarness (the instance, which carries its transport)', async () => {
  const clock = createTestClock();
  const idp = await createTestJwks({ clock, algorithms: ['ES256'] });
  const policy = createJwtPolicy({ providers: [idp.provider()], claimsToAttributes: { tenant: 'tenant' } }, { name: 'auth', clock, rng: seededRng(1), transport: idp.transport, policy: () => undefined });
  const harness = createPipelineHarness({ clock, policies: [{ name: 'auth', policy }] });
  const token = await idp.sign({ sub: 'alice', tenant: 'acme' });
  const r = await harness.run({ method: 'GET', scheme: 'https', authority: 'api', path: '/', query: '', headers: { authorization: `Bearer ${token}` }, attributes: {} });
  expect(r.outcome).toBe('continue');
  expect(r.identity).toMatchObject({ sub: 'alice', via: 'auth' });
  expect(r.attributes['tenant']).toBe('acme');
  expect(r.request.headers['authorization']).toBeUndefined();
  const denied = await harness.run({ method: 'GET', scheme: 'https', authority: 'api', path: '/', query: '', headers: {}, attributes: {} });
  expect(denied.response.status).toBe(401);
  expect(denied.response.headers['www-authenticate']).toBe('Bearer realm="api"');
});

it('createPipelineHarness({ transport }): a { definition, options } jwt entry with a jwksUri fetches its key set through it', async () => {
  const clock = createTestClock();
  const idp = await createTestJwks({ clock, algorithms: ['ES256'] });
  const harness = createPipelineHarness({ clock, transport: idp.transport, policies: [{ name: 'auth', definition: jwtPolicy, options: { providers: [idp.provider()] } }] });
  const token = await idp.sign({ sub: 'alice' });
  const r = await harness.run({ method: 'GET', scheme: 'https', authority: 'api', path: '/', query: '', headers: { authorization: `Bearer ${token}` }, attributes: {} });
  expect(r.outcome).toBe('continue');
  expect(r.identity).toMatchObject({ sub: 'alice', via: 'auth' });
  expect(idp.transport.fetches).toBe(1);
});
