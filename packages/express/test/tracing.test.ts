/**
 * Tracing end to end over real sockets: a client → Express with the switchyard middleware (proxy
 * mode) → undici → a node:http upstream on 127.0.0.1, with the real OpenTelemetry SDK in memory.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { SpanKind } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';
import { closeServer, listen } from './harness.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** An upstream that answers 503 `failFirst` times, then 200, recording each request's headers. */
async function upstream(failFirst = 0) {
  const seen: IncomingHttpHeaders[] = [];
  const { server, url } = await listen((req, res) => {
    seen.push(req.headers);
    res.writeHead(seen.length <= failFirst ? 503 : 200, { 'content-type': 'text/plain' }).end('ok');
  });
  closers.push(() => closeServer(server));
  return { seen, url };
}

async function gatewayApp(up: string, traced: boolean) {
  const exporter = new InMemorySpanExporter();
  const config: GatewayConfig = {
    routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }], retry: { numRetries: 1 } }],
    upstreams: { api: { endpoints: [{ id: 'up', url: up }] } },
  };
  const gateway = createGateway(
    config,
    traced
      ? { transport: createUndiciTransport(), tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }), propagator: new W3CTraceContextPropagator() }
      : { transport: createUndiciTransport() },
  );
  closers.push(() => gateway.stop());
  const app = express();
  app.use(switchyard({ gateway }));
  const { server, url } = await listen(app);
  closers.push(() => closeServer(server));
  return { exporter, url };
}

describe('tracing over real sockets (Express, undici)', () => {
  it("each try's upstream request carries the caller's trace id and that try's span id; tracestate passes through", async () => {
    const up = await upstream(1);
    const { exporter, url } = await gatewayApp(up.url, true);
    const res = await fetch(`${url}/api/items`, { headers: { traceparent: TRACEPARENT, tracestate: 'vendor=abc' } });
    expect(res.status).toBe(200);
    await res.text();
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER);
    const tries = spans.filter((s) => s.kind === SpanKind.CLIENT);
    expect(server?.name).toBe('GET api');
    expect(server?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(tries.map((s) => s.attributes['http.response.status_code'])).toEqual([503, 200]);
    expect(tries.map((s) => s.attributes['http.request.resend_count'])).toEqual([undefined, 1]);
    expect(up.seen.map((h) => h['traceparent'])).toEqual(tries.map((s) => `00-${TRACE_ID}-${s.spanContext().spanId}-01`));
    expect(up.seen.map((h) => h['tracestate'])).toEqual(['vendor=abc', 'vendor=abc']);
    for (const t of tries) {
      expect(t.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
      expect(t.attributes['server.address']).toBe('127.0.0.1');
    }
  });

  it('without an SDK the upstream gets the caller headers unchanged, and none when there were none', async () => {
    const up = await upstream();
    const { url } = await gatewayApp(up.url, false);
    await (await fetch(`${url}/api/a`, { headers: { traceparent: TRACEPARENT, tracestate: 'vendor=abc' } })).text();
    await (await fetch(`${url}/api/b`)).text();
    expect(up.seen[0]?.['traceparent']).toBe(TRACEPARENT);
    expect(up.seen[0]?.['tracestate']).toBe('vendor=abc');
    expect(up.seen[1]?.['traceparent']).toBeUndefined();
    expect(up.seen[1]?.['tracestate']).toBeUndefined();
  });
});
