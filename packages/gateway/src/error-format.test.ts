import { ConfigError, ERROR_CODES, ERROR_STATUS, type ConfigIssue, type SyRequest, type SyResponse, type Transport } from '@switchyard/core';
import { createTestClock, seededRng } from '@switchyard/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from './config.js';
import { ERROR_MESSAGES } from './error-body.js';
import { compileErrorFormat, formatErrorResponse, PROTECTED_ERROR_HEADERS, reasonPhrase, type ErrorFormatCode, type ErrorFormatter, type ErrorsConfig } from './error-format.js';
import { createGateway, responseCode, type GatewayDeps } from './gateway.js';

function req(path: string, headers: Record<string, string> = {}): SyRequest {
  return { method: 'GET', scheme: 'http', authority: 'api.example.com', path, query: '', headers, clientAddress: '198.51.100.7', attributes: {} };
}

function bodyText(res: SyResponse): string {
  const b = res.body;
  if (typeof b === 'string') return b;
  if (b instanceof Uint8Array) return new TextDecoder().decode(b);
  if (b === null || b === undefined) return '';
  throw new Error('streamed body in an error response');
}

/** Answers 200, or `connect ECONNREFUSED` for endpoints on port 9 (an internal address a body must not show). */
const transport: Transport = {
  send: async (_r, endpoint) =>
    endpoint.url.endsWith(':9')
      ? { kind: 'error', error: 'connect', message: `connect ECONNREFUSED ${endpoint.url}` }
      : { kind: 'response', response: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' } },
};

const BASE: GatewayConfig = {
  rateLimitHeaders: 'ietf',
  limits: { one: { key: 'global', policy: { maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 60_000 } } },
  routes: [
    { name: 'limited', matches: [{ path: { type: 'PathPrefix', value: '/limited' } }], backends: [{ upstream: 'ok' }], limits: ['one'] },
    { name: 'down', matches: [{ path: { type: 'PathPrefix', value: '/down' } }], backends: [{ upstream: 'down' }] },
    { name: 'fault', matches: [{ path: { type: 'PathPrefix', value: '/fault' } }], backends: [{ upstream: 'ok' }], fault: { abort: { httpStatus: 503, percent: 100 } } },
  ],
  upstreams: { ok: { endpoints: [{ url: 'http://10.0.0.1:8080' }] }, down: { endpoints: [{ url: 'http://10.0.0.2:9' }] } },
};

function gatewayWith(config: Partial<GatewayConfig> & { routes?: GatewayConfig['routes'] } = {}, deps: Partial<GatewayDeps> = {}) {
  const clock = createTestClock();
  return createGateway({ ...BASE, ...config } as GatewayConfig, { transport, clock, rng: seededRng(7), ...deps });
}

/** The 429 of the `limited` route: its first request takes the only token. */
async function limited(gateway: ReturnType<typeof gatewayWith>, headers: Record<string, string> = {}): Promise<SyResponse> {
  await gateway.handle(req('/limited/a', headers));
  return gateway.handle(req('/limited/a', headers));
}

function withRoute(name: string, errors: ErrorsConfig): GatewayConfig['routes'] {
  return BASE.routes.map((r) => (r.name === name ? { ...r, errors } : r));
}

function issuesOf(config: unknown): ConfigIssue[] {
  try {
    createGateway({ ...BASE, ...(config as object) } as GatewayConfig, { transport, clock: createTestClock() });
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => ({ path: i.path, message: i.message }));
    throw e;
  }
  return [];
}

