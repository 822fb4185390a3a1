/**
 * `switchyard()` for Express 4 and 5: a `(req, res, next)` middleware in proxy or decide mode.
 * No traffic logic here: the gateway decides and forwards; the Node bridge of
 * `@switchyard/gateway` streams bodies with back-pressure, cancels upstream tries when the client
 * goes away, and is the single writer of the response. Express is typed structurally, so both
 * majors (and `@types/express` or none) fit.
 */
import type { SyRequest, SyResponse } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import { isNoRoute, clientAbortSignal, fromNodeRequest, nodePeerAddress, responseCode, writeNodeResponse, type Decision, type Gateway, type HandleOptions, type NodeRequestLike, type NodeResponseLike } from '@switchyard/gateway';

/** The decision of decide mode, as stored on `req.switchyard`. */
export type SwitchyardDecision = Extract<Decision, { kind: 'continue' }>;

/** The part of an Express request the middleware reads. */
export interface ExpressRequestLike extends NodeRequestLike {
  /** The full URL (Express strips the mount path from `url`). */
  readonly originalUrl?: string | undefined;
  /** The path the middleware is mounted at, as matched (`/api` under `app.use('/api', …)`; `''` at the root). */
  readonly baseUrl?: string | undefined;
  /** The client address after the app's `trust proxy` setting. */
  readonly ip?: string | undefined;
  /** Set by a body parser that ran before the middleware. */
  readonly body?: unknown;
  switchyard?: SwitchyardDecision | undefined;
}

/** The part of an Express response the middleware writes. */
export interface ExpressResponseLike extends NodeResponseLike {
  setHeader(name: string, value: string): unknown;
}

/** Express's `next`. */
export type NextFunction = (err?: unknown) => void;

/** Options of {@link switchyard}. */
export interface SwitchyardExpressOptions {
  /** The gateway (from `createGateway`), built once at start-up. */
  readonly gateway: Gateway;
  /**
   * `'proxy'` (default): the gateway answers from the upstream. `'decide'`: limits, routing
   * attributes and experiment assignment only, then `next()` with the decision on
   * `req.switchyard` and its rate-limit/experiment headers set on `res`; a 429, redirect or
   * injected fault is answered directly.
   */
  readonly mode?: 'proxy' | 'decide';
  /** No gateway route matches: `'next'` (default) continues to the app; `'respond'` answers 404 `SY_NO_ROUTE`. */
  readonly notFound?: 'next' | 'respond';
  /**
   * Where the client address comes from. `'express'` (default): `req.ip`, i.e. the app's
   * `trust proxy` setting decides (the socket address when it is off). `'socket'`: the TCP peer,
   * leaving `X-Forwarded-For` to the gateway's own `clientIdentity`. Configure one of the two,
   * not both, or trusted hops are skipped twice. Or a function of the request.
   */
  readonly clientAddress?: 'express' | 'socket' | ((req: ExpressRequestLike) => string | undefined);
  /** Request attributes for routing, limits and splits (user id, tier, API-key metadata). */
  readonly attributes?: (req: ExpressRequestLike) => Readonly<Record<string, unknown>>;
  /** `'https'` when TLS terminates in front of Node (default: from the socket). */
  readonly scheme?: 'http' | 'https';
  /**
   * Proxy mode, mounted under a path (`app.use('/api', …)`): the path the upstream sees.
   * `'strip'` (default) sends the path below the mount (`/api/users` → `/users`), as
   * `http-proxy-middleware` 3 proxies `req.url`; `'keep'` sends the full `req.originalUrl`, as
   * `http-proxy-middleware` 2 and `legacyCreateProxyMiddleware` did. Routing, limits and splits
   * always see the full path. A route with its own `rewrite` of the path decides instead.
   */
  readonly mountPath?: 'strip' | 'keep';
  /**
   * Proxy mode, with `mountPath: 'strip'`: what goes in front of the path below the mount,
   * default `''`. `http-proxy-middleware`'s `target: 'http://host/base'` is `rewritePrefix: '/base'`
   * here (endpoint URLs are origins).
   */
  readonly rewritePrefix?: string;
  /**
   * The gateway's own failures (status 500 and above: upstream unreachable, timeout, no
   * endpoint, overload, an exception in the adapter): `'respond'` (default) writes the
   * gateway's error response (its `errors` format; never an upstream's address unless the
   * gateway's `exposeErrorDetails`); `'next'` calls `next(err)` with a `SwitchyardError`
   * carrying `status`, `statusCode`, `code` and `headers`, for your error middleware.
   * Limits (429), redirects and policy rejections are always answered.
   */
  readonly errors?: 'respond' | 'next';
}

