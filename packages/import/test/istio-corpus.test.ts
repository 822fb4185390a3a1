/**
 * Istio round trips: manifests from istio.io's tasks and reference pages (each test names its
 * page), imported, then the requests those pages describe sent through the gateway on the mock
 * transport, with the answers the pages document.
 */
import { describe, expect, it } from 'vitest';
import { importDocuments, parseYamlDocuments } from '../src/index.js';
import { backendOf, gatewayFor, importYaml, req } from './harness.js';

const ep = (id: string, n: number, version?: string) => ({ id, url: `http://10.1.0.${n}:9080`, ...(version !== undefined ? { metadata: { version } } : {}) });
const BOOKINFO = {
  'productpage.default': [ep('productpage-v1', 1, 'v1')],
  'reviews.default': [ep('reviews-v1', 11, 'v1'), ep('reviews-v2', 12, 'v2'), ep('reviews-v3', 13, 'v3')],
  'ratings.default': [ep('ratings-v1', 21, 'v1'), ep('ratings-v2', 22, 'v2')],
  'details.default': [ep('details-v1', 31, 'v1'), ep('details-v2', 32, 'v2')],
  'httpbin.default': [{ id: 'httpbin-v1', url: 'http://10.1.1.1:8000', metadata: { version: 'v1' } }, { id: 'httpbin-v2', url: 'http://10.1.1.2:8000', metadata: { version: 'v2' } }],
  'reviews.prod': [ep('prod-reviews-v1', 41, 'v1'), ep('prod-reviews-v2', 42, 'v2')],
  'ratings.prod': [ep('prod-ratings-v1', 51, 'v1'), ep('prod-ratings-v2', 52, 'v2')],
};
const load = (text: string, file: string) => importYaml(text, file, { backends: BOOKINFO });

// istio/istio samples/bookinfo/networking/destination-rule-all.yaml (as used by every Bookinfo task)
const BOOKINFO_DR = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: productpage }
spec: { host: productpage, subsets: [{ name: v1, labels: { version: v1 } }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews }
spec:
  host: reviews
  subsets:
  - name: v1
    labels: { version: v1 }
  - name: v2
    labels: { version: v2 }
  - name: v3
    labels: { version: v3 }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ratings }
spec:
  host: ratings
  subsets:
  - name: v1
    labels: { version: v1 }
  - name: v2
    labels: { version: v2 }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: details }
spec:
  host: details
  subsets:
  - name: v1
    labels: { version: v1 }
  - name: v2
    labels: { version: v2 }
`;

describe('Istio documentation examples through the gateway', () => {
  it('tasks/traffic-management/request-routing (virtual-service-all-v1.yaml): every service to v1', async () => {
    const text = `${BOOKINFO_DR}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: { host: reviews, subset: v1 }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ratings }
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: { host: ratings, subset: v1 }
`;
    const t = gatewayFor(load(text, 'virtual-service-all-v1.yaml'));
    for (let i = 0; i < 20; i++) expect(backendOf(await t.send(req('/reviews/0', { authority: 'reviews:9080' })))).toBe('reviews-v1');
    expect(backendOf(await t.send(req('/ratings/0', { authority: 'ratings.default.svc.cluster.local' })))).toBe('ratings-v1');
    expect((await t.send(req('/', { authority: 'unknown' }))).response.status).toBe(404);
  });

  it('tasks/traffic-management/request-routing (virtual-service-reviews-test-v2.yaml): end-user jason gets v2', async () => {
    const text = `${BOOKINFO_DR}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts:
    - reviews
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    route:
    - destination:
        host: reviews
        subset: v2
  - route:
    - destination:
        host: reviews
        subset: v1
`;
    const t = gatewayFor(load(text, 'virtual-service-reviews-test-v2.yaml'));
    expect(backendOf(await t.send(req('/reviews/0', { authority: 'reviews', headers: { 'end-user': 'jason' } })))).toBe('reviews-v2');
    expect(backendOf(await t.send(req('/reviews/0', { authority: 'reviews', headers: { 'end-user': 'alice' } })))).toBe('reviews-v1');
    expect(backendOf(await t.send(req('/reviews/0', { authority: 'reviews' })))).toBe('reviews-v1');
  });

  it('tasks/traffic-management/traffic-shifting (virtual-service-reviews-50-v3.yaml): 50/50 between v1 and v3', async () => {
    const text = `${BOOKINFO_DR}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: { host: reviews, subset: v1 }
      weight: 50
    - destination: { host: reviews, subset: v3 }
      weight: 50
