/**
 * WebSocket (and any HTTP/1.1 `Upgrade:`) proxying for Node servers: one `'upgrade'` dispatcher
 * per server that routes, limits and balances each upgrade through a gateway's `acquire()`, then
 * splices the client socket to the chosen endpoint's socket.
 *
 * Modelled on the upgrade path of node-http-proxy (`ws-incoming.js`) and Envoy's
 * `upgrade_configs`: the handshake is forwarded as an HTTP/1.1 request, a `101 Switching
 * Protocols` answer is relayed verbatim and the two sockets are piped both ways; any other answer
 * is relayed as a plain HTTP response and the connection closed. It is typed structurally so this
 * package needs no dependency on the gateway.
 */
import { STATUS_CODES, request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Acquired, Outcome, OutcomeErrorKind, SwitchyardErrorCode, SyRequest, SyResponse } from '@switchyard/core';

/**
 * What {@link AttachUpgradeOptions.acquire} returns: `@switchyard/core`'s `Acquired`, the shape
 * `gateway.acquire` returns, so it plugs in directly.
 *
 * @deprecated Use `Acquired` from `@switchyard/core`.
 */
export type AcquireLike = Acquired;

/** The part of `http.Server` (or `https.Server`, `fastify.server`) the dispatcher uses. */
export interface UpgradeServerLike {
  on(event: 'upgrade', listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): unknown;
  removeListener(event: 'upgrade', listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): unknown;
}

/** Options of {@link attachUpgrade}. */
export interface AttachUpgradeOptions {
  /** Routes, limits and balances one upgrade request: pass `gateway.acquire`. */
  readonly acquire: (request: SyRequest) => Promise<Acquired>;
  /**
   * Builds the {@link SyRequest} from the Node request. The adapters pass the gateway's
   * `fromNodeRequest`; the default is an equivalent minimal conversion (no body: an upgrade
   * request has none).
   */
  readonly toRequest?: ((req: IncomingMessage) => SyRequest) | undefined;
  /** Told about failures (acquire threw, upstream refused or broke); the client has already been answered. */
  readonly onError?: ((error: unknown, req: IncomingMessage) => void) | undefined;
  /**
   * Monotonic milliseconds used for the outcomes reported through `release()`. Must be the same
   * clock as the gateway's: the default, `performance.now()`, matches `systemClock`.
   */
  readonly now?: (() => number) | undefined;
  /** How long the upstream has to answer the handshake before the client gets a 504. Default 10 000. */
  readonly handshakeTimeoutMs?: number | undefined;
  /**
   * Builds the dispatcher's own answers (400 malformed request, 500, 502 upstream unreachable or
   * reset, 504 handshake timeout): the adapters pass the gateway's `errorResponse`, so these go
   * through its error formatter like every other gateway-made response. `message` is internal.
   * Default: `{ error, message }` JSON.
   */
  readonly errorResponse?: ((code: SwitchyardErrorCode, request: SyRequest | undefined, options: { readonly message: string; readonly status: number }) => SyResponse) | undefined;
}

/** A running dispatcher, returned by {@link attachUpgrade}. */
export interface UpgradeDispatcher {
  /** Proxied connections currently open (handshakes in progress included). */
  readonly active: number;
  /** Removes the `'upgrade'` listener. Connections already spliced stay open. Idempotent. */
  detach(): void;
}

// On the server object rather than in a module-level WeakSet: no module state, and two copies of
// this package still see each other's mark.
const ATTACHED = Symbol.for('switchyard.upgrade.attached');

// Hop-by-hop or framing headers never copied into a relayed response (we write close-delimited bodies).
const DROP_ON_RELAY = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'proxy-connection', 'upgrade']);

