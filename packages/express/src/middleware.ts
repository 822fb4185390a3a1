/**
 * `switchyard()` for Express 4 and 5: a `(req, res, next)` middleware in proxy or decide mode.
 * No traffic logic here: the gateway decides and forwards; the Node bridge of
 * `@switchyard/gateway` streams bodies with back-pressure, cancels upstream tries when the client
 * goes away, and is the single writer of the response. Express is typed structurally, so both
 * majors (and `@types/express` or none) fit.
 */
import type { SyRequest, SyResponse } from '@switchyard/core';
import { isNoRoute, clientAbortSignal, fromNodeRequest, nodePeerAddress, writeNodeResponse, type Decision, type Gateway, type NodeRequestLike, type NodeResponseLike } from '@switchyard/gateway';

/** The decision of decide mode, as stored on `req.switchyard`. */
export type SwitchyardDecision = Extract<Decision, { kind: 'continue' }>;

/** The part of an Express request the middleware reads. */
export interface ExpressRequestLike extends NodeRequestLike {
  /** The full URL (Express strips the mount path from `url`). */
  readonly originalUrl?: string | undefined;
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
 * `req.originalUrl`, whatever the mount path; mount it before body parsers on proxied paths (a
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

  async function proxy(req: ExpressRequestLike, res: ExpressResponseLike, next: NextFunction): Promise<void> {
    const built = toRequest(req);
    const response = built.kind === 'ok' ? await gateway.handle(built.request, { signal: clientAbortSignal(res) }) : bodyConsumed(built.request);
    if (fallThrough && isNoRoute(response)) return next();
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
      next(err);
      return;
    }
    if (decision instanceof Promise) decision.then((d) => apply(req, res, next, d)).catch(next);
    else apply(req, res, next, decision);
  }

  if (decideOnly) return decide;
  return (req, res, next) => {
    proxy(req, res, next).catch(next);
  };
}
