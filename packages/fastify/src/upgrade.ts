/**
 * WebSocket upgrades for a Fastify app: one dispatcher on `fastify.server`, routing, limiting
 * and balancing each upgrade through the same gateway as the plugin. Fastify's router never
 * sees upgrade requests (Node emits `'upgrade'` on the server), so this is wired on the
 * server, and detached by the instance's `onClose` hook.
 */
import type { IncomingMessage } from 'node:http';
import { nodeUpgradeBinding, type NodeUpgradeOptions, type UpgradeGateway } from '@switchyard/gateway';
import { attachUpgrade as attachUpgradeDispatcher, type UpgradeDispatcher, type UpgradeServerLike } from '@switchyard/transport-undici';
import type { FastifyInstance } from 'fastify';

export type { UpgradeDispatcher };

/**
 * Options of {@link attachUpgrade}: `attributes(req)`, `scheme`, `onError`, `now`,
 * `handshakeTimeoutMs`, the same for every adapter (`@switchyard/gateway`'s `NodeUpgradeOptions`).
 */
export type SwitchyardUpgradeOptions = NodeUpgradeOptions<IncomingMessage>;

/**
 * Proxies WebSocket upgrades arriving on `fastify.server` through `gateway`: the route's limits,
 * split and balancer apply to each connection (least-request counts it in flight until it
 * closes); an unmatched path gets 404, a limited one 429, no healthy endpoint 503, an
 * unreachable upstream 502. Detached on `fastify.close()`.
 *
 * When to use: a Fastify app that should proxy WebSocket routes next to the `switchyard` plugin's
 * HTTP proxying. Call it once, any time before or after `listen()` (`fastify.server` exists from
 * construction); a second call on the same instance throws.
 *
 * Gotchas: `fastify.inject()` cannot exercise upgrades (there is no socket): test over a real
 * `listen()`. Do not combine with `@fastify/websocket` or `@fastify/http-proxy`'s `websocket`
 * option on the same server: they also listen for `'upgrade'`. Fastify's `trustProxy` does not
 * apply: configure `clientIdentity.trustedProxies` in the gateway. No retries, mirroring or
 * per-message inspection.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createGateway } from '@switchyard/gateway';
 * import { createUndiciTransport } from '@switchyard/transport-undici';
 * import { attachUpgrade, switchyard } from '@switchyard/fastify';
 *
 * const gateway = createGateway(config, { transport: createUndiciTransport() });
 * const app = Fastify();
 * await app.register(switchyard, { gateway });
 * attachUpgrade(app, gateway);
 * await app.listen({ port: 8080 });
 * ```
 */
export function attachUpgrade(fastify: Pick<FastifyInstance, 'server' | 'addHook'>, gateway: UpgradeGateway, options: SwitchyardUpgradeOptions = {}): UpgradeDispatcher {
  // The shared binding: fromNodeRequest, gateway.acquire, and the dispatcher's own 400/500/502/504
  // through the gateway's error formatter.
  const dispatcher = attachUpgradeDispatcher(fastify.server as UpgradeServerLike, nodeUpgradeBinding(gateway, options));
  fastify.addHook('onClose', async () => {
    dispatcher.detach();
  });
  return dispatcher;
}
