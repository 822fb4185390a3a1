import type { GeoSource, SyRequest } from '@switchyard/core';
import { definePolicy, CONTINUE } from '@switchyard/core';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig, RouteConfig } from './config.js';
import { ConfigError } from '@switchyard/core';
import type { GatewayEvent } from './events.js';
import { createGateway, type GatewayDeps } from './gateway.js';

// Regression tests for the integration problems reported on issue #19 (policy pipeline).

const U = { endpoints: [{ id: 'a1', url: 'http://10.0.0.1:80' }] };
function route(over: Partial<RouteConfig> = {}): RouteConfig {
  return { name: 'r', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'u' }], ...over };
}
function request(over: Partial<SyRequest> = {}): SyRequest {
  return { method: 'GET', scheme: 'http', authority: 'x', path: '/api/items', query: '', headers: {}, attributes: {}, clientAddress: '198.51.100.7', ...over };
}
/** An auth policy for tests: identity from `x-user`, 401 without it. */
const headerAuth = definePolicy<{ readonly header?: string }>({
  type: 'header-auth',
  create: (o) => ({
    type: 'header-auth',
    provides: ['identity'],
    inbound: (req) => {
      const sub = req.headers[o?.header ?? 'x-user'];
      return sub === undefined ? { kind: 'reject', code: 'SY_UNAUTHORIZED', message: 'no user' } : { kind: 'continue', identity: { sub, data: {} } };
    },
  }),
});
function gw(config: Omit<GatewayConfig, 'upstreams'>, deps: Partial<GatewayDeps> = {}) {
  const clock = createTestClock();
  const transport = createMockTransport({ clock });
  const events: GatewayEvent[] = [];
  const gateway = createGateway({ upstreams: { u: U }, ...config } as GatewayConfig, { transport, clock, rng: seededRng(1), policies: [headerAuth], onEvent: (e) => events.push(e), ...deps });
  return { gateway, transport, clock, events };
}

function configIssues(f: () => unknown): Array<{ path: string; message: string }> {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  return [];
}

describe('issue #19 - client address and trusted peer', () => {
  it('ctx.clientIp is the unmasked IPv6 client through trusted proxies: ip-restriction on a /128', async () => {
    const { gateway } = gw({
      clientIdentity: { trustedProxies: ['10.0.0.0/8'] },
      policies: { only: { type: 'ip-restriction', options: { allow: ['2001:db8:0:1::42/128'] } } },
      routes: [route({ policies: { inbound: ['only'] } })],
    });
    const via = (client: string) => request({ clientAddress: '10.1.2.3', headers: { 'x-forwarded-for': `${client}, 10.9.9.9` } });
    expect((await gateway.handle(via('2001:db8:0:1::42'))).status).toBe(200);
    // Same /56 as the allowed address (the rate-limit key): still refused.
    expect((await gateway.handle(via('2001:db8:0:1::43'))).status).toBe(403);
  });

  it('ctx.trustedPeer with trustedHops: the TCP peer is trusted when trustedHops >= 1, never with 0', async () => {
    const seen: Array<{ trusted: boolean; ip: string | undefined }> = [];
    const look = definePolicy({ type: 'look', create: () => ({ type: 'look', inbound: (_r, ctx) => (seen.push({ trusted: ctx.trustedPeer, ip: ctx.clientIp }), CONTINUE) }) });
    for (const hops of [0, 1, 2]) {
      const { gateway } = gw({ clientIdentity: { trustedHops: hops }, policies: { look: { type: 'look' } }, routes: [route({ policies: { inbound: ['look'] } })] }, { policies: [look, headerAuth] });
      await gateway.handle(request({ clientAddress: '192.0.2.1', headers: { 'x-forwarded-for': '203.0.113.1, 203.0.113.2' } }));
    }
    expect(seen).toEqual([
      { trusted: false, ip: '192.0.2.1' },
      { trusted: true, ip: '203.0.113.2' },
      { trusted: true, ip: '203.0.113.1' },
    ]);
  });
});

describe('issue #19 - geo requirement', () => {
  const geoSource: GeoSource = { name: 'test', lookup: () => ({ country: 'DE', source: 'test' }) };
  const filter = { type: 'geo-filter', options: { allow: { countries: ['DE'] } } };
  it('geo-filter without a source is satisfied by deps.geoSource (no config error)', async () => {
    const { gateway } = gw({ policies: { eu: filter }, routes: [route({ policies: { inbound: ['eu'] } })] }, { geoSource });
    expect((await gateway.handle(request())).status).toBe(200);
    const wide = gw({ policies: { eu: filter }, pipeline: { inbound: ['eu'] }, routes: [route()] }, { geoSource });
    expect((await wide.gateway.handle(request())).status).toBe(200);
  });
  it('geo-filter without a source is satisfied by a geo policy earlier in the list', async () => {
    const { gateway } = gw({
      // The country header is believed from a trusted peer only.
      clientIdentity: { trustedProxies: ['198.51.100.0/24'] },
      policies: { where: { type: 'geo', options: { source: { headers: { country: 'x-country' } } } }, eu: filter },
      routes: [route({ policies: { inbound: ['where', 'eu'] } })],
    });
    expect((await gateway.handle(request({ headers: { 'x-country': 'DE' } }))).status).toBe(200);
    expect((await gateway.handle(request({ headers: { 'x-country': 'US' } }))).status).toBe(403);
  });
  it('neither a geo source nor a geo policy: a config error at the route list', () => {
    const issues = configIssues(() => gw({ policies: { eu: filter }, routes: [route({ policies: { inbound: ['eu'] } })] }));
    expect(issues).toContainEqual({ path: 'routes[0].policies.inbound[0]', message: expect.stringContaining('requires geo') });
  });
});