`;
    const t = gatewayFor(load(text, 'virtual-service-reviews-50-v3.yaml'), 3);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) {
      const b = String(backendOf(await t.send(req('/reviews/0', { authority: 'reviews' }))));
      counts[b] = (counts[b] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['reviews-v1', 'reviews-v3']);
    expect(Math.abs((counts['reviews-v1'] ?? 0) / 1000 - 0.5)).toBeLessThan(0.064); // 4σ
  });

  it('tasks/traffic-management/traffic-shifting (virtual-service-reviews-v3.yaml): 100 % to v3', async () => {
    const text = `${BOOKINFO_DR}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: { host: reviews, subset: v3 }
`;
    const t = gatewayFor(load(text, 'virtual-service-reviews-v3.yaml'));
    for (let i = 0; i < 10; i++) expect(backendOf(await t.send(req('/reviews/1', { authority: 'reviews' })))).toBe('reviews-v3');
  });

  it('tasks/traffic-management/fault-injection (virtual-service-ratings-test-delay.yaml): 7 s delay for jason', async () => {
    const text = `${BOOKINFO_DR}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
  - ratings
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    fault:
      delay:
        percentage:
          value: 100.0
        fixedDelay: 7s
    route:
    - destination:
        host: ratings
        subset: v1
  - route:
    - destination:
        host: ratings
        subset: v1
`;
    const result = load(text, 'virtual-service-ratings-test-delay.yaml');
    expect(result.config.routes[0]?.fault).toEqual({ delay: { fixedDelayMs: 7000, percent: 100 } });
    const t = gatewayFor(result);
    const start = t.clock.now();
    const s = await t.send(req('/ratings/0', { authority: 'ratings', headers: { 'end-user': 'jason' } }));
    expect(backendOf(s)).toBe('ratings-v1');
    expect(s.upstream?.at).toBeGreaterThanOrEqual(start + 7000);
    const quick = await t.send(req('/ratings/0', { authority: 'ratings' }));
    expect(quick.upstream?.at).toBeLessThan(t.clock.now() + 1);
  });

  it('tasks/traffic-management/fault-injection (virtual-service-ratings-test-abort.yaml): HTTP 500 for jason', async () => {
    const text = `${BOOKINFO_DR}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
  - ratings
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    fault:
      abort:
        percentage:
          value: 100.0
        httpStatus: 500
    route:
    - destination:
        host: ratings
        subset: v1
  - route:
    - destination:
        host: ratings
        subset: v1
`;
    const t = gatewayFor(load(text, 'virtual-service-ratings-test-abort.yaml'));
    const s = await t.send(req('/ratings/0', { authority: 'ratings', headers: { 'end-user': 'jason' } }));
    expect([s.response.status, s.upstream]).toEqual([500, undefined]);
    expect(backendOf(await t.send(req('/ratings/0', { authority: 'ratings' })))).toBe('ratings-v1');
  });

  it('tasks/traffic-management/request-timeouts: timeout 0.5s answers 504 when reviews takes 2 s', async () => {
    const text = `${BOOKINFO_DR}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v2
    timeout: 0.5s
`;
    const result = load(text, 'request-timeouts.yaml');
    expect(result.config.routes[0]?.timeoutMs).toBe(500);
    const t = gatewayFor(result, 1, () => ({ status: 200, delayMs: 2000 }));
    expect((await t.send(req('/reviews/0', { authority: 'reviews' }))).response.status).toBe(504);
  });

  it('Istio has no route timeout by default: a slow answer is not cut after switchyard\'s 15 s', async () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: details }
spec:
  hosts: [details]
  http:
  - route: [{ destination: { host: details } }]
`;
    const result = load(text, 'details.yaml');
    expect(result.config.routes[0]?.timeoutMs).toBe(0);
    const t = gatewayFor(result, 1, () => ({ status: 200, delayMs: 20_000 }));
    expect((await t.send(req('/details/0', { authority: 'details' }))).response.status).toBe(200);
  });

  it('tasks/traffic-management/circuit-breaking: connection pool and outlier detection on httpbin', () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: httpbin
spec:
  host: httpbin
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 1
      http:
        http1MaxPendingRequests: 1
        maxRequestsPerConnection: 1
    outlierDetection:
      consecutive5xxErrors: 1
      interval: 1s
      baseEjectionTime: 3m
      maxEjectionPercent: 100
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin }
spec:
  hosts: [httpbin]
  http:
  - route: [{ destination: { host: httpbin } }]
