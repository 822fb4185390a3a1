/**
 * The `switchyard` executable's contract: exit codes (0 ok, 1 a problem in the input, 2 usage),
 * `--help` on every verb, `--json` reports, problems by file and path on stderr, loading several
 * files, `${ENV}` only with `--env`, and `import`.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { buildBin, Children, SLOW_MS } from './harness.js';

const SAMPLE = 'packages/cli/test/fixtures/sample.yaml';
const INVALID = 'packages/cli/test/fixtures/invalid.yaml';
let built: Awaited<ReturnType<typeof buildBin>> | undefined;
let dir = '';
const children = new Children(() => (built as { bin: string }).bin);
beforeAll(async () => {
  built = await buildBin();
  dir = await mkdtemp(join(tmpdir(), 'switchyard-cli-files-'));
}, SLOW_MS);
afterEach(() => children.killAll());
afterAll(async () => {
  await built?.cleanup();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const UPSTREAM = 'upstreams:\n  web: { endpoints: [{ url: "http://127.0.0.1:9" }] }\n';

describe('exit codes', { timeout: SLOW_MS }, () => {
  test('validate - a valid config exits 0 and says what it loaded', async () => {
    const r = await children.run(['validate', SAMPLE]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('valid: 9 routes, 4 upstreams from 1 file\n');
  });

  test('validate - an invalid config exits 1 with every problem on stderr by file, line and path', async () => {
    const r = await children.run(['validate', INVALID]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `error: ${INVALID}:4:44: routes[0].backends[0].weight: must be >= 0`,
      `error: ${INVALID}:5:16: routes[0].timeoutMS: unknown key "timeoutMS" (did you mean "timeoutMs"?)`,
    ]);
    expect(r.stdout).toBe('invalid: 2 problems\n');
  });

  test('validate - the compiler pass reports every semantic problem too', async () => {
    const f = await file('semantic.yaml', `routes:\n  - name: a\n    backends: [{ upstream: nope }]\n  - name: a\n    backends: [{ upstream: web }]\n${UPSTREAM}`);
    const r = await children.run(['validate', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f}:3:28: routes[0].backends[0].upstream: unknown upstream "nope"`);
    expect(r.stderr).toContain(`${f}:4:11: routes[1].name: duplicate route name "a"`);
  });

  test('validate - YAML syntax errors exit 1 with their line', async () => {
    const f = await file('broken.yaml', 'routes:\n  - name: a\n   backends: [\n');
    const r = await children.run(['validate', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: ${f}:\\d+:\\d+: \\(document\\): invalid YAML: `));
  });

  test('validate - a missing file exits 1 naming the file', async () => {
    const r = await children.run(['validate', join(dir, 'absent.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: ${join(dir, 'absent.yaml')}: (file): cannot read: ENOENT`);
  });

  test('usage errors exit 2: no command, an unknown command, an unknown flag, missing arguments, a bad value', async () => {
    const cases: [string[], RegExp][] = [
      [[], /Usage: switchyard <command>/],
      [['deploy'], /unknown command "deploy"/],
      [['validate', SAMPLE, '--colour'], /usage error: Unknown option '--colour'/],
      [['validate'], /usage error: at least one file is required/],
      [['explain', SAMPLE, 'GET'], /usage error: explain needs <files...> <METHOD> <URL>/],
      [['explain', SAMPLE, 'GET', 'shop/x'], /usage error: URL must be absolute/],
      [['explain', SAMPLE, 'GET', '/x', '-H', 'no-colon'], /usage error: a header is 'name: value'/],
      [['import', SAMPLE, '--format', 'toml'], /usage error: --format must be yaml or json/],
      [['serve', SAMPLE, '--port', 'http'], /usage error: --port must be a port number/],
      [['serve', SAMPLE, '--drain-timeout', 'soon'], /usage error: --drain-timeout must be a duration/],
    ];
    for (const [args, message] of cases) {
      const r = await children.run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  test('explain - an invalid config exits 1 with its problems', async () => {
    const r = await children.run(['explain', INVALID, 'GET', '/orders']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('routes[0].backends[0].weight: must be >= 0');
  });
});

describe('--help', { timeout: SLOW_MS }, () => {
  test('every verb has --help (and -h), on stdout, exit 0', async () => {
    for (const verb of ['validate', 'explain', 'import', 'serve']) {
      const long = await children.run([verb, '--help']);
      expect(long.code).toBe(0);
      expect(long.stdout).toMatch(new RegExp(`^Usage: switchyard ${verb} <files\\.\\.\\.>`));
      expect(long.stdout).toContain('Exit codes:');
      const short = await children.run([verb, '-h']);
      expect(short.stdout).toBe(long.stdout);
    }
    const main = await children.run(['--help']);
    expect(main.code).toBe(0);
    for (const verb of ['validate', 'explain', 'import', 'serve']) expect(main.stdout).toContain(`  ${verb} <files...>`);
    const topic = await children.run(['help', 'serve']);
    expect(topic.stdout).toContain('--drain-timeout');
    const simulate = await children.run(['simulate', '--help']);
    expect(simulate.code).toBe(0);
    expect(simulate.stdout).toMatch(/^Usage: switchyard simulate --config <files\.\.\.> --scenario <file>/);
    expect((await children.run(['simulate', '-h'])).stdout).toBe(simulate.stdout);
    expect(main.stdout).toContain('  simulate --config <f> --scenario <f>');
    const version = await children.run(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `switchyard ${(JSON.parse(await readFile('packages/cli/package.json', 'utf8')) as { version: string }).version}\n` });
  });
});

describe('simulate', { timeout: SLOW_MS }, () => {
  test('runs a scenario through the built executable (exit 0); a bad scenario exits 1, a missing flag 2', async () => {
    const scenario = await file('scenario.yaml', 'name: exe\ndurationSeconds: 2\nfleet: { defaults: { latency: 5 } }\ntraffic: { ratePerSecond: 20, requests: [{ path: /catalog/items }] }\n');
    const ok = await children.run(['simulate', '--config', SAMPLE, '--scenario', scenario, '--json', '-']);
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout) as { format: string; total: { requests: number } };
    expect(report.format).toBe('switchyard.simulation/v1');
    expect(report.total.requests).toBeGreaterThan(20);
    const bad = await file('bad-scenario.yaml', 'name: exe\ndurationSeconds: 2\ntraffic: { ratePerSecond: 0 }\n');
    const r = await children.run(['simulate', '--config', SAMPLE, '--scenario', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: ${bad}:3:`);
    expect(r.stderr).toContain(': traffic.ratePerSecond: must be > 0');
    expect((await children.run(['simulate', '--config', SAMPLE])).code).toBe(2);
  });
});

describe('--json', { timeout: SLOW_MS }, () => {
  test('validate --json - the report of a valid config', async () => {
    const r = await children.run(['validate', SAMPLE, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, files: [SAMPLE], documents: { native: 1, foreign: 0 }, routes: 9, upstreams: 4, problems: [], warnings: [] });
  });

  test('validate --json - problems and warnings with file, document, path, message, line and column', async () => {
    const f = await file(
      'multi.yaml',
      `${UPSTREAM}---\nroutes:\n  - name: ok\n    backends: [{ upstream: web }]\n---\nroutes:\n  - name: bad\n    matches: [{ path: { type: Exact, value: nope } }]\n    backends: [{ upstream: web }]\n  - name: nothing\n`,
    );
    const r = await children.run(['validate', f, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; problems: unknown[]; warnings: unknown[]; documents: unknown };
    expect(report.ok).toBe(false);
    expect(report.documents).toEqual({ native: 3, foreign: 0 });
    expect(report.problems).toEqual([{ file: f, document: 2, path: 'routes[0].matches[0].path.value', message: expect.stringContaining('must start with "/"') as unknown, line: 10, column: 45 }]);
    expect(r.stderr).toBe('');
  });

  test('validate --strict - warnings become problems', async () => {
    const f = await file('warn.yaml', `routes:\n  - name: nothing\n${UPSTREAM}`);
    const plain = await children.run(['validate', f, '--json']);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout).warnings).toEqual([{ file: f, path: 'routes[0].backends', message: 'no backend and no redirect: requests to this route are answered 500', line: 2, column: 5 }]);
    const human = await children.run(['validate', f]);
    expect(human.stdout).toBe('valid: 1 route, 1 upstream from 1 file, 1 warning\n');
    expect(human.stderr).toBe(`warning: ${f}:2:5: routes[0].backends: no backend and no redirect: requests to this route are answered 500\n`);
    const strict = await children.run(['validate', f, '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain(`error: ${f}:2:5: routes[0].backends: no backend and no redirect`);
  });
});

describe('loading', { timeout: SLOW_MS }, () => {
  test('several files merge into one config: routes in argument order, problems located in their own file', async () => {
    const a = await file('a.yaml', `routes:\n  - name: first\n    matches: [{ path: { value: /x } }]\n    backends: [{ upstream: web }]\n${UPSTREAM}`);
    const b = await file('b.json', JSON.stringify({ routes: [{ name: 'second', backends: [{ upstream: 'web', weight: 'heavy' }] }] }, null, 2));
    const r = await children.run(['validate', a, b, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).problems).toEqual([{ file: b, path: 'routes[0].backends[0].weight', message: 'must be a number', line: 8, column: 21 }]);
    const order = await children.run(['import', b.replace('b.json', 'a.yaml'), await file('c.yaml', 'routes:\n  - name: second\n    backends: [{ upstream: web }]\n'), '--format', 'json']);
    expect(order.code).toBe(0);
    expect((JSON.parse(order.stdout) as { routes: { name: string }[] }).routes.map((x) => x.name)).toEqual(['first', 'second']);
  });

  test('a directory loads its .yaml, .yml and .json files in name order', async () => {
    const d = join(dir, 'conf.d');
    await mkdir(d);
    await writeFile(join(d, '20-routes.yml'), 'routes:\n  - { name: second, backends: [{ upstream: web }] }\n');
    await writeFile(join(d, '10-routes.json'), JSON.stringify({ routes: [{ name: 'first', backends: [{ upstream: 'web' }] }] }));
    await writeFile(join(d, '00-upstreams.yaml'), UPSTREAM);
    await writeFile(join(d, 'README.md'), '# not config\n');
    const r = await children.run(['import', d, '--format', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { routes: { name: string }[] }).routes.map((x) => x.name)).toEqual(['first', 'second']);
  });

  test('the same upstream in two files is a problem naming both', async () => {
    const a = await file('up1.yaml', UPSTREAM);
    const b = await file('up2.yaml', `routes: []\n${UPSTREAM}`);
    const r = await children.run(['validate', a, b]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: ${b}:3:8: upstreams.web: upstream "web" is also defined in ${a}: each name once across all files`);
  });

  test('${ENV} is substituted only with --env; without it a warning says so', async () => {
    const f = await file('env.yaml', `routes:\n  - name: r\n    backends: [{ upstream: web }]\nupstreams:\n  web: { endpoints: [{ url: "http://\${WEB_HOST:-127.0.0.1}:\${WEB_PORT}" }] }\n`);
    const without = await children.run(['import', f, '--format', 'json'], { env: { WEB_PORT: '8081' } });
    expect(without.code).toBe(1); // the URL is not a URL as written
    expect(without.stderr).toContain(`warning: ${f}:5:29: upstreams.web.endpoints[0].url: contains \${WEB_HOST:-127.0.0.1}, kept as written: pass --env to substitute environment variables`);
    const withEnv = await children.run(['import', f, '--env', '--format', 'json'], { env: { WEB_PORT: '8081' } });
    expect(withEnv.code).toBe(0);
    expect(JSON.parse(withEnv.stdout).upstreams.web.endpoints[0].url).toBe('http://127.0.0.1:8081');
    const unset = await children.run(['validate', f, '--env']);
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain(`${f}:5:29: upstreams.web.endpoints[0].url: environment variable WEB_PORT is not set`);
  });
});

const HTTPROUTE = 'examples/cli/httproute.yaml';
const HTTPROUTE_BACKENDS = ['--backend', 'catalog-v1=http://127.0.0.1:8081', '--backend', 'catalog-v2=http://127.0.0.1:8082', '--backend', 'orders=http://127.0.0.1:8083'];
const ISTIO = 'packages/cli/test/fixtures/istio.yaml';
const ISTIO_BACKENDS = ['--backend', 'reviews.prod/v1=http://127.0.0.1:9081', '--backend', 'reviews.prod/v2=http://127.0.0.1:9082'];
const OPENAPI = 'packages/cli/test/fixtures/openapi.yaml';

describe('foreign documents (Gateway API, Istio, OpenAPI) through @switchyard/import', { timeout: SLOW_MS }, () => {
  test('validate - a Gateway API HTTPRoute, an Istio VirtualService + DestinationRule and an OpenAPI document with x-switchyard exit 0', async () => {
    expect(await children.run(['validate', HTTPROUTE, ...HTTPROUTE_BACKENDS])).toMatchObject({ code: 0, stdout: 'valid: 3 routes, 3 upstreams from 1 file\n', stderr: '' });
    expect(await children.run(['validate', ISTIO, ...ISTIO_BACKENDS])).toMatchObject({ code: 0, stdout: 'valid: 2 routes, 2 upstreams from 1 file\n', stderr: '' });
    expect(await children.run(['validate', OPENAPI])).toMatchObject({ code: 0, stdout: 'valid: 2 routes, 1 upstream from 1 file\n', stderr: '' });
    const json = await children.run(['validate', ISTIO, ...ISTIO_BACKENDS, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, documents: { native: 0, foreign: 2 }, routes: 2, upstreams: 2, problems: [] });
  });

  test('validate - a backendRef --backend does not resolve is a problem at its line and path', async () => {
    const r = await children.run(['validate', HTTPROUTE, '--backend', 'catalog-v1=http://127.0.0.1:8081', '--backend', 'catalog-v2=http://127.0.0.1:8082']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: ${HTTPROUTE}:\\d+:\\d+: spec\\.rules\\[2\\]\\.backendRefs\\[0\\]: backend "orders\\.default:80" is not resolved`, 'm'));
  });

  test('validate - a manifest breaking a Gateway API CEL rule exits 1 naming file, line and field path (also --json)', async () => {
    const f = await file('cel.yaml', 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: shop }\nspec:\n  rules:\n    - backendRefs: [{ name: web, port: 80 }]\n      sessionPersistence: { type: Header, cookie: { name: a } }\n');
    const r = await children.run(['validate', f, '--backend', 'web=http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${f}:7:51: spec.rules[0].sessionPersistence.cookie: cookie must be nil if type is not Cookie\n`);
    expect(r.stdout).toBe('invalid: 1 problem\n');
    const json = await children.run(['validate', f, '--backend', 'web=http://127.0.0.1:9', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, documents: { native: 0, foreign: 1 }, problems: [{ file: f, path: 'spec.rules[0].sessionPersistence.cookie', message: 'cookie must be nil if type is not Cookie', line: 7, column: 51 }] });
  });

  test('import - prints the imported config as YAML and as JSON, with the importer warnings on stderr', async () => {
    const f = await file('warned.yaml', 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: shop }\nspec:\n  rules:\n    - backendRefs: [{ name: web, port: 80 }]\n      sessionPersistence: { cookie: { name: sticky, lifetimeType: Session } }\n');
    const warning = `warning: ${f}:7:`;
    const yaml = await children.run(['import', f, '--backend', 'web=http://127.0.0.1:9']);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toMatch(/^routes:\n {2}- name: default\/shop\/rule-0\n/);
    expect(yaml.stdout).toContain('sessionName: sticky');
    expect(yaml.stderr).toContain(warning);
    expect(yaml.stderr).toContain('spec.rules[0].sessionPersistence.cookie.lifetimeType: has no switchyard counterpart');
    const json = await children.run(['import', f, '--backend', 'web=http://127.0.0.1:9', '--format', 'json']);
    expect(json.code).toBe(0);
    expect(json.stderr).toContain(warning);
    const config = JSON.parse(json.stdout) as { routes: { name: string; sessionPersistence: unknown }[]; upstreams: Record<string, unknown> };
    expect(config.routes[0]).toMatchObject({ name: 'default/shop/rule-0', sessionPersistence: { type: 'Cookie', sessionName: 'sticky' } });
    expect(config.upstreams).toEqual({ web: { endpoints: [{ url: 'http://127.0.0.1:9' }] } });
    // The printed config is a native switchyard config: it validates as is, without --backend.
    const again = await children.run(['validate', await file('imported.json', json.stdout)]);
    expect(again).toMatchObject({ code: 0, stdout: 'valid: 1 route, 1 upstream from 1 file\n' });
    const istio = await children.run(['import', ISTIO, ...ISTIO_BACKENDS, '--format', 'json']);
    expect(istio.code).toBe(0);
    expect((JSON.parse(istio.stdout) as { routes: { name: string }[] }).routes.map((x) => x.name)).toEqual(['prod/reviews/jason', 'prod/reviews/split']);
  });

  test('explain - requests against an imported Gateway API HTTPRoute', async () => {
    const explain = async (url: string, ...headers: string[]) => {
      const r = await children.run(['explain', HTTPROUTE, ...HTTPROUTE_BACKENDS, 'GET', url, ...headers.flatMap((h) => ['-H', h]), '--json']);
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as { route: { name: string; source: { file: string; path: string; line?: number } }; upstream: { url: string } };
    };
    const canary = await explain('http://localhost/catalog/items/42', 'x-canary: always');
    expect(canary.route.name).toBe('default/shop/rule-0');
    expect(canary.upstream.url).toBe('http://127.0.0.1:8082/items/42');
    const orders = await explain('http://localhost/orders/7');
    expect(orders.route.name).toBe('default/shop/rule-2');
    // The route is located at the rule it came from (explain prints `examples/cli/httproute.yaml:38`).
    expect(orders.route.source).toMatchObject({ file: HTTPROUTE, path: 'spec.rules[2]', line: 38 });
    expect(orders.upstream.url).toBe('http://127.0.0.1:8083/orders/7');
    const human = await children.run(['explain', HTTPROUTE, ...HTTPROUTE_BACKENDS, 'GET', 'http://localhost/catalog/items/42']);
    expect(human.stdout).toMatch(/^route +default\/shop\/rule-1 /m);
    expect(human.stdout).toMatch(/^split +catalog-v1 90%, catalog-v2 10%/m);
  });
});

describe('import', { timeout: SLOW_MS }, () => {
  test('import - prints the merged switchyard config as YAML by default, re-loadable as is', async () => {
    const r = await children.run(['import', SAMPLE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^routes:\n {2}- name: admin-host\n/);
    const again = await file('again.yaml', r.stdout);
    const v = await children.run(['validate', again]);
    expect(v.stdout).toBe('valid: 9 routes, 4 upstreams from 1 file\n');
  });
});

describe("examples/cli/gateway.yaml (the README's try-it config)", { timeout: SLOW_MS }, () => {
  test('the example validates and explains as its comments say', async () => {
    const example = 'examples/cli/gateway.yaml';
    const v = await children.run(['validate', example]);
    expect(v).toMatchObject({ code: 0, stderr: '' });
    const canary = JSON.parse((await children.run(['explain', example, 'GET', 'http://localhost/catalog/items/42', '-H', 'x-canary: always', '--json'])).stdout);
    expect(canary.route.name).toBe('catalog-canary');
    expect(canary.upstream.url).toBe('http://127.0.0.1:8082/items/42');
    const orders = JSON.parse((await children.run(['explain', example, 'GET', 'http://localhost/api/v2/orders/7', '--json'])).stdout);
    expect(orders.upstream.url).toBe('http://127.0.0.1:8083/orders/7');
    const shop = JSON.parse((await children.run(['explain', example, 'GET', 'http://localhost/shop/items/42', '--json'])).stdout);
    expect(shop.response).toMatchObject({ status: 301, headers: { location: 'http://localhost/catalog/items/42' } });
  });
});
