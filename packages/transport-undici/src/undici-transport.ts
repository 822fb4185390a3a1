/**
 * The Node transport: one undici `Pool` per endpoint origin, keep-alive, bounded connections,
 * streaming bodies both ways and AbortSignal in both directions. Built on undici because it is
 * maintained by Node core and already the engine of `@fastify/reply-from` (see
 * docs/guides/transports.md for why not `node:http` / http-proxy, whose client-abort socket
 * leak is the bug this package's tests guard against).
 */
import { Pool, type Dispatcher, type buildConnector } from 'undici';
import {
  CheckedRequest,
  checkSendable,
  describeUnsendable,
  onAbort,
  systemClock,
  type Clock,
  type Endpoint,
  type EndpointPoolOptions,
  type EndpointPoolResult,
  type Transport,
  type TransportResult,
  type TransportSendOptions,
  type Unsendable,
  type UpstreamRequest,
} from '@switchyard/core';
import { classifyAbort, classifyNetworkError, describe, type Classified } from './internal/classify.js';
import { requestHeaders } from './internal/headers.js';
import { SendHandler } from './internal/send-handler.js';
import { trackedFactory } from './internal/tracked-client.js';

/** Options of {@link createUndiciTransport}. Every pool (one per endpoint origin) gets the same ones. */
export interface UndiciTransportOptions {
  /** Maximum sockets per origin (Envoy `max_connections` per host). Requests beyond wait in the pool's queue. Default 256. */
  readonly connections?: number;
  /** HTTP/1.1 pipelining depth per socket; 1 (the default) disables pipelining. */
  readonly pipelining?: number;
  /** How long an idle keep-alive socket is kept open, unless the upstream's `Keep-Alive: timeout` says less. Default 4 000 ms. */
  readonly keepAliveTimeoutMs?: number;
  /** Upper bound on the upstream-advertised keep-alive timeout. Default 600 000 ms. */
  readonly keepAliveMaxTimeoutMs?: number;
  /**
   * Time to response headers before the try fails with `timeout`. Default 300 000 ms (undici's).
   * The gateway enforces per-try timeouts and deadlines through the signal; this is the backstop.
   */
  readonly headersTimeoutMs?: number;
  /** Maximum gap between two body chunks; on expiry the body stream errors. 0 disables. Default 300 000 ms. */
  readonly bodyTimeoutMs?: number;
  /** Time allowed to establish a connection (TCP + TLS) before the try fails with `connect`. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * Happy eyeballs (RFC 8305) over every address a name resolves to, so `localhost` reaches a
   * server bound to `::1` or to `127.0.0.1` whichever the resolver lists first. Default true.
   */
  readonly autoSelectFamily?: boolean;
  /** Delay before trying the next address family. Default 250 ms (Node's). */
  readonly autoSelectFamilyAttemptTimeoutMs?: number;
  /** Maximum size of response headers in bytes. Default 16 384 (Node's). */
  readonly maxHeaderSizeBytes?: number;
  /**
   * A pool whose origin has not been used for this long, and that has nothing in flight, is
   * closed and forgotten (an endpoint that left the config). Checked lazily on `send`. Default 60 000 ms; 0 disables.
   */
  readonly idlePoolTimeoutMs?: number;
  /**
   * Extra socket options for undici's connector: TLS (`ca`, `rejectUnauthorized`, `servername`),
   * a custom `lookup`, `keepAlive`. `timeout` and `autoSelectFamily*` come from the options above.
   */
  readonly connect?: Readonly<buildConnector.BuildOptions>;
  /** Time source for idle-pool eviction. Default `systemClock`. */
  readonly clock?: Clock;
}

/** Connection-pool figures for one origin (undici's `PoolStats`). */
export interface OriginStats {
  /** `scheme://host:port` */
  readonly origin: string;
  /** The pool's connection cap (`connections`, or the endpoint's `maxConnections`). */
  readonly maxConnections: number;
  /** Sockets open to the origin. */
  readonly connected: number;
  /** Open sockets with nothing in flight (idle keep-alive). */
  readonly free: number;
  /** Requests sent and awaiting (or streaming) their response. */
  readonly running: number;
  /** Requests written or waiting for a socket. */
  readonly pending: number;
  /** Requests queued in the pool because every socket was busy. */
  readonly queued: number;
}

