/**
 * Distributed tracing through `@opentelemetry/api`: one span for the request the gateway answers
 * and one client span per try sent upstream (the first, each retry, each hedge, each mirror), with
 * the W3C trace context (`traceparent`, `tracestate`) injected into every try.
 *
 * Rules, from their sources:
 * - OpenTelemetry HTTP semantic conventions (stable since v1.23; `docs/http/http-spans.md` of
 *   open-telemetry/semantic-conventions): server span named `{method} {http.route}` (`{method}`
 *   before a route is known; `HTTP` for a method outside the known list, with
 *   `http.request.method` `_OTHER` and `http.request.method_original`); status ERROR for 5xx only on
 *   the server side, for 4xx, 5xx and any failure on the client side; `error.type` only on failure;
 *   "an HTTP span for each attempt to send an HTTP request over the wire", the resends carrying
 *   `http.request.resend_count`; client spans end once the response headers are read; the
 *   attributes that matter to samplers are given at span creation. Query values of the keys the
 *   conventions name (`AWSAccessKeyId`, `Signature`, `sig`, `X-Goog-Signature`) are `REDACTED`.
 * - W3C Trace Context (https://www.w3.org/TR/trace-context/): the server span continues the
 *   caller's trace (`traceparent` extracted from the request); each try sends a `traceparent`
 *   whose parent-id is that try's own client span, and `tracestate` travels with the trace.
 *   Propagation goes through the configured propagator: without one registered, the global API
 *   injects nothing, and the caller's headers reach the upstream as they came (nothing invented).
 *
 * Cost: with no SDK registered (the global tracer provider has no delegate) a request pays one
 * lookup and nothing else: no span objects, no context, no header copy. With an SDK, spans are
 * always started (a sampled-out span still carries the trace id to the upstream), but their
 * attributes are only built when `span.isRecording()`.
 */