/**
 * Installs ONE `'upgrade'` listener on `server` that proxies WebSocket (and other HTTP/1.1
 * upgrade) handshakes through `acquire`:
 *
 * - `respond` (no route 404, rate-limited 429, no healthy endpoint 503, …): the response is written
 *   to the raw socket with `Connection: close`, and the socket closed;
 * - `endpoint`: the rewritten handshake is sent to `endpoint.url + request.path` with the
 *   upgrade headers of the original request (`upgrade`, `connection`, `sec-websocket-*`) put
 *   back; a `101` is relayed and the two sockets piped both ways until either side closes; any
 *   other status is relayed as a response; a refused/reset/slow upstream yields 502/502/504.
 *   `release()` is called exactly once, with an error outcome when the upstream failed.
 *
 * When to use: on Node `http`/`https` servers (Express's `app.listen()` return value,
 * `fastify.server`, `@hono/node-server`'s `serve()`). The framework adapters wrap this with
 * `@switchyard/gateway`'s `nodeUpgradeBinding` (`@switchyard/express`, `@switchyard/fastify`,
 * `@switchyard/hono/node` `attachUpgrade(server, gateway)`).
 *
 * Gotchas: the dispatcher owns the server's upgrade requests: do not also attach another
 * `'upgrade'` handler (e.g. a `ws` server on the same `server`), both would answer. Attaching
 * twice to the same server throws (the `@fastify/http-proxy` "handleUpgrade() was called more
 * than once" bug). Nothing per message is inspected, retried or mirrored: once spliced the
 * connection is opaque bytes.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createGateway, nodeUpgradeBinding } from '@switchyard/gateway';
 * import { attachUpgrade, createUndiciTransport } from '@switchyard/transport-undici';
 *
 * const gateway = createGateway(config, { transport: createUndiciTransport() });
 * const server = createServer(handler);
 * // nodeUpgradeBinding: the gateway side every adapter (Express, Fastify, Hono) passes here.
 * const ws = attachUpgrade(server, nodeUpgradeBinding(gateway));
 * server.listen(8080);
 * // later: ws.detach();
 * ```
 */