/** A {@link Transport} over undici, plus pool management for the gateway and tests. */
export interface UndiciTransport extends Transport {
  send(request: UpstreamRequest, endpoint: Endpoint, options: TransportSendOptions): Promise<TransportResult>;
  /**
   * Sets the pool size of one endpoint (the gateway passes `resourceLimits.maxConnections`).
   * Endpoints of one origin with different caps get separate pools, so two upstreams sharing
   * an origin keep their own limits. Returns the cap in force.
   */
  configureEndpoint(endpoint: Endpoint, options: EndpointPoolOptions): EndpointPoolResult;
  /** Figures per pool (one per origin and connection cap), sorted by origin. */
  stats(): OriginStats[];
  /**
   * Closes the pool of one origin (an `Endpoint` or its `url`): requests in flight finish,
   * then its sockets close. The next send to that origin opens a fresh pool.
   */
  evict(endpoint: Endpoint | string): Promise<void>;
  /** Closes every pool gracefully (in-flight requests finish); later sends resolve to `canceled`. */
  close(): Promise<void>;
  /** Destroys every pool now: in-flight requests fail (their sends resolve to an error, bodies error). */
  destroy(): Promise<void>;
}

interface PoolEntry {
  readonly origin: string;
  readonly connections: number;
  readonly pool: Pool;
  lastUsedAt: number;
}

const DEFAULT_CONNECTIONS = 256;
const DEFAULT_IDLE_POOL_TIMEOUT_MS = 60_000;

/** `checkSendable`'s verdict on a request's `content-length` alone (undici: 1*DIGIT), if it has one. */
function contentLengthProblem(request: UpstreamRequest): Unsendable | undefined {
  const cl = request.headers['content-length'];
  return cl === undefined ? undefined : checkSendable({ method: 'GET', path: '/', headers: { 'content-length': cl } }, 'undici');
}

/**
 * Creates the Node transport.
 *
 * When to use: the gateway on Node (the Express, Fastify and Hono-on-Node adapters). On edge
 * runtimes use `@switchyard/transport-fetch`.
 *
 * Gotchas:
 * - The response body streams from the socket (an async iterable that can also `pipe` into a
 *   Node writable; not a full `stream.Readable`: wrap it with `Readable.from` if you need one).
 *   Consume it, destroy it or abort the signal, or the socket stays busy once 64 KiB are
 *   buffered. Breaking out of `for await` releases it too.
 * - Aborting with a `TimeoutError` reason (`AbortSignal.timeout(ms)`) yields `timeout`;
 *   any other reason yields `canceled`.
 * - A request undici would refuse (core's `checkSendable(request, 'undici')`) resolves to
 *   `invalid-request` without touching a pool; a refusal undici makes anyway, or a throw from
 *   `dispatch`, resolves to `local`. Neither ever leaves a pool waiting for a drain.
 * - `connection`, `keep-alive`, `transfer-encoding`, `upgrade` and `expect` request headers are
 *   dropped (undici owns the upstream connection); the same connection-level response
 *   headers are dropped too, so an adapter never re-sends `transfer-encoding: chunked`.
 *
 * @example
 * ```ts
 * import { createEndpoint, createAbortController } from '@switchyard/core';
 * import { createUndiciTransport } from '@switchyard/transport-undici';
 *
 * const transport = createUndiciTransport({ connections: 64, headersTimeoutMs: 10_000 });
 * const endpoint = createEndpoint({ url: 'http://localhost:8080' });
 * const ac = createAbortController();
 * const result = await transport.send({ method: 'GET', path: '/health', headers: {} }, endpoint, { signal: ac.signal });
 * if (result.kind === 'response') {
 *   for await (const chunk of result.response.body as AsyncIterable<Uint8Array>) process.stdout.write(chunk);
 * } else {
 *   console.error(result.error, result.message); // e.g. connect: cannot connect to http://localhost:8080: connect ECONNREFUSED 127.0.0.1:8080
 * }
 * await transport.close();
 * ```
 */
