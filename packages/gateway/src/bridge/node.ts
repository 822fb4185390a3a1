/**
 * Bridges between Node's `http` request/response objects and switchyard's shapes, typed
 * structurally so the gateway stays free of Node types and runs wherever `node:http`-compatible
 * servers exist (Node, Bun, Deno's compat layer). Express and Fastify (`request.raw`,
 * `reply.raw`) hand these objects over as they are.
 */
import { createLightAbortController, removeConnectionOptions, type AbortSignalLike, type SyRequest, type SyResponse } from '@switchyard/core';
import { lowerCased, NO_ATTRIBUTES, upperCased } from '../request-shape.js';

/** The part of `http.IncomingMessage` the bridge reads. */
export interface NodeRequestLike extends AsyncIterable<Uint8Array> {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /**
   * Present on Node's own `IncomingMessage` (and on servers that copy it: Bun, light-my-request):
   * then `headers` follows Node's rules, where only `set-cookie` is ever an array (duplicates of
   * every other field are joined or dropped by Node itself).
   */
  readonly rawHeaders?: readonly string[] | undefined;
  readonly socket?: { readonly remoteAddress?: string | undefined; readonly encrypted?: boolean | undefined } | null | undefined;
  /** True once the body has been read (e.g. by a body parser): it cannot be streamed again. */
  readonly readableEnded?: boolean | undefined;
}

