/**
 * Tracing against the real OpenTelemetry SDK: BasicTracerProvider + SimpleSpanProcessor +
 * InMemorySpanExporter, W3CTraceContextPropagator, and an AsyncLocalStorage context manager where
 * a test needs an active span.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOffSampler, BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { SyRequest, SyResponse } from '@switchyard/core';
import { createMockTransport, createTestClock, seededRng } from '@switchyard/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfig } from './config.js';
import { createGateway, type GatewayDeps } from './gateway.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN}-01`;

function req(path: string, init: Partial<SyRequest> = {}): SyRequest {
  const q = path.indexOf('?');
  return {
    method: 'GET',
    scheme: 'http',
    authority: 'api.example.com:8443',
    path: q < 0 ? path : path.slice(0, q),
    query: q < 0 ? '' : path.slice(q + 1),
    headers: { traceparent: TRACEPARENT, tracestate: 'vendor=abc,other=1', 'user-agent': 'test-agent' },
    clientAddress: '198.51.100.7',
    attributes: {},
    ...init,
  };
}

const config = (route: Partial<NonNullable<GatewayConfig['routes'][0]>> = {}, extra: Partial<GatewayConfig> = {}): GatewayConfig => ({
  routes: [{ name: 'orders', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'orders' }], ...route }],
  upstreams: {
    orders: {
      endpoints: [
        { id: 'a', url: 'http://10.0.0.1:8080', metadata: { version: 'v1' } },
        { id: 'b', url: 'http://10.0.0.2:8080', metadata: { version: 'v1' } },
        { id: 'c', url: 'http://10.0.0.3:8080', metadata: { version: 'v2' } },
      ],
      balancer: { policy: 'round-robin' },
    },
    shadow: { endpoints: [{ id: 's', url: 'http://10.9.0.1:80' }] },
  },
  ...extra,
});

function sdk(options: { sampler?: AlwaysOffSampler } = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)], ...(options.sampler ? { sampler: options.sampler } : {}) });
  return { exporter, provider, propagator: new W3CTraceContextPropagator() };
}

function setup(cfg: GatewayConfig, deps: Partial<GatewayDeps> = {}) {
  const clock = createTestClock();
  const transport = createMockTransport({ clock });
  const gateway = createGateway(cfg, { transport, clock, rng: seededRng(1), ...deps });
  const send = async (r: SyRequest): Promise<SyResponse> => {
    let out: SyResponse | undefined;
    void gateway.handle(r).then((x) => (out = x));
    for (let t = 0; out === undefined && t <= 60_000; t++) await clock.advanceAsync(1);
    if (out === undefined) throw new Error('no response');
    return out;
  };
  return { clock, transport, gateway, send };
}

const servers = (spans: readonly ReadableSpan[]) => spans.filter((s) => s.kind === SpanKind.SERVER || s.kind === SpanKind.INTERNAL);
const clients = (spans: readonly ReadableSpan[]) => spans.filter((s) => s.kind === SpanKind.CLIENT);
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;

afterEach(() => {
  trace.disable();
  propagation.disable();
  context.disable();
});

describe('tracing with the OpenTelemetry SDK', () => {
  it('one server span continuing the caller, one client span per try, its id as the upstream traceparent parent', async () => {
    const o = sdk();
    const t = setup(config(), { tracerProvider: o.provider, propagator: o.propagator });
    t.transport.respondWith(() => ({ status: 200, body: 'ok' }));
    const res = await t.send(req('/api/orders/7', { query: 'expand=items&sig=secret' }));
    expect(res.status).toBe(200);
    const spans = o.exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    const [server] = servers(spans);
    const [client] = clients(spans);
    if (server === undefined || client === undefined) throw new Error('missing span');
    const endpoint = t.transport.requests[0]?.endpoint;
    if (endpoint === undefined) throw new Error('nothing sent');
    const ip = endpoint.url.slice('http://'.length, -':8080'.length);

    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.name).toBe('GET orders');
    expect(server.spanContext().traceId).toBe(TRACE_ID);
    expect(parentOf(server)).toBe(CALLER_SPAN);
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/api/orders/7',
      'url.scheme': 'http',
      'url.query': 'expand=items&sig=REDACTED',
      'server.address': 'api.example.com',
      'server.port': 8443,
      'client.address': '198.51.100.7',
      'user_agent.original': 'test-agent',
      'http.route': 'orders',
      'http.response.status_code': 200,
      'switchyard.route': 'orders',
      'switchyard.backend': 'orders',
      'switchyard.endpoint': endpoint.id,
      'switchyard.endpoint.version': endpoint.metadata['version'],
      'switchyard.tries': 1,
    });
    expect(server.attributes['error.type']).toBeUndefined();

    expect(client.name).toBe('GET');
    expect(client.spanContext().traceId).toBe(TRACE_ID);
    expect(parentOf(client)).toBe(server.spanContext().spanId);
    expect(client.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': ip,
      'server.port': 8080,
      'url.full': `http://${ip}:8080/api/orders/7?expand=items&sig=REDACTED`,
      'http.response.status_code': 200,
      'switchyard.upstream': 'orders',
      'switchyard.endpoint': endpoint.id,
      'switchyard.endpoint.version': endpoint.metadata['version'],
      'switchyard.try.role': 'original',
      'switchyard.try.attempt': 1,
    });
    expect(client.attributes['http.request.resend_count']).toBeUndefined();

    // W3C: the upstream's parent is the try's client span, in the caller's trace; tracestate travels.
    const sent = t.transport.requests[0]?.request.headers;
    expect(sent?.['traceparent']).toBe(`00-${TRACE_ID}-${client.spanContext().spanId}-01`);
    expect(sent?.['tracestate']).toBe('vendor=abc,other=1');
  });

  it('a retried request shows one client span per try with resend_count 1..n and the failures as errors', async () => {
    const o = sdk();
    const t = setup(config({ retry: { numRetries: 2 } }), { tracerProvider: o.provider, propagator: o.propagator });
    let n = 0;
    t.transport.respondWith(() => (++n < 3 ? { status: 503 } : { status: 200 }));
    const res = await t.send(req('/api/x'));
    expect(res.status).toBe(200);
    const spans = o.exporter.getFinishedSpans();
    const tries = clients(spans);
    const [server] = servers(spans);
    expect(tries.map((s) => s.attributes['switchyard.try.role'])).toEqual(['original', 'retry', 'retry']);
    expect(tries.map((s) => s.attributes['http.request.resend_count'])).toEqual([undefined, 1, 2]);
    expect(tries.map((s) => s.attributes['http.response.status_code'])).toEqual([503, 503, 200]);
    expect(tries.map((s) => s.status.code)).toEqual([SpanStatusCode.ERROR, SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
    expect(tries.map((s) => s.attributes['error.type'])).toEqual(['503', '503', undefined]);
    for (const s of tries) expect(parentOf(s)).toBe(server?.spanContext().spanId);
    // Each try carried its own span id to the upstream.
    expect(t.transport.requests.map((r) => r.request.headers['traceparent'])).toEqual(tries.map((s) => `00-${TRACE_ID}-${s.spanContext().spanId}-01`));
    expect(server?.attributes['switchyard.tries']).toBe(3);
    expect(server?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a hedge is its own client span; the loser ends canceled', async () => {
    const o = sdk();
    const t = setup(config({ perTryTimeoutMs: 50, timeoutMs: 1_000, retry: { numRetries: 1 }, hedge: { onPerTryTimeout: true } }), { tracerProvider: o.provider, propagator: o.propagator });
    let first = true;
    t.transport.respondWith(() => {
      const reply = first ? { status: 200, body: 'slow', delayMs: 500 } : { status: 200, body: 'fast', delayMs: 10 };
      first = false;
      return reply;
    });
    await t.send(req('/api/x'));
    const tries = clients(o.exporter.getFinishedSpans());
    const byRole = new Map(tries.map((s) => [s.attributes['switchyard.try.role'], s]));
    expect(tries).toHaveLength(2);
    const original = byRole.get('original');
    const hedge = byRole.get('hedge');
    expect(original?.attributes['error.type']).toBe('canceled');
    expect(original?.status.code).toBe(SpanStatusCode.ERROR);
    expect(hedge?.attributes).toMatchObject({ 'http.request.resend_count': 1, 'http.response.status_code': 200, 'switchyard.try.attempt': 2 });
    expect(hedge?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a mirror is a client span of its own, a child of the request span, and its upstream gets its id', async () => {
    const o = sdk();
    const t = setup(config({ mirror: { upstream: 'shadow' } }), { tracerProvider: o.provider, propagator: o.propagator });
    t.transport.respondWith(() => ({ status: 200 }));
    await t.send(req('/api/x'));
    await t.clock.advanceAsync(10);
    const spans = o.exporter.getFinishedSpans();
    const [server] = servers(spans);
    const mirror = clients(spans).find((s) => s.attributes['switchyard.try.role'] === 'mirror');
    expect(mirror).toBeDefined();
    expect(parentOf(mirror as ReadableSpan)).toBe(server?.spanContext().spanId);
    expect(mirror?.attributes).toMatchObject({ 'switchyard.upstream': 'shadow', 'switchyard.endpoint': 's', 'server.address': '10.9.0.1', 'server.port': 80 });
    expect(mirror?.attributes['http.request.resend_count']).toBeUndefined();
    const shadowReq = t.transport.requests.find((r) => r.endpoint.id === 's');
    expect(shadowReq?.request.headers['traceparent']).toBe(`00-${TRACE_ID}-${mirror?.spanContext().spanId}-01`);
  });

  it('a 429 names the limiter rule; 4xx leaves the server span status unset', async () => {
    const o = sdk();
    const cfg = config({ limits: ['per-ip'] }, { clientIdentity: { trustedProxies: [] }, limits: { 'per-ip': { key: 'client-ip', policy: { maxTokens: 1, fillIntervalMs: 60_000 } } } });
    const t = setup(cfg, { tracerProvider: o.provider, propagator: o.propagator });
    t.transport.respondWith(() => ({ status: 200 }));
    await t.send(req('/api/x'));
    const limited = await t.send(req('/api/x'));
    expect(limited.status).toBe(429);
    const last = servers(o.exporter.getFinishedSpans()).at(-1);
    expect(last?.attributes).toMatchObject({ 'http.response.status_code': 429, 'switchyard.rate_limit.rule': 'per-ip', 'switchyard.error.code': 'SY_RATE_LIMITED', 'switchyard.tries': 0 });
    expect(last?.attributes['error.type']).toBeUndefined();
    expect(last?.status.code).toBe(SpanStatusCode.UNSET);
    expect(clients(o.exporter.getFinishedSpans())).toHaveLength(1);
  });

  it('an upstream that cannot be reached: the try errs with its kind, the server span with the gateway code', async () => {
    const o = sdk();
    const t = setup(config(), { tracerProvider: o.provider, propagator: o.propagator });
    t.transport.respondWith(() => ({ error: 'connect' }));
    const res = await t.send(req('/api/x'));
    expect(res.status).toBe(502);
    const spans = o.exporter.getFinishedSpans();
    const [server] = servers(spans);
    const [client] = clients(spans);
    expect(client?.attributes['error.type']).toBe('connect');
    expect(client?.attributes['http.response.status_code']).toBeUndefined();
    expect(client?.status.code).toBe(SpanStatusCode.ERROR);
    expect(server?.attributes).toMatchObject({ 'error.type': 'SY_UPSTREAM_CONNECT', 'http.response.status_code': 502 });
    expect(server?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('a request without a caller trace starts a new trace; an unmatched one is named by its method alone', async () => {
    const o = sdk();
    const t = setup(config(), { tracerProvider: o.provider, propagator: o.propagator });
    t.transport.respondWith(() => ({ status: 200 }));
    await t.send(req('/api/x', { headers: {} }));
    const res = await t.send(req('/nowhere', { method: 'PURGE', headers: {} }));
    expect(res.status).toBe(404);
    const [first, unmatched] = servers(o.exporter.getFinishedSpans());
    expect(parentOf(first as ReadableSpan)).toBeUndefined();
    expect(first?.spanContext().traceId).not.toBe(TRACE_ID);
    expect(t.transport.requests[0]?.request.headers['traceparent']).toMatch(new RegExp(`^00-${first?.spanContext().traceId}-[0-9a-f]{16}-01$`));
    expect(t.transport.requests[0]?.request.headers['tracestate']).toBeUndefined();
    expect(unmatched?.name).toBe('HTTP');
    expect(unmatched?.attributes).toMatchObject({ 'http.request.method': '_OTHER', 'http.request.method_original': 'PURGE', 'http.response.status_code': 404 });
    expect(unmatched?.attributes['http.route']).toBeUndefined();
  });

  it('server.address and server.port come from the authority: IPv6 brackets dropped, the scheme port by default', async () => {
    const o = sdk();
    const t = setup(config(), { tracerProvider: o.provider, propagator: o.propagator });
    t.transport.respondWith(() => ({ status: 200 }));
    await t.send(req('/api/x', { scheme: 'https', authority: '[2001:db8::1]' }));
    await t.send(req('/api/x', { authority: '[2001:db8::1]:8080' }));
    await t.send(req('/api/x', { authority: 'api.example.com' }));
    expect(servers(o.exporter.getFinishedSpans()).map((s) => [s.attributes['server.address'], s.attributes['server.port']])).toEqual([
      ['2001:db8::1', 443],
      ['2001:db8::1', 8080],
      ['api.example.com', 80],
    ]);
  });

  it('a propagator that throws costs no request its answer', async () => {
    const o = sdk();
    const broken = {
      inject: () => {
        throw new Error('inject');
      },
      extract: () => {
        throw new Error('extract');
      },
      fields: () => [],
    };
    const t = setup(config(), { tracerProvider: o.provider, propagator: broken });
    t.transport.respondWith(() => ({ status: 200 }));
    expect((await t.send(req('/api/x'))).status).toBe(200);
    const extractOnly = { ...o.propagator, inject: broken.inject, extract: o.propagator.extract.bind(o.propagator), fields: () => [] };
    const t2 = setup(config(), { tracerProvider: o.provider, propagator: extractOnly });
    t2.transport.respondWith(() => ({ status: 200 }));
    expect((await t2.send(req('/api/x'))).status).toBe(200);
    // The try went out with the headers it had; its span still ended.
    expect(t2.transport.requests[0]?.request.headers['traceparent']).toBe(TRACEPARENT);
    expect(clients(o.exporter.getFinishedSpans())).toHaveLength(1);
  });

  it('sampled out: nothing is recorded, but the upstream still continues the caller trace (flags 00)', async () => {
    const o = sdk({ sampler: new AlwaysOffSampler() });
    const t = setup(config(), { tracerProvider: o.provider, propagator: o.propagator });
    t.transport.respondWith(() => ({ status: 200 }));
    await t.send(req('/api/x'));
    expect(o.exporter.getFinishedSpans()).toHaveLength(0);
    const sent = t.transport.requests[0]?.request.headers['traceparent'];
    expect(sent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
    expect(sent).not.toContain(CALLER_SPAN);
  });

  it('nests under an active local span (an HTTP server instrumentation) as INTERNAL, not a second SERVER span', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const o = sdk();
    const t = setup(config(), { tracerProvider: o.provider, propagator: o.propagator });
    t.transport.respondWith(() => ({ status: 200 }));
    const outer = o.provider.getTracer('http').startSpan('GET', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    await context.with(trace.setSpan(ROOT_CONTEXT, outer), () => t.send(req('/api/x')));
    outer.end();
    const mine = o.exporter.getFinishedSpans().find((s) => s.name === 'GET orders');
    expect(mine?.kind).toBe(SpanKind.INTERNAL);
    expect(parentOf(mine as ReadableSpan)).toBe(outer.spanContext().spanId);
    expect(mine?.spanContext().traceId).toBe(outer.spanContext().traceId);
  });

  it("the request's span is active while policies and the transport run", async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const o = sdk();
    let seen: string | undefined;
    const clock = createTestClock();
    const transport = {
      send: async () => {
        seen = trace.getActiveSpan()?.spanContext().spanId;
        return { kind: 'response' as const, response: { status: 200, headers: {}, body: null } };
      },
    };
    const gateway = createGateway(config(), { transport, clock, rng: seededRng(1), tracerProvider: o.provider, propagator: o.propagator });
    await gateway.handle(req('/api/x'));
    const [client] = clients(o.exporter.getFinishedSpans());
    expect(seen).toBe(client?.spanContext().spanId);
  });

  it('uses the global API by default, including an SDK registered after the gateway was created', async () => {
    const t = setup(config());
    t.transport.respondWith(() => ({ status: 200 }));
    await t.send(req('/api/x'));
    const o = sdk();
    trace.setGlobalTracerProvider(o.provider);
    propagation.setGlobalPropagator(o.propagator);
    await t.send(req('/api/x'));
    const spans = o.exporter.getFinishedSpans();
    expect(servers(spans)).toHaveLength(1);
    expect(clients(spans)).toHaveLength(1);
    expect(t.transport.requests[1]?.request.headers['traceparent']).toBe(`00-${TRACE_ID}-${clients(spans)[0]?.spanContext().spanId}-01`);
    expect(servers(spans)[0]?.instrumentationScope.name).toBe('@switchyard/gateway');
  });

  it('tracing: false makes no spans and touches no header, even with an SDK', async () => {
    const o = sdk();
    trace.setGlobalTracerProvider(o.provider);
    propagation.setGlobalPropagator(o.propagator);
    const t = setup(config(), { tracing: false });
    t.transport.respondWith(() => ({ status: 200 }));
    await t.send(req('/api/x'));
    expect(o.exporter.getFinishedSpans()).toHaveLength(0);
    expect(t.transport.requests[0]?.request.headers['traceparent']).toBe(TRACEPARENT);
  });
});

describe('tracing without an SDK', () => {
  it('nothing breaks and no header is invented: the caller’s trace headers pass through as they came', async () => {
    const t = setup(config({ retry: { numRetries: 1 }, mirror: { upstream: 'shadow' } }));
    let n = 0;
    t.transport.respondWith((_r, e) => (e.id === 's' ? { status: 200 } : ++n === 1 ? { status: 503 } : { status: 200 }));
    expect((await t.send(req('/api/x'))).status).toBe(200);
    expect((await t.send(req('/api/x', { headers: {} }))).status).toBe(200);
    await t.clock.advanceAsync(10);
    const requests = t.transport.requests;
    expect(requests.length).toBeGreaterThanOrEqual(4);
    for (const r of requests.filter((x) => x.request.headers['user-agent'] !== undefined)) {
      expect(r.request.headers['traceparent']).toBe(TRACEPARENT);
      expect(r.request.headers['tracestate']).toBe('vendor=abc,other=1');
    }
    for (const r of requests.filter((x) => x.request.headers['user-agent'] === undefined)) {
      expect(r.request.headers['traceparent']).toBeUndefined();
      expect(r.request.headers['tracestate']).toBeUndefined();
    }
  });

  it('a registered propagator alone (no tracer provider) invents nothing either', async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const t = setup(config());
    t.transport.respondWith(() => ({ status: 200 }));
    await t.send(req('/api/x', { headers: {} }));
    expect(t.transport.requests[0]?.request.headers['traceparent']).toBeUndefined();
  });
});