`;
    const result = load(text, 'circuit-breaking.yaml');
    const up = result.config.upstreams['httpbin.default'];
    expect(up?.resourceLimits).toEqual({ maxConnections: 1, maxPendingRequests: 1, maxRequests: 4_294_967_295, maxRetries: 4_294_967_295 });
    expect(up?.outlierDetection).toMatchObject({ consecutive5xx: 1, intervalMs: 1000, baseEjectionTimeMs: 180_000, maxEjectionPercent: 100, enforcingSuccessRate: 0 });
    expect(up?.panicThresholdPercent).toBe(0);
    expect(result.warnings.map((w) => w.path)).toEqual(['spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection']);
  });

  it('tasks/traffic-management/circuit-breaking: an endpoint answering 5xx is ejected after one error', async () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: httpbin }
spec:
  host: httpbin
  trafficPolicy:
    loadBalancer: { simple: ROUND_ROBIN }
    outlierDetection: { consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 3m, maxEjectionPercent: 100 }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin }
spec:
  hosts: [httpbin]
  http:
  - route: [{ destination: { host: httpbin } }]
    retries: { attempts: 0 }
`;
    const t = gatewayFor(load(text, 'outlier.yaml'), 1, (_r, e) => ({ status: e.id === 'httpbin-v1' ? 503 : 200 }));
    const seen: (string | number)[] = [];
    for (let i = 0; i < 6; i++) seen.push(backendOf(await t.send(req('/get', { authority: 'httpbin' }))));
    expect(seen.filter((b) => b === 'httpbin-v1')).toHaveLength(1);
  });

  it('tasks/traffic-management/mirroring: all traffic to v1, mirrored 100 % to v2', async () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: httpbin
spec:
  host: httpbin
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
    - httpbin
  http:
  - route:
    - destination:
        host: httpbin
        subset: v1
      weight: 100
    mirror:
      host: httpbin
      subset: v2
    mirrorPercentage:
      value: 100.0
`;
    const result = load(text, 'mirroring.yaml');
    expect(result.config.routes[0]?.mirror).toEqual({ upstream: 'httpbin.default/v2' });
    const t = gatewayFor(result);
    const s = await t.send(req('/headers', { authority: 'httpbin:8000' }));
    expect(s.response.status).toBe(200);
    expect(s.all.map((r) => r.endpoint.id).sort()).toEqual(['httpbin-v1', 'httpbin-v2']);
  });

  it('tasks/traffic-management/ingress/ingress-control: /status and /delay prefixes on httpbin.example.com', async () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - "httpbin.example.com"
  gateways:
  - httpbin-gateway
  http:
  - match:
    - uri:
        prefix: /status
    - uri:
        prefix: /delay
    route:
    - destination:
        port:
          number: 8000
        host: httpbin
`;
    const t = gatewayFor(load(text, 'ingress-control.yaml'));
    expect(String(backendOf(await t.send(req('/status/200', { authority: 'httpbin.example.com' }))))).toMatch(/^httpbin-v/);
    expect(String(backendOf(await t.send(req('/delay/1', { authority: 'httpbin.example.com' }))))).toMatch(/^httpbin-v/);
    expect((await t.send(req('/headers', { authority: 'httpbin.example.com' }))).response.status).toBe(404);
    expect((await t.send(req('/status/200', { authority: 'other.example.com' }))).response.status).toBe(404);
  });

  it('reference/config/networking/virtual-service (HTTPRewrite): /ratings prefix to /v1/bookRatings', async () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings-route
spec:
  hosts:
  - ratings.prod.svc.cluster.local
  http:
  - match:
    - uri:
        prefix: /ratings
    rewrite:
      uri: /v1/bookRatings
    route:
    - destination:
        host: ratings.prod.svc.cluster.local
        subset: v1
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ratings, namespace: prod }
spec:
  host: ratings.prod.svc.cluster.local
  subsets: [{ name: v1, labels: { version: v1 } }]
