/** Loading: multi-document YAML, opt-in substitution, kind dispatch and the route order across files. */
import { ConfigError } from '@switchyard/core';
import { createGateway } from '@switchyard/gateway';
import { createMockTransport, createTestClock } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { compareRouteDocuments, formatMessage, importDocuments, importGatewayApi, messageAt, parseYamlDocuments, substituteEnv } from '../src/index.js';
import { backendOf, gatewayFor, req } from './harness.js';

const route = (name: string, ns: string, value: string, backend: string, createdAt?: string) => `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: ${ns}
${createdAt !== undefined ? `  creationTimestamp: "${createdAt}"\n` : ''}spec:
  rules:
  - matches: [{ path: { type: PathPrefix, value: ${value} } }]
    backendRefs: [{ name: ${backend}, port: 80 }]
`;
const BACKENDS = { 'a.default': [{ id: 'a', url: 'http://10.3.0.1:80' }], 'b.default': [{ id: 'b', url: 'http://10.3.0.2:80' }], 'a.team': [{ id: 'team-a', url: 'http://10.3.0.3:80' }] };

describe('parseYamlDocuments', () => {
  it('splits documents on ---, skips empty ones and tags each with its file and index', () => {
    const { documents, problems } = parseYamlDocuments(`${route('r1', 'default', '/a', 'a')}---\n---\n${route('r2', 'default', '/b', 'b')}`, 'routes.yaml');
    expect(problems).toEqual([]);
    expect(documents.map((d) => [d.file, d.index])).toEqual([
      ['routes.yaml', 0],
      ['routes.yaml', 2],
    ]);
  });

  it('reports a syntax error with its line and column, and keeps the valid documents', () => {
    const { documents, problems } = parseYamlDocuments(`${route('r1', 'default', '/a', 'a')}---\nkind: HTTPRoute\nmetadata: { name: [unclosed\n`, 'bad.yaml');
    expect(documents).toHaveLength(1);
    expect(problems.map(formatMessage)[0]).toMatch(/^\(yaml\) #1 \(bad\.yaml\): \(line \d+, column \d+\): invalid YAML: /);
  });

  it('refuses an alias cycle and an alias bomb as problems, never hanging or throwing', () => {
    const cycle = parseYamlDocuments('a: &x\n  b: *x\n', 'cycle.yaml');
    expect(cycle.documents).toEqual([]);
    expect(cycle.problems.map((p) => p.message)).toEqual(['invalid YAML: an alias refers to a node that contains it (a cycle)']);
    const bomb = parseYamlDocuments('a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n', 'bomb.yaml');
    expect(bomb.documents).toEqual([]);
    expect(bomb.problems).toHaveLength(1);
  });

  it('YAML 1.2: "on" and "yes" stay strings (Kubernetes\' YAML 1.1 would read booleans: quote them)', () => {
    const { documents } = parseYamlDocuments('a: on\nb: yes\n');
    expect(documents[0]?.value).toEqual({ a: 'on', b: 'yes' });
  });
});

describe('${ENV} substitution (opt-in)', () => {
  it('is off unless an env map is given', () => {
    const { documents } = parseYamlDocuments('url: "http://${HOST}:80"\n');
    expect(documents[0]?.value).toEqual({ url: 'http://${HOST}:80' });
  });
  it('replaces ${NAME} in string values from the given map; $${ is a literal ${', () => {
    const { documents, problems } = parseYamlDocuments('url: "http://${HOST}:80"\nliteral: "$${HOST}"\n', 'x.yaml', { env: { HOST: 'orders.internal' } });
    expect(problems).toEqual([]);
    expect(documents[0]?.value).toEqual({ url: 'http://orders.internal:80', literal: '${HOST}' });
  });
  it('a name the map lacks is a problem at its field path, the text left as written', () => {
    const { documents, problems } = parseYamlDocuments('spec:\n  hosts: ["${MISSING}"]\n', 'x.yaml', { env: {} });
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual(['spec.hosts[0]: environment variable MISSING is not set (write ${MISSING:-default} for a default)']);
    expect(documents[0]?.value).toEqual({ spec: { hosts: ['${MISSING}'] } });
  });
  it('never injects structure: a value with YAML syntax stays a string', () => {
    expect(substituteEnv({ a: '${X}' }, { X: '{ b: 1 }\nc: 2' })).toEqual({ a: '{ b: 1 }\nc: 2' });
  });
  it('the one rule the switchyard command uses: upper-case names only, ${NAME:-default}, empty counts as unset', () => {
    const problems: string[] = [];
    const out = substituteEnv(
      { url: 'http://${HOST:-localhost}:${PORT}', rewrite: '/items/${params.id}', tag: '${identity.sub}', lower: '${host}', empty: '${EMPTY:-fallback}', bare: '${EMPTY}' },
      { PORT: '8080', host: 'not-read', EMPTY: '' },
      (path, message) => problems.push(`${path}: ${message}`),
    );
    expect(out).toEqual({ url: 'http://localhost:8080', rewrite: '/items/${params.id}', tag: '${identity.sub}', lower: '${host}', empty: 'fallback', bare: '${EMPTY}' });
    expect(problems).toEqual(['bare: environment variable EMPTY is not set (write ${EMPTY:-default} for a default)']);
  });
  it('never reads inherited properties of the map', () => {
    const problems: string[] = [];
    expect(substituteEnv('${__PROTO__}${CONSTRUCTOR}', Object.create({ CONSTRUCTOR: 'inherited' }) as Record<string, string>, (p, m) => problems.push(`${p}: ${m}`))).toBe('${__PROTO__}${CONSTRUCTOR}');
    expect(problems).toHaveLength(2);
  });
});

describe('kind dispatch', () => {
  it('imports route kinds, skips Gateway/Service quietly and warns about other kinds', () => {
    const docs = parseYamlDocuments(
      `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: gw }\n---\napiVersion: v1\nkind: Service\nmetadata: { name: a }\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: { name: db }\n---${route('r', 'default', '/a', 'a')}`,
      'all.yaml',
    ).documents;
    const result = importDocuments(docs, { backends: BACKENDS });
    expect(result.problems).toEqual([]);
    expect(result.warnings.map(formatMessage)).toEqual(['StatefulSet default/db (all.yaml): kind: kind StatefulSet (apps/v1) is not imported: skipped']);
    expect(result.config.routes.map((r) => r.name)).toEqual(['default/r/rule-0']);
  });
  it('reads a kind: List', () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [parseYamlDocuments(route('r', 'default', '/a', 'a')).documents[0]?.value] };
    expect(importDocuments([list], { backends: BACKENDS }).config.routes).toHaveLength(1);
  });
  it('refuses to mix Gateway API (precedence) with Istio or OpenAPI (first match) in one config', () => {
    const gw = parseYamlDocuments(route('r', 'default', '/a', 'a')).documents[0]?.value;
    const vs = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'v' }, spec: { hosts: ['a'], http: [{ route: [{ destination: { host: 'a' } }] }] } };
    expect(importDocuments([gw, vs], { backends: BACKENDS }).problems.map((p) => p.message)).toEqual([
      'Gateway API routes (precedence) and Istio / OpenAPI routes (first match) need different route selection modes: import them into separate configs',
    ]);
  });
  it('importGatewayApi skips documents of other formats with a warning', () => {
    const r = importGatewayApi([{ openapi: '3.0.0', info: { title: 'x', version: '1' }, paths: {} }]);
    expect(r.warnings.map((w) => w.message)).toEqual(['not a Gateway API HTTPRoute or GRPCRoute: skipped']);
  });
});