describe('error responses - default format (no errors config)', () => {
  it('regression: without an errors config the bodies, statuses and headers are byte for byte those of before the formatter', async () => {
    const gateway = gatewayWith();
    const id = { 'x-request-id': 'req-1' };
    const notFound = await gateway.handle(req('/nowhere', id));
    expect(notFound.status).toBe(404);
    expect(notFound.headers).toEqual({ 'content-type': 'application/json' });
    expect(bodyText(notFound)).toBe('{"error":"SY_NO_ROUTE","message":"No route matches the request.","requestId":"req-1"}');
    const tooMany = await limited(gateway, id);
    expect(tooMany.status).toBe(429);
    expect(Object.keys(tooMany.headers).sort()).toEqual(['content-type', 'ratelimit', 'ratelimit-policy', 'retry-after']);
    expect(bodyText(tooMany)).toBe('{"error":"SY_RATE_LIMITED","message":"Too many requests: rate limit exceeded.","requestId":"req-1"}');
    const bad = await gateway.handle(req('/down/x', id));
    expect(bad.status).toBe(502);
    expect(bodyText(bad)).toBe('{"error":"SY_UPSTREAM_CONNECT","message":"The upstream could not be reached.","requestId":"req-1"}');
    const fault = await gateway.handle(req('/fault', id));
    expect(fault.status).toBe(503);
    expect(fault.headers).toEqual({ 'content-type': 'application/json' });
    expect(bodyText(fault)).toBe('{"error":"fault","message":"fault injected"}');
    expect(responseCode(fault)).toBeUndefined();
  });

  it('every code has a fixed, quote-free message (the default body writes it without escaping)', () => {
    for (const code of ERROR_CODES) expect(ERROR_MESSAGES[code]).toMatch(/^[^"\\]+$/);
  });
});

describe('error responses - problem+json (RFC 9457)', () => {
  it('gateway level: about:blank with the reason phrase as title, status, detail, instance and the code and requestId extensions', async () => {
    const gateway = gatewayWith({ errors: { format: 'problem+json' } });
    const res = await gateway.handle(req('/nowhere', { 'x-request-id': 'req-2' }));
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(bodyText(res))).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'No route matches the request.',
      instance: 'urn:switchyard:request:req-2',
      code: 'SY_NO_ROUTE',
      requestId: 'req-2',
    });
    expect(responseCode(res)).toBe('SY_NO_ROUTE');
  });

  it('with typeBaseUri the type names the code and the title is the code\'s fixed sentence', async () => {
    const gateway = gatewayWith({ errors: { format: 'problem+json', typeBaseUri: 'https://errors.example.com/' } });
    const res = await limited(gateway);
    const body = JSON.parse(bodyText(res)) as Record<string, unknown>;
    expect(body['type']).toBe('https://errors.example.com/SY_RATE_LIMITED');
    expect(body['title']).toBe(ERROR_MESSAGES.SY_RATE_LIMITED);
    expect(body['status']).toBe(429);
    expect(res.headers['retry-after']).toBeDefined();
  });

  it('never shows an upstream address unless exposeErrorDetails, then as detail', async () => {
    const quiet = gatewayWith({ errors: { format: 'problem+json' } });
    const text = bodyText(await quiet.handle(req('/down/x')));
    expect(text).not.toContain('10.0.0.2');
    expect(JSON.parse(text)).toMatchObject({ title: 'Bad Gateway', status: 502, detail: 'The upstream could not be reached.', code: 'SY_UPSTREAM_CONNECT' });
    const loud = gatewayWith({ errors: { format: 'problem+json' } }, { exposeErrorDetails: true });
    expect(JSON.parse(bodyText(await loud.handle(req('/down/x'))))['detail']).toContain('10.0.0.2:9');
  });

  it('a fault abort goes through the same formatter (code fault)', async () => {
    const gateway = gatewayWith({ errors: { format: 'problem+json' } });
    const res = await gateway.handle(req('/fault'));
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(bodyText(res))).toMatchObject({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'fault injected', code: 'fault' });
  });

  it('a route may choose problem+json while the gateway stays on switchyard JSON', async () => {
    const gateway = gatewayWith({ routes: withRoute('down', { format: 'problem+json' }) });
    expect((await gateway.handle(req('/down/x'))).headers['content-type']).toBe('application/problem+json');
    expect((await limited(gateway)).headers['content-type']).toBe('application/json');
  });
});