import {
  context as contextApi,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { Endpoint, Outcome, RequestHeaders, SyRequest, UpstreamRequest } from '@switchyard/core';
import { httpMethod, serverOf } from './metrics.js';

/** The instrumentation scope of every span the gateway makes. */
export const TRACER_NAME = '@switchyard/gateway';

/** How the gateway traces (the tracing fields of `GatewayDeps`). */
export interface TracingOptions {
  /** `false` turns tracing off entirely (default on: free until an OpenTelemetry SDK is registered). */
  readonly tracing?: boolean | undefined;
  /** Where spans come from (default: the global provider, `trace.getTracerProvider()`). */
  readonly tracerProvider?: TracerProvider | undefined;
  /** How the trace context is read from requests and written to tries (default: the global propagator). */
  readonly propagator?: TextMapPropagator | undefined;
}

/**
 * What a try is, as its client span's `switchyard.try.role`: the first try, a retry after a
 * failure, a hedge racing a slow try, or a mirror's fire-and-forget copy.
 */
export type TryRole = 'original' | 'retry' | 'hedge' | 'mirror';

/** The client span of one try: the request to send (trace headers added) and how to end it. */
export interface TrySpan {
  readonly request: UpstreamRequest;
  /** Runs `send` with the try's span active (an HTTP client instrumentation below then nests under it). */
  run<T>(send: () => T): T;
  /** Ends the span with the try's outcome (once; later calls are ignored). */
  end(outcome: Outcome): void;
}

/** Starts client spans for the tries of one request (handed to `forward` and `sendMirror`). */
export interface TryTracer {
  start(request: UpstreamRequest, endpoint: Endpoint, attempt: number, role: TryRole): TrySpan;
}

/** What the request's span is told when the request ends. */
export interface ServerSpanEnd {
  readonly status: number;
  /** The route's name (`http.route`), if one matched. */
  readonly route: string | undefined;
  readonly backend?: string | undefined;
  /** The id of the endpoint whose answer the client got. */
  readonly endpoint?: string | undefined;
  /** Its `version` label, if it has one. */
  readonly version?: string | undefined;
  readonly tries: number;
  /** The gateway's own `SY_*` code, for the answers it made itself. */
  readonly code: string | undefined;
  /** The limiter rule of a 429 (`switchyard.rate_limit.rule`). */
  readonly rule?: string | undefined;
  /** The policy that answered (`switchyard.policy`). */
  readonly policy?: string | undefined;
}

/** The span of one request the gateway handles. */
export interface ServerSpan {
  /** Runs `fn` with this span active (so spans users make in policies nest under it). */
  run<T>(fn: () => T): T;
  /** The tracer for the tries of this request, to upstream `upstream`. */
  tries(upstream: string): TryTracer;
  end(info: ServerSpanEnd): void;
}

/** The gateway's tracing, built once per gateway. */
export interface GatewayTracing {
  /** The request's span, or `undefined` when no SDK is registered (then nothing is traced). */
  startServer(request: SyRequest): ServerSpan | undefined;
}

const headerGetter: TextMapGetter<RequestHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

const headerSetter: TextMapSetter<Record<string, string | undefined>> = {
  set: (carrier, key, value) => {
    carrier[key.toLowerCase()] = value;
  },
};

/** The no-op provider of this copy of the API: a global provider delegating to it has no SDK behind it. */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * Builds the gateway's tracing from its deps; `undefined` when turned off (`tracing: false`).
 *
 * @example
 * ```ts
 * const tracing = createTracing({});       // the global API: spans once an SDK is registered
 * const span = tracing?.startServer(req);  // undefined until then
 * ```
 */
export function createTracing(options: TracingOptions): GatewayTracing | undefined {
  if (options.tracing === false) return undefined;
  const given = options.tracerProvider;
  const propagator = options.propagator;
  let cachedDelegate: TracerProvider | undefined;
  let cachedTracer: Tracer | undefined;
  // `server.address` / `server.port` of each endpoint, parsed once (weak: endpoints come and go with reloads).
  const servers = new WeakMap<Endpoint, { address: string; port: number }>();
  const serverOfEndpoint = (endpoint: Endpoint): { address: string; port: number } => {
    let s = servers.get(endpoint);
    if (s === undefined) servers.set(endpoint, (s = serverOf(endpoint.url)));
    return s;
  };

  /** The live tracer, or `undefined` while the provider has no SDK behind it. */
  function liveTracer(): Tracer | undefined {
    // The global provider is a ProxyTracerProvider until `trace.disable()`; an SDK registers as its
    // delegate (api `trace.setGlobalTracerProvider`), possibly after the gateway was created.
    const provider = given ?? trace.getTracerProvider();
    const delegate = typeof (provider as Partial<ProxyTracerProvider>).getDelegate === 'function' ? (provider as ProxyTracerProvider).getDelegate() : provider;
    if (delegate === cachedDelegate) return cachedTracer;
    cachedDelegate = delegate;
    cachedTracer = delegate === NOOP_PROVIDER ? undefined : delegate.getTracer(TRACER_NAME);
    return cachedTracer;
  }

  function inject(ctx: Context, carrier: Record<string, string | undefined>): void {
    if (propagator !== undefined) propagator.inject(ctx, carrier, headerSetter);
    else propagation.inject(ctx, carrier, headerSetter);
  }

  function parentOf(request: SyRequest): { parent: Context; kind: SpanKind } {
    const active = contextApi.active();
    // A local span is already active (an HTTP server instrumentation made the request's SERVER
    // span): the gateway's span nests under it as INTERNAL, not a second SERVER span.
    const activeSpan = trace.getSpanContext(active);
    if (activeSpan !== undefined && trace.isSpanContextValid(activeSpan) && activeSpan.isRemote !== true) return { parent: active, kind: SpanKind.INTERNAL };
    const base = activeSpan === undefined ? ROOT_CONTEXT : active;
    const parent = propagator !== undefined ? propagator.extract(base, request.headers, headerGetter) : propagation.extract(base, request.headers, headerGetter);
    return { parent, kind: SpanKind.SERVER };
  }

  return {
    startServer(request: SyRequest): ServerSpan | undefined {
      const tracer = liveTracer();
      if (tracer === undefined) return undefined;
      try {
        return serverSpan(tracer, request);
      } catch {
        // A propagator or SDK that throws must not cost the request its answer (`handle` never rejects).
        return undefined;
      }
    },
  };

  function serverSpan(tracer: Tracer, request: SyRequest): ServerSpan {
    const { parent, kind } = parentOf(request);
    const method = httpMethod(request.method);
    const span = tracer.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind, attributes: serverAttributes(request, method) }, parent);
    const ctx = trace.setSpan(parent, span);
    return {
      run: (fn) => contextApi.with(ctx, fn),
      tries: (upstream) => tryTracer(tracer, ctx, upstream, inject, serverOfEndpoint),
      end: (info) => {
        try {
          endServer(span, method, info);
        } catch {
          // As above: telemetry never breaks the response.
        }
      },
    };
  }
}

/** Request attributes given at span creation (the ones samplers may look at). */
function serverAttributes(request: SyRequest, method: string): Attributes {
  const attributes: Attributes = {
    'http.request.method': method,
    'url.path': request.path,
    'url.scheme': request.scheme,
  };
  if (method !== request.method) attributes['http.request.method_original'] = request.method;
  if (request.query !== '') attributes['url.query'] = redactQuery(request.query);
  const authority = request.authority;
  if (authority !== '') {
    // `host[:port]` or `[v6][:port]`; the scheme's port when none is given.
    const close = authority.charCodeAt(0) === 91 /* [ */ ? authority.indexOf(']') : -1;
    const colon = authority.indexOf(':', close < 0 ? 0 : close);
    attributes['server.address'] = close > 0 ? authority.slice(1, close) : colon < 0 ? authority : authority.slice(0, colon);
    attributes['server.port'] = colon < 0 ? (request.scheme === 'https' ? 443 : 80) : Number(authority.slice(colon + 1));
  }
  if (request.clientAddress !== undefined) attributes['client.address'] = request.clientAddress;
  const ua = request.headers['user-agent'];
  if (ua !== undefined) attributes['user_agent.original'] = ua;
  return attributes;
}