describe('issue #19 - any-auth members', () => {
  it('members declared after the any-auth instance are created first', async () => {
    const { gateway } = gw({
      policies: { either: { type: 'any-auth', options: { policies: ['a', 'b'] } }, a: { type: 'header-auth', options: { header: 'x-a' } }, b: { type: 'header-auth', options: { header: 'x-b' } } },
      routes: [route({ policies: { inbound: ['either'] } })],
    });
    expect((await gateway.handle(request({ headers: { 'x-b': 'bob' } }))).status).toBe(200);
    expect((await gateway.handle(request())).status).toBe(401);
  });
  it('an unknown member or a cycle is a config error by path', () => {
    const unknown = configIssues(() => gw({ policies: { either: { type: 'any-auth', options: { policies: ['a', 'nope'] } }, a: { type: 'header-auth' } }, routes: [route({ policies: { inbound: ['either'] } })] }));
    expect(unknown).toContainEqual({ path: 'policies.either.options.policies[1]', message: 'unknown policy "nope"' });
    const cycle = configIssues(() =>
      gw({ policies: { x: { type: 'any-auth', options: { policies: ['a', 'y'] } }, y: { type: 'any-auth', options: { policies: ['a', 'x'] } }, a: { type: 'header-auth' } }, routes: [route({ policies: { inbound: ['x'] } })] }),
    );
    expect(cycle.some((i) => i.path.startsWith('policies.x') || i.path.startsWith('policies.y'))).toBe(true);
    expect(cycle.some((i) => /cycle/.test(i.message))).toBe(true);
  });
  it('an error a factory throws at creation is reported under the policy path', () => {
    const boom = definePolicy({ type: 'boom', create: () => { throw new Error('bad wiring'); } });
    const issues = configIssues(() => gw({ policies: { b: { type: 'boom' } }, routes: [route({ policies: { inbound: ['b'] } })] }, { policies: [boom, headerAuth] }));
    expect(issues).toContainEqual({ path: 'policies.b', message: 'could not be created: bad wiring' });
  });
});

describe('issue #19 - cors before auth', () => {
  const cors = { type: 'cors', options: { origins: ['https://app.example.com'] } };
  it('a cors policy after an identity provider in a route is a config warning', () => {
    const { gateway, events } = gw({ policies: { auth: { type: 'header-auth' }, web: cors }, routes: [route({ policies: { inbound: ['auth', 'web'] } })] });
    const w = { path: 'routes[0].policies.inbound[1]', message: expect.stringContaining('preflight') };
    expect(gateway.plan().warnings).toContainEqual(w);
    expect(events).toContainEqual(expect.objectContaining({ kind: 'config-warning', path: 'routes[0].policies.inbound[1]' }));
  });
  it('a gateway-wide auth before a route cors is a warning too; cors first is not', () => {
    const late = gw({ policies: { auth: { type: 'header-auth' }, web: cors }, pipeline: { inbound: ['auth'] }, routes: [route({ policies: { inbound: ['web'] } })] });
    expect(late.gateway.plan().warnings).toContainEqual({ path: 'routes[0].policies.inbound[0]', message: expect.stringContaining('preflight') });
    const wide = gw({ policies: { auth: { type: 'header-auth' }, web: cors }, pipeline: { inbound: ['auth', 'web'] }, routes: [route(), route({ name: 'r2', matches: [{ path: { type: 'PathPrefix', value: '/r2' } }] })] });
    expect(wide.gateway.plan().warnings.filter((w) => /preflight/.test(w.message))).toEqual([{ path: 'pipeline.inbound[1]', message: expect.stringContaining('preflight') }]);
    const ok = gw({ policies: { auth: { type: 'header-auth' }, web: cors }, routes: [route({ policies: { inbound: ['web', 'auth'] } })] });
    expect(ok.gateway.plan().warnings.filter((w) => /preflight/.test(w.message))).toEqual([]);
  });
});