describe('error responses - templates', () => {
  it('a custom 429: an upgrade link, the limit and window from the limiter, Retry-After kept', async () => {
    const gateway = gatewayWith({
      routes: withRoute('limited', {
        responses: {
          SY_RATE_LIMITED: {
            headers: { link: '<https://example.com/pricing>; rel="payment"', 'x-limit': '${detail.limit}', 'retry-after': '999' },
            body: { error: '${code}', limit: '${detail.limit}', windowMs: '${detail.windowMs}', remaining: '${detail.remaining}', retryAfterSeconds: '${retryAfterSeconds}', upgrade: 'https://example.com/pricing', route: '${route}', id: 'req ${requestId}' },
          },
        },
      }),
    });
    const res = await limited(gateway, { 'x-request-id': 'abc' });
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['link']).toBe('<https://example.com/pricing>; rel="payment"');
    expect(res.headers['x-limit']).toBe('1');
    expect(res.headers['retry-after']).toBe('60'); // the gateway's value: a template cannot change it
    expect(res.headers['ratelimit']).toBeDefined();
    expect(JSON.parse(bodyText(res))).toEqual({ error: 'SY_RATE_LIMITED', limit: 1, windowMs: 60_000, remaining: 0, retryAfterSeconds: 60, upgrade: 'https://example.com/pricing', route: 'limited', id: 'req abc' });
  });

  it('a status override and a text body; status keys and default match when no code key does', async () => {
    const gateway = gatewayWith({
      errors: {
        responses: {
          '502': { status: 503, body: 'upstream trouble (${code}, ${status})' },
          default: { headers: { 'x-error': '${code}' } },
        },
      },
    });
    const bad = await gateway.handle(req('/down/x'));
    expect(bad.status).toBe(503);
    expect(bad.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(bodyText(bad)).toBe('upstream trouble (SY_UPSTREAM_CONNECT, 503)');
    expect(bad.headers['x-error']).toBeUndefined(); // the status entry matched: default does not add to it
    const nf = await gateway.handle(req('/nowhere'));
    expect(nf.status).toBe(404);
    expect(nf.headers['x-error']).toBe('SY_NO_ROUTE');
    expect(JSON.parse(bodyText(nf))).toMatchObject({ error: 'SY_NO_ROUTE' }); // no body in the entry: the format's
  });

  it('precedence: route over gateway, field by field (status, body, headers by name)', async () => {
    const gateway = gatewayWith({
      errors: { responses: { SY_RATE_LIMITED: { status: 503, headers: { 'x-a': 'gateway', 'x-b': 'gateway' }, body: { from: 'gateway' } } } },
      routes: withRoute('limited', { responses: { '429': { headers: { 'x-a': 'route' }, body: { from: 'route' } } } }),
    });
    const res = await limited(gateway);
    expect(res.status).toBe(503); // only the gateway's entry sets a status
    expect(res.headers['x-a']).toBe('route');
    expect(res.headers['x-b']).toBe('gateway');
    expect(JSON.parse(bodyText(res))).toEqual({ from: 'route' });
  });

  it('a JSON string body with a JSON content type: values escaped inside strings, written as JSON outside', async () => {
    const gateway = gatewayWith({
      routes: withRoute('limited', { responses: { SY_RATE_LIMITED: { contentType: 'application/vnd.api+json', body: '{"errors":[{"code":"${code}","limit":${detail.limit},"rule":${detail.rule}}]}' } } }),
    });
    const res = await limited(gateway);
    expect(res.headers['content-type']).toBe('application/vnd.api+json');
    expect(JSON.parse(bodyText(res))).toEqual({ errors: [{ code: 'SY_RATE_LIMITED', limit: 1, rule: 'one' }] });
  });

  it('reload swaps the errors config with the rest of the plan', async () => {
    const gateway = gatewayWith();
    expect((await gateway.handle(req('/nowhere'))).headers['content-type']).toBe('application/json');
    gateway.reload({ ...BASE, errors: { format: 'problem+json' } });
    expect((await gateway.handle(req('/nowhere'))).headers['content-type']).toBe('application/problem+json');
  });

  it('Gateway.errorResponse answers through the same formatter (for the adapters\' own refusals)', () => {
    const plain = gatewayWith();
    const r1 = plain.errorResponse('SY_BODY_CONSUMED', req('/x', { 'x-request-id': 'r9' }), { message: 'a body parser ran first' });
    expect(r1.status).toBe(500);
    expect(bodyText(r1)).toBe('{"error":"SY_BODY_CONSUMED","message":"The request body could not be replayed.","requestId":"r9"}');
    const problem = gatewayWith({ errors: { format: 'problem+json' } });
    const r2 = problem.errorResponse('SY_BODY_CONSUMED', undefined);
    expect(r2.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(bodyText(r2))).toMatchObject({ status: 500, title: 'Internal Server Error', code: 'SY_BODY_CONSUMED' });
  });
});