export function createUndiciTransport(options: UndiciTransportOptions = {}): UndiciTransport {
  const clock = options.clock ?? systemClock;
  const idlePoolTimeoutMs = options.idlePoolTimeoutMs ?? DEFAULT_IDLE_POOL_TIMEOUT_MS;
  const poolOptions = buildPoolOptions(options);
  const defaultConnections = poolOptions.connections as number;
  // Keyed by origin, plus the cap when an endpoint has its own: `origin` or `origin <cap>`.
  const pools = new Map<string, PoolEntry>();
  // Caps set by configureEndpoint; weak, so endpoints that leave the config take theirs along.
  const caps = new WeakMap<Endpoint, number>();
  let closed = false;
  let lastSweepAt = clock.now();

  function poolFor(origin: string, connections: number, now: number): Pool {
    const key = connections === defaultConnections ? origin : `${origin} ${connections}`;
    let entry = pools.get(key);
    if (entry === undefined) {
      entry = { origin, connections, pool: new Pool(origin, connections === defaultConnections ? poolOptions : { ...poolOptions, connections }), lastUsedAt: now };
      pools.set(key, entry);
    } else {
      entry.lastUsedAt = now;
    }
    return entry.pool;
  }

  function sweep(now: number): void {
    if (idlePoolTimeoutMs <= 0 || now - lastSweepAt < idlePoolTimeoutMs) return;
    lastSweepAt = now;
    for (const [key, entry] of pools) {
      const s = entry.pool.stats;
      if (now - entry.lastUsedAt >= idlePoolTimeoutMs && s.running + s.pending + s.queued === 0) {
        pools.delete(key);
        entry.pool.close().catch(() => {});
      }
    }
  }

  function send(request: UpstreamRequest, endpoint: Endpoint, { signal, idleTimeoutMs }: TransportSendOptions): Promise<TransportResult> {
    const origin = endpoint.url;
    if (signal.aborted) return Promise.resolve(fail(classifyAbort(signal, origin), signal.reason));
    if (closed) return Promise.resolve(fail({ error: 'canceled', message: `transport is closed; not sending to ${origin}` }));
    // Exactly undici's rules, checked before the pool sees the request: a request undici refuses
    // is the caller's (the client's) fault, answered without touching a connection.
    // A `CheckedRequest` (the rewriter's output) had these rules applied as it was built, all but
    // the content-length digits: only that header is looked at again (see core's CheckedRequest).
    const unsendable = request instanceof CheckedRequest ? contentLengthProblem(request) : checkSendable(request, 'undici');
    if (unsendable !== undefined) return Promise.resolve(fail({ error: 'invalid-request', message: describeUnsendable(unsendable) }));
    const now = clock.now();
    sweep(now);
    const pool = poolFor(origin, caps.get(endpoint) ?? defaultConnections, now);

    const body = request.body;
    const bodyKind = body === undefined ? 'none' : typeof body === 'string' || body instanceof Uint8Array ? 'bytes' : 'stream';
    // A failure of the request body's source (the downstream client went away mid-upload) is
    // not the upstream's fault: remember it so the result says `canceled`, not `reset`.
    const upload: { error?: unknown } = {};
    const dispatchBody = bodyKind === 'stream' ? trackedStream(body as AsyncIterable<Uint8Array | string>, upload) : (body as string | Uint8Array | undefined);

    const headers = requestHeaders(request.headers, bodyKind);

    return new Promise<TransportResult>((resolve) => {
      let settled = false;
      const settle = (result: TransportResult): void => {
        if (settled) return;
        settled = true;
        removeAbort();
        resolve(result);
      };
      const handler = new SendHandler({
        onResponse(status, headers, body) {
          if (settled) {
            body.destroy();
            return;
          }
          settled = true;
          // The signal stays armed until the body ends: aborting it then closes the socket.
          body.once('close', removeAbort);
          resolve({ kind: 'response', response: { status, headers, body } });
        },
        onFailure(err) {
          if (settled) return;
          if (signal.aborted) return settle(fail(classifyAbort(signal, origin), err));
          if (upload.error !== undefined) {
            return settle(fail({ error: 'canceled', message: `request body for ${origin} failed: ${describe(upload.error)}` }, upload.error));
          }
          const code = (err as { code?: unknown } | null)?.code;
          if (code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') {
            return settle(fail({ error: 'canceled', message: `request body for ${origin} did not match its content-length: ${describe(err)}` }, err));
          }
          const classified = classifyNetworkError(err, origin);
          if (classified !== undefined) return settle(fail(classified, err));
          // Not a network fault: undici refused the request (its own validation, after ours
          // passed) or the pool was closed under us. The transport's side, never the endpoint's.
          return settle(fail({ error: 'local', message: `undici refused the request to ${origin}: ${describe(err)}` }, err));
        },
      });
      const removeAbort = onAbort(signal, () => {
        handler.abort(signal.reason);
        settle(fail(classifyAbort(signal, origin), signal.reason));
      });
      // `dispatch` reports a refusal through `handler.onError` (above) and returns false; a false
      // return is otherwise back-pressure (the pool queued it): neither needs anything here. A
      // synchronous throw is a bug on our side of the call (a callback threw): 'local'.
      try {
        pool.dispatch(
          {
            method: request.method as Dispatcher.HttpMethod,
            path: request.path,
            headers,
            // undici streams any (async) iterable; its typings only list Readable.
            body: (dispatchBody ?? null) as NonNullable<Dispatcher.DispatchOptions['body']> | null,
            // The route's idle timeout between response chunks, per request (undici's bodyTimeout;
            // `null` keeps the pool's, request.js `bodyTimeout != null`). One options shape
            // for every request, no spread of a temporary object.
            bodyTimeout: idleTimeoutMs !== undefined && idleTimeoutMs > 0 ? idleTimeoutMs : null,
          },
          handler as unknown as Dispatcher.DispatchHandler,
        );
      } catch (err) {
        handler.abort(err);
        settle(fail({ error: 'local', message: `dispatch to ${origin} threw: ${describe(err)}` }, err));
      }
    });
  }

  async function closeAll(how: 'close' | 'destroy'): Promise<void> {
    closed = true;
    const entries = [...pools.values()];
    pools.clear();
    await Promise.all(entries.map((e) => (how === 'close' ? e.pool.close() : e.pool.destroy()).catch(() => {})));
  }

  return {
    send,
    configureEndpoint(endpoint, { maxConnections }) {
      if (maxConnections === undefined || !Number.isInteger(maxConnections) || maxConnections < 1) caps.delete(endpoint);
      else caps.set(endpoint, maxConnections);
      return { kind: 'pooled', maxConnections: caps.get(endpoint) ?? defaultConnections };
    },
    stats() {
      return [...pools.values()]
        .map(({ origin, connections, pool }) => {
          const s = pool.stats;
          return { origin, maxConnections: connections, connected: s.connected, free: s.free, running: s.running, pending: s.pending, queued: s.queued };
        })
        .sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : a.maxConnections - b.maxConnections));
    },
    async evict(endpoint) {
      const origin = typeof endpoint === 'string' ? endpoint : endpoint.url;
      const closing: Promise<void>[] = [];
      for (const [key, entry] of pools) {
        if (entry.origin !== origin) continue;
        pools.delete(key);
        closing.push(entry.pool.close().catch(() => {}));
      }
      await Promise.all(closing);
    },
    close: () => closeAll('close'),
    destroy: () => closeAll('destroy'),
  };
}