/** The gateway's own "no route" answer (a typed brand, not a body check): re-exported for convenience. */
export { isNoRoute };

/** Why a request answers 500 `SY_BODY_CONSUMED`: internal (in the body only with `exposeErrorDetails`). */
const BODY_CONSUMED_MESSAGE = 'the request body was read by a body parser mounted before switchyard and cannot be re-serialised; mount switchyard before the parser';

type Rebuilt = { readonly kind: 'ok'; readonly request: SyRequest } | { readonly kind: 'consumed'; readonly request: SyRequest };

/**
 * A body parser ran first: re-serialise what it produced (JSON → JSON.stringify, urlencoded →
 * `a=1&b=2`, raw Buffer / text → as is) with `content-length` fixed. Anything else (multipart,
 * nested urlencoded objects) cannot be rebuilt faithfully.
 */
function rebuildBody(sy: SyRequest, req: ExpressRequestLike): Rebuilt {
  const body = req.body;
  const type = String(sy.headers['content-type'] ?? '').toLowerCase();
  let bytes: Uint8Array | undefined;
  if (body instanceof Uint8Array) bytes = body;
  else if (typeof body === 'string') bytes = new TextEncoder().encode(body);
  else if (body !== undefined && body !== null && typeof body === 'object') {
    if (type.includes('json')) bytes = new TextEncoder().encode(JSON.stringify(body));
    else if (type.startsWith('application/x-www-form-urlencoded')) {
      const parts: string[] = [];
      for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
        const values = Array.isArray(v) ? v : [v];
        for (const one of values) {
          if (typeof one !== 'string' && typeof one !== 'number' && typeof one !== 'boolean') return { kind: 'consumed', request: sy };
          parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(one))}`);
        }
      }
      bytes = new TextEncoder().encode(parts.join('&'));
    }
  }
  if (bytes === undefined) return { kind: 'consumed', request: sy };
  const headers: Record<string, string | undefined> = { ...sy.headers, 'content-length': String(bytes.byteLength) };
  delete headers['transfer-encoding'];
  return { kind: 'ok', request: { ...sy, headers, body: bytes } };
}

/**
 * Express middleware mounting a switchyard gateway.
 *
 * When to use: proxy mode in front of upstreams (routing, limits, splits, balancing, retries,
 * deadlines, streaming both ways); decide mode to keep your own handlers and take the gateway's
 * limits, route attributes and canary/experiment assignment. Gotchas: routes match the full
 * `req.originalUrl`, whatever the mount path, while the upstream gets the path below the mount
 * (`mountPath`, as `http-proxy-middleware` 3); mount it before body parsers on proxied paths (a
 * parsed JSON/urlencoded/raw/text body is re-serialised, anything else answers 500
 * `SY_BODY_CONSUMED`); the client address is `req.ip` unless told otherwise.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createGateway } from '@switchyard/gateway';
 * import { createUndiciTransport } from '@switchyard/transport-undici';
 * import { switchyard } from '@switchyard/express';
 * const gateway = createGateway({
 *   routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }] }],
 *   upstreams: { api: { endpoints: [{ url: 'http://127.0.0.1:8081' }], balancer: { policy: 'least-request' } } },
 * }, { transport: createUndiciTransport() });
 * const app = express();
 * app.use(switchyard({ gateway }));           // before express.json()
 * app.get('/health', (_req, res) => res.send('ok'));
 * app.listen(8080);
 * ```
 */
export function switchyard(options: SwitchyardExpressOptions): (req: ExpressRequestLike, res: ExpressResponseLike, next: NextFunction) => void {
  const { gateway } = options;
  const decideOnly = options.mode === 'decide';
  const fallThrough = (options.notFound ?? 'next') === 'next';
  const address = options.clientAddress ?? 'express';
  const clientAddressOf = (req: ExpressRequestLike): string | undefined =>
    address === 'express' ? (req.ip ?? nodePeerAddress(req.socket)) : address === 'socket' ? nodePeerAddress(req.socket) : address(req);

  // The gateway's own 500, through its error formatter (the `errors` config, `formatError`).
  const bodyConsumed = (request: SyRequest): SyResponse => gateway.errorResponse('SY_BODY_CONSUMED', request, { message: BODY_CONSUMED_MESSAGE });

  function toRequest(req: ExpressRequestLike): Rebuilt {
    const request: SyRequest = fromNodeRequest(req, {
      attributes: options.attributes?.(req),
      scheme: options.scheme,
      clientAddress: clientAddressOf(req),
      // Under a mount path Express trims req.url: route on the URL the client sent.
      url: req.originalUrl,
    });
    const sy = request;
    const hasBody = sy.headers['content-length'] !== undefined ? sy.headers['content-length'] !== '0' : sy.headers['transfer-encoding'] !== undefined;
    if (hasBody && req.readableEnded === true && !decideOnly) return rebuildBody(request, req);
    return { kind: 'ok', request };
  }

  const keepMount = options.mountPath === 'keep';
  const rewritePrefix = trimSlashes(options.rewritePrefix ?? '');
  const errorsToNext = options.errors === 'next';

  /**
   * http-proxy-middleware 3 proxies `req.url`, the path below the mount (`prepareProxyRequest`
   * in `http-proxy-middleware.js`; http-proxy's `common.setupOutgoing` joins it to the target's
   * path). The gateway routes on the full path; this maps the normalized full path back to the
   * part below the mount. `undefined` (400): dot segments moved the path out of the mount.
   */
  function upstreamPathOf(req: ExpressRequestLike): HandleOptions['upstreamPath'] {
    if (keepMount) return undefined;
    const base = req.baseUrl ?? '';
    // http-proxy's urlJoin(targetPath, req.url): `/base` + `/` is `/base/`.
    if (base === '' || base === '/') return rewritePrefix === '' ? undefined : (path) => rewritePrefix + path;
    return (path) => belowMount(path, base, rewritePrefix);
  }

  /** `next(err)` for a gateway-made failure (status ≥ 500) when `errors: 'next'`; true if it did. */
  function passedOn(response: SyResponse, next: NextFunction): boolean {
    if (!errorsToNext || response.status < 500) return false;
    const code = responseCode(response);
    if (code === undefined) return false; // the upstream's own 5xx is relayed as it is
    next(toExpressError(code, response));
    return true;
  }

  /** An exception (a bug, a throwing `attributes`): the gateway's 500, or `next(err)` when asked. */
  function failed(res: ExpressResponseLike, next: NextFunction, err: unknown): void {
    if (errorsToNext) return next(err);
    if (res.headersSent === true) {
      res.destroy();
      return;
    }
    writeNodeResponse(res, gateway.errorResponse('SY_INTERNAL', undefined)).catch(() => res.destroy());
  }

  async function proxy(req: ExpressRequestLike, res: ExpressResponseLike, next: NextFunction): Promise<void> {
    const built = toRequest(req);
    const upstreamPath = upstreamPathOf(req);
    const signal = clientAbortSignal(res);
    const response = built.kind === 'ok' ? await gateway.handle(built.request, upstreamPath === undefined ? { signal } : { signal, upstreamPath }) : bodyConsumed(built.request);
    if (fallThrough && isNoRoute(response)) return next();
    if (passedOn(response, next)) return;
    await writeNodeResponse(res, response);
  }

  /** Applies a decide-mode decision: answer (429, redirect, fault), or headers + `next()`. */
  function apply(req: ExpressRequestLike, res: ExpressResponseLike, next: NextFunction, decision: Decision): void {
    if (decision.kind === 'respond') {
      if (fallThrough && isNoRoute(decision.response)) return next();
      writeNodeResponse(res, decision.response).catch(next);
      return;
    }
    req.switchyard = decision;
    for (const name in decision.headers) res.setHeader(name, decision.headers[name] as string);
    next();
  }

  // Synchronous whenever the gateway decides synchronously (in-memory limits): no promise, no
  // microtask between the request and the app's handler.
  function decide(req: ExpressRequestLike, res: ExpressResponseLike, next: NextFunction): void {
    let decision: Decision | Promise<Decision>;
    try {
      const built = toRequest(req);
      if (built.kind !== 'ok') {
        writeNodeResponse(res, bodyConsumed(built.request)).catch(next);
        return;
      }
      decision = gateway.decideNow(built.request);
    } catch (err) {
      failed(res, next, err);
      return;
    }
    if (decision instanceof Promise) decision.then((d) => apply(req, res, next, d)).catch((err: unknown) => failed(res, next, err));
    else apply(req, res, next, decision);
  }

  if (decideOnly) return decide;
  return (req, res, next) => {
    proxy(req, res, next).catch((err: unknown) => failed(res, next, err));
  };
}

/** `p` without trailing slashes. */
function trimSlashes(p: string): string {
  let end = p.length;
  while (end > 0 && p.charCodeAt(end - 1) === 47) end--;
  return p.slice(0, end);
}

/** One path segment as the gateway's router normalizes it: unreserved escapes decoded, others upper-case (RFC 3986 §6.2.2). */
function normalizedSegment(s: string): string {
  if (s.indexOf('%') < 0) return s;
  return s.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(c) ? c : m.toUpperCase();
  });
}

