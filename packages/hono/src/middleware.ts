/**
 * `switchyard()` for Hono: a middleware on Web-standard Request/Response, so the same code runs
 * on Node (`@hono/node-server`, undici transport) and on edge runtimes (Workers, Deno, Bun, with
 * the fetch transport). No traffic logic here: the gateway decides and forwards; this file only
 * converts between Hono's context and the gateway's request/response shapes.
 */
import type { SyRequest } from '@switchyard/core';
import { isNoRoute, fromFetchRequest, nodePeerAddress, toFetchResponse, type Decision, type Gateway } from '@switchyard/gateway';
import type { Context, MiddlewareHandler } from 'hono';
import { isWebSocketUpgrade, upgradeThroughGateway, type WebSocketOptions, type WebSocketUpgrader } from './websocket.js';
import { detectWebSocketUpgrader } from './websocket-runtimes.js';

/** The decision of decide mode, as stored on the context (`c.get('switchyard')`). */
export type SwitchyardDecision = Extract<Decision, { kind: 'continue' }>;

/** Context variables the middleware sets: declare them in your app's `Variables`. */
export interface SwitchyardVariables {
  switchyard: SwitchyardDecision;
}

/** Options of {@link switchyard}. */
export interface SwitchyardHonoOptions {
  /** The gateway (from `createGateway`), built once at start-up. */
  readonly gateway: Gateway;
  /**
   * `'proxy'` (default): the gateway answers from the upstream. `'decide'`: limits, routing
   * attributes and experiment assignment only; then `next()` runs your handlers with the
   * decision in `c.get('switchyard')` and its headers added to your response.
   */
  readonly mode?: 'proxy' | 'decide';
  /**
   * A request no gateway route matches: `'next'` (default) runs the rest of the app (its own
   * routes, then Hono's 404); `'respond'` answers the gateway's 404 `SY_NO_ROUTE` at once.
   */
  readonly notFound?: 'next' | 'respond';
  /**
   * The client's address (the TCP peer), for `client-ip` limit keys and the gateway's
   * `clientIdentity`. Default: on Node (`@hono/node-server`), the peer of the request's socket
   * (`c.env.incoming.socket.remoteAddress`, what `getConnInfo` from
   * `@hono/node-server/conninfo` reads); elsewhere none. On other runtimes pass it: on
   * Cloudflare `(c) => c.req.header('cf-connecting-ip')`, on Bun or Deno `getConnInfo` from
   * `hono/bun` / `hono/deno`. Without an address a `client-ip` limit refuses the request
   * (its `onMissingKey` defaults to `deny`).
   */
  readonly clientAddress?: (c: Context) => string | undefined;
  /** Request attributes for routing, limits and splits (user id, tier, API-key metadata). */
  readonly attributes?: (c: Context) => Readonly<Record<string, unknown>>;
  /**
   * WebSocket upgrades in proxy mode (`GET` with `Upgrade: websocket`): routed, limited and
   * rewritten by the gateway like any request, then relayed to the endpoint by the runtime's
   * upgrade API. Default (`undefined` or `{}`): detected on Cloudflare Workers (`WebSocketPair`)
   * and Deno (`Deno.upgradeWebSocket`); on Bun pass `bunWebSocket().upgrader` (and its
   * `websocket` to `Bun.serve`); an upgrader object or `{ upgrader, clock, handshakeTimeoutMs }`
   * to choose. `false`, or no upgrader found (Node: use `attachUpgrade` from
   * `@switchyard/hono/node`, where upgrades never reach the middleware): an upgrade request is
   * proxied as plain HTTP, as before (RFC 9110 §7.8 lets a server ignore `Upgrade`).
   */
  readonly webSocket?: WebSocketUpgrader | WebSocketOptions | false | undefined;
}

/** What `@hono/node-server` passes as `c.env`: the Node request (also under `server` when nested, as `getConnInfo` reads it). */
interface NodeServerBindings {
  readonly incoming?: { readonly socket?: { readonly remoteAddress?: string | undefined } | null } | null;
  readonly server?: NodeServerBindings | null;
}

/** The TCP peer of the Node request behind `c`, when Hono runs on `@hono/node-server`; else `undefined`. */
function nodeServerPeer(c: Context): string | undefined {
  const env = c.env as NodeServerBindings | null | undefined;
  if (env === null || typeof env !== 'object') return undefined;
  const incoming = env.incoming ?? env.server?.incoming;
  return incoming === null || incoming === undefined ? undefined : nodePeerAddress(incoming.socket);
}

