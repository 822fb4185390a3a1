/**
 * `@switchyard/hono/node`: WebSocket upgrades for a Hono app served by `@hono/node-server`.
 *
 * Node emits `'upgrade'` on the server, and `@hono/node-server` never hands an upgrade request
 * to `app.fetch`, so, as with `@hono/node-ws`'s `injectWebSocket(server)`, the upgrade path is
 * wired on the server that `serve()` returns. The same dispatcher and gateway binding as the
 * Express and Fastify adapters (`@switchyard/transport-undici`'s `attachUpgrade` with
 * `@switchyard/gateway`'s `nodeUpgradeBinding`): the same routing, limits, splits, balancing and
 * rewrite as the HTTP path, the upstream reached over its own socket, bytes spliced both ways
 * (frames, close codes, ping/pong pass through untouched; backpressure by `pipe`).
 *
 * A separate entry point so that the main `@switchyard/hono` entry stays free of Node modules for
 * edge bundles; it needs `@switchyard/transport-undici` installed (an optional peer dependency).
 *
 * @packageDocumentation
 */
import { nodeUpgradeBinding, type NodeUpgradeOptions, type UpgradeGateway } from '@switchyard/gateway';
import { attachUpgrade as attachUpgradeDispatcher, type UpgradeDispatcher, type UpgradeServerLike } from '@switchyard/transport-undici';

export type { UpgradeDispatcher };

/**
 * Options of {@link attachUpgrade}: `attributes(req)`, `scheme`, `onError`, `now`,
 * `handshakeTimeoutMs`, the same as the Express and Fastify adapters' (`req` is Node's
 * `IncomingMessage`: an upgrade has no Hono `Context`).
 */
export type SwitchyardUpgradeOptions = NodeUpgradeOptions;

/**
 * Proxies WebSocket upgrades arriving on the server returned by `@hono/node-server`'s `serve()`
 * through `gateway`: an unmatched path gets 404, a limited one 429 (with its `RateLimit` and
 * `Retry-After` headers), a policy's refusal its own status (403, 401...), no healthy endpoint
 * 503, an unreachable upstream 502, a silent one 504, each as a complete HTTP response after
 * which the socket closes. Returns a dispatcher with `active` and `detach()`; a second call on
 * the same server throws.
 *
 * When to use: a Hono app on Node whose `switchyard()` middleware proxies HTTP and whose routes
 * also carry WebSockets. On Deno, Bun and Cloudflare Workers the middleware itself handles the
 * upgrade (option `webSocket`); nothing to attach there.
 *
 * Gotchas: Hono's own middleware does not run for upgrades (the request never reaches
 * `app.fetch`): put authentication in gateway policies, which do run. Do not also call
 * `@hono/node-ws`'s `injectWebSocket` on the same server: both would answer each upgrade.
 * The middleware's `clientAddress` and `attributes` options take a Hono `Context`; here
 * `attributes` takes the Node request, and the client address is the socket's peer (configure
 * `clientIdentity.trustedProxies` in the gateway when a proxy sits in front).
 *
 * @example
 * ```ts
 * import { serve } from '@hono/node-server';
 * import { Hono } from 'hono';
 * import { createGateway } from '@switchyard/gateway';
 * import { createUndiciTransport } from '@switchyard/transport-undici';
 * import { switchyard } from '@switchyard/hono';
 * import { attachUpgrade } from '@switchyard/hono/node';
 *
 * const gateway = createGateway(config, { transport: createUndiciTransport() });
 * const app = new Hono();
 * app.use(switchyard({ gateway }));
 * attachUpgrade(serve({ fetch: app.fetch, port: 8080 }), gateway); // the one added line
 * ```
 */
export function attachUpgrade(server: UpgradeServerLike, gateway: UpgradeGateway, options: SwitchyardUpgradeOptions = {}): UpgradeDispatcher {
  return attachUpgradeDispatcher(server, nodeUpgradeBinding(gateway, options));
}
