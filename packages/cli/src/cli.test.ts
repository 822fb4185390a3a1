/**
 * `run` in process, with an importer: the seam the executable leaves for `@switchyard/import`
 * (the executable itself is tested as a child process in test/).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run } from './cli.js';
import { importerFrom, type ImportDocumentsLike } from './importers.js';
import type { Importer } from './load.js';
import type { CommandIo } from './output.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-run-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function capture(env: Record<string, string> = {}): CommandIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env, out: () => out, err: () => err };
}

const ROUTE = 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: shop }\nspec:\n  rules:\n    - backendRefs: [{ name: shop, port: 80 }]\n';

/** A stand-in importer: one route per HTTPRoute, its backend from --backend, a warning per document. */
const importer: Importer = (docs, { backends }) => ({
  config: {
    selection: 'gateway',
    routes: docs.map((d) => ({ name: String((d.value['metadata'] as { name: string }).name), backends: [{ upstream: 'shop.default' }] })),
    upstreams: { 'shop.default': { endpoints: (backends['shop.default'] ?? []).map((url) => ({ url })) } },
  },
  warnings: docs.map((d) => ({ document: { file: d.file, index: d.document ?? 0 }, path: 'spec.rules[0].backendRefs[0].port', message: 'the port is taken from the endpoint URL' })),
  problems: [],
});

describe('run - with an importer', () => {
  test('import - prints the imported config, warnings on stderr by file, line and path', async () => {
    const f = join(dir, 'route.yaml');
    await writeFile(f, ROUTE);
    const io = capture();
    const code = await run(['import', f, '--backend', 'shop.default=http://127.0.0.1:8081,http://127.0.0.1:8082', '--format', 'json'], io, { importer });
    expect(code).toBe(0);
    expect(JSON.parse(io.out())).toEqual({
      routes: [{ name: 'shop', backends: [{ upstream: 'shop.default' }] }],
      upstreams: { 'shop.default': { endpoints: [{ url: 'http://127.0.0.1:8081' }, { url: 'http://127.0.0.1:8082' }] } },
      selection: 'gateway',
    });
    expect(io.err()).toBe(`warning: ${f}:6:41: spec.rules[0].backendRefs[0].port: the port is taken from the endpoint URL\n`);
  });

  test('validate - imported and native documents together, and a malformed --backend is a usage error', async () => {
    const f = join(dir, 'mixed.yaml');
    await writeFile(f, `${ROUTE}---\nroutes:\n  - { name: native, backends: [{ upstream: shop.default }] }\n`);
    const io = capture();
    expect(await run(['validate', f, '--backend', 'shop.default=http://127.0.0.1:8081', '--json'], io, { importer })).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ ok: true, routes: 2, upstreams: 1, documents: { native: 1, foreign: 1 } });
    const bad = capture();
    expect(await run(['validate', f, '--backend', 'shop.default'], bad, { importer })).toBe(2);
    expect(bad.err()).toContain('usage error: --backend is name=url[,url...], not "shop.default"');
  });
});

describe('importerFrom - the adapter for @switchyard/import', () => {
  test('importerFrom - documents go with file and position, --backend as the backend map, messages located by { file, index }', async () => {
    const f = join(dir, 'two.yaml');
    await writeFile(f, `${ROUTE}---\n${ROUTE.replace('name: shop', 'name: cart')}`);
    const calls: { docs: unknown; options: unknown }[] = [];
    // The shape of importDocuments(docs, options) → { config, warnings, problems } (DocumentRef in messages).
    const importDocuments: ImportDocumentsLike = (docs, options) => {
      calls.push({ docs: docs.map((d) => [d.file, d.index, (d.value as { metadata: { name: string } }).metadata.name]), options });
      return {
        config: { selection: 'gateway', routes: [], upstreams: {} },
        warnings: [],
        problems: [{ document: { kind: 'HTTPRoute', namespace: 'default', name: 'cart', file: f, index: 1 }, path: 'spec.rules[0].backendRefs[0].name', message: 'service shop.default is not resolved' }],
      };
    };
    const io = capture();
    expect(await run(['validate', f, '--backend', 'x.default=http://127.0.0.1:1'], io, { importer: importerFrom(importDocuments) })).toBe(1);
    expect(calls).toEqual([{ docs: [[f, 0, 'shop'], [f, 1, 'cart']], options: { backends: { 'x.default': ['http://127.0.0.1:1'] } } }]);
    expect(io.err()).toBe(`error: ${f}:13:29 (document 2): spec.rules[0].backendRefs[0].name: service shop.default is not resolved\n`);
    const without = capture();
    await run(['validate', f], without, { importer: importerFrom(importDocuments) });
    expect(calls[1]?.options).toEqual({});
  });
});