`;
    const t = gatewayFor(load(text, 'vs-rewrite.yaml'));
    const s = await t.send(req('/ratings/2', { authority: 'ratings.prod.svc.cluster.local' }));
    expect([backendOf(s), s.upstream?.request.path]).toEqual(['prod-ratings-v1', '/v1/bookRatings/2']);
  });

  it('reference/config/networking/virtual-service (HTTPRewrite.uriRegexRewrite, = Envoy regex_rewrite\'s documented example): capture groups swap segments', async () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: regex-rewrite }
spec:
  hosts: [details]
  http:
  - match:
    - uri:
        regex: ^/service/[^/]+/.*$
    rewrite:
      uriRegexRewrite:
        match: ^/service/([^/]+)(/.*)$
        rewrite: \\2/instance/\\1
    route:
    - destination: { host: details }
`;
    const t = gatewayFor(load(text, 'vs-regex-rewrite.yaml'));
    const s = await t.send(req('/service/foo/v1/api', { authority: 'details' }));
    expect(s.upstream?.request.path).toBe('/v1/api/instance/foo');
  });

  it('reference/config/networking/virtual-service (HTTPRedirect): /v1/getProductRatings → newratings.default.svc.cluster.local/v1/bookRatings, 301', async () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings-route
spec:
  hosts:
  - ratings.prod.svc.cluster.local
  http:
  - match:
    - uri:
        exact: /v1/getProductRatings
    redirect:
      uri: /v1/bookRatings
      authority: newratings.default.svc.cluster.local
`;
    const t = gatewayFor(load(text, 'vs-redirect.yaml'));
    const s = await t.send(req('/v1/getProductRatings', { authority: 'ratings.prod.svc.cluster.local' }));
    expect([s.response.status, s.response.headers['location']]).toEqual([301, 'http://newratings.default.svc.cluster.local/v1/bookRatings']);
  });

  it('reference/config/networking/virtual-service (HTTPRetry): 3 attempts, gateway-error retried', async () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings-route
spec:
  hosts:
  - ratings.prod.svc.cluster.local
  http:
  - route:
    - destination:
        host: ratings.prod.svc.cluster.local
        subset: v1
    retries:
      attempts: 3
      perTryTimeout: 2s
      retryOn: gateway-error,connect-failure,refused-stream
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ratings, namespace: prod }
spec:
  host: ratings.prod.svc.cluster.local
  subsets: [{ name: v1, labels: { version: v1 } }]
`;
    const result = load(text, 'vs-retries.yaml');
    expect(result.config.routes[0]?.retry).toEqual({ numRetries: 3, retryOn: ['gateway-error', 'connect-failure', 'reset'], retryNonIdempotent: true });
    expect(result.config.routes[0]?.perTryTimeoutMs).toBe(2000);
    const t = gatewayFor(result);
    t.transport.enqueue({ status: 503 }, { status: 502 }, { status: 504 }, { status: 200 });
    const s = await t.send(req('/ratings/0', { authority: 'ratings.prod.svc.cluster.local' }));
    expect([s.response.status, s.all.length]).toEqual([200, 4]);
    t.transport.enqueue({ status: 500 });
    expect((await t.send(req('/ratings/0', { authority: 'ratings.prod.svc.cluster.local' }))).response.status).toBe(500);
  });

  it('reference/config/networking/virtual-service (HTTPRetry): status codes in retryOn', async () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: r }
spec:
  hosts: [details]
  http:
  - route: [{ destination: { host: details } }]
    retries: { attempts: 2, retryOn: "503,reset" }
