/**
 * Gateway API round trips: the conformance suite's own manifests (kubernetes-sigs/gateway-api
 * conformance/tests/*.yaml, embedded unchanged in fixtures/gateway-api-conformance.ts), imported,
 * then the requests of the matching conformance test (conformance/tests/*.go) sent through the
 * gateway on the mock transport, with the answers those tests require.
 */
import { describe, expect, it } from 'vitest';
import { CONFORMANCE } from './fixtures/gateway-api-conformance.js';
import { importDocuments } from '../src/index.js';
import { backendOf, gatewayFor, importYaml, req } from './harness.js';

const INFRA = 'gateway-conformance-infra';
const BACKENDS = {
  [`infra-backend-v1.${INFRA}`]: [{ id: 'infra-backend-v1', url: 'http://10.0.0.1:8080' }],
  [`infra-backend-v2.${INFRA}`]: [{ id: 'infra-backend-v2', url: 'http://10.0.0.2:8080' }],
  [`infra-backend-v3.${INFRA}`]: [{ id: 'infra-backend-v3', url: 'http://10.0.0.3:8080' }],
  'web-backend.gateway-conformance-web-backend': [{ id: 'web-backend', url: 'http://10.0.1.1:8080' }],
  [`grpc-infra-backend-v1.${INFRA}`]: [{ id: 'grpc-v1', url: 'http://10.0.2.1:8080' }],
  [`grpc-infra-backend-v2.${INFRA}`]: [{ id: 'grpc-v2', url: 'http://10.0.2.2:8080' }],
  [`grpc-infra-backend-v3.${INFRA}`]: [{ id: 'grpc-v3', url: 'http://10.0.2.3:8080' }],
};

function load(file: string) {
  const text = CONFORMANCE[file];
  if (text === undefined) throw new Error(`no fixture ${file}`);
  return importYaml(text, file, { backends: BACKENDS });
}

type Case = readonly [path: string, expected: string | number, init?: { method?: string; headers?: Record<string, string>; host?: string }];

async function expectBackends(file: string, cases: readonly Case[]): Promise<void> {
  const t = gatewayFor(load(file));
  for (const [path, expected, init] of cases) {
    const s = await t.send(req(path, { ...(init?.method !== undefined ? { method: init.method } : {}), headers: init?.headers ?? {}, ...(init?.host !== undefined ? { authority: init.host } : {}) }));
    expect([path, init, backendOf(s)]).toEqual([path, init, expected]);
  }
}

