/**
 * The packages as a user gets them: every public package packed to a tarball
 * (`pnpm release --dry-run`, which checks each holds its LICENSE, README and every file its
 * package.json points at), installed with npm into a fresh project outside the workspace, then
 * used from ESM, from CommonJS and from TypeScript with `module: NodeNext`; and the README's
 * example, taken verbatim from README.md with only its ports changed, run against a local
 * upstream. Needs `pnpm build` first (CI builds before testing; `pnpm test` builds when stale).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
let dir = '';
const upstreams: Server[] = [];
const children: ChildProcess[] = [];

const publicPackages = readdirSync(join(root, 'packages'))
  .filter((d) => existsSync(join(root, 'packages', d, 'package.json')))
  .map((d) => JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')) as { name: string; private?: boolean; version: string })
  .filter((p) => p.private !== true);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-tarballs-'));
  const packs = join(dir, 'packs');
  await run('node', [join(root, 'scripts/release.mjs'), '--dry-run', '--out', packs], { cwd: root });
  const tarballs = Object.fromEntries(
    readdirSync(packs).map((f) => {
      const name = `@switchyard/${f.replace(/^switchyard-/, '').replace(/-\d+\.\d+\.\d+.*\.tgz$/, '')}`;
      return [name, `file:${join(packs, f)}`];
    }),
  );
  const app = join(dir, 'app');
  await run('mkdir', ['-p', app]);
  // Every @switchyard dependency (also the transitive `^0.1.0` ones) resolves to its tarball.
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', private: true, dependencies: tarballs, overrides: tarballs }, null, 2));
  await run('npm', ['install', '--no-audit', '--no-fund', '--legacy-peer-deps', '--loglevel=error'], { cwd: app, timeout: 240_000 });
}, 300_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.all(upstreams.map((s) => new Promise<void>((r) => s.close(() => r()))));
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('packed tarballs in a fresh project', () => {
  it('every public package installs from its tarball', () => {
    for (const p of publicPackages) expect(existsSync(join(dir, 'app/node_modules', p.name, 'LICENSE')), p.name).toBe(true);
  });

  it('imports from ESM and requires from CommonJS', async () => {
    const app = join(dir, 'app');
    const names = publicPackages.map((p) => p.name).filter((n) => n !== '@switchyard/cli');
    writeFileSync(join(app, 'esm.mjs'), `${names.map((n, i) => `import * as m${i} from '${n}';`).join('\n')}\nconsole.log([${names.map((_, i) => `Object.keys(m${i}).length`).join(',')}].join(' '));\n`);
    writeFileSync(join(app, 'cjs.cjs'), `console.log([${names.map((n) => `Object.keys(require('${n}')).length`).join(',')}].join(' '));\n`);
    const esm = await run('node', ['esm.mjs'], { cwd: app });
    const cjs = await run('node', ['cjs.cjs'], { cwd: app });
    expect(esm.stdout.trim()).toBe(cjs.stdout.trim());
    // Packages with code export something (scaffolds still empty may export nothing yet).
    expect(esm.stdout.trim().split(' ').filter((n) => Number(n) > 0).length).toBeGreaterThan(10);
  });

  it('type-checks with TypeScript NodeNext', async () => {
    const app = join(dir, 'app');
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [join(root, 'node_modules/@types')] }, files: ['check.mts'] }),
    );
    writeFileSync(
      join(app, 'check.mts'),
      `import { createGateway, type GatewayConfig } from '@switchyard/gateway';\nimport { createUndiciTransport } from '@switchyard/transport-undici';\nimport { createTestClock } from '@switchyard/testing';\nconst config: GatewayConfig = { routes: [{ name: 'r', backends: [{ upstream: 'u' }] }], upstreams: { u: { endpoints: [{ url: 'http://127.0.0.1:1' }] } } };\nconst g = createGateway(config, { transport: createUndiciTransport(), clock: createTestClock() });\nexport const p: Promise<void> = g.stop();\n`,
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    await expect(run('node', [tsc, '-p', 'tsconfig.json'], { cwd: app })).resolves.toBeDefined();
  }, 120_000);

  it("runs the README's example against a local upstream", async () => {
    // The example's two endpoints (8081, 8082) become two local upstreams.
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const server = createServer((req, res) => res.end(JSON.stringify({ path: req.url })));
      upstreams.push(server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      ports.push((server.address() as AddressInfo).port);
    }
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const example = /## In one example\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example, 'README has an "In one example" ts block').toBeDefined();
    // Only the ports change: both endpoints point at the test's upstream, the gateway on a free port.
    const gatewayPort = await freePort();
    const code = example!
      .replaceAll('127.0.0.1:8081', `127.0.0.1:${ports[0]}`)
      .replaceAll('127.0.0.1:8082', `127.0.0.1:${ports[1]}`)
      .replace('.listen(8080,', `.listen(${gatewayPort},`);
    // The example has no type annotations: it runs as plain ESM on Node 20 (no type stripping there).
    writeFileSync(join(dir, 'app/readme-example.mjs'), code);
    const child = spawn(process.execPath, ['readme-example.mjs'], { cwd: join(dir, 'app'), stdio: 'pipe' });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const body = await poll(async () => {
      const r = await fetch(`http://127.0.0.1:${gatewayPort}/api/v2/orders/7`);
      return r.status === 200 ? r.text() : undefined;
    }, () => stderr);
    expect(JSON.parse(body)).toEqual({ path: '/orders/7' });
  });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Retries until the example's server answers (it starts asynchronously), for at most 20 s. */
async function poll<T>(attempt: () => Promise<T | undefined>, diagnostics: () => string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    try {
      const v = await attempt();
      if (v !== undefined) return v;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the README example never answered; its stderr:\n${diagnostics()}`);
}