describe('error responses - config errors by path', () => {
  it('unknown variables, unclosed templates, bad keys, managed headers and broken JSON are reported with their paths', () => {
    const issues = issuesOf({
      errors: {
        typeBaseUri: 'errors/',
        responses: {
          SY_RATE_LIMITED: { body: { limit: '${detail.limit}', nope: '${limit}' }, headers: { 'x-a': '${requestid}', 'content-type': 'text/html', 'content-length': '1' } },
          '503': { body: '{"a": "${code}"', contentType: 'application/json' },
          default: { body: 'open ${code', status: 700 },
        },
      },
      routes: withRoute('down', { responses: { SY_NOPE: { status: 500 }, '404': { body: 'x', contentType: 'not a type' } } }),
    });
    const paths = issues.map((i) => i.path);
    // Structural problems first (valibot): the bad key and the status.
    expect(paths).toContain('routes[1].errors.responses.SY_NOPE');
    expect(paths).toContain('errors.responses.default.status');
    const only = issuesOf({
      errors: {
        typeBaseUri: 'errors/',
        responses: {
          SY_RATE_LIMITED: { body: { limit: '${detail.limit}', nope: '${limit}' }, headers: { 'x-a': '${requestid}', 'content-type': 'text/html', 'content-length': '1' } },
          '503': { body: '{"a": "${code}"', contentType: 'application/json' },
          default: { body: 'open ${code' },
        },
      },
      routes: withRoute('down', { responses: { '404': { body: 'x', contentType: 'application/json' } } }),
    });
    const at = (path: string): string | undefined => only.find((i) => i.path === path)?.message;
    expect(at('errors.typeBaseUri')).toMatch(/absolute URI/);
    expect(at('errors.responses.SY_RATE_LIMITED.body.nope')).toMatch(/unknown variable \$\{limit\}/);
    expect(at('errors.responses.SY_RATE_LIMITED.headers.x-a')).toBeUndefined();
    expect(at('errors.responses.SY_RATE_LIMITED.headers["x-a"]')).toMatch(/unknown variable \$\{requestid\}/);
    expect(at('errors.responses.SY_RATE_LIMITED.headers["content-type"]')).toMatch(/contentType/);
    expect(at('errors.responses.SY_RATE_LIMITED.headers["content-length"]')).toMatch(/managed by the server/);
    expect(at('errors.responses["503"].body')).toMatch(/not valid JSON/);
    expect(at('errors.responses.default.body')).toMatch(/unclosed/);
    expect(at('routes[1].errors.responses["404"].body')).toMatch(/not valid JSON/);
    expect(only.find((i) => i.path === 'errors.responses.SY_RATE_LIMITED.body.limit')).toBeUndefined();
  });

  it('a valid config compiles, and a JSON value body refuses a non-JSON content type', () => {
    expect(issuesOf({ errors: { format: 'problem+json', typeBaseUri: 'https://e.example/', responses: { default: { body: { ok: true } } } } })).toEqual([]);
    expect(issuesOf({ errors: { responses: { default: { body: { ok: true }, contentType: 'text/html' } } } }).map((i) => i.path)).toEqual(['errors.responses.default.contentType']);
  });
});

