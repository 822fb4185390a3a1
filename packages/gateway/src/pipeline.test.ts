import { CONTINUE, definePolicy, type GeoSource, type InboundResult, type Policy, type PolicyContext, type PolicyDefinition, type SyRequest, type SyResponse } from '@switchyard/core';
import { assertRouteOrder, createMockTransport, createTestClock, seededRng, type MockTransport } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig, RouteConfig } from './config.js';
import type { GatewayEvent } from './events.js';
import { createGateway, responseCode, type Gateway, type GatewayDeps } from './gateway.js';

/** What a probe policy does (its options, as config data). */
interface ProbeOptions {
  /** Inbound: continue (default), reject 401, respond 418, throw, or no inbound side at all. */
  readonly act?: 'continue' | 'reject' | 'respond' | 'throw' | 'none';
  /** Answer with promises. */
  readonly async?: boolean;
  readonly finalizer?: boolean;
  /** No outbound side. */
  readonly noOutbound?: boolean;
  readonly attributes?: Readonly<Record<string, string | null>>;
  readonly backend?: string;
  /** Identity from this request header. */
  readonly identityFrom?: string;
  readonly throwOutbound?: boolean;
}

/** A `probe` policy type logging `in:<name>` / `out:<name>:<status>` to `log`. */
function probeType(log: string[], created?: string[], closed?: string[]): PolicyDefinition<ProbeOptions> {
  return definePolicy<ProbeOptions>({
    type: 'probe',
    create: (o, deps) => {
      created?.push(deps.name);
      const wrap = <T,>(x: T): T | Promise<T> => (o.async === true ? Promise.resolve(x) : x);
      const inbound = (req: SyRequest, ctx: PolicyContext): InboundResult | Promise<InboundResult> => {
        log.push(`in:${ctx.policy}`);
        switch (o.act) {
          case 'reject':
            return wrap({ kind: 'reject', code: 'SY_UNAUTHORIZED', message: 'who are you', headers: { 'www-authenticate': 'Bearer' }, detail: { realm: 'x' } });
          case 'respond':
            return wrap({ kind: 'respond', response: { status: 418, headers: { 'content-type': 'text/plain' }, body: 'teapot' } });
          case 'throw':
            if (o.async === true) return Promise.reject(new Error('secret internals'));
            throw new Error('secret internals');
          default: {
            const attributes = o.attributes === undefined ? undefined : Object.fromEntries(Object.entries(o.attributes).map(([k, v]) => [k, v ?? undefined]));
            const sub = o.identityFrom === undefined ? undefined : req.headers[o.identityFrom];
            if (attributes === undefined && o.backend === undefined && sub === undefined) return wrap(CONTINUE);
            return wrap({ kind: 'continue', attributes, backend: o.backend, identity: sub === undefined ? undefined : { sub, data: { tier: sub.startsWith('gold') ? 'gold' : 'free' } } });
          }
        }
      };
      const policy: Policy = {
        type: 'probe',
        ...(o.act === 'none' ? {} : { inbound }),
        ...(o.noOutbound === true
          ? {}
          : {
              outbound: (res: SyResponse, _req: SyRequest, ctx: PolicyContext) => {
                log.push(`out:${ctx.policy}:${res.status}`);
                if (o.throwOutbound === true) throw new Error('outbound broke');
                const next = { ...res, headers: { ...res.headers, [`x-${ctx.policy}`]: '1' } };
                return o.async === true ? Promise.resolve(next) : next;
              },
            }),
        finalizer: o.finalizer === true,
        provides: o.identityFrom !== undefined ? ['identity'] : [],
        describe: () => `probe ${o.act ?? 'continue'}`,
        close: () => {
          closed?.push(deps.name);
        },
      };
      return policy;
    },
  });
}

const U = { endpoints: [{ id: 'a1', url: 'http://10.0.0.1:80' }] };
function route(over: Partial<RouteConfig> = {}): RouteConfig {
  return { name: 'r', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'u' }], ...over };
}
function request(over: Partial<SyRequest> = {}): SyRequest {
  return { method: 'GET', scheme: 'http', authority: 'x', path: '/api/items', query: '', headers: {}, attributes: {}, clientAddress: '198.51.100.7', ...over };
}

