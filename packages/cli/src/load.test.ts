import { describe, expect, test } from 'vitest';
import { loadInputs, type ForeignDocument, type Importer } from './load.js';

/** Files from memory: no disk. */
function files(map: Record<string, string>): (file: string) => Promise<string> {
  return (file) => (file in map ? Promise.resolve(map[file] as string) : Promise.reject(new Error(`ENOENT: no such file, open '${file}'`)));
}

const UP = 'upstreams:\n  web: { endpoints: [{ url: "http://127.0.0.1:9" }] }\n';

describe('loadInputs - merging', () => {
  test('loadInputs - routes keep file order, then document order, then list order', async () => {
    const readText = files({
      'b.yaml': 'routes:\n  - { name: b1, backends: [{ upstream: web }] }\n---\nroutes:\n  - { name: b2, backends: [{ upstream: web }] }\n  - { name: b3, backends: [{ upstream: web }] }\n',
      'a.yaml': `routes:\n  - { name: a1, backends: [{ upstream: web }] }\n${UP}`,
    });
    const r = await loadInputs(['b.yaml', 'a.yaml'], { readText });
    expect(r.problems).toEqual([]);
    expect(r.config?.routes.map((x) => x.name)).toEqual(['b1', 'b2', 'b3', 'a1']);
    expect(r.documents).toEqual({ native: 3, foreign: 0 });
  });

  test('loadInputs - locate maps merged paths back to file, document, local path and line', async () => {
    const readText = files({
      'b.yaml': 'routes:\n  - { name: b1 }\n---\nroutes:\n  - name: b2\n    timeoutMs: -1\n',
      'a.yaml': UP,
    });
    const r = await loadInputs(['b.yaml', 'a.yaml'], { readText });
    expect(r.locate('routes[1].timeoutMs')).toEqual({ file: 'b.yaml', document: 1, path: 'routes[0].timeoutMs', line: 6, column: 16 });
    expect(r.locate('upstreams.web.endpoints[0].url')).toEqual({ file: 'a.yaml', path: 'upstreams.web.endpoints[0].url', line: 2, column: 29 });
    // A path the files do not hold (the merged config's own): named as such.
    expect(r.locate('(root)')).toEqual({ file: '(merged)', path: '(root)' });
  });

  test('loadInputs - a top-level setting may repeat only with the same value', async () => {
    const readText = files({ 'a.yaml': `selection: first-match\nroutes: []\n${UP}`, 'b.yaml': 'selection: gateway\n', 'c.yaml': 'selection: first-match\n' });
    const same = await loadInputs(['a.yaml', 'c.yaml'], { readText });
    expect(same.problems).toEqual([]);
    const differ = await loadInputs(['a.yaml', 'b.yaml'], { readText });
    expect(differ.problems).toEqual([{ file: 'b.yaml', path: 'selection', message: 'is also set, to another value, in a.yaml: documents that set it must agree', line: 1, column: 12 }]);
  });

  test('loadInputs - routes, upstreams or limits of the wrong type are problems at their path', async () => {
    const r = await loadInputs(['a.yaml'], { readText: files({ 'a.yaml': 'routes: {}\nupstreams: []\nlimits: 3\n' }) });
    expect(r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual(['routes: must be an array of routes', 'upstreams: must be an object of upstream groups', 'limits: must be an object of named limits']);
  });

  test('loadInputs - a YAML alias cycle is refused instead of looping', async () => {
    const r = await loadInputs(['a.yaml'], { readText: files({ 'a.yaml': 'routes: &r\n  - *r\n' }) });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]?.message).toContain('a cycle');
  });

  test('loadInputs - a document that is not an object, and a file with no documents', async () => {
    const r = await loadInputs(['a.yaml', 'b.yaml'], { readText: files({ 'a.yaml': '- 1\n- 2\n', 'b.yaml': '# nothing\n' }) });
    expect(r.problems).toEqual([{ file: 'a.yaml', path: '(root)', message: 'must be an object (a switchyard config, a Kubernetes resource or an OpenAPI document)', line: 1, column: 1 }]);
    expect(r.warnings).toEqual([{ file: 'b.yaml', path: '(file)', message: 'holds no document' }]);
  });

  test('loadInputs - invalid JSON reports its line and column', async () => {
    const r = await loadInputs(['a.json'], { readText: files({ 'a.json': '{\n  "routes": [,]\n}' }) });
    expect(r.problems[0]).toMatchObject({ file: 'a.json', path: '(document)', line: 2, column: 14 });
  });
});