describe('error responses - the function form', () => {
  it('formatError answers in code; undefined or a throw falls back to the config; protected headers are put back', async () => {
    const seen: string[] = [];
    const formatError: ErrorFormatter = (input) => {
      seen.push(`${input.code}:${input.status}:${input.route ?? '-'}`);
      if (input.code === 'SY_RATE_LIMITED') return { status: 429, headers: { 'content-type': 'text/plain' }, body: `slow down, ${input.requestId}` };
      if (input.code === 'SY_UPSTREAM_CONNECT') throw new Error('bug in the formatter');
      return undefined;
    };
    const gateway = gatewayWith({ errors: { format: 'problem+json' } }, { formatError });
    const tooMany = await limited(gateway, { 'x-request-id': 'f1' });
    expect(bodyText(tooMany)).toBe('slow down, f1');
    expect(tooMany.headers['retry-after']).toBe('60');
    expect(tooMany.headers['ratelimit-policy']).toBeDefined();
    expect(responseCode(tooMany)).toBe('SY_RATE_LIMITED');
    const nf = await gateway.handle(req('/nowhere'));
    expect(nf.headers['content-type']).toBe('application/problem+json');
    const bad = await gateway.handle(req('/down/x'));
    expect(bad.status).toBe(502);
    expect(bad.headers['content-type']).toBe('application/problem+json');
    expect(seen).toEqual(['SY_RATE_LIMITED:429:limited', 'SY_NO_ROUTE:404:-', 'SY_UPSTREAM_CONNECT:502:down']);
  });

  it('formatError alone (no errors config) also sees every gateway-made response', async () => {
    const gateway = gatewayWith({}, { formatError: (i) => ({ status: i.status, headers: {}, body: i.code }) });
    expect(bodyText(await gateway.handle(req('/nowhere')))).toBe('SY_NO_ROUTE');
    expect(bodyText(await gateway.handle(req('/fault')))).toBe('fault');
  });
});

