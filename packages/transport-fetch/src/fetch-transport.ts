/**
 * The edge transport: core's `Transport` contract mapped onto the Fetch API, for Cloudflare
 * Workers, Deno, Bun, Vercel/Netlify edge functions and Node when undici is not wanted. Same
 * model as hono's `proxy()` with `customFetch`: the runtime owns connections and pooling.
 */
// Deliberately alike: testing/src/mock-transport.ts (imports) — two Transport implementations import the same contract types from core; an import list is not logic
import {
  SwitchyardError,
  checkSendable,
  describeUnsendable,
  onAbort,
  removeConnectionOptions,
  type Endpoint,
  type EndpointPoolOptions,
  type EndpointPoolResult,
  type ResponseHeaders,
  type Transport,
  type TransportResult,
  type TransportSendOptions,
  type UpstreamRequest,
} from '@switchyard/core';
import { classifyAbort, classifyFetchError, describe, type Classified } from './internal/classify.js';

/** `RequestInit` plus `duplex`, which streaming request bodies need and DOM typings may lack. */
export type FetchInit = RequestInit & { duplex?: 'half' };

/** The `fetch` signature the transport calls: the global one, or a runtime's / test's own. */
export type FetchLike = (input: string, init: FetchInit) => Promise<Response>;

/** Options of {@link createFetchTransport}. */
export interface FetchTransportOptions {
  /** The `fetch` to call. Default: `globalThis.fetch`, looked up when the transport is created. */
  readonly fetch?: FetchLike;
  /**
   * Extra `RequestInit` fields merged into every request, e.g. `{ cf: { cacheTtl: 0 } }` on
   * Cloudflare or `{ dispatcher }` on Node. `method`, `headers`, `body`, `signal`, `redirect`
   * and `duplex` are always the transport's.
   */
  readonly init?: Readonly<Record<string, unknown>>;
}

/** A {@link Transport} over `fetch`. */
export interface FetchTransport extends Transport {
  send(request: UpstreamRequest, endpoint: Endpoint, options: TransportSendOptions): Promise<TransportResult>;
  /**
   * Always `unpooled`: the runtime owns connections, so a gateway refuses
   * `resourceLimits.maxConnections` and `maxPendingRequests` with this transport.
   */
  configureEndpoint(endpoint: Endpoint, options: EndpointPoolOptions): EndpointPoolResult;
  /** Later sends resolve to `canceled`. The runtime owns the connections, so nothing else closes. */
  close(): Promise<void>;
}

/** Request headers fetch refuses or that describe the downstream connection (RFC 9110 §7.6.1). */
const DROPPED_REQUEST = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings', 'te', 'content-length']);

/** Response headers that describe the runtime's connection to the upstream, not the message. */
const DROPPED_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding']);

const UNPOOLED: EndpointPoolResult = Object.freeze({ kind: 'unpooled', reason: 'fetch leaves connections to the runtime (use @switchyard/transport-undici to bound them)' });

interface RuntimeGlobals {
  fetch?: FetchLike;
  AbortController?: new () => AbortController;
  ReadableStream?: typeof ReadableStream;
}