describe('loadInputs - ${ENV}', () => {
  const text = 'upstreams:\n  web: { endpoints: [{ url: "http://${HOST:-localhost}:${PORT}/$${KEEP}" }] }\nroutes:\n  - name: r\n    backends: [{ upstream: web }]\n    rewrite: { path: { type: Template, template: "/x/${params.id}" } }\n';

  test('loadInputs - no substitution without env, and a warning for each value that asks for one', async () => {
    const r = await loadInputs(['a.yaml'], { readText: files({ 'a.yaml': text }) });
    expect((r.config?.upstreams['web']?.endpoints[0] as { url: string }).url).toBe('http://${HOST:-localhost}:${PORT}/$${KEEP}');
    expect(r.warnings).toEqual([{ file: 'a.yaml', path: 'upstreams.web.endpoints[0].url', message: 'contains ${HOST:-localhost}, kept as written: pass --env to substitute environment variables', line: 2, column: 29 }]);
  });

  test('loadInputs - with env: variables, defaults and $${ escapes; rewrite templates untouched', async () => {
    const r = await loadInputs(['a.yaml'], { readText: files({ 'a.yaml': text }), env: { PORT: '8080' } });
    expect(r.problems).toEqual([]);
    expect((r.config?.upstreams['web']?.endpoints[0] as { url: string }).url).toBe('http://localhost:8080/${KEEP}');
    expect(r.config?.routes[0]?.rewrite).toEqual({ path: { type: 'Template', template: '/x/${params.id}' } });
  });

  test('loadInputs - an unset variable without a default is a problem at its path', async () => {
    const r = await loadInputs(['a.yaml'], { readText: files({ 'a.yaml': text }), env: {} });
    expect(r.problems).toEqual([{ file: 'a.yaml', path: 'upstreams.web.endpoints[0].url', message: 'environment variable PORT is not set (write ${PORT:-default} for a default)', line: 2, column: 29 }]);
  });
});