describe('error responses - policy level and escaping (formatter unit)', () => {
  const rng = seededRng(1);
  const compile = (gateway: ErrorsConfig | undefined, route: ErrorsConfig | undefined, policy: ErrorsConfig | undefined) => {
    const issues: ConfigIssue[] = [];
    const plan = compileErrorFormat(gateway, route === undefined ? [] : [{ name: 'r', errors: route, at: 'routes[0].errors' }], policy === undefined ? [] : [{ name: 'p', errors: policy, at: 'policies.p.errors' }], issues);
    expect(issues).toEqual([]);
    return plan;
  };

  it('policy over route over gateway, for the policy\'s own responses only', () => {
    const plan = compile(
      { format: 'switchyard', responses: { SY_UNAUTHORIZED: { headers: { 'x-level': 'gateway' }, body: { level: 'gateway' } } } },
      { format: 'problem+json', responses: { '401': { headers: { 'x-level': 'route' } } } },
      { responses: { default: { headers: { 'x-level': 'policy' }, body: { level: 'policy', policy: '${policy}' } } } },
    );
    const base = { plan, formatter: undefined, code: 'SY_UNAUTHORIZED' as const, status: 401, headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="api"' }, internalMessage: undefined, requestHeaders: {}, rng };
    const fromPolicy = formatErrorResponse({ ...base, context: { route: 'r', policy: 'p' } });
    expect(fromPolicy.headers['x-level']).toBe('policy');
    expect(fromPolicy.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(fromPolicy.headers['content-type']).toBe('application/problem+json'); // JSON body, format from the route
    expect(JSON.parse(bodyText(fromPolicy))).toEqual({ level: 'policy', policy: 'p' });
    const fromRoute = formatErrorResponse({ ...base, context: { route: 'r' } });
    expect(fromRoute.headers['x-level']).toBe('route');
    expect(JSON.parse(bodyText(fromRoute))).toEqual({ level: 'gateway' });
    const fromGateway = formatErrorResponse({ ...base, context: { route: 'other' } });
    expect(fromGateway.headers['x-level']).toBe('gateway');
    expect(fromGateway.headers['content-type']).toBe('application/json');
  });

  it('a policy\'s message with quotes and backslashes stays valid JSON in every position', () => {
    const message = 'say "hi" \\ bye\n';
    const detail = { who: '"; DROP', n: 3, nested: { a: ['"'] } };
    const plan = compile(
      { responses: { SY_FORBIDDEN: { body: { m: '${message}', mixed: 'msg: ${message} / ${detail.who}', who: '${detail.who}', nested: '${detail.nested}', missing: '${detail.none}' } } } },
      undefined,
      undefined,
    );
    const a = { plan, formatter: undefined, code: 'SY_FORBIDDEN' as const, status: 403, headers: { 'content-type': 'application/json' }, internalMessage: undefined, requestHeaders: {}, rng };
    const res = formatErrorResponse({ ...a, context: { message, detail } });
    expect(JSON.parse(bodyText(res))).toEqual({ m: message, mixed: `msg: ${message} / "; DROP`, who: '"; DROP', nested: { a: ['"'] }, missing: null });
    const defaults = formatErrorResponse({ ...a, plan: compile({}, undefined, undefined), context: { message } });
    expect(JSON.parse(bodyText(defaults))).toMatchObject({ error: 'SY_FORBIDDEN', message });
    const problem = formatErrorResponse({ ...a, plan: compile({ format: 'problem+json' }, undefined, undefined), context: { message } });
    expect(JSON.parse(bodyText(problem))).toMatchObject({ title: 'Forbidden', detail: message });
  });

  it('the formatter writes switchyard JSON and Problem Details exactly as JSON.stringify would (quotes, backslashes, internal detail)', () => {
    const message = 'a "quoted" \\ message\u2028';
    const plan = compile({}, undefined, undefined);
    const problemPlan = compile({ format: 'problem+json', typeBaseUri: 'https://e.example/' }, undefined, undefined);
    const a = { formatter: undefined, code: 'SY_FORBIDDEN' as const, status: 403, headers: {}, requestHeaders: { 'x-request-id': 'id-9' }, rng, context: { message } };
    for (const internal of [undefined, 'connect "10.0.0.1"']) {
      expect(bodyText(formatErrorResponse({ ...a, plan, internalMessage: internal }))).toBe(JSON.stringify(internal === undefined ? { error: 'SY_FORBIDDEN', message, requestId: 'id-9' } : { error: 'SY_FORBIDDEN', message, requestId: 'id-9', detail: internal }));
      expect(bodyText(formatErrorResponse({ ...a, plan: problemPlan, internalMessage: internal }))).toBe(
        JSON.stringify({ type: 'https://e.example/SY_FORBIDDEN', title: ERROR_MESSAGES.SY_FORBIDDEN, status: 403, detail: internal ?? message, instance: 'urn:switchyard:request:id-9', code: 'SY_FORBIDDEN', requestId: 'id-9' }),
      );
    }
  });

  it('header templates never carry CR, LF or other control characters', () => {
    const plan = compile({ responses: { default: { headers: { 'x-who': 'who=${detail.who}' } } } }, undefined, undefined);
    const res = formatErrorResponse({ plan, formatter: undefined, code: 'SY_FORBIDDEN', status: 403, headers: {}, internalMessage: undefined, requestHeaders: {}, rng, context: { detail: { who: 'a\r\nset-cookie: x\u0000é€' } } });
    expect(res.headers['x-who']).toBe('who=aset-cookie: xé');
  });
});

describe('error responses - property', () => {
  const rng = seededRng(3);
  type Level = 'policy' | 'route' | 'gateway';
  const LEVELS: readonly Level[] = ['policy', 'route', 'gateway'];
  const CODES: readonly ErrorFormatCode[] = [...ERROR_CODES, 'fault'];
  const text = fc.string({ maxLength: 12 }).map((s) => s.replaceAll('${', '$ {'));
  const variable = fc.constantFrom('${code}', '${status}', '${message}', '${requestId}', '${route}', '${policy}', '${retryAfterSeconds}', '${detail.limit}', '${detail.quote}');
  const templateString = fc.array(fc.oneof(text, variable), { maxLength: 4 }).map((parts) => parts.join(''));
  const jsonBody = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, templateString, variable, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(text, tie('value'), { maxKeys: 3 })),
  })).value;
  const entry = fc.record(
    {
      status: fc.integer({ min: 200, max: 599 }),
      headers: fc.dictionary(fc.constantFrom('x-a', 'x-b', 'retry-after', 'www-authenticate', 'ratelimit'), templateString, { maxKeys: 3 }),
      body: fc.oneof(jsonBody, templateString),
      contentType: fc.constantFrom('application/json', 'text/plain', 'application/problem+json'),
    },
    { requiredKeys: [] },
  );
  const key = fc.oneof(fc.constantFrom(...ERROR_CODES), fc.constantFrom('400', '404', '429', '500', '502', '503', '504', 'default'));
  const levelConfig = fc.option(
    fc.record({ format: fc.option(fc.constantFrom('switchyard' as const, 'problem+json' as const), { nil: undefined }), responses: fc.dictionary(key, entry, { maxKeys: 5 }) }),
    { nil: undefined },
  );

  /** Drops what the config's own checks refuse (a JSON value body with a non-JSON type, a broken JSON string template). */
  function sane(c: { readonly format?: ErrorsConfig['format'] | undefined; readonly responses?: ErrorsConfig['responses'] } | undefined): ErrorsConfig | undefined {
    if (c === undefined) return undefined;
    const responses: Record<string, object> = {};
    for (const [k, e] of Object.entries(c.responses ?? {})) {
      const fixed = { ...e };
      if (fixed.body !== undefined && typeof fixed.body !== 'string' && fixed.contentType === 'text/plain') delete fixed.contentType;
      if (typeof fixed.body === 'string' && fixed.contentType !== undefined && fixed.contentType !== 'text/plain') fixed.body = JSON.stringify(fixed.body);
      responses[k] = fixed;
    }
    return { ...(c.format !== undefined ? { format: c.format } : {}), responses };
  }

  it('for every code and random configs: status and headers follow policy > route > gateway > default, JSON bodies parse, protected headers are kept', () => {
    fc.assert(
      fc.property(levelConfig, levelConfig, levelConfig, fc.boolean(), fc.boolean(), text, (p0, r0, g0, inRoute, fromPolicy, quote) => {
        const configs: Record<Level, ErrorsConfig | undefined> = { policy: sane(p0), route: sane(r0), gateway: sane(g0) };
        const issues: ConfigIssue[] = [];
        const plan = compileErrorFormat(configs.gateway, configs.route === undefined ? [] : [{ name: 'r', errors: configs.route, at: 'routes[0].errors' }], configs.policy === undefined ? [] : [{ name: 'p', errors: configs.policy, at: 'policies.p.errors' }], issues);
        expect(issues).toEqual([]);
        const active: Record<Level, boolean> = { policy: inRoute && fromPolicy, route: inRoute, gateway: true };
        for (const code of CODES) {
          const status0 = code === 'fault' ? 503 : ERROR_STATUS[code];
          const given = { 'content-type': 'application/json', 'retry-after': '7', 'www-authenticate': 'Bearer', 'x-b': 'stage' };
          const res = formatErrorResponse({
            plan,
            formatter: undefined,
            code,
            status: status0,
            headers: given,
            context: { ...(inRoute ? { route: 'r' } : {}), ...(inRoute && fromPolicy ? { policy: 'p' } : {}), detail: { limit: 5, quote: `"${quote}\\` } },
            internalMessage: undefined,
            requestHeaders: { 'x-request-id': 'id-1' },
            rng,
          });
          // The model: each active level's entry (code, else status, else default), most specific first.
          const entries = LEVELS.filter((l) => active[l]).map((l) => {
            const rs = configs[l]?.responses ?? {};
            return rs[code] ?? rs[String(status0)] ?? rs['default'];
          });
          const expectedStatus = entries.find((e) => e?.status !== undefined)?.status ?? status0;
          expect(res.status).toBe(expectedStatus);
          for (const name of ['x-a', 'x-b']) {
            const setter = entries.find((e) => e?.headers?.[name] !== undefined);
            if (setter === undefined) expect(res.headers[name]).toBe(name === 'x-b' ? 'stage' : undefined);
            else expect(typeof res.headers[name]).toBe('string');
          }
          for (const name of PROTECTED_ERROR_HEADERS) if (name in given) expect(res.headers[name]).toBe(given[name as keyof typeof given]);
          const body = entries.find((e) => e?.body !== undefined);
          const format = LEVELS.filter((l) => active[l]).map((l) => configs[l]?.format).find((f) => f !== undefined) ?? 'switchyard';
          const contentType = res.headers['content-type'] as string;
          if (body === undefined) expect(contentType).toBe(format === 'problem+json' ? 'application/problem+json' : 'application/json');
          else if (body.contentType !== undefined) expect(contentType).toBe(body.contentType);
          if (/json/.test(contentType)) expect(() => JSON.parse(bodyText(res))).not.toThrow();
          if (body === undefined && format === 'problem+json') expect(JSON.parse(bodyText(res))).toMatchObject({ type: 'about:blank', title: reasonPhrase(expectedStatus), status: expectedStatus });
        }
      }),
      { numRuns: 300, seed: 19 },
    );
  });
});

