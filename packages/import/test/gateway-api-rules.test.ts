/**
 * The rules the Gateway API CRD's JSON Schema cannot express (CEL `x-kubernetes-validations`)
 * and the schema rules a YAML file in git never went through (patterns, enums, ranges): one test
 * per rule, each a manifest breaking it, refused at the manifest's field path with the CRD's own
 * message. Source: kubernetes-sigs/gateway-api apis/v1/httproute_types.go, grpcroute_types.go,
 * shared_types.go, object_reference_types.go (commit 4564255a).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importDocuments, type ImportResult } from '../src/index.js';

const BACKENDS = { 'svc.default': ['http://10.0.0.1:80'], 'other.default': ['http://10.0.0.2:80'] };
const ref = { name: 'svc', port: 80 };

function route(rules: unknown[], extra: Record<string, unknown> = {}): unknown {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'foo', namespace: 'default' }, spec: { rules, ...extra } };
}

function problems(doc: unknown): string[] {
  return importDocuments([doc], { backends: BACKENDS }).problems.map((p) => `${p.path}: ${p.message}`);
}

function expectProblem(doc: unknown, path: string, message: string): void {
  const got = problems(doc);
  expect(got).toContain(`${path}: ${message}`);
}

const prefix = (value: string) => ({ path: { type: 'PathPrefix', value } });

describe('HTTPRoute CEL rules (httproute_types.go XValidation)', () => {
  it('a valid manifest has no problem (the baseline the others break)', () => {
    expect(problems(route([{ matches: [prefix('/a')], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/b' } } }], backendRefs: [ref] }]))).toEqual([]);
  });

  it('HTTPRouteSpec.Rules: at most 128 matches across all rules', () => {
    const rules = Array.from({ length: 3 }, () => ({ matches: Array.from({ length: 50 }, (_, i) => prefix(`/m${i}`)), backendRefs: [ref] }));
    expectProblem(route(rules), 'spec.rules', 'While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128');
  });

  it('HTTPRouteSpec.Rules: rule names unique within the route', () => {
    expectProblem(route([{ name: 'a', backendRefs: [ref] }, { name: 'a', backendRefs: [ref] }]), 'spec.rules', 'Rule name must be unique within the route ("a")');
  });

  it('HTTPRouteRule: RequestRedirect must not be used together with backendRefs', () => {
    expectProblem(route([{ filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'x.org' } }], backendRefs: [ref] }]), 'spec.rules[0].filters', 'RequestRedirect filter must not be used together with backendRefs');
  });

  it('HTTPRouteRule: RequestRedirect ReplacePrefixMatch needs exactly one PathPrefix match', () => {
    const f = [{ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/x' } } }];
    expectProblem(route([{ matches: [{ path: { type: 'Exact', value: '/a' } }], filters: f }]), 'spec.rules[0].filters', 'When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified');
    expectProblem(route([{ matches: [prefix('/a'), prefix('/b')], filters: f }]), 'spec.rules[0].filters', 'When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified');
  });

  it('HTTPRouteRule: URLRewrite ReplacePrefixMatch needs exactly one PathPrefix match', () => {
    const f = [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/x' } } }];
    expectProblem(route([{ matches: [{ path: { type: 'RegularExpression', value: '/a.*' } }], filters: f, backendRefs: [ref] }]), 'spec.rules[0].filters', 'When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified');
  });

  it('HTTPRouteRule: a backendRef RequestRedirect with ReplacePrefixMatch needs exactly one PathPrefix match', () => {
    const b = { ...ref, filters: [{ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/x' } } }] };
    expectProblem(route([{ matches: [{ path: { type: 'Exact', value: '/a' } }], backendRefs: [b] }]), 'spec.rules[0].backendRefs', 'Within backendRefs, when using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified');
  });

  it('HTTPRouteRule: a backendRef URLRewrite with ReplacePrefixMatch needs exactly one PathPrefix match', () => {
    const b = { ...ref, filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/x' } } }] };
    expectProblem(route([{ matches: [{ path: { type: 'Exact', value: '/a' } }], backendRefs: [b] }]), 'spec.rules[0].backendRefs', 'Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified');
  });

  it('HTTPRouteRule.Filters: RequestRedirect and URLRewrite not together', () => {
    expectProblem(
      route([{ filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'a.org' } }, { type: 'URLRewrite', urlRewrite: { hostname: 'b.org' } }] }]),
      'spec.rules[0].filters',
      'May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both',
    );
  });

  for (const [type, body] of [
    ['CORS', { cors: { allowOrigins: ['*'] } }],
    ['RequestHeaderModifier', { requestHeaderModifier: { set: [{ name: 'a', value: 'b' }] } }],
    ['ResponseHeaderModifier', { responseHeaderModifier: { set: [{ name: 'a', value: 'b' }] } }],
    ['RequestRedirect', { requestRedirect: { hostname: 'a.org' } }],
    ['URLRewrite', { urlRewrite: { hostname: 'a.org' } }],
  ] as const) {
    it(`HTTPRouteRule.Filters: ${type} filter cannot be repeated`, () => {
      const f = { type, ...body };
      expectProblem(route([{ filters: [f, f], ...(type === 'RequestRedirect' ? {} : { backendRefs: [ref] }) }]), 'spec.rules[0].filters', `${type} filter cannot be repeated`);
    });
  }

  it('HTTPRouteRule.Filters: RequestMirror may repeat (not refused)', () => {
    const m = { type: 'RequestMirror', requestMirror: { backendRef: { name: 'other', port: 80 } } };
    expect(problems(route([{ filters: [m, m], backendRefs: [ref] }]))).toEqual([]);
  });

  it('HTTPRouteTimeouts: backendRequest cannot be longer than request', () => {
    expectProblem(route([{ backendRefs: [ref], timeouts: { request: '1s', backendRequest: '2s' } }]), 'spec.rules[0].timeouts', 'backendRequest timeout cannot be longer than request timeout');
    expect(problems(route([{ backendRefs: [ref], timeouts: { request: '0s', backendRequest: '2s' } }]))).toEqual([]);
  });

  const pathCases: readonly [string, string][] = [
    ['abc', "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']"],
    ['/a//b', "must not contain '//' when type one of ['Exact', 'PathPrefix']"],
    ['/a/./b', "must not contain '/./' when type one of ['Exact', 'PathPrefix']"],
    ['/a/../b', "must not contain '/../' when type one of ['Exact', 'PathPrefix']"],
    ['/a%2fb', "must not contain '%2f' when type one of ['Exact', 'PathPrefix']"],
    ['/a%2Fb', "must not contain '%2F' when type one of ['Exact', 'PathPrefix']"],
    ['/a#b', "must not contain '#' when type one of ['Exact', 'PathPrefix']"],
    ['/a/..', "must not end with '/..' when type one of ['Exact', 'PathPrefix']"],
    ['/a/.', "must not end with '/.' when type one of ['Exact', 'PathPrefix']"],
    ['/a b', "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for types ['Exact', 'PathPrefix']"],
  ];
  for (const [value, message] of pathCases) {
    it(`HTTPPathMatch: ${JSON.stringify(value)} refused (${message.slice(0, 40)}…)`, () => {
      expectProblem(route([{ matches: [{ path: { type: 'Exact', value } }], backendRefs: [ref] }]), 'spec.rules[0].matches[0].path.value', message);
    });
  }

  it("HTTPPathMatch: type must be one of ['Exact', 'PathPrefix', 'RegularExpression']", () => {
    expectProblem(route([{ matches: [{ path: { type: 'Prefix', value: '/a' } }], backendRefs: [ref] }]), 'spec.rules[0].matches[0].path.type', "type must be one of ['Exact', 'PathPrefix', 'RegularExpression']");
  });

  for (const [type, field] of [
    ['RequestHeaderModifier', 'requestHeaderModifier'],
    ['ResponseHeaderModifier', 'responseHeaderModifier'],
    ['RequestMirror', 'requestMirror'],
    ['RequestRedirect', 'requestRedirect'],
    ['URLRewrite', 'urlRewrite'],
    ['ExtensionRef', 'extensionRef'],
    ['CORS', 'cors'],
  ] as const) {
    it(`HTTPRouteFilter: filter.${field} must be specified for ${type}, and nil otherwise`, () => {
      expectProblem(route([{ filters: [{ type }] }]), `spec.rules[0].filters[0].${field}`, `filter.${field} must be specified for ${type} filter.type`);
      const other = type === 'CORS' ? 'RequestHeaderModifier' : 'CORS';
      const otherField = other === 'CORS' ? 'cors' : 'requestHeaderModifier';
      expectProblem(route([{ filters: [{ type: other, [otherField]: {}, [field]: {} }] }]), `spec.rules[0].filters[0].${field}`, `filter.${field} must be nil if the filter.type is not ${type}`);
    });
  }

  it('HTTPRequestMirrorFilter: only one of percent or fraction', () => {
    expectProblem(route([{ filters: [{ type: 'RequestMirror', requestMirror: { backendRef: ref, percent: 10, fraction: { numerator: 1 } } }], backendRefs: [ref] }]), 'spec.rules[0].filters[0].requestMirror', 'Only one of percent or fraction may be specified in HTTPRequestMirrorFilter');
  });

  it('Fraction: numerator must be less than or equal to denominator', () => {
    expectProblem(route([{ filters: [{ type: 'RequestMirror', requestMirror: { backendRef: ref, fraction: { numerator: 3, denominator: 2 } } }], backendRefs: [ref] }]), 'spec.rules[0].filters[0].requestMirror.fraction', 'numerator must be less than or equal to denominator');
  });

  const modifierCases: readonly [Record<string, unknown>, string][] = [
    [{ type: 'ReplaceFullPath' }, "replaceFullPath must be specified when type is set to 'ReplaceFullPath'"],
    [{ type: 'ReplacePrefixMatch', replaceFullPath: '/x', replacePrefixMatch: '/y' }, "type must be 'ReplaceFullPath' when replaceFullPath is set"],
    [{ type: 'ReplacePrefixMatch' }, "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'"],
    [{ type: 'ReplaceFullPath', replaceFullPath: '/x', replacePrefixMatch: '/y' }, "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set"],
  ];
  for (const [path, message] of modifierCases) {
    it(`HTTPPathModifier: ${message}`, () => {
      expectProblem(route([{ matches: [prefix('/a')], filters: [{ type: 'URLRewrite', urlRewrite: { path } }], backendRefs: [ref] }]), 'spec.rules[0].filters[0].urlRewrite.path', message);
    });
  }

  it("HTTPCORSFilter: allowOrigins, allowMethods, allowHeaders cannot mix '*' with values", () => {
    const cors = (c: Record<string, unknown>) => route([{ filters: [{ type: 'CORS', cors: c }], backendRefs: [ref] }]);
    expectProblem(cors({ allowOrigins: ['*', 'https://a.org'] }), 'spec.rules[0].filters[0].cors.allowOrigins', "AllowOrigins cannot contain '*' alongside other origins");
    expectProblem(cors({ allowMethods: ['*', 'GET'] }), 'spec.rules[0].filters[0].cors.allowMethods', "AllowMethods cannot contain '*' alongside other methods");
    expectProblem(cors({ allowHeaders: ['*', 'x-a'] }), 'spec.rules[0].filters[0].cors.allowHeaders', "AllowHeaders cannot contain '*' alongside other methods");
  });

  it('SessionPersistence: cookie only with type Cookie, header only with type Header, Permanent needs absoluteTimeout', () => {
    const sp = (s: Record<string, unknown>) => route([{ backendRefs: [ref], sessionPersistence: s }]);
    expectProblem(sp({ type: 'Header', cookie: { name: 'a' }, header: { name: 'h' } }), 'spec.rules[0].sessionPersistence.cookie', 'cookie must be nil if type is not Cookie');
    expectProblem(sp({ type: 'Cookie', header: { name: 'h' } }), 'spec.rules[0].sessionPersistence.header', 'header must be nil if type is not Header');
    expectProblem(sp({ cookie: { name: 'a', lifetimeType: 'Permanent' } }), 'spec.rules[0].sessionPersistence', 'AbsoluteTimeout must be specified when cookie lifetimeType is Permanent');
  });

  it('CommonRouteSpec.ParentRefs: sectionName required and unique for two references to the same parent', () => {
    expectProblem(route([{ backendRefs: [ref] }], { parentRefs: [{ name: 'gw' }, { name: 'gw', sectionName: 'http' }] }), 'spec.parentRefs[0]', 'sectionName must be specified when parentRefs includes 2 or more references to the same parent');
    expectProblem(route([{ backendRefs: [ref] }], { parentRefs: [{ name: 'gw', sectionName: 'http' }, { name: 'gw', sectionName: 'http' }] }), 'spec.parentRefs[0]', 'sectionName must be unique when parentRefs includes 2 or more references to the same parent');
  });

  it('BackendObjectReference: Must have port for Service reference', () => {
    expectProblem(route([{ backendRefs: [{ name: 'svc' }] }]), 'spec.rules[0].backendRefs[0]', 'Must have port for Service reference');
  });
});

describe('HTTPRoute schema rules a manifest in git never went through', () => {
  it('BackendRef.weight: 0 to 1 000 000', () => {
    expectProblem(route([{ backendRefs: [{ ...ref, weight: 1_000_001 }] }]), 'spec.rules[0].backendRefs[0].weight', 'must be between 0 and 1000000');
    expectProblem(route([{ backendRefs: [{ ...ref, weight: -1 }] }]), 'spec.rules[0].backendRefs[0].weight', 'must be between 0 and 1000000');
  });

  it('HTTPHeaderName: a header name must be an RFC 7230 token', () => {
    expectProblem(route([{ matches: [{ headers: [{ name: 'bad name', value: 'x' }] }], backendRefs: [ref] }]), 'spec.rules[0].matches[0].headers[0].name', "must match ^[A-Za-z0-9!#$%&'*+\\-.^_`|~]+$");
    expectProblem(route([{ filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'a:b', value: 'x' }] } }], backendRefs: [ref] }]), 'spec.rules[0].filters[0].requestHeaderModifier.set[0].name', "must match ^[A-Za-z0-9!#$%&'*+\\-.^_`|~]+$");
  });

  it('HTTPHeaderFilter: one entry per header name (a list map keyed by name)', () => {
    expectProblem(route([{ filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-A', value: '1' }, { name: 'x-a', value: '2' }] } }], backendRefs: [ref] }]), 'spec.rules[0].filters[0].requestHeaderModifier.set[1].name', 'Duplicate value: "x-a" (a list map keyed by name)');
  });

  it('Hostname: RFC 1123 with an optional leading wildcard label', () => {
    expect(problems(route([{ backendRefs: [ref] }], { hostnames: ['Bad_Host'] }))[0]).toMatch(/^spec\.hostnames\[0\]: must match/);
    expect(problems(route([{ backendRefs: [ref] }], { hostnames: ['*.example.com'] }))).toEqual([]);
  });

  it('regression: a refused hostname leaves the whole route out (dropping it would widen the route to every host)', () => {
    const r = importDocuments([route([{ backendRefs: [ref] }], { hostnames: ['Bad_Host'] })], { backends: BACKENDS });
    expect(r.problems).toHaveLength(1);
    expect(r.config.routes).toEqual([]);
  });

  it('Duration: GEP-2257 format only', () => {
    expectProblem(route([{ backendRefs: [ref], timeouts: { request: '1.5s' } }]), 'spec.rules[0].timeouts.request', 'must be a Gateway API duration (GEP-2257: ^([0-9]{1,5}(h|m|s|ms)){1,4}$, e.g. "10s", "1h30m", "500ms")');
  });

  it('HTTPMethod: the enum', () => {
    expectProblem(route([{ matches: [{ method: 'get' }], backendRefs: [ref] }]), 'spec.rules[0].matches[0].method', 'must be one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH');
  });

  it('HTTPRequestRedirectFilter.statusCode: 301, 302, 303, 307, 308', () => {
    expectProblem(route([{ filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode: 305 } }] }]), 'spec.rules[0].filters[0].requestRedirect.statusCode', 'must be one of 301, 302, 303, 307, 308');
  });

  it('HTTPRouteRetry.codes: 400 to 599; attempts at least 1', () => {
    expectProblem(route([{ backendRefs: [ref], retry: { codes: [399] } }]), 'spec.rules[0].retry.codes[0]', 'must be an HTTP status between 400 and 599');
    expectProblem(route([{ backendRefs: [ref], retry: { attempts: 0 } }]), 'spec.rules[0].retry.attempts', `must be between 1 and ${Number.MAX_SAFE_INTEGER}`);
  });

  it('an unresolved backend is a problem at its path; with unresolved: placeholder, a warning and a DNS placeholder', () => {
    const doc = route([{ backendRefs: [{ name: 'nope', port: 9080 }] }]);
    expect(problems(doc)[0]).toMatch(/^spec\.rules\[0\]\.backendRefs\[0\]: backend "nope\.default:9080" is not resolved/);
    const r = importDocuments([doc], { unresolved: 'placeholder' });
    expect(r.problems).toEqual([]);
    expect(r.config.upstreams['nope.default']?.endpoints).toEqual([{ url: 'http://nope.default.svc.cluster.local:9080' }]);
  });
});

describe('CRD defaults', () => {
  it('absent or empty matches: one PathPrefix "/" match (so a ReplacePrefixMatch is allowed)', () => {
    const f = [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/x' } } }];
    for (const rule of [{ filters: f, backendRefs: [ref] }, { matches: [], filters: f, backendRefs: [ref] }]) {
      const r = importDocuments([route([rule])], { backends: BACKENDS });
      expect(r.problems).toEqual([]);
      expect(r.config.routes[0]?.matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
    }
  });
  it('absent rules: one rule matching everything, answered 500 (no backendRefs)', () => {
    const r = importDocuments([{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'empty' }, spec: {} }]);
    expect(r.config.routes).toEqual([{ name: 'default/empty/rule-0', matches: [{ path: { type: 'PathPrefix', value: '/' } }] }]);
  });
});

describe('GRPCRoute rules (grpcroute_types.go XValidation)', () => {
  const grpc = (method: Record<string, unknown>) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GRPCRoute', metadata: { name: 'g' }, spec: { rules: [{ matches: [{ method }], backendRefs: [ref] }] } });
  it("GRPCMethodMatch: one or both of 'service' or 'method'", () => {
    expectProblem(grpc({ type: 'Exact' }), 'spec.rules[0].matches[0].method', "One or both of 'service' or 'method' must be specified");
  });
  it('GRPCMethodMatch: service and method characters (Exact)', () => {
    expectProblem(grpc({ service: 'bad/service', method: 'M' }), 'spec.rules[0].matches[0].method.service', 'service must only contain valid characters (matching ^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$)');
    expectProblem(grpc({ service: 'pkg.S', method: 'bad-method' }), 'spec.rules[0].matches[0].method.method', 'method must only contain valid characters (matching ^[A-Za-z_][A-Za-z_0-9]*$)');
  });
  it('GRPCRouteFilter: only RequestHeaderModifier, ResponseHeaderModifier, RequestMirror, ExtensionRef', () => {
    const doc = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GRPCRoute', metadata: { name: 'g' }, spec: { rules: [{ filters: [{ type: 'URLRewrite', urlRewrite: {} }], backendRefs: [ref] }] } };
    expectProblem(doc, 'spec.rules[0].filters[0].type', 'must be one of RequestHeaderModifier, ResponseHeaderModifier, RequestMirror, ExtensionRef');
  });
});

describe('importing never throws', () => {
  it('on arbitrary JSON values and arbitrary HTTPRoute-shaped objects: it returns problems', () => {
    const check = (r: ImportResult) => Array.isArray(r.problems) && Array.isArray(r.warnings) && Array.isArray(r.config.routes);
    fc.assert(fc.property(fc.array(fc.jsonValue(), { maxLength: 4 }), (docs) => check(importDocuments(docs, { backends: BACKENDS }))), { numRuns: 300 });
    const anyRoute = fc.record({ apiVersion: fc.constant('gateway.networking.k8s.io/v1'), kind: fc.constantFrom('HTTPRoute', 'GRPCRoute'), metadata: fc.anything(), spec: fc.anything() });
    fc.assert(fc.property(fc.array(anyRoute, { maxLength: 3 }), (docs) => check(importDocuments(docs, { backends: BACKENDS }))), { numRuns: 300 });
  });
});