`;
    const result = load(text, 'vs-retry-codes.yaml');
    expect(result.config.routes[0]?.retry).toMatchObject({ numRetries: 2, retryOn: ['reset', 'retriable-status-codes'], retriableStatusCodes: [503] });
    const t = gatewayFor(result);
    t.transport.enqueue({ status: 503 }, { status: 503 }, { status: 200 });
    expect((await t.send(req('/x', { authority: 'details' }))).response.status).toBe(200);
  });

  it('reference/config/networking/virtual-service (Headers): request set, response add/remove on a destination', async () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews-route
spec:
  hosts:
  - reviews.prod.svc.cluster.local
  http:
  - headers:
      request:
        set:
          test: "true"
    route:
    - destination:
        host: reviews.prod.svc.cluster.local
        subset: v2
      weight: 25
    - destination:
        host: reviews.prod.svc.cluster.local
        subset: v1
      headers:
        response:
          remove:
          - foo
      weight: 75
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: prod }
spec:
  host: reviews.prod.svc.cluster.local
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
`;
    const parsed = parseYamlDocuments(text, 'vs-headers.yaml');
    const result = importDocuments(parsed.documents, { backends: BOOKINFO });
    expect(result.problems).toEqual([]);
    expect(result.warnings.map((w) => w.path)).toEqual(['spec.http[0].route[1].headers']);
    const t = gatewayFor(result);
    const s = await t.send(req('/reviews/0', { authority: 'reviews.prod.svc.cluster.local' }));
    expect(s.upstream?.request.headers['test']).toBe('true');
    expect(result.config.routes[0]?.backends).toEqual([{ upstream: 'reviews.prod/v2', weight: 25 }, { upstream: 'reviews.prod/v1', weight: 75 }]);
  });

  it('reference/config/networking/virtual-service (CorsPolicy): a cors policy the route names, answering preflights through the gateway', async () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings-route
spec:
  hosts:
  - ratings.prod.svc.cluster.local
  http:
  - route:
    - destination:
        host: ratings.prod.svc.cluster.local
        subset: v1
    corsPolicy:
      allowOrigins:
      - exact: https://example.com
      allowMethods:
      - POST
      - GET
      allowCredentials: false
      allowHeaders:
      - X-Foo-Bar
      maxAge: "24h"
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ratings, namespace: prod }
spec:
  host: ratings.prod.svc.cluster.local
  subsets: [{ name: v1, labels: { version: v1 } }]
`;
    const result = load(text, 'vs-cors.yaml');
    const name = 'default/ratings-route/0';
    expect(result.config.routes[0]?.policies).toEqual({ inbound: [`cors:${name}`] });
    expect(result.config.policies?.[`cors:${name}`]).toEqual({ type: 'cors', options: { origins: ['https://example.com'], methods: ['POST', 'GET'], allowHeaders: ['X-Foo-Bar'], credentials: false, maxAgeSeconds: 86_400 } });
    // Through the gateway: the preflight is answered at the gateway (Fetch "CORS-preflight fetch"),
    // a simple request from the allowed origin reaches the upstream with the CORS headers added.
    const { send } = gatewayFor(result);
    const preflight = await send(req('/ratings', { method: 'OPTIONS', authority: 'ratings.prod.svc.cluster.local', headers: { origin: 'https://example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-foo-bar' } }));
    expect(preflight.response.status).toBe(204);
    expect(preflight.upstream).toBeUndefined();
    expect(preflight.response.headers['access-control-allow-origin']).toBe('https://example.com');
    expect(preflight.response.headers['access-control-max-age']).toBe('86400');
    const simple = await send(req('/ratings', { authority: 'ratings.prod.svc.cluster.local', headers: { origin: 'https://example.com' } }));
    expect(simple.response.status).toBe(200);
    expect(simple.upstream).toBeDefined();
    expect(simple.response.headers['access-control-allow-origin']).toBe('https://example.com');
    const other = await send(req('/ratings', { method: 'OPTIONS', authority: 'ratings.prod.svc.cluster.local', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } }));
    expect(other.response.status).toBe(403);
    expect(other.response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('reference/config/networking/virtual-service (HTTPMatchRequest): uri, queryParams, ignoreUriCase, withoutHeaders, method', async () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: matches }
spec:
  hosts: [details]
  http:
  - name: query
    match:
    - uri: { prefix: /api }
      queryParams:
        version: { exact: v2 }
    route: [{ destination: { host: details, subset: v2 } }]
  - name: case
    match:
    - uri: { exact: /Legacy }
      ignoreUriCase: true
    route: [{ destination: { host: details, subset: v2 } }]
  - name: not-internal
    match:
    - withoutHeaders:
        x-internal: {}
      method: { exact: POST }
    route: [{ destination: { host: details, subset: v2 } }]
  - route: [{ destination: { host: details, subset: v1 } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: details }
spec:
  host: details
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
`;
    const t = gatewayFor(load(text, 'vs-matches.yaml'));
    const to = async (path: string, init: Parameters<typeof req>[1] = {}) => backendOf(await t.send(req(path, { authority: 'details', ...init })));
    expect(await to('/api/x?version=v2')).toBe('details-v2');
    expect(await to('/apiary?version=v2')).toBe('details-v2'); // Istio prefixes are raw string prefixes
    expect(await to('/api/x?version=v1')).toBe('details-v1');
    expect(await to('/legacy')).toBe('details-v2');
    expect(await to('/x', { method: 'POST' })).toBe('details-v2');
    expect(await to('/x', { method: 'POST', headers: { 'x-internal': '1' } })).toBe('details-v1');
  });

  it('reference/config/networking/virtual-service (HTTPRoute order): first match wins, not the longest', async () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: order }