function endServer(span: Span, method: string, info: ServerSpanEnd): void {
  if (span.isRecording()) {
    const attributes: Attributes = { 'http.response.status_code': info.status, 'switchyard.tries': info.tries };
    if (info.route !== undefined) {
      attributes['http.route'] = info.route;
      attributes['switchyard.route'] = info.route;
      span.updateName(`${method === '_OTHER' ? 'HTTP' : method} ${info.route}`);
    }
    if (info.backend !== undefined) attributes['switchyard.backend'] = info.backend;
    if (info.endpoint !== undefined) attributes['switchyard.endpoint'] = info.endpoint;
    if (info.version !== undefined) attributes['switchyard.endpoint.version'] = info.version;
    if (info.code !== undefined) attributes['switchyard.error.code'] = info.code;
    if (info.rule !== undefined) attributes['switchyard.rate_limit.rule'] = info.rule;
    if (info.policy !== undefined) attributes['switchyard.policy'] = info.policy;
    // Server side: only 5xx is an error (4xx is the client's); `error.type` is the gateway's own
    // code when it made the answer, else the status (as `http.server.request.duration` does).
    if (info.status >= 500) attributes['error.type'] = info.code ?? String(info.status);
    span.setAttributes(attributes);
  }
  if (info.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

function tryTracer(
  tracer: Tracer,
  parent: Context,
  upstream: string,
  inject: (ctx: Context, carrier: Record<string, string | undefined>) => void,
  serverOfEndpoint: (endpoint: Endpoint) => { address: string; port: number },
): TryTracer {
  return {
    start(request, endpoint, attempt, role) {
      const method = httpMethod(request.method);
      const { address, port } = serverOfEndpoint(endpoint);
      const attributes: Attributes = {
        'http.request.method': method,
        'server.address': address,
        'server.port': port,
        'url.full': endpoint.url + redactPath(request.path),
        'switchyard.upstream': upstream,
        'switchyard.endpoint': endpoint.id,
        'switchyard.try.role': role,
        'switchyard.try.attempt': attempt,
      };
      if (method !== request.method) attributes['http.request.method_original'] = request.method;
      // Semantic conventions: set on each resend, the ordinal of the resend (hedges are resends too).
      if (role !== 'mirror' && attempt > 1) attributes['http.request.resend_count'] = attempt - 1;
      const version = endpoint.metadata['version'];
      if (version !== undefined) attributes['switchyard.endpoint.version'] = version;
      const span = tracer.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: SpanKind.CLIENT, attributes }, parent);
      const ctx = trace.setSpan(parent, span);
      // The try's own headers: `traceparent` names this try's span as the upstream's parent.
      const headers: Record<string, string | undefined> = { ...request.headers };
      try {
        inject(ctx, headers);
      } catch {
        // A propagator that throws: the try goes out with the headers it had.
      }
      let ended = false;
      return {
        request: { ...request, headers },
        run: (send) => contextApi.with(ctx, send),
        end(outcome) {
          if (ended) return;
          ended = true;
          if (outcome.kind === 'response') {
            if (span.isRecording()) {
              const a: Attributes = { 'http.response.status_code': outcome.status };
              if (outcome.status >= 400) a['error.type'] = String(outcome.status);
              span.setAttributes(a);
            }
            if (outcome.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
          } else {
            // `connect`, `reset`, `timeout`, `canceled` (a hedge that lost, or the request ended), …
            span.setAttribute('error.type', outcome.error);
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
          span.end();
        },
      };
    },
  };
}

/** Query keys whose values the semantic conventions redact by default (`url.query`, `url.full`). */
const REDACTED_KEYS = new Set(['AWSAccessKeyId', 'Signature', 'sig', 'X-Goog-Signature']);

function redactQuery(query: string): string {
  if (!/(?:^|&)(?:AWSAccessKeyId|Signature|sig|X-Goog-Signature)=/.test(query)) return query;
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq > 0 && REDACTED_KEYS.has(pair.slice(0, eq)) ? `${pair.slice(0, eq)}=REDACTED` : pair;
    })
    .join('&');
}

/**
 * A path with its query's named values redacted, for `url.full` (an endpoint's URL is a bare
 * origin, `createEndpoint` refuses anything else: it never carries credentials to redact).
 */
function redactPath(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q + 1) + redactQuery(path.slice(q + 1));
}