interface Setup {
  gateway: Gateway;
  log: string[];
  transport: MockTransport;
  events: GatewayEvent[];
}
function setup(config: Omit<GatewayConfig, 'upstreams'> & { upstreams?: GatewayConfig['upstreams'] }, deps: Partial<GatewayDeps> = {}): Setup {
  const log: string[] = [];
  const clock = createTestClock();
  const transport = createMockTransport({ clock });
  const events: GatewayEvent[] = [];
  const gateway = createGateway({ upstreams: { u: U }, ...config } as GatewayConfig, { transport, clock, rng: seededRng(1), policies: [probeType(log)], onEvent: (e) => events.push(e), ...deps });
  return { gateway, log, transport, events };
}

const probes = (entries: Record<string, ProbeOptions>): NonNullable<GatewayConfig['policies']> => Object.fromEntries(Object.entries(entries).map(([k, o]) => [k, { type: 'probe', options: o }]));

describe('pipeline - order', () => {
  it('runs gateway-wide inbound, then the route inbound; back out: route outbound list, route unwound, gateway outbound list, gateway unwound', async () => {
    const { gateway, log } = setup({
      policies: probes({ g1: {}, g2: {}, gOut: { act: 'none' }, r1: {}, r2: {}, rOut: { act: 'none' } }),
      pipeline: { inbound: ['g1', 'g2'], outbound: ['gOut'] },
      routes: [route({ policies: { inbound: ['r1', 'r2'], outbound: ['rOut'] } })],
    });
    const res = await gateway.handle(request());
    expect(res.status).toBe(200);
    expect(log).toEqual(['in:g1', 'in:g2', 'in:r1', 'in:r2', 'out:rOut:200', 'out:r2:200', 'out:r1:200', 'out:gOut:200', 'out:g2:200', 'out:g1:200']);
    expect(res.headers).toMatchObject({ 'x-g1': '1', 'x-r2': '1', 'x-gOut': '1', 'x-rOut': '1' });
    expect(gateway.explain('r')?.outbound.map((o) => o.name)).toEqual(['rOut', 'r2', 'r1', 'gOut', 'g2', 'g1']);
  });

  it('property: a short-circuit at step i unwinds steps < i in reverse, never steps >= i (finalizers excepted), sync or async', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ async: fc.boolean(), finalizer: fc.boolean(), noOutbound: fc.boolean() }), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.constantFrom<'reject' | 'respond' | 'throw' | 'none'>('reject', 'respond', 'throw', 'none'),
        async (specs, at, how) => {
          const stopAt = how === 'none' ? specs.length : at % specs.length;
          const entries: Record<string, ProbeOptions> = {};
          specs.forEach((s, i) => (entries[`p${i}`] = { async: s.async, finalizer: s.finalizer, noOutbound: s.noOutbound, ...(i === stopAt && how !== 'none' ? { act: how } : {}) }));
          const names = Object.keys(entries);
          const { gateway, log } = setup({ policies: probes(entries), routes: [route({ policies: { inbound: names } })] });
          const res = await gateway.handle(request());
          const status = how === 'none' ? 200 : how === 'reject' ? 401 : how === 'respond' ? 418 : 500;
          expect(res.status).toBe(status);
          const expected = names.slice(0, Math.min(stopAt + 1, names.length)).map((n) => `in:${n}`);
          for (let k = names.length - 1; k >= 0; k--) {
            const s = specs[k] as (typeof specs)[number];
            if (s.noOutbound) continue;
            if (k < stopAt || s.finalizer) expected.push(`out:p${k}:${status}`);
          }
          expect(log).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('finalizers run on every status: 200, 401, 404 (gateway-wide), 429, 500 from a policy, 502 and 503 from upstream', async () => {
    const { gateway, transport } = setup({
      clientIdentity: { trustedProxies: [] },
      limits: { one: { key: 'client-ip', policy: { maxTokens: 1, fillIntervalMs: 60_000 } } },
      policies: probes({ cors: { act: 'none', finalizer: true }, deny: { act: 'reject' }, boom: { act: 'throw' } }),
      pipeline: { outbound: ['cors'] },
      routes: [
        route({ name: 'ok', matches: [{ path: { type: 'PathPrefix', value: '/ok' } }] }),
        route({ name: 'deny', matches: [{ path: { type: 'PathPrefix', value: '/deny' } }], policies: { inbound: ['deny'] } }),
        route({ name: 'boom', matches: [{ path: { type: 'PathPrefix', value: '/boom' } }], policies: { inbound: ['boom'] } }),
        route({ name: 'limited', matches: [{ path: { type: 'PathPrefix', value: '/limited' } }], limits: ['one'] }),
      ],
    });
    const statusOf = async (path: string) => {
      const res = await gateway.handle(request({ path }));
      expect(res.headers['x-cors']).toBe('1');
      return res.status;
    };
    expect(await statusOf('/ok')).toBe(200);
    expect(await statusOf('/deny')).toBe(401);
    expect(await statusOf('/nowhere')).toBe(404);
    expect(await statusOf('/limited')).toBe(200);
    expect(await statusOf('/limited')).toBe(429);
    expect(await statusOf('/boom')).toBe(500);
    transport.enqueue({ error: 'connect' });
    expect(await statusOf('/ok')).toBe(502);
    transport.enqueue({ status: 503 });
    expect(await statusOf('/ok')).toBe(503);
  });

  it('a throwing policy answers 500 SY_INTERNAL without its message; earlier policies still unwind', async () => {
    const { gateway, log, events } = setup({ policies: probes({ a: {}, b: { act: 'throw' } }), routes: [route({ policies: { inbound: ['a', 'b'] } })] });
    const res = await gateway.handle(request());
    expect(res.status).toBe(500);
    expect(responseCode(res)).toBe('SY_INTERNAL');
    expect(String(res.body)).not.toContain('secret');
    expect(log).toEqual(['in:a', 'in:b', 'out:a:500']);
    expect(events).toContainEqual(expect.objectContaining({ kind: 'policy', route: 'r', policy: 'b', result: 'error', status: 500 }));
  });

  it('a throw in an outbound policy becomes a 500 and the rest of the outbound side still runs', async () => {
    const { gateway, log } = setup({ policies: probes({ a: {}, b: { throwOutbound: true } }), routes: [route({ policies: { inbound: ['a', 'b'] } })] });
    const res = await gateway.handle(request());
    expect(res.status).toBe(500);
    expect(log).toEqual(['in:a', 'in:b', 'out:b:200', 'out:a:500']);
  });
});