/** The gateway's own "no route" answer (a typed brand, not a body check): re-exported for convenience. */
export { isNoRoute };

/**
 * Hono middleware mounting a switchyard gateway, in proxy or decide mode.
 *
 * When to use: proxy mode to put routing, limits, splits, balancing, retries and deadlines in
 * front of upstreams; decide mode to keep your own handlers and only take the gateway's limits,
 * route attributes and experiment/canary assignment. Gotchas: mount it before handlers that
 * read the body (proxy mode streams `c.req.raw.body`); a client that disconnects aborts the
 * upstream tries through `c.req.raw.signal`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { createGateway } from '@switchyard/gateway';
 * import { createFetchTransport } from '@switchyard/transport-fetch';
 * import { switchyard } from '@switchyard/hono';
 * const gateway = createGateway({
 *   routes: [{ name: 'api', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'api' }] }],
 *   upstreams: { api: { endpoints: [{ url: 'https://api.internal.example' }] } },
 * }, { transport: createFetchTransport() });
 * const app = new Hono();
 * app.use(switchyard({ gateway }));
 * app.get('/health', (c) => c.text('ok')); // no gateway route matches: falls through
 * export default app;
 * ```
 */
export function switchyard(options: SwitchyardHonoOptions): MiddlewareHandler<{ Variables: SwitchyardVariables }> {
  const { gateway } = options;
  const decideOnly = options.mode === 'decide';
  const fallThrough = (options.notFound ?? 'next') === 'next';
  const clientAddressOf = options.clientAddress ?? nodeServerPeer;
  const toRequest = (c: Context): SyRequest =>
    fromFetchRequest(c.req.raw, {
      clientAddress: clientAddressOf(c),
      ...(options.attributes !== undefined ? { attributes: options.attributes(c) } : {}),
    });

  if (!decideOnly) {
    const ws = options.webSocket;
    const wsOptions: WebSocketOptions | undefined = ws === false ? undefined : ws === undefined ? {} : 'upgrade' in ws ? { upgrader: ws } : ws;
    // Detected once, on the first upgrade (nothing happens at import or construction).
    let upgrader: WebSocketUpgrader | undefined | null = wsOptions?.upgrader ?? null;
    return async (c, next) => {
      if (wsOptions !== undefined && isWebSocketUpgrade(c.req.raw)) {
        if (upgrader === null) upgrader = detectWebSocketUpgrader();
        if (upgrader !== undefined) {
          const result = await upgradeThroughGateway(c, gateway, toRequest(c), upgrader, wsOptions);
          if (result.kind === 'upgraded') return result.response;
          if (fallThrough && isNoRoute(result.response)) {
            await next();
            return undefined;
          }
          // A refused upgrade ends the connection, as the Node dispatcher does: the client asked
          // to leave HTTP, and a kept-alive socket would only wait for a request it will not send.
          return toFetchResponse({ ...result.response, headers: { ...result.response.headers, connection: 'close' } }) as Response;
        }
      }
      const response = await gateway.handle(toRequest(c), { signal: c.req.raw.signal });
      if (fallThrough && isNoRoute(response)) {
        await next();
        return undefined;
      }
      return toFetchResponse(response) as Response;
    };
  }
  return async (c, next) => {
    // decideNow: no extra promise when the gateway decides synchronously (in-memory limits).
    const pending = gateway.decideNow(toRequest(c));
    const decision = pending instanceof Promise ? await pending : pending;
    if (decision.kind === 'respond') {
      if (fallThrough && isNoRoute(decision.response)) {
        await next();
        return undefined;
      }
      return toFetchResponse(decision.response) as Response;
    }
    c.set('switchyard', decision);
    await next();
    const headers = Object.entries(decision.headers);
    if (headers.length === 0) return undefined;
    try {
      for (const [name, value] of headers) c.res.headers.set(name, value);
    } catch {
      // Headers of a Response from fetch() are immutable: copy it.
      const copy = new Response(c.res.body, c.res);
      for (const [name, value] of headers) copy.headers.set(name, value);
      c.res = copy;
    }
    return undefined;
  };
}