export function attachUpgrade(server: UpgradeServerLike, options: AttachUpgradeOptions): UpgradeDispatcher {
  const marked = server as unknown as Record<symbol, unknown>;
  if (marked[ATTACHED] === true) {
    throw new Error('attachUpgrade: this server already has a switchyard upgrade dispatcher; attach once per server (detach() the first one to replace it)');
  }
  const acquire = options.acquire;
  const toRequest = options.toRequest ?? defaultToRequest;
  const onError = options.onError;
  const formatted = options.errorResponse;
  const fail = (status: number, code: SwitchyardErrorCode, message: string, request: SyRequest | undefined): SyResponse =>
    formatted === undefined ? errorResponse(status, code, message) : formatted(code, request, { message, status });
  const now = options.now ?? (() => performance.now());
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
  let active = 0;
  let attached = true;

  const listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    active++;
    let done = false;
    const finished = (): void => {
      if (done) return;
      done = true;
      active--;
    };
    socket.once('close', finished);
    void dispatch(req, socket, head).catch((err: unknown) => {
      onError?.(err, req);
      socket.destroy();
    });
  };

  async function dispatch(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // Until the sockets are spliced, a client error only means "gone": never an unhandled 'error'.
    const swallow = (): void => {};
    socket.on('error', swallow);
    let syReq: SyRequest;
    try {
      syReq = toRequest(req);
    } catch (err) {
      onError?.(err, req);
      writeRawResponse(socket, fail(400, 'SY_BAD_REQUEST', 'malformed upgrade request', undefined));
      return;
    }
    let acquired: Acquired;
    try {
      acquired = await acquire(syReq);
    } catch (err) {
      onError?.(err, req);
      writeRawResponse(socket, fail(500, 'SY_INVALID_ARGUMENT', 'upgrade dispatch failed', syReq));
      return;
    }
    if (acquired.kind === 'respond') {
      writeRawResponse(socket, acquired.response);
      return;
    }
    proxy(req, socket, head, acquired, swallow, syReq);
  }

  function proxy(req: IncomingMessage, socket: Duplex, head: Buffer, acquired: Extract<Acquired, { kind: 'endpoint' }>, swallow: () => void, syReq: SyRequest): void {
    const { endpoint, request } = acquired;
    const started = now();
    let released = false;
    const release = (outcome: Outcome): void => {
      if (released) return;
      released = true;
      acquired.release(outcome);
    };
    const errorOutcome = (error: OutcomeErrorKind): Outcome => {
      const at = now();
      return { kind: 'error', endpoint, error, latencyMs: at - started, at };
    };

    if (socket.destroyed) {
      // The client left while we were routing: nothing was sent, nobody is to blame.
      release(errorOutcome('canceled'));
      return;
    }

    const target = new URL(endpoint.url);
    const upReq: ClientRequest = (target.protocol === 'https:' ? httpsRequest : httpRequest)({
      protocol: target.protocol,
      hostname: target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname,
      port: target.port === '' ? undefined : Number(target.port),
      method: request.method,
      path: request.path,
      headers: upgradeHeaders(request.headers, req.headers),
      // A dedicated connection: it becomes the tunnel, it is never returned to a pool.
      agent: false,
      timeout: handshakeTimeoutMs,
    });
    let connected = false;
    let answered = false;
    upReq.once('socket', (s) => {
      s.once('connect', () => {
        connected = true;
      });
    });

    const onClientGone = (): void => {
      if (answered) return;
      answered = true;
      upReq.destroy();
      release(errorOutcome('canceled'));
    };
    socket.once('close', onClientGone);

    upReq.once('timeout', () => {
      if (answered) return;
      answered = true;
      socket.removeListener('close', onClientGone);
      upReq.destroy();
      release(errorOutcome('timeout'));
      onError?.(new Error(`upstream ${endpoint.url} did not answer the upgrade within ${handshakeTimeoutMs} ms`), req);
      writeRawResponse(socket, fail(504, 'SY_UPSTREAM_TIMEOUT', `upstream ${endpoint.id} did not answer the upgrade in time`, syReq));
    });

    upReq.on('error', (err) => {
      if (answered) return;
      answered = true;
      socket.removeListener('close', onClientGone);
      const kind: OutcomeErrorKind = connected ? 'reset' : 'connect';
      release(errorOutcome(kind));
      onError?.(err, req);
      writeRawResponse(
        socket,
        fail(502, kind === 'connect' ? 'SY_UPSTREAM_CONNECT' : 'SY_UPSTREAM_RESET', kind === 'connect' ? `could not connect to upstream ${endpoint.id}` : `upstream ${endpoint.id} reset the connection`, syReq),
      );
    });

    upReq.once('response', (res: IncomingMessage) => {
      // The upstream declined the upgrade: relay its answer as a plain response and close.
      if (answered) {
        res.destroy();
        return;
      }
      answered = true;
      socket.removeListener('close', onClientGone);
      const at = now();
      release({ kind: 'response', endpoint, status: res.statusCode ?? 502, latencyMs: at - started, at });
      socket.write(head101OrOther(res.statusCode ?? 502, res.statusMessage, res.rawHeaders, true));
      res.on('error', () => socket.destroy());
      socket.once('close', () => res.destroy());
      res.pipe(socket);
    });

    upReq.once('upgrade', (res: IncomingMessage, upSocket: Duplex, upHead: Buffer) => {
      if (answered) {
        upSocket.destroy();
        return;
      }
      answered = true;
      socket.removeListener('close', onClientGone);
      const handshakeMs = now() - started;
      upReq.setTimeout(0);
      let upstreamBroke = false;
      let closed = false;
      const close = (): void => {
        if (closed) return;
        closed = true;
        socket.destroy();
        upSocket.destroy();
        const at = now();
        // Latency is the handshake, not the session's lifetime: balancers average it.
        release(upstreamBroke ? { kind: 'error', endpoint, error: 'reset', latencyMs: handshakeMs, at } : { kind: 'response', endpoint, status: 101, latencyMs: handshakeMs, at });
      };
      upSocket.on('error', () => {
        if (!closed) upstreamBroke = true;
        close();
      });
      socket.removeListener('error', swallow);
      socket.on('error', close);
      upSocket.once('close', close);
      socket.once('close', close);
      setNoDelay(socket);
      setNoDelay(upSocket);
      socket.write(head101OrOther(res.statusCode ?? 101, res.statusMessage, res.rawHeaders, false));
      if (upHead.length > 0) socket.write(upHead);
      if (head.length > 0) upSocket.write(head);
      upSocket.pipe(socket);
      socket.pipe(upSocket);
    });

    upReq.end();
  }

  server.on('upgrade', listener);
  marked[ATTACHED] = true;

  return {
    get active(): number {
      return active;
    },
    detach(): void {
      if (!attached) return;
      attached = false;
      server.removeListener('upgrade', listener);
      delete marked[ATTACHED];
    },
  };
}