describe('route order across files (Gateway API tie-breaks: httproute_types.go HTTPRouteRule.Matches)', () => {
  it('compareRouteDocuments: oldest creationTimestamp, then namespace/name; no timestamp sorts last', () => {
    const docs = [
      { name: 'z', namespace: 'default', createdAtMs: undefined },
      { name: 'b', namespace: 'default', createdAtMs: 2000 },
      { name: 'a', namespace: 'team', createdAtMs: undefined },
      { name: 'c', namespace: 'default', createdAtMs: 1000 },
      { name: 'a', namespace: 'default', createdAtMs: undefined },
    ];
    expect([...docs].sort(compareRouteDocuments).map((d) => `${d.namespace}/${d.name}`)).toEqual(['default/c', 'default/b', 'default/a', 'default/z', 'team/a']);
  });

  it('two routes with the same match: the older one wins, whatever the file order', async () => {
    const newer = parseYamlDocuments(route('first-in-file', 'default', '/x', 'a', '2026-02-01T00:00:00Z'), 'a.yaml').documents;
    const older = parseYamlDocuments(route('second-in-file', 'default', '/x', 'b', '2026-01-01T00:00:00Z'), 'b.yaml').documents;
    const result = importDocuments([...newer, ...older], { backends: BACKENDS });
    expect(result.config.routes.map((r) => r.name)).toEqual(['default/second-in-file/rule-0', 'default/first-in-file/rule-0']);
    expect(backendOf(await gatewayFor(result).send(req('/x')))).toBe('b');
  });

  it('same age (none in git): alphabetical {namespace}/{name} wins', async () => {
    const docs = [...parseYamlDocuments(route('zeta', 'default', '/x', 'a')).documents, ...parseYamlDocuments(route('alpha', 'team', '/x', 'a')).documents, ...parseYamlDocuments(route('beta', 'default', '/x', 'b')).documents];
    const result = importDocuments(docs, { backends: BACKENDS });
    expect(result.config.routes.map((r) => r.name)).toEqual(['default/beta/rule-0', 'default/zeta/rule-0', 'team/alpha/rule-0']);
    expect(backendOf(await gatewayFor(result).send(req('/x')))).toBe('b');
  });

  it('precedence still beats age: a longer prefix in a newer route wins', async () => {
    const docs = [...parseYamlDocuments(route('old', 'default', '/x', 'a', '2020-01-01T00:00:00Z')).documents, ...parseYamlDocuments(route('new', 'default', '/x/y', 'b', '2026-01-01T00:00:00Z')).documents];
    const t = gatewayFor(importDocuments(docs, { backends: BACKENDS }));
    expect(backendOf(await t.send(req('/x/y/z')))).toBe('b');
    expect(backendOf(await t.send(req('/x/z')))).toBe('a');
  });

  it('the same input gives the same config (stable), whatever the order the documents come in', () => {
    const texts = [route('r1', 'default', '/a', 'a'), route('r2', 'team', '/b', 'a'), route('r3', 'default', '/c', 'b', '2026-01-01T00:00:00Z')];
    const one = importDocuments(texts.flatMap((t) => parseYamlDocuments(t).documents.map((d) => d.value)), { backends: BACKENDS }).config;
    const two = importDocuments([...texts].reverse().flatMap((t) => parseYamlDocuments(t).documents.map((d) => d.value)), { backends: BACKENDS }).config;
    expect(two.routes).toEqual(one.routes);
  });
});