function fail(classified: Classified, cause?: unknown): TransportResult {
  return cause === undefined ? { kind: 'error', ...classified } : { kind: 'error', ...classified, cause };
}

/** The request body as undici will pull it, recording the source's own failure. */
async function* trackedStream(source: AsyncIterable<Uint8Array | string>, state: { error?: unknown }): AsyncGenerator<Uint8Array | string> {
  try {
    for await (const chunk of source) yield chunk;
  } catch (err) {
    state.error = err ?? new Error('request body failed');
    throw err;
  }
}

function buildPoolOptions(o: UndiciTransportOptions): Pool.Options {
  const connect: buildConnector.BuildOptions = {
    ...o.connect,
    autoSelectFamily: o.autoSelectFamily ?? true,
    autoSelectFamilyAttemptTimeout: o.autoSelectFamilyAttemptTimeoutMs ?? 250,
    timeout: o.connectTimeoutMs ?? 10_000,
  };
  const pool: Pool.Options = {
    connections: o.connections ?? DEFAULT_CONNECTIONS,
    pipelining: o.pipelining ?? 1,
    keepAliveTimeout: o.keepAliveTimeoutMs ?? 4_000,
    keepAliveMaxTimeout: o.keepAliveMaxTimeoutMs ?? 600_000,
    headersTimeout: o.headersTimeoutMs ?? 300_000,
    bodyTimeout: o.bodyTimeoutMs ?? 300_000,
    connect,
    factory: trackedFactory,
    ...(o.maxHeaderSizeBytes === undefined ? {} : { maxHeaderSize: o.maxHeaderSizeBytes }),
  };
  return pool;
}