describe('pipeline - results', () => {
  it('reject goes through the error formatter with its code, status and headers; respond is returned as is', async () => {
    const { gateway, events } = setup({
      policies: probes({ deny: { act: 'reject' }, tea: { act: 'respond' } }),
      routes: [route({ name: 'deny', policies: { inbound: ['deny'] } }), route({ name: 'tea', matches: [{ path: { type: 'PathPrefix', value: '/tea' } }], policies: { inbound: ['tea'] } })],
    });
    const denied = await gateway.handle(request({ headers: { 'x-request-id': 'req-1' } }));
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(String(denied.body))).toMatchObject({ error: 'SY_UNAUTHORIZED', requestId: 'req-1' });
    const tea = await gateway.handle(request({ path: '/tea' }));
    expect(tea).toMatchObject({ status: 418, body: 'teapot' });
    expect(events.filter((e) => e.kind === 'policy').map((e) => (e.kind === 'policy' ? [e.policy, e.result, e.status] : []))).toEqual([
      ['deny', 'reject', 401],
      ['tea', 'respond', 418],
    ]);
    expect(gateway.prometheus()).toMatch(/switchyard_policy_rejections_total\{[^}]*switchyard_policy="deny"[^}]*\} 1/);
  });

  it('when: a policy whose condition does not match is skipped on both sides', async () => {
    const { gateway, log } = setup({
      policies: { a: { type: 'probe', options: {}, when: { method: 'POST' } }, b: { type: 'probe', options: {}, when: { header: { name: 'x-debug', value: 'on' } } }, c: { type: 'probe', options: {}, when: { pathPrefix: '/api/items', not: true } } },
      routes: [route({ policies: { inbound: ['a', 'b', 'c'] } })],
    });
    await gateway.handle(request({ headers: { 'x-debug': 'on' } }));
    expect(log).toEqual(['in:b', 'out:b:200']);
    log.length = 0;
    await gateway.handle(request({ method: 'POST', path: '/api/other' }));
    expect(log).toEqual(['in:a', 'in:c', 'out:c:200', 'out:a:200']);
  });

  it('exclude removes a gateway-wide policy from one route only', async () => {
    const { gateway, log } = setup({
      policies: probes({ g: {} }),
      pipeline: { inbound: ['g'] },
      routes: [route({ name: 'with' }), route({ name: 'without', matches: [{ path: { type: 'PathPrefix', value: '/health' } }], policies: { exclude: ['g'] } })],
    });
    await gateway.handle(request({ path: '/health' }));
    expect(log).toEqual([]);
    await gateway.handle(request());
    expect(log).toEqual(['in:g', 'out:g:200']);
    expect(gateway.plan().routes.find((r) => r.name === 'without')?.pipeline).toBeUndefined();
  });

  it('a policy picks a backend: the split is skipped; an unknown backend answers 500 with no detail', async () => {
    const { gateway, transport } = setup({
      upstreams: { u: U, v: { endpoints: [{ id: 'b1', url: 'http://10.0.0.2:80' }] } },
      policies: probes({ pickB: { backend: 'b' }, pickZ: { backend: 'zz' } }),
      routes: [
        route({ backends: [{ name: 'a', upstream: 'u', weight: 100 }, { name: 'b', upstream: 'v', weight: 0 }], policies: { inbound: ['pickB'] } }),
        route({ name: 'bad', matches: [{ path: { type: 'PathPrefix', value: '/bad' } }], policies: { inbound: ['pickZ'] } }),
      ],
    });
    for (let i = 0; i < 5; i++) expect((await gateway.handle(request())).status).toBe(200);
    expect(transport.requests.map((r) => r.endpoint.id)).toEqual(['b1', 'b1', 'b1', 'b1', 'b1']);
    const bad = await gateway.handle(request({ path: '/bad' }));
    expect(bad.status).toBe(500);
    expect(responseCode(bad)).toBe('SY_INTERNAL');
    expect(String(bad.body)).not.toContain('zz');
  });

  it('an identity set by a policy keys a route limit ({ identity: "sub" }), per caller', async () => {
    const { gateway } = setup({
      policies: probes({ auth: { identityFrom: 'x-user' } }),
      limits: { perUser: { key: { identity: 'sub' }, policy: { maxTokens: 1, fillIntervalMs: 60_000 } }, perTier: { key: { identity: 'data.tier' }, policy: { maxTokens: 3, fillIntervalMs: 60_000 } } },
      routes: [route({ policies: { inbound: ['auth'] }, limits: ['perUser', 'perTier'] })],
    });
    const status = async (user: string) => (await gateway.handle(request({ headers: { 'x-user': user } }))).status;
    expect(await status('alice')).toBe(200);
    expect(await status('alice')).toBe(429);
    expect(await status('bob')).toBe(200);
    expect(await status('carol')).toBe(200);
    // The three free callers share the data.tier bucket of 3.
    expect(await status('dave')).toBe(429);
    expect(await status('gold-erin')).toBe(200);
  });

  it('${attributes.x} set by a policy reaches the rewrite, encoded; the origin stays the endpoint', async () => {
    const { gateway, transport } = setup({
      policies: probes({ region: { attributes: { region: 'eu west/1' } } }),
      routes: [route({ policies: { inbound: ['region'] }, rewrite: { url: '${upstream}/v1/${attributes.region}/items', requestHeaders: { set: { 'x-region': '${attributes.region}' } } } })],
    });
    expect((await gateway.handle(request())).status).toBe(200);
    const sent = transport.requests[0];
    expect(sent?.endpoint.id).toBe('a1');
    expect(sent?.request.path).toBe('/v1/eu%20west%2F1/items');
    expect(sent?.request.headers['x-region']).toBe('eu west/1');
  });

  it('attributes are copied on write (undefined removes a key) and the identity is kept in attributes.identity', async () => {
    const seen: Record<string, unknown>[] = [];
    const spy = definePolicy({ type: 'spy', create: () => ({ type: 'spy', inbound: (_r, ctx) => (seen.push(ctx.attributes), CONTINUE) }) });
    const { gateway } = setup(
      { policies: { ...probes({ set: { attributes: { a: '1', b: '2' }, identityFrom: 'x-user' }, unset: { attributes: { a: null } } }), s1: { type: 'spy' }, s2: { type: 'spy' } }, routes: [route({ policies: { inbound: ['s1', 'set', 's2', 'unset'] } })] },
      { policies: [probeType([]), spy] },
    );
    const decided = await gateway.decide(request({ headers: { 'x-user': 'alice' }, attributes: { given: true } }));
    expect(seen[0]).toEqual({ given: true, route: 'r' });
    expect(seen[1]).toMatchObject({ given: true, route: 'r', a: '1', b: '2', identity: { sub: 'alice' } });
    expect(decided.kind === 'continue' && decided.request.attributes).toMatchObject({ given: true, b: '2', identity: { sub: 'alice', data: { tier: 'free' } }, backend: 'u' });
    expect(decided.kind === 'continue' && 'a' in decided.request.attributes).toBe(false);
    expect(seen[1]).toHaveProperty('a', '1');
  });

  it('the context: request id shared with the error body, route metadata, client ip, geo looked up once', async () => {
    let lookups = 0;
    const geoSource: GeoSource = { name: 'test', lookup: (_r, info) => (lookups++, { country: info.trusted ? 'DE' : 'FR', source: 'test' }) };
    const contexts: { id: string; meta: unknown; ip: string | undefined; trusted: boolean; geo: unknown; geo2: unknown }[] = [];
    const look = definePolicy({
      type: 'look',
      create: () => ({
        type: 'look',
        inbound: (_r, ctx) => {
          contexts.push({ id: ctx.requestId, meta: ctx.route.metadata, ip: ctx.clientIp, trusted: ctx.trustedPeer, geo: ctx.geo(), geo2: ctx.geo() });
          return { kind: 'reject', code: 'SY_FORBIDDEN', message: 'no' };
        },
      }),
    });
    const { gateway } = setup(
      { clientIdentity: { trustedProxies: ['10.0.0.0/8'] }, policies: { look: { type: 'look' } }, routes: [route({ metadata: { team: 'x' }, policies: { inbound: ['look'] } })] },
      { policies: [look], geoSource },
    );
    const res = await gateway.handle(request({ clientAddress: '10.1.2.3', headers: { 'x-forwarded-for': '203.0.113.9' } }));
    expect(res.status).toBe(403);
    expect(contexts[0]).toMatchObject({ meta: { team: 'x' }, ip: '203.0.113.9', trusted: true, geo: { country: 'DE' }, geo2: { country: 'DE' } });
    expect(lookups).toBe(1);
    expect(JSON.parse(String(res.body)).requestId).toBe(contexts[0]?.id);
  });
});

