/**
 * `switchyard serve` as a child process: real HTTP on 127.0.0.1 through the gateway to a local
 * node:http upstream, the admin port, `--watch` (an edit picked up, a broken edit refused while
 * the old config keeps serving), SIGHUP, and SIGTERM draining requests in flight.
 *
 * Every wait is for a condition with a bounded deadline (`until`); no test sleeps for a fixed time.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { buildBin, Children, SLOW_MS, until, type Running } from './harness.js';

let built: Awaited<ReturnType<typeof buildBin>> | undefined;
const children = new Children(() => (built as { bin: string }).bin);
let dir = '';
let upstream: Server | undefined;
let upstreamPort = 0;
/** Responses the upstream holds (paths under /slow) until the test releases them. */
const held: ServerResponse[] = [];

beforeAll(async () => {
  built = await buildBin();
}, SLOW_MS);
afterAll(() => built?.cleanup());

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-serve-'));
  upstream = createServer((req, res) => {
    if (req.url?.startsWith('/slow') === true) {
      held.push(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream-host': req.headers.host ?? '' });
    res.end(`upstream ${req.method} ${req.url}`);
  });
  await new Promise<void>((resolve) => (upstream as Server).listen(0, '127.0.0.1', resolve));
  upstreamPort = (upstream.address() as AddressInfo).port;
});