spec:
  hosts: [details]
  http:
  - match: [{ uri: { prefix: / } }]
    route: [{ destination: { host: details, subset: v1 } }]
  - match: [{ uri: { exact: /special } }]
    route: [{ destination: { host: details, subset: v2 } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: details }
spec:
  host: details
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
`;
    const result = load(text, 'vs-order.yaml');
    expect(result.config.selection).toBe('first-match');
    const t = gatewayFor(result);
    expect(backendOf(await t.send(req('/special', { authority: 'details' })))).toBe('details-v1');
  });

  it('reference/config/networking/destination-rule: LEAST_REQUEST for the host, ROUND_ROBIN for subset testversion', () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: bookinfo-ratings
spec:
  host: ratings.prod.svc.cluster.local
  trafficPolicy:
    loadBalancer:
      simple: LEAST_REQUEST
  subsets:
  - name: testversion
    labels:
      version: v2
    trafficPolicy:
      loadBalancer:
        simple: ROUND_ROBIN
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ratings }
spec:
  hosts: [ratings.prod.svc.cluster.local]
  http:
  - match: [{ headers: { x-test: { exact: "1" } } }]
    route: [{ destination: { host: ratings.prod.svc.cluster.local, subset: testversion } }]
  - route: [{ destination: { host: ratings.prod.svc.cluster.local } }]
`;
    const result = load(text, 'dr-subset-policy.yaml');
    expect(result.config.upstreams['ratings.prod']?.balancer).toEqual({ policy: 'least-request' });
    expect(result.config.upstreams['ratings.prod/testversion']?.balancer).toEqual({ policy: 'round-robin' });
    expect(result.config.upstreams['ratings.prod/testversion']?.endpoints.map((e) => e.id)).toEqual(['prod-ratings-v2']);
  });

  it('reference/config/networking/destination-rule (ConsistentHashLB): a cookie the proxy generates (ttl), same user → same endpoint', async () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: bookinfo-ratings
spec:
  host: ratings.prod.svc.cluster.local
  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpCookie:
          name: user
          ttl: 0s
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ratings }
spec:
  hosts: [ratings.prod.svc.cluster.local]
  http:
  - route: [{ destination: { host: ratings.prod.svc.cluster.local } }]
`;
    const result = load(text, 'dr-cookie.yaml');
    expect(result.config.upstreams['ratings.prod']?.balancer).toEqual({ policy: 'ring-hash', hashPolicies: [{ kind: 'cookie', name: 'user', ttlMs: 0 }], minimumRingSize: 1024 });
    const t = gatewayFor(result);
    const a = backendOf(await t.send(req('/r', { authority: 'ratings.prod.svc.cluster.local', headers: { cookie: 'user=alice' } })));
    for (let i = 0; i < 10; i++) expect(backendOf(await t.send(req('/r', { authority: 'ratings.prod.svc.cluster.local', headers: { cookie: 'user=alice' } })))).toBe(a);
  });

  it('reference/config/networking/destination-rule (ConsistentHashLB): header hash on Maglev, source IP on a ring', () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews }
spec:
  host: reviews
  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpHeaderName: x-user
        maglev: { tableSize: 65537 }
  subsets:
  - name: v1
    labels: { version: v1 }
    trafficPolicy:
      loadBalancer:
        consistentHash: { useSourceIp: true, ringHash: { minimumRingSize: 2048 } }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
  - match: [{ uri: { prefix: /v1 } }]
    route: [{ destination: { host: reviews, subset: v1 } }]
  - route: [{ destination: { host: reviews } }]
`;
    const result = load(text, 'dr-hash.yaml');
    expect(result.config.upstreams['reviews.default']?.balancer).toEqual({ policy: 'maglev', hashPolicies: [{ kind: 'header', name: 'x-user' }], tableSize: 65537 });
    expect(result.config.upstreams['reviews.default/v1']?.balancer).toEqual({ policy: 'ring-hash', hashPolicies: [{ kind: 'source-ip' }], minimumRingSize: 2048 });
  });

  it('reference/config/networking/destination-rule (LocalityLoadBalancerSetting, warmup): locality on, failover a warning, slow start', () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: helloworld }
