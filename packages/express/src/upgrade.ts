/**
 * WebSocket upgrades for an Express app: one dispatcher on the `http.Server` that
 * `app.listen()` returns, routing, limiting and balancing each upgrade through the same gateway
 * as the middleware. Express itself never sees upgrade requests (Node emits `'upgrade'` on the
 * server, not a request), so this is wired on the server, not with `app.use()`.
 */
import type { IncomingMessage } from 'node:http';
import { nodeUpgradeBinding, type NodeUpgradeOptions, type UpgradeGateway } from '@switchyard/gateway';
import { attachUpgrade as attachUpgradeDispatcher, type UpgradeDispatcher, type UpgradeServerLike } from '@switchyard/transport-undici';

export type { UpgradeDispatcher };

/**
 * Options of {@link attachUpgrade}: `attributes(req)`, `scheme`, `onError`, `now`,
 * `handshakeTimeoutMs`, the same for every adapter (`@switchyard/gateway`'s `NodeUpgradeOptions`).
 */
export type SwitchyardUpgradeOptions = NodeUpgradeOptions<IncomingMessage>;

/**
 * Proxies WebSocket upgrades arriving on `server` through `gateway`: the route's limits, split
 * and balancer apply to each connection (least-request counts it in flight until it closes);
 * an unmatched path gets 404, a limited one 429, no healthy endpoint 503, an unreachable
 * upstream 502. Call once per server (a second call throws); returns a dispatcher with
 * `detach()`.
 *
 * When to use: an Express app that should proxy WebSocket routes next to its HTTP routes.
 *
 * Gotchas: Express's `trust proxy` does not apply (there is no Express request): the client
 * address is the socket's, configure `clientIdentity.trustedProxies` in the gateway if a proxy
 * sits in front. The dispatcher owns every upgrade on `server`: do not attach a `ws` server to
 * the same `server` as well. No retries, mirroring or per-message inspection.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createGateway } from '@switchyard/gateway';
 * import { createUndiciTransport } from '@switchyard/transport-undici';
 * import { attachUpgrade, switchyard } from '@switchyard/express';
 *
 * const gateway = createGateway(config, { transport: createUndiciTransport() });
 * const app = express();
 * app.use(switchyard({ gateway }));
 * const server = app.listen(8080);
 * attachUpgrade(server, gateway);
 * ```
 */
export function attachUpgrade(server: UpgradeServerLike, gateway: UpgradeGateway, options: SwitchyardUpgradeOptions = {}): UpgradeDispatcher {
  // The shared binding: fromNodeRequest, gateway.acquire, and the dispatcher's own 400/500/502/504
  // through the gateway's error formatter.
  return attachUpgradeDispatcher(server, nodeUpgradeBinding(gateway, options));
}