describe('Gateway API conformance manifests through the gateway', () => {
  it('httproute-simple-same-namespace.yaml (HTTPRouteSimpleSameNamespace): / reaches infra-backend-v1', async () => {
    await expectBackends('httproute-simple-same-namespace.yaml', [['/', 'infra-backend-v1']]);
  });

  it('httproute-cross-namespace.yaml (HTTPRouteCrossNamespace): a route in another namespace reaches web-backend', async () => {
    await expectBackends('httproute-cross-namespace.yaml', [['/', 'web-backend']]);
  });

  it('httproute-matching.yaml (HTTPRouteMatching): path OR header matches, segment-aware prefixes', async () => {
    await expectBackends('httproute-matching.yaml', [
      ['/', 'infra-backend-v1'],
      ['/example', 'infra-backend-v1'],
      ['/', 'infra-backend-v1', { headers: { version: 'one' } }],
      ['/v2', 'infra-backend-v2'],
      ['/v2/example', 'infra-backend-v2'],
      ['/', 'infra-backend-v2', { headers: { version: 'two' } }],
      ['/v2/', 'infra-backend-v2'],
      ['/v2example', 'infra-backend-v1'],
      ['/foo/v2/example', 'infra-backend-v1'],
    ]);
  });

  it('httproute-matching-across-routes.yaml (HTTPRouteMatchingAcrossRoutes): two routes, hostnames and precedence', async () => {
    await expectBackends('httproute-matching-across-routes.yaml', [
      ['/', 'infra-backend-v1', { host: 'example.com' }],
      ['/example', 'infra-backend-v1', { host: 'example.com' }],
      ['/example', 'infra-backend-v1', { host: 'example.net' }],
      ['/example', 'infra-backend-v1', { host: 'example.com', headers: { version: 'one' } }],
      ['/v2', 'infra-backend-v2', { host: 'example.com' }],
      ['/v2', 'infra-backend-v1', { host: 'example.net' }],
      ['/v2/example', 'infra-backend-v2', { host: 'example.com' }],
      ['/v2/example', 'infra-backend-v1', { host: 'example.net' }],
      ['/', 'infra-backend-v2', { host: 'example.com', headers: { version: 'two' } }],
      ['/', 'infra-backend-v1', { host: 'example.net', headers: { version: 'two' } }],
    ]);
  });

  it('httproute-exact-path-matching.yaml (HTTPRouteExactPathMatching): exact paths only, 404 otherwise', async () => {
    await expectBackends('httproute-exact-path-matching.yaml', [
      ['/one', 'infra-backend-v1'],
      ['/two', 'infra-backend-v2'],
      ['/', 404],
      ['/one/example', 404],
      ['/two/', 404],
      ['/Two', 404],
    ]);
  });

  it('httproute-path-match-order.yaml (HTTPRoutePathMatchOrder): Exact before the longest PathPrefix', async () => {
    await expectBackends('httproute-path-match-order.yaml', [
      ['/match/exact/one', 'infra-backend-v3'],
      ['/match/exact', 'infra-backend-v2'],
      ['/match', 'infra-backend-v1'],
      ['/match/prefix/one/any', 'infra-backend-v2'],
      ['/match/prefix/any', 'infra-backend-v1'],
      ['/match/any', 'infra-backend-v3'],
    ]);
  });

  it('httproute-header-matching.yaml (HTTPRouteHeaderMatching): AND within a match, OR across, most headers first', async () => {
    await expectBackends('httproute-header-matching.yaml', [
      ['/', 'infra-backend-v1', { headers: { version: 'one' } }],
      ['/', 'infra-backend-v2', { headers: { version: 'two' } }],
      ['/', 'infra-backend-v1', { headers: { version: 'two', color: 'orange' } }],
      ['/', 'infra-backend-v2', { headers: { version: 'two', color: 'blue' } }],
      ['/', 404, { headers: { color: 'orange' } }],
      ['/', 404, { headers: { 'some-other-header': 'one' } }],
      ['/', 'infra-backend-v1', { headers: { color: 'blue' } }],
      ['/', 'infra-backend-v1', { headers: { color: 'green' } }],
      ['/', 'infra-backend-v2', { headers: { color: 'red' } }],
      ['/', 'infra-backend-v2', { headers: { color: 'yellow' } }],
      ['/', 404, { headers: { color: 'purple' } }],
    ]);
  });

  it('httproute-query-param-matching.yaml (HTTPRouteQueryParamMatching): case-sensitive names, precedence', async () => {
    await expectBackends('httproute-query-param-matching.yaml', [
      ['/?animal=whale', 'infra-backend-v1'],
      ['/?animal=dolphin', 'infra-backend-v2'],
      ['/?animal=dolphin&color=blue', 'infra-backend-v3'],
      ['/?ANIMAL=Whale', 'infra-backend-v3'],
      ['/?animal=whale&otherparam=irrelevant', 'infra-backend-v1'],
      ['/?animal=dolphin&color=yellow', 'infra-backend-v2'],
      ['/?color=blue', 404],
      ['/?animal=dog', 404],
      ['/?animal=whaledolphin', 404],
      ['/', 404],
      ['/path1?animal=whale', 'infra-backend-v1'],
      ['/?animal=whale', 'infra-backend-v2', { headers: { version: 'one' } }],
      ['/path2?animal=whale', 'infra-backend-v3', { headers: { version: 'two' } }],
      ['/path3?animal=shark', 'infra-backend-v1'],
      ['/path4?animal=kraken', 'infra-backend-v1', { headers: { version: 'three' } }],
      ['/?animal=shark', 404],
      ['/path4?animal=kraken', 404],
      ['/path5?animal=hydra', 'infra-backend-v1'],
      ['/?animal=hydra', 'infra-backend-v3', { headers: { version: 'four' } }],
    ]);
  });

  it('httproute-method-matching.yaml (HTTPRouteMethodMatching): HEAD does not match GET, method before headers', async () => {
    await expectBackends('httproute-method-matching.yaml', [
      ['/', 'infra-backend-v1', { method: 'POST' }],
      ['/', 'infra-backend-v2', { method: 'GET' }],
      ['/', 404, { method: 'HEAD' }],
      ['/path1', 'infra-backend-v1', { method: 'GET' }],
      ['/', 'infra-backend-v2', { method: 'PUT', headers: { version: 'one' } }],
      ['/path2', 'infra-backend-v3', { method: 'POST', headers: { version: 'two' } }],
      ['/path3', 'infra-backend-v1', { method: 'PATCH' }],
      ['/path4', 'infra-backend-v1', { method: 'DELETE', headers: { version: 'three' } }],
      ['/', 404, { method: 'PUT' }],
      ['/path4', 404, { method: 'DELETE' }],
      ['/path5', 'infra-backend-v1', { method: 'PATCH' }],
      ['/', 'infra-backend-v2', { method: 'PATCH', headers: { version: 'four' } }],
    ]);
  });

  it('httproute-weight.yaml (HTTPRouteWeight): 70/30/0 split', async () => {
    const t = gatewayFor(load('httproute-weight.yaml'), 7);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) {
      const b = String(backendOf(await t.send(req('/'))));
      counts[b] = (counts[b] ?? 0) + 1;
    }
    expect(counts['infra-backend-v3']).toBeUndefined();
    // Binomial, 4σ: 70 % ± 4.1 %.
    expect(Math.abs((counts['infra-backend-v1'] ?? 0) / 2000 - 0.7)).toBeLessThan(0.041);
  });

  it('httproute-request-header-modifier.yaml (HTTPRouteRequestHeaderModifier): set, add (appended), remove, any case', async () => {
    const t = gatewayFor(load('httproute-request-header-modifier.yaml'));
    let s = await t.send(req('/set', { headers: { 'some-other-header': 'val', 'x-header-set': 'some-other-value' } }));
    expect(s.upstream?.request.headers).toMatchObject({ 'some-other-header': 'val', 'x-header-set': 'set-overwrites-values' });
    s = await t.send(req('/add', { headers: { 'some-other-header': 'val', 'x-header-add': 'some-other-value' } }));
    expect(s.upstream?.request.headers['x-header-add']).toBe('some-other-value,add-appends-values');
    s = await t.send(req('/remove', { headers: { 'some-other-header': 'val', 'x-header-remove': 'val' } }));
    expect(s.upstream?.request.headers['x-header-remove']).toBeUndefined();
    s = await t.send(req('/multiple', { headers: { 'x-header-set-2': 'set-val-2', 'x-header-add-2': 'add-val-2', 'x-header-remove-2': 'remove-val-2', 'another-header': 'another-header-val' } }));
    expect(s.upstream?.request.headers).toMatchObject({ 'x-header-set-1': 'header-set-1', 'x-header-set-2': 'header-set-2', 'x-header-add-1': 'header-add-1', 'x-header-add-2': 'add-val-2,header-add-2', 'x-header-add-3': 'header-add-3', 'another-header': 'another-header-val' });
    expect(s.upstream?.request.headers['x-header-remove-2']).toBeUndefined();
    s = await t.send(req('/case-insensitivity', { headers: { 'x-header-set': 'original-val-set', 'x-header-add': 'original-val-add', 'x-header-remove': 'original-val-remove' } }));
    expect(s.upstream?.request.headers).toMatchObject({ 'x-header-set': 'header-set', 'x-header-add': 'original-val-add,header-add' });
    expect(s.upstream?.request.headers['x-header-remove']).toBeUndefined();
  });

  it('httproute-request-header-modifier-backend.yaml (HTTPRouteBackendRequestHeaderModifier): a single backend\'s filters apply', async () => {
    const t = gatewayFor(load('httproute-request-header-modifier-backend.yaml'));
    const s = await t.send(req('/set', { headers: { 'x-header-set': 'some-other-value' } }));
    expect(s.upstream?.request.headers['x-header-set']).toBe('set-overwrites-values');
    const r = await t.send(req('/remove', { headers: { 'x-header-remove': 'x' } }));
    expect(r.upstream?.request.headers['x-header-remove']).toBeUndefined();
  });

  it('httproute-request-header-modifier-backend-weights.yaml: per-backend filters with several backends are a warning, weights kept', () => {
    const result = load('httproute-request-header-modifier-backend-weights.yaml');
    expect(result.warnings.map((w) => w.path)).toEqual(['spec.rules[0].backendRefs[0].filters', 'spec.rules[0].backendRefs[1].filters']);
    expect(result.config.routes[0]?.backends).toEqual([
      { upstream: `infra-backend-v1.${INFRA}`, weight: 10 },
      { upstream: `infra-backend-v2.${INFRA}`, weight: 10 },
    ]);
  });

  it('httproute-response-header-modifier.yaml (HTTPRouteResponseHeaderModifier): response set/add/remove', async () => {
    const t = gatewayFor(load('httproute-response-header-modifier.yaml'), 1, (r) => ({
      status: 200,
      headers: r.path.startsWith('/set') ? { 'some-other-header': 'val', 'x-header-set': 'some-other-value' } : r.path.startsWith('/add') ? { 'x-header-add': 'some-other-value' } : { 'x-header-remove': 'val', 'some-other-header': 'val' },
    }));
    let s = await t.send(req('/set'));
    expect(s.response.headers).toMatchObject({ 'some-other-header': 'val', 'x-header-set': 'set-overwrites-values' });
    s = await t.send(req('/add'));
    expect(s.response.headers['x-header-add']).toBe('some-other-value,add-appends-values');
    s = await t.send(req('/remove'));
    expect(s.response.headers['x-header-remove']).toBeUndefined();
    expect(s.response.headers['some-other-header']).toBe('val');
  });

  it('httproute-rewrite-path.yaml (HTTPRouteRewritePath): ReplacePrefixMatch, ReplaceFullPath, with header ops', async () => {
    const t = gatewayFor(load('httproute-rewrite-path.yaml'));
    const path = async (p: string, headers: Record<string, string> = {}) => (await t.send(req(p, { headers }))).upstream?.request;
    expect((await path('/prefix/one/two'))?.path).toBe('/one/two');
    expect((await path('/strip-prefix/three'))?.path).toBe('/three');
    expect((await path('/strip-prefix'))?.path).toBe('/');
    expect((await path('/full/one/two'))?.path).toBe('/one');
    const full = await path('/full/rewrite-path-and-modify-headers/test', { 'x-header-remove': 'remove-val', 'x-header-add-append': 'append-val-1', 'x-header-set': 'set-val' });
    expect(full?.path).toBe('/test');
    expect(full?.headers).toMatchObject({ 'x-header-add': 'header-val-1', 'x-header-add-append': 'append-val-1,header-val-2', 'x-header-set': 'set-overwrites-values' });
    expect(full?.headers['x-header-remove']).toBeUndefined();
    expect((await path('/prefix/rewrite-path-and-modify-headers/one'))?.path).toBe('/prefix/one');
  });

  it('httproute-rewrite-host.yaml (HTTPRouteRewriteHost): Host rewritten per rule', async () => {
    const t = gatewayFor(load('httproute-rewrite-host.yaml'));
    const host = async (p: string) => (await t.send(req(p, { authority: 'rewrite.example' }))).upstream?.request.headers['host'];
    expect(await host('/one')).toBe('one.example.org');
    expect(await host('/two')).toBe('example.org');
    expect(await host('/rewrite-host-and-modify-headers')).toBe('test.example.org');
  });

  it('httproute-backend-url-rewrite.yaml (HTTPRouteBackendURLRewrite): URLRewrite on the only backendRef', async () => {
    const t = gatewayFor(load('httproute-backend-url-rewrite.yaml'));
    expect((await t.send(req('/full/one'))).upstream?.request.path).toBe('/rewritten-full');
    expect((await t.send(req('/prefix/one'))).upstream?.request.path).toBe('/rewritten-prefix/one');
  });

  it('httproute-redirect-host-and-status.yaml (HTTPRouteRedirectHostAndStatus): 302 default, 301 when asked', async () => {
    const t = gatewayFor(load('httproute-redirect-host-and-status.yaml'));
    let s = await t.send(req('/hostname-redirect'));
    expect([s.response.status, s.response.headers['location']]).toEqual([302, 'http://example.org/hostname-redirect']);
    s = await t.send(req('/host-and-status'));
    expect([s.response.status, s.response.headers['location']]).toEqual([301, 'http://example.org/host-and-status']);
    expect(t.transport.requests).toHaveLength(0);
  });

  it('httproute-redirect-path.yaml (HTTPRouteRedirectPath): prefix and full path redirects', async () => {
    const t = gatewayFor(load('httproute-redirect-path.yaml'));
    const loc = async (p: string) => {
      const s = await t.send(req(p));
      return [s.response.status, s.response.headers['location']];
    };
    expect(await loc('/original-prefix/lemon')).toEqual([302, 'http://gateway.example/replacement-prefix/lemon']);
    expect(await loc('/full/path/original')).toEqual([302, 'http://gateway.example/full-path-replacement']);
    expect(await loc('/path-and-host')).toEqual([302, 'http://example.org/replacement-prefix']);
    expect(await loc('/path-and-status')).toEqual([301, 'http://gateway.example/replacement-prefix']);
    expect(await loc('/full-path-and-host')).toEqual([302, 'http://example.org/replacement-full']);
    expect(await loc('/full-path-and-status')).toEqual([301, 'http://gateway.example/replacement-full']);
  });

  it('httproute-redirect-port.yaml (HTTPRouteRedirectPort): port kept in Location', async () => {
    const t = gatewayFor(load('httproute-redirect-port.yaml'));
    const s = await t.send(req('/port'));
    expect([s.response.status, s.response.headers['location']]).toEqual([302, 'http://gateway.example:8083/port']);
    const h = await t.send(req('/port-and-host-and-status'));
    expect([h.response.status, h.response.headers['location']]).toEqual([302, 'http://example.org:8083/port-and-host-and-status']);
  });

  it('httproute-redirect-scheme.yaml (HTTPRouteRedirectScheme): https with its default port omitted', async () => {
    const t = gatewayFor(load('httproute-redirect-scheme.yaml'));
    const s = await t.send(req('/scheme'));
    expect([s.response.status, s.response.headers['location']]).toEqual([302, 'https://gateway.example/scheme']);
    const h = await t.send(req('/scheme-and-host-and-status'));
    expect([h.response.status, h.response.headers['location']]).toEqual([302, 'https://example.org/scheme-and-host-and-status']);
  });

  it('httproute-303/307/308-redirect.yaml: extended status codes', async () => {
    for (const [file, path, code] of [['httproute-303-redirect.yaml', '/see-other', 303], ['httproute-307-redirect.yaml', '/temporary', 307], ['httproute-308-redirect.yaml', '/permanent', 308]] as const) {
      const t = gatewayFor(load(file));
      expect((await t.send(req(path))).response.status).toBe(code);
    }
  });

  it('httproute-backend-request-redirect.yaml (HTTPRouteBackendRequestRedirect): a redirect on the only backendRef', async () => {
    const t = gatewayFor(load('httproute-backend-request-redirect.yaml'));
    const s = await t.send(req('/full/x'));
    expect([s.response.status, s.response.headers['location']]).toEqual([302, 'http://gateway.example/redirected-full']);
    const p = await t.send(req('/prefix/x'));
    expect(p.response.headers['location']).toBe('http://gateway.example/redirected-prefix/x');
  });

  it('httproute-request-mirror.yaml (HTTPRouteRequestMirror): the primary answers, the mirror gets a copy', async () => {
    const t = gatewayFor(load('httproute-request-mirror.yaml'));
    const s = await t.send(req('/mirror'));
    expect(s.response.status).toBe(200);
    expect(s.all.map((r) => r.endpoint.id).sort()).toEqual(['infra-backend-v1', 'infra-backend-v2']);
  });

  it('httproute-request-multiple-mirrors.yaml: the first mirror is imported, the second is a warning', () => {
    const result = load('httproute-request-multiple-mirrors.yaml');
    expect(result.config.routes[0]?.mirror).toEqual({ upstream: `infra-backend-v2.${INFRA}` });
    expect(result.warnings.map((w) => [w.path, w.message.startsWith('a second RequestMirror')])).toEqual([['spec.rules[0].filters[1]', true], ['spec.rules[1].filters[2]', true]]);
  });

  it('httproute-request-percentage-mirror.yaml (HTTPRouteRequestPercentageMirror): percent and fraction', () => {
    const result = load('httproute-request-percentage-mirror.yaml');
    expect(result.config.routes.map((r) => r.mirror?.percent)).toEqual([20, 50, 35]);
  });

  it('httproute-timeout-request.yaml (HTTPRouteTimeoutRequest): 504 after 500 ms; 0s disables', async () => {
    const t = gatewayFor(load('httproute-timeout-request.yaml'), 1, () => ({ status: 200, delayMs: 1000 }));
    expect((await t.send(req('/request-timeout'))).response.status).toBe(504);
    expect((await t.send(req('/disable-request-timeout'))).response.status).toBe(200);
    expect(load('httproute-timeout-request.yaml').config.routes.map((r) => r.timeoutMs)).toEqual([500, 0]);
  });

  it('httproute-timeout-backend-request.yaml (HTTPRouteTimeoutBackendRequest): per-try timeout', async () => {
    const result = load('httproute-timeout-backend-request.yaml');
    expect(result.config.routes.map((r) => r.perTryTimeoutMs)).toEqual([500, undefined]);
    const t = gatewayFor(result, 1, () => ({ status: 200, delayMs: 1000 }));
    expect((await t.send(req('/backend-timeout'))).response.status).toBe(504);
    expect((await t.send(req('/disable-backend-timeout'))).response.status).toBe(200);
  });

  it('httproute-retry.yaml (HTTPRouteRetry): attempts are retries, codes retried, last status surfaced', async () => {
    const t = gatewayFor(load('httproute-retry.yaml'));
    t.transport.enqueue({ status: 500 }, { status: 500 }, { status: 500 }, { status: 200 });
    let s = await t.send(req('/retry/code-500-attempts-3'));
    expect([s.response.status, s.all.length]).toEqual([200, 4]);
    t.transport.enqueue({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    s = await t.send(req('/retry/code-500-attempts-3'));
    expect([s.response.status, s.all.length]).toEqual([500, 4]);
    t.transport.enqueue({ status: 502 }, { status: 503 }, { status: 504 });
    s = await t.send(req('/retry/code-all-attempts-2'));
    expect([s.response.status, s.all.length]).toEqual([504, 3]);
  });

  it('httproute-omitted-backendrefs.yaml (HTTPRouteNoBackendRefs): omitted or empty backendRefs answer 500', async () => {
    const t = gatewayFor(load('httproute-omitted-backendrefs.yaml'));
    expect((await t.send(req('/omitted-no-forward'))).response.status).toBe(500);
    expect((await t.send(req('/empty-no-forward'))).response.status).toBe(500);
    expect(backendOf(await t.send(req('/other')))).toBe('infra-backend-v1');
  });

  it('httproute-named-rule.yaml (HTTPRouteNamedRule): named rules name the route', async () => {
    const result = load('httproute-named-rule.yaml');
    expect(result.config.routes.map((r) => r.name)).toEqual([`${INFRA}/http-named-rules/named-rule`, `${INFRA}/http-named-rules/rule-1`]);
    await expectBackends('httproute-named-rule.yaml', [
      ['/named', 'infra-backend-v1'],
      ['/unnamed', 'infra-backend-v2'],
    ]);
  });

  it('httproute-cors.yaml (HTTPRouteCORS): each CORS filter becomes a cors policy the route names', () => {
    const result = load('httproute-cors.yaml');
    const first = result.config.routes.find((r) => r.name === `${INFRA}/cors-multiple-origins-methods-headers/rule-0`);
    expect(first?.policies).toEqual({ inbound: [`cors:${INFRA}/cors-multiple-origins-methods-headers/rule-0`] });
    expect(result.config.policies?.[`cors:${INFRA}/cors-multiple-origins-methods-headers/rule-0`]).toEqual({
      type: 'cors',
      options: { origins: ['https://www.foo.com', 'https://*.bar.com'], methods: ['GET', 'OPTIONS'], allowHeaders: ['x-header-1', 'x-header-2'], exposeHeaders: ['x-header-3', 'x-header-4'], credentials: true, maxAgeSeconds: 3600 },
    });
    expect(Object.keys(result.config.policies ?? {})).toHaveLength(5);
  });

  it('grpcroute-exact-method-matching.yaml (GRPCExactMethodMatching): service/method become exact paths', async () => {
    await expectBackends('grpcroute-exact-method-matching.yaml', [
      ['/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/Echo', 'grpc-v1', { method: 'POST' }],
      ['/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/EchoTwo', 'grpc-v2', { method: 'POST' }],
      ['/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/EchoThree', 404, { method: 'POST' }],
    ]);
  });

  it('grpcroute-header-matching.yaml (GRPCRouteHeaderMatching): header matches on gRPC calls', async () => {
    const result = load('grpcroute-header-matching.yaml');
    expect(result.config.routes.length).toBeGreaterThan(0);
    const t = gatewayFor(result);
    const s = await t.send(req('/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/Echo', { method: 'POST', headers: { version: 'one' } }));
    expect(backendOf(s)).toBe('grpc-v1');
  });

  it('grpcroute-weight.yaml (GRPCRouteWeight): weights carried over', () => {
    const result = load('grpcroute-weight.yaml');
    expect(result.config.routes[0]?.backends?.map((b) => b.weight ?? 1)).toEqual([70, 30, 0]);
  });

  it('grpcroute-request-header-modifier.yaml (GRPCRouteRequestHeaderModifier): header ops on a gRPC route', async () => {
    const t = gatewayFor(load('grpcroute-request-header-modifier.yaml'));
    const s = await t.send(req('/gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/Echo', { method: 'POST', headers: { 'x-header-set': 'x' } }));
    expect(s.upstream).toBeDefined();
  });
});

describe('Gateway API fields beyond the conformance manifests', () => {
  const one = (rule: Record<string, unknown>) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r', namespace: INFRA }, spec: { rules: [{ backendRefs: [{ name: 'infra-backend-v1', port: 8080 }], ...rule }] } });

  it('sessionPersistence, v1.6 shape (sessionName, cookieConfig) and the newer one (cookie.name): route sessionPersistence in ms', () => {
    const a = importDocuments([one({ sessionPersistence: { sessionName: 'sticky', absoluteTimeout: '1h', idleTimeout: '10m', type: 'Cookie' } })], { backends: BACKENDS });
    expect(a.config.routes[0]?.sessionPersistence).toEqual({ type: 'Cookie', sessionName: 'sticky', absoluteTimeoutMs: 3_600_000, idleTimeoutMs: 600_000 });
    const b = importDocuments([one({ sessionPersistence: { type: 'Header', header: { name: 'x-session' } } })], { backends: BACKENDS });
    expect(b.config.routes[0]?.sessionPersistence).toEqual({ type: 'Header', sessionName: 'x-session' });
    const c = importDocuments([one({ sessionPersistence: { cookie: { name: 'c', lifetimeType: 'Session' } } })], { backends: BACKENDS });
    expect(c.warnings.map((w) => w.path)).toEqual(['spec.rules[0].sessionPersistence.cookie.lifetimeType']);
    const d = importDocuments([one({ sessionPersistence: { absoluteTimeout: '1h' } })], { backends: BACKENDS });
    expect(d.config.routes[0]?.sessionPersistence).toEqual({ type: 'Cookie', sessionName: 'sy-session', absoluteTimeoutMs: 3_600_000 });
  });

  it('ExtensionRef: the filter cannot be applied and must not be skipped: matching requests are answered 500, with a warning', async () => {
    const r = importDocuments([one({ filters: [{ type: 'ExtensionRef', extensionRef: { group: 'example.com', kind: 'Auth', name: 'a' } }] })], { backends: BACKENDS });
    expect(r.warnings.map((w) => w.path)).toEqual(['spec.rules[0].filters[0]']);
    const t = gatewayFor(r);
    const s = await t.send(req('/'));
    expect([s.response.status, s.upstream]).toEqual([500, undefined]);
  });

  it('GRPCRoute: a method-only match and a RegularExpression match become regex paths', async () => {
    const g = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GRPCRoute', metadata: { name: 'g', namespace: INFRA }, spec: { rules: [
      { matches: [{ method: { method: 'Health' } }], backendRefs: [{ name: 'grpc-infra-backend-v1', port: 8080 }] },
      { matches: [{ method: { type: 'RegularExpression', service: 'pkg\\.v[0-9]+\\.Users' } }], backendRefs: [{ name: 'grpc-infra-backend-v2', port: 8080 }] },
    ] } };
    const r = importDocuments([g], { backends: BACKENDS });
    expect(r.config.routes.map((x) => x.matches?.[0]?.path)).toEqual([{ type: 'RegularExpression', value: '/[^/]+/Health' }, { type: 'RegularExpression', value: '/(?:pkg\\.v[0-9]+\\.Users)/(?:[^/]+)' }]);
    const t = gatewayFor(r);
    expect(backendOf(await t.send(req('/any.Svc/Health', { method: 'POST' })))).toBe('grpc-v1');
    expect(backendOf(await t.send(req('/pkg.v2.Users/Get', { method: 'POST' })))).toBe('grpc-v2');
  });

  it('an invalid backendRef (unknown kind) gets 500 in proportion to its weight (HTTPBackendRef: "MUST receive a 500"), the rest is split as before', async () => {
    const r = importDocuments([one({ backendRefs: [{ name: 'infra-backend-v1', port: 8080 }, { group: 'example.com', kind: 'Bucket', name: 'b' }] })], { backends: BACKENDS });
    expect(r.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
      'spec.rules[0].backendRefs[1]: example.com/Bucket backends have no switchyard counterpart (only core Services resolve): the requests it would get are answered 500 (Gateway API: an invalid backendRef)',
    ]);
    expect(r.config.routes[0]?.backends).toEqual([{ upstream: `infra-backend-v1.${INFRA}` }]);
    expect(r.config.routes[0]?.fault).toEqual({ abort: { httpStatus: 500, percent: 50 } });
    const t = gatewayFor(r, 11);
    let errors = 0;
    for (let i = 0; i < 1000; i++) {
      const b = backendOf(await t.send(req('/')));
      if (b === 500) errors++;
      else expect(b).toBe('infra-backend-v1');
    }
    expect(Math.abs(errors / 1000 - 0.5)).toBeLessThan(0.064); // 4σ
  });

  it('httproute-invalid-backendref-unknown-kind (HTTPRouteInvalidBackendRefUnknownKind): the only backend invalid: every request 500', async () => {
    const r = importDocuments([one({ backendRefs: [{ group: 'unknownkind.example.com', kind: 'NonExistent', name: 'infra-backend-v1' }] })], { backends: BACKENDS });
    expect(r.config.routes[0]?.backends).toBeUndefined();
    expect((await gatewayFor(r).send(req('/'))).response.status).toBe(500);
  });
});