describe('error templates behind outbound finalizers (regression: examples/policies)', () => {
  // cors and set-headers rebuilt the response object on the way out and dropped the gateway's
  // marks on its own error responses, so a 401/429 they decorated lost the `errors` template and
  // the request id (the body came out as the bare default).
  for (const finalizer of [
    { type: 'cors', options: { origins: ['https://app.example.com'] } },
    { type: 'set-headers', options: { response: [{ name: 'x-seen', value: 'yes' }] } },
  ]) {
    it(`a policy's errors template applies to its 401 with ${finalizer.type} in front`, async () => {
      const gateway = createGateway(
        {
          policies: {
            web: finalizer,
            keys: { type: 'api-key', options: { header: 'x-api-key', consumers: [{ id: 'a', keys: ['k-1'] }] }, errors: { responses: { SY_UNAUTHORIZED: { headers: { link: '<https://example.com/docs>; rel="help"' }, body: { error: '${code}', id: '${requestId}' } } } } },
          },
          routes: [{ name: 'r', backends: [{ upstream: 'ok' }], policies: { inbound: ['web', 'keys'] } }],
          upstreams: { ok: { endpoints: [{ url: 'http://10.0.0.1:80' }] } },
        },
        { transport },
      );
      const res = await gateway.handle(req('/x', { origin: 'https://app.example.com', 'x-request-id': 'req-1' }));
      expect(res.status).toBe(401);
      expect(res.headers['link']).toBe('<https://example.com/docs>; rel="help"');
      expect(JSON.parse(bodyText(res))).toEqual({ error: 'SY_UNAUTHORIZED', id: 'req-1' });
      if (finalizer.type === 'cors') expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
      else expect(res.headers['x-seen']).toBe('yes');
      await gateway.stop();
    });
  }
});