// Deliberately alike: forward.ts ForwardPolicy — only the shape of documented readonly fields is shared, no logic.
/** The part of `http.ServerResponse` the bridge writes. */
export interface NodeResponseLike {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished?: boolean | undefined;
  readonly destroyed?: boolean | undefined;
  writeHead(status: number, headers: Record<string, string | string[]>): unknown;
  write(chunk: Uint8Array | string): boolean;
  end(chunk?: Uint8Array | string): unknown;
  once(event: 'drain' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
  removeListener(event: 'drain' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
  destroy(error?: unknown): unknown;
}

/**
 * The TCP peer of a Node socket, read from Node once per connection: `socket.remoteAddress` is a
 * getter that is costly to call (a native peer-name read the first time,
 * then loads that go megamorphic across a server's sockets), and a connection's peer never
 * changes. What {@link fromNodeRequest} uses when it is not given a client address.
 */
export function nodePeerAddress(socket: { readonly remoteAddress?: string | undefined } | null | undefined): string | undefined {
  if (socket === null || socket === undefined) return undefined;
  let address = peers.get(socket);
  if (address === undefined) {
    address = socket.remoteAddress;
    if (address !== undefined) peers.set(socket, address);
  }
  return address;
}
const peers = new WeakMap<object, string>();

/** Options of {@link fromNodeRequest}. */
export interface FromNodeOptions {
  /** Request attributes to attach (identity, API-key metadata, geo). */
  readonly attributes?: Readonly<Record<string, unknown>> | undefined;
  /** Overrides the scheme (when TLS terminates in front of Node). */
  readonly scheme?: 'http' | 'https' | undefined;
  /**
   * The client address as the framework resolved it (its trust-proxy setting); when the key is
   * present, even as `undefined`, it replaces the socket's peer address.
   */
  readonly clientAddress?: string | undefined;
  /** The request target to use instead of `req.url` (Express's `originalUrl` under a mount path). */
  readonly url?: string | undefined;
  /**
   * `;` also ends the path, and what follows is the query (find-my-way's `useSemicolonDelimiter`,
   * which Fastify exposes as `routerOptions.useSemicolonDelimiter`). Default false, as Express,
   * Hono and Fastify 5 by default: there `/admin;x` is its own path.
   */
  readonly semicolonDelimiter?: boolean | undefined;
}

/** A request target split into what routing reads. */
interface SplitTarget {
  readonly path: string;
  readonly query: string;
  /** The authority of an absolute-form target (RFC 9112 §3.2.2), or undefined. */
  readonly authority: string | undefined;
}

/** `scheme://` at the start of a target: the absolute form (RFC 3986 §3.1 scheme syntax). */
const ABSOLUTE_FORM = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/**
 * Splits a request target the way the frameworks that hand it over do, so that a decision made
 * on `path` is about the handler the framework will run:
 * - origin form: the path ends at the first `?` (Express's `parseurl`, find-my-way, Hono's
 *   `getPath`); with `semicolonDelimiter`, at the first `?` or `;` (find-my-way).
 * - absolute form `http(s)://host/path?query` (RFC 9112 §3.2.2, which Express, Fastify and Hono
 *   all route by its path): the path and query after the authority (`/` when empty), and the
 *   authority replaces `Host`, as the RFC requires of the server. Any other scheme, or userinfo in
 *   the authority (RFC 9110 §4.2.4: an error), leaves the target whole, so routing answers 400.
 * - `#`: a fragment is never part of a request target (RFC 9112 §3.2), yet Express, Fastify and
 *   Hono cut the path at it (`/admin#x` runs `/admin`), and after a `?` Express ends the query
 *   there while Fastify keeps it in the query string. It is left in place (path or query), and
 *   the router refuses it with 400, as Envoy does since 1.19.1, instead of deciding on a
 *   path or query no framework reads the same way.
 */
function splitTarget(url: string, semicolon: boolean): SplitTarget {
  let start = 0;
  let authority: string | undefined;
  if (url.charCodeAt(0) !== 47) {
    const m = ABSOLUTE_FORM.exec(url);
    if (m === null) return { path: url, query: '', authority: undefined };
    const scheme = (m[1] as string).toLowerCase();
    const from = m[0].length;
    let end = from;
    while (end < url.length) {
      const c = url.charCodeAt(end);
      if (c === 47 || c === 63 || c === 35) break;
      end++;
    }
    authority = url.slice(from, end);
    if ((scheme !== 'http' && scheme !== 'https') || authority === '' || authority.includes('@')) return { path: url, query: '', authority: undefined };
    start = end;
  }
  let q = url.indexOf('?', start);
  if (semicolon) {
    const sc = url.indexOf(';', start);
    if (sc >= 0 && (q < 0 || sc < q)) q = sc;
  }
  // A `#` stays where it is, in the path or in the query: the router refuses either (400).
  const path = q < 0 ? url.slice(start) : url.slice(start, q);
  return { path: path === '' ? '/' : path.charCodeAt(0) === 47 ? path : `/${path}`, query: q < 0 ? '' : url.slice(q + 1), authority };
}

/**
 * Converts a Node request into a {@link SyRequest}, without copying headers (Node already
 * lower-cases them and joins repeats). The body streams from the request itself. The target is
 * split as Express, Fastify and Hono split it (see `splitTarget`): decide mode must decide on
 * the path whose handler the framework runs; a `#` stays in the path or query (the router's 400).
 */
export function fromNodeRequest(req: NodeRequestLike, options: FromNodeOptions = {}): SyRequest {
  const url = options.url ?? req.url ?? '/';
  let path: string;
  let query = '';
  let targetAuthority: string | undefined;
  // The common target (origin form, no `;` split) costs one scan and no allocation beyond the slices.
  const q = url.indexOf('?');
  if (url.charCodeAt(0) === 47 && options.semicolonDelimiter !== true) {
    path = q < 0 ? url : url.slice(0, q);
    if (q >= 0) query = url.slice(q + 1);
  } else {
    const t = splitTarget(url, options.semicolonDelimiter === true);
    path = t.path;
    query = t.query;
    targetAuthority = t.authority;
  }
  const headers = req.headers as Record<string, string | readonly string[] | undefined>;
  let flat: Record<string, string | undefined> | undefined;
  if (req.rawHeaders !== undefined) {
    // Node's rules: set-cookie is the one array (a request rarely carries it); no walk over every
    // header (the walk cost about as much as the rest of this function).
    const setCookie = headers['set-cookie'];
    if (setCookie !== undefined && typeof setCookie !== 'string') flat = { ...(headers as Record<string, string | undefined>), 'set-cookie': setCookie.join(', ') };
  } else {
    for (const name in headers) {
      const v = headers[name];
      if (typeof v !== 'string' && v !== undefined) {
        flat ??= { ...(headers as Record<string, string | undefined>) };
        flat[name] = v.join(name === 'cookie' ? '; ' : ', ');
      }
    }
  }
  const method = upperCased(req.method ?? 'GET');
  const host = headers['host'] ?? headers[':authority'];
  const hasBody = headers['content-length'] !== undefined ? headers['content-length'] !== '0' : headers['transfer-encoding'] !== undefined;
  return {
    method,
    scheme: options.scheme ?? (req.socket?.encrypted === true ? 'https' : 'http'),
    authority: lowerCased(targetAuthority ?? (typeof host === 'string' ? host : String(host ?? ''))),
    path,
    query,
    headers: flat ?? (headers as Record<string, string | undefined>),
    clientAddress: 'clientAddress' in options ? options.clientAddress : nodePeerAddress(req.socket),
    attributes: options.attributes ?? NO_ATTRIBUTES,
    body: hasBody && req.readableEnded !== true ? req : undefined,
  };
}

/**
 * Response headers as Node's `writeHead` (or a framework's `reply.headers`) takes them: the
 * object itself unless a value is `undefined` (Node would throw), then a copy without those.
 * A `Connection` header (an upstream's, passed on by a transport or a hand-built response) is
 * dropped with the fields it names (RFC 9110 §7.6.1): it describes another connection, and
 * `Connection: close, x-secret` must not deliver `x-secret`.
 */
export function nodeHeaders(headers: SyResponse['headers']): Record<string, string | string[]> {
  const connection = headers['connection'];
  if (connection !== undefined) {
    const out: Record<string, string | string[]> = {};
    for (const n in headers) {
      const v = headers[n];
      if (v !== undefined && n !== 'connection') out[n] = v as string | string[];
    }
    return removeConnectionOptions(out, connection);
  }
  for (const name in headers) {
    if (headers[name] !== undefined) continue;
    const out: Record<string, string | string[]> = {};
    for (const n in headers) {
      const v = headers[n];
      if (v !== undefined) out[n] = v as string | string[];
    }
    return out;
  }
  return headers as Record<string, string | string[]>;
}

/**
 * An AbortSignal that fires if the client goes away before `res` has been fully written,
 * so the upstream try is cancelled and its connection released (http-proxy-middleware #782).
 */
export function clientAbortSignal(res: NodeResponseLike): AbortSignalLike {
  const controller = createLightAbortController();
  res.once('close', () => {
    if (res.writableFinished !== true) controller.abort();
  });
  return controller.signal;
}

/**
 * Writes `response` to `res`, streaming the body with back-pressure. If the client goes away
 * mid-body the upstream body is closed (its iterator's `return()`), releasing the upstream
 * connection. If headers were already sent by someone else, the socket is destroyed rather than
 * written twice (fast-gateway #69). Resolves when done; never rejects.
 */
export async function writeNodeResponse(res: NodeResponseLike, response: SyResponse): Promise<void> {
  if (res.headersSent || res.writableEnded) {
    res.destroy();
    return;
  }
  res.writeHead(response.status, nodeHeaders(response.headers));
  const body = response.body;
  if (body === null) {
    res.end();
    return;
  }
  if (typeof body === 'string' || body instanceof Uint8Array) {
    res.end(body);
    return;
  }
  if (isNodeReadable(body)) return pipeNodeBody(res, body);
  const iterator = body[Symbol.asyncIterator]();
  let closed = false;
  const onClose = (): void => {
    closed = true;
  };
  res.once('close', onClose);
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) break;
      if (closed || res.destroyed === true) break;
      if (!res.write(next.value)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.removeListener('drain', done);
            res.removeListener('close', done);
            resolve();
          };
          res.once('drain', done);
          res.once('close', done);
        });
      }
    }
    if (!closed && res.destroyed !== true) res.end();
    else await iterator.return?.();
  } catch (err) {
    // The upstream broke mid-body: the status is already sent, so the only honest signal left
    // to the client is an aborted connection.
    res.destroy(err);
    await Promise.resolve(iterator.return?.()).catch(() => {});
  } finally {
    res.removeListener('close', onClose);
  }
}