afterEach(async () => {
  await children.killAll();
  for (const res of held.splice(0)) res.destroy();
  upstream?.closeAllConnections();
  await new Promise<void>((resolve) => (upstream === undefined ? resolve() : upstream.close(() => resolve())));
  upstream = undefined;
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

function config(routes: string): string {
  return `routes:\n${routes}upstreams:\n  app: { endpoints: [{ id: app-1, url: "http://127.0.0.1:${upstreamPort}" }] }\n`;
}
const API_ROUTE = '  - name: api\n    matches: [{ path: { type: PathPrefix, value: /api } }]\n    backends: [{ upstream: app }]\n';
const SLOW_ROUTE = '  - name: slow\n    matches: [{ path: { type: PathPrefix, value: /slow } }]\n    backends: [{ upstream: app }]\n';
const V2_ROUTE = '  - name: v2\n    matches: [{ path: { type: PathPrefix, value: /v2 } }]\n    backends: [{ upstream: app }]\n    rewrite: { path: { type: StripPrefix, prefix: /v2 } }\n';

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Starts `serve` on free ports and waits for both addresses. */
async function startServe(file: string, ...flags: string[]): Promise<{ run: Running; port: number; admin: number }> {
  return startServeWith({}, file, ...flags);
}

/** {@link startServe} with `env` added to the child's environment. */
async function startServeWith(env: Record<string, string>, file: string, ...flags: string[]): Promise<{ run: Running; port: number; admin: number }> {
  const run = children.start(['serve', file, '--port', '0', '--admin-port', '0', ...flags], { env });
  const ports = await until(() => {
    const t = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(run.stdout());
    const a = /admin on http:\/\/127\.0\.0\.1:(\d+)/.exec(run.stdout());
    if (run.child.exitCode !== null) throw new Error(`serve exited ${run.child.exitCode}: ${run.stderr()}`);
    return t !== null && a !== null ? { port: Number(t[1]), admin: Number(a[1]) } : undefined;
  }, 'serve to listen');
  return { run, ...ports };
}

/** One GET on its own connection (no keep-alive: nothing left open between tests). */
function get(port: number, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve', { timeout: SLOW_MS }, () => {
  test('serve - proxies real HTTP to the upstream; the admin port answers /metrics, /healthz and /ready, the traffic port does not', async () => {
    const file = await write('gateway.yaml', config(API_ROUTE));
    const { run, port, admin } = await startServe(file);
    expect(run.stdout()).toContain('(1 route, 1 upstream)');

    const r = await get(port, '/api/hello?x=1');
    expect(r).toMatchObject({ status: 200, body: 'upstream GET /api/hello?x=1' });
    expect(r.headers['x-upstream-host']).toBe(`127.0.0.1:${port}`);

    const metrics = await get(admin, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(metrics.body).toMatch(/^http_server_request_duration_seconds_count\{.*http_route="api".*\} 1$/m);
    expect(await get(admin, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await get(admin, '/ready')).toMatchObject({ status: 200, body: 'ready\n' });
    expect((await get(admin, '/api/hello')).status).toBe(404);

    // The traffic port routes /metrics and /ready like any path: no route here, the gateway's 404.
    for (const path of ['/metrics', '/ready', '/healthz']) {
      const t = await get(port, path);
      expect(t.status).toBe(404);
      expect(JSON.parse(t.body)).toMatchObject({ error: 'SY_NO_ROUTE' });
    }
  });

  test('serve --watch - an edit is picked up; a broken edit is refused with file and path, and the running config keeps serving', async () => {
    const file = await write('gateway.yaml', config(API_ROUTE));
    const { run, port } = await startServe(file, '--watch');
    expect((await get(port, '/v2/api/x')).status).toBe(404);

    await writeFile(file, config(API_ROUTE + V2_ROUTE));
    await until(() => run.stdout().includes('reloaded'), 'the reload', undefined, run);
    expect(run.stdout()).toMatch(/reloaded \(.*gateway\.yaml changed\): 2 routes, 1 upstream$/m);
    expect(await get(port, '/v2/api/x')).toMatchObject({ status: 200, body: 'upstream GET /api/x' });

    // A broken edit: a negative weight. Refused, with the file, line and field path.
    await writeFile(file, config(API_ROUTE + V2_ROUTE).replace('backends: [{ upstream: app }]\n    rewrite', 'backends: [{ upstream: app, weight: -5 }]\n    rewrite'));
    await until(() => run.stderr().includes('routes[1].backends[0].weight'), 'the refusal', undefined, run);
    expect(run.stderr()).toContain(`error: ${file}:7:41: routes[1].backends[0].weight: must be >= 0`);
    expect(run.stderr()).toContain('keeping the running config');
    expect(await get(port, '/v2/api/x')).toMatchObject({ status: 200, body: 'upstream GET /api/x' });

    // Broken YAML too.
    const before = run.stderr().length;
    await writeFile(file, 'routes: [\n');
    await until(() => run.stderr().slice(before).includes('invalid YAML'), 'the YAML refusal', undefined, run);
    expect(await get(port, '/api/still')).toMatchObject({ status: 200, body: 'upstream GET /api/still' });
  });

  test('serve - a Gateway API HTTPRoute file, its backendRef mapped by --backend to the local upstream: real HTTP through the imported routes', async () => {
    const file = await write(
      'httproute.yaml',
      [
        'apiVersion: gateway.networking.k8s.io/v1',
        'kind: HTTPRoute',
        'metadata: { name: shop, namespace: web }',
        'spec:',
        '  rules:',
        '    - matches: [{ path: { type: PathPrefix, value: /catalog } }]',
        '      filters:',
        '        - type: URLRewrite',
        '          urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /items } }',
        '        - type: RequestHeaderModifier',
        '          requestHeaderModifier: { set: [{ name: x-upstream-host, value: ignored }] }',
        '      backendRefs: [{ name: app, port: 8080 }]',
        '    - matches: [{ path: { type: Exact, value: /old } }]',
        '      filters: [{ type: RequestRedirect, requestRedirect: { path: { type: ReplaceFullPath, replaceFullPath: /catalog }, statusCode: 301 } }]',
        '',
      ].join('\n'),
    );
    const { run, port } = await startServe(file, '--backend', `app.web=http://127.0.0.1:${upstreamPort}`);
    expect(run.stdout()).toContain('(2 routes, 1 upstream)');
    // PathPrefix /catalog rewritten to /items (Gateway API ReplacePrefixMatch), the query kept.
    expect(await get(port, '/catalog/42?v=1')).toMatchObject({ status: 200, body: 'upstream GET /items/42?v=1' });
    const redirect = await get(port, '/old');
    expect(redirect.status).toBe(301);
    expect(redirect.headers['location']).toBe(`http://127.0.0.1:${port}/catalog`);
    const none = await get(port, '/elsewhere');
    expect(none.status).toBe(404);
    expect(JSON.parse(none.body)).toMatchObject({ error: 'SY_NO_ROUTE' });
    // Without the mapping the service name resolves nowhere: serve refuses to start, naming the backendRef.
    const refused = await children.run(['serve', file, '--port', '0', '--admin-port', '0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`error: ${file}:12:21: spec.rules[0].backendRefs[0]: backend "app.web:8080" is not resolved: map it in the import's \`backends\` (\`--backend name=url\` on the command line; keys tried: "app.web:8080", "app.web", "app")`);
    expect(refused.stdout).not.toContain('listening');
  });

  test('serve - SIGHUP reloads the files', async () => {
    const file = await write('gateway.yaml', config(API_ROUTE));
    const { run, port } = await startServe(file);
    await writeFile(file, config(API_ROUTE + V2_ROUTE));
    run.child.kill('SIGHUP');
    await until(() => run.stdout().includes('reloaded (SIGHUP): 2 routes, 1 upstream'), 'the SIGHUP reload', undefined, run);
    expect((await get(port, '/v2/api/y')).status).toBe(200);
  });

  test('serve - SIGTERM with requests in flight: /ready turns 503, no new connections, none dropped, exit 0', async () => {
    const file = await write('gateway.yaml', config(API_ROUTE + SLOW_ROUTE));
    const { run, port, admin } = await startServe(file, '--drain-timeout', '20s');
    const inflight = [1, 2, 3].map((i) => get(port, `/slow/${i}`));
    await until(() => held.length === 3, 'three requests held by the upstream');

    run.child.kill('SIGTERM');
    await until(() => run.stdout().includes('SIGTERM: draining 3 in-flight requests'), 'the drain to start', undefined, run);
    expect(await get(admin, '/ready')).toMatchObject({ status: 503, body: 'draining\n' });
    await expect(get(port, '/api/new')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    for (const [i, res] of held.splice(0).entries()) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`slow ${i}`);
    }
    const answers = await Promise.all(inflight);
    expect(answers.map((a) => [a.status, a.body])).toEqual([
      [200, 'slow 0'],
      [200, 'slow 1'],
      [200, 'slow 2'],
    ]);
    const exit = await run.exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('switchyard: stopped');
  });

  test('serve - the drain timeout cuts what is still in flight, then exits 0; a second signal exits 1 at once', async () => {
    const file = await write('gateway.yaml', config(API_ROUTE + SLOW_ROUTE));
    const first = await startServe(file, '--drain-timeout', '200ms');
    const stuck = get(first.port, '/slow/never').then(
      (r) => r.status,
      (e: NodeJS.ErrnoException) => e.code,
    );
    await until(() => held.length === 1, 'the request held by the upstream');
    first.run.child.kill('SIGTERM');
    const exit = await first.run.exited;
    expect(exit.code).toBe(0);
    expect(exit.stderr).toContain('switchyard: drain timeout: cutting 1 request still in flight');
    expect(await stuck).toBe('ECONNRESET');

    const second = await startServe(file);
    const again = get(second.port, '/slow/again').catch(() => 'cut');
    await until(() => held.length === 2, 'the second request held');
    second.run.child.kill('SIGTERM');
    await until(() => second.run.stdout().includes('draining 1 in-flight request'), 'the drain', undefined, second.run);
    second.run.child.kill('SIGINT');
    const forced = await second.run.exited;
    expect(forced.code).toBe(1);
    expect(forced.stderr).toContain('SIGINT again while draining: exiting now');
    expect(await again).toBe('cut');
  });

  test('serve - the admin port serves the dashboard at /dashboard/: snapshot of the traffic, operations only with --admin-token-env and the token', async () => {
    const file = await write(
      'gateway.yaml',
      `routes:
  - name: api
    matches: [{ path: { type: PathPrefix, value: /api } }]
    backends: [{ name: v1, upstream: app, subset: { version: v1 } }, { name: v2, upstream: app, subset: { version: v2 } }]
    split: { key: { header: x-user-id } }
    rollout: { name: api-v2, canary: v2, baseline: v1, steps: [10, 50, 100], analysisIntervalMs: 600000 }
upstreams:
  app: { endpoints: [{ id: a1, url: "http://127.0.0.1:${upstreamPort}", metadata: { version: v1 } }, { id: a2, url: "http://127.0.0.1:${upstreamPort}", metadata: { version: v2 } }] }
`,
    );
    const { run, port, admin } = await startServeWith({ SY_DASHBOARD_TOKEN: 'serve-test-token' }, file, '--admin-token-env', 'SY_DASHBOARD_TOKEN');
    expect(run.stdout()).toContain('/dashboard/ with operations)');
    expect(run.stdout()).not.toContain('serve-test-token');
    const root = await get(admin, '/');
    expect(root.status).toBe(302);
    expect(root.headers['location']).toBe('/dashboard/');
    const page = await get(admin, '/dashboard/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    for (let i = 0; i < 3; i++) expect((await get(port, `/api/x${i}`)).status).toBe(200);
    const snap = JSON.parse((await get(admin, '/dashboard/api/snapshot')).body) as { operations: boolean; routes: { name: string; requests: { total: number } }[]; rollouts: { phase: string }[] };
    expect(snap.operations).toBe(true);
    expect(snap.routes[0]).toMatchObject({ name: 'api', requests: { total: 3 } });
    expect(snap.rollouts[0]?.phase).toBe('progressing');
    expect((await get(admin, '/dashboard/api/rollouts/api/abort', 'POST')).status).toBe(401);
    expect((await get(admin, '/dashboard/api/rollouts/api/abort', 'POST', { authorization: 'Bearer wrong' })).status).toBe(401);
    const aborted = await get(admin, '/dashboard/api/rollouts/api/abort?reason=serve+test', 'POST', { authorization: 'Bearer serve-test-token' });
    expect(aborted.status).toBe(200);
    expect(JSON.parse((await get(admin, '/dashboard/api/snapshot')).body)).toMatchObject({ rollouts: [{ phase: 'aborted', reasons: ['aborted: serve test'] }] });
    // The traffic port does not serve it.
    expect((await get(port, '/dashboard/api/snapshot')).status).toBe(404);
  });

  test('serve - read-only dashboard by default; --admin-token-env naming an unset variable is a usage error', async () => {
    const file = await write('gateway.yaml', config(API_ROUTE));
    const { run, admin } = await startServe(file);
    expect(run.stdout()).toContain('/dashboard/ read-only)');
    expect((await get(admin, '/dashboard/api/rollouts/api/abort', 'POST', { authorization: 'Bearer x' })).status).toBe(403);
    const r = await children.run(['serve', file, '--port', '0', '--admin-port', '0', '--admin-token-env', 'SY_NOT_SET']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--admin-token-env SY_NOT_SET: the environment variable SY_NOT_SET is not set or is empty');
  });

  test('serve - a port in use exits 1 saying which', async () => {
    const file = await write('gateway.yaml', config(API_ROUTE));
    const r = await children.run(['serve', file, '--port', String(upstreamPort), '--admin-port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: cannot listen on 127.0.0.1:${upstreamPort} (traffic): listen EADDRINUSE`);
  });

  test('serve - an invalid config exits 1 before listening, naming file and path', async () => {
    const file = await write('gateway.yaml', config('  - name: x\n    backends: [{ upstream: nope }]\n'));
    const r = await children.run(['serve', file, '--port', '0', '--admin-port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: ${file}:3:28: routes[0].backends[0].upstream: unknown upstream "nope"`);
    expect(r.stdout).not.toContain('listening');
  });
});