spec:
  host: details
  trafficPolicy:
    loadBalancer:
      simple: ROUND_ROBIN
      localityLbSetting:
        enabled: true
        failover:
          - from: us-east
            to: eu-west
      warmup:
        duration: 30s
        aggression: 1.5
    outlierDetection:
      consecutive5xxErrors: 1
      interval: 1s
      baseEjectionTime: 1m
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: details }
spec:
  hosts: [details]
  http:
  - route: [{ destination: { host: details } }]
`;
    const result = load(text, 'dr-locality.yaml');
    const up = result.config.upstreams['details.default'];
    expect(up?.balancer).toEqual({ policy: 'weighted-round-robin', slowStart: { slowStartWindowMs: 30_000, aggression: 1.5, minWeightPercent: 10 } });
    expect(up?.locality).toEqual({});
    expect(result.warnings.map((w) => w.path)).toEqual(['spec.trafficPolicy.loadBalancer.localityLbSetting.failover']);
  });

  it('reference/config/networking/virtual-service (HTTPFaultInjection + mirrors): mirrors[] percentage, abort percentage', () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin }
spec:
  hosts: [httpbin]
  http:
  - route: [{ destination: { host: httpbin, subset: v1 } }]
    mirrors:
    - destination: { host: httpbin, subset: v2 }
      percentage: { value: 25.5 }
    fault:
      abort:
        httpStatus: 503
        percentage: { value: 0.1 }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: httpbin }
spec:
  host: httpbin
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
`;
    const result = load(text, 'vs-mirrors.yaml');
    expect(result.config.routes[0]?.mirror).toEqual({ upstream: 'httpbin.default/v2', percent: 25.5 });
    expect(result.config.routes[0]?.fault).toEqual({ abort: { httpStatus: 503, percent: 0.1 } });
  });

  it('tasks/traffic-management/ingress (a mesh-wide VirtualService on "*"): no hostname condition', async () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: bookinfo }
spec:
  hosts: ["*"]
  gateways: [bookinfo-gateway]
  http:
  - match:
    - uri: { exact: /productpage }
    - uri: { prefix: /static }
    - uri: { exact: /login }
    - uri: { exact: /logout }
    - uri: { prefix: /api/v1/products }
    route:
    - destination:
        host: productpage
        port: { number: 9080 }
`;
    const t = gatewayFor(load(text, 'bookinfo-gateway.yaml'));
    for (const p of ['/productpage', '/static/x.css', '/login', '/logout', '/api/v1/products/1']) expect(backendOf(await t.send(req(p, { authority: '203.0.113.9' })))).toBe('productpage-v1');
    expect((await t.send(req('/productpage/x', { authority: '203.0.113.9' }))).response.status).toBe(404);
  });
});

describe('Istio import options', () => {
  it('clusterDomain and defaultNamespace: hosts under another cluster domain resolve to name.namespace', () => {
    const vs = { apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name: 'r' }, spec: { hosts: ['reviews.prod.svc.corp.local'], http: [{ route: [{ destination: { host: 'reviews.prod.svc.corp.local' } }] }] } };
    const r = importDocuments([vs], { backends: BOOKINFO, clusterDomain: 'corp.local', defaultNamespace: 'tools' });
    expect(r.problems).toEqual([]);
    expect(r.config.routes[0]).toMatchObject({ name: 'tools/r/0', hostnames: ['reviews.prod', 'reviews.prod.svc', 'reviews.prod.svc.corp.local'], backends: [{ upstream: 'reviews.prod' }] });
  });
});