describe('issue #19 - reload while a request runs', () => {
  function closing(closed: string[], used: string[]) {
    return definePolicy({
      type: 'closing',
      create: (_o, deps) => {
        let open = true;
        return {
          type: 'closing',
          inbound: () => CONTINUE,
          outbound: (res) => (used.push(`${deps.name}:${open ? 'open' : 'closed'}`), res),
          close: () => {
            open = false;
            closed.push(deps.name);
          },
        };
      },
    });
  }
  it('the old plan’s instances are closed when its in-flight requests finish, not at reload', async () => {
    const closed: string[] = [];
    const used: string[] = [];
    const clock = createTestClock();
    const transport = createMockTransport({ clock });
    transport.respondWith(() => ({ status: 200, delayMs: 1_000 }));
    const config: GatewayConfig = { upstreams: { u: U }, policies: { c: { type: 'closing' } }, routes: [route({ policies: { inbound: ['c'] } })] };
    const gateway = createGateway(config, { transport, clock, rng: seededRng(1), policies: [closing(closed, used)] });
    const slow = gateway.handle(request());
    await clock.advanceAsync(0);
    gateway.reload(config);
    await Promise.resolve();
    expect(closed).toEqual([]); // the slow request still runs on the old instance
    await clock.advanceAsync(1_000);
    expect((await slow).status).toBe(200);
    await Promise.resolve();
    expect(used).toEqual(['c:open']);
    expect(closed).toEqual(['c']);
    await gateway.stop();
    expect(closed).toEqual(['c', 'c']);
  });
  it('a request that never finishes holds the old instances 60 s at most; stop closes them at once', async () => {
    const closed: string[] = [];
    const clock = createTestClock();
    const transport = createMockTransport({ clock });
    transport.respondWith(() => ({ status: 200, delayMs: 10 * 60_000 }));
    const config: GatewayConfig = { upstreams: { u: U }, policies: { c: { type: 'closing' } }, routes: [route({ policies: { inbound: ['c'] } })] };
    const gateway = createGateway(config, { transport, clock, rng: seededRng(1), policies: [closing(closed, [])] });
    void gateway.handle(request());
    await clock.advanceAsync(0);
    gateway.reload(config);
    clock.advance(59_999);
    await Promise.resolve();
    expect(closed).toEqual([]);
    clock.advance(1);
    await Promise.resolve();
    expect(closed).toEqual(['c']);
    void gateway.handle(request());
    await clock.advanceAsync(0);
    gateway.reload(config);
    await gateway.stop();
    expect(closed).toEqual(['c', 'c', 'c']);
  });
});

describe('issue #19 - a policy reject in the default body', () => {
  it("the default switchyard body's message is the policy's client-safe message; other errors keep the fixed sentence", async () => {
    const { gateway, events } = gw({ policies: { auth: { type: 'header-auth' } }, routes: [route({ policies: { inbound: ['auth'] } })] });
    const denied = await gateway.handle(request({ headers: { 'x-request-id': 'req-1' } }));
    expect(events.filter((e) => e.kind === 'policy').map((e) => (e.kind === 'policy' ? e.result : ''))).toEqual(['reject']);
    expect(denied.status).toBe(401);
    expect(String(denied.body)).toBe('{"error":"SY_UNAUTHORIZED","message":"no user","requestId":"req-1"}');
    const lost = await gateway.handle(request({ path: '/elsewhere', headers: { 'x-request-id': 'req-2' } }));
    expect(String(lost.body)).toBe('{"error":"SY_NO_ROUTE","message":"No route matches the request.","requestId":"req-2"}');
  });
  it('problem+json: the policy message is the detail', async () => {
    const { gateway } = gw({ errors: { format: 'problem+json' }, policies: { auth: { type: 'header-auth' } }, routes: [route({ policies: { inbound: ['auth'] } })] });
    const denied = await gateway.handle(request());
    expect(JSON.parse(String(denied.body))).toMatchObject({ status: 401, detail: 'no user', code: 'SY_UNAUTHORIZED' });
  });
});

describe('issue #19 - geo backends checked at load', () => {
  const where = (backends: string[]) => ({ type: 'geo', options: { source: { headers: { country: 'x-country' } }, backends: backends.map((b) => ({ backend: b, countries: ['DE'] })), defaultBackend: 'u' } });
  it("a geo policy naming a backend the route does not have is a config error at the route's list entry", () => {
    const issues = configIssues(() => gw({ clientIdentity: { trustedProxies: ['198.51.100.0/24'] }, policies: { where: where(['eu']) }, routes: [route({ policies: { inbound: ['where'] } })] }));
    expect(issues).toContainEqual({ path: 'routes[0].policies.inbound[0]', message: 'policy "where" may pick backend "eu", which route "r" does not have (its backends: "u")' });
  });
  it('a geo policy whose backends the route has compiles and routes by country', async () => {
    const { gateway, transport } = gw({
      upstreams: { u: U, eu: { endpoints: [{ id: 'e1', url: 'http://10.0.0.2:80' }] } },
      clientIdentity: { trustedProxies: ['198.51.100.0/24'] },
      policies: { where: where(['eu']) },
      routes: [route({ backends: [{ upstream: 'u' }, { upstream: 'eu', weight: 0 }], policies: { inbound: ['where'] } })],
    } as Omit<GatewayConfig, 'upstreams'>);
    expect((await gateway.handle(request({ headers: { 'x-country': 'DE' } }))).status).toBe(200);
    expect(transport.requests.at(-1)?.endpoint.id).toBe('e1');
  });
});