/**
 * The normalized `path` below the mount `base` (Express's `req.baseUrl`, as matched: raw, and
 * matched case-insensitively by default), with `prefix` in front; `undefined` when the
 * normalized path is not under the mount any more.
 */
function belowMount(path: string, base: string, prefix: string): string | undefined {
  const mount = base.split('/').filter((x) => x !== '');
  const parts = path.split('/');
  // parts[0] is '' (the path starts with '/').
  for (let i = 0; i < mount.length; i++) {
    const seg = parts[i + 1];
    if (seg === undefined || seg.toLowerCase() !== normalizedSegment(mount[i] as string).toLowerCase()) return undefined;
  }
  // Express gives `/api` and `/api/` the same `req.url`, `/`; http-proxy joins it to the target's path.
  return `${prefix}/${parts.slice(mount.length + 1).join('/')}`;
}

/** What `errors: 'next'` hands to `next(err)`: a `SwitchyardError` with what Express's error handlers read. */
export type SwitchyardExpressError = SwitchyardError & {
  /** The status switchyard would have answered with (`errors` config applied). */
  readonly statusCode: number;
  /** `false`: finalhandler and most error middleware keep the message out of the body. */
  readonly expose: false;
  /** The headers switchyard would have sent (`retry-after`, …). */
  readonly headers: SyResponse['headers'];
};

function toExpressError(code: NonNullable<ReturnType<typeof responseCode>>, response: SyResponse): SwitchyardExpressError {
  const err = new SwitchyardError(code, `switchyard answered ${response.status} ${code}`);
  return Object.assign(err, { status: response.status, statusCode: response.status, expose: false as const, headers: response.headers });
}