describe('loadInputs - the importer seam', () => {
  const MANIFESTS = [
    'apiVersion: gateway.networking.k8s.io/v1',
    'kind: HTTPRoute',
    'metadata: { name: shop }',
    'spec:',
    '  rules:',
    '    - backendRefs: [{ name: shop, port: 80 }]',
    '---',
    'apiVersion: networking.istio.io/v1',
    'kind: VirtualService',
    'metadata: { name: reviews }',
    'spec:',
    '  http:',
    '    - route: [{ destination: { host: reviews, subset: v9 } }]',
    '',
  ].join('\n');
  const OPENAPI = JSON.stringify({ openapi: '3.1.0', info: { title: 'x', version: '1' }, paths: {} });

  test('loadInputs - foreign documents reach the importer in one call, in order, with file, document, format and kind', async () => {
    const seen: ForeignDocument[][] = [];
    const importer: Importer = (docs) => {
      seen.push([...docs]);
      return { config: { routes: [{ name: 'imported', backends: [{ upstream: 'web' }] }] }, warnings: [], problems: [] };
    };
    const readText = files({ 'k8s.yaml': MANIFESTS, 'api.json': OPENAPI, 'native.yaml': `routes:\n  - { name: native, backends: [{ upstream: web }] }\n${UP}` });
    const r = await loadInputs(['k8s.yaml', 'native.yaml', 'api.json'], { readText, importer });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.map((d) => [d.file, d.document, d.format, d.kind])).toEqual([
      ['k8s.yaml', 0, 'kubernetes', 'HTTPRoute'],
      ['k8s.yaml', 1, 'kubernetes', 'VirtualService'],
      ['api.json', undefined, 'openapi', 'OpenAPI'],
    ]);
    expect(seen[0]?.[0]?.value['metadata']).toEqual({ name: 'shop' });
    // Native routes first, then the importer's, in its order.
    expect(r.config?.routes.map((x) => x.name)).toEqual(['native', 'imported']);
    expect(r.documents).toEqual({ native: 1, foreign: 3 });
    expect(r.locate('routes[1].backends')).toEqual({ file: '(imported)', path: 'routes[1].backends' });
  });

  test("loadInputs - the importer's problems and warnings are located in the document they name", async () => {
    const importer: Importer = () => ({
      config: undefined,
      warnings: [{ document: 0, path: 'spec.rules[0].backendRefs[0].port', message: 'has no switchyard counterpart: ignored' }],
      problems: [{ document: 1, path: 'spec.http[0].route[0].destination.subset', message: 'no DestinationRule defines subset "v9"' }, { path: 'spec', message: 'an issue about no document' }],
    });
    const r = await loadInputs(['k8s.yaml'], { readText: files({ 'k8s.yaml': MANIFESTS }), importer });
    expect(r.warnings).toEqual([{ file: 'k8s.yaml', document: 0, path: 'spec.rules[0].backendRefs[0].port', message: 'has no switchyard counterpart: ignored', line: 6, column: 41 }]);
    expect(r.problems).toEqual([
      { file: 'k8s.yaml', document: 1, path: 'spec.http[0].route[0].destination.subset', message: 'no DestinationRule defines subset "v9"', line: 13, column: 55 },
      { file: '(imported)', path: 'spec', message: 'an issue about no document' },
    ]);
  });

  test('loadInputs - an importer that throws is a problem, not a crash', async () => {
    const importer: Importer = () => {
      throw new Error('boom');
    };
    const r = await loadInputs(['k8s.yaml'], { readText: files({ 'k8s.yaml': MANIFESTS }), importer });
    expect(r.problems).toEqual([{ file: 'k8s.yaml', path: '(import)', message: 'the importer failed: boom' }]);
  });

  test('loadInputs - an imported upstream that a native file also defines is a problem', async () => {
    const importer: Importer = () => ({ config: { routes: [], upstreams: { web: { endpoints: [] } } }, warnings: [], problems: [] });
    const r = await loadInputs(['n.yaml', 'k8s.yaml'], { readText: files({ 'n.yaml': `routes: []\n${UP}`, 'k8s.yaml': MANIFESTS }), importer });
    expect(r.problems).toEqual([{ file: '(imported)', path: 'upstreams.web', message: 'upstream "web" is also defined in n.yaml: each name once across all files' }]);
  });

  test("loadInputs - problems may name their document by file and position (@switchyard/import's DocumentRef); --backend reaches the importer", async () => {
    let context: unknown;
    const importer: Importer = (docs, ctx) => {
      context = ctx;
      return {
        config: { routes: [] },
        warnings: [],
        problems: [
          { document: { kind: 'VirtualService', name: 'reviews', namespace: 'default', file: 'k8s.yaml', index: 1 }, path: 'spec.http[0].route[0].destination.subset', message: 'no DestinationRule defines subset "v9"' },
          { document: { kind: 'HTTPRoute', file: 'other.yaml', index: 3 }, path: 'spec', message: 'a document the command did not pass' },
        ],
      };
    };
    const r = await loadInputs(['k8s.yaml'], { readText: files({ 'k8s.yaml': MANIFESTS }), importer, backends: { 'reviews.default': ['http://127.0.0.1:9080'] } });
    expect(context).toEqual({ backends: { 'reviews.default': ['http://127.0.0.1:9080'] } });
    expect(r.problems).toEqual([
      { file: 'k8s.yaml', document: 1, path: 'spec.http[0].route[0].destination.subset', message: 'no DestinationRule defines subset "v9"', line: 13, column: 55 },
      { file: 'other.yaml', document: 3, path: 'spec', message: 'a document the command did not pass' },
    ]);
  });
});