describe('pipeline - sync and decide mode', () => {
  it('decideNow stays synchronous with sync policies, and returns a promise with an async one', async () => {
    const sync = setup({ policies: probes({ a: {}, fin: { act: 'none', finalizer: true } }), routes: [route({ policies: { inbound: ['a'], outbound: ['fin'] } })] });
    const d = sync.gateway.decideNow(request());
    expect(d).not.toBeInstanceOf(Promise);
    // Decide mode: the finalizers' headers are handed to the adapter; other outbound policies cannot see the app's response.
    expect(d).toMatchObject({ kind: 'continue', headers: { 'x-fin': '1' } });
    expect(sync.log).toEqual(['in:a', 'out:fin:200']);
    const asyncOne = setup({ policies: probes({ a: { async: true } }), routes: [route({ policies: { inbound: ['a'] } })] });
    const p = asyncOne.gateway.decideNow(request());
    expect(p).toBeInstanceOf(Promise);
    expect(await p).toMatchObject({ kind: 'continue', route: 'r' });
  });

  it('a decide-mode short-circuit runs the outbound side over the gateway answer', () => {
    const { gateway, log } = setup({ policies: probes({ a: {}, deny: { act: 'reject' } }), routes: [route({ policies: { inbound: ['a', 'deny'] } })] });
    const d = gateway.decideNow(request());
    expect(d).not.toBeInstanceOf(Promise);
    expect(d).toMatchObject({ kind: 'respond', response: { status: 401, headers: { 'x-a': '1', 'www-authenticate': 'Bearer' } } });
    expect(log).toEqual(['in:a', 'in:deny', 'out:a:401']);
  });

  it('a route without policies has no pipeline (the path without policies)', () => {
    const { gateway } = setup({ policies: probes({ a: {} }), routes: [route(), route({ name: 'p', matches: [{ path: { type: 'PathPrefix', value: '/p' } }], policies: { inbound: ['a'] } })] });
    expect(gateway.plan().routes[0]?.pipeline).toBeUndefined();
    expect(gateway.plan().routes[1]?.pipeline?.inbound.map((s) => s.name)).toEqual(['a']);
  });
});