/**
 * Creates a transport that sends through `fetch`.
 *
 * When to use: the gateway on an edge runtime (the Hono adapter on Workers, Deno, Bun). On
 * Node, prefer `@switchyard/transport-undici`: it has connection-pool limits, pool statistics
 * and precise error kinds.
 *
 * Gotchas (what fetch cannot do or tell):
 * - Error kinds: fetch rejects with a bare `TypeError` on most runtimes. Node's fetch carries a
 *   coded `cause` (exact kinds); elsewhere the message is matched, and an unrecognised
 *   failure counts as `connect`.
 * - No pool limits, keep-alive tuning, or per-origin statistics: the runtime owns connections
 *   (a gateway config with `resourceLimits.maxConnections` or `maxPendingRequests` is refused).
 * - `Host` cannot be overridden: fetch sends the endpoint URL's authority (Node 20's fetch,
 *   browsers and workers all treat `host` as forbidden). The header is still passed, for
 *   runtimes that honour it. Virtual-hosted upstreams need `@switchyard/transport-undici`.
 * - Streamed request bodies go out chunked (`duplex: 'half'`): `content-length` is dropped.
 *   Runtimes without request streaming (older Safari-based ones) reject such sends.
 * - `redirect: 'manual'`: 3xx responses are returned as they are, for the client to follow.
 * - `GET`/`HEAD` cannot carry a body in fetch: a non-empty one resolves to `invalid-request`.
 * - A request fetch would refuse or silently change (a forbidden method, a header value above
 *   U+00FF or with CR/LF/NUL, a path with `#`, `\\` or non-ASCII) resolves to `invalid-request`
 *   without calling fetch (`checkSendable(request, 'fetch')` from `@switchyard/core`).
 *
 * @example
 * ```ts
 * import { createEndpoint, createAbortController } from '@switchyard/core';
 * import { createFetchTransport } from '@switchyard/transport-fetch';
 *
 * const transport = createFetchTransport();
 * const endpoint = createEndpoint({ url: 'https://api.example.com' });
 * const result = await transport.send({ method: 'GET', path: '/status', headers: {} }, endpoint, { signal: createAbortController().signal });
 * if (result.kind === 'response') console.log(result.response.status);
 * else console.log(result.error, result.message);
 * ```
 */
export function createFetchTransport(options: FetchTransportOptions = {}): FetchTransport {
  const g = globalThis as unknown as RuntimeGlobals;
  const doFetch = options.fetch ?? (g.fetch === undefined ? undefined : g.fetch.bind(globalThis));
  if (doFetch === undefined) throw new SwitchyardError('SY_INVALID_ARGUMENT', 'createFetchTransport: no global fetch in this runtime; pass options.fetch');
  const Controller = g.AbortController;
  if (Controller === undefined) throw new SwitchyardError('SY_INVALID_ARGUMENT', 'createFetchTransport: this runtime has no AbortController');
  const extra = options.init ?? {};
  let closed = false;

  async function send(request: UpstreamRequest, endpoint: Endpoint, { signal }: TransportSendOptions): Promise<TransportResult> {
    const origin = endpoint.url;
    if (signal.aborted) return fail(classifyAbort(signal, origin), signal.reason);
    if (closed) return fail({ error: 'canceled', message: `transport is closed; not sending to ${origin}` });
    // The Fetch standard's rules (forbidden methods, ByteString header values, a path the URL
    // parser would not change): refused here as the client's fault, never a fetch TypeError.
    const unsendable = checkSendable(request, 'fetch');
    if (unsendable !== undefined) return fail({ error: 'invalid-request', message: describeUnsendable(unsendable) });

    const upload: { error?: unknown } = {};
    let body: FetchBody | undefined;
    try {
      body = requestBody(request, origin, upload, g);
    } catch (err) {
      // A GET/HEAD body is the request's own problem (fetch cannot carry it); a runtime without
      // request streams is the transport's.
      const client = request.method === 'GET' || request.method === 'HEAD';
      return fail({ error: client ? 'invalid-request' : 'local', message: describe(err) }, err);
    }
    // fetch insists on the runtime's own AbortSignal: link the caller's to one we own, which
    // also lets a consumer that stops reading the body cancel the request.
    const controller = new Controller!();
    const unlink = onAbort(signal, () => controller.abort(signal.reason));
    const init: FetchInit = {
      ...extra,
      method: request.method,
      headers: requestHeaders(request.headers),
      redirect: 'manual',
      signal: controller.signal,
      // Any Uint8Array is sendable; DOM typings want an ArrayBuffer-backed one.
      ...(body === undefined ? {} : { body: body as BodyInit }),
      ...(body !== undefined && typeof body === 'object' && !(body instanceof Uint8Array) ? { duplex: 'half' as const } : {}),
    };

    let res: Response;
    try {
      res = await doFetch!(origin + request.path, init);
    } catch (err) {
      unlink();
      if (signal.aborted) return fail(classifyAbort(signal, origin), err);
      if (upload.error !== undefined) return fail({ error: 'canceled', message: `request body for ${origin} failed: ${describe(upload.error)}` }, upload.error);
      return fail(classifyFetchError(err, origin), err);
    }
    return {
      kind: 'response',
      response: { status: res.status, headers: responseHeaders(res.headers), body: responseBody(res.body, unlink) },
    };
  }

  return {
    send,
    configureEndpoint: () => UNPOOLED,
    close() {
      closed = true;
      return Promise.resolve();
    },
  };
}