describe('backend resolver', () => {
  const doc = parseYamlDocuments(route('r', 'default', '/a', 'a')).documents[0]?.value;
  it('tries name.namespace:port, then name.namespace, then name', () => {
    expect(Object.keys(importDocuments([doc], { backends: { 'a.default:80': ['http://1.1.1.1'] } }).config.upstreams)).toEqual(['a.default:80']);
    expect(Object.keys(importDocuments([doc], { backends: { a: ['http://1.1.1.1'] } }).config.upstreams)).toEqual(['a']);
  });
  it('takes a function', () => {
    const seen: unknown[] = [];
    const r = importDocuments([doc], {
      backends: (ref) => {
        seen.push(ref);
        return ref.kind === 'service' ? [`http://${ref.name}.svc:${ref.port ?? 80}`] : undefined;
      },
    });
    expect(seen).toEqual([{ kind: 'service', name: 'a', namespace: 'default', port: 80 }]);
    expect(r.config.upstreams['a.default:80']?.endpoints).toEqual([{ url: 'http://a.svc:80' }]);
  });
  it('merges upstreamDefaults under every upstream it creates', () => {
    const r = importDocuments([doc], { backends: BACKENDS, upstreamDefaults: { healthCheck: { path: '/healthz' } } });
    expect(r.config.upstreams['a.default']).toEqual({ healthCheck: { path: '/healthz' }, endpoints: [{ id: 'a', url: 'http://10.3.0.1:80' }] });
  });
});

describe('origins: mapping what the gateway refuses back to the manifest', () => {
  it('a regex the gateway refuses (catastrophic backtracking) is reported at the VirtualService route that wrote it', () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: slow, namespace: default }
spec:
  hosts: [a]
  http:
  - route: [{ destination: { host: a } }]
    match: [{ uri: { regex: "/(a+)+b" } }]
`;
    const result = importDocuments(parseYamlDocuments(text, 'slow.yaml').documents, { backends: BACKENDS });
    expect(result.problems).toEqual([]);
    expect(result.origins.routes['default/slow/0']).toEqual({ document: { kind: 'VirtualService', namespace: 'default', name: 'slow', file: 'slow.yaml', index: 0 }, path: 'spec.http[0]' });
    let issues: readonly { path: string; message: string }[] = [];
    try {
      createGateway(result.config, { transport: createMockTransport({ clock: createTestClock() }) });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      issues = e.issues;
    }
    const mapped = issues.map((i) => messageAt(result, i)).map((m) => (m === undefined ? undefined : formatMessage(m)));
    expect(mapped[0]).toMatch(/^VirtualService default\/slow \(slow\.yaml\): spec\.http\[0\]: routes\[0\]\.matches\[0\]\.path\.value: rejected regular expression/);
  });
  it('upstreams map back to the reference that first named them', () => {
    const result = importDocuments(parseYamlDocuments(route('r', 'default', '/a', 'a'), 'r.yaml').documents, { backends: BACKENDS });
    expect(result.origins.upstreams['a.default']?.path).toBe('spec.rules[0].backendRefs[0]');
  });
});