describe('pipeline - lifecycle, warnings, explain', () => {
  it('instances are built once per config and closed when a reload drops their config or the gateway stops', async () => {
    const created: string[] = [];
    const closed: string[] = [];
    const log: string[] = [];
    const clock = createTestClock();
    const config: GatewayConfig = { upstreams: { u: U }, policies: probes({ a: {}, b: {} }), routes: [route({ policies: { inbound: ['a', 'b'] } })] };
    const gateway = createGateway(config, { transport: createMockTransport({ clock }), clock, policies: [probeType(log, created, closed)] });
    for (let i = 0; i < 3; i++) await gateway.handle(request());
    expect(created).toEqual(['a', 'b']);
    gateway.reload(config);
    expect(created).toEqual(['a', 'b', 'a', 'b']);
    await Promise.resolve();
    expect(closed).toEqual(['a', 'b']);
    await gateway.stop();
    expect(closed).toEqual(['a', 'b', 'a', 'b']);
  });

  it('an instance nothing refers to is a config warning', () => {
    const { gateway, events } = setup({ policies: probes({ lonely: {} }), routes: [route()] });
    expect(gateway.plan().warnings).toContainEqual({ path: 'policies.lonely', message: 'is not used: no route and no gateway-wide pipeline list names it' });
    expect(events).toContainEqual(expect.objectContaining({ kind: 'config-warning', path: 'policies.lonely' }));
  });

  it('explain prints the policies, the built-in stages and the outbound order', () => {
    const { gateway } = setup({
      clientIdentity: { trustedProxies: [] },
      limits: { ip: { key: 'client-ip', policy: { maxTokens: 5, fillIntervalMs: 1000 } } },
      policies: { ...probes({ cors: { act: 'none', finalizer: true }, auth: { identityFrom: 'x-user' } }), dbg: { type: 'probe', options: {}, when: { header: { name: 'x-debug', present: true } } } },
      pipeline: { inbound: ['auth'], outbound: ['cors'] },
      routes: [route({ limits: ['ip'], policies: { inbound: ['dbg'] } })],
    });
    const e = gateway.explain('r');
    expect(e?.inbound.map((s) => s.name)).toEqual(['auth', 'dbg', 'limits', 'split', 'forward']);
    expect(e?.finalizers).toEqual(['cors']);
    expect(String(e)).toBe(
      [
        'route r',
        '  inbound:',
        '    1. auth (probe, gateway): probe continue',
        '    2. dbg (probe, route) when header x-debug present: probe continue',
        '    3. [limits] rate limits ip (all consumed)',
        '    4. [split] split u 1; skipped when a policy picks a backend',
        '    5. [forward] no rewrite; timeout 15000 ms',
        '  outbound:',
        '    1. dbg (unwind)',
        '    2. cors (response-only, finalizer: every response)',
        '    3. auth (unwind)',
      ].join('\n'),
    );
    expect(gateway.explain('nope')).toBeUndefined();
    expect(String(gateway.plan().explain('r'))).toBe(String(e));
    assertRouteOrder(gateway, 'r', { inbound: ['auth', 'dbg'], steps: ['auth', 'dbg', 'limits', 'split', 'forward'], outbound: ['dbg', 'cors', 'auth'] });
    expect(() => assertRouteOrder(gateway, 'r', { inbound: ['dbg', 'auth'] })).toThrow('inbound order is [auth, dbg]');
  });
});
