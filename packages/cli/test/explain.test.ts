/**
 * `switchyard explain` through the built executable, against test/fixtures/sample.yaml: routes by
 * host, path, header, query and method, a split, a rewrite, a redirect, a limit, and no route.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { buildBin, Children, SLOW_MS } from './harness.js';

const SAMPLE = 'packages/cli/test/fixtures/sample.yaml';
let built: Awaited<ReturnType<typeof buildBin>> | undefined;
const children = new Children(() => (built as { bin: string }).bin);
beforeAll(async () => {
  built = await buildBin();
}, SLOW_MS);
afterEach(() => children.killAll());
afterAll(() => built?.cleanup());

interface Json {
  outcome: 'forward' | 'respond';
  selection: string;
  route?: { name: string; index: number; match?: number; params: Record<string, string>; conditions: { kind: string; condition: string; actual?: string; holds?: boolean }[]; source: { file: string; line?: number } };
  otherSelection: { selection: string; route: string | null; differs: boolean };
  badRequest?: string;
  nearMisses: { route: string; failed?: { kind: string; condition: string; actual?: string } }[];
  stages: { stage: string; detail: string }[];
  limits: { name: string; limited: boolean }[];
  split?: { backends: { name: string; percent: number }[]; chosen?: string; by?: string };
  upstream?: { endpoint: string; method: string; url: string; headers: Record<string, string> };
  response?: { status: number; headers: Record<string, string> };
}

async function explainJson(method: string, url: string, ...headers: string[]): Promise<Json> {
  const r = await children.run(['explain', SAMPLE, method, url, ...headers.flatMap((h) => ['-H', h]), '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Json;
}

describe('explain - requests against the sample config', { timeout: SLOW_MS }, () => {
  test('explain - by host: a hostname route takes every path on its host', async () => {
    const e = await explainJson('GET', 'http://admin.example.com/api/users');
    expect(e.route?.name).toBe('admin-host');
    expect(e.route?.conditions[0]).toMatchObject({ kind: 'hostname', condition: 'admin.example.com', actual: 'admin.example.com', holds: true });
    expect(e.upstream).toMatchObject({ endpoint: 'admin-1', method: 'GET', url: 'http://10.0.9.1:8080/api/users' });
    expect(e.route?.source).toMatchObject({ file: SAMPLE, line: 4 });
  });

  test('explain - by path prefix', async () => {
    const e = await explainJson('GET', 'http://shop.example.com/api/users?page=2');
    expect(e.route?.name).toBe('api');
    expect(e.route?.conditions).toEqual([{ kind: 'path', condition: 'PathPrefix /api', actual: '/api/users', holds: true }]);
    expect(e.upstream?.url).toBe('http://10.0.1.1:8080/api/users?page=2');
    expect(e.otherSelection).toEqual({ selection: 'first-match', route: 'api', differs: false });
  });

  test('explain - an Exact path outranks an earlier prefix; first-match would take the prefix', async () => {
    const e = await explainJson('GET', 'http://shop.example.com/api/health');
    expect(e.route?.name).toBe('api-health');
    expect(e.otherSelection).toEqual({ selection: 'first-match', route: 'api', differs: true });
  });

  test('explain - by header: x-canary: 1 goes to the v2 subset', async () => {
    const e = await explainJson('GET', 'http://shop.example.com/shop/cart', 'x-canary: 1');
    expect(e.route?.name).toBe('shop-canary');
    expect(e.route?.conditions).toContainEqual({ kind: 'header', condition: 'x-canary Exact "1"', actual: '1', holds: true });
    expect(e.upstream?.endpoint).toBe('shop-v2');
  });

  test('explain - by query parameter: ?debug selects the debug route', async () => {
    const e = await explainJson('GET', 'http://shop.example.com/shop/cart?debug');
    expect(e.route?.name).toBe('shop-debug');
    expect(e.route?.conditions).toContainEqual({ kind: 'query', condition: 'debug Present', actual: '', holds: true });
    expect(e.upstream?.endpoint).toBe('shop-v1');
  });

  test('explain - a weighted split: backends with their share, the pick, and the key it hashed', async () => {
    const e = await explainJson('GET', 'http://shop.example.com/shop/cart', 'x-user: alice');
    expect(e.route?.name).toBe('shop');
    expect(e.split?.backends.map((b) => [b.name, b.percent])).toEqual([
      ['v1', 90],
      ['v2', 10],
    ]);
    expect(e.split?.by).toBe('hash');
    expect(['v1', 'v2']).toContain(e.split?.chosen);
    expect(e.upstream?.endpoint).toBe(e.split?.chosen === 'v1' ? 'shop-v1' : 'shop-v2');
    // The same user always lands on the same backend: explain twice, same answer.
    const again = await explainJson('GET', 'http://shop.example.com/shop/cart', 'x-user: alice');
    expect(again.split?.chosen).toBe(e.split?.chosen);
  });

  test('explain - by method: POST /orders matches, and its limit is listed', async () => {
    const e = await explainJson('POST', 'http://shop.example.com/orders');
    expect(e.route?.name).toBe('orders-create');
    expect(e.route?.conditions).toContainEqual({ kind: 'method', condition: 'POST', actual: 'POST', holds: true });
    expect(e.stages.map((s) => s.stage)).toEqual(['limit', 'split', 'forward']);
    expect(e.limits).toEqual([expect.objectContaining({ name: 'orders-per-client', limited: false })]);
    expect(e.stages[0]?.detail).toContain('maxTokens: 5');
  });

  test('explain - GET /orders: no route, and each route says which condition failed', async () => {
    const e = await explainJson('GET', 'http://shop.example.com/orders');
    expect(e.outcome).toBe('respond');
    expect(e.route).toBeUndefined();
    expect(e.response?.status).toBe(404);
    expect(e.nearMisses).toContainEqual({ route: 'orders-create', match: 0, failed: { kind: 'method', condition: 'POST', actual: 'GET', holds: false } });
    expect(e.nearMisses).toContainEqual({ route: 'admin-host', failed: { kind: 'hostname', condition: 'admin.example.com', actual: 'shop.example.com', holds: false } });
  });

  test('explain - a rewrite: the upstream request has the new path, the query and the set header', async () => {
    const e = await explainJson('GET', 'http://shop.example.com/v2/orders/42?expand=items');
    expect(e.route?.name).toBe('orders-v2');
    expect(e.route?.params).toEqual({ id: '42' });
    expect(e.stages.map((s) => s.stage)).toEqual(['split', 'rewrite', 'forward']);
    expect(e.upstream).toMatchObject({ method: 'GET', url: 'http://10.0.3.1:8080/orders/42?expand=items' });
    expect(e.upstream?.headers).toMatchObject({ 'x-api-version': '2', host: 'shop.example.com', 'x-forwarded-proto': 'http' });
    expect(e.stages.find((s) => s.stage === 'forward')?.detail).toContain('numRetries: 2');
  });

  test('explain - a redirect: the gateway answers 301 itself, nothing goes upstream', async () => {
    const e = await explainJson('GET', 'http://www.example.com/docs/intro?lang=en');
    expect(e.route?.name).toBe('old-docs');
    expect(e.outcome).toBe('respond');
    expect(e.upstream).toBeUndefined();
    expect(e.response?.status).toBe(301);
    expect(e.response?.headers['location']).toBe('http://docs.example.com/docs/intro?lang=en');
  });

  test('explain - no route at all: 404 and every route listed with its failing condition', async () => {
    const e = await explainJson('GET', 'http://shop.example.com/nowhere');
    expect(e.outcome).toBe('respond');
    expect(e.response?.status).toBe(404);
    expect(e.otherSelection).toEqual({ selection: 'first-match', route: null, differs: false });
    expect(e.nearMisses).toHaveLength(9);
    expect(e.nearMisses).toContainEqual({ route: 'api', match: 0, failed: { kind: 'path', condition: 'PathPrefix /api', actual: '/nowhere', holds: false } });
  });

  test('explain - a target the router refuses (a # in the path): 400, no near misses', async () => {
    const e = await explainJson('GET', 'http://shop.example.com/api/x#frag');
    expect(e.outcome).toBe('respond');
    expect(e.response?.status).toBe(400);
    expect(e.nearMisses).toEqual([]);
    expect(e.badRequest).toMatch(/#/);
  });

  test('explain - a path and a Host header instead of an absolute URL', async () => {
    const e = await explainJson('GET', '/anything', 'Host: admin.example.com');
    expect(e.route?.name).toBe('admin-host');
    expect(e.upstream?.headers['host']).toBe('admin.example.com');
  });
});

describe('explain - text output', { timeout: SLOW_MS }, () => {
  test('explain - the text names the route, the conditions, the stages and the upstream request', async () => {
    const r = await children.run(['explain', SAMPLE, 'GET', 'http://shop.example.com/v2/orders/7', '-H', 'x-request-id: abc']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('GET http://shop.example.com/v2/orders/7');
    expect(r.stdout).toMatch(/route\s+orders-v2 \(routes\[7\], packages\/cli\/test\/fixtures\/sample\.yaml:\d+; selection: gateway\)/);
    expect(r.stdout).toContain('✓ path Template /v2/orders/:id');
    expect(r.stdout).toMatch(/stages\s+split → rewrite → forward/);
    expect(r.stdout).toMatch(/upstream\s+GET http:\/\/10\.0\.3\.1:8080\/orders\/7 \(endpoint orders-1\)/);
    expect(r.stdout).toContain('x-request-id: abc');
    // Not a terminal: no colour codes.
    expect(r.stdout).not.toContain('\u001b[');
  });

  test('explain - a redirect and a near miss read as sentences', async () => {
    const redirect = await children.run(['explain', SAMPLE, 'GET', 'http://www.example.com/docs']);
    expect(redirect.stdout).toMatch(/response\s+301 location: http:\/\/docs\.example\.com\/docs/);
    const none = await children.run(['explain', SAMPLE, 'GET', 'http://shop.example.com/orders']);
    expect(none.stdout).toContain('no route matches');
    expect(none.stdout).toContain('orders-create matches[0]: method POST ≠ "GET"');
  });
});

describe('explain - the policy pipeline of the matched route', { timeout: SLOW_MS }, () => {
  const POLICIES = 'packages/cli/test/fixtures/policies.yaml';

  test('explain - prints the inbound order (policies, then the built-in stages), the outbound order and the finalizers', async () => {
    const r = await children.run(['explain', POLICIES, 'GET', 'http://localhost/api/x', '-H', 'origin: https://app.example']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('inbound    internal-only (ip-restriction) → cors-app (cors) → tag (set-headers) → split → forward\n');
    expect(r.stdout).toContain('outbound   tag → cors-app\n');
    expect(r.stdout).toContain('finalizers cors-app\n');
    // The client address (127.0.0.1) is outside 10.0.0.0/8: the pipeline answers 403 itself.
    expect(r.stdout).toMatch(/^response +403 .*SY_FORBIDDEN/m);
    const json = await children.run(['explain', POLICIES, 'GET', 'http://localhost/api/x', '--json']);
    const pipeline = (JSON.parse(json.stdout) as { pipeline: { inbound: { kind: string; name: string; finalizer?: boolean }[]; outbound: { name: string; as: string }[]; finalizers: string[] } }).pipeline;
    expect(pipeline.inbound.map((x) => `${x.kind}:${x.name}`)).toEqual(['policy:internal-only', 'policy:cors-app', 'policy:tag', 'stage:split', 'stage:forward']);
    expect(pipeline.inbound[1]?.finalizer).toBe(true);
    expect(pipeline.outbound).toEqual([{ name: 'tag', as: 'unwind', finalizer: false }, { name: 'cors-app', as: 'unwind', finalizer: true }]);
    expect(pipeline.finalizers).toEqual(['cors-app']);
  });

  test('explain - a route without policies prints no pipeline lines', async () => {
    const r = await children.run(['explain', SAMPLE, 'GET', 'http://admin.example.com/api/users']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/^(inbound|outbound|finalizers) /m);
  });
});