/** The part of a Node `Readable` (undici's response body) the pipe path uses. */
interface NodeReadableLike {
  pipe(destination: NodeResponseLike): unknown;
  once(event: 'error', listener: (error: unknown) => void): unknown;
  removeListener(event: 'error', listener: (error: unknown) => void): unknown;
  destroy(error?: unknown): unknown;
  readonly destroyed?: boolean | undefined;
}

function isNodeReadable(body: object): body is NodeReadableLike {
  const b = body as Partial<NodeReadableLike>;
  return typeof b.pipe === 'function' && typeof b.once === 'function' && typeof b.destroy === 'function';
}

/**
 * Streams a Node body with `pipe` (back-pressure by the stream machinery, no promise per chunk).
 * The client leaving first destroys the body (the transport then releases the upstream socket);
 * the body failing first destroys the response. Resolves when the response closes.
 */
function pipeNodeBody(res: NodeResponseLike, body: NodeReadableLike): Promise<void> {
  return new Promise<void>((resolve) => {
    const onError = (err: unknown): void => {
      // The status is already sent: an aborted connection is the only honest signal left.
      res.destroy(err);
    };
    const onClose = (): void => {
      body.removeListener('error', onError);
      if (res.writableFinished !== true && body.destroyed !== true) body.destroy();
      resolve();
    };
    body.once('error', onError);
    res.once('close', onClose);
    body.pipe(res);
  });
}
