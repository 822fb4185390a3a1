/**
 * The important rules of Istio's validation webhook (istio/istio pkg/config/validation
 * `virtualservice.go`, `validation.go`), which a manifest in git never went through: one test per
 * rule, each refused at the manifest's field path with Istio's own message.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importIstio } from '../src/index.js';

const BACKENDS = { 'reviews.default': [{ url: 'http://10.0.0.1:9080', metadata: { version: 'v1' } }, { url: 'http://10.0.0.2:9080', metadata: { version: 'v2' } }] };
const DR = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'reviews' }, spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] } };
const dest = { destination: { host: 'reviews' } };

const vs = (http: unknown[], extra: Record<string, unknown> = {}) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews' }, spec: { hosts: ['reviews'], http, ...extra } });
const dr = (spec: Record<string, unknown>) => ({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'r' }, spec: { host: 'reviews', ...spec } });

function problems(...docs: unknown[]): string[] {
  return importIstio(docs, { backends: BACKENDS }).problems.map((p) => `${p.path}: ${p.message}`);
}
function expectProblem(docs: unknown[], line: string): void {
  expect(problems(...docs)).toContain(line);
}

describe('VirtualService validation (istio/istio pkg/config/validation)', () => {
  it('a valid pair has no problem (the baseline)', () => {
    expect(problems(DR, vs([{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 90 }, { destination: { host: 'reviews', subset: 'v2' }, weight: 10 }] }]))).toEqual([]);
  });
  it('hosts: virtual service must have at least one host', () => {
    expectProblem([vs([{ route: [dest] }], { hosts: [] })], 'spec.hosts: virtual service must have at least one host');
  });
  it('regression: a VirtualService with a host problem imports no route (it would match every host)', () => {
    const r = importIstio([vs([{ route: [dest] }], { hosts: [''] })], { backends: BACKENDS });
    expect(r.problems.map((p) => p.path)).toEqual(['spec.hosts[0]']);
    expect(r.config.routes).toEqual([]);
  });
  it('validateHTTPRouteConflict: HTTP route or redirect is required', () => {
    expectProblem([vs([{ match: [{ uri: { prefix: '/' } }] }])], 'spec.http[0]: HTTP route or redirect is required');
  });
  it('validateHTTPRouteConflict: HTTP route cannot contain both route and redirect', () => {
    expectProblem([vs([{ route: [dest], redirect: { uri: '/x' } }])], 'spec.http[0]: HTTP route cannot contain both route and redirect');
  });
  it('validateHTTPRouteConflict: HTTP route cannot contain both fault and redirect', () => {
    expectProblem([vs([{ redirect: { uri: '/x' }, fault: { abort: { httpStatus: 500, percentage: { value: 1 } } } }])], 'spec.http[0]: HTTP route cannot contain both fault and redirect');
  });
  it('validateHTTPRouteConflict: HTTP route rule cannot contain both rewrite and redirect', () => {
    expectProblem([vs([{ redirect: { uri: '/x' }, rewrite: { uri: '/y' } }])], 'spec.http[0]: HTTP route rule cannot contain both rewrite and redirect');
  });
  it('validateHTTPRedirect: redirect must specify URI, authority, scheme, or port', () => {
    expectProblem([vs([{ redirect: { redirectCode: 302 } }])], 'spec.http[0].redirect: redirect must specify URI, authority, scheme, or port');
  });
  it('validateHTTPRedirect: a redirect code must be 3xx', () => {
    expectProblem([vs([{ redirect: { uri: '/x', redirectCode: 200 } }])], 'spec.http[0].redirect.redirectCode: 200 is not a valid redirect code, must be 3xx');
  });
  it('validateHTTPRedirect: invalid redirect scheme', () => {
    expectProblem([vs([{ redirect: { uri: '/x', scheme: 'ftp' } }])], 'spec.http[0].redirect.scheme: invalid redirect scheme, must be "http" or "https"');
  });
  it('validateHTTPRewrite: only one of URI or UriRegexRewrite', () => {
    expectProblem([vs([{ route: [dest], rewrite: { uri: '/a', uriRegexRewrite: { match: '^/b', rewrite: '/c' } } }])], 'spec.http[0].rewrite: rewrite may only contain one of URI or UriRegexRewrite');
  });
  it('validateHTTPRewrite: at least one of URI, UriRegexRewrite or authority', () => {
    expectProblem([vs([{ route: [dest], rewrite: {} }])], 'spec.http[0].rewrite: rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of URI or UriRegexRewrite may be specified');
  });
  it('validateURIRegexRewrite: both Rewrite and Match', () => {
    expectProblem([vs([{ route: [dest], rewrite: { uriRegexRewrite: { match: '^/a' } } }])], 'spec.http[0].rewrite.uriRegexRewrite: UriRegexRewrite requires both Rewrite and Match fields to be specified');
  });
  it('validateHTTPRetry: attempts cannot be negative', () => {
    expectProblem([vs([{ route: [dest], retries: { attempts: -1 } }])], 'spec.http[0].retries.attempts: attempts cannot be negative');
  });
  it('validateHTTPRetry: a policy with attempts 0 (or unset) is refused', () => {
    expectProblem([vs([{ route: [dest], retries: { attempts: 0, retryOn: '5xx' } }])], 'spec.http[0].retries: http retry policy configured when attempts are set to 0 (disabled)');
    expectProblem([vs([{ route: [dest], retries: { perTryTimeout: '1s' } }])], 'spec.http[0].retries: http retry policy configured when attempts are set to 0 (disabled)');
  });
  it('validateHTTPRetry: retryOn policies must be known', () => {
    expectProblem([vs([{ route: [dest], retries: { attempts: 2, retryOn: '5xx,sometimes' } }])], 'spec.http[0].retries.retryOn: "sometimes" is not a valid retryOn policy');
  });
  it('ValidateDuration: durations above 1 ms, ms precision', () => {
    expectProblem([vs([{ route: [dest], timeout: '0.5ms' }])], 'spec.http[0].timeout: duration must be greater than 1ms');
    expectProblem([vs([{ route: [dest], timeout: '1.5ms' }])], 'spec.http[0].timeout: only durations to ms precision are supported');
  });
  it('validateHTTPFaultInjection: an abort and/or a delay', () => {
    expectProblem([vs([{ route: [dest], fault: {} }])], 'spec.http[0].fault: HTTP fault injection must have an abort and/or a delay');
  });
  it('validateHTTPStatus: an abort status in 200-599', () => {
    expectProblem([vs([{ route: [dest], fault: { abort: { httpStatus: 700, percentage: { value: 1 } } } }])], 'spec.http[0].fault.abort.httpStatus: HTTP status 700 is not in range 200-599');
  });
  it('validatePercentage: fault percentages in 0-100', () => {
    expectProblem([vs([{ route: [dest], fault: { delay: { fixedDelay: '1s', percentage: { value: 101 } } } }])], 'spec.http[0].fault.delay.percentage: percentage must be between 0 and 100');
  });
  it('validateHTTPFaultInjectionDelay: exponentialDelay not supported yet', () => {
    expectProblem([vs([{ route: [dest], fault: { delay: { exponentialDelay: '1s', percentage: { value: 1 } } } }])], 'spec.http[0].fault.delay.exponentialDelay: exponentialDelay not supported yet');
  });
  it('validateHTTPRoute: mirror_percentage at most 100', () => {
    expectProblem([vs([{ route: [dest], mirror: { host: 'reviews' }, mirrorPercentage: { value: 150 } }])], 'spec.http[0].mirrorPercentage: mirror_percentage must have a max value of 100 (it has 150.000000)');
  });
  it('validateHTTPRouteDestinations: total destination weight = 0', () => {
    expectProblem([DR, vs([{ route: [{ destination: { host: 'reviews', subset: 'v1' } }, { destination: { host: 'reviews', subset: 'v2' } }] }])], 'spec.http[0].route: total destination weight = 0');
  });
  it('validateDestination: invalid destination host *', () => {
    expectProblem([vs([{ route: [{ destination: { host: '*' } }] }])], 'spec.http[0].route[0].destination.host: invalid destination host *');
  });
  it('validateSubsetName: subset name is invalid', () => {
    expectProblem([vs([{ route: [{ destination: { host: 'reviews', subset: 'V_1' } }] }])], 'spec.http[0].route[0].destination.subset: subset name is invalid: V_1');
  });
  it('a destination subset no DestinationRule defines is refused (Istio would route to no endpoint)', () => {
    expectProblem([vs([{ route: [{ destination: { host: 'reviews', subset: 'v9' } }] }])], 'spec.http[0].route[0].destination.subset: no DestinationRule for reviews.default defines subset "v9"');
  });
  it('validateStringMatchRegexp: a valid RE2 regex, at most 1024 characters, not empty', () => {
    expectProblem([vs([{ match: [{ uri: { regex: '(' } }], route: [dest] }])], 'spec.http[0].match[0].uri.regex: "(" is not a valid regex');
    expectProblem([vs([{ match: [{ uri: { regex: 'a'.repeat(1025) } }], route: [dest] }])], 'spec.http[0].match[0].uri.regex: regex is too large, max length allowed is 1024');
  });
  it('validateStringMatch: prefix string match should not be empty', () => {
    expectProblem([vs([{ match: [{ headers: { 'x-a': { prefix: '' } } }], route: [dest] }])], 'spec.http[0].match[0].headers.x-a.prefix: prefix string match should not be empty');
  });
  it('HTTPMatchRequest.headers: keys must be lowercase (virtual_service.proto)', () => {
    expectProblem([vs([{ match: [{ headers: { 'X-User': { exact: 'a' } } }], route: [dest] }])], 'spec.http[0].match[0].headers.X-User: header match X-User must be lowercase');
  });
  it('validateCORSPolicy: methods must be HTTP methods; maxAge in whole seconds', () => {
    expectProblem([vs([{ route: [dest], corsPolicy: { allowMethods: ['FETCH'] } }])], 'spec.http[0].corsPolicy.allowMethods[0]: "FETCH" is not a supported HTTP method');
    expectProblem([vs([{ route: [dest], corsPolicy: { maxAge: '1500ms' } }])], 'spec.http[0].corsPolicy.maxAge: max_age duration is accurate only to seconds precision');
  });
});

describe('DestinationRule validation (istio/istio pkg/config/validation)', () => {
  const use = vs([{ route: [dest] }]);
  it('host: a destination rule must have an associated host', () => {
    expectProblem([{ ...dr({}), spec: {} }], 'spec.host: destination rule must have an associated host');
  });
  it('validateSubset: names required, DNS labels, unique', () => {
    expectProblem([dr({ subsets: [{ labels: {} }] })], 'spec.subsets[0].name: subset name cannot be empty');
    expectProblem([dr({ subsets: [{ name: 'Bad_Name' }] })], 'spec.subsets[0].name: subset name is invalid: Bad_Name');
    expectProblem([dr({ subsets: [{ name: 'v1' }, { name: 'v1' }] })], 'spec.subsets[1].name: duplicate subset name "v1"');
  });
  it('validateLoadBalancer: name required for HttpCookie', () => {
    expectProblem([dr({ trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { ttl: '0s' } } } } }), use], 'spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name: name required for HttpCookie');
  });
  it('validateLoadBalancer: maglev tableSize set, prime, below 5000011', () => {
    const mag = (tableSize: number) => dr({ trafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: true, maglev: { tableSize } } } } });
    expectProblem([mag(0), use], 'spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: tableSize must be set for maglev');
    expectProblem([mag(65536), use], 'spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: tableSize must be a prime number for maglev');
    expectProblem([mag(5_000_011), use], 'spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: tableSize must be less than 5000011 for maglev');
  });
  it('validateLoadBalancer: only one of MinimumRingSize or Maglev/Ringhash', () => {
    expectProblem([dr({ trafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: true, minimumRingSize: 10, ringHash: { minimumRingSize: 20 } } } } }), use], 'spec.trafficPolicy.loadBalancer.consistentHash: only one of MinimumRingSize or Maglev/Ringhash can be specified');
  });
  it('ConsistentHashLB: exactly one hash key', () => {
    expectProblem([dr({ trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x', useSourceIp: true } } } }), use], 'spec.trafficPolicy.loadBalancer.consistentHash: consistent hash must set exactly one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName');
  });
  it('warmup: duration required, minimumPercent ≤ 100, aggression ≥ 1', () => {
    expectProblem([dr({ trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN', warmup: { aggression: 0.5, minimumPercent: 120 } } } }), use], 'spec.trafficPolicy.loadBalancer.warmup.duration: duration is required');
    expectProblem([dr({ trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN', warmup: { duration: '10s', aggression: 0.5 } } } }), use], 'spec.trafficPolicy.loadBalancer.warmup.aggression: aggression should be greater than or equal to 1');
    expectProblem([dr({ trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN', warmup: { duration: '10s', minimumPercent: 120 } } } }), use], 'spec.trafficPolicy.loadBalancer.warmup.minimumPercent: minimumPercent value should be less than or equal to 100');
  });
  it('ValidateLocalityLbSetting: distribute weights total 100; one of distribute/failover/failoverPriority', () => {
    expectProblem([dr({ trafficPolicy: { loadBalancer: { localityLbSetting: { distribute: [{ from: 'us-west/*', to: { 'us-west/*': 80, 'us-east/*': 10 } }] } } } }), use], 'spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to: total weight must be 100');
    expectProblem([dr({ trafficPolicy: { loadBalancer: { localityLbSetting: { distribute: [{ from: 'a', to: { a: 100 } }], failover: [{ from: 'a', to: 'b' }] } } } }), use], 'spec.trafficPolicy.loadBalancer.localityLbSetting: can not simultaneously set more than one of distribute, failover and failoverPriority');
  });
  it('validateConnectionPool: at least one field; non-negative values', () => {
    expectProblem([dr({ trafficPolicy: { connectionPool: {} } }), use], 'spec.trafficPolicy.connectionPool: connection pool must have at least one field');
    expectProblem([dr({ trafficPolicy: { connectionPool: { tcp: { maxConnections: -1 } } } }), use], 'spec.trafficPolicy.connectionPool.tcp.maxConnections: max connections must be non-negative');
    expectProblem([dr({ trafficPolicy: { connectionPool: { http: { http2MaxRequests: -1 } } } }), use], 'spec.trafficPolicy.connectionPool.http.http2MaxRequests: http2 max requests must be non-negative');
  });
  it('validateOutlierDetection: maxEjectionPercent and minHealthPercent in 0-100, durations above 1 ms', () => {
    expectProblem([dr({ trafficPolicy: { outlierDetection: { maxEjectionPercent: 120 } } }), use], 'spec.trafficPolicy.outlierDetection.maxEjectionPercent: must be between 0 and 100');
    expectProblem([dr({ trafficPolicy: { outlierDetection: { minHealthPercent: -1 } } }), use], 'spec.trafficPolicy.outlierDetection.minHealthPercent: must be between 0 and 100');
    expectProblem([dr({ trafficPolicy: { outlierDetection: { interval: '0s' } } }), use], 'spec.trafficPolicy.outlierDetection.interval: duration must be greater than 1ms');
  });
});

describe('importing Istio never throws', () => {
  it('on arbitrary VirtualService / DestinationRule shapes: it returns problems', () => {
    const anyDoc = fc.record({ apiVersion: fc.constant('networking.istio.io/v1'), kind: fc.constantFrom('VirtualService', 'DestinationRule'), metadata: fc.anything(), spec: fc.anything() });
    fc.assert(
      fc.property(fc.array(anyDoc, { maxLength: 3 }), (docs) => {
        const r = importIstio(docs, { backends: BACKENDS });
        return Array.isArray(r.problems) && Array.isArray(r.config.routes);
      }),
      { numRuns: 300 },
    );
  });
});