function setNoDelay(socket: Duplex): void {
  const s = socket as Duplex & { setNoDelay?: (noDelay?: boolean) => unknown; setTimeout?: (ms: number) => unknown };
  s.setNoDelay?.(true);
  s.setTimeout?.(0);
}

/** The handshake sent upstream: the rewritten headers plus the upgrade headers the rewriter strips as hop-by-hop. */
function upgradeHeaders(rewritten: Readonly<Record<string, string | undefined>>, original: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in rewritten) {
    const v = rewritten[name];
    if (v !== undefined) out[name] = v;
  }
  for (const name in original) {
    if (name.startsWith('sec-websocket-') && out[name] === undefined) {
      const v = original[name];
      if (v !== undefined) out[name] = v;
    }
  }
  out['connection'] = 'Upgrade';
  out['upgrade'] = original.upgrade ?? 'websocket';
  return out;
}

/** Status line and headers of a relayed upstream answer. */
function head101OrOther(status: number, message: string | undefined, rawHeaders: readonly string[], close: boolean): string {
  let s = `HTTP/1.1 ${status} ${message ?? STATUS_CODES[status] ?? ''}\r\n`;
  // A relayed answer drops the upstream's Connection, and with it the fields it names (RFC 9110 §7.6.1).
  let named: Set<string> | undefined;
  if (close) {
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      if (rawHeaders[i]!.toLowerCase() !== 'connection') continue;
      for (const option of rawHeaders[i + 1]!.split(',')) (named ??= new Set()).add(option.trim().toLowerCase());
    }
  }
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    // A 101's Connection/Upgrade pair is the handshake itself: keep it. Other answers are close-delimited.
    if (close && (DROP_ON_RELAY.has(name.toLowerCase()) || named?.has(name.toLowerCase()) === true)) continue;
    s += `${name}: ${rawHeaders[i + 1]!}\r\n`;
  }
  if (close) s += 'Connection: close\r\n';
  return `${s}\r\n`;
}

function errorResponse(status: number, code: string, message: string): SyResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: code, message }) };
}

/** Writes `response` as a complete HTTP/1.1 message with `Connection: close` to a raw socket, then closes it. */
function writeRawResponse(socket: Duplex, response: SyResponse): void {
  if (socket.destroyed) return;
  void bodyBytes(response.body).then(
    (body) => {
      if (socket.destroyed) return;
      let s = `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}\r\n`;
      for (const name in response.headers) {
        if (DROP_ON_RELAY.has(name)) continue;
        const v = response.headers[name];
        if (v === undefined) continue;
        for (const one of typeof v === 'string' ? [v] : v) s += `${name}: ${one}\r\n`;
      }
      s += `content-length: ${body.length}\r\nConnection: close\r\n\r\n`;
      socket.end(Buffer.concat([Buffer.from(s, 'latin1'), body]), () => socket.destroy());
    },
    () => socket.destroy(),
  );
}

const MAX_RESPONSE_BODY_BYTES = 64 * 1024;

async function bodyBytes(body: SyResponse['body']): Promise<Buffer> {
  if (body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // Gateway-made answers are small; cap anything else rather than buffer it without bound.
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > MAX_RESPONSE_BODY_BYTES) throw new Error('response body too large for an upgrade refusal');
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks);
}

/** Minimal Node → SyRequest conversion, used when no `toRequest` is given. */
function defaultToRequest(req: IncomingMessage): SyRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const headers: Record<string, string | undefined> = {};
  for (const name in req.headers) {
    const v = req.headers[name];
    headers[name] = Array.isArray(v) ? v.join(name === 'cookie' ? '; ' : ', ') : v;
  }
  const socket = req.socket as (typeof req.socket & { encrypted?: boolean }) | null;
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    scheme: socket?.encrypted === true ? 'https' : 'http',
    authority: (req.headers.host ?? '').toLowerCase(),
    path: q < 0 ? url : url.slice(0, q),
    query: q < 0 ? '' : url.slice(q + 1),
    headers,
    clientAddress: socket?.remoteAddress,
    attributes: {},
  };
}