function fail(classified: Classified, cause?: unknown): TransportResult {
  return cause === undefined ? { kind: 'error', ...classified } : { kind: 'error', ...classified, cause };
}

function requestHeaders(headers: UpstreamRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    const lower = name.toLowerCase();
    if (value === undefined || DROPPED_REQUEST.has(lower)) continue;
    out[lower] = value;
  }
  return out;
}

function responseHeaders(headers: Headers): ResponseHeaders {
  const out: Record<string, string | readonly string[]> = {};
  let connection: string | undefined;
  headers.forEach((value, name) => {
    if (!DROPPED_RESPONSE.has(name) && name !== 'set-cookie') out[name] = value;
    else if (name === 'connection') connection = value;
  });
  // fetch joins repeated headers with ", ", which corrupts set-cookie; getSetCookie() keeps them apart.
  const getSetCookie = (headers as { getSetCookie?: () => string[] }).getSetCookie;
  const cookies = typeof getSetCookie === 'function' ? getSetCookie.call(headers) : headers.get('set-cookie') === null ? [] : [headers.get('set-cookie')!];
  if (cookies.length > 0) out['set-cookie'] = cookies;
  // RFC 9110 §7.6.1: the fields the upstream's `Connection` names go with it.
  return connection === undefined ? out : removeConnectionOptions(out, connection);
}

type FetchBody = string | Uint8Array | ReadableStream<Uint8Array>;

function requestBody(request: UpstreamRequest, origin: string, upload: { error?: unknown }, g: RuntimeGlobals): FetchBody | undefined {
  const body = request.body;
  if (body === undefined) return undefined;
  const empty = (typeof body === 'string' && body.length === 0) || (body instanceof Uint8Array && body.byteLength === 0);
  if (request.method === 'GET' || request.method === 'HEAD') {
    if (empty) return undefined;
    throw new SwitchyardError('SY_INVALID_ARGUMENT', `fetch cannot send a body with ${request.method} (to ${origin}); use @switchyard/transport-undici`);
  }
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  const Stream = g.ReadableStream;
  if (Stream === undefined) throw new SwitchyardError('SY_INVALID_ARGUMENT', 'this runtime has no ReadableStream: cannot stream a request body');
  const iterator = body[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  return new Stream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.done === true) controller.close();
        else controller.enqueue(typeof next.value === 'string' ? encoder.encode(next.value) : next.value);
      } catch (err) {
        upload.error = err ?? new Error('request body failed');
        controller.error(err);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

/** The fetch body as an async iterable of bytes; `settled` runs once it ends, fails or is abandoned. */
function responseBody(stream: ReadableStream<Uint8Array> | null, settled: () => void): AsyncIterable<Uint8Array> {
  if (stream === null) {
    settled();
    return { [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }) };
  }
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let finished = false;
  const finish = () => {
    if (!finished) {
      finished = true;
      settled();
    }
  };
  return {
    [Symbol.asyncIterator]() {
      reader ??= stream.getReader();
      const r = reader;
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          try {
            const chunk = await r.read();
            if (chunk.done) {
              finish();
              return { done: true, value: undefined };
            }
            return { done: false, value: chunk.value };
          } catch (err) {
            finish();
            throw err;
          }
        },
        async return(): Promise<IteratorResult<Uint8Array>> {
          // The consumer stopped reading: cancel the stream so the runtime drops the connection.
          finish();
          await r.cancel().catch(() => {});
          return { done: true, value: undefined };
        },
      };
    },
  };
}
